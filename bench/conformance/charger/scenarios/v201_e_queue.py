"""2.0.1 block E, Transactions: transaction status, offline behaviour and retries
(part 6 §2.6, CS side).

TC_E_28-34 GetTransactionStatus (E14), TC_E_40/43/44/45 transactions while offline
(E11, E12, E08), TC_E_41/42/50/51 TransactionEvent retries (E13), TC_E_46 the end of
an ISO 15118 charging process (E15).

"The OCTT closes the WebSocket connection AND does not accept a reconnect" is the
endpoint refusing the station's handshakes (``CsmsEndpoint.refusing``) until the case
accepts it again. Where a case sends GetTransactionStatus "the moment the WebSocket
connection is restored", the bench holds its replies to the station's queued events
until the station has answered, so what is queued is still queued when it asks.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_tx as tx
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_tx_offline import (
    fast_reconnect,
    offline,
    online,
    pause,
    token_known_locally,
)
from bench.conformance.charger.timing import EARLY_S, LATE_FACTOR, LATE_S
from bench.conformance.expect import absent, absent_or, present
from bench.kernel.frames import FrameRecord
from bench.ocpp.errors import ErrorKind, OcppError
from bench.ocpp.session import NoReply, Reply

TE = "TransactionEventRequest"
GTS = "GetTransactionStatusResponse"
CHARGE = ("present_token", "plug_in")


def retry_minimum(ctx: ChargerRun) -> int:
    """<Configured RetryBackOffWaitMinimum_duration>."""
    return int(
        ctx.settings.extra.get("retry_backoff_wait_minimum", str(ctx.settings.retry_interval))
    )


def meter_interval(ctx: ChargerRun) -> int:
    """<Configured transaction_update_metricvalues_interval>: below the back-off minimum."""
    return int(ctx.settings.extra.get("tx_updated_interval", "1"))


async def offline_configuration(ctx: ChargerRun, *, extra_wait: int = 0, sampled: bool) -> int:
    """The configuration of the offline cases; returns the back-off wait minimum."""
    wait = retry_minimum(ctx) + extra_wait
    values = {
        "OCPPCommCtrlr/OfflineThreshold": str(wait + 60),
        "OCPPCommCtrlr/RetryBackOffWaitMinimum": str(wait),
        "OCPPCommCtrlr/RetryBackOffRandomRange": "0",
    }
    if sampled:
        values["SampledDataCtrlr/TxUpdatedMeasurands"] = "Energy.Active.Import.Register"
        values["SampledDataCtrlr/TxUpdatedInterval"] = str(meter_interval(ctx))
    await v201.configure(ctx, values)
    return wait


class HeldReplies:
    """Replies to the station's TransactionEvents, held until ``release`` (bounded)."""

    def __init__(self, ctx: ChargerRun) -> None:
        self.ctx = ctx
        self.released = asyncio.Event()

    async def answer(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            await asyncio.wait_for(self.released.wait(), self.ctx.settings.timeout)
        except TimeoutError:
            pass  # the case goes on; the reply is only late
        return self.ctx.default_answer("TransactionEvent", payload)

    def release(self) -> None:
        self.released.set()
        self.ctx.endpoint.overrides.pop("TransactionEvent", None)


async def queued_events(ctx: ChargerRun, *, since: int, step: int | None) -> list[dict[str, Any]]:
    """The TransactionEventRequests the station sends from ``since`` on while it empties
    its queue: the first within the time limit, the rest until one second passes without
    another (or a live one, without ``offline``, comes)."""
    first = await tx.tx_event(ctx, since=since, step=step)
    events = [first]
    mark = tx.after(ctx, first)
    for _ in range(500):
        rec = await ctx.find_frame(
            lambda r: r.direction == "rx" and r.type == "CALL" and r.action == "TransactionEvent",
            since=mark,
            timeout=1.0,
        )
        if rec is None or not isinstance(rec.payload, dict) or not rec.payload.get("offline"):
            break
        await tx.validated(ctx, rec, step)
        tx.note_event(ctx, rec.payload)
        events.append(tx.remember(ctx, rec.payload))
        mark = ctx.frames.index(rec) + 1
    return events


async def transaction_status(
    ctx: ChargerRun, transaction_id: str | None, *, step: int
) -> dict[str, Any]:
    payload = {} if transaction_id is None else {"transactionId": transaction_id}
    return await ctx.request("GetTransactionStatus", payload, step=step)


# ---------------------------------------------------------------- E14: transaction status
@scenario("TC_E_28_CS")
async def status_unknown_id(ctx: ChargerRun) -> None:
    reply = await transaction_status(ctx, f"UNKNOWN-{uuid.uuid4().hex[:12]}", step=1)
    ctx.check(2, GTS, reply, "ongoingIndicator", False)
    ctx.check(2, GTS, reply, "messagesInQueue", False)


@scenario("TC_E_34_CS")
async def status_no_id_nothing_queued(ctx: ChargerRun) -> None:
    reply = await transaction_status(ctx, None, step=1)
    ctx.check(2, GTS, reply, "ongoingIndicator", absent())
    ctx.check(2, GTS, reply, "messagesInQueue", False)


@scenario("TC_E_30_CS", physical=CHARGE)
async def status_ongoing_nothing_queued(ctx: ChargerRun) -> None:
    await tx.charging_local(ctx, step=None)
    await tx.settled(ctx)  # no message of the transaction still queued
    reply = await transaction_status(ctx, v201.transaction_id(ctx), step=1)
    ctx.check(2, GTS, reply, "ongoingIndicator", True)
    ctx.check(2, GTS, reply, "messagesInQueue", False)


@scenario("TC_E_32_CS", physical=(*CHARGE, "unplug"))
async def status_ended_nothing_queued(ctx: ChargerRun) -> None:
    await tx.charging_local(ctx, step=None)
    await tx.full_stop_local(ctx, step=None)
    await tx.settled(ctx)
    reply = await transaction_status(ctx, v201.transaction_id(ctx), step=1)
    ctx.check(2, GTS, reply, "ongoingIndicator", False)
    ctx.check(2, GTS, reply, "messagesInQueue", False)


async def _offline_while_charging(
    ctx: ChargerRun, transaction_id: str | None, *, ongoing: Any
) -> None:
    """TC_E_29 / TC_E_33: offline for the back-off minimum while charging; on the
    reconnect, GetTransactionStatus; then the queued meter values."""
    wait = await offline_configuration(ctx, sampled=True)
    await tx.charging_local(ctx, step=None)
    tx_id = v201.transaction_id(ctx)
    await offline(ctx)
    await asyncio.sleep(wait)  # step 2: the OCTT waits the back-off minimum
    held = HeldReplies(ctx)
    ctx.answer("TransactionEvent", held.answer)
    since = ctx.mark()
    await online(ctx)
    try:
        reply = await transaction_status(ctx, tx_id if transaction_id else None, step=3)
    finally:
        held.release()
    ctx.check(4, GTS, reply, "ongoingIndicator", ongoing)
    ctx.check(4, GTS, reply, "messagesInQueue", True)
    for event in await queued_events(ctx, since=since, step=5):
        ctx.check(5, TE, event, "eventType", "Updated")
        ctx.check(5, TE, event, "meterValue", present())
        ctx.check(5, TE, event, "offline", True)


@scenario("TC_E_29_CS", physical=CHARGE)
async def status_ongoing_queued(ctx: ChargerRun) -> None:
    await _offline_while_charging(ctx, "id", ongoing=True)


@scenario("TC_E_33_CS", physical=CHARGE)
async def status_no_id_queued(ctx: ChargerRun) -> None:
    await _offline_while_charging(ctx, None, ongoing=absent())


def transaction_duration(ctx: ChargerRun) -> int:
    """<Configured Transaction Duration>: the manual actions are automatic or prompted."""
    return int(ctx.settings.extra.get("transaction_duration", "1"))


@scenario("TC_E_31_CS", physical=(*CHARGE, "unplug", "ev_leave_bay"))
async def status_ended_queued(ctx: ChargerRun) -> None:
    duration = transaction_duration(ctx)
    await offline_configuration(ctx, extra_wait=duration, sampled=True)
    await tx.charging_local(ctx, step=None)
    tx_id = v201.transaction_id(ctx)
    await offline(ctx)
    await physical.present(ctx, step=None)  # the configured scenario is local
    await pause(ctx)
    await physical.unplug(ctx, step=None)
    if "ParkingBayOccupancy" in tx.stop_points(ctx):
        await tx.ev_leave_bay(ctx, step=None)
        await pause(ctx)
    await asyncio.sleep(duration)  # the tool waits <Configured Transaction Duration>
    held = HeldReplies(ctx)
    ctx.answer("TransactionEvent", held.answer)
    since = ctx.mark()
    await online(ctx)
    try:
        reply = await transaction_status(ctx, tx_id, step=1)
    finally:
        held.release()
    ctx.check(2, GTS, reply, "ongoingIndicator", False)
    ctx.check(2, GTS, reply, "messagesInQueue", True)
    events = await queued_events(ctx, since=since, step=3)
    # The states StopAuthorized through ParkingBayUnoccupied, from the queue.
    stop = [e for e in events if e.get("triggerReason") == "StopAuthorized"]
    ctx.check_that(3, TE, "(StopAuthorized)", bool(stop), "a StopAuthorized event", "none")
    ends = [e for e in events if e.get("eventType") == "Ended"]
    ctx.check_that(3, TE, "(Ended)", len(ends) == 1, "one Ended event", f"{len(ends)}")
    for event in ends:
        ctx.check(3, TE, event, "transactionInfo.stoppedReason", absent_or("Local"))


# ---------------------------------------------------------------- E11, E12, E08: offline
@scenario("TC_E_40_CS", physical=CHARGE)
async def connection_loss_during_transaction(ctx: ChargerRun) -> None:
    wait = await offline_configuration(ctx, sampled=True)
    await v201.configure(ctx, {"SampledDataCtrlr/Enabled": "true"})
    await tx.charging_local(ctx, step=None)
    await offline(ctx)
    await asyncio.sleep(wait)
    since = ctx.mark()
    await online(ctx)
    for event in await queued_events(ctx, since=since, step=3):
        ctx.check(3, TE, event, "eventType", "Updated")
        ctx.check(3, TE, event, "meterValue", present())
        ctx.check(3, TE, event, "offline", True)


def _all_offline_one_ended(
    ctx: ChargerRun, events: list[dict[str, Any]], step: int, *, started: bool = False
) -> None:
    for event in events:
        ctx.check(step, TE, event, "offline", True)
    kinds = [e.get("eventType") for e in events]
    if started:
        ctx.check_that(
            step, TE, "eventType", "Started" in kinds, "one eventType Started", str(kinds)
        )
    ctx.check_that(step, TE, "eventType", "Ended" in kinds, "one eventType Ended", str(kinds))


@scenario("TC_E_43_CS", physical=("plug_in", "present_token", "unplug", "ev_leave_bay"))
async def transaction_while_offline(ctx: ChargerRun) -> None:
    await tx.configure_if_implemented(ctx, {"AuthCtrlr/OfflineTxForUnknownIdEnabled": "true"})
    await fast_reconnect(ctx)
    await token_known_locally(ctx)
    await tx.known_points(ctx)
    # Memory state TransactionEventsInQueueEnded.
    await offline(ctx)
    await physical.plug_in(ctx, step=None)
    await pause(ctx)
    await physical.present(ctx, step=None)
    await pause(ctx)
    await physical.present(ctx, step=None)
    await pause(ctx)
    await physical.unplug(ctx, step=None)
    await tx.ev_leave_bay(ctx, step=None)
    await pause(ctx)
    since = ctx.mark()
    await online(ctx)
    events = await queued_events(ctx, since=since, step=2)
    _all_offline_one_ended(ctx, events, 2, started=True)


@scenario("TC_E_44_CS", physical=(*CHARGE, "unplug", "ev_leave_bay"))
async def stop_while_offline(ctx: ChargerRun) -> None:
    await offline_configuration(ctx, sampled=False)
    await tx.charging_local(ctx, step=None)
    await offline(ctx)
    await physical.present(ctx, step=None)
    await pause(ctx)
    await physical.unplug(ctx, step=None)
    if "ParkingBayOccupancy" in tx.stop_points(ctx):
        await tx.ev_leave_bay(ctx, step=None)
        await pause(ctx)
    since = ctx.mark()
    await online(ctx)
    _all_offline_one_ended(ctx, await queued_events(ctx, since=since, step=3), 3)


def group_token(ctx: ChargerRun) -> dict[str, str]:
    """<Configured GroupIdToken>."""
    return {"idToken": ctx.settings.extra.get("group_id_token", "GROUP-1"), "type": "Central"}


def second_token(ctx: ChargerRun) -> dict[str, str]:
    """<Configured valid idtoken fields2>."""
    return {
        "idToken": ctx.settings.extra.get("valid_id_token2", "TAG2"),
        "type": ctx.settings.valid_id_token_type,
    }


@scenario("TC_E_45_CS", physical=(*CHARGE, "unplug", "ev_leave_bay"))
async def stop_while_offline_same_group(ctx: ChargerRun) -> None:
    tx.needs(ctx, "Authorization cache or Local Authorization List", "C-49", "LA-1")
    await offline_configuration(ctx, sampled=False)
    group = group_token(ctx)
    other = second_token(ctx)
    # Memory state IdTokenLocalAuthList for the second token with the group.
    reply = await ctx.request(
        "SendLocalList",
        {
            "versionNumber": 1,
            "updateType": "Full",
            "localAuthorizationList": [
                {
                    "idToken": other,
                    "idTokenInfo": {"status": "Accepted", "groupIdToken": group},
                }
            ],
        },
        step=None,
    )
    ctx.require(None, "SendLocalListResponse", reply, "status", "Accepted")

    def with_group(request: dict[str, Any]) -> dict[str, Any]:
        answer = ctx.default_answer("Authorize", request)
        if answer["idTokenInfo"].get("status") == "Accepted":
            answer["idTokenInfo"]["groupIdToken"] = group
        return answer

    ctx.answer("Authorize", with_group)  # State is Authorized with <Configured GroupIdToken>
    await tx.charging_local(ctx, step=None)
    await offline(ctx)
    await physical.present(ctx, other["idToken"], step=None)
    await pause(ctx)
    await physical.unplug(ctx, step=None)
    if "ParkingBayOccupancy" in tx.stop_points(ctx):
        await tx.ev_leave_bay(ctx, step=None)
        await pause(ctx)
    since = ctx.mark()
    await online(ctx)
    _all_offline_one_ended(ctx, await queued_events(ctx, since=since, step=3), 3)


# ---------------------------------------------------------------- E13: retries
def attempts_configured(ctx: ChargerRun) -> int:
    """<Configured message Attempts transaction event> (more than 2)."""
    return int(ctx.settings.extra.get("message_attempts_transaction_event", "3"))


def attempt_interval(ctx: ChargerRun) -> int:
    """<Configured message Attempts transaction event interval>."""
    return int(ctx.settings.extra.get("message_attempt_interval_transaction_event", "1"))


def message_timeout(ctx: ChargerRun) -> int:
    """OCPPCommCtrlr.MessageTimeout[Default] the case uses: short, so a retry comes soon."""
    return int(ctx.settings.extra.get("message_timeout", "1"))


class Subject:
    """The TransactionEventRequest the OCTT does not answer (or answers with a CALLERROR):
    the first one after the EV is connected; the others get their usual answer."""

    def __init__(self, ctx: ChargerRun, mode: str) -> None:
        self.ctx = ctx
        self.mode = mode  # ignore | error | ignore_once | error_but_second
        self.key: tuple[Any, Any] | None = None
        self.count = 0

    def answer(self, payload: dict[str, Any]) -> dict[str, Any] | Reply:
        key = ((payload.get("transactionInfo") or {}).get("transactionId"), payload.get("seqNo"))
        if self.key is None:
            self.key = key
        if key != self.key:
            return self.ctx.default_answer("TransactionEvent", payload)
        self.count += 1
        if self.mode == "ignore" or (self.mode == "ignore_once" and self.count == 1):
            raise NoReply
        if self.mode == "error" or (self.mode == "error_but_second" and self.count != 2):
            raise OcppError(ErrorKind.INTERNAL_ERROR, "the test case refuses this event")
        return self.ctx.default_answer("TransactionEvent", payload)


async def _retries(ctx: ChargerRun, mode: str, *, expected: int) -> None:
    attempts, interval, timeout = (
        attempts_configured(ctx),
        attempt_interval(ctx),
        message_timeout(ctx),
    )
    await v201.configure(
        ctx,
        {
            "OCPPCommCtrlr/MessageAttempts/TransactionEvent": str(attempts),
            "OCPPCommCtrlr/MessageAttemptInterval/TransactionEvent": str(interval),
        },
    )
    await tx.configure_if_implemented(ctx, {"OCPPCommCtrlr/MessageTimeout/Default": str(timeout)})
    # Part 2 §2.1.3 makes MessageTimeout[Default] read-only (a network profile sets it):
    # the station may keep its own, and its retries wait that long.
    actual = await v201.get_variable(ctx, "OCPPCommCtrlr/MessageTimeout/Default")
    if actual is not None and actual.strip().isdigit():
        timeout = int(actual)
    await tx.known_points(ctx)
    await tx.authorized_local(ctx, step=None)
    subject = Subject(ctx, mode)
    ctx.answer("TransactionEvent", subject.answer)
    since = ctx.mark()
    first = await tx.ev_connected_pre_session(ctx, step=None)
    if first is None:
        first = await tx.tx_event(ctx, since=since, step=5)
    key = ((first.get("transactionInfo") or {}).get("transactionId"), first.get("seqNo"))
    waits_reply = mode.startswith("ignore")

    def same(rec: FrameRecord) -> bool:
        p = rec.payload if isinstance(rec.payload, dict) else {}
        return (
            rec.direction == "rx"
            and rec.type == "CALL"
            and rec.action == "TransactionEvent"
            and ((p.get("transactionInfo") or {}).get("transactionId"), p.get("seqNo")) == key
        )

    sent = [rec for rec in ctx.frames[since:] if same(rec)][:1]
    for n in range(1, expected):
        gap = interval * n + (timeout if (waits_reply and (mode == "ignore" or n == 1)) else 0)
        rec = await ctx.wait_frame(
            same,
            since=ctx.frames.index(sent[-1]) + 1,
            what=f"transmission {n + 1} of the TransactionEventRequest",
            timeout=gap * LATE_FACTOR + LATE_S,
        )
        ok = gap - EARLY_S <= rec.ts - sent[-1].ts <= gap * LATE_FACTOR + LATE_S
        ctx.check_that(
            5,
            TE,
            f"(transmission {n + 1})",
            ok,
            f"about {gap:g} s after the previous one",
            f"{rec.ts - sent[-1].ts:.1f} s after",
        )
        sent.append(rec)
    # One more iteration: the station must have stopped resending it.
    extra = interval * expected + (timeout if mode == "ignore" else 0)
    await ctx.no_station_request(
        "TransactionEvent",
        step=5,
        since=ctx.frames.index(sent[-1]) + 1,
        match=lambda p: (
            ((p.get("transactionInfo") or {}).get("transactionId"), p.get("seqNo")) == key
        ),
        within=extra + EARLY_S,
        why=f"sent {expected} times",
    )


@scenario("TC_E_41_CS", physical=CHARGE)
async def retries_exhausted(ctx: ChargerRun) -> None:
    await _retries(ctx, "ignore", expected=attempts_configured(ctx))


@scenario("TC_E_50_CS", physical=CHARGE)
async def retries_exhausted_call_error(ctx: ChargerRun) -> None:
    await _retries(ctx, "error", expected=attempts_configured(ctx))


@scenario("TC_E_42_CS", physical=CHARGE)
async def retry_succeeds(ctx: ChargerRun) -> None:
    await _retries(ctx, "ignore_once", expected=2)


@scenario("TC_E_51_CS", physical=CHARGE)
async def retry_succeeds_call_error(ctx: ChargerRun) -> None:
    await _retries(ctx, "error_but_second", expected=2)


# ---------------------------------------------------------------- E15: ISO 15118 end of charging
@scenario("TC_E_46_CS", physical=(*CHARGE, "ev_session_stop"))
async def end_of_charging_15118(ctx: ChargerRun) -> None:
    tx.needs(ctx, "ISO 15118 Support")  # the case's certification profile
    await tx.charging_local(ctx, step=None)
    since = ctx.mark()
    await ctx.physical(
        "ev_session_stop",
        "Have the EV end the charging process (ISO 15118 SessionStopReq Terminate).",
        connector_id=ctx.settings.connector_id,
    )
    event = await tx.tx_event(ctx, since=since, step=1)
    ctx.check(1, TE, event, "triggerReason", "StopAuthorized")
    ctx.check(1, TE, event, "transactionInfo.chargingState", "EVConnected")
    if {"Authorized", "PowerPathClosed", "EnergyTransfer"} & tx.stop_points(ctx):
        ctx.check(1, TE, event, "eventType", "Ended")
        ctx.check(1, TE, event, "transactionInfo.stoppedReason", "StoppedByEV")
    else:
        ctx.check(1, TE, event, "eventType", "Updated")
