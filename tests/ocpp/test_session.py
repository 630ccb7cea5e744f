"""The OCPP-J RPC layer: framing, validation and the CALLERROR codes of OCPP-J 1.6 §4.2.3."""

from __future__ import annotations

import asyncio
import json

import pytest

from bench.ocpp.errors import CallError, ErrorKind, InvalidOutgoing, InvalidReply, OcppError
from bench.ocpp.session import OcppSession, Reply
from bench.transport.memory import memory_pair


class Recorder:
    def __init__(self) -> None:
        self.records = []

    def record(self, rec) -> None:
        self.records.append(rec)


async def heartbeat(_payload):
    return {"currentTime": "2026-01-01T00:00:00Z"}


@pytest.fixture
async def pair():
    """A CSMS-side session serving on one end; the test talks raw frames on the other."""
    raw, served = memory_pair()
    log = Recorder()

    async def boom(_payload):
        raise RuntimeError("handler bug")

    async def refuse(_payload):
        raise OcppError(ErrorKind.SECURITY_ERROR, "not allowed")

    session = OcppSession(
        served,
        version="1.6",
        station_id="CP1",
        sink=log,
        handlers={"Heartbeat": heartbeat, "Authorize": boom, "DataTransfer": refuse},
    )
    task = asyncio.get_running_loop().create_task(session.serve())
    yield raw, session, log
    await raw.close()
    await asyncio.wait_for(task, 5)


async def exchange(raw, text: str):
    await raw.send(text)
    return json.loads(await asyncio.wait_for(raw.recv(), 5))


async def test_a_valid_call_gets_its_callresult_and_both_frames_are_logged_as_valid(pair):
    raw, _session, log = pair
    reply = await exchange(raw, '[2,"m1","Heartbeat",{}]')
    assert reply == [3, "m1", {"currentTime": "2026-01-01T00:00:00Z"}]
    assert [(r.direction, r.type, r.action, r.valid) for r in log.records] == [
        ("rx", "CALL", "Heartbeat", True),
        ("tx", "CALLRESULT", "Heartbeat", True),
    ]


async def test_malformed_json_is_answered_with_formationviolation_and_id_minus_one(pair):
    """OCPP-J 1.6 §4.2.3 and errata §5.2: the 1.6 code is spelled FormationViolation."""
    raw, _session, log = pair
    reply = await exchange(raw, '[2, "m1", "Heartbeat", {')
    assert reply[0] == 4 and reply[1] == "-1" and reply[2] == "FormationViolation"
    assert log.records[0].type == "MALFORMED" and log.records[0].valid is False


async def test_an_unknown_message_type_is_a_protocol_error(pair):
    raw, _session, _log = pair
    reply = await exchange(raw, '[7,"m2","Heartbeat",{}]')
    assert reply[:3] == [4, "m2", "ProtocolError"]


async def test_an_unknown_action_is_answered_not_implemented(pair):
    """OCPP-J 1.6 §4.2.3: NotImplemented, 'Requested Action is not known by receiver'."""
    raw, _session, _log = pair
    reply = await exchange(raw, '[2,"m3","FlyToTheMoon",{}]')
    assert reply[:3] == [4, "m3", "NotImplemented"]


async def test_a_known_action_without_a_handler_is_not_supported(pair):
    raw, _session, _log = pair
    reply = await exchange(raw, '[2,"m4","ClearCache",{}]')
    assert reply[:3] == [4, "m4", "NotSupported"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"idTag": 12}, "TypeConstraintViolation"),
        ({"idTag": "X" * 21}, "TypeConstraintViolation"),
        ({}, "OccurenceConstraintViolation"),
        ({"idTag": "A", "extra": 1}, "FormationViolation"),
    ],
)
async def test_schema_violations_get_the_1_6_error_code_for_their_kind(pair, payload, code):
    """OCPP-J 1.6 §4.2.3 with errata §5.1/§5.2 spellings; CiString20 overflow is a type error."""
    raw, _session, log = pair
    reply = await exchange(raw, json.dumps([2, "m5", "Authorize", payload]))
    assert reply[:3] == [4, "m5", code]
    assert log.records[0].valid is False and log.records[0].error


async def test_an_enum_value_outside_its_set_is_a_property_constraint_violation(pair):
    raw, _session, _log = pair
    frame = [2, "m6", "DataTransfer", {"vendorId": "x"}]
    frame_bad = [2, "m6", "ChangeAvailability", {"connectorId": 1, "type": "Sometimes"}]
    reply = await exchange(raw, json.dumps(frame_bad))
    assert reply[:3] == [4, "m6", "PropertyConstraintViolation"]
    reply = await exchange(raw, json.dumps(frame))
    assert reply[:3] == [4, "m6", "SecurityError"]


@pytest.mark.allow_errors
async def test_a_failing_handler_answers_internal_error_and_the_session_keeps_serving(pair):
    raw, _session, _log = pair
    reply = await exchange(raw, '[2,"m7","Authorize",{"idTag":"A"}]')
    assert reply[:3] == [4, "m7", "InternalError"]
    reply = await exchange(raw, '[2,"m8","Heartbeat",{}]')
    assert reply[0] == 3


async def test_call_returns_the_reply_payload_and_measures_latency():
    a, b = memory_pair()
    log = Recorder()
    cp = OcppSession(a, version="1.6", station_id="CP1", handlers={}, sink=log)
    csms = OcppSession(b, version="1.6", station_id="CP1", handlers={"Heartbeat": heartbeat})
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(cp.serve()), loop.create_task(csms.serve())]
    reply = await cp.call("Heartbeat", {})
    assert reply == {"currentTime": "2026-01-01T00:00:00Z"}
    result = next(r for r in log.records if r.type == "CALLRESULT")
    assert result.direction == "rx" and result.latency_ms is not None and result.latency_ms >= 0
    await a.close()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def test_a_callerror_reply_raises_callerror_with_code_and_description():
    a, b = memory_pair()
    cp = OcppSession(a, version="1.6", station_id="CP1", handlers={})
    loop = asyncio.get_running_loop()
    task = loop.create_task(cp.serve())
    call = loop.create_task(cp.call("Heartbeat", {}))
    frame = json.loads(await asyncio.wait_for(b.recv(), 5))
    await b.send(json.dumps([4, frame[1], "InternalError", "try later", {}]))
    with pytest.raises(CallError) as info:
        await asyncio.wait_for(call, 5)
    assert info.value.code == "InternalError" and info.value.description == "try later"
    await a.close()
    await asyncio.wait_for(task, 5)


async def test_an_invalid_reply_raises_invalidreply_and_is_logged_invalid():
    a, b = memory_pair()
    log = Recorder()
    cp = OcppSession(a, version="1.6", station_id="CP1", handlers={}, sink=log)
    loop = asyncio.get_running_loop()
    task = loop.create_task(cp.serve())
    call = loop.create_task(cp.call("Heartbeat", {}))
    frame = json.loads(await asyncio.wait_for(b.recv(), 5))
    await b.send(json.dumps([3, frame[1], {"currentTime": 5}]))
    with pytest.raises(InvalidReply):
        await asyncio.wait_for(call, 5)
    assert log.records[-1].valid is False
    await a.close()
    await asyncio.wait_for(task, 5)


async def test_an_unexpected_reply_is_logged_and_ignored():
    a, b = memory_pair()
    log = Recorder()
    cp = OcppSession(a, version="1.6", station_id="CP1", handlers={}, sink=log)
    task = asyncio.get_running_loop().create_task(cp.serve())
    await b.send('[3,"nobody-asked",{}]')
    await b.send('[2,"x","Heartbeat",{}]')  # the session must still be serving
    reply = json.loads(await asyncio.wait_for(b.recv(), 5))
    assert reply[:3] == [4, "x", "NotSupported"]
    assert "unexpected" in log.records[0].error
    await a.close()
    await asyncio.wait_for(task, 5)


async def test_an_invalid_outgoing_payload_is_refused_before_it_is_sent():
    a, b = memory_pair()
    cp = OcppSession(a, version="1.6", station_id="CP1", handlers={})
    with pytest.raises(InvalidOutgoing):
        await cp.call("Authorize", {"idTag": 5})
    assert b.pending == 0


async def test_a_reply_then_callback_runs_after_the_reply_is_on_the_wire():
    a, b = memory_pair()
    order = []

    async def remote_start(_payload):
        return Reply({"status": "Accepted"}, then=lambda: order.append(b.pending))

    csms_side = OcppSession(
        a, version="1.6", station_id="CP1", handlers={"RemoteStartTransaction": remote_start}
    )
    await csms_side.feed('[2,"r1","RemoteStartTransaction",{"idTag":"T"}]')
    assert order == [1]  # the reply was already queued to the peer when `then` ran
    assert json.loads(await b.recv()) == [3, "r1", {"status": "Accepted"}]


async def test_a_call_sent_unchecked_on_purpose_goes_out_and_is_logged_with_its_schema_verdict():
    """A conformance case's malformed request (issue 14): sent as it is, and the log
    still says it fails its schema and why."""
    raw, served = memory_pair()
    log = Recorder()
    session = OcppSession(served, version="1.6", station_id="CP1", handlers={}, sink=log)
    call = asyncio.get_running_loop().create_task(
        session.call("Reset", {"type": "Sideways"}, timeout=5, validate=False)
    )
    frame = json.loads(await asyncio.wait_for(raw.recv(), 5))
    assert frame[2:] == ["Reset", {"type": "Sideways"}]
    sent = log.records[0]
    assert (sent.direction, sent.type, sent.valid) == ("tx", "CALL", False)
    assert "data.type must be one of" in (sent.error or "")
    call.cancel()
    await asyncio.gather(call, return_exceptions=True)


async def test_a_reply_is_acted_on_before_a_request_right_behind_it_is_handled():
    """OCPP-J frames are handled in the order they arrive: the caller sees its reply
    before the next request is handled. B03.FR.08 (TC_B_30_CS): a request right behind
    the BootNotificationResponse Rejected gets CALLERROR SecurityError."""
    raw, served = memory_pair()

    async def get_variables(payload):
        item = payload["getVariableData"][0]
        return {"getVariableResult": [{"attributeStatus": "Accepted", **item}]}

    session = OcppSession(
        served, version="2.0.1", station_id="CS1", handlers={"GetVariables": get_variables}
    )
    session.refuse_unanswered = True
    loop = asyncio.get_running_loop()
    serving = loop.create_task(session.serve())

    async def boot():
        boot_payload = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}
        conf = await session.call("BootNotification", boot_payload)
        session.answer_calls = conf["status"] != "Rejected"

    booting = loop.create_task(boot())
    sent = json.loads(await asyncio.wait_for(raw.recv(), 5))
    rejected = {"status": "Rejected", "currentTime": "2026-01-01T00:00:00Z", "interval": 10}
    request = {
        "getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
        ]
    }
    await raw.send(json.dumps([3, sent[1], rejected]))
    await raw.send(json.dumps([2, "c1", "GetVariables", request]))
    reply = json.loads(await asyncio.wait_for(raw.recv(), 5))
    await asyncio.wait_for(booting, 5)
    assert reply[:3] == [4, "c1", "SecurityError"]
    await raw.close()
    await asyncio.wait_for(serving, 5)
