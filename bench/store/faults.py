"""When the disk refuses a write: what counts as that, and one station's account of it.

A station keeps what it must not lose (queued transaction messages, its energy
register, its open transaction) in SQLite. A full, read-only or failing disk
makes those writes raise. The stores do not let that reach the station's
timers and tasks: they keep the write in memory, say so here, and write it
back once the disk takes writes again (``StoreHealth.retry``).

``StoreHealth`` is one station's view: whether its writes are failing now, why,
and how much is held only in memory. It logs the fault once when it starts and
once when it ends (not per refused write) and calls ``on_change`` both times, so
the charge point can raise the fault where people look (log, GUI badge, a
security event) and retry on a timer.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

# Kinds of storage failure, in words the badge and the CLI can show.
FULL = "disk full"
READ_ONLY = "read-only"
BUSY = "locked"
IO_ERROR = "I/O error"

_SQLITE_KINDS = {
    sqlite3.SQLITE_FULL: FULL,
    sqlite3.SQLITE_READONLY: READ_ONLY,
    sqlite3.SQLITE_BUSY: BUSY,
    sqlite3.SQLITE_LOCKED: BUSY,
    sqlite3.SQLITE_IOERR: IO_ERROR,
    sqlite3.SQLITE_CANTOPEN: IO_ERROR,
    sqlite3.SQLITE_NOMEM: FULL,
}
# An error raised by Python code (not by the SQLite library) carries no code: its text then.
_SQLITE_TEXTS = (
    ("disk is full", FULL),
    ("readonly database", READ_ONLY),
    ("database is locked", BUSY),
    ("disk i/o error", IO_ERROR),
    ("unable to open database file", IO_ERROR),
)
_OS_KINDS = {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READ_ONLY}


def storage_failure(exc: BaseException) -> str | None:
    """The kind of storage failure ``exc`` is (``FULL``, ...), or None for any other error.

    Only conditions of the medium count: a missing table, a constraint or a closed
    connection is a bug and must still raise.
    """
    if isinstance(exc, OSError):
        return _OS_KINDS.get(exc.errno or 0, IO_ERROR)
    if not isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return None
    if type(exc) not in (sqlite3.OperationalError, sqlite3.DatabaseError):
        return None  # IntegrityError, ProgrammingError, ...: our mistake, not the disk's
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return _SQLITE_KINDS.get(code & 0xFF)
    text = str(exc).lower()
    return next((kind for needle, kind in _SQLITE_TEXTS if needle in text), None)


@dataclass(frozen=True, slots=True)
class StorageFaultChanged:
    """Emitted on ``cp.events`` when a station's database starts or stops refusing writes."""

    failing: bool
    kind: str  # FULL, READ_ONLY, BUSY, IO_ERROR; "" once cleared
    detail: str  # the error text, e.g. "database or disk is full"; "" once cleared
    unsaved: int  # writes held only in memory at this moment


class Unsaved(Protocol):
    """A store that holds refused writes in memory."""

    def write_back(self) -> bool:
        """Write what is held to disk; True when nothing is left in memory."""
        ...

    def unsaved_count(self) -> int: ...


class StoreHealth:
    """Whether one station's writes are failing, and what its stores hold in memory."""

    __slots__ = (
        "_sources",
        "detail",
        "failing",
        "kind",
        "last_detail",
        "on_change",
        "owner",
        "refused",
    )

    def __init__(
        self, owner: str, on_change: Callable[[StorageFaultChanged], None] | None = None
    ) -> None:
        self.owner = owner
        self.on_change = on_change
        self.failing = False
        self.kind = ""
        self.detail = ""
        self.refused = 0  # writes refused since the station started
        self.last_detail = ""  # why the last fault happened, kept after it clears
        self._sources: list[Unsaved] = []

    def track(self, source: Unsaved) -> None:
        """``source`` reports here and is written back by ``retry``."""
        self._sources.append(source)

    def unsaved_count(self) -> int:
        return sum(source.unsaved_count() for source in self._sources)

    def failed(self, exc: BaseException, kind: str) -> None:
        """A store could not write and kept the write in memory."""
        self.refused += 1
        if self.failing:
            return
        self.failing, self.kind, self.detail = True, kind, str(exc) or type(exc).__name__
        self.last_detail = self.detail
        log.error(
            "%s: the database refuses writes (%s); keeping them in memory and retrying",
            self.owner,
            self.detail,
        )
        self._changed()

    def saved(self) -> None:
        """A store wrote back everything it held; the fault ends when no store holds any."""
        if self.failing and self.unsaved_count() == 0:
            self.failing, self.kind, self.detail = False, "", ""
            log.warning(
                "%s: the database takes writes again; nothing is held in memory", self.owner
            )
            self._changed()

    def retry(self) -> bool:
        """Write back what every store holds; True when nothing is held any more."""
        for source in list(self._sources):
            source.write_back()
        self.saved()
        return not self.failing

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(
                StorageFaultChanged(self.failing, self.kind, self.detail, self.unsaved_count())
            )
