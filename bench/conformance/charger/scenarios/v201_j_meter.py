"""2.0.1 block J, Meter values: clock-aligned and sampled meter values (J01, J02).

Every case assumes the station has an energy meter (prerequisite); the intervals are
the bench's short ``INTERVAL`` and the "transaction duration" a few of them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_metering import (
    INTERVAL,
    check_aligned,
    check_contexts,
    check_intervals,
    check_measurands,
    check_signed,
    configured,
    ended_event,
    measurands,
    meter_value_requests,
    tx_events,
)
from bench.conformance.charger.states_provisioning import get_one
from bench.conformance.charger.states_sessions import end_session
from bench.conformance.expect import present

ALIGNED = "AlignedDataCtrlr"
SAMPLED = "SampledDataCtrlr"
TX_PHYSICAL = ("present_token", "plug_in", "unplug")
MV = "MeterValuesRequest"
TE = "TransactionEventRequest"


async def wait_for_count(
    ctx: ChargerRun, action: str, count: int, *, since: int, step: int, match: Any, what: str
) -> list[dict[str, Any]]:
    """The first ``count`` ``action`` requests from ``since`` that ``match``."""
    found: list[dict[str, Any]] = []
    mark = since
    for _ in range(count):
        rec = await ctx.station_frame(
            action,
            step=step,
            since=mark,
            match=match,
            what=what,
            timeout=ctx.settings.timeout + INTERVAL * 2,
        )
        mark = ctx.frames.index(rec) + 1
        found.append(rec.payload if isinstance(rec.payload, dict) else {})
    return found


def _stamp(message: dict[str, Any]) -> str:
    return str(((message.get("meterValue") or [{}])[0]).get("timestamp", ""))


def _clock_te(p: dict[str, Any]) -> bool:
    return p.get("triggerReason") == "MeterValueClock"


# ---------------------------------------------------------------- J01 clock-aligned
@scenario("TC_J_01_CS")
async def aligned_idle(ctx: ChargerRun) -> None:
    async with configured(ctx, {f"{ALIGNED}/Interval": str(INTERVAL)}):
        wanted = await measurands(ctx, f"{ALIGNED}/Measurands")
        since = ctx.mark()
        # The OCTT ends the case after three MeterValues messages; one moment may take
        # three (one per EVSE and the main meter), so the bench waits for a second
        # moment too, for the interval between them.
        messages = await wait_for_count(
            ctx, "MeterValues", 3, since=since, step=1, match=None, what="a MeterValuesRequest"
        )
        first = _stamp(messages[0])
        if all(_stamp(m) == first for m in messages):
            messages += await wait_for_count(
                ctx,
                "MeterValues",
                1,
                since=ctx.mark(),
                step=1,
                match=lambda p: _stamp(p) != first,
                what="a MeterValuesRequest of the next aligned moment",
            )
    for message in messages:
        values = message.get("meterValue") or []
        check_contexts(ctx, 1, MV, values, "Sample.Clock")
        check_measurands(ctx, 1, MV, values, wanted)
    stamps = [mv.get("timestamp", "") for m in messages for mv in m.get("meterValue") or []]
    check_intervals(ctx, None, MV, stamps, INTERVAL)


@scenario("TC_J_02_CS", physical=TX_PHYSICAL)
async def aligned_transaction(ctx: ChargerRun) -> None:
    values = {f"{ALIGNED}/Interval": str(INTERVAL)}
    if await v201.get_variable(ctx, f"{ALIGNED}/SendDuringIdle") is not None:
        values[f"{ALIGNED}/SendDuringIdle"] = "false"
    async with configured(ctx, values):
        wanted = await measurands(ctx, f"{ALIGNED}/Measurands")
        await v201.energy_transfer_started(ctx)
        since = ctx.mark()
        # Steps 1-4 in any order; the case ends after the transaction duration, when
        # at least two clock-aligned moments were reported in TransactionEvents.
        clock_events = await wait_for_count(
            ctx,
            "TransactionEvent",
            2,
            since=since,
            step=3,
            match=_clock_te,
            what="a TransactionEvent with triggerReason MeterValueClock",
        )
        until = ctx.mark()
    for event in clock_events:
        ctx.check(3, TE, event, "triggerReason", "MeterValueClock")
        check_contexts(ctx, 3, TE, event.get("meterValue") or [], "Sample.Clock")
        check_measurands(ctx, 3, TE, event.get("meterValue") or [], wanted)
    stamps = [mv.get("timestamp", "") for e in clock_events for mv in e.get("meterValue") or []]
    check_intervals(ctx, None, TE, stamps, INTERVAL)
    requests = meter_value_requests(ctx, since, until)
    for message in requests:
        check_contexts(ctx, 1, MV, message.get("meterValue") or [], "Sample.Clock")
        check_measurands(ctx, 1, MV, message.get("meterValue") or [], wanted)
    if len({mv.get("timestamp") for m in requests for mv in m.get("meterValue") or []}) > 1:
        check_intervals(
            ctx,
            None,
            MV,
            [mv.get("timestamp", "") for m in requests for mv in m.get("meterValue") or []],
            INTERVAL,
        )


async def _ended_with_aligned(ctx: ChargerRun, *, signed: bool) -> None:
    """TC_J_03_CS / TC_J_04_CS: clock-aligned readings in the TransactionEvent Ended."""
    values = {
        f"{ALIGNED}/TxEndedInterval": str(INTERVAL),
        f"{SAMPLED}/TxEndedMeasurands": "",
    }
    if await v201.get_variable(ctx, f"{ALIGNED}/SendDuringIdle") is not None:
        values[f"{ALIGNED}/SendDuringIdle"] = "false"
    if signed:
        values[f"{ALIGNED}/SignReadings"] = "true"
    async with configured(ctx, values):
        wanted = await measurands(ctx, f"{ALIGNED}/TxEndedMeasurands")
        rule = (
            await get_one(ctx, "OCPPCommCtrlr", "PublicKeyWithSignedMeterValue", step=None)
        ).get("attributeValue")
        await v201.energy_transfer_started(ctx)
        await asyncio.sleep(INTERVAL * 2 + 0.5)  # <Configured transaction duration>
        since = ctx.mark()
        await end_session(ctx, step=1, all_states=True)  # ParkingBayUnoccupied
        ended = await ended_event(ctx, since=since, step=None)
    meter = ended.get("meterValue") or []
    clock = [
        mv for mv in meter if (mv.get("sampledValue") or [{}])[0].get("context") == "Sample.Clock"
    ]
    check_contexts(ctx, None, f"{TE} (Ended)", clock or meter, "Sample.Clock")
    check_measurands(ctx, None, f"{TE} (Ended)", clock or meter, wanted, context="Sample.Clock")
    check_intervals(ctx, None, f"{TE} (Ended)", [mv.get("timestamp", "") for mv in clock], INTERVAL)
    if signed:
        check_signed(ctx, None, f"{TE} (Ended)", clock or meter, rule)


@scenario("TC_J_03_CS", physical=TX_PHYSICAL)
async def aligned_ended(ctx: ChargerRun) -> None:
    await _ended_with_aligned(ctx, signed=False)


@scenario("TC_J_04_CS", physical=TX_PHYSICAL)
async def aligned_signed(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-42")  # part 5: Signed Metervalues
    await _ended_with_aligned(ctx, signed=True)


@scenario("TC_J_06_CS", physical=TX_PHYSICAL)
async def aligned_only_when_idle(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-28")  # part 5: AlignedDataSendDuringIdle
    async with configured(
        ctx, {f"{ALIGNED}/Interval": str(INTERVAL), f"{ALIGNED}/SendDuringIdle": "true"}
    ):
        wanted = await measurands(ctx, f"{ALIGNED}/Measurands")
        since = ctx.mark()
        before = await wait_for_count(
            ctx, "MeterValues", 1, since=since, step=1, match=None, what="a MeterValuesRequest"
        )
        await v201.energy_transfer_started(ctx, step=3)
        await asyncio.sleep(INTERVAL + 5)  # step 6 comes after the interval + 5 s
        stopping = ctx.mark()
        await end_session(ctx, step=6, all_states=True)
        ended = ctx.mark()
        after = await wait_for_count(
            ctx, "MeterValues", 1, since=ended, step=7, match=None, what="a MeterValuesRequest"
        )
    # The transaction was active from its Started to its Ended event.
    started = _frame_of(ctx, since, "Started")
    stopped = _frame_of(ctx, stopping, "Ended")
    for step, message in ((1, before[0]), (7, after[0])):
        check_contexts(ctx, step, MV, message.get("meterValue") or [], "Sample.Clock")
        check_measurands(ctx, step, MV, message.get("meterValue") or [], wanted)
    during = meter_value_requests(ctx, started, stopped)
    clock_events = [
        e
        for e in tx_events(ctx, started, stopped)
        if any(
            s.get("context") == "Sample.Clock"
            for mv in e.get("meterValue") or []
            for s in mv.get("sampledValue") or []
        )
    ]
    ctx.check_that(
        None,
        "MeterValuesRequest / TransactionEventRequest",
        "(during the transaction)",
        not during and not clock_events,
        "no clock-aligned meter values while the transaction was active",
        f"{len(during)} MeterValuesRequest, {len(clock_events)} TransactionEventRequest",
    )
    # Post-validation: the idle samples before and after keep the aligned grid.
    stamps = [
        mv.get("timestamp", "") for m in (before[0], after[0]) for mv in m.get("meterValue") or []
    ]
    check_aligned(ctx, None, MV, stamps, INTERVAL)


def _frame_of(ctx: ChargerRun, since: int, event_type: str) -> int:
    """The frame index of the station's TransactionEvent ``event_type`` from ``since`` on."""
    for index in range(since, len(ctx.frames)):
        rec = ctx.frames[index]
        payload = rec.payload if isinstance(rec.payload, dict) else {}
        ours = rec.direction == "rx" and rec.type == "CALL" and rec.action == "TransactionEvent"
        if ours and payload.get("eventType") == event_type:
            return index
    return len(ctx.frames)


# ---------------------------------------------------------------- J02 sampled
def _started(events: list[dict[str, Any]]) -> dict[str, Any]:
    return next((e for e in events if e.get("eventType") == "Started"), {})


@scenario("TC_J_07_CS", physical=TX_PHYSICAL)
async def sampled_started_evse_known(ctx: ChargerRun) -> None:
    start_point = await v201.get_variable(ctx, "TxCtrlr/TxStartPoint") or ""
    if "ParkingBayOccupancy" in start_point:
        ctx.not_applicable("the station's TxStartPoint contains ParkingBayOccupancy")
    async with configured(ctx, {"TxCtrlr/TxStartPoint": "EVConnected"}):
        wanted = await measurands(ctx, f"{SAMPLED}/TxStartedMeasurands")
        since = ctx.mark()
        await v201.ev_connected(ctx, step=1)  # EVConnectedPreSession
        # EnergyTransferStarted, Part 2 (the EV is connected already): Authorized first.
        await v201.authorized(ctx, step=2)
        await ctx.station_request(
            "TransactionEvent",
            step=2,
            since=since,
            match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
            what="a TransactionEvent with chargingState Charging",
        )
        started = _started(tx_events(ctx, since))
    ctx.check(None, TE, started, "eventType", "Started")
    meter = started.get("meterValue") or []
    ctx.check(None, f"{TE} (Started)", started, "meterValue", present())
    check_contexts(ctx, None, f"{TE} (Started)", meter, "Transaction.Begin")
    check_measurands(ctx, None, f"{TE} (Started)", meter, wanted)


@scenario("TC_J_08_CS", physical=TX_PHYSICAL)
async def sampled_begin_evse_unknown(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-09.2")  # part 5: Start transaction options - Authorized
    async with configured(ctx, {"TxCtrlr/TxStartPoint": "Authorized"}):
        wanted = await measurands(ctx, f"{SAMPLED}/TxStartedMeasurands")
        since = ctx.mark()
        await v201.energy_transfer_started(ctx, step=1)
        events = tx_events(ctx, since)
    first = next((e for e in events if (e.get("evse") or {}).get("id") is not None), {})
    message = f"{TE} (first with evse)"
    meter = first.get("meterValue") or []
    ctx.check(None, message, first, "meterValue", present())
    begin = [
        mv
        for mv in meter
        if (mv.get("sampledValue") or [{}])[0].get("context") == "Transaction.Begin"
    ]
    check_contexts(ctx, None, message, begin or meter, "Transaction.Begin")
    check_measurands(ctx, None, message, begin or meter, wanted, context="Transaction.Begin")


@scenario("TC_J_09_CS", physical=TX_PHYSICAL)
async def sampled_updated(ctx: ChargerRun) -> None:
    async with configured(ctx, {f"{SAMPLED}/TxUpdatedInterval": str(INTERVAL)}):
        wanted = await measurands(ctx, f"{SAMPLED}/TxUpdatedMeasurands")
        await v201.energy_transfer_started(ctx)
        since = ctx.mark()
        periodic = await wait_for_count(
            ctx,
            "TransactionEvent",
            2,
            since=since,
            step=1,
            match=lambda p: p.get("triggerReason") == "MeterValuePeriodic",
            what="a TransactionEvent with triggerReason MeterValuePeriodic",
        )
    for event in periodic:
        ctx.check(1, TE, event, "triggerReason", "MeterValuePeriodic")
        check_contexts(ctx, 1, TE, event.get("meterValue") or [], "Sample.Periodic")
        check_measurands(ctx, 1, TE, event.get("meterValue") or [], wanted)
    stamps = [mv.get("timestamp", "") for e in periodic for mv in e.get("meterValue") or []]
    check_intervals(ctx, None, TE, stamps, INTERVAL)


async def _ended_with_sampled(ctx: ChargerRun, *, signed: bool) -> None:
    """TC_J_10_CS / TC_J_11_CS: sampled readings in the TransactionEvent Ended."""
    values = {
        f"{SAMPLED}/TxEndedInterval": str(INTERVAL),
        f"{ALIGNED}/TxEndedMeasurands": "",
    }
    if signed:
        values[f"{SAMPLED}/SignReadings"] = "true"
    async with configured(ctx, values):
        wanted = await measurands(ctx, f"{SAMPLED}/TxEndedMeasurands")
        rule = (
            await get_one(ctx, "OCPPCommCtrlr", "PublicKeyWithSignedMeterValue", step=None)
        ).get("attributeValue")
        await v201.energy_transfer_started(ctx)
        await asyncio.sleep(INTERVAL * 2 + 0.5)  # <Configured transaction duration>
        since = ctx.mark()
        await end_session(ctx, step=1, all_states=True)  # ParkingBayUnoccupied
        ended = await ended_event(ctx, since=since, step=None)
    meter = ended.get("meterValue") or []
    message = f"{TE} (Ended)"
    check_contexts(
        ctx, None, message, meter, "Sample.Periodic", "Transaction.Begin", "Transaction.End"
    )
    contexts = {s.get("context") for mv in meter for s in mv.get("sampledValue") or []}
    ctx.check_that(
        None,
        message,
        "sampledValue[].context",
        "Sample.Periodic" in contexts and "Transaction.End" in contexts,
        "Sample.Periodic, and one Transaction.End",
        ", ".join(sorted(str(c) for c in contexts)),
    )
    periodic = [
        mv
        for mv in meter
        if (mv.get("sampledValue") or [{}])[0].get("context") == "Sample.Periodic"
    ]
    check_measurands(ctx, None, message, periodic or meter, wanted, context="Sample.Periodic")
    check_intervals(ctx, None, message, [mv.get("timestamp", "") for mv in periodic], INTERVAL)
    if signed:
        check_signed(ctx, None, message, meter, rule)


@scenario("TC_J_10_CS", physical=TX_PHYSICAL)
async def sampled_ended(ctx: ChargerRun) -> None:
    await _ended_with_sampled(ctx, signed=False)


@scenario("TC_J_11_CS", physical=TX_PHYSICAL)
async def sampled_signed(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-42")  # part 5: Signed Metervalues
    await _ended_with_sampled(ctx, signed=True)
