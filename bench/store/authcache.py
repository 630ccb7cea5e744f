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

from bench.store.db import Schema, commit_pending, ensure_schema, register_schema

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
    """One station's cache: idTag -> latest idTagInfo (status, expiryDate, parentIdTag)."""

    def __init__(self, conn: sqlite3.Connection, station: str) -> None:
        ensure_schema(conn, SCHEMA)
        self.conn = conn
        self.station = station

    def get(self, id_tag: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT info FROM auth_cache WHERE station = ? AND id_tag = ?",
            (self.station, id_tag),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, id_tag: str, id_tag_info: dict[str, Any]) -> None:
        """Insert or update an entry; it becomes the most recently updated one."""
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
        commit_pending(self.conn)

    def remove(self, id_tag: str) -> bool:
        cur = self.conn.execute(
            "DELETE FROM auth_cache WHERE station = ? AND id_tag = ?", (self.station, id_tag)
        )
        commit_pending(self.conn)
        return cur.rowcount > 0

    def clear(self) -> int:
        """Empty the cache (ClearCache.req, 1.6 §5.4); returns how many entries went."""
        cur = self.conn.execute("DELETE FROM auth_cache WHERE station = ?", (self.station,))
        commit_pending(self.conn)
        return cur.rowcount

    def entries(self) -> list[AuthCacheEntry]:
        """Every entry, least recently updated first."""
        rows = self.conn.execute(
            "SELECT id_tag, info FROM auth_cache WHERE station = ? ORDER BY seq",
            (self.station,),
        )
        return [AuthCacheEntry(tag, json.loads(info)) for tag, info in rows]

    def __contains__(self, id_tag: object) -> bool:
        if not isinstance(id_tag, str):
            return False
        row = self.conn.execute(
            "SELECT 1 FROM auth_cache WHERE station = ? AND id_tag = ?", (self.station, id_tag)
        ).fetchone()
        return row is not None

    def __len__(self) -> int:
        (n,) = self.conn.execute(
            "SELECT count(*) FROM auth_cache WHERE station = ?", (self.station,)
        ).fetchone()
        return n
