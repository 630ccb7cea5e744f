"""A hostile CSMS against a 2.0.1 station: every attack gets its answer, nothing stops.

The 2.0.1 twin of ``tests/e2e/test_hostile_csms.py``. A hand-driven loopback CSMS
speaking ocpp2.0.1 (``raw_csms201``) sends what no CSMS should: malformed JSON, a
wrong message type, unknown actions, bad payloads, deep nesting, a 5 MB frame,
binary frames, a burst, stray and duplicate ids, and leaves a TransactionEvent
unanswered. After each attack the station still runs a whole transaction, and the
real SQLite message log and JSON Lines file hold every frame, attack included.
Error codes are the 2.0.1 spellings of OCPP-J part 4 §4.3 (FormatViolation,
OccurrenceConstraintViolation, RpcFrameworkError, MessageTypeNotSupported).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.kernel.frames import FanOut
from bench.ocpp.session import MAX_DEPTH, MAX_FRAME_CHARS
from bench.ocpp.v201.charge_point import ChargePoint201
from bench.store.db import open_database
from bench.store.messages import MessageLog
from bench.store.sinks import JsonlSink
from tests.e2e.conftest import RawCsms, ev, frame_list, wait_until
from tests.e2e.v201.conftest import Cp201Factory

BURST_WAIT = 30.0  # real seconds the 600-call burst may take on a busy machine


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def tx_events(raw: RawCsms, event_type: str) -> list[dict[str, Any]]:
    """The TransactionEvent payloads of ``event_type`` the CSMS received, in order."""
    return [p for a, p in raw.calls if a == "TransactionEvent" and p["eventType"] == event_type]


async def finish_a_transaction(cp: ChargePoint201, raw: RawCsms) -> None:
    """Plug, badge, charge, badge again, unplug: proof that the station still works.

    E01-E06 with the default points (TxStartPoint PowerPathClosed, TxStopPoint
    EVConnected,Authorized): the card again ends it with stoppedReason Local.
    """
    started_before = len(tx_events(raw, "Started"))
    ended_before = len(tx_events(raw, "Ended"))
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(tx_events(raw, "Started")) > started_before, what="Started")
    tx_id = tx_events(raw, "Started")[-1]["transactionInfo"]["transactionId"]
    await wait_until(
        lambda: any(
            p["transactionInfo"]["transactionId"] == tx_id
            and p["transactionInfo"].get("chargingState") == "Charging"
            for p in tx_events(raw, "Started") + tx_events(raw, "Updated")
        ),
        what="Charging",
    )
    cp.present_id("TAG1")
    await wait_until(lambda: len(tx_events(raw, "Ended")) > ended_before, what="Ended")
    ended = tx_events(raw, "Ended")[-1]
    assert ended["transactionInfo"]["transactionId"] == tx_id
    assert ended["transactionInfo"]["stoppedReason"] == "Local"
    cp.station.connector(1).unplug()
    await wait_until(lambda: cp.transactions.active(1) is None, what="no open transaction")


class Logs:
    """The station's real SQLite message log and JSON Lines file."""

    def __init__(self, tmp_path: Path) -> None:
        self.conn = open_database(tmp_path / "log.db")
        self.sqlite = MessageLog(self.conn)
        self.path = tmp_path / "frames.jsonl"
        self.jsonl = JsonlSink(self.path)

    def assert_hold_every_frame(self, cp: ChargePoint201) -> None:
        """Both logs hold exactly the frames the station saw, each JSON line whole."""
        self.jsonl.flush()
        seen = len(frame_list(cp).records)
        assert self.sqlite.count() == seen
        lines = self.path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == seen
        for line in lines:
            json.loads(line)

    def close(self) -> None:
        self.jsonl.close()
        self.sqlite.close()
        self.conn.close()


@pytest.fixture
async def logs(tmp_path: Path) -> AsyncIterator[Logs]:
    kept = Logs(tmp_path)
    yield kept
    kept.close()


@pytest.fixture
async def station(raw_csms201: RawCsms, make_cp201: Cp201Factory, logs: Logs) -> ChargePoint201:
    """An accepted 2.0.1 station logging to ``logs``, connected to ``raw_csms201``."""
    cp = await make_cp201(raw_csms201.url, log=FanOut(logs.sqlite, logs.jsonl))
    await raw_csms201.connected.wait()
    return cp


def malformed(cp: ChargePoint201) -> list[Any]:
    return [r for r in frame_list(cp).records if r.type == "MALFORMED"]


async def test_a_deeply_nested_call_is_refused_and_the_log_and_session_survive_a_burst(
    raw_csms201: RawCsms, station: ChargePoint201, logs: Logs
) -> None:
    """Issue 11 #1: 1,000 levels of nesting get FormatViolation (part 4 §4.3) with the
    CALL's own id; then 600 calls in a row are all answered and logged."""
    await raw_csms201.send_raw(f'[2, "deep", "DataTransfer", {{"x": {nested(1000)}}}]')
    reply = await raw_csms201.reply_to("deep")
    assert reply[:3] == [4, "deep", "FormatViolation"]
    assert f"deeper than {MAX_DEPTH}" in reply[3]
    assert reply[4] == {}
    for i in range(600):
        await raw_csms201.send_raw(f'[2, "b{i}", "ClearCache", {{}}]')
    # A bound for a slow machine, not a pause: 600 logged round trips.
    await wait_until(lambda: "b599" in raw_csms201.replies, BURST_WAIT, "the 600th reply")
    assert all(raw_csms201.replies[f"b{i}"][0][0] == 3 for i in range(600))
    await finish_a_transaction(station, raw_csms201)
    logs.assert_hold_every_frame(station)


async def test_a_5_mb_frame_gets_a_callerror_and_the_connection_stays_up(
    raw_csms201: RawCsms, station: ChargePoint201, logs: Logs
) -> None:
    """Issue 11 #1: a frame past the size bound is answered FormatViolation, not a
    dropped link; the log keeps the head of the frame, not 5 MB."""
    blob = "x" * (5 * 1024 * 1024)
    assert len(blob) > MAX_FRAME_CHARS
    link = raw_csms201.link
    await raw_csms201.send_raw(
        f'[2, "huge", "DataTransfer", {{"vendorId": "v", "data": "{blob}"}}]'
    )
    reply = await raw_csms201.reply_to("huge")
    assert reply[:3] == [4, "huge", "FormatViolation"]
    assert "exceeds the limit" in reply[3]
    assert len(malformed(station)[-1].payload) < 4096
    await finish_a_transaction(station, raw_csms201)
    assert raw_csms201.link is link  # the same connection carried the transaction
    logs.assert_hold_every_frame(station)


async def test_binary_frames_are_refused_as_ocpp_j_allows_text_frames_only(
    raw_csms201: RawCsms, station: ChargePoint201, logs: Logs
) -> None:
    """Issue 11 #6: binary frames, valid UTF-8 or not, are not OCPP-J; RpcFrameworkError,
    with the CALL's id when it can be read and "-1" when it cannot (part 4 §4.2.3)."""
    await raw_csms201.link._conn.send(b'[2, "bin1", "ClearCache", {}]')
    reply = await raw_csms201.reply_to("bin1")
    assert reply[2] == "RpcFrameworkError"
    assert "binary" in reply[3]
    await raw_csms201.link._conn.send(b"\xff\xfe\x00garbage")
    reply = await raw_csms201.reply_to("-1")
    assert reply[2] == "RpcFrameworkError"
    assert "binary" in reply[3]
    assert len(malformed(station)) == 2
    await finish_a_transaction(station, raw_csms201)
    logs.assert_hold_every_frame(station)


# (frame, id of the CALLERROR, errorCode): part 4 §4.2.3 and the §4.3 table.
REFUSED = [
    # Not JSON, or JSON that is no message array: the id cannot be read, so "-1".
    ("not json at all", "-1", "RpcFrameworkError"),
    ('{"hello": "world"}', "-1", "RpcFrameworkError"),
    # A CALL with three elements, or with an action that is no string: not a valid
    # RPC request (FormatViolation is about the payload).
    ('[2, "m1", "ClearCache"]', "m1", "RpcFrameworkError"),
    ('[2, "m1b", 42, {}]', "m1b", "RpcFrameworkError"),
    # §4.4: an unknown message type number.
    ('[9, "m2", "ClearCache", {}]', "m2", "MessageTypeNotSupported"),
    # An action 2.0.1 does not define, and one only a station sends.
    ('[2, "m3", "Teleport", {}]', "m3", "NotImplemented"),
    ('[2, "m4", "Heartbeat", {}]', "m4", "NotSupported"),
    # Payloads against the schema: wrong type, a missing field, a value outside the
    # enumeration, a property the schema does not have (additionalProperties false).
    ('[2, "m5", "ChangeAvailability", {"operationalStatus": 5}]', "m5", "TypeConstraintViolation"),
    ('[2, "m6", "ChangeAvailability", {}]', "m6", "OccurrenceConstraintViolation"),
    (
        '[2, "m7", "ChangeAvailability", {"operationalStatus": "Sideways"}]',
        "m7",
        "PropertyConstraintViolation",
    ),
    ('[2, "m8", "ClearCache", {"extra": true}]', "m8", "FormatViolation"),
]


async def test_malformed_frames_of_every_class_get_the_2_0_1_error_codes(
    raw_csms201: RawCsms, station: ChargePoint201, logs: Logs
) -> None:
    """Part 4 §4.3: each class of bad frame gets its 2.0.1 error code; stray replies
    get none; a duplicate id is answered twice; the station charges afterwards."""
    for text, _, _ in REFUSED:
        await raw_csms201.send_raw(text)
    others = [
        '[3, "stray", {"status": "Accepted"}]',  # a reply to nothing: logged, not answered
        '[4, "stray2", "InternalError", "", {}]',
        '[2, "d1", "ClearCache", {}]',
        '[2, "d1", "ClearCache", {}]',  # the same id again: answered again
        orjson.dumps([2, "u1", "DataTransfer", {"vendorId": "\u00e9\u4e2d"}]).decode(),
    ]
    for text in others:
        await raw_csms201.send_raw(text)
    await wait_until(lambda: len(raw_csms201.replies.get("d1", [])) == 2, what="both d1 replies")
    await raw_csms201.reply_to("u1")
    for text, msg_id, code in REFUSED:
        replies = raw_csms201.replies.get(msg_id, [])
        assert any(r[0] == 4 and r[2] == code for r in replies), (text, replies)
    assert len(raw_csms201.replies["-1"]) == 2
    errors = [r for rs in raw_csms201.replies.values() for r in rs if r[0] == 4]
    assert len(errors) == len(REFUSED)
    assert all(len(r) == 5 and isinstance(r[3], str) and r[4] == {} for r in errors)
    assert [r[0] for r in raw_csms201.replies["d1"]] == [3, 3]
    assert raw_csms201.replies["u1"][0][0] == 3
    assert "stray" not in raw_csms201.replies and "stray2" not in raw_csms201.replies
    await finish_a_transaction(station, raw_csms201)
    logs.assert_hold_every_frame(station)


async def test_an_unanswered_transaction_event_is_sent_again_and_the_transaction_completes(
    raw_csms201: RawCsms, make_cp201: Cp201Factory, logs: Logs
) -> None:
    """A missing reply is a failure to deliver (part 2 E13: the message timeout); the
    same TransactionEvent goes again (E13.FR.02) and the transaction completes."""
    silenced: list[dict[str, Any]] = []

    def swallow_first_started(msg_id: str, payload: dict[str, Any]) -> str | None:
        if payload["eventType"] == "Started" and not silenced:
            silenced.append(payload)
            return None
        reply = {"idTokenInfo": {"status": "Accepted"}} if "idToken" in payload else {}
        return orjson.dumps([3, msg_id, reply]).decode()

    raw_csms201.override["TransactionEvent"] = swallow_first_started
    cp = await make_cp201(
        raw_csms201.url,
        call_timeout=1.0,
        variables={"OCPPCommCtrlr.MessageAttempts[TransactionEvent]": "5"},
        log=FanOut(logs.sqlite, logs.jsonl),
    )
    await finish_a_transaction(cp, raw_csms201)
    started = tx_events(raw_csms201, "Started")
    assert len(started) >= 2
    assert started[1]["seqNo"] == started[0]["seqNo"] == 0  # the same message, again
    assert started[1]["transactionInfo"] == started[0]["transactionInfo"]
    sent_started = [
        r for r in frame_list(cp).sent("CALL", "TransactionEvent") if r.payload == started[0]
    ]
    assert len(sent_started) >= 2  # the station's own log shows the message sent again
    logs.assert_hold_every_frame(cp)
