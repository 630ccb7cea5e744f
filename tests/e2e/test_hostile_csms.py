"""A hostile CSMS against a 1.6 station: every attack gets its answer, nothing stops.

A hand-driven loopback CSMS (``RawCsms``) sends what no CSMS should: deep
nesting, a 5 MB frame, binary frames, invalid UTF-8, bursts, stray replies. After
each attack the station still charges a whole session, and the real SQLite
message log and JSON Lines file hold every frame, attack included.
Error codes are the 1.6 spellings (OCPP-J 1.6 §4.2.3, errata §5.1).
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from bench.kernel.frames import FanOut
from bench.ocpp.session import MAX_DEPTH, MAX_FRAME_CHARS
from bench.store.db import open_database
from bench.store.messages import MessageLog
from bench.store.sinks import JsonlSink
from tests.e2e.conftest import RawCsms, frame_list, wait_until
from tests.e2e.test_v16_bad_input import finish_a_session

BURST_WAIT = 30.0  # real seconds the 600-call burst may take on a busy machine


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
async def logged(tmp_path: Path, raw_csms: RawCsms, make_cp):
    """A station whose frames go to a real SQLite log and a real JSON Lines file."""
    conn = open_database(tmp_path / "log.db")
    sqlite_log = MessageLog(conn)
    jsonl = JsonlSink(tmp_path / "frames.jsonl")
    cp = await make_cp(raw_csms.url, log=FanOut(sqlite_log, jsonl))
    await raw_csms.connected.wait()
    LOGS[id(cp)] = (sqlite_log, jsonl, tmp_path / "frames.jsonl")
    yield cp
    del LOGS[id(cp)]
    jsonl.close()
    sqlite_log.close()
    conn.close()


LOGS: dict[int, tuple[MessageLog, JsonlSink, Path]] = {}


def assert_logs_agree(cp) -> None:
    """The SQLite log and the JSON Lines file hold every frame the station saw."""
    sqlite_log, jsonl, path = LOGS[id(cp)]
    jsonl.flush()
    seen = len(frame_list(cp).records)
    assert sqlite_log.count() == seen
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == seen
    for line in lines:
        json.loads(line)  # every line is whole, valid JSON


async def test_a_deeply_nested_call_is_refused_and_the_log_and_session_survive_a_burst(
    raw_csms: RawCsms, logged
) -> None:
    """Issue 11 #1: 1,000 levels of nesting, then 600 calls: all answered, all logged."""
    await raw_csms.send_raw(f'[2, "deep", "Teleport", {{"x": {nested(1000)}}}]')
    reply = await raw_csms.reply_to("deep")
    assert reply[2] == "FormationViolation"
    assert f"deeper than {MAX_DEPTH}" in reply[3]
    for i in range(600):
        await raw_csms.send_raw(f'[2, "b{i}", "ClearCache", {{}}]')
    # A bound for a slow machine, not a pause: 600 logged round trips.
    await wait_until(lambda: "b599" in raw_csms.replies, BURST_WAIT, "the 600th reply")
    assert all(raw_csms.replies[f"b{i}"][0][0] == 3 for i in range(600))
    await finish_a_session(logged, raw_csms)
    assert_logs_agree(logged)


async def test_a_5_mb_frame_gets_a_callerror_and_the_connection_stays_up(
    raw_csms: RawCsms, logged
) -> None:
    """Issue 11 #1: a frame past the size bound is answered, not a dropped link."""
    blob = "x" * (5 * 1024 * 1024)
    assert len(blob) > MAX_FRAME_CHARS
    await raw_csms.send_raw(f'[2, "huge", "DataTransfer", {{"vendorId": "v", "data": "{blob}"}}]')
    reply = await raw_csms.reply_to("huge")
    assert reply[2] == "FormationViolation"
    assert "exceeds the limit" in reply[3]
    malformed = [r for r in frame_list(logged).records if r.type == "MALFORMED"]
    assert len(malformed[-1].payload) < 4096  # the log keeps the head, not 5 MB
    await finish_a_session(logged, raw_csms)
    assert_logs_agree(logged)


async def test_binary_frames_are_refused_as_ocpp_j_allows_text_frames_only(
    raw_csms: RawCsms, logged
) -> None:
    """Issue 11 #6, OCPP-J 1.6 §4: binary frames (valid UTF-8 or not) are not OCPP."""
    await raw_csms.link._conn.send(b'[2, "bin1", "ClearCache", {}]')
    reply = await raw_csms.reply_to("bin1")
    assert reply[2] == "FormationViolation"
    assert "binary" in reply[3]
    await raw_csms.link._conn.send(b"\xff\xfe\x00garbage")
    reply = await raw_csms.reply_to("-1")
    assert "binary" in reply[3]
    records = [r for r in frame_list(logged).records if r.type == "MALFORMED"]
    assert len(records) == 2
    await finish_a_session(logged, raw_csms)
    assert_logs_agree(logged)


async def test_malformed_frames_of_every_class_leave_the_station_charging(
    raw_csms: RawCsms, logged
) -> None:
    """Issue 11, classes that already held: keep holding, all logged."""
    frames = [
        "not json at all",
        '{"hello": "world"}',
        '[2, "m1", "Reset"]',
        '[9, "m2", "Reset", {}]',
        '[2, "m3", "Teleport", {}]',
        '[2, "m4", "ChangeConfiguration", {"key": 5, "value": "1"}]',
        '[2, "m5", "Reset", {}]',
        '[3, "stray", {"status": "Accepted"}]',
        '[4, "stray2", "InternalError", "", {}]',
        '[2, "m6", "ClearCache", {}]',
        '[2, "m6", "ClearCache", {}]',  # a duplicate id: answered twice
        orjson.dumps([2, "m7", "DataTransfer", {"vendorId": "\u00e9\u4e2d"}]).decode(),
    ]
    for text in frames:
        await raw_csms.send_raw(text)
    await wait_until(lambda: len(raw_csms.replies.get("m6", [])) == 2, what="both m6 replies")
    await raw_csms.reply_to("m7")
    assert "stray" not in raw_csms.replies and "stray2" not in raw_csms.replies
    await finish_a_session(logged, raw_csms)
    assert_logs_agree(logged)


async def test_a_csms_that_never_replies_times_out_and_the_station_keeps_going(
    raw_csms: RawCsms, make_cp
) -> None:
    """A missing reply is a timeout; the transaction message is retried (1.6 §4.10)."""
    starts = {"n": 0}

    def swallow_first_start(msg_id: str, payload: dict) -> str | None:
        starts["n"] += 1
        if starts["n"] == 1:
            return None
        reply = {"transactionId": 41, "idTagInfo": {"status": "Accepted"}}
        return orjson.dumps([3, msg_id, reply]).decode()

    raw_csms.override["StartTransaction"] = swallow_first_start
    cp = await make_cp(
        raw_csms.url, keys={"TransactionMessageRetryInterval": "1"}, call_timeout=1.0
    )
    await finish_a_session(cp, raw_csms)
    assert starts["n"] >= 2
    (stop,) = await raw_csms.wait_call("StopTransaction")
    assert stop["transactionId"] == 41
