"""2.0.1 meter values: clock-aligned MeterValues, SendDuringIdle, Ended data (J01, J02, E06)."""

from __future__ import annotations

from typing import Any

from bench.csms import v201_tx
from bench.csms.server import CentralSystem
from tests.e2e.conftest import ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

QUIET = {"SampledDataCtrlr.TxUpdatedInterval": "0"}


def events(cp: Any) -> list[dict[str, Any]]:
    return request(cp, "TransactionEvent")


async def test_clock_aligned_meter_values_for_each_evse_and_the_station(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """J01.FR.02/03/14: every AlignedDataCtrlr.Interval a MeterValues per EVSE (Outlet) and
    one for evseId 0 (the station's main meter, Inlet), context Sample.Clock."""
    cp = await make_cp201(
        csms.url,
        "MV1",
        variables={**QUIET, "AlignedDataCtrlr.Interval": "60"},
    )
    await wait_until(
        lambda: {m["evseId"] for m in request(cp, "MeterValues")} >= {0, 1},
        what="aligned MeterValues for EVSE 1 and the station",
    )
    by_evse = {m["evseId"]: m for m in request(cp, "MeterValues")}
    station = by_evse[0]["meterValue"][0]["sampledValue"][0]
    outlet = by_evse[1]["meterValue"][0]["sampledValue"][0]
    assert station["location"] == "Inlet" and outlet["location"] == "Outlet"
    assert outlet["context"] == "Sample.Clock"
    assert outlet["unitOfMeasure"]["unit"] == "Wh"
    await wait_until(lambda: v201_tx.meter_values(csms.store.conn, "MV1", evse_id=0), what="stored")


async def test_aligned_values_in_a_transaction_go_in_transaction_events(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """J01.FR.22: an EVSE in a transaction reports the aligned reading as
    Updated/MeterValueClock (Sample.Clock), not as MeterValues."""
    cp = await make_cp201(csms.url, "MV2", variables={**QUIET, "AlignedDataCtrlr.Interval": "60"})
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(
        lambda: any(e["triggerReason"] == "MeterValueClock" for e in events(cp)),
        what="MeterValueClock",
    )
    clock = next(e for e in events(cp) if e["triggerReason"] == "MeterValueClock")
    assert clock["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Clock"


async def test_send_during_idle_sends_nothing_aligned_while_a_transaction_runs(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """J01.FR.20: SendDuringIdle and a transaction running: no clock-aligned values at all."""
    cp = await make_cp201(
        csms.url,
        "MV3",
        variables={
            **QUIET,
            "AlignedDataCtrlr.Interval": "60",
            "AlignedDataCtrlr.SendDuringIdle": "true",
            "SampledDataCtrlr.TxUpdatedInterval": "60",
        },
    )
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")

    def periodic() -> int:
        return len([e for e in events(cp) if e["triggerReason"] == "MeterValuePeriodic"])

    # Idle until the Authorize round trip ends: an aligned boundary then still sends
    # MeterValues (SendDuringIdle). Count from the first periodic update, well inside
    # the transaction, when any such idle message has long been sent.
    await wait_until(lambda: periodic() >= 1, what="the transaction's first periodic update")
    before = len(request(cp, "MeterValues"))
    await wait_until(
        lambda: periodic() >= 4, what="three more periodic updates (several aligned intervals)"
    )
    assert len(request(cp, "MeterValues")) == before
    assert not any(e["triggerReason"] == "MeterValueClock" for e in events(cp))


async def test_the_ended_event_holds_begin_periodic_and_end_readings(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E06.FR.11, J02: TxEndedMeasurands at the start, every TxEndedInterval, at the end;
    TxStartedMeasurands in the Started event (E01.FR.09)."""
    cp = await make_cp201(
        csms.url,
        "MV4",
        variables={
            **QUIET,
            "SampledDataCtrlr.TxEndedInterval": "60",
            "SampledDataCtrlr.TxStartedMeasurands": "Energy.Active.Import.Register,SoC",
        },
    )
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    started = events(cp)[0]["meterValue"][0]["sampledValue"]
    assert {sv["measurand"] for sv in started} == {"Energy.Active.Import.Register", "SoC"}
    await wait_until(
        lambda: len(cp.transactions.active(1).ended_data) >= 3, what="two interval samples"
    )
    connector.unplug()
    await wait_until(lambda: len(events(cp)) >= 2, what="Ended")
    ended = events(cp)[-1]
    contexts = [mv["sampledValue"][0]["context"] for mv in ended["meterValue"]]
    assert contexts[0] == "Transaction.Begin" and contexts[-1] == "Transaction.End"
    assert "Sample.Periodic" in contexts
    registers = [mv["sampledValue"][0]["value"] for mv in ended["meterValue"]]
    assert registers == sorted(registers) and registers[-1] > registers[0]  # J02.FR.16


async def test_periodic_updates_and_ended_interval_samples_both_keep_their_pace(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """J02.FR.11 and E06.FR.11 side by side: with TxUpdatedInterval and TxEndedInterval
    both set, each timer keeps its own rhythm (one firing must not push the other back)."""
    cp = await make_cp201(
        csms.url,
        "MV5",
        variables={
            "SampledDataCtrlr.TxUpdatedInterval": "60",
            "SampledDataCtrlr.TxEndedInterval": "60",
        },
    )
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")

    def periodic() -> int:
        return len([e for e in events(cp) if e["triggerReason"] == "MeterValuePeriodic"])

    await wait_until(lambda: periodic() >= 3, what="three periodic updates")
    tx = cp.transactions.active(1)
    assert tx is not None
    contexts = [mv["sampledValue"][0]["context"] for mv in tx.ended_data]
    assert contexts.count("Sample.Periodic") >= 2


async def test_aligned_updates_and_aligned_ended_samples_both_keep_their_pace(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """J01.FR.14/22 and AlignedDataCtrlr.TxEndedInterval side by side: each aligned timer
    keeps its own rhythm (one firing must not push the other to the next boundary)."""
    cp = await make_cp201(
        csms.url,
        "MV6",
        variables={
            **QUIET,
            "AlignedDataCtrlr.Interval": "60",
            "AlignedDataCtrlr.TxEndedInterval": "60",
        },
    )
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")

    def clock_updates() -> int:
        return len([e for e in events(cp) if e["triggerReason"] == "MeterValueClock"])

    def aligned_samples() -> int:
        tx = cp.transactions.active(1)
        data = tx.ended_data if tx is not None else []
        return [mv["sampledValue"][0]["context"] for mv in data].count("Sample.Clock")

    await wait_until(lambda: aligned_samples() >= 2, what="two aligned samples for Ended")
    await wait_until(lambda: clock_updates() >= 2, what="two MeterValueClock updates")
