"""Helpers for the 2.0.1 CSMS cases of blocks F, H, I and J (charging sessions, meters).

The reusable states in ``bench.conformance.states`` are shared by every block; what
these blocks need beyond them lives here:

- ``prepare``: the general pre-conditions of part 6 §3.1 (TxStartPoint, TxStopPoint,
  AuthCtrlr...) and a case's own station configuration (sampling intervals, signed
  readings, EVConnectionTimeOut), written to the bench's station before it boots —
  OCTT's "<Configured ...>" values are the bench's, not the CSMS's, to set.
- ``station_event`` / ``answered``: a station CALL the case waits for, and the CSMS's
  reply to that very call (matched by message id, so a flood of MeterValues can not
  pair a reply with the wrong request).
- ``energy_transfer_started``: Reusable State EnergyTransferStarted (§3.18) when the
  station reports "EV connected" and "charging" in one TransactionEvent (the bench's
  station does when an authorized EV draws at once; OCTT sends two).
- ``station_sent``: what the case says the OCTT sends, checked on the bench's own
  message; a station that does not do it is the bench's fault (verdict *error*),
  never the CSMS's.
- ``needs_feature``: an optional CSMS feature of part 5, declared by name or id;
  ``with_evses``: a case that part 5 wants played with more than one EVSE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bench.conformance import states, states_v201
from bench.conformance.case_run import CaseRun, Inconclusive, NotApplicable
from bench.conformance.expect import as_expectation, field_at, shown
from bench.kernel.frames import FrameRecord

# Part 6 §3.1 General pre conditions (one list for every block, in states_v201); this
# block's cases write them and their own values through ``prepare``.
GENERAL_PRECONDITIONS: dict[str, str] = dict(states_v201.GENERAL_PRECONDITIONS)


class StationDeviation(RuntimeError):
    """The bench's station did not do what the case says the OCTT does: a bench bug."""


async def prepare(ctx: CaseRun, variables: dict[str, str] | None = None) -> None:
    """Write §3.1's pre-conditions and the case's ``variables`` ("Component/Variable":
    value) to the station before it starts (it is built, not started, on first use).

    Through ``states_v201.configure``, which notes that the general pre-conditions are
    in force: the Booted state then leaves the case's own values as they are.
    """
    try:
        await states_v201.configure(ctx, {**GENERAL_PRECONDITIONS, **(variables or {})})
    except RuntimeError as exc:
        raise StationDeviation(str(exc)) from None


def needs_feature(ctx: CaseRun, name: str, part5_id: str) -> None:
    """The case is conditional on an optional CSMS feature of part 5 §"Optional features
    CSMS" (C-11, C-29.x, R-1, R-2): declared by its name or its id, or not applicable."""
    declared = ctx.settings.features
    if name not in declared and part5_id not in declared:
        raise NotApplicable(
            f"the CSMS does not declare the optional feature {name} (part 5 {part5_id})"
        )


def with_evses(ctx: CaseRun, count: int, template: str) -> None:
    """Play this case with a station of at least ``count`` EVSEs: ``template`` when the
    configured one has fewer. Only before the station is first used; the change is this
    case's own (``ctx.settings`` is replaced, not altered)."""
    from bench.model.templates import load_station_template

    if load_station_template(ctx.settings.station_template).connectors < count:
        ctx.settings = replace(ctx.settings, station_template=template)


def evse_of(ctx: CaseRun) -> int:
    """<Configured evseId>: the station's first EVSE (one connector each, connector 1)."""
    return states.connector_for(ctx)


def id_token(ctx: CaseRun) -> dict[str, str]:
    """<Configured valid_idtoken_idtoken> and <Configured valid_idtoken_type>."""
    return {"idToken": ctx.settings.valid_id_token, "type": ctx.settings.valid_id_token_type}


def is_call(
    action: str, test: Callable[[dict[str, Any]], bool] | None = None
) -> Callable[[FrameRecord], bool]:
    """A frame matcher: the station's ``action`` CALL whose payload passes ``test``."""

    def matches(r: FrameRecord) -> bool:
        return (
            r.direction == "tx"
            and r.type == "CALL"
            and r.action == action
            and isinstance(r.payload, dict)
            and (test is None or test(r.payload))
        )

    return matches


async def station_event(
    ctx: CaseRun,
    action: str,
    *,
    since: int,
    what: str,
    test: Callable[[dict[str, Any]], bool] | None = None,
    timeout: float | None = None,
) -> FrameRecord:
    """The station's next ``action`` CALL from ``since`` on that passes ``test``."""
    return await ctx.wait_frame(is_call(action, test), since=since, what=what, timeout=timeout)


async def answered(ctx: CaseRun, request: FrameRecord, *, step: int | None) -> dict[str, Any]:
    """The CSMS's reply to the station's ``request`` ("The CSMS responds accordingly"):
    a CALLRESULT valid against the schema. Returns its payload ({} for a CALLERROR)."""
    reply = await ctx.wait_frame(
        lambda r: r.direction == "rx" and r.id == request.id and r.type != "CALL",
        since=ctx.frames.index(request),
        what=f"the CSMS's reply to {request.action}",
    )
    message = f"{request.action}Response"
    got = reply.type if reply.type == "CALLRESULT" else f"{reply.type} {reply.error or ''}"
    ctx.check_that(
        step, message, "(message type)", reply.type == "CALLRESULT", "CALLRESULT", got.strip()
    )
    if reply.type == "CALLRESULT" and reply.valid is False:
        ctx.check_that(
            step,
            message,
            "(schema)",
            False,
            "valid against the OCPP schema",
            reply.error or "invalid",
        )
    return reply.payload if reply.type == "CALLRESULT" and isinstance(reply.payload, dict) else {}


async def every_answered(
    ctx: CaseRun, action: str, *, since: int, step: int | None, until: int | None = None
) -> int:
    """Check the CSMS answered each of the station's ``action`` CALLs in ``frames[since:until]``."""
    sent = [r for r in ctx.frames[since:until] if is_call(action)(r)]
    for rec in sent:
        await answered(ctx, rec, step=step)
    return len(sent)


def station_sent(rec: FrameRecord, path: str, expected: Any) -> None:
    """The bench's own message meets what the case says the OCTT sends, or the bench
    is at fault (``StationDeviation``: the verdict is *error*, not the CSMS's *fail*)."""
    want = as_expectation(expected)
    value = field_at(rec.payload, path)
    if not want(value):
        raise StationDeviation(
            f"the bench's {rec.action}Request has {path} = {shown(value)}, "
            f"the case needs {want.words}"
        )


def station_sent_that(rec: FrameRecord, ok: bool, needs: str) -> None:
    """Like ``station_sent`` for a condition on the whole message (``needs`` says it)."""
    if not ok:
        raise StationDeviation(
            f"the bench's {rec.action}Request does not have {needs}: {shown(rec.payload)}"
        )


def sampled_contexts(payload: dict[str, Any]) -> list[str]:
    """Every sampledValue context in a message's meterValue, in order (default
    Sample.Periodic, part 2 SampledValueType)."""
    return [
        sv.get("context", "Sample.Periodic")
        for mv in payload.get("meterValue") or ()
        for sv in mv.get("sampledValue") or ()
    ]


def signed_values(payload: dict[str, Any]) -> int:
    return sum(
        1
        for mv in payload.get("meterValue") or ()
        for sv in mv.get("sampledValue") or ()
        if "signedMeterValue" in sv
    )


def _tx_state(payload: dict[str, Any]) -> str | None:
    return (payload.get("transactionInfo") or {}).get("chargingState")


async def charging(ctx: CaseRun, *, since: int, step: int | None = None) -> FrameRecord:
    """EnergyTransferStarted part 2: the station's TransactionEvent that reports
    chargingState Charging (ChargingStateChanged, or merged into the event of the
    plug or the authorization that let energy flow), answered by the CSMS."""
    rec = await station_event(
        ctx,
        "TransactionEvent",
        since=since,
        what="the station's TransactionEvent with chargingState Charging",
        test=lambda p: _tx_state(p) == "Charging",
    )
    await answered(ctx, rec, step=step)
    cid = evse_of(ctx)
    if not await ctx.station.wait_status(cid, "Charging", ctx.settings.timeout):
        raise Inconclusive(f"connector {cid} did not start charging")
    return rec


async def energy_transfer_started(ctx: CaseRun, *, step: int | None = None) -> FrameRecord:
    """Reusable State EnergyTransferStarted from Booted: Authorized, then the EV plugged
    in and charging (§3.18 part 1 and 2). Returns the station's Charging event."""
    await states.authorized(ctx, step=step)
    since = ctx.mark()
    ctx.station.plug_in(evse_of(ctx), ctx.settings.ev_template)
    return await charging(ctx, since=since, step=step)


async def ev_connected_post_session(ctx: CaseRun, *, step: int | None = None) -> None:
    """Reusable States StopAuthorized and EVConnectedPostSession: the driver presents the
    card again; with TxStopPoint EVConnected the transaction goes on, energy stops."""
    since = ctx.mark()
    await states.stop_authorized(ctx, step=step)
    rec = await station_event(
        ctx,
        "TransactionEvent",
        since=since,
        what="the station's TransactionEvent with chargingState EVConnected",
        test=lambda p: _tx_state(p) == "EVConnected",
    )
    await answered(ctx, rec, step=step)


async def ev_disconnected(ctx: CaseRun, *, step: int | None = None) -> FrameRecord:
    """Reusable State EVDisconnected: the cable comes out and the transaction ends.
    Returns the station's Ended TransactionEvent (already answered by the CSMS)."""
    since = ctx.mark()
    ctx.station.unplug(evse_of(ctx))
    rec = await station_event(
        ctx,
        "TransactionEvent",
        since=since,
        what="the station's TransactionEvent Ended",
        test=lambda p: p.get("eventType") == "Ended",
    )
    await answered(ctx, rec, step=step)
    return rec


def transaction_id(rec: FrameRecord) -> str | None:
    info = rec.payload.get("transactionInfo") if isinstance(rec.payload, dict) else None
    return (info or {}).get("transactionId")
