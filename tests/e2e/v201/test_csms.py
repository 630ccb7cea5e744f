"""The built-in CSMS speaking 2.0.1: pre-acceptance rules, typed helpers, reports, console.

B01.FR.10 / B02.FR.09: while Pending only BootNotification and what the CSMS asked
for (TriggerMessage, every NotifyReport part of a GetBaseReport/GetReport) pass;
anything else is CALLERROR SecurityError. ``csms.v201.*`` reaches a real station
with schema-valid requests and replies; a 1.6 station is refused. The stdin
console of ``ocpp-bench csms`` takes 2.0.1 actions for a 2.0.1 station.
"""

from __future__ import annotations

import json

import pytest

from bench.csms.registry import WrongVersion
from bench.csms.server import CentralSystem
from bench.csms.v201_commands import component_variable
from bench.ocpp.errors import CallError
from tests.core.test_csms_cli import finish, read_until, spawn, url_of
from tests.e2e.conftest import WAIT, CpFactory, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

SMALL_PARTS = {"DeviceDataCtrlr.ItemsPerMessage[GetReport]": "10"}


async def _pending(make_csms, make_cp201: Cp201Factory, station_id: str, **kw):
    """A CSMS that keeps answering Pending, and a station that knows it is Pending."""
    central = await make_csms(boot_responses=["Pending"], boot_retry_interval=86400)
    cp = await make_cp201(central.url, station_id, wait_accepted=False, **kw)
    await central.wait_for_message(station_id, "BootNotification", timeout=WAIT)
    await wait_until(lambda: cp.registration == "Pending", what="the station to be Pending")
    return central, cp


async def test_every_part_of_a_report_asked_for_while_pending_is_accepted(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """B01.FR.10, B02.FR.01: GetBaseReport to a Pending station; all NotifyReport parts
    are answered (none SecurityError) and joined; afterwards the door is shut again."""
    central, cp = await _pending(make_csms, make_cp201, "PR1", variables=SMALL_PARTS)
    assert (await central.v201.get_base_report("PR1", 21, "FullInventory"))["status"] == "Accepted"
    report = await central.wait_for_report("PR1", 21, timeout=WAIT)
    assert len(report.parts) >= 3
    exchanges = [
        m for m in central._states["PR1"].history if m.action == "NotifyReport"
    ]  # what the CSMS answered, part by part
    assert len(exchanges) == len(report.parts)
    assert all(m.error is None for m in exchanges)
    info = central.station("PR1")
    assert info.registration == "Pending" and info.version == "2.0.1"
    stray = {"requestId": 21, "generatedAt": report.parts[0]["generatedAt"], "seqNo": 9}
    with pytest.raises(CallError) as caught:
        await cp.session.call("NotifyReport", stray)
    assert caught.value.code == "SecurityError"
    with pytest.raises(CallError) as caught:
        await cp.session.call("Heartbeat", {})
    assert caught.value.code == "SecurityError"  # B02.FR.09: nobody asked for it


async def test_a_get_report_with_no_result_opens_no_door_while_pending(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """B08.FR.15 + B01.FR.10: EmptyResultSet asks for no NotifyReport; one is refused."""
    central, cp = await _pending(make_csms, make_cp201, "PR2")
    wanted = [component_variable("NoSuchCtrlr")]
    reply = await central.v201.get_report("PR2", 22, component_variables=wanted)
    assert reply["status"] == "EmptyResultSet"
    with pytest.raises(CallError) as caught:
        await cp.session.call(
            "NotifyReport", {"requestId": 22, "generatedAt": "2026-01-01T00:00:00Z", "seqNo": 0}
        )
    assert caught.value.code == "SecurityError"


async def test_a_triggered_status_for_all_evses_passes_for_each_evse_while_pending(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """B01.FR.10 with F06.FR.11: TriggerMessage(StatusNotification) without an EVSE ->
    one StatusNotification per EVSE, every one accepted by the CSMS."""
    central, _cp = await _pending(make_csms, make_cp201, "PR3", template="ac-22kw-dual")
    mark = central.mark()
    reply = await central.v201.trigger_message("PR3", "StatusNotification")
    assert reply["status"] == "Accepted"  # F06.FR.11: "for all allowed evse values"
    seen = set()
    for _ in range(2):
        msg = await central.wait_for_exchange("PR3", "StatusNotification", timeout=WAIT, since=mark)
        assert msg.error is None
        seen.add(msg.payload["evseId"])
    assert seen == {1, 2}


async def test_read_only_helpers_reach_a_real_station_with_valid_requests_and_replies(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """Every request below passes the 2.0.1 schema on the way out and its reply on the way
    back (OcppSession validates both); a block not written yet may answer NotImplemented."""
    await make_cp201(csms.url, "HV1")
    v = csms.v201
    calls = {
        "GetVariables": v.get_variables("HV1", [("OCPPCommCtrlr", "HeartbeatInterval")]),
        "GetLocalListVersion": v.get_local_list_version("HV1"),
        "GetInstalledCertificateIds": v.get_installed_certificate_ids("HV1"),
        "GetTransactionStatus": v.get_transaction_status("HV1"),
        "GetCompositeSchedule": v.get_composite_schedule("HV1", 1, 600, "A"),
        "GetChargingProfiles": v.get_charging_profiles("HV1", 31, charging_profile_ids=[99]),
        "GetDisplayMessages": v.get_display_messages("HV1", 32),
        "GetMonitoringReport": v.get_monitoring_report("HV1", 33),
        "DataTransfer": v.data_transfer("HV1", "bench", "echo", "ping"),
        "TriggerMessage": v.trigger_message("HV1", "Heartbeat"),
    }
    for action, pending in calls.items():
        try:
            reply = await pending
        except CallError as exc:
            assert exc.code == "NotImplemented", (action, exc.code)
            continue
        assert isinstance(reply, dict), action
    check = await v.get_variable("HV1", "OCPPCommCtrlr", "HeartbeatInterval")
    assert check["attributeStatus"] == "Accepted"


async def test_a_2_0_1_helper_refuses_a_1_6_station(
    csms: CentralSystem, make_cp: CpFactory
) -> None:
    """The version check comes first: nothing is sent to the 1.6 station."""
    cp = await make_cp(csms.url, "CP16")
    with pytest.raises(WrongVersion):
        await csms.v201.get_variables("CP16", [("OCPPCommCtrlr", "HeartbeatInterval")])
    assert csms.protocol_version("CP16") == "1.6"
    received = [r for r in cp.session.sink.records if r.direction == "rx" and r.type == "CALL"]
    assert received == []


async def test_the_stdin_console_sends_2_0_1_actions_to_a_2_0_1_station(
    make_cp201: Cp201Factory,
) -> None:
    """``ocpp-bench csms`` offers ocpp2.0.1: actions, template, send and report for it."""
    proc = await spawn("--port", "0", "--quiet", "--ocpp", "2.0.1")
    try:
        url = await url_of(proc)
        cp = await make_cp201(url, "CLI201", variables=SMALL_PARTS)

        async def ask(line: str, prefix: str) -> str:
            proc.stdin.write(line.encode() + b"\n")
            await proc.stdin.drain()
            answer = await read_until(proc, prefix)
            return answer.removeprefix(prefix)

        listing = json.loads(await ask("actions CLI201", "actions "))
        assert listing["version"] == "2.0.1" and "GetVariables" in listing["actions"]
        assert "RemoteStartTransaction" not in listing["actions"]
        template = json.loads(await ask("template CLI201 GetVariables", "template "))
        reply = json.loads(await ask(f"send CLI201 GetVariables {json.dumps(template)}", "reply "))
        assert reply["getVariableResult"][0]["attributeStatus"] == "Accepted"
        error = json.loads(await ask('send CLI201 RemoteStartTransaction {"idTag": "X"}', "error "))
        assert error["errorCode"] == "InvalidPayload"  # a 1.6 action, unknown in 2.0.1
        body = json.dumps({"requestId": 5, "reportBase": "FullInventory"})
        assert json.loads(await ask(f"send CLI201 GetBaseReport {body}", "reply ")) == {
            "status": "Accepted"
        }
        await wait_until(lambda: len(request(cp, "NotifyReport")) >= 2, what="report parts")
        for _ in range(50):  # the CSMS may still be answering the last part
            report = json.loads(await ask("report CLI201 5", "report "))
            if report["complete"]:
                break
        assert report["complete"] and report["parts"] == list(range(len(report["parts"])))
        assert len(report["reportData"]) == len(cp.device_model.definition)
        proc.stdin.write(b"quit\n")
        await proc.stdin.drain()
        assert await finish(proc) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
