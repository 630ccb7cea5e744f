"""The SQLite message log: batching, queries, export (bench/store/messages.py)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.kernel.frames import FrameRecord
from bench.store import messages as messages_module
from bench.store.db import open_database
from bench.store.messages import MessageLog, payload_text
from bench.store.sinks import JsonlSink

T0 = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC).timestamp()


def frame(
    n: int = 0,
    station: str = "CP-1",
    direction: str = "tx",
    type: str = "CALL",
    action: str | None = "Heartbeat",
    payload: object = None,
    valid: bool | None = True,
    error: str | None = None,
    latency_ms: float | None = None,
    raw: str | None = None,
) -> FrameRecord:
    return FrameRecord(
        ts=T0 + n * 0.25,
        station=station,
        direction=direction,
        type=type,
        id=f"m{n}",
        action=action,
        payload={} if payload is None else payload,
        valid=valid,
        error=error,
        latency_ms=latency_ms,
        raw=raw,
    )


def rows_on_disk(db_path: Path) -> int:
    """Count rows through a second connection: sees only what was committed."""
    with sqlite3.connect(db_path) as other:
        return other.execute("SELECT count(*) FROM messages").fetchone()[0]


async def wait_until(
    predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.01
) -> None:
    """Poll ``predicate``, bounded in count and time (the flusher has no event to wait on)."""
    for _ in range(int(timeout / step)):
        if predicate():
            return
        await asyncio.sleep(step)
    raise TimeoutError("condition not met in time")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "run" / "bench.db"


@pytest.fixture
def log(db_path: Path):
    conn = open_database(db_path)
    yield MessageLog(conn)
    conn.close()


def mixed_frames() -> list[FrameRecord]:
    return [
        frame(
            0,
            action="BootNotification",
            payload={"chargePointVendor": "V", "chargePointModel": "M"},
        ),
        frame(
            1,
            direction="rx",
            type="CALLRESULT",
            action="BootNotification",
            payload={"status": "Accepted", "currentTime": "2026-03-01T08:00:00Z", "interval": 300},
            latency_ms=12.3456,
        ),
        frame(2, station="CP-2", action="Authorize", payload={"idTag": "ABC123"}),
        frame(
            3,
            station="CP-2",
            direction="rx",
            type="CALLERROR",
            action="Authorize",
            payload={"detail": "db down"},
            error="InternalError",
            latency_ms=4.0,
        ),
        frame(
            4,
            direction="rx",
            type="MALFORMED",
            action=None,
            payload="[2,oops",
            valid=None,
            error="not JSON",
        ),
        frame(
            5,
            action="StatusNotification",
            payload={"connectorId": 1, "status": "Faulted"},
            valid=False,
            error="status: 'Faulted' requires errorCode",
        ),
    ]


def test_recorded_frames_round_trip_through_the_database_with_every_field(log: MessageLog):
    originals = mixed_frames()
    for rec in originals:
        log.record(rec)
    log.flush()

    back = log.query()

    assert [(r.ts, r.station, r.direction, r.type, r.id, r.action, r.payload, r.valid, r.error,
             r.latency_ms) for r in back] == [
        (r.ts, r.station, r.direction, r.type, r.id, r.action, r.payload, r.valid, r.error,
         r.latency_ms) for r in originals
    ]  # fmt: skip
    assert back[4].payload == "[2,oops"  # a malformed frame keeps its raw text
    assert back[5].valid is False and back[0].valid is True and back[4].valid is None


def test_record_does_not_touch_the_database_until_the_batch_is_full(db_path: Path):
    conn = open_database(db_path)
    log = MessageLog(conn, batch_size=5)
    for n in range(4):
        log.record(frame(n))
    assert rows_on_disk(db_path) == 0
    assert log.pending == 4

    log.record(frame(4))

    assert rows_on_disk(db_path) == 5
    assert log.pending == 0
    conn.close()


def test_flush_writes_in_log_order_and_reports_the_row_count(log: MessageLog, db_path: Path):
    for n in range(7):
        log.record(frame(n))
    assert log.flush() == 7
    assert log.flush() == 0
    assert rows_on_disk(db_path) == 7
    assert [r.id for r in log.query()] == [f"m{n}" for n in range(7)]


def test_a_failed_flush_keeps_the_records_for_the_next_attempt(log: MessageLog):
    log.record(frame(0))
    log.record(frame(1))
    real_conn = log.conn
    log.conn = sqlite3.connect(":memory:")  # no messages table: the INSERT fails
    with pytest.raises(sqlite3.OperationalError):
        log.flush()
    assert log.pending == 2
    log.conn = real_conn
    assert log.flush() == 2
    assert [r.id for r in log.query()] == ["m0", "m1"]


async def test_the_async_flusher_writes_batches_without_being_asked(db_path: Path):
    conn = open_database(db_path)
    log = MessageLog(conn, batch_size=10_000)
    task = asyncio.create_task(log.run_flusher(interval=0.02))
    try:
        for n in range(3):
            log.record(frame(n))
        await wait_until(lambda: rows_on_disk(db_path) == 3)
        log.record(frame(3))
        await wait_until(lambda: rows_on_disk(db_path) == 4)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    conn.close()


async def test_cancelling_the_flusher_flushes_what_is_still_buffered(db_path: Path):
    conn = open_database(db_path)
    log = MessageLog(conn, batch_size=10_000)
    task = asyncio.create_task(log.run_flusher(interval=3600))
    await asyncio.sleep(0)  # let it start sleeping
    for n in range(5):
        log.record(frame(n))
    assert rows_on_disk(db_path) == 0

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert rows_on_disk(db_path) == 5
    conn.close()


def test_close_flushes_the_buffer(db_path: Path):
    conn = open_database(db_path)
    log = MessageLog(conn)
    log.record(frame(0))
    log.close()
    assert rows_on_disk(db_path) == 1
    conn.close()


def test_queries_filter_by_station_direction_action_type_and_time(log: MessageLog):
    for rec in mixed_frames():
        log.record(rec)

    assert [r.id for r in log.query(station="CP-2")] == ["m2", "m3"]
    assert [r.id for r in log.query(station=["CP-2", "nope"])] == ["m2", "m3"]
    assert [r.id for r in log.query(direction="rx")] == ["m1", "m3", "m4"]
    assert [r.id for r in log.query(action="BootNotification")] == ["m0", "m1"]
    assert [r.id for r in log.query(type="CALLERROR")] == ["m3"]
    assert [r.id for r in log.query(station="CP-1", direction="tx")] == ["m0", "m5"]
    # since is inclusive, until exclusive; datetimes and epoch floats both work
    assert [r.id for r in log.query(since=T0 + 0.5, until=T0 + 1.0)] == ["m2", "m3"]
    since_dt = datetime.fromtimestamp(T0 + 1.0, UTC)
    assert [r.id for r in log.query(since=since_dt)] == ["m4", "m5"]
    assert log.count(direction="rx") == 3
    assert log.count(station="CP-2", type="CALL") == 1
    assert log.count() == 6


def test_text_search_matches_a_substring_of_the_payload(log: MessageLog):
    for rec in mixed_frames():
        log.record(rec)
    log.record(frame(6, payload={"note": "100% sure_thing"}))

    assert [r.id for r in log.query(text="ABC123")] == ["m2"]
    assert [r.id for r in log.query(text="abc1")] == ["m2"]  # case-insensitive
    assert [r.id for r in log.query(text='"status":"Accepted"')] == ["m1"]
    # LIKE wildcards in the search text are literal characters
    assert [r.id for r in log.query(text="100%")] == ["m6"]
    assert log.query(text="100%x") == []
    assert log.query(text="100_") == []  # "_" would match the "%" as a wildcard
    assert [r.id for r in log.query(text="sure_thing")] == ["m6"]
    assert log.count(text="Faulted") == 1


def test_limit_offset_and_newest_first_page_through_the_log(log: MessageLog):
    for n in range(10):
        log.record(frame(n))
    assert [r.id for r in log.query(limit=3)] == ["m0", "m1", "m2"]
    assert [r.id for r in log.query(limit=3, offset=8)] == ["m8", "m9"]
    assert [r.id for r in log.query(offset=7)] == ["m7", "m8", "m9"]
    assert [r.id for r in log.query(limit=2, newest_first=True)] == ["m9", "m8"]


def test_tailing_by_row_id_returns_only_newer_frames(log: MessageLog):
    log.record(frame(0))
    log.record(frame(1))
    mark = log.last_id()
    log.record(frame(2))
    assert [r.id for r in log.query(after_id=mark)] == ["m2"]
    pairs = log.query_with_ids(after_id=0)
    assert [rid for rid, _ in pairs] == [mark - 1, mark, mark + 1]


def test_reads_see_frames_that_are_still_buffered(log: MessageLog):
    log.record(frame(0))
    assert log.pending == 1
    assert log.count() == 1
    assert log.pending == 0


def test_export_writes_exactly_the_as_json_dict_shape_one_valid_object_per_line(
    log: MessageLog, tmp_path: Path
):
    originals = mixed_frames()
    for rec in originals:
        log.record(rec)

    out = tmp_path / "exports" / "all.jsonl"
    assert log.export_jsonl(out) == len(originals)

    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(originals)
    for line, rec in zip(lines, originals, strict=True):
        got = json.loads(line)
        assert got == json.loads(json.dumps(rec.as_json_dict()))
        assert list(got) == list(rec.as_json_dict())  # same keys, same order
    assert json.loads(lines[1])["latency_ms"] == 12.346
    assert "error" not in json.loads(lines[0]) and "latency_ms" not in json.loads(lines[0])
    assert json.loads(lines[0])["ts"] == "2026-03-01T08:00:00.000+00:00"


def test_export_applies_filters_and_streams_in_chunks(
    log: MessageLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(messages_module, "_EXPORT_CHUNK", 3)
    for n in range(10):
        log.record(frame(n, station="CP-1" if n % 2 else "CP-2"))
    out = tmp_path / "cp1.jsonl"

    assert log.export_jsonl(out, station="CP-1", limit=4) == 4

    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == ["m1", "m3", "m5", "m7"]
    with pytest.raises(TypeError):
        log.export_jsonl(out, colour="red")


def test_export_matches_the_jsonl_sink_line_for_line(log: MessageLog, tmp_path: Path):
    sink = JsonlSink(tmp_path / "live.jsonl")
    for rec in mixed_frames():
        log.record(rec)
        sink.record(rec)
    sink.close()
    log.export_jsonl(tmp_path / "export.jsonl")
    assert (tmp_path / "export.jsonl").read_bytes() == (tmp_path / "live.jsonl").read_bytes()


def test_the_payload_is_cut_from_the_raw_frame_instead_of_serialised_again():
    """OCPP-J 1.6 §4.2.1 / §4.2.2: CALL is [2, id, action, payload], CALLRESULT [3, id, payload]."""
    call = frame(0, action="Authorize", payload={"idTag": "X"},
                 raw='[2, "m0", "Authorize", {"idTag": "X"}] ')  # fmt: skip
    assert payload_text(call) == '{"idTag": "X"}'  # the wire's own text, spaces and all
    result = frame(1, type="CALLRESULT", action="Authorize",
                   payload={"idTagInfo": {"status": "Accepted"}},
                   raw='[3,"m1",{"idTagInfo":{"status":"Accepted"}}]')  # fmt: skip
    assert payload_text(result) == '{"idTagInfo":{"status":"Accepted"}}'


@pytest.mark.parametrize(
    ("msg_id", "raw"),
    [
        ("m{0", '[2,"m{0","Authorize",{"idTag":"X"}]'),  # a brace inside the id
        ("m0", '[2,"other","Authorize",{"idTag":"X"}]'),  # header does not match the record
        ("m0", '[2,"m0",{"idTag":"X"}]'),  # CALL without its action element
        ("m0", '[2,"m0","Authorize",{"idTag":"X"}] trailing'),
    ],
)
def test_the_payload_is_serialised_when_the_raw_frame_cannot_be_trusted(msg_id: str, raw: str):
    rec = frame(0, action="Authorize", payload={"idTag": "X"}, raw=raw)
    rec.id = msg_id
    assert payload_text(rec) == '{"idTag":"X"}'


def test_delete_removes_only_matching_rows(log: MessageLog):
    for rec in mixed_frames():
        log.record(rec)
    assert log.delete(station="CP-2") == 2
    assert log.count() == 4
    assert log.count(station="CP-2") == 0


def test_record_costs_microseconds_not_a_database_write(log: MessageLog):
    """Generous bound (CI machines are noisy); the benchmark script gives real figures."""
    log.batch_size = 1_000_000
    recs = [frame(n) for n in range(20_000)]
    start = time.perf_counter()
    for rec in recs:
        log.record(rec)
    per_call_us = (time.perf_counter() - start) / len(recs) * 1e6
    assert per_call_us < 20
    assert log.pending == len(recs)


def test_the_msg_id_filter_finds_a_request_and_its_reply(log: MessageLog):
    """OCPP-J 1.6 §4.1.1: a CALLRESULT/CALLERROR carries the id of the CALL it answers."""
    for rec in mixed_frames():
        log.record(rec)
    # the reply to m0 is stored under the same message id as the request
    log.record(
        FrameRecord(
            ts=T0 + 9, station="CP-1", direction="rx", type="CALLRESULT", id="m0",
            action="BootNotification", payload={}, valid=True, latency_ms=3.0,
        )
    )  # fmt: skip

    exchange = log.query(msg_id="m0")
    assert [(r.type, r.direction) for r in exchange] == [("CALL", "tx"), ("CALLRESULT", "rx")]
    assert log.count(msg_id="m0") == 2
    assert log.count(msg_id="m0", type="CALLRESULT") == 1
    assert [r.id for r in log.query(msg_id="m3", station="CP-2")] == ["m3"]
    assert log.query(msg_id="no-such-id") == []
    assert log.count(msg_id="no-such-id") == 0


def test_a_lookup_by_msg_id_uses_an_index_not_a_table_scan(log: MessageLog):
    log.record(frame(0))
    log.flush()
    plan = log.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM messages WHERE msg_id = ?", ("m0",)
    ).fetchall()
    assert any("messages_msg_id" in str(step) for step in plan), plan


def test_csv_export_writes_the_filtered_view_with_a_header_and_json_payloads(
    log: MessageLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import csv

    from bench.store import log_csv

    monkeypatch.setattr(log_csv, "_CHUNK", 2)  # several chunks for a handful of rows
    for rec in mixed_frames():
        log.record(rec)
    out = tmp_path / "out" / "cp1.csv"

    assert log_csv.export_csv(log, out, station="CP-1") == 4

    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(log_csv.CSV_COLUMNS)
    by_id = {row[4]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert list(by_id) == ["m0", "m1", "m4", "m5"]
    assert by_id["m0"]["ts"] == "2026-03-01T08:00:00.000+00:00"
    assert json.loads(by_id["m0"]["payload"]) == {"chargePointVendor": "V", "chargePointModel": "M"}
    assert by_id["m0"]["latency_ms"] == "" and by_id["m0"]["valid"] == "true"
    assert by_id["m1"]["latency_ms"] == "12.346" and by_id["m1"]["type"] == "CALLRESULT"
    assert by_id["m4"]["payload"] == "[2,oops" and by_id["m4"]["valid"] == ""
    assert by_id["m5"]["valid"] == "false"
    assert by_id["m5"]["error"] == "status: 'Faulted' requires errorCode"
    with pytest.raises(ValueError):
        log_csv.export_csv(log, out, limit=3)
