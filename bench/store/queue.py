"""The persisted queue of transaction-related messages of one charge point.

1.6 §3.7: when offline, a Charge Point MUST queue the transaction-related
messages (StartTransaction, StopTransaction, transaction MeterValues) it would
have sent, and deliver them in chronological order once it can; new
transaction-related messages wait until the queue is empty. 1.6 §3.7.1: a
message that keeps failing is retried up to ``TransactionMessageAttempts``
times, waiting ``TransactionMessageRetryInterval`` times the number of
preceding transmissions before each retry, and is then discarded.

This module only keeps the queue, durably and in order, and counts attempts;
when to send, retry or drop is decided by the OCPP layer. While an event loop
runs, changes are written behind (``group_commit``): held in memory and committed
with every other store of the connection within ``FLUSH_INTERVAL_S``, so a message
delivered within that second never touches the disk, and a crash loses at most the
changes of the last second. Without a running loop every change is committed on
its own before it returns. (WAL + synchronous=NORMAL loses committed data only on
power loss.) The queue counts its rows on disk, so reading its head costs no query
while they are all in memory.

When the disk refuses a write (full, read-only, failing: ``faults.storage_failure``)
nothing is lost and nothing raises: the message joins an in-memory overflow that
follows the rows on disk, a delivered message is hidden until its row can be
deleted, and a changed attempt count or payload is kept beside its row. Every
later change first tries to write all of that back, in one transaction and in
order, and so does ``write_back`` (the charge point calls it on a timer while the
fault lasts). A message written back (by the group or after a fault) gets a row
of its own but keeps the id ``push`` returned for as long as it is queued, so a
deliverer or a status waiting on it never sees it change.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, replace
from typing import Any

from bench.model.clock import Clock
from bench.store.db import (
    Schema,
    commit_pending,
    ensure_schema,
    register_schema,
    rollback_pending,
    transaction,
)
from bench.store.faults import StoreHealth, storage_failure
from bench.store.group_commit import group_of
from bench.store.jsontext import dumps as _dumps

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
    saved: bool = True  # False while it is held in memory only (the disk refused it)


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
    without one, wall-clock time is used. ``health`` hears of refused writes (the
    station's ``StoreHealth``); without one the queue keeps its own.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        station: str,
        *,
        clock: Clock | None = None,
        health: StoreHealth | None = None,
    ) -> None:
        ensure_schema(conn, SCHEMA)
        self.conn = conn
        self.station = station
        self.clock = clock
        self.health = health if health is not None else StoreHealth(station)
        self.health.track(self)
        # What the disk refused, held in memory until ``write_back`` succeeds.
        self._memory: list[QueuedMessage] = []  # after every row on disk, in order
        # Rows delivered or dropped, not yet deleted (dict keys: an empty set is 216 bytes).
        self._removed: dict[int, None] = {}
        self._changed: dict[int, QueuedMessage] = {}  # rows with newer attempts/payload
        self._moved: dict[int, int] = {}  # memory id -> row id once written back
        # row id -> memory id for those rows: a message keeps the id ``push`` gave it for
        # as long as it is queued (a deliverer holds it; a status waits on it). None
        # until the first write-back: most stations never need it.
        self._alias: dict[int, int] | None = None
        self._last_memory_id = 0  # memory ids are negative: never a row id
        self._group = group_of(conn)
        # Rows of this station on disk (deletions held in _removed included): the
        # queue is their only writer, so it keeps the count instead of asking.
        (self._on_disk,) = conn.execute(
            "SELECT count(*) FROM offline_queue WHERE station = ?", (station,)
        ).fetchone()
        self._staged_ids: list[int] | None = None  # rows inserted by stage, until committed
        self._staged_deleted = 0

    def _deferring(self) -> bool:
        group = self._group
        return group is not None and group.deferring()

    def _now(self) -> float:
        return self.clock.now().timestamp() if self.clock is not None else time.time()

    # ------------------------------------------------------------ writing
    def push(self, action: str, payload: dict[str, Any], meta: dict[str, Any] | None = None) -> int:
        """Append a message; it is committed when this returns, or held in memory
        (``saved`` False) when the disk refuses it. Returns its id."""
        created = self._now()
        if self._deferring():
            memory_id = self._hold(action, payload, meta, created)
            self._group.defer(self)  # type: ignore[union-attr]
            return memory_id
        if not self._holding():
            try:
                row_id = self._insert(action, payload, meta, created, attempts=0, last=None)
            except Exception as exc:
                kind = self._refused(exc)
                self._hold(action, payload, meta, created)
                self.health.failed(exc, kind)
                return self._last_memory_id
            self._wrote()
            return row_id
        memory_id = self._hold(action, payload, meta, created)
        self.write_back()
        return memory_id  # the message's id even once written back (see _alias)

    def mark_attempt(self, msg_id: int) -> int:
        """Count one more failed transmission of ``msg_id``; returns the new count."""
        now = self._now()
        held = self._in_memory(msg_id)
        if held is not None:
            index, msg = held
            self._memory[index] = replace(msg, attempts=msg.attempts + 1, last_attempt=now)
            return msg.attempts + 1
        row_id = self._row_id(msg_id)
        if self._deferring():
            msg = self._row(row_id)
            self._changed[row_id] = replace(msg, attempts=msg.attempts + 1, last_attempt=now)
            self._group.defer(self)  # type: ignore[union-attr]
            return msg.attempts + 1
        if not self._holding():
            try:
                # fetchall, not fetchone: the UPDATE only completes (and commits) once
                # the RETURNING rows have been stepped through.
                rows = self.conn.execute(
                    "UPDATE offline_queue SET attempts = attempts + 1, last_attempt = ? "
                    "WHERE id = ? AND station = ? RETURNING attempts",
                    (now, row_id, self.station),
                ).fetchall()
                commit_pending(self.conn)
            except Exception as exc:
                kind = self._refused(exc)
                msg = self._row(row_id)
                self._changed[row_id] = replace(msg, attempts=msg.attempts + 1, last_attempt=now)
                self.health.failed(exc, kind)
                return msg.attempts + 1
            if not rows:
                raise KeyError(msg_id)
            self._wrote()
            return rows[0][0]
        msg = self._row(row_id)
        self._changed[row_id] = replace(msg, attempts=msg.attempts + 1, last_attempt=now)
        self.write_back()
        return msg.attempts + 1

    def remove(self, msg_id: int) -> bool:
        """Drop a delivered (or given-up) message; False if it was not queued."""
        held = self._in_memory(msg_id)
        if held is not None:
            del self._memory[held[0]]
            return True
        row_id = self._moved.pop(msg_id, msg_id)
        if self._alias:
            self._alias.pop(row_id, None)
        if row_id in self._removed:
            return False
        if self._deferring():
            if row_id < 0 or not self._exists(row_id):
                return False
            self._removed[row_id] = None
            self._changed.pop(row_id, None)
            self._group.defer(self)  # type: ignore[union-attr]
            return True
        if not self._holding():
            try:
                cur = self.conn.execute(
                    "DELETE FROM offline_queue WHERE id = ? AND station = ?", (row_id, self.station)
                )
                commit_pending(self.conn)
                self._on_disk -= cur.rowcount
            except Exception as exc:
                kind = self._refused(exc)
                if not self._exists(row_id):
                    return False
                self._removed[row_id] = None
                self.health.failed(exc, kind)
                return True
            self._wrote()
            return cur.rowcount > 0
        if not self._exists(row_id):
            return False
        self._removed[row_id] = None
        self._changed.pop(row_id, None)
        self.write_back()
        return True

    def update_payload(self, msg_id: int, payload: dict[str, Any]) -> None:
        """Replace a queued payload, e.g. to patch in a transactionId learned later."""
        held = self._in_memory(msg_id)
        if held is not None:
            index, msg = held
            self._memory[index] = replace(msg, payload=payload)
            return
        row_id = self._row_id(msg_id)
        if self._deferring():
            self._changed[row_id] = replace(self._row(row_id), payload=payload)
            self._group.defer(self)  # type: ignore[union-attr]
            return
        if not self._holding():
            try:
                cur = self.conn.execute(
                    "UPDATE offline_queue SET payload = ? WHERE id = ? AND station = ?",
                    (_dumps(payload), row_id, self.station),
                )
                commit_pending(self.conn)
            except Exception as exc:
                kind = self._refused(exc)
                self._changed[row_id] = replace(self._row(row_id), payload=payload)
                self.health.failed(exc, kind)
                return
            if cur.rowcount == 0:
                raise KeyError(msg_id)
            self._wrote()
            return
        self._changed[row_id] = replace(self._row(row_id), payload=payload)
        self.write_back()

    def clear(self) -> int:
        """Drop every queued message of this station; returns how many."""
        count = len(self)
        self._memory.clear()
        self._changed.clear()
        try:
            self.conn.execute("DELETE FROM offline_queue WHERE station = ?", (self.station,))
            commit_pending(self.conn)
        except Exception as exc:
            kind = self._refused(exc)
            self._removed.update(dict.fromkeys(m.id for m in self._disk_rows()))
            self.health.failed(exc, kind)
            return count
        self._removed.clear()
        self._moved.clear()
        self._alias = None
        self._on_disk = 0
        if self._group is not None:
            self._group.discard(self)
        self._wrote()
        return count

    def write_back(self) -> bool:
        """Write what is held in memory, in order, in one transaction; True when none is left.

        A refusal leaves everything as it was (the transaction rolls back), so this
        can be called as often as wanted.
        """
        if not self._holding():
            return True
        try:
            with transaction(self.conn, immediate=True):
                self.stage()
        except Exception as exc:
            kind = self._refused(exc)
            self.health.failed(exc, kind)
            return False
        self.committed()
        if self._group is not None:
            self._group.discard(self)
        return True

    # ------------------------------------------------------------ group commit (Deferred)
    def stage(self) -> None:
        """Execute the held deletions, updates and inserts in the open transaction."""
        conn = self.conn
        deleted = 0
        for row_id in self._removed:
            deleted += conn.execute(
                "DELETE FROM offline_queue WHERE id = ? AND station = ?", (row_id, self.station)
            ).rowcount
        for row_id, msg in self._changed.items():
            conn.execute(
                "UPDATE offline_queue SET payload = ?, attempts = ?, last_attempt = ? "
                "WHERE id = ? AND station = ?",
                (_dumps(msg.payload), msg.attempts, msg.last_attempt, row_id, self.station),
            )
        self._staged_ids = [
            self._insert_row(m.action, m.payload, m.meta, m.created, m.attempts, m.last_attempt)
            for m in self._memory
        ]
        self._staged_deleted = deleted

    def committed(self) -> None:
        """What ``stage`` wrote is committed: the memory ids now name rows."""
        new_ids, self._staged_ids = self._staged_ids or [], None
        if new_ids:
            alias = self._alias
            if alias is None:
                alias = self._alias = {}
            for msg, row_id in zip(self._memory, new_ids, strict=True):
                self._moved[msg.id] = row_id
                alias[row_id] = msg.id
        self._on_disk += len(new_ids) - self._staged_deleted
        self._staged_deleted = 0
        # Fresh containers, not cleared ones: a cleared list or dict keeps the room it
        # grew to, and 10,000 stations each keeping it add up (bench_fleet.py).
        self._memory = []
        self._removed = {}
        self._changed = {}
        self._wrote()

    def refused(self, exc: BaseException, kind: str) -> None:
        """The group's transaction was refused: everything stays held."""
        self._staged_ids = None
        self._staged_deleted = 0
        rollback_pending(self.conn)
        self.health.failed(exc, kind)

    def unsaved_count(self) -> int:
        """Changes held in memory only: messages, deletions and updates not on disk."""
        return len(self._memory) + len(self._removed) + len(self._changed)

    def unsaved(self) -> list[QueuedMessage]:
        """The messages held in memory only, oldest first (lost if the process ends now)."""
        return list(self._memory)

    def unremoved(self) -> int:
        """Delivered or dropped messages whose rows could not be deleted yet.

        Were the process to end now, the next start would send them again.
        """
        return len(self._removed)

    # ------------------------------------------------------------ reading
    def peek(self) -> QueuedMessage | None:
        """The oldest message, or None when the queue is empty."""
        if self._on_disk <= len(self._removed):
            return self._memory[0] if self._memory else None  # nothing visible on disk
        if self._removed or self._changed:
            rows = self._disk_rows(limit=1)
            if rows:
                return rows[0]
        else:
            row = self.conn.execute(
                f"SELECT {_COLUMNS} FROM offline_queue WHERE station = ? ORDER BY id LIMIT 1",
                (self.station,),
            ).fetchone()
            if row is not None:
                return self._message(row)
        return self._memory[0] if self._memory else None

    def items(self) -> list[QueuedMessage]:
        """Every queued message, oldest first."""
        if self._on_disk <= len(self._removed):
            return list(self._memory)
        return [*self._disk_rows(), *self._memory]

    def __len__(self) -> int:
        return self._on_disk - len(self._removed) + len(self._memory)

    def __bool__(self) -> bool:
        return bool(self._memory) or self._on_disk > len(self._removed)

    # ------------------------------------------------------------ internals
    def _holding(self) -> bool:
        return bool(self._memory or self._removed or self._changed)

    def _refused(self, exc: Exception) -> str:
        """The kind of storage failure ``exc`` is; anything else is re-raised."""
        kind = storage_failure(exc)
        if kind is None:
            raise exc
        # A connection outside autocommit may hold the refused write in an open
        # transaction; it must not commit later beside the copy kept in memory.
        rollback_pending(self.conn)
        return kind

    def _wrote(self) -> None:
        """A write went through: the fault may be over (once no store holds anything)."""
        if self.health.failing:
            self.health.saved()

    def _insert(
        self,
        action: str,
        payload: dict[str, Any],
        meta: dict[str, Any] | None,
        created: float,
        *,
        attempts: int,
        last: float | None,
    ) -> int:
        row_id = self._insert_row(action, payload, meta, created, attempts, last)
        commit_pending(self.conn)
        self._on_disk += 1
        return row_id

    def _insert_row(
        self,
        action: str,
        payload: dict[str, Any],
        meta: dict[str, Any] | None,
        created: float,
        attempts: int,
        last: float | None,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO offline_queue "
            "(station, action, payload, meta, attempts, created, last_attempt) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                self.station,
                action,
                _dumps(payload),
                None if meta is None else _dumps(meta),
                attempts,
                created,
                last,
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _hold(
        self, action: str, payload: dict[str, Any], meta: dict[str, Any] | None, created: float
    ) -> int:
        self._last_memory_id -= 1
        msg = QueuedMessage(self._last_memory_id, action, payload, meta, 0, created, saved=False)
        self._memory.append(msg)
        return msg.id

    def _in_memory(self, msg_id: int) -> tuple[int, QueuedMessage] | None:
        if msg_id >= 0 or not self._memory:
            return None
        for index, msg in enumerate(self._memory):
            if msg.id == msg_id:
                return index, msg
        return None

    def _row_id(self, msg_id: int) -> int:
        """The row of ``msg_id`` (a memory id written back maps to its row); KeyError if gone."""
        row_id = self._moved.get(msg_id, msg_id)
        if row_id < 0 or row_id in self._removed:
            raise KeyError(msg_id)
        return row_id

    def _row(self, row_id: int) -> QueuedMessage:
        """The message in row ``row_id`` as this queue sees it (pending changes applied)."""
        if row_id in self._changed:
            return self._changed[row_id]
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM offline_queue WHERE id = ? AND station = ?",
            (row_id, self.station),
        ).fetchone()
        if row is None:
            raise KeyError(row_id)
        return self._message(row)

    def _message(self, row: tuple[Any, ...]) -> QueuedMessage:
        """The message in ``row``, under the id it was pushed with in this process."""
        msg = _to_message(row)
        if self._alias:
            pushed_as = self._alias.get(msg.id)
            if pushed_as is not None:
                return replace(msg, id=pushed_as)
        return msg

    def _exists(self, row_id: int) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM offline_queue WHERE id = ? AND station = ?", (row_id, self.station)
            ).fetchone()
            is not None
        )

    def _disk_rows(self, limit: int | None = None) -> list[QueuedMessage]:
        """The rows on disk as this queue sees them: held deletions hidden, changes applied."""
        cur = self.conn.execute(
            f"SELECT {_COLUMNS} FROM offline_queue WHERE station = ? ORDER BY id",
            (self.station,),
        )
        removed, changed = self._removed, self._changed
        out: list[QueuedMessage] = []
        try:
            for row in cur:
                if row[0] not in removed:
                    out.append(changed.get(row[0]) or self._message(row))
                    if limit is not None and len(out) >= limit:
                        break
        finally:
            cur.close()
        return out
