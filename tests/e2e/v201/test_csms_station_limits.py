"""The built-in CSMS keeps to what a 2.0.1 station reported or did: ItemsPerMessage (B05.FR.11,
B06.FR.05), its BasicAuthPassword once it accepted a new one (A01.FR.03/04), and the
highest security profile it connected with (A05.FR.07)."""

from __future__ import annotations

import ssl

import pytest

from bench.csms.registry import StationState
from bench.csms.v201_items import learn_from_report, merge_replies, split_request
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError
from bench.transport.websocket import open_link
from tests.core.certs import make_pki, server_ssl_context
from tests.e2e.conftest import WAIT, frame_list, wait_until
from tests.e2e.v201.sec_support import PASSWORD, boots, set_variable


def _item(variable: str, instance: str | None = None) -> dict:
    var = {"name": variable, **({"instance": instance} if instance else {})}
    return {"component": {"name": "DeviceDataCtrlr"}, "variable": var}


async def test_get_variables_above_the_reported_items_per_message_go_as_several_requests(
    csms, make_cp201
) -> None:
    """B06.FR.05: once the station reported ItemsPerMessage[GetVariables] (50 on the bench's
    station), a request for 51 variables leaves the CSMS as one of 50 and one of 1, and the
    caller gets one reply with all 51 results in the order asked."""
    cp = await make_cp201(csms.url)
    reply = await csms.call(
        "CS1", "GetVariables", {"getVariableData": [_item("ItemsPerMessage", "GetVariables")]}
    )
    assert reply["getVariableResult"][0]["attributeValue"] == "50"
    items = [_item("ItemsPerMessage", "GetReport"), _item("BytesPerMessage", "GetReport")] * 25
    items.append(_item("ItemsPerMessage", "SetVariables"))
    frames = frame_list(cp).records
    before = len(frames)
    reply = await csms.call("CS1", "GetVariables", {"getVariableData": items})
    results = reply["getVariableResult"]
    assert [r["variable"] for r in results] == [i["variable"] for i in items]
    sent = [
        len(r.payload["getVariableData"])
        for r in frames[before:]
        if r.direction == "rx" and r.type == "CALL" and r.action == "GetVariables"
    ]
    assert sent == [50, 1]


def test_a_limit_reported_in_a_notify_report_splits_set_variables() -> None:
    """B05.FR.11: ItemsPerMessage[SetVariables] from a NotifyReport limits SetVariables."""
    state = StationState("CS1")
    report = {
        "reportData": [
            {
                "component": {"name": "DeviceDataCtrlr"},
                "variable": {"name": "ItemsPerMessage", "instance": "SetVariables"},
                "variableAttribute": [{"type": "Actual", "value": "2"}],
            }
        ]
    }
    learn_from_report(state, report)
    data = [{"n": i} for i in range(5)]
    parts = split_request(state, "SetVariables", {"setVariableData": data})
    assert [p["setVariableData"] for p in parts or []] == [data[0:2], data[2:4], data[4:]]
    assert split_request(state, "GetVariables", {"getVariableData": data}) is None
    replies = [{"setVariableResult": [1, 2]}, {"setVariableResult": [3]}]
    assert merge_replies("SetVariables", replies) == {"setVariableResult": [1, 2, 3]}


async def test_clear_variable_monitoring_above_the_reported_items_per_message_is_split(
    csms, make_cp201
) -> None:
    """N06.FR.04: once the station reported MonitoringCtrlr.ItemsPerMessage
    [ClearVariableMonitoring], a request with one id more leaves the CSMS as two, and the
    caller gets one reply with a result per id."""
    cp = await make_cp201(csms.url)
    limit_item = {
        "component": {"name": "MonitoringCtrlr"},
        "variable": {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"},
    }
    reply = await csms.call("CS1", "GetVariables", {"getVariableData": [limit_item]})
    limit = int(reply["getVariableResult"][0]["attributeValue"])
    ids = list(range(1, limit + 2))
    frames = frame_list(cp).records
    before = len(frames)
    reply = await csms.call("CS1", "ClearVariableMonitoring", {"id": ids})
    assert [r["id"] for r in reply["clearMonitoringResult"]] == ids
    sent = [
        len(r.payload["id"])
        for r in frames[before:]
        if r.direction == "rx" and r.type == "CALL" and r.action == "ClearVariableMonitoring"
    ]
    assert sent == [limit, 1]


async def test_the_csms_takes_the_new_basic_auth_password_the_station_accepted(
    make_csms, make_cp201
) -> None:
    """A01.FR.03: after SetVariables(BasicAuthPassword) Accepted the CSMS accepts the new
    password only, so the station's next connection (with the new one) gets in."""
    csms = await make_csms(basic_auth={"CS1": "first-password-0123"})
    cp = await make_cp201(csms.url, password="first-password-0123")
    assert await set_variable(csms, "SecurityCtrlr", "BasicAuthPassword", PASSWORD) == "Accepted"
    assert csms.config.basic_auth == {"CS1": PASSWORD}
    before = boots(csms)
    assert (await csms.call("CS1", "Reset", {"type": "Immediate"}))["status"] == "Accepted"
    await wait_until(
        lambda: boots(csms) > before and cp.accepted, WAIT, "a boot with the new password"
    )


async def test_the_csms_keeps_the_old_password_when_the_station_refuses_the_new_one(
    make_csms, make_cp201
) -> None:
    """A01.FR.04: a password the station refuses (it answers Rejected) changes nothing."""
    csms = await make_csms(basic_auth={"CS1": "first-password-0123"})
    cp = await make_cp201(csms.url, password="first-password-0123")

    async def refuse(request: dict) -> dict:
        item = request["setVariableData"][0]
        return {
            "setVariableResult": [
                {
                    "component": item["component"],
                    "variable": item["variable"],
                    "attributeStatus": "Rejected",
                }
            ]
        }

    cp.answer_with("SetVariables", refuse)
    assert await set_variable(csms, "SecurityCtrlr", "BasicAuthPassword", PASSWORD) == "Rejected"
    assert csms.config.basic_auth == {"CS1": "first-password-0123"}


async def test_after_a_station_connected_with_a_client_certificate_the_csms_refuses_less(
    make_csms, make_cp201, tmp_path
) -> None:
    """A05.FR.07: the built-in CSMS remembers the highest security profile a station
    connected with and refuses it a lower one (HTTP 403), while other stations are free."""
    pki = make_pki(tmp_path / "pki")
    context = server_ssl_context(pki.server, client_ca=pki.ca.cert_file)
    context.verify_mode = ssl.CERT_OPTIONAL
    csms = await make_csms(ssl_context=context, basic_auth={"CS1": PASSWORD, "CS2": PASSWORD})
    client = pki.ca.issue_client(tmp_path / "pki", "CS1")
    ca = str(pki.ca.cert_file)
    await make_cp201(
        csms.url,
        password=PASSWORD,
        ca_file=ca,
        cert_file=str(client.cert_file),
        key_file=str(client.key_file),
    )
    assert csms._state("CS1").security_floor == 3
    with pytest.raises(LinkError) as err:
        await open_link(
            LinkConfig(csms.url, "CS1", subprotocol="ocpp2.0.1", password=PASSWORD, ca_file=ca)
        )
    assert err.value.status == 403
    link = await open_link(
        LinkConfig(csms.url, "CS2", subprotocol="ocpp2.0.1", password=PASSWORD, ca_file=ca)
    )
    await link.close()
