"""The persisted queue of transaction-related messages of one charge point.

1.6 §3.7: when offline, a Charge Point MUST queue the transaction-related
messages (StartTransaction, StopTransaction, transaction MeterValues) it would
have sent, and deliver them in chronological order once it can; new
transaction-related messages wait until the queue is empty. 1.6 §3.7.1: a
message that keeps failing is retried up to ``TransactionMessageAttempts``
times, waiting ``TransactionMessageRetryInterval`` times the number of
preceding transmissions before each retry, and is then discarded.

This module only keeps the queue, durably and in order, and counts attempts;
when to send, retry or drop is decided by the OCPP layer. Every change is
committed on its own, so a message survives a crash of the process the moment
``push`` returns (WAL + synchronous=NORMAL loses committed data only on power
loss).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from bench.model.clock import Clock
from bench.store.db import Schema, commit_pending, ensure_schema, register_schema

SCHEMA = register_schema(
    Schema(
        "offline_queue",
        [
            """
            CREATE TABLE offline_queue (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                station TEXT NOT NULL,
                action TEXT NOT NULL,
                payload TEXT NOT NULL,
                meta TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                created REAL NOT NULL,
                last_attempt REAL
            );
            CREATE INDEX offline_queue_station_id ON offline_queue (station, id);
            """,
        ],
    )
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_COLUMNS = "id, action, payload, meta, attempts, created, last_attempt"


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    id: int
    action: str
    payload: dict[str, Any]
    meta: dict[str, Any] | None
    attempts: int  # transmissions that failed so far (1.6 §3.7.1)
    created: float  # epoch seconds when queued
    last_attempt: float | None = None  # epoch seconds of the latest failed transmission


def _to_message(row: tuple[Any, ...]) -> QueuedMessage:
    msg_id, action, payload, meta, attempts, created, last_attempt = row
    return QueuedMessage(
        id=msg_id,
        action=action,
        payload=json.loads(payload),
        meta=None if meta is None else json.loads(meta),
        attempts=attempts,
        created=created,
        last_attempt=last_attempt,
    )


class OfflineQueue:
    """FIFO of one station's transaction-related messages; many stations share one table.

    ``clock`` supplies the ``created``/``last_attempt`` timestamps (virtual time);
    without one, wall-clock time is used.
    """

    def __init__(
        self, conn: sqlite3.Connection, station: str, *, clock: Clock | None = None
    ) -> None:
        ensure_schema(conn, SCHEMA)
        self.conn = conn
        self.station = station
        self.clock = clock

    def _now(self) -> float:
        return self.clock.now().timestamp() if self.clock is not None else time.time()

    def push(self, action: str, payload: dict[str, Any], meta: dict[str, Any] | None = None) -> int:
        """Append a message; it is committed when this returns. Returns its id."""
        cur = self.conn.execute(
            "INSERT INTO offline_queue (station, action, payload, meta, created) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                self.station,
                action,
                _dumps(payload),
                None if meta is None else _dumps(meta),
                self._now(),
            ),
        )
        commit_pending(self.conn)
        assert cur.lastrowid is not None
        return cur.lastrowid

    def peek(self) -> QueuedMessage | None:
        """The oldest message, or None when the queue is empty."""
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM offline_queue WHERE station = ? ORDER BY id LIMIT 1",
            (self.station,),
        ).fetchone()
        return None if row is None else _to_message(row)

    def items(self) -> list[QueuedMessage]:
        """Every queued message, oldest first."""
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM offline_queue WHERE station = ? ORDER BY id",
            (self.station,),
        ).fetchall()
        return [_to_message(row) for row in rows]

    def mark_attempt(self, msg_id: int) -> int:
        """Count one more failed transmission of ``msg_id``; returns the new count."""
        # fetchall, not fetchone: the UPDATE only completes (and commits) once
        # the RETURNING rows have been stepped through.
        rows = self.conn.execute(
            "UPDATE offline_queue SET attempts = attempts + 1, last_attempt = ? "
            "WHERE id = ? AND station = ? RETURNING attempts",
            (self._now(), msg_id, self.station),
        ).fetchall()
        commit_pending(self.conn)
        if not rows:
            raise KeyError(msg_id)
        return rows[0][0]

    def remove(self, msg_id: int) -> bool:
        """Drop a delivered (or given-up) message; False if it was not queued."""
        cur = self.conn.execute(
            "DELETE FROM offline_queue WHERE id = ? AND station = ?", (msg_id, self.station)
        )
        commit_pending(self.conn)
        return cur.rowcount > 0

    def update_payload(self, msg_id: int, payload: dict[str, Any]) -> None:
        """Replace a queued payload, e.g. to patch in a transactionId learned later."""
        cur = self.conn.execute(
            "UPDATE offline_queue SET payload = ? WHERE id = ? AND station = ?",
            (_dumps(payload), msg_id, self.station),
        )
        commit_pending(self.conn)
        if cur.rowcount == 0:
            raise KeyError(msg_id)

    def clear(self) -> int:
        """Drop every queued message of this station; returns how many."""
        cur = self.conn.execute("DELETE FROM offline_queue WHERE station = ?", (self.station,))
        commit_pending(self.conn)
        return cur.rowcount

    def __len__(self) -> int:
        (n,) = self.conn.execute(
            "SELECT count(*) FROM offline_queue WHERE station = ?", (self.station,)
        ).fetchone()
        return n

    def __bool__(self) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM offline_queue WHERE station = ? LIMIT 1", (self.station,)
            ).fetchone()
            is not None
        )
