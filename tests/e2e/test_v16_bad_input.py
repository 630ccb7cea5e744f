"""A misbehaving CSMS: the station answers with the right OCPP-J 1.6 CALLERROR and carries on.

Error codes are the 1.6 spellings kept by the OCPP-J errata (§5.1, §5.2):
``FormationViolation`` and ``OccurenceConstraintViolation``. A hand-driven
loopback server (``RawCsms``) sends the frames the built-in CSMS never would.
"""

from __future__ import annotations

import orjson
import pytest

from tests.e2e.conftest import WAIT, RawCsms, ev, wait_until


async def finish_a_session(cp, raw: RawCsms) -> None:
    """Charge and stop once: proof that the station is still working."""
    before = len([a for a, _ in raw.calls if a == "StopTransaction"])
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await raw.wait_call("StartTransaction")
    await wait_until(lambda: cp.status_of(1).status == "Charging", what="Charging")
    cp.present_id("TAG1")
    (*_, stop) = await raw.wait_call("StopTransaction", before + 1)
    assert stop["reason"] == "Local"
    cp.station.connector(1).unplug()


@pytest.fixture
async def station(raw_csms: RawCsms, make_cp):
    cp = await make_cp(raw_csms.url)
    await raw_csms.connected.wait()
    return cp


@pytest.mark.parametrize(
    ("frame", "reply_id", "code"),
    [
        # OCPP-J 1.6 §4.2.3 FormationViolation: not a valid message at all.
        ('[2, "m1", "Reset", {"type": ', "-1", "FormationViolation"),
        ('{"hello": "world"}', "-1", "FormationViolation"),
        ('[2, "m2", "Reset"]', "m2", "FormationViolation"),
        # An unknown message type id: 1.6 has no MessageTypeNotSupported.
        ('[7, "m3", "Reset", {"type": "Soft"}]', "m3", "ProtocolError"),
        # An action 1.6 does not define.
        ('[2, "m4", "Teleport", {}]', "m4", "NotImplemented"),
        # A 1.6 action the station knows but only ever sends itself.
        ('[2, "m5", "Heartbeat", {}]', "m5", "NotSupported"),
        # Wrong JSON type for a field.
        (
            '[2, "m6", "ChangeConfiguration", {"key": 5, "value": "1"}]',
            "m6",
            "TypeConstraintViolation",
        ),
        (
            '[2, "m7", "RemoteStartTransaction", {"idTag": "' + "X" * 21 + '"}]',
            "m7",
            "TypeConstraintViolation",
        ),
        # A value outside its enumeration.
        (
            '[2, "m8", "ChangeAvailability", {"connectorId": 1, "type": "Sideways"}]',
            "m8",
            "PropertyConstraintViolation",
        ),
        # A required field missing (the errata's spelling).
        ('[2, "m9", "Reset", {}]', "m9", "OccurenceConstraintViolation"),
        # A field the schema does not allow.
        ('[2, "m10", "ClearCache", {"please": true}]', "m10", "FormationViolation"),
    ],
)
async def test_a_bad_frame_from_the_csms_gets_the_1_6_callerror_and_the_station_carries_on(
    raw_csms: RawCsms, station, frame: str, reply_id: str, code: str
) -> None:
    """OCPP-J 1.6 §4.2.3 (errata §5.1/§5.2): the CALLERROR code names what was wrong."""
    await raw_csms.send_raw(frame)
    reply = await raw_csms.reply_to(reply_id)
    assert reply[0] == 4
    assert reply[2] == code
    assert isinstance(reply[3], str) and isinstance(reply[4], dict)
    assert station.accepted
    await finish_a_session(station, raw_csms)


async def test_too_many_keys_in_get_configuration_is_an_occurrence_violation(
    raw_csms: RawCsms, station
) -> None:
    """1.6 §5.8, §9.1.9 GetConfigurationMaxKeys: more keys than allowed."""
    keys = [f"Key{i}" for i in range(101)]
    frame = orjson.dumps([2, "g1", "GetConfiguration", {"key": keys}]).decode()
    await raw_csms.send_raw(frame)
    reply = await raw_csms.reply_to("g1")
    assert reply[2] == "OccurenceConstraintViolation"


async def test_an_unexpected_callresult_is_ignored(raw_csms: RawCsms, station) -> None:
    """OCPP-J 1.6 §4.1.2: a CALLRESULT to no pending CALL is dropped, never answered."""
    await raw_csms.send_raw('[3, "nobody-asked", {"status": "Accepted"}]')
    await raw_csms.send_raw('[4, "nobody-asked-either", "InternalError", "", {}]')
    await finish_a_session(station, raw_csms)
    assert "nobody-asked" not in raw_csms.replies
    assert "nobody-asked-either" not in raw_csms.replies


async def test_a_callerror_to_start_transaction_is_retried_and_the_session_completes(
    raw_csms: RawCsms, make_cp
) -> None:
    """1.6 §3.7.1: a CALLERROR is a failure to process; the station resends and goes on."""
    answered = {"n": 0}

    def start_once_failing(msg_id: str, payload: dict) -> str:
        answered["n"] += 1
        if answered["n"] == 1:
            return orjson.dumps([4, msg_id, "InternalError", "database is down", {}]).decode()
        return orjson.dumps(
            [3, msg_id, {"transactionId": 77, "idTagInfo": {"status": "Accepted"}}]
        ).decode()

    raw_csms.override["StartTransaction"] = start_once_failing
    cp = await make_cp(raw_csms.url, keys={"TransactionMessageRetryInterval": "5"})
    await finish_a_session(cp, raw_csms)
    starts = await raw_csms.wait_call("StartTransaction", 2)
    assert starts[0] == starts[1]  # the same message, sent again
    (stop,) = await raw_csms.wait_call("StopTransaction")
    assert stop["transactionId"] == 77


async def test_an_invalid_start_transaction_reply_is_treated_as_a_failure_and_retried(
    raw_csms: RawCsms, make_cp
) -> None:
    """OCPP-J 1.6 §4.2.3: a reply that fails its schema is not a processed message."""
    answered = {"n": 0}

    def start_with_a_broken_reply(msg_id: str, payload: dict) -> str:
        answered["n"] += 1
        if answered["n"] == 1:
            return orjson.dumps([3, msg_id, {"transactionId": "seven"}]).decode()
        return orjson.dumps(
            [3, msg_id, {"transactionId": 8, "idTagInfo": {"status": "Accepted"}}]
        ).decode()

    raw_csms.override["StartTransaction"] = start_with_a_broken_reply
    cp = await make_cp(raw_csms.url, keys={"TransactionMessageRetryInterval": "5"})
    await finish_a_session(cp, raw_csms)
    (stop,) = await raw_csms.wait_call("StopTransaction")
    assert stop["transactionId"] == 8


async def test_a_csms_that_vanishes_mid_session_gets_the_queue_when_it_is_back(
    raw_csms: RawCsms, make_cp
) -> None:
    """1.6 §3.7: the server goes away while charging; the station queues the Stop,
    reconnects when a server listens on the address again, and delivers it."""
    cp = await make_cp(raw_csms.url)
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await raw_csms.wait_call("StartTransaction")
    tx = cp.station.connector(1).transaction
    tx_id = await wait_until(lambda: tx.protocol_id, what="the transactionId")
    port = raw_csms.server.port
    await raw_csms.stop()
    await wait_until(lambda: not cp.online, what="offline")
    cp.present_id("TAG1")
    await wait_until(lambda: len(cp.transactions.queue) == 1, what="a queued stop")
    back = RawCsms()
    await back.start(port)
    try:
        (stop,) = await back.wait_call("StopTransaction", timeout=WAIT)
        assert stop["transactionId"] == tx_id
        assert stop["reason"] == "Local"
        assert next(a for a, _ in back.calls) != "BootNotification"  # same power-on (§4.2)
    finally:
        await cp.stop()
        await back.stop()
