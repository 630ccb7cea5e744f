"""The persisted offline queue of transaction-related messages (bench/store/queue.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.model.clock import ManualClock
from bench.store.db import open_database
from bench.store.queue import OfflineQueue


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bench.db"


def test_messages_come_out_oldest_first(db_path: Path):
    """1.6 §3.7: transaction-related messages are delivered in chronological order."""
    conn = open_database(db_path)
    q = OfflineQueue(conn, "CP-1")
    assert q.peek() is None and len(q) == 0 and not q

    a = q.push("StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0})
    b = q.push("MeterValues", {"connectorId": 1, "meterValue": []}, meta={"txLocal": 7})
    c = q.push("StopTransaction", {"meterStop": 10})

    assert len(q) == 3 and q
    assert [m.id for m in q.items()] == [a, b, c]
    assert [m.action for m in q.items()] == ["StartTransaction", "MeterValues", "StopTransaction"]
    head = q.peek()
    assert head is not None and head.id == a
    assert head.payload == {"connectorId": 1, "idTag": "T", "meterStart": 0}
    assert head.meta is None and head.attempts == 0
    assert q.items()[1].meta == {"txLocal": 7}

    assert q.remove(a) is True
    assert q.remove(a) is False
    head = q.peek()
    assert head is not None and head.id == b
    conn.close()


def test_a_pushed_message_survives_a_process_restart(db_path: Path):
    """1.6 §3.7: queued messages must still be delivered after the station comes back."""
    conn = open_database(db_path)
    q = OfflineQueue(conn, "CP-1")
    first = q.push("StartTransaction", {"connectorId": 1})
    q.push("StopTransaction", {"transactionId": -1})
    q.mark_attempt(first)
    # No explicit commit, no close: a crashed process never gets to do either.
    # A second connection plays the restarted process.
    restarted = open_database(db_path)
    again = OfflineQueue(restarted, "CP-1")
    assert [m.action for m in again.items()] == ["StartTransaction", "StopTransaction"]
    head = again.peek()
    assert head is not None and head.attempts == 1
    conn.close()
    restarted.close()

    reopened = open_database(db_path)
    assert len(OfflineQueue(reopened, "CP-1")) == 2
    reopened.close()


def test_a_pushed_message_survives_the_process_being_killed(db_path: Path):
    """The writer process dies without closing anything (os._exit); the message is there."""
    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(root)!r})
        from bench.store.db import open_database
        from bench.store.queue import OfflineQueue
        q = OfflineQueue(open_database({str(db_path)!r}), "CP-9")
        q.push("StopTransaction", {{"transactionId": 5, "meterStop": 42}})
        os._exit(3)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=60, capture_output=True)
    assert proc.returncode == 3, proc.stderr.decode()

    conn = open_database(db_path)
    items = OfflineQueue(conn, "CP-9").items()
    assert [(m.action, m.payload) for m in items] == [
        ("StopTransaction", {"transactionId": 5, "meterStop": 42})
    ]
    conn.close()


def test_attempts_are_counted_per_message_with_the_time_of_the_last_one(db_path: Path):
    """1.6 §3.7.1: TransactionMessageAttempts bounds the transmissions of one message."""
    clock = ManualClock(start=datetime(2026, 5, 1, tzinfo=UTC))
    conn = open_database(db_path)
    q = OfflineQueue(conn, "CP-1", clock=clock)
    a = q.push("StopTransaction", {"meterStop": 1})
    b = q.push("MeterValues", {"connectorId": 1})
    created = clock.now().timestamp()

    clock.advance(60)
    assert q.mark_attempt(a) == 1
    clock.advance(120)
    assert q.mark_attempt(a) == 2

    items = {m.id: m for m in q.items()}
    assert items[a].attempts == 2 and items[b].attempts == 0
    assert items[a].created == created
    assert items[a].last_attempt == created + 180
    assert items[b].last_attempt is None
    with pytest.raises(KeyError):
        q.mark_attempt(9999)
    conn.close()


def test_update_payload_patches_a_queued_message_in_place(db_path: Path):
    conn = open_database(db_path)
    q = OfflineQueue(conn, "CP-1")
    start = q.push("StartTransaction", {"connectorId": 1})
    stop = q.push("StopTransaction", {"transactionId": None, "meterStop": 5})

    q.update_payload(stop, {"transactionId": 1234, "meterStop": 5})

    assert [m.id for m in q.items()] == [start, stop]  # order unchanged
    assert q.items()[1].payload == {"transactionId": 1234, "meterStop": 5}
    with pytest.raises(KeyError):
        q.update_payload(9999, {})
    conn.close()


def test_two_stations_sharing_a_database_have_separate_queues(db_path: Path):
    conn = open_database(db_path)
    one = OfflineQueue(conn, "CP-1")
    two = OfflineQueue(conn, "CP-2")
    a = one.push("StartTransaction", {"connectorId": 1})
    b = two.push("StartTransaction", {"connectorId": 2})
    one.push("StopTransaction", {})

    assert len(one) == 2 and len(two) == 1
    head = two.peek()
    assert head is not None and head.id == b
    # One station cannot touch another's messages.
    assert two.remove(a) is False
    with pytest.raises(KeyError):
        two.mark_attempt(a)
    with pytest.raises(KeyError):
        two.update_payload(a, {})
    assert two.clear() == 1
    assert len(one) == 2 and len(two) == 0
    conn.close()
