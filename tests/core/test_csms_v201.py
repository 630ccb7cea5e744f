"""The built-in CSMS's 2.0.1 pieces without a network: triggers, report assembly, console.

B01.FR.10 door keeping (``v201.expected_trigger`` / ``consume_trigger``), the
NotifyReport parts store (B07.FR.10, B08.FR.14), the 2.0.1 console catalogue and
templates, and the typed helpers of ``V201Commands`` (every payload they build
passes the 2.0.1 request schema).
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any

import pytest

from bench.csms import console, v201
from bench.csms.config import TagEntry
from bench.csms.registry import StationState, UnknownStation, WrongVersion
from bench.csms.storage import CsmsStore
from bench.csms.v201_commands import (
    ACTIONS,
    V201Commands,
    component,
    component_variable,
    local_list_entries,
)
from bench.ocpp.schemas import actions, validate

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

# Part 2: the requests a 2.0.1 charging station sends (everything else is the CSMS's).
STATION_INITIATED_201 = {
    "Authorize", "BootNotification", "ClearedChargingLimit", "FirmwareStatusNotification",
    "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification",
    "MeterValues", "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages",
    "NotifyEVChargingNeeds", "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport",
    "NotifyReport", "PublishFirmwareStatusNotification", "ReportChargingProfiles",
    "ReservationStatusUpdate", "SecurityEventNotification", "SignCertificate",
    "StatusNotification", "TransactionEvent",
}  # fmt: skip
CSMS_INITIATED_201 = set(actions("2.0.1")) - STATION_INITIATED_201 | {"DataTransfer"}


# ---------------------------------------------------------------- B01.FR.10 triggers
def _open(state: StationState, action: str, payload: dict[str, Any]) -> str | None:
    key = v201.expected_trigger(action, payload)
    if key is not None:
        state.triggered.add(key)
    return key


def test_every_part_of_a_requested_report_is_let_through_until_the_last():
    """B01.FR.10: GetBaseReport opens the door for every NotifyReport part of its
    requestId; the part without tbc closes it; other requestIds stay out."""
    state = StationState("CS", registration="Pending")
    _open(state, "GetBaseReport", {"requestId": 4, "reportBase": "FullInventory"})
    part = {"requestId": 4, "generatedAt": "x", "seqNo": 0, "tbc": True}
    assert v201.consume_trigger(state, "NotifyReport", part)
    assert v201.consume_trigger(state, "NotifyReport", {**part, "seqNo": 1})
    assert not v201.consume_trigger(state, "NotifyReport", {**part, "requestId": 5})
    assert v201.consume_trigger(state, "NotifyReport", {**part, "seqNo": 2, "tbc": False})
    assert not v201.consume_trigger(state, "NotifyReport", {**part, "seqNo": 3})
    assert not state.triggered


def test_a_trigger_lets_one_message_through_or_one_per_evse_when_no_evse_is_named():
    """B01.FR.10 with TriggerMessage: one Heartbeat; StatusNotification for all EVSEs
    (F06.FR.11) stays open; Sign*Certificate triggers SignCertificate."""
    state = StationState("CS", registration="Pending")
    assert _open(state, "TriggerMessage", {"requestedMessage": "Heartbeat"}) == "Heartbeat"
    assert v201.consume_trigger(state, "Heartbeat", {})
    assert not v201.consume_trigger(state, "Heartbeat", {})
    _open(state, "TriggerMessage", {"requestedMessage": "StatusNotification"})
    for _ in range(3):
        assert v201.consume_trigger(state, "StatusNotification", {"evseId": 1})
    one = {"requestedMessage": "MeterValues", "evse": {"id": 2}}
    assert _open(state, "TriggerMessage", one) == "MeterValues"
    assert v201.consume_trigger(state, "MeterValues", {})
    assert not v201.consume_trigger(state, "MeterValues", {})
    sign = {"requestedMessage": "SignChargingStationCertificate"}
    assert v201.expected_trigger("TriggerMessage", sign) == "SignCertificate"
    assert v201.expected_trigger("GetVariables", {"getVariableData": []}) is None
    assert not v201.consume_trigger(state, "Authorize", {})


def test_requests_the_csms_may_not_send_to_pending_or_rejected_stations():
    """B02.FR.05: no Request{Start,Stop}Transaction while Pending; B03.FR.03: nothing
    to a Rejected station; GetBaseReport is fine while Pending (B02.FR.01)."""
    assert v201.outgoing_refusal("Pending", "RequestStartTransaction")
    assert v201.outgoing_refusal("Pending", "GetBaseReport") is None
    assert v201.outgoing_refusal("Rejected", "GetVariables")
    assert v201.outgoing_refusal("Accepted", "RequestStartTransaction") is None


# ---------------------------------------------------------------- report parts
def _part(seq: int, tbc: bool, names: list[str], request_id: int = 1) -> dict[str, Any]:
    data = [
        {
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": n},
            "variableAttribute": [{"type": "Actual", "value": f"{n}-value"}],
        }
        for n in names
    ]
    return {
        "requestId": request_id,
        "generatedAt": "t",
        "seqNo": seq,
        "tbc": tbc,
        "reportData": data,
    }


def test_report_parts_are_joined_in_seq_no_order_and_complete_only_without_gaps(tmp_path):
    """B07.FR.10 / B08.FR.14: seqNo from 0, tbc on all but the last."""
    store = CsmsStore(tmp_path / "csms.db")
    try:
        assert store.report("CS", 1) is None
        store.add_report_part("CS", "NotifyReport", "t0", _part(0, True, ["A", "B"]))
        store.add_report_part("CS", "NotifyReport", "t2", _part(2, False, ["E"]))
        gap = store.report("CS", 1)
        assert gap is not None and not gap.complete and gap.seq_nos == (0, 2)
        store.add_report_part("CS", "NotifyReport", "t1", _part(1, True, ["C", "D"]))
        report = store.report("CS", 1)
        assert report is not None and report.complete
        names = [e["variable"]["name"] for e in report.report_data]
        assert names == ["A", "B", "C", "D", "E"]
        assert report.value("OCPPCommCtrlr", "C") == "C-value"
        assert report.value("OCPPCommCtrlr", "C", "Target") is None
        assert report.find("OCPPCommCtrlr", "Z") is None
        assert report.received == "t2"
        # A new seqNo 0 for the same requestId starts the report afresh.
        store.add_report_part("CS", "NotifyReport", "t3", _part(0, False, ["F"]))
        again = store.report("CS", 1)
        assert again is not None and again.complete and len(again.report_data) == 1
        store.add_report_part("CS", "NotifyMonitoringReport", "t4", _part(0, False, []))
        assert store.report_ids("CS") == [1]
        assert store.report_ids("CS", "NotifyMonitoringReport") == [1]
    finally:
        store.close()


def test_report_parts_survive_a_restart_of_the_csms(tmp_path):
    path = tmp_path / "csms.db"
    store = CsmsStore(path)
    store.add_report_part("CS", "NotifyReport", "t0", _part(0, False, ["A"], request_id=9))
    store.close()
    store = CsmsStore(path)
    try:
        report = store.report("CS", 9)
        assert report is not None and report.complete
    finally:
        store.close()


# ---------------------------------------------------------------- console catalogue
def test_the_console_offers_every_csms_initiated_request_of_2_0_1():
    assert set(console.actions("2.0.1")) == CSMS_INITIATED_201
    assert len(console.actions("2.0.1")) == len(CSMS_INITIATED_201)
    assert console.actions("1.6") == console.CSMS_ACTIONS
    assert console.profile_of("GetVariables", "2.0.1") == "B Provisioning"
    assert console.version_of("ocpp2.0.1") == "2.0.1"
    assert console.version_of("ocpp1.6") == "1.6"
    with pytest.raises(ValueError):
        console.profiles("3.0")


@pytest.mark.parametrize("action", sorted(CSMS_INITIATED_201))
def test_every_2_0_1_template_passes_its_request_schema(action: str):
    validate("2.0.1", action, console.template(action, NOW, version="2.0.1"), response=False)


def test_2_0_1_templates_are_bench_friendly_and_take_the_token_hint():
    start = console.template("RequestStartTransaction", NOW, {"idTag": "MY-CARD"}, "2.0.1")
    assert start["idToken"] == {"idToken": "MY-CARD", "type": "ISO14443"}
    assert start["evseId"] == 1
    local = console.template("SendLocalList", NOW, {"idTag": "MY-CARD"}, "2.0.1")
    assert local["localAuthorizationList"][0]["idToken"]["idToken"] == "MY-CARD"
    assert console.template("Reset", NOW, version="2.0.1") == {"type": "Immediate"}
    assert console.template("ReserveNow", NOW, version="2.0.1")["expiryDateTime"] == (
        "2026-03-01T09:00:00Z"
    )
    with pytest.raises(console.UnknownAction, match=r"2\.0\.1"):
        console.template("RemoteStartTransaction", NOW, version="2.0.1")


# ---------------------------------------------------------------- typed helpers
class _Recorder:
    """Stands in for CentralSystem: records what the helpers send, answers {}."""

    def __init__(self, version: str | None = "2.0.1") -> None:
        self.version = version
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def protocol_version(self, station_id: str) -> str | None:
        return self.version

    async def call(self, station_id, action, payload, timeout=30.0, *, force=False):
        validate("2.0.1", action, payload, response=False)
        self.sent.append((action, payload))
        return {}


PEM = "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----"
HASH = {"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b", "serialNumber": "1"}
PROFILE = {
    "id": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": [
        {
            "id": 1,
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8}],
        }
    ],
}
NETWORK = {
    "ocppVersion": "OCPP20",
    "ocppTransport": "JSON",
    "ocppCsmsUrl": "ws://127.0.0.1:1/",
    "messageTimeout": 30,
    "securityProfile": 1,
    "ocppInterface": "Wired0",
}
MONITOR = {
    "value": 1.0,
    "type": "Delta",
    "severity": 5,
    "component": component("EVSE", evse_id=1),
    "variable": {"name": "Power"},
}
MESSAGE = {"id": 3, "priority": "NormalCycle", "message": {"format": "UTF8", "content": "hi"}}

# One call per helper, with the arguments a test would pass.
CALLS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "cancel_reservation": ((5,), {}),
    "certificate_signed": ((PEM,), {"certificate_type": "ChargingStationCertificate"}),
    "change_availability": (("Inoperative",), {"evse_id": 1, "connector_id": 1}),
    "clear_cache": ((), {}),
    "clear_charging_profile": ((), {"evse_id": 1, "charging_profile_purpose": "TxProfile"}),
    "clear_display_message": ((3,), {}),
    "clear_variable_monitoring": (([1, 2],), {}),
    "cost_updated": ((1.25, "TX-1"), {}),
    "customer_information": ((1, True, False), {"token": "TAG1"}),
    "data_transfer": (("bench",), {"message_id": "echo", "data": {"a": 1}}),
    "delete_certificate": ((HASH,), {}),
    "get_base_report": ((1,), {"report_base": "SummaryInventory"}),
    "get_charging_profiles": ((1,), {"evse_id": 1, "charging_profile_ids": [1]}),
    "get_composite_schedule": ((1, 600), {"charging_rate_unit": "W"}),
    "get_display_messages": ((1,), {"ids": [3], "priority": "InFront"}),
    "get_installed_certificate_ids": ((), {"certificate_types": ["CSMSRootCertificate"]}),
    "get_local_list_version": ((), {}),
    "get_log": (("SecurityLog", 1, "http://127.0.0.1/up"), {"oldest": NOW, "retries": 1}),
    "get_monitoring_report": ((1,), {"monitoring_criteria": ["DeltaMonitoring"]}),
    "get_report": ((1,), {"component_variables": [component_variable("EVSE", "Power")]}),
    "get_transaction_status": ((), {"transaction_id": "TX-1"}),
    "get_variables": (([("OCPPCommCtrlr", "HeartbeatInterval", "Actual")],), {}),
    "install_certificate": (("CSMSRootCertificate", PEM), {}),
    "publish_firmware": (("http://127.0.0.1/fw", "0" * 32, 1), {}),
    "request_start_transaction": (("TAG1", 7), {"evse_id": 1, "charging_profile": PROFILE}),
    "request_stop_transaction": (("TX-1",), {}),
    "reserve_now": ((1, NOW, "TAG1"), {"evse_id": 1, "group_id_token": "FLEET"}),
    "reset": (("OnIdle",), {"evse_id": 1}),
    "send_local_list": ((2,), {"local_authorization_list": {"TAG1": TagEntry("Accepted")}}),
    "set_charging_profile": ((1, PROFILE), {}),
    "set_display_message": ((MESSAGE,), {}),
    "set_monitoring_base": (("All",), {}),
    "set_monitoring_level": ((5,), {}),
    "set_network_profile": ((1, NETWORK), {}),
    "set_variable_monitoring": (([MONITOR],), {}),
    "set_variables": (([("OCPPCommCtrlr", "HeartbeatInterval", "60")],), {}),
    "trigger_message": (("StatusNotification",), {"evse_id": 1, "connector_id": 1}),
    "unlock_connector": ((1,), {}),
    "unpublish_firmware": (("0" * 32,), {}),
    "update_firmware": ((1, "http://127.0.0.1/fw", NOW), {"install_date_time": NOW}),
}


def test_there_is_a_typed_helper_for_every_csms_initiated_2_0_1_request():
    assert set(ACTIONS) == CSMS_INITIATED_201
    for name in ACTIONS.values():
        method = getattr(V201Commands, name)
        assert inspect.iscoroutinefunction(method), name
        assert list(inspect.signature(method).parameters)[1] == "station_id", name
    assert set(CALLS) == set(ACTIONS.values())


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_each_helper_sends_its_action_with_a_schema_valid_payload(name: str):
    central = _Recorder()
    args, kwargs = CALLS[name]
    await getattr(V201Commands(central), name)("CS", *args, **kwargs)
    [(action, _payload)] = central.sent
    assert ACTIONS[action] == name


async def test_helpers_fill_the_2_0_1_shapes():
    central = _Recorder()
    commands = V201Commands(central)
    await commands.request_start_transaction("CS", "TAG1", 7, evse_id=1)
    await commands.reserve_now("CS", 1, NOW, {"idToken": "X", "type": "Central"})
    await commands.send_local_list("CS", 2, "Full", {"TAG1": TagEntry("Blocked")})
    await commands.change_availability("CS", "Operative")
    start, reserve, local, availability = (p for _a, p in central.sent)
    assert start == {
        "idToken": {"idToken": "TAG1", "type": "ISO14443"},
        "remoteStartId": 7,
        "evseId": 1,
    }
    assert reserve["expiryDateTime"] == "2026-03-01T08:00:00Z"
    assert reserve["idToken"] == {"idToken": "X", "type": "Central"}
    assert local["localAuthorizationList"] == local_list_entries({"TAG1": TagEntry("Blocked")})
    assert availability == {"operationalStatus": "Operative"}  # the whole station (G03)


async def test_a_2_0_1_helper_refuses_a_1_6_station_before_sending():
    central = _Recorder(version="1.6")
    with pytest.raises(WrongVersion, match=r"1\.6"):
        await V201Commands(central).reset("CP16")
    assert central.sent == []
    with pytest.raises(UnknownStation):
        await V201Commands(_Recorder(version=None)).reset("GONE")
