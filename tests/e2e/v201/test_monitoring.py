"""Variable monitoring firing NotifyEvent over a loopback CSMS (N04, N07, N08)."""

from __future__ import annotations

import pytest

from bench.csms.server import CentralSystem
from bench.ocpp.errors import CallError
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request
from tests.e2e.v201.test_monitoring_support import (
    EVSE1,
    monitor,
    start_charging,
)


async def test_an_upper_threshold_on_evse_power_fires_notify_event_while_charging(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N04.FR.08/11, N07.FR.06/07/16: passing an UpperThreshold sends NotifyEvent Alerting;
    N07.FR.02: falling back below it sends the event again with cleared=true."""
    cp = await make_cp201(csms.url, "MON1")
    reply = await csms.call(
        "MON1",
        "SetVariableMonitoring",
        {"setMonitoringData": [monitor(EVSE1, "Power", "UpperThreshold", 1000, 4)]},
    )
    result = reply["setMonitoringResult"][0]
    assert result["status"] == "Accepted"
    monitor_id = result["id"]

    def mine(p):
        return any(e.get("variableMonitoringId") == monitor_id for e in p["eventData"])

    connector = start_charging(cp)
    sent = await csms.wait_for_message("MON1", "NotifyEvent", mine, timeout=WAIT)
    event = next(e for e in sent["eventData"] if e["variableMonitoringId"] == monitor_id)
    assert sent["seqNo"] == 0
    assert event["trigger"] == "Alerting"
    assert event["eventNotificationType"] == "CustomMonitor"
    assert event["component"] == {"name": "EVSE", "evse": {"id": 1}}
    assert event["variable"] == {"name": "Power"}
    assert float(event["actualValue"]) > 1000
    assert event["transactionId"] == cp.transactions.active(1).transaction_id
    assert "cleared" not in event

    assert connector.transaction is not None
    cp.present_id("TAG1", 1)  # the driver stops: the power goes to 0
    sent = await csms.wait_for_message("MON1", "NotifyEvent", mine, timeout=WAIT)
    event = next(e for e in sent["eventData"] if e["variableMonitoringId"] == monitor_id)
    assert event["cleared"] is True
    assert float(event["actualValue"]) <= 1000
    await wait_until(lambda: csms.store.events("MON1", "NotifyEvent"), what="events stored")


async def test_set_variable_monitoring_answers_every_status(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N04.FR.01-06, N04.FR.10, N04.FR.13, N04.FR.14, N04.FR.16, N04.FR.18."""
    await make_cp201(csms.url, "MON2")
    station = {"name": "ChargingStation"}
    data = [
        monitor({"name": "NoSuchThing"}, "Power", "Delta", 1),  # N04.FR.03
        monitor(EVSE1, "NoSuchVariable", "Delta", 1),  # N04.FR.04
        monitor(EVSE1, "AvailabilityState", "UpperThreshold", 1),  # N04.FR.05: an OptionList
        monitor(EVSE1, "Power", "UpperThreshold", 99_999),  # N04.FR.06: above maxLimit
        monitor(EVSE1, "Power", "Delta", -5),  # N04.FR.14
        monitor(EVSE1, "Power", "Delta", 100, 6, id=4242),  # N04.FR.13: no such id
        monitor(station, "AvailabilityState", "Delta", 1, 2),  # N04.FR.10: the pre-configured one
        monitor(station, "Problem", "Delta", 1, 3, id=1),  # N04.FR.18: hard-wired
        monitor(EVSE1, "Power", "LowerThreshold", 10, 6),  # accepted
        monitor(EVSE1, "Power", "LowerThreshold", 20, 6),  # N04.FR.10 duplicate of the above
    ]
    reply = await csms.call("MON2", "SetVariableMonitoring", {"setMonitoringData": data})
    statuses = [r["status"] for r in reply["setMonitoringResult"]]
    assert statuses == [
        "UnknownComponent",
        "UnknownVariable",
        "UnsupportedMonitorType",
        "Rejected",
        "Rejected",
        "Rejected",
        "Duplicate",
        "Rejected",
        "Accepted",
        "Duplicate",
    ]
    accepted = reply["setMonitoringResult"][8]
    assert "id" in accepted and "id" not in reply["setMonitoringResult"][0]
    # N04.FR.12: the same id replaces the monitor; N04.FR.16: but never its variable.
    replace = monitor(EVSE1, "Power", "LowerThreshold", 30, 6, id=accepted["id"])
    moved = monitor({"name": "EVSE", "evse": {"id": 1}}, "AvailabilityState", "Delta", 1, 6)
    moved["id"] = accepted["id"]
    reply = await csms.call(
        "MON2", "SetVariableMonitoring", {"setMonitoringData": [replace, moved]}
    )
    assert [r["status"] for r in reply["setMonitoringResult"]] == ["Accepted", "Rejected"]
    assert reply["setMonitoringResult"][0]["id"] == accepted["id"]


async def test_too_many_items_in_one_request_is_a_call_error(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N04.FR.09 and N06.FR.06: more items than ItemsPerMessage -> OccurrenceConstraintViolation."""
    await make_cp201(
        csms.url,
        "MON3",
        variables={
            "MonitoringCtrlr.ItemsPerMessage[SetVariableMonitoring]": "1",
            "MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]": "1",
        },
    )
    two = [monitor(EVSE1, "Power", "Delta", 100, 6), monitor(EVSE1, "Power", "Delta", 200, 7)]
    with pytest.raises(CallError) as err:
        await csms.call("MON3", "SetVariableMonitoring", {"setMonitoringData": two})
    assert err.value.code == "OccurrenceConstraintViolation"
    with pytest.raises(CallError) as err:
        await csms.call("MON3", "ClearVariableMonitoring", {"id": [1, 2]})
    assert err.value.code == "OccurrenceConstraintViolation"


async def test_clear_variable_monitoring_reports_per_id(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N06.FR.01 Accepted, N06.FR.02 NotFound, N06.FR.03 Rejected (hard-wired), N06.FR.05."""
    cp = await make_cp201(csms.url, "MON4")
    reply = await csms.call(
        "MON4",
        "SetVariableMonitoring",
        {"setMonitoringData": [monitor(EVSE1, "Power", "Delta", 500, 6)]},
    )
    custom = reply["setMonitoringResult"][0]["id"]
    reply = await csms.call("MON4", "ClearVariableMonitoring", {"id": [custom, 9999, 1]})
    assert reply["clearMonitoringResult"] == [
        {"id": custom, "status": "Accepted"},
        {"id": 9999, "status": "NotFound"},
        {"id": 1, "status": "Rejected"},
    ]
    assert custom not in [m.id for m in cp.monitoring.monitors()]


async def test_monitoring_report_comes_in_parts_filtered_by_criteria(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N02.FR.01/03/04/09/12/14: NotifyMonitoringReport parts with requestId, seqNo and tbc;
    N02.FR.10: EmptyResultSet."""
    cp = await make_cp201(
        csms.url,
        "MON5",
        template="ac-22kw-dual",
        variables={"DeviceDataCtrlr.ItemsPerMessage[GetReport]": "1"},
    )
    evse2 = {"name": "EVSE", "evse": {"id": 2}}
    data = [
        monitor(EVSE1, "Power", "UpperThreshold", 5000, 4),
        monitor(evse2, "Power", "LowerThreshold", 100, 4),
        monitor(EVSE1, "Power", "Periodic", 3600, 8),
    ]
    await csms.call("MON5", "SetVariableMonitoring", {"setMonitoringData": data})
    mark = csms.mark()
    reply = await csms.call(
        "MON5",
        "GetMonitoringReport",
        {"requestId": 7, "monitoringCriteria": ["ThresholdMonitoring"]},
    )
    assert reply["status"] == "Accepted"
    parts = [
        await csms.wait_for_message("MON5", "NotifyMonitoringReport", timeout=WAIT, since=mark)
        for _ in range(2)
    ]
    assert [(p["requestId"], p["seqNo"], p["tbc"]) for p in parts] == [(7, 0, True), (7, 1, False)]
    types = {m["type"] for p in parts for d in p["monitor"] for m in d["variableMonitoring"]}
    assert types == {"UpperThreshold", "LowerThreshold"}
    reply = await csms.call(
        "MON5",
        "GetMonitoringReport",
        {"requestId": 8, "componentVariable": [{"component": {"name": "TxCtrlr"}}]},
    )
    assert reply["status"] == "EmptyResultSet"
    assert len(cp.monitoring.monitors()) == 4 + 3  # hard-wired, three pre-configured, three custom


async def test_monitoring_base_switches_preconfigured_and_custom_monitors(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N03.FR.01/03/04/05: All keeps custom, HardWiredOnly drops custom and pre-configured,
    FactoryDefault restores pre-configured; ActiveMonitoringBase follows."""
    cp = await make_cp201(csms.url, "MON6")
    await csms.call(
        "MON6",
        "SetVariableMonitoring",
        {"setMonitoringData": [monitor(EVSE1, "Power", "Delta", 500, 6)]},
    )

    def kinds() -> list[str]:
        return sorted(str(m.kind) for m in cp.monitoring.monitors())

    # The station's and the EVSE's AvailabilityState monitors are pre-configured.
    PRECONFIGURED = ["PreconfiguredMonitor", "PreconfiguredMonitor"]

    assert kinds() == ["CustomMonitor", "HardWiredMonitor", *PRECONFIGURED]
    reply = await csms.call("MON6", "SetMonitoringBase", {"monitoringBase": "HardWiredOnly"})
    assert reply["status"] == "Accepted"
    assert kinds() == ["HardWiredMonitor"]
    assert cp.variable("MonitoringCtrlr", "ActiveMonitoringBase") == "HardWiredOnly"
    await csms.call("MON6", "SetMonitoringBase", {"monitoringBase": "FactoryDefault"})
    assert kinds() == ["HardWiredMonitor", *PRECONFIGURED]
    await csms.call(
        "MON6",
        "SetVariableMonitoring",
        {"setMonitoringData": [monitor(EVSE1, "Power", "Delta", 500, 6)]},
    )
    await csms.call("MON6", "SetMonitoringBase", {"monitoringBase": "All"})
    assert kinds() == ["CustomMonitor", "HardWiredMonitor", *PRECONFIGURED]


async def test_monitoring_level_filters_events_by_severity(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N05.FR.01/02/03, N07.FR.15: events of a severity above the level are not sent."""
    cp = await make_cp201(csms.url, "MON7")
    assert (await csms.call("MON7", "SetMonitoringLevel", {"severity": 10}))["status"] == "Rejected"
    assert (await csms.call("MON7", "SetMonitoringLevel", {"severity": 5}))["status"] == "Accepted"
    assert cp.variable("MonitoringCtrlr", "ActiveMonitoringLevel") == "5"
    fired = []
    cp.events.subscribe(lambda e: fired.append(e) if type(e).__name__ == "MonitorFired" else None)
    await csms.call(
        "MON7",
        "SetVariableMonitoring",
        {"setMonitoringData": [monitor(EVSE1, "AvailabilityState", "Delta", 1, 6)]},
    )
    cp.station.connector(1).plug_in(ev())
    await wait_until(lambda: any(e.monitor_id and e.monitor_id >= 100 for e in fired))
    assert not [e for e in fired if e.monitor_id and e.monitor_id >= 100 and e.reported]
    assert not [
        p
        for p in request(cp, "NotifyEvent")
        if any(d.get("variableMonitoringId", 0) >= 100 for d in p["eventData"])
    ]


async def test_a_delta_monitor_on_availability_fires_on_every_change(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N07.FR.19: a Delta on a non-numeric variable fires whenever it changes (trigger Delta)."""
    cp = await make_cp201(csms.url, "MON8")
    reply = await csms.call(
        "MON8",
        "SetVariableMonitoring",
        {"setMonitoringData": [monitor(EVSE1, "AvailabilityState", "Delta", 1, 5)]},
    )
    monitor_id = reply["setMonitoringResult"][0]["id"]
    cp.station.connector(1).plug_in(ev())
    sent = await csms.wait_for_message(
        "MON8",
        "NotifyEvent",
        lambda p: any(e.get("variableMonitoringId") == monitor_id for e in p["eventData"]),
        timeout=WAIT,
    )
    event = next(e for e in sent["eventData"] if e.get("variableMonitoringId") == monitor_id)
    assert (event["trigger"], event["actualValue"]) == ("Delta", "Occupied")


async def test_periodic_monitors_report_on_schedule(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N08.FR.05/06: Periodic every value seconds; N08.FR.07: PeriodicClockAligned on the clock."""
    cp = await make_cp201(csms.url, "MON9")
    data = [
        monitor(EVSE1, "Power", "Periodic", 60, 7),
        monitor(EVSE1, "AvailabilityState", "PeriodicClockAligned", 120, 7),
    ]
    reply = await csms.call("MON9", "SetVariableMonitoring", {"setMonitoringData": data})
    periodic, aligned = (r["id"] for r in reply["setMonitoringResult"])

    def events_of(monitor_id: int) -> list[dict]:
        return [
            e
            for p in request(cp, "NotifyEvent")
            for e in p["eventData"]
            if e.get("variableMonitoringId") == monitor_id
        ]

    # 60 virtual seconds are half a real second at SPEED.
    await wait_until(lambda: len(events_of(periodic)) >= 2, what="two periodic events")
    await wait_until(lambda: len(events_of(aligned)) >= 1, what="a clock-aligned event")
    assert {e["trigger"] for e in events_of(periodic) + events_of(aligned)} == {"Periodic"}
    # When each report comes, to the virtual second, is asserted on a manual clock
    # (tests/ocpp/v201/test_virtual_day.py): at this speed a busy machine's event-loop
    # lag is several virtual seconds, so a real-time bound here would test the machine.


async def test_an_injected_fault_is_a_hard_wired_notification_and_clears(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N07: a fault sends NotifyEvent HardWiredNotification on Problem, then cleared."""
    cp = await make_cp201(csms.url, "MON10")

    def problem(cleared: bool):
        def check(p: dict) -> bool:
            return any(
                e["eventNotificationType"] == "HardWiredNotification"
                and e["variable"]["name"] == "Problem"
                and e.get("cleared", False) == cleared
                for e in p["eventData"]
            )

        return check

    cp.station.connector(1).raise_fault("ground_failure")
    sent = await csms.wait_for_message("MON10", "NotifyEvent", problem(False), timeout=WAIT)
    event = next(e for e in sent["eventData"] if e["variable"]["name"] == "Problem")
    assert event["component"] == {"name": "Connector", "evse": {"id": 1, "connectorId": 1}}
    assert (event["trigger"], event["actualValue"], event["techCode"]) == (
        "Alerting",
        "true",
        "GF-01",
    )
    cp.station.connector(1).clear_fault()
    await csms.wait_for_message("MON10", "NotifyEvent", problem(True), timeout=WAIT)


async def test_events_wait_offline_only_when_severe_enough(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N07.FR.04: queued while offline when severity <= OfflineQueuingSeverity, else dropped."""
    cp = await make_cp201(
        csms.url, "MON11", variables={"MonitoringCtrlr.OfflineQueuingSeverity": "3"}
    )
    data = [
        monitor(EVSE1, "AvailabilityState", "Delta", 1, 3),
        monitor(
            {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
            "AvailabilityState",
            "Delta",
            1,
            6,
        ),
    ]
    reply = await csms.call("MON11", "SetVariableMonitoring", {"setMonitoringData": data})
    severe, mild = (r["id"] for r in reply["setMonitoringResult"])
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    cp.restore_network()
    sent = await csms.wait_for_message(
        "MON11",
        "NotifyEvent",
        lambda p: any(e.get("variableMonitoringId") == severe for e in p["eventData"]),
        timeout=WAIT,
    )
    assert all(e.get("variableMonitoringId") != mild for e in sent["eventData"])
    assert cp.monitoring.sender.dropped >= 1


async def test_custom_monitors_survive_a_restart(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path
) -> None:
    """N07.FR.13: monitors are persistent; N04.FR.19: a report after reboot lists them."""
    db = tmp_path / "keep.db"
    cp = await make_cp201(csms.url, "MON12", db_path=db)
    reply = await csms.call(
        "MON12",
        "SetVariableMonitoring",
        {"setMonitoringData": [monitor(EVSE1, "Power", "UpperThreshold", 3000, 4)]},
    )
    monitor_id = reply["setMonitoringResult"][0]["id"]
    await cp.stop(drain_timeout=1.0)
    again = await make_cp201(csms.url, "MON12", db_path=db)
    assert [m.id for m in again.monitoring.monitors() if m.id == monitor_id] == [monitor_id]


async def test_an_unknown_variable_of_a_component_named_without_its_evse_is_unknown_variable(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N04.FR.04 (TC_N_37_CS): "EVSE" without an evse id names a component the station has,
    so a variable it lacks is UnknownVariable; N04.FR.03: a component it lacks stays
    UnknownComponent, and so does an EVSE it does not have."""
    await make_cp201(csms.url, "MON37")
    data = [
        monitor({"name": "EVSE"}, "unknownVariable", "Delta", 1),
        monitor({"name": "NonExistent"}, "unknownVariable", "Delta", 1),
        monitor({"name": "EVSE", "evse": {"id": 99}}, "AvailabilityState", "Delta", 1),
    ]
    reply = await csms.call("MON37", "SetVariableMonitoring", {"setMonitoringData": data})
    statuses = [r["status"] for r in reply["setMonitoringResult"]]
    assert statuses == ["UnknownVariable", "UnknownComponent", "UnknownComponent"]


async def test_the_station_availability_monitor_is_pre_configured_and_problem_is_hard_wired(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N03.FR.04 (TC_N_06_CS): HardWiredOnly removes the ChargingStation AvailabilityState
    monitor, so it is not hard-wired; N06.FR.01 (TC_N_18_CS): the CSMS can clear it;
    N06.FR.03: the hard-wired Problem monitor cannot be cleared."""
    cp = await make_cp201(csms.url, "MON90")
    station = [m for m in cp.monitoring.monitors() if m.component.name == "ChargingStation"]
    by_variable = {m.variable.name: m for m in station}
    assert str(by_variable["AvailabilityState"].kind) == "PreconfiguredMonitor"
    assert str(by_variable["Problem"].kind) == "HardWiredMonitor"
    availability_id = by_variable["AvailabilityState"].id
    await csms.call("MON90", "SetMonitoringBase", {"monitoringBase": "HardWiredOnly"})
    assert availability_id not in [m.id for m in cp.monitoring.monitors()]
    await csms.call("MON90", "SetMonitoringBase", {"monitoringBase": "FactoryDefault"})
    reply = await csms.call(
        "MON90", "ClearVariableMonitoring", {"id": [availability_id, by_variable["Problem"].id]}
    )
    assert [r["status"] for r in reply["clearMonitoringResult"]] == ["Accepted", "Rejected"]


async def test_the_power_drop_when_a_transaction_ends_is_an_event_of_that_transaction(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N07.FR.16/17 (TC_N_20_CS step 7): the driver stops, the transaction ends and the
    power falls below the thresholds; those events carry the ended transaction's id."""
    cp = await make_cp201(csms.url, "MON20")
    data = [
        monitor(EVSE1, "Power", "UpperThreshold", 1000, 4),
        monitor(EVSE1, "Power", "LowerThreshold", 10, 4),
    ]
    reply = await csms.call("MON20", "SetVariableMonitoring", {"setMonitoringData": data})
    upper, lower = (r["id"] for r in reply["setMonitoringResult"])

    def about(monitor_id: int):
        return lambda p: any(e.get("variableMonitoringId") == monitor_id for e in p["eventData"])

    start_charging(cp)
    await csms.wait_for_message("MON20", "NotifyEvent", about(upper), timeout=WAIT)
    transaction_id = cp.transactions.active(1).transaction_id
    mark = csms.mark()
    cp.present_id("TAG1", 1)  # the driver stops: the transaction ends, the power goes to 0
    dropped: dict[int, dict] = {}

    def drops(p) -> list[dict]:
        return [
            e
            for e in p["eventData"]
            if e.get("variableMonitoringId") in (upper, lower) and float(e["actualValue"]) <= 10
        ]

    for _ in range(2):  # one NotifyEvent or two (N07.FR.07 batching)
        if len(dropped) == 2:
            break
        sent = await csms.wait_for_message(
            "MON20", "NotifyEvent", lambda p: bool(drops(p)), timeout=WAIT, since=mark
        )
        dropped.update({e["variableMonitoringId"]: e for e in drops(sent)})
    assert sorted(dropped) == sorted([upper, lower])
    assert [e.get("transactionId") for e in dropped.values()] == [transaction_id] * 2
    assert cp.transactions.active(1) is None
