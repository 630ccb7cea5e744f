"""Group commit: the writes of every station on one connection, in one transaction a second.

A charging station writes on every meter sample: the transaction message goes into
the offline queue before it is sent and leaves it when the CSMS has answered, and
the energy register is saved. Committed one by one that is three transactions per
message, most of the steady-state CPU of a fleet (issue 15). Instead, while an event
loop runs, the stores keep their changes in memory and register here; once per
``FLUSH_INTERVAL_S`` (real seconds) all of them are written in one transaction. A
message delivered within the interval never touches the disk at all.

The durability this gives: a change is on disk at most ``FLUSH_INTERVAL_S`` after it
was made, so a process killed outright (kill -9, a crash) loses at most the changes
of its last interval; a clean stop, a new connection to the same file in the same
process (``open_database``) and a reader that needs the file flush first. Without a
running event loop (scripts, synchronous tests) nothing is deferred: every change
commits before it returns, as before.

When the disk refuses the group's transaction (``faults.storage_failure``) nothing is
written, every store keeps its changes and reports the fault to its station's
health; the next flush tries again.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import weakref
from typing import Protocol

from bench.store.db import transaction
from bench.store.faults import storage_failure

# Real seconds between the group's transactions: what a kill -9 can lose at most.
FLUSH_INTERVAL_S = 1.0


class Deferred(Protocol):
    """A store that writes behind: stages its changes into the group's transaction."""

    def stage(self) -> None:
        """Execute the pending writes in the open transaction; raise if any fails."""
        ...

    def committed(self) -> None:
        """The transaction holding what ``stage`` wrote committed: forget it."""
        ...

    def refused(self, exc: BaseException, kind: str) -> None:
        """The transaction rolled back (the disk refused it): keep everything."""
        ...


class GroupCommit:
    """The write-behind of one connection (see the module doc)."""

    __slots__ = ("__weakref__", "_dirty", "_handle", "conn", "interval")

    def __init__(self, conn: sqlite3.Connection, interval: float = FLUSH_INTERVAL_S) -> None:
        self.conn = conn
        self.interval = interval
        self._dirty: dict[int, Deferred] = {}  # by id(): stores need not be hashable
        self._handle: asyncio.TimerHandle | None = None
        _LIVE.add(self)

    @staticmethod
    def deferring() -> bool:
        """Whether changes may wait for the flush: only while an event loop runs here."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def defer(self, store: Deferred) -> None:
        """``store`` has changes to write: they go with the next flush."""
        self._dirty[id(store)] = store
        if self._handle is None:
            self._handle = asyncio.get_running_loop().call_later(self.interval, self._due)

    @property
    def pending(self) -> int:
        """Stores with changes not yet committed."""
        return len(self._dirty)

    def _due(self) -> None:
        self._handle = None
        self.flush()

    def flush(self) -> bool:
        """Write every pending change in one transaction now; True when all are on disk.

        A refused transaction leaves everything pending (and is tried again after an
        interval while a loop runs); any other error is a bug and propagates.
        """
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if not self._dirty:
            return True
        stores = list(self._dirty.values())
        self._dirty.clear()
        try:
            with transaction(self.conn, immediate=True):
                for store in stores:
                    store.stage()
        except Exception as exc:
            kind = storage_failure(exc)
            if kind is None:
                raise
            for store in stores:
                store.refused(exc, kind)
                self._dirty[id(store)] = store
            if self.deferring() and self._handle is None:
                self._handle = asyncio.get_running_loop().call_later(self.interval, self._due)
            return False
        for store in stores:
            store.committed()
        return True

    def discard(self, store: Deferred) -> None:
        """``store`` wrote its changes itself (a write-back): nothing left for the group."""
        self._dirty.pop(id(store), None)


# Every group of the process, to flush the ones on a file that is opened again.
_LIVE: weakref.WeakSet[GroupCommit] = weakref.WeakSet()


def group_of(conn: sqlite3.Connection) -> GroupCommit | None:
    """The write-behind of ``conn`` (None: a connection that commits every change)."""
    return getattr(conn, "group_commit", None)


def flush_file(path: str) -> None:
    """Flush every group of this process writing to ``path`` (a new connection to the
    file must see what the process has already written)."""
    for group in list(_LIVE):
        if group.pending:
            where = _path_of(group.conn)
            if where is not None and os.path.realpath(where) == path:
                group.flush()


def _path_of(conn: sqlite3.Connection) -> str | None:
    try:
        rows = conn.execute("PRAGMA database_list").fetchall()
    except sqlite3.Error:
        return None
    return next((row[2] for row in rows if row[1] == "main"), None)
