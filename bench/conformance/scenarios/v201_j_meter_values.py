"""2.0.1 block J, MeterValues: CSMS test cases (part 6 §3.11).

No case has a manual action or a tool validation: the station sends clock-aligned
or sampled meter values (MeterValuesRequest, or TransactionEvents carrying
meterValue) and the CSMS must answer every one. The "<Configured ...>" intervals
are the bench's station's own device model (AlignedDataCtrlr / SampledDataCtrlr),
set before it boots, at 1 s so a case takes a few seconds.

Ended events carry readings taken every TxEndedInterval (E06.FR.11). A case waits
for proof that one was taken before it ends the transaction: the Updated event of
the interval of the same length and alignment (MeterValueClock for the aligned
controller, MeterValuePeriodic for the sampled one), sampled at the same instant.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

from bench.conformance import states
from bench.conformance.case_run import CaseRun
from bench.conformance.scenarios import scenario
from bench.conformance.states_charging import (
    answered,
    charging,
    energy_transfer_started,
    ev_connected_post_session,
    ev_disconnected,
    every_answered,
    evse_of,
    prepare,
    sampled_contexts,
    signed_values,
    station_event,
    station_sent,
    station_sent_that,
)
from bench.kernel.frames import FrameRecord
from bench.ocpp.common.timestamps import parse_iso

INTERVAL_S = 1  # <Configured clock-aligned / sampled Meter Values interval>
ALIGNED = "AlignedDataCtrlr"
SAMPLED = "SampledDataCtrlr"


def _stamp(rec: FrameRecord) -> datetime | None:
    values = rec.payload.get("meterValue") or [{}]
    return parse_iso(str(values[0].get("timestamp", "")))


async def _updates(
    ctx: CaseRun, trigger: str, context: str, *, count: int, since: int, step: int | None
) -> list[FrameRecord]:
    """``count`` of the station's Updated TransactionEvents with ``trigger`` (one each
    interval), each answered by the CSMS (at step + 1; None: a preparation)."""
    out: list[FrameRecord] = []
    for _ in range(count):
        rec = await station_event(
            ctx,
            "TransactionEvent",
            since=since,
            what=f"the station's TransactionEvent ({trigger})",
            test=lambda p: p.get("triggerReason") == trigger,
            timeout=ctx.settings.timeout + INTERVAL_S,
        )
        since = ctx.frames.index(rec) + 1
        station_sent(rec, "eventType", "Updated")
        station_sent_that(rec, context in sampled_contexts(rec.payload), f"context {context}")
        await answered(ctx, rec, step=None if step is None else step + 1)
        out.append(rec)
    if context == "Sample.Clock":
        _spaced(out)  # stamped with their boundary; sampled ones with when a busy loop ran
    return out


def _spaced(sent: list[FrameRecord]) -> None:
    """The timestamps of successive clock-aligned messages are one interval apart (what the
    case says of the station's side)."""
    for before, after in pairwise(sent):
        a, b = _stamp(before), _stamp(after)
        gap = (b - a).total_seconds() if a and b else None
        station_sent_that(
            after,
            gap is not None and abs(gap - INTERVAL_S) < 0.5,
            f"a timestamp {INTERVAL_S} s after the previous one (gap {gap})",
        )


# ------------------------------------------------------------------ J01 clock-aligned
@scenario("TC_J_01_CSMS")
async def aligned_without_transaction(ctx: CaseRun) -> None:
    # J01.FR.18: clock-aligned MeterValues for EVSE 0 and every EVSE, each answered.
    await prepare(ctx, {f"{ALIGNED}/Interval": str(INTERVAL_S)})
    await states.booted(ctx)
    since = ctx.mark()
    by_evse: dict[int, list[FrameRecord]] = {}
    for _ in range(3):  # OCTT ends the case after three messages
        rec = await station_event(
            ctx,
            "MeterValues",
            since=since,
            what="the station's clock-aligned MeterValuesRequest",
            timeout=ctx.settings.timeout + INTERVAL_S,
        )
        since = ctx.frames.index(rec) + 1
        station_sent_that(
            rec, set(sampled_contexts(rec.payload)) == {"Sample.Clock"}, "context Sample.Clock"
        )
        await answered(ctx, rec, step=2)
        by_evse.setdefault(rec.payload.get("evseId", -1), []).append(rec)
    for sent in by_evse.values():
        _spaced(sent)


@scenario("TC_J_02_CSMS")
async def aligned_during_transaction(ctx: CaseRun) -> None:
    # J01.FR.18 (J01.FR.14/22 of the station): MeterValueClock events for the EVSE in a
    # transaction, MeterValues for EVSE 0; the CSMS answers all of them.
    await prepare(ctx, {f"{ALIGNED}/Interval": str(INTERVAL_S)})
    await states.booted(ctx)
    await energy_transfer_started(ctx)
    since = ctx.mark()
    sent = await _updates(ctx, "MeterValueClock", "Sample.Clock", count=2, since=since, step=3)
    # Step 1-2: the MeterValues of EVSE 0 (and of idle EVSEs) meanwhile, each answered.
    await every_answered(ctx, "MeterValues", since=since, until=ctx.frames.index(sent[-1]), step=2)


async def _ended_with_interval_readings(
    ctx: CaseRun, controller: str, *, signed: bool = False
) -> None:
    """J01 / J02 Ended: readings every ``controller``.TxEndedInterval, then the
    Transaction.End one, in the Ended event the CSMS must answer."""
    trigger, context = (
        ("MeterValueClock", "Sample.Clock")
        if controller == ALIGNED
        else ("MeterValuePeriodic", "Sample.Periodic")
    )
    interval = "Interval" if controller == ALIGNED else "TxUpdatedInterval"
    variables = {
        f"{controller}/TxEndedInterval": str(INTERVAL_S),
        f"{controller}/{interval}": str(INTERVAL_S),
    }
    if signed:
        variables[f"{controller}/SignReadings"] = "true"
    await prepare(ctx, variables)
    await states.booted(ctx)
    await energy_transfer_started(ctx)
    # The <Configured transaction duration>: until one interval's reading was taken.
    await _updates(ctx, trigger, context, count=1, since=ctx.mark(), step=None)
    await ev_connected_post_session(ctx)
    ended = await ev_disconnected(ctx, step=1)
    contexts = sampled_contexts(ended.payload)
    station_sent_that(
        ended,
        context in contexts and bool(contexts) and contexts[-1] == "Transaction.End",
        f"meterValue with {context} readings and Transaction.End last",
    )
    if signed:
        # J01.FR.21 / J02.FR.21: the readings carry signedMeterValue.
        station_sent_that(ended, signed_values(ended.payload) > 0, "a signedMeterValue")


@scenario("TC_J_03_CSMS")
async def aligned_in_ended(ctx: CaseRun) -> None:
    # J01.FR.18: AlignedDataCtrlr.TxEndedInterval readings in the Ended event.
    await _ended_with_interval_readings(ctx, ALIGNED)


@scenario("TC_J_04_CSMS")
async def aligned_signed(ctx: CaseRun) -> None:
    # J01.FR.21: the same, signed (AlignedDataCtrlr.SignReadings).
    await _ended_with_interval_readings(ctx, ALIGNED, signed=True)


# ------------------------------------------------------------------ J02 sampled
def _begins(rec: FrameRecord) -> bool:
    return "Transaction.Begin" in sampled_contexts(rec.payload)


@scenario("TC_J_07_CSMS")
async def sampled_started_evse_known(ctx: CaseRun) -> None:
    # J02.FR.19: EVConnectedPreSession; the Started event carries Transaction.Begin readings.
    await prepare(ctx)
    await states.booted(ctx)
    since = ctx.mark()
    ctx.station.plug_in(evse_of(ctx), ctx.settings.ev_template)
    rec = await station_event(
        ctx,
        "TransactionEvent",
        since=since,
        what="the station's TransactionEvent (CablePluggedIn)",
        test=lambda p: p.get("triggerReason") == "CablePluggedIn",
    )
    station_sent_that(rec, _begins(rec), "meterValue with context Transaction.Begin")
    await answered(ctx, rec, step=1)


@scenario("TC_J_08_CSMS")
async def sampled_started_evse_unknown(ctx: CaseRun) -> None:
    # J02.FR.19: Authorized with no EVSE chosen yet, then the EV plugged in: a
    # TransactionEvent carries Transaction.Begin readings; then EnergyTransferStarted.
    await prepare(ctx)
    await states.booted(ctx)
    since = ctx.mark()
    ctx.station.present_id(ctx.settings.valid_id_token)  # at the station, no EVSE named
    authorize = await station_event(ctx, "Authorize", since=since, what="the station's Authorize")
    reply = await answered(ctx, authorize, step=1)
    ctx.check(1, "AuthorizeResponse", reply, "idTokenInfo.status", "Accepted")
    started = await station_event(
        ctx,
        "TransactionEvent",
        since=since,
        what="the station's TransactionEvent (Authorized)",
        test=lambda p: p.get("triggerReason") == "Authorized",
    )
    reply = await answered(ctx, started, step=1)
    ctx.check(1, "TransactionEventResponse", reply, "idTokenInfo.status", "Accepted")
    plugged = ctx.mark()
    ctx.station.plug_in(evse_of(ctx), ctx.settings.ev_template)
    charging_event = await charging(ctx, since=plugged, step=3)
    begun = [
        r
        for r in ctx.frames[since : ctx.frames.index(charging_event) + 1]
        if r.direction == "tx" and r.action == "TransactionEvent" and r.type == "CALL"
    ]
    station_sent_that(
        charging_event,
        any(_begins(r) for r in begun),
        "a TransactionEvent with context Transaction.Begin before charging",
    )


@scenario("TC_J_09_CSMS")
async def sampled_updated(ctx: CaseRun) -> None:
    # J02.FR.19 (J02.FR.11 of the station): three MeterValuePeriodic events, each answered.
    await prepare(ctx, {f"{SAMPLED}/TxUpdatedInterval": str(INTERVAL_S)})
    await states.booted(ctx)
    await energy_transfer_started(ctx)
    await _updates(ctx, "MeterValuePeriodic", "Sample.Periodic", count=3, since=ctx.mark(), step=1)


@scenario("TC_J_10_CSMS")
async def sampled_in_ended(ctx: CaseRun) -> None:
    # J02.FR.19: SampledDataCtrlr.TxEndedInterval readings in the Ended event.
    await _ended_with_interval_readings(ctx, SAMPLED)


@scenario("TC_J_11_CSMS")
async def sampled_signed(ctx: CaseRun) -> None:
    # J02.FR.21: the same, signed (SampledDataCtrlr.SignReadings).
    await _ended_with_interval_readings(ctx, SAMPLED, signed=True)
