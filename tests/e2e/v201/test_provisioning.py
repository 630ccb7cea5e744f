"""Block B provisioning end to end: variables, reports and reset against the built-in CSMS.

B05 SetVariables, B06 GetVariables (every status and the ItemsPerMessage limit),
B07 GetBaseReport and B08 GetReport streamed as several NotifyReport parts that the
CSMS joins by requestId, B11/B12 Reset. TriggerMessage and DataTransfer are in
``test_provisioning_trigger.py``.
"""

from __future__ import annotations

import pytest

from bench.csms.server import CentralSystem
from bench.csms.v201_commands import component, component_variable
from bench.ocpp.errors import CallError
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

SMALL_PARTS = {"DeviceDataCtrlr.ItemsPerMessage[GetReport]": "10"}


def _status(result: dict) -> str:
    return result["attributeStatus"]


# ---------------------------------------------------------------- B06 GetVariables
async def test_get_variables_answers_each_item_with_its_own_status(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B06.FR.06-10: Accepted with the value, UnknownComponent, UnknownVariable,
    NotSupportedAttributeType, and Rejected for a write-only variable, in one request."""
    await make_cp201(csms.url, "GV1")
    reply = await csms.v201.get_variables(
        "GV1",
        [
            ("OCPPCommCtrlr", "HeartbeatInterval"),
            ("NoSuchCtrlr", "HeartbeatInterval"),
            ("OCPPCommCtrlr", "NoSuchVariable"),
            ("OCPPCommCtrlr", "HeartbeatInterval", "MaxSet"),
            ("SecurityCtrlr", "BasicAuthPassword"),
        ],
    )
    results = reply["getVariableResult"]
    assert [_status(r) for r in results] == [
        "Accepted",
        "UnknownComponent",
        "UnknownVariable",
        "NotSupportedAttributeType",
        "Rejected",
    ]
    assert results[0]["attributeValue"] == "3600"  # the interval the CSMS sent at boot
    assert all("attributeValue" not in r for r in results[1:])
    assert results[3]["attributeType"] == "MaxSet"  # echoed when asked for


async def test_get_variables_reads_an_evse_component_by_its_evse_id(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B06.FR.10 on an EVSE-scoped component: EVSE 2's Power MaxSet of a 22 kW dual station."""
    await make_cp201(csms.url, "GV2", template="ac-22kw-dual")
    result = await csms.v201.get_variable("GV2", component("EVSE", evse_id=2), "Power", "MaxSet")
    assert _status(result) == "Accepted"
    assert result["component"] == {"name": "EVSE", "evse": {"id": 2}}
    assert float(result["attributeValue"]) > 0
    missing = await csms.v201.get_variable("GV2", component("EVSE", evse_id=9), "Power")
    assert _status(missing) == "UnknownComponent"


async def test_more_get_variables_items_than_items_per_message_is_a_callerror(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B06.FR.16: more GetVariableData than ItemsPerMessageGetVariables ->
    CALLERROR OccurrenceConstraintViolation (and SetVariables likewise, B05)."""
    await make_cp201(
        csms.url,
        "GV3",
        variables={
            "DeviceDataCtrlr.ItemsPerMessage[GetVariables]": "2",
            "DeviceDataCtrlr.ItemsPerMessage[SetVariables]": "1",
        },
    )
    items = [("OCPPCommCtrlr", "HeartbeatInterval")] * 3
    with pytest.raises(CallError) as caught:
        await csms.v201.get_variables("GV3", items)
    assert caught.value.code == "OccurrenceConstraintViolation"
    reply = await csms.v201.get_variables("GV3", items[:2])
    assert len(reply["getVariableResult"]) == 2
    with pytest.raises(CallError) as caught:
        await csms.v201.set_variables(
            "GV3",
            [
                ("OCPPCommCtrlr", "HeartbeatInterval", "60"),
                ("OCPPCommCtrlr", "OfflineThreshold", "60"),
            ],
        )
    assert caught.value.code == "OccurrenceConstraintViolation"


# ---------------------------------------------------------------- B05 SetVariables
async def test_set_variables_answers_every_status_and_applies_only_what_it_accepted(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B05.FR.02-10: Accepted, Rejected (read-only; a malformed value, with statusInfo),
    UnknownComponent, UnknownVariable, NotSupportedAttributeType, RebootRequired."""
    cp = await make_cp201(csms.url, "SV1")
    reply = await csms.v201.set_variables(
        "SV1",
        [
            ("OCPPCommCtrlr", "HeartbeatInterval", "60"),
            ("OCPPCommCtrlr", "ActiveNetworkProfile", "2"),
            ("OCPPCommCtrlr", "OfflineThreshold", "soon"),
            ("NoSuchCtrlr", "Enabled", "true"),
            ("OCPPCommCtrlr", "NoSuchVariable", "1"),
            ("OCPPCommCtrlr", "HeartbeatInterval", "70", "Target"),
            ("OCPPCommCtrlr", "NetworkConfigurationPriority", "1"),
        ],
    )
    results = reply["setVariableResult"]
    assert [_status(r) for r in results] == [
        "Accepted",
        "Rejected",
        "Rejected",
        "UnknownComponent",
        "UnknownVariable",
        "NotSupportedAttributeType",
        "RebootRequired",
    ]
    assert "attributeStatusInfo" in results[2]  # why the value was refused
    # B05.FR.10: the accepted value is in force: the station heartbeats at 60 s now.
    assert cp.variable("OCPPCommCtrlr", "HeartbeatInterval") == "60"
    assert cp.heartbeat_interval == 60
    assert cp.variable("OCPPCommCtrlr", "ActiveNetworkProfile") == "1"
    assert cp.variable("OCPPCommCtrlr", "OfflineThreshold") == "600"
    check = await csms.v201.get_variable("SV1", "OCPPCommCtrlr", "HeartbeatInterval")
    assert check["attributeValue"] == "60"


# ---------------------------------------------------------------- B07 GetBaseReport
async def test_a_full_inventory_arrives_in_several_parts_that_the_csms_joins(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B07.FR.03/04/08/10/11: FullInventory, every component-variable with its
    characteristics and every attribute, as NotifyReport parts numbered from 0 with
    tbc on all but the last, joined by ``csms.report(station, requestId)``."""
    cp = await make_cp201(csms.url, "BR1", variables=SMALL_PARTS)
    reply = await csms.v201.get_base_report("BR1", 7, "FullInventory")
    assert reply["status"] == "Accepted"
    report = await csms.wait_for_report("BR1", 7, timeout=WAIT)
    parts = request(cp, "NotifyReport")
    assert len(parts) >= 3
    assert [p["seqNo"] for p in parts] == list(range(len(parts)))
    assert [p["tbc"] for p in parts] == [True] * (len(parts) - 1) + [False]
    assert {p["requestId"] for p in parts} == {7}
    assert all(len(p["reportData"]) <= 10 for p in parts)
    assert report.complete and report.seq_nos == tuple(range(len(parts)))
    assert len(report.report_data) == len(cp.device_model.definition)
    assert all("variableCharacteristics" in entry for entry in report.report_data)
    assert report.value("OCPPCommCtrlr", "HeartbeatInterval") == "3600"
    power = report.find("EVSE", "Power", evse=1)
    assert power is not None
    assert {a.get("type", "Actual") for a in power["variableAttribute"]} >= {"Actual", "MaxSet"}


async def test_a_configuration_inventory_holds_only_what_the_operator_can_set(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B07.FR.07: ConfigurationInventory reports the writable component-variables only."""
    await make_cp201(csms.url, "BR2", variables=SMALL_PARTS)
    assert (await csms.v201.get_base_report("BR2", 1, "ConfigurationInventory"))[
        "status"
    ] == "Accepted"
    report = await csms.wait_for_report("BR2", 1, timeout=WAIT)
    assert report.find("OCPPCommCtrlr", "HeartbeatInterval") is not None
    assert report.find("ChargingStation", "VendorName") is None  # read-only
    for entry in report.report_data:
        mutabilities = {a.get("mutability", "ReadWrite") for a in entry["variableAttribute"]}
        assert mutabilities - {"ReadOnly"}, entry


async def test_a_summary_inventory_reports_availability_of_station_and_evses(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B07.FR.09: SummaryInventory names the operational state of station and EVSEs."""
    await make_cp201(csms.url, "BR3", template="ac-22kw-dual")
    assert (await csms.v201.get_base_report("BR3", 2, "SummaryInventory"))["status"] == "Accepted"
    report = await csms.wait_for_report("BR3", 2, timeout=WAIT)
    assert report.value("ChargingStation", "AvailabilityState") == "Available"
    assert report.value("EVSE", "AvailabilityState", evse=1) == "Available"
    assert report.value("EVSE", "AvailabilityState", evse=2) == "Available"
    assert report.find("OCPPCommCtrlr", "HeartbeatInterval") is None


async def test_a_second_report_with_the_same_request_id_replaces_the_first(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B07.FR.10: seqNo 0 starts a report; the CSMS keeps only the newest of one requestId."""
    await make_cp201(csms.url, "BR4", variables=SMALL_PARTS)
    await csms.v201.get_base_report("BR4", 3, "FullInventory")
    full = await csms.wait_for_report("BR4", 3, timeout=WAIT)
    await csms.v201.get_base_report("BR4", 3, "SummaryInventory")
    await wait_until(
        lambda: (
            (r := csms.report("BR4", 3)) is not None
            and r.complete
            and len(r.report_data) < len(full.report_data)
        ),
        what="the summary replacing the full inventory",
    )
    assert csms.report_ids("BR4") == [3]


# ---------------------------------------------------------------- B08 GetReport
async def test_get_report_by_component_reports_every_variable_of_that_component(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B08.FR.05/11/12/20: componentVariable without a variable -> all its variables."""
    cp = await make_cp201(csms.url, "GR1", variables=SMALL_PARTS)
    reply = await csms.v201.get_report(
        "GR1", 11, component_variables=[component_variable("OCPPCommCtrlr")]
    )
    assert reply["status"] == "Accepted"
    report = await csms.wait_for_report("GR1", 11, timeout=WAIT)
    names = {e["component"]["name"] for e in report.report_data}
    assert names == {"OCPPCommCtrlr"}
    expected = [v for v in cp.device_model.definition if v.component.name == "OCPPCommCtrlr"]
    assert len(report.report_data) == len(expected)
    assert len(report.parts) == -(-len(expected) // 10)  # ceil: parts of 10


async def test_get_report_by_component_and_variable_and_by_criteria(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B08.FR.11/21: one variable of one component; B08.FR.08: criteria Available."""
    await make_cp201(csms.url, "GR2", template="ac-22kw-dual")
    wanted = [component_variable(component("EVSE", evse_id=2), "AvailabilityState")]
    assert (await csms.v201.get_report("GR2", 12, component_variables=wanted))[
        "status"
    ] == "Accepted"
    one = await csms.wait_for_report("GR2", 12, timeout=WAIT)
    assert len(one.report_data) == 1
    assert one.value("EVSE", "AvailabilityState", evse=2) == "Available"
    reply = await csms.v201.get_report(
        "GR2",
        13,
        component_criteria=["Available"],
        component_variables=[component_variable("ChargingStation")],
    )
    assert reply["status"] == "Accepted"
    both = await csms.wait_for_report("GR2", 13, timeout=WAIT)
    assert {e["component"]["name"] for e in both.report_data} == {"ChargingStation"}


async def test_get_report_for_nothing_is_an_empty_result_set_and_sends_no_report(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B08.FR.15: a filter that matches nothing -> EmptyResultSet and no NotifyReport."""
    cp = await make_cp201(csms.url, "GR3")
    reply = await csms.v201.get_report(
        "GR3", 14, component_variables=[component_variable("NoSuchCtrlr")]
    )
    assert reply["status"] == "EmptyResultSet"
    # A round trip later, still nothing arrived for that request.
    await csms.v201.get_variables("GR3", [("OCPPCommCtrlr", "HeartbeatInterval")])
    assert csms.report("GR3", 14) is None
    assert request(cp, "NotifyReport") == []


async def test_get_report_with_more_component_variables_than_allowed_is_a_callerror(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B08.FR.17: more componentVariable than ItemsPerMessageGetReport ->
    CALLERROR OccurrenceConstraintViolation."""
    await make_cp201(csms.url, "GR4", variables={"DeviceDataCtrlr.ItemsPerMessage[GetReport]": "2"})
    wanted = [component_variable(name) for name in ("OCPPCommCtrlr", "AuthCtrlr", "TxCtrlr")]
    with pytest.raises(CallError) as caught:
        await csms.v201.get_report("GR4", 15, component_variables=wanted)
    assert caught.value.code == "OccurrenceConstraintViolation"


# ---------------------------------------------------------------- B11 / B12 Reset
async def test_an_immediate_reset_reboots_the_station_which_boots_with_remote_reset(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B11.FR.01/03/04: Accepted, then a reboot and a BootNotification(RemoteReset)."""
    cp = await make_cp201(csms.url, "RS1")
    mark = csms.mark()
    assert (await csms.v201.reset("RS1", "Immediate"))["status"] == "Accepted"
    boot = await csms.wait_for_message("RS1", "BootNotification", timeout=WAIT, since=mark)
    assert boot["reason"] == "RemoteReset"
    await cp.wait_accepted(WAIT)


async def test_an_on_idle_reset_of_an_idle_station_happens_at_once(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B11.FR.03 with OnIdle and nothing running: Accepted and a reboot."""
    await make_cp201(csms.url, "RS2")
    mark = csms.mark()
    assert (await csms.v201.reset("RS2", "OnIdle"))["status"] == "Accepted"
    boot = await csms.wait_for_message("RS2", "BootNotification", timeout=WAIT, since=mark)
    assert boot["reason"] == "RemoteReset"


async def test_an_on_idle_reset_waits_for_the_transaction_to_end(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B12.FR.01: OnIdle while a transaction runs -> Scheduled; the reset follows its end
    and the station boots with ScheduledReset (TC_B_21_CS)."""
    cp = await make_cp201(csms.url, "RS3")
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.station.present_id("TAG1", 1)
    await wait_until(lambda: connector.transaction is not None, what="a running transaction")
    boots = len(request(cp, "BootNotification"))
    mark = csms.mark()
    assert (await csms.v201.reset("RS3", "OnIdle"))["status"] == "Scheduled"
    # Still up: a request is answered and no boot has come.
    await csms.v201.get_variables("RS3", [("OCPPCommCtrlr", "HeartbeatInterval")])
    assert len(request(cp, "BootNotification")) == boots
    connector.unplug()  # TxStopPoint EVConnected: the transaction ends
    boot = await csms.wait_for_message("RS3", "BootNotification", timeout=WAIT, since=mark)
    assert boot["reason"] == "ScheduledReset"


async def test_an_evse_reset_keeps_the_station_up_and_reports_that_evse_again(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B11.FR.08: a Reset with evseId resets that EVSE only (no reboot); an unknown
    EVSE is Rejected."""
    cp = await make_cp201(csms.url, "RS4", template="ac-22kw-dual")
    await wait_until(lambda: len(csms.statuses("RS4")) == 2, what="both EVSEs reported")
    boots = len(request(cp, "BootNotification"))
    mark = csms.mark()
    assert (await csms.v201.reset("RS4", "Immediate", evse_id=2))["status"] == "Accepted"
    status = await csms.wait_for_message(
        "RS4", "StatusNotification", lambda p: p["evseId"] == 2, timeout=WAIT, since=mark
    )
    assert status["connectorStatus"] == "Available"
    assert len(request(cp, "BootNotification")) == boots
    assert cp.online and cp.registration == "Accepted"
    rejected = await csms.v201.reset("RS4", "Immediate", evse_id=7)
    assert rejected["status"] == "Rejected"
