"""The persisted Authorization Cache of one charge point (1.6 §3.5.1).

The spec asks that cache values be kept in non-volatile memory across reboots
and that a full cache drop NOT-valid entries first, then the oldest valid ones.
This store keeps each identifier's latest ``idTagInfo`` and the order in which
entries were last updated (``entries()`` lists least recently updated first);
expiry, eviction and the ``AuthorizationCacheEnabled`` switch are decided by
the OCPP layer.

IdToken is a CiString20Type, case-insensitive (1.6 §7.15, §7.28), so look-ups
ignore ASCII case: ``abc123`` and ``ABC123`` are one entry.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bench.store.db import (
    Schema,
    commit_pending,
    ensure_schema,
    register_schema,
    rollback_pending,
    transaction,
)
from bench.store.faults import StoreHealth, storage_failure

SCHEMA = register_schema(
    Schema(
        "auth_cache",
        [
            """
            CREATE TABLE auth_cache (
                seq INTEGER PRIMARY KEY,
                station TEXT NOT NULL,
                id_tag TEXT NOT NULL COLLATE NOCASE,
                status TEXT,
                expiry_date TEXT,
                info TEXT NOT NULL,
                UNIQUE (station, id_tag)
            );
            """,
        ],
    )
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_MISSING = object()


@dataclass(frozen=True, slots=True)
class AuthCacheEntry:
    id_tag: str
    id_tag_info: dict[str, Any]

    @property
    def status(self) -> str | None:
        return self.id_tag_info.get("status")

    @property
    def expiry_date(self) -> str | None:
        return self.id_tag_info.get("expiryDate")


class AuthCache:
    """One station's cache: idTag -> latest idTagInfo (status, expiryDate, parentIdTag).

    An entry the disk refuses (full, read-only, failing) is held in memory and
    wins over the row on disk, so a tag the CSMS just blocked is not admitted
    offline on a stale entry; every later write, and ``write_back``, tries to
    save the held ones. ``health`` hears of refused writes (the station's
    ``StoreHealth``); without one the cache keeps its own.
    """

    def __init__(
        self, conn: sqlite3.Connection, station: str, health: StoreHealth | None = None
    ) -> None:
        ensure_schema(conn, SCHEMA)
        self.conn = conn
        self.station = station
        self.health = health if health is not None else StoreHealth(station)
        self.health.track(self)
        # lower-case idTag -> (idTag, idTagInfo), or None for a deletion; newest last.
        self._held: dict[str, tuple[str, dict[str, Any]] | None] = {}

    def get(self, id_tag: str) -> dict[str, Any] | None:
        if self._held and id_tag.lower() in self._held:
            held = self._held[id_tag.lower()]
            return None if held is None else held[1]
        row = self.conn.execute(
            "SELECT info FROM auth_cache WHERE station = ? AND id_tag = ?",
            (self.station, id_tag),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, id_tag: str, id_tag_info: dict[str, Any]) -> None:
        """Insert or update an entry; it becomes the most recently updated one."""
        if self._held:
            self._hold_one(id_tag, (id_tag, id_tag_info))
            self.write_back()
            return
        try:
            self._replace(id_tag, id_tag_info)
            commit_pending(self.conn)
        except Exception as exc:
            self._refused(exc, {id_tag.lower(): (id_tag, id_tag_info)})
            return
        self._wrote()

    def remove(self, id_tag: str) -> bool:
        existed = id_tag in self
        if self._held:
            self._hold_one(id_tag, None)
            self.write_back()
            return existed
        try:
            self.conn.execute(
                "DELETE FROM auth_cache WHERE station = ? AND id_tag = ?", (self.station, id_tag)
            )
            commit_pending(self.conn)
        except Exception as exc:
            self._refused(exc, {id_tag.lower(): None})
            return existed
        self._wrote()
        return existed

    def clear(self) -> int:
        """Empty the cache (ClearCache.req, 1.6 §5.4); returns how many entries went."""
        entries = self.entries()
        try:
            self.conn.execute("DELETE FROM auth_cache WHERE station = ?", (self.station,))
            commit_pending(self.conn)
        except Exception as exc:
            self._refused(exc, {e.id_tag.lower(): None for e in entries})
            return len(entries)
        self._held.clear()
        self._wrote()
        return len(entries)

    def entries(self) -> list[AuthCacheEntry]:
        """Every entry, least recently updated first."""
        rows = self.conn.execute(
            "SELECT id_tag, info FROM auth_cache WHERE station = ? ORDER BY seq",
            (self.station,),
        )
        held = self._held
        saved = [AuthCacheEntry(t, json.loads(i)) for t, i in rows if t.lower() not in held]
        return saved + [AuthCacheEntry(*entry) for entry in held.values() if entry is not None]

    def __contains__(self, id_tag: object) -> bool:
        if not isinstance(id_tag, str):
            return False
        if self._held and id_tag.lower() in self._held:
            return self._held[id_tag.lower()] is not None
        row = self.conn.execute(
            "SELECT 1 FROM auth_cache WHERE station = ? AND id_tag = ?", (self.station, id_tag)
        ).fetchone()
        return row is not None

    def __len__(self) -> int:
        if self._held:
            return len(self.entries())
        (n,) = self.conn.execute(
            "SELECT count(*) FROM auth_cache WHERE station = ?", (self.station,)
        ).fetchone()
        return n

    # ------------------------------------------------------------ refused writes
    def write_back(self) -> bool:
        """Save the held entries in one transaction; True when none is left in memory."""
        if not self._held:
            return True
        held = dict(self._held)
        try:
            with transaction(self.conn):
                for key, entry in held.items():
                    if entry is None:
                        self.conn.execute(
                            "DELETE FROM auth_cache WHERE station = ? AND id_tag = ?",
                            (self.station, key),
                        )
                    else:
                        self._replace(*entry)
        except Exception as exc:
            self._refused(exc, {})
            return False
        for key, entry in held.items():
            if self._held.get(key, _MISSING) is entry:
                del self._held[key]
        self._wrote()
        return not self._held

    def unsaved_count(self) -> int:
        return len(self._held)

    def _replace(self, id_tag: str, id_tag_info: dict[str, Any]) -> None:
        # REPLACE deletes and re-inserts, giving the row a fresh (largest) seq: that
        # is the "oldest valid entries" order the eviction rule needs.
        self.conn.execute(
            "INSERT OR REPLACE INTO auth_cache (station, id_tag, status, expiry_date, info) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                self.station,
                id_tag,
                id_tag_info.get("status"),
                id_tag_info.get("expiryDate"),
                _dumps(id_tag_info),
            ),
        )

    def _hold_one(self, id_tag: str, entry: tuple[str, dict[str, Any]] | None) -> None:
        self._held.pop(id_tag.lower(), None)  # re-inserted: the most recently updated
        self._held[id_tag.lower()] = entry

    def _refused(
        self, exc: Exception, entries: dict[str, tuple[str, dict[str, Any]] | None]
    ) -> None:
        kind = storage_failure(exc)
        if kind is None:
            raise exc
        rollback_pending(self.conn)
        for key, entry in entries.items():
            self._held.pop(key, None)
            self._held[key] = entry
        self.health.failed(exc, kind)

    def _wrote(self) -> None:
        if self.health.failing:
            self.health.saved()
