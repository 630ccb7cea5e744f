"""The message log and the JSON Lines log on a disk that refuses writes (issue 11).

A refused flush keeps the frames in memory, in order, and the flusher goes on
trying; past a cap the oldest are dropped, counted and logged. The message-log
tests use ``FailingConnection`` (tests/disks.py): a real SQLite connection that
is told when to refuse writes with SQLite's disk-full error, a fake so the test
chooses when the disk fills and recovers. The JSON Lines test fills a real tmpfs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from bench.store.db import open_database
from bench.store.messages import MessageLog
from bench.store.sinks import JsonlSink
from tests.core.test_store_messages import frame
from tests.disks import FailingConnection, tmpfs
from tests.waiting import wait_until

pytestmark = pytest.mark.allow_errors  # a refusing disk is logged at ERROR, as it should be


@pytest.fixture
def conn(tmp_path: Path) -> FailingConnection:
    db = open_database(tmp_path / "bench.db", factory=FailingConnection)
    assert isinstance(db, FailingConnection)
    yield db
    db.close()


async def test_the_flusher_survives_a_full_disk_and_writes_everything_once_it_recovers(
    conn: FailingConnection,
):
    log = MessageLog(conn, batch_size=4)
    conn.fail_writes = True
    task = asyncio.create_task(log.run_flusher(interval=0.01))
    try:
        for n in range(10):
            log.record(frame(n))  # past the batch size: a refused flush does not raise here
        refused = conn.refused
        await wait_until(lambda: conn.refused > refused + 2, what="the flusher to retry")
        assert not task.done() and log.pending == 10 and log.failing
        conn.fail_writes = False
        await wait_until(lambda: log.pending == 0, what="the backlog written")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [r.id for r in log.query()] == [f"m{n}" for n in range(10)]
    assert log.failing is None and log.dropped == 0


def test_past_the_cap_the_oldest_frames_are_dropped_counted_and_logged(
    conn: FailingConnection, caplog: pytest.LogCaptureFixture
):
    log = MessageLog(conn, batch_size=5, max_pending=10)
    conn.fail_writes = True
    for n in range(25):
        log.record(frame(n))
    assert log.pending == 10 and log.dropped == 15
    said = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert said and "message log" in said[0] and "oldest first" in said[0]
    conn.fail_writes = False
    log.close()
    assert [r.id for r in log.query()] == [f"m{n}" for n in range(15, 25)]


def test_closing_on_a_full_disk_keeps_the_unwritten_count_instead_of_raising(
    conn: FailingConnection,
):
    log = MessageLog(conn)
    log.record(frame(0))
    conn.fail_writes = True
    log.close()
    assert log.closed and log.pending == 1 and log.failing


def test_a_bug_in_the_write_still_raises(conn: FailingConnection):
    """Only a refusing medium is absorbed; a missing table is our own mistake."""
    log = MessageLog(conn)
    log.record(frame(0))
    conn.execute("DROP TABLE messages")
    with pytest.raises(Exception, match="no such table"):
        log.try_flush()


def test_a_jsonl_log_on_a_full_disk_never_holds_half_a_line_and_catches_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    with tmpfs(tmp_path / "disk", "128k") as disk:
        sink = JsonlSink(disk / "frames.jsonl", batch_size=10_000)
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as out:
            for _ in range(1_000):  # bounded: 128 KiB is 32 pages
                try:
                    out.write(b"\0" * 4096)
                except OSError:
                    break
        big = {"pad": "x" * 1500}
        for n in range(40):  # ~60 KB: more than the full disk has, less than it holds
            sink.record(frame(n, payload=big))
        assert sink.try_flush() == 0 and sink.failing and sink.pending == 40
        text = (disk / "frames.jsonl").read_text()
        assert text == ""  # what got through of the refused batch was cut off again

        filler.unlink()
        for n in range(40, 41):
            sink.record(frame(n))
        sink.close()
        lines = (disk / "frames.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [f"m{n}" for n in range(41)]
