"""Exchanges of the 2.0.1 firmware cases (block L) as the bench's real station plays them.

The station runs a real update: the CSMS's UpdateFirmwareRequest names the case's
file server (``material_lm``), the station downloads the file, checks its
signature, installs it and reboots into it, reporting each step with a
FirmwareStatusNotification (L01.FR.01). The scenario follows the station's messages
one by one: where the station reports something other than what the case expects
next, the case cannot go on as written and ends inconclusive (or failed, when a
check on the CSMS's request already failed and explains why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.material_lm import FirmwareKit, same_base64, same_certificate
from bench.kernel.frames import FrameRecord
from bench.ocpp.common.timestamps import iso, parse_iso

# Station defaults when the CSMS leaves retries to it (bench.ocpp.common.transfer_jobs).
STATION_RETRIES = 1
STATION_RETRY_INTERVAL = 60


@dataclass(frozen=True, slots=True)
class Exchange:
    request: FrameRecord
    reply: FrameRecord


# Part 6 §3.1's general pre-conditions a case with a transaction relies on (the bench's
# station ships TxStartPoint PowerPathClosed); written before the station boots.
TRANSACTION_PRECONDITIONS = (
    ("TxCtrlr/TxStartPoint", "EVConnected,Authorized"),
    ("TxCtrlr/TxStopPoint", "EVConnected"),
    ("ChargingStation/AllowNewSessionsPendingFirmwareUpdate", "false"),
)


async def configured_for_transactions(ctx: CaseRun) -> None:
    """Write §3.1's transaction settings into the not yet started station."""
    for name, value in TRANSACTION_PRECONDITIONS:
        outcome = await ctx.station.settings.write(name, value)
        if not outcome.ok:
            raise RuntimeError(f"the station refused {name} = {value}: {outcome.status}")


def _tx_event(ctx: CaseRun, since: int, what: str, test: Any) -> Any:
    return ctx.wait_frame(
        lambda r: (
            r.direction == "tx"
            and r.type == "CALL"
            and r.action == "TransactionEvent"
            and isinstance(r.payload, dict)
            and test(r.payload)
        ),
        since=since,
        what=f"the station's TransactionEvent ({what})",
    )


async def charging(ctx: CaseRun) -> None:
    """Reusable State EnergyTransferStarted on EVSE 1: authorized, plugged in, charging."""
    cid = states.connector_for(ctx)
    await states.authorized(ctx, connector=cid)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await _tx_event(
        ctx,
        since,
        "chargingState Charging",
        lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
    )
    if not await ctx.station.wait_status(cid, "Charging", ctx.settings.timeout):
        raise Inconclusive(f"EVSE {cid} did not start charging")


async def charging_ended(ctx: CaseRun, *, stop_step: int) -> None:
    """Reusable States StopAuthorized (the card again, its TransactionEventResponse
    idTokenInfo.status Accepted), EVConnectedPostSession and EVDisconnected: the cable
    is unplugged and the transaction Ended."""
    cid = states.connector_for(ctx)
    since = ctx.mark()
    ctx.station.present_id(ctx.settings.valid_id_token, cid)
    stop = await _tx_event(
        ctx, since, "StopAuthorized", lambda p: p.get("triggerReason") == "StopAuthorized"
    )
    reply = await ctx.wait_frame(
        lambda r: r.direction == "rx" and r.type != "CALL" and r.id == stop.id,
        since=ctx.frames.index(stop),
        what="the CSMS's reply to TransactionEvent (StopAuthorized)",
    )
    ctx.check(
        stop_step, "TransactionEventResponse", reply.payload, "idTokenInfo.status", "Accepted"
    )
    since = ctx.mark()
    ctx.station.unplug(cid)
    await _tx_event(ctx, since, "Ended", lambda p: p.get("eventType") == "Ended")


def _calls(ctx: CaseRun, direction: str, action: str, since: int) -> list[FrameRecord]:
    return [
        r
        for r in ctx.frames[since:]
        if r.direction == direction and r.type == "CALL" and r.action == action
    ]


async def csms_call(
    ctx: CaseRun,
    key: str,
    instruction: str,
    action: str,
    request: dict[str, Any],
    *,
    step: int,
    timeout: float | None = None,
    **params: Any,
) -> FrameRecord:
    """A manual action that makes the CSMS send ``action``; its CALL frame (schema checked)."""
    since = ctx.mark()
    await ctx.request_by_hand(
        key, instruction, action, request, step=step, timeout=timeout, **params
    )
    return _calls(ctx, "rx", action, since)[0]


async def station_answer(ctx: CaseRun, request: FrameRecord, expected: str | None) -> dict:
    """The station's reply to the CSMS's ``request``; Inconclusive when it is not ``expected``."""
    reply = await ctx.wait_frame(
        lambda r: r.direction == "tx" and r.type != "CALL" and r.id == request.id,
        since=ctx.frames.index(request),
        what=f"the station's reply to {request.action}",
    )
    payload = reply.payload if isinstance(reply.payload, dict) else {}
    status = payload.get("status")
    if expected is not None and status != expected:
        raise Inconclusive(
            f"the station answered {request.action} with {status or reply.type} where the "
            f"case expects {expected}"
        )
    return payload


async def exchange(
    ctx: CaseRun,
    action: str,
    *,
    since: int,
    step: int | None,
    expect: dict[str, Any] | None = None,
    skip: tuple[str, ...] = (),
    timeout: float | None = None,
) -> Exchange:
    """The station's next ``action`` from ``since`` on and the CSMS's reply to it.

    ``expect``: the fields the case says the station sends; the station's own message
    differs only when it cannot follow the case (Inconclusive). Messages whose
    ``status`` is in ``skip`` are passed over (a retried download's Downloading).
    ``step``: the CSMS's response step, whose reply must be a valid CALLRESULT.
    """
    seen = since
    for _ in range(100):
        request = await ctx.wait_frame(
            lambda r: r.direction == "tx" and r.type == "CALL" and r.action == action,
            since=seen,
            what=f"the station's {action}",
            timeout=timeout,
        )
        seen = ctx.frames.index(request) + 1
        payload = request.payload if isinstance(request.payload, dict) else {}
        if payload.get("status") in skip and (expect or {}).get("status") not in skip:
            continue
        for name, value in (expect or {}).items():
            if payload.get(name) != value:
                raise Inconclusive(
                    f"the station sent {action} with {name} {payload.get(name)!r} where the "
                    f"case expects {value!r}"
                )
        break
    reply = await ctx.wait_frame(
        lambda r: r.direction == "rx" and r.type != "CALL" and r.id == request.id,
        since=ctx.frames.index(request),
        what=f"the CSMS's reply to {action}",
    )
    ctx.check_that(
        step,
        f"{action}Response",
        "(message type)",
        reply.type == "CALLRESULT",
        "CALLRESULT",
        f"{reply.type} {reply.error or ''}".strip(),
    )
    if reply.type == "CALLRESULT" and reply.valid is False:
        ctx.check_that(
            step,
            f"{action}Response",
            "(schema)",
            False,
            "valid against the OCPP schema",
            reply.error or "invalid",
        )
    return Exchange(request, reply)


async def firmware_statuses(
    ctx: CaseRun,
    steps: list[tuple[str, int]],
    *,
    since: int,
    request_id: int | None,
    timeout: float | None = None,
    skip: tuple[str, ...] = (),
) -> int:
    """The station's FirmwareStatusNotifications ``(status, CSMS response step)`` in order.

    Returns the frame index after the last one. ``timeout`` applies to the first (a
    scheduled download or installation waits its date-time first).
    """
    for index, (status, step) in enumerate(steps):
        expect: dict[str, Any] = {"status": status}
        if request_id is not None:
            expect["requestId"] = request_id  # L01.FR.10
        done = await exchange(
            ctx,
            "FirmwareStatusNotification",
            since=since,
            step=step,
            expect=expect,
            skip=skip,
            timeout=timeout if index == 0 else None,
        )
        since = ctx.frames.index(done.request) + 1
    return since


def update_request(
    ctx: CaseRun, kit: FirmwareKit, request_id: int, **firmware: Any
) -> dict[str, Any]:
    """The UpdateFirmwareRequest the case expects: the configured file, certificate and
    signature, retrieveDateTime now unless given (``retries`` goes to the request)."""
    retries = firmware.pop("retries", None)
    body: dict[str, Any] = {
        "location": kit.location,
        "retrieveDateTime": iso(ctx.station.clock.now()),
        "signingCertificate": kit.signing.pem,
        "signature": kit.signature,
    }
    body.update(firmware)
    request: dict[str, Any] = {"requestId": request_id, "firmware": body}
    if retries is not None:
        request["retries"] = retries
    return request


async def request_update(
    ctx: CaseRun,
    kit: FirmwareKit,
    request: dict[str, Any],
    *,
    step: int,
    instruction: str = "Request the CSMS to update the Charging Station's firmware",
) -> FrameRecord:
    """The manual action ``update_firmware``: the CSMS sends ``request``; its CALL frame."""
    firmware = request["firmware"]
    return await csms_call(
        ctx,
        "update_firmware",
        f"{instruction}: location {kit.location}, with the signing certificate and signature given",
        "UpdateFirmware",
        request,
        step=step,
        location=kit.location,
        signing_certificate=kit.signing.pem,
        signature=kit.signature,
        retrieve_date_time=firmware.get("retrieveDateTime"),
        install_date_time=firmware.get("installDateTime"),
        request_id=request["requestId"],
    )


def check_signed(ctx: CaseRun, step: int, request: dict[str, Any], kit: FirmwareKit) -> None:
    """Tool validation: firmware signingCertificate and signature are the configured ones."""
    message = "UpdateFirmwareRequest"
    ctx.check(
        step, message, request, "firmware.signingCertificate", same_certificate(kit.signing.pem)
    )
    ctx.check(step, message, request, "firmware.signature", same_base64(kit.signature))


def request_id_of(request: FrameRecord) -> int | None:
    payload = request.payload if isinstance(request.payload, dict) else {}
    value = payload.get("requestId")
    return value if isinstance(value, int) else None


def patience(ctx: CaseRun, request: dict[str, Any], when: str | None = None) -> float:
    """Seconds to wait for the station's next status: the step limit, plus the time until
    the request's ``when`` date-time (retrieveDateTime, installDateTime), plus the
    download retries the request allows."""
    extra = 0.0
    firmware = request.get("firmware") or {}
    moment = parse_iso(firmware.get(when, "")) if when else None
    if moment is not None:
        extra += max(0.0, (moment - ctx.station.clock.now()).total_seconds())
    retries = request.get("retries", STATION_RETRIES)
    interval = request.get("retryInterval", STATION_RETRY_INTERVAL)
    if isinstance(retries, int) and isinstance(interval, int):
        extra += max(0, retries) * max(0, interval)
    return ctx.settings.timeout + extra


def in_the_future(ctx: CaseRun, seconds: float) -> str:
    return iso(ctx.station.clock.now() + timedelta(seconds=seconds))


async def rebooted_with_new_firmware(ctx: CaseRun, *, since: int, boot_step: int) -> int:
    """The station reboots to activate the firmware: BootNotification with reason
    FirmwareUpdate, whose response must be Accepted (the case's tool validation), then
    the status of every connector; returns the frame index of the BootNotification."""
    boot = await exchange(
        ctx, "BootNotification", since=since, step=boot_step, expect={"reason": "FirmwareUpdate"}
    )
    ctx.require(boot_step, "BootNotificationResponse", boot.reply.payload, "status", "Accepted")
    at = ctx.frames.index(boot.request)
    await states.statuses_reported(ctx, at)
    return at
