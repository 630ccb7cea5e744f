"""Stores on a disk that refuses writes keep the writes in memory and write them back (issue 11).

Most tests use ``FailingConnection`` (tests/disks.py), a real SQLite connection
that is told when to refuse writes with SQLite's own disk-full error: a fake, so
the test decides exactly which writes fail and when the disk recovers. The last
ones fill a real tmpfs (root only).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.model.clock import ManualClock
from bench.store.config import ConfigStore, StateStore
from bench.store.db import open_database
from bench.store.faults import FULL, IO_ERROR, READ_ONLY, StoreHealth, storage_failure
from bench.store.queue import OfflineQueue, QueuedMessage
from tests.disks import FailingConnection, tmpfs

pytestmark = pytest.mark.allow_errors  # a refusing disk is logged at ERROR, as it should be


@pytest.fixture
def conn(tmp_path: Path) -> FailingConnection:
    db = open_database(tmp_path / "bench.db", factory=FailingConnection)
    assert isinstance(db, FailingConnection)
    yield db
    db.close()


def on_disk(where: sqlite3.Connection | Path) -> list[QueuedMessage]:
    """The queue as a restarted process sees it: only what reached the file."""
    if isinstance(where, sqlite3.Connection):
        where = Path(where.execute("PRAGMA database_list").fetchone()[2])
    other = open_database(where)
    try:
        return OfflineQueue(other, "CP-1").items()
    finally:
        other.close()


def test_only_conditions_of_the_medium_count_as_storage_failures():
    assert storage_failure(sqlite3.OperationalError("database or disk is full")) == FULL
    assert storage_failure(sqlite3.OperationalError("attempt to write a readonly database")) == (
        READ_ONLY
    )
    assert storage_failure(OSError(28, "No space left on device")) == FULL
    assert storage_failure(OSError(5, "Input/output error")) == IO_ERROR
    assert storage_failure(sqlite3.OperationalError("no such table: x")) is None
    assert storage_failure(sqlite3.IntegrityError("UNIQUE constraint failed")) is None
    assert storage_failure(ValueError("x")) is None


def test_a_message_the_disk_refuses_is_kept_in_memory_after_the_saved_ones(
    conn: FailingConnection,
):
    health = StoreHealth("CP-1")
    q = OfflineQueue(conn, "CP-1", clock=ManualClock(), health=health)
    first = q.push("StartTransaction", {"n": 0})
    conn.fail_writes = True
    q.push("MeterValues", {"n": 1})
    q.push("MeterValues", {"n": 2})

    assert [m.payload["n"] for m in q.items()] == [0, 1, 2]
    assert [m.saved for m in q.items()] == [True, False, False]
    assert len(q) == 3 and q.peek() is not None and q.peek().id == first
    assert health.failing and health.kind == FULL and health.unsaved_count() == 2
    assert [m.payload["n"] for m in on_disk(conn)] == [0]  # not on disk yet


def test_the_overflow_is_written_back_in_order_once_the_disk_takes_writes(
    conn: FailingConnection,
):
    health = StoreHealth("CP-1")
    q = OfflineQueue(conn, "CP-1", health=health)
    q.push("StartTransaction", {"n": 0})
    conn.fail_writes = True
    for n in range(1, 4):
        q.push("MeterValues", {"n": n})
    conn.fail_writes = False
    q.push("StopTransaction", {"n": 4})  # the next write takes the held ones first

    assert [m.payload["n"] for m in on_disk(conn)] == [0, 1, 2, 3, 4]
    assert all(m.saved for m in q.items())
    assert not health.failing and health.unsaved_count() == 0


def test_a_message_taken_before_its_write_back_is_removed_once_and_not_sent_again(
    conn: FailingConnection,
):
    """A deliverer holds the memory id across the write-back: removing it by that id
    deletes the row it was written to, so it is never delivered a second time."""
    q = OfflineQueue(conn, "CP-1")
    conn.fail_writes = True
    q.push("MeterValues", {"n": 1})
    q.push("MeterValues", {"n": 2})
    in_flight = q.peek()
    assert in_flight is not None and not in_flight.saved
    conn.fail_writes = False
    assert q.write_back() is True
    assert q.remove(in_flight.id) is True
    assert q.remove(in_flight.id) is False

    assert [m.payload["n"] for m in q.items()] == [2]
    assert [m.payload["n"] for m in on_disk(conn)] == [2]


def test_a_delivered_message_whose_delete_is_refused_is_hidden_then_deleted(
    conn: FailingConnection,
):
    q = OfflineQueue(conn, "CP-1")
    first = q.push("StartTransaction", {"n": 0})
    q.push("StopTransaction", {"n": 1})
    conn.fail_writes = True
    assert q.remove(first) is True

    assert [m.payload["n"] for m in q.items()] == [1] and len(q) == 1
    assert q.peek() is not None and q.peek().payload["n"] == 1
    assert q.unremoved() == 1  # were the process to end now, it would be sent again
    conn.fail_writes = False
    assert q.write_back() is True
    assert [m.payload["n"] for m in on_disk(conn)] == [1]


def test_attempts_and_payload_changes_are_kept_while_the_disk_refuses_them(
    conn: FailingConnection,
):
    q = OfflineQueue(conn, "CP-1", clock=ManualClock())
    saved = q.push("StopTransaction", {"transactionId": 0})
    conn.fail_writes = True
    held = q.push("MeterValues", {"transactionId": 0})
    assert q.mark_attempt(saved) == 1
    assert q.mark_attempt(held) == 1
    q.update_payload(saved, {"transactionId": 7})
    q.update_payload(held, {"transactionId": 7})
    assert [(m.attempts, m.payload["transactionId"]) for m in q.items()] == [(1, 7), (1, 7)]

    conn.fail_writes = False
    assert q.write_back() is True
    assert [(m.attempts, m.payload["transactionId"]) for m in on_disk(conn)] == [
        (1, 7),
        (1, 7),
    ]


def test_a_state_value_the_disk_refuses_is_read_back_from_memory_then_saved(
    conn: FailingConnection,
):
    health = StoreHealth("CP-1")
    state = StateStore(conn, health=health)
    state.put("CP-1", "energy_1", {"wh": 10})
    conn.fail_writes = True
    state.put("CP-1", "energy_1", {"wh": 25})
    state.put("CP-1", "tx_counter", 3)

    assert state.get("CP-1", "energy_1") == {"wh": 25}
    assert state.names("CP-1") == ["energy_1", "tx_counter"]
    assert health.failing and state.unsaved_count() == 2
    conn.fail_writes = False
    assert health.retry() is True
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    other = open_database(path)
    again = StateStore(other)
    assert again.get("CP-1", "energy_1") == {"wh": 25} and again.get("CP-1", "tx_counter") == 3
    other.close()
    assert not health.failing


def test_configuration_the_disk_refuses_is_loaded_from_memory_then_saved(
    conn: FailingConnection,
):
    """1.6 §9 keys and 2.0.1 device-model values go through the ConfigStore."""
    health = StoreHealth("CP-1")
    config = ConfigStore(conn, health=health)
    config.save("CP-1", "HeartbeatInterval", "300")
    conn.fail_writes = True
    config.save("CP-1", "HeartbeatInterval", "60")
    config.save_many("CP-1", {"MeterValueSampleInterval": "10", "ConnectionTimeOut": "30"})
    assert config.delete("CP-1", "ConnectionTimeOut") is True
    expected = {"HeartbeatInterval": "60", "MeterValueSampleInterval": "10"}
    assert config.load("CP-1") == expected
    assert health.failing
    conn.fail_writes = False
    assert health.retry() is True
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    other = open_database(path)
    assert ConfigStore(other).load("CP-1") == expected
    other.close()


def test_other_errors_still_raise(conn: FailingConnection):
    """A bug (here: a value JSON cannot hold) is not mistaken for a full disk."""
    q = OfflineQueue(conn, "CP-1")
    with pytest.raises(TypeError):
        q.push("MeterValues", {"bad": object()})
    assert len(q) == 0


def fill(where: Path) -> None:
    """Fill the file system up to the last byte."""
    with open(where / "filler", "wb", buffering=0) as out:
        for _ in range(10_000):  # bounded: a 1 MiB tmpfs takes 256 of these
            try:
                out.write(b"\0" * 4096)
                out.flush()
            except OSError:
                return


def test_a_real_full_disk_holds_the_message_in_memory_and_saves_it_when_space_is_freed(
    tmp_path: Path,
):
    # 1 MiB: the schemas of every store module and their WAL must fit with room to spare.
    with tmpfs(tmp_path / "disk", "1m") as disk:
        conn = open_database(disk / "bench.db")
        try:
            health = StoreHealth("CP-1")
            q = OfflineQueue(conn, "CP-1", health=health)
            fill(disk)
            payload = {"pad": "x" * 50_000}  # more than any free page left
            q.push("MeterValues", payload)
            assert health.failing and health.kind == FULL
            assert [m.saved for m in q.items()] == [False]

            (disk / "filler").unlink()
            assert health.retry() is True
            assert [m.saved for m in q.items()] == [True]
        finally:
            conn.close()
        assert [m.payload for m in on_disk(disk / "bench.db")] == [payload]
