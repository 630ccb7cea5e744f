"""The persisted Local Authorization List of one charge point (1.6 §3.5.2, §5.15).

The spec asks that the list be kept in non-volatile memory across reboots and
changed only by SendLocalList. This store keeps each identifier's
``idTagInfo`` and the list's version; whether an update is allowed (version
checks, length limits, the ``LocalAuthListEnabled`` switch) is decided by the
OCPP layer. A full replacement or a differential update is applied in one
SQLite transaction, so a crash never leaves half an update behind.

IdToken is a CiString20Type, case-insensitive (1.6 §7.15, §7.28), so look-ups
ignore ASCII case: ``abc123`` and ``ABC123`` are one entry.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from bench.store.db import Schema, commit_pending, ensure_schema, register_schema, transaction

SCHEMA = register_schema(
    Schema(
        "local_list",
        [
            """
            CREATE TABLE local_list (
                station TEXT NOT NULL,
                id_tag TEXT NOT NULL COLLATE NOCASE,
                info TEXT NOT NULL,
                PRIMARY KEY (station, id_tag)
            );
            CREATE TABLE local_list_version (
                station TEXT PRIMARY KEY,
                version INTEGER NOT NULL
            );
            """,
        ],
    )
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class LocalListStore:
    """One station's list: idTag -> idTagInfo (status, expiryDate, parentIdTag), plus a version."""

    __slots__ = ("conn", "station")

    def __init__(self, conn: sqlite3.Connection, station: str) -> None:
        ensure_schema(conn, SCHEMA)
        self.conn = conn
        self.station = station

    @property
    def version(self) -> int:
        """The version last stored with an update (0 when none was ever applied)."""
        row = self.conn.execute(
            "SELECT version FROM local_list_version WHERE station = ?", (self.station,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def get(self, id_tag: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT info FROM local_list WHERE station = ? AND id_tag = ?",
            (self.station, id_tag),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def replace(self, version: int, entries: Mapping[str, dict[str, Any]]) -> None:
        """A full update: the list becomes exactly ``entries``, at ``version``."""
        with transaction(self.conn, immediate=True):
            self.conn.execute("DELETE FROM local_list WHERE station = ?", (self.station,))
            self._upsert(entries.items())
            self._set_version(version)
        commit_pending(self.conn)

    def apply(self, version: int, changes: Iterable[tuple[str, dict[str, Any] | None]]) -> None:
        """A differential update: each (idTag, info) adds or updates, (idTag, None) deletes."""
        with transaction(self.conn, immediate=True):
            upserts = []
            for id_tag, info in changes:
                if info is None:
                    self.conn.execute(
                        "DELETE FROM local_list WHERE station = ? AND id_tag = ?",
                        (self.station, id_tag),
                    )
                else:
                    upserts.append((id_tag, info))
            self._upsert(upserts)
            self._set_version(version)
        commit_pending(self.conn)

    def count_after(self, changes: Iterable[tuple[str, dict[str, Any] | None]]) -> int:
        """How many entries the list would hold after applying ``changes`` (checks limits)."""
        present = {tag.lower() for tag in self.id_tags()}
        for id_tag, info in changes:
            if info is None:
                present.discard(id_tag.lower())
            else:
                present.add(id_tag.lower())
        return len(present)

    def id_tags(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT id_tag FROM local_list WHERE station = ? ORDER BY id_tag", (self.station,)
        )
        return [tag for (tag,) in rows]

    def entries(self) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id_tag, info FROM local_list WHERE station = ? ORDER BY id_tag",
            (self.station,),
        )
        return {tag: json.loads(info) for tag, info in rows}

    def __contains__(self, id_tag: object) -> bool:
        if not isinstance(id_tag, str):
            return False
        row = self.conn.execute(
            "SELECT 1 FROM local_list WHERE station = ? AND id_tag = ?", (self.station, id_tag)
        ).fetchone()
        return row is not None

    def __len__(self) -> int:
        (n,) = self.conn.execute(
            "SELECT count(*) FROM local_list WHERE station = ?", (self.station,)
        ).fetchone()
        return n

    # ------------------------------------------------------------ internals
    def _upsert(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        self.conn.executemany(
            "INSERT INTO local_list (station, id_tag, info) VALUES (?, ?, ?) "
            "ON CONFLICT(station, id_tag) DO UPDATE SET id_tag = excluded.id_tag, "
            "info = excluded.info",
            [(self.station, tag, _dumps(info)) for tag, info in items],
        )

    def _set_version(self, version: int) -> None:
        self.conn.execute(
            "INSERT INTO local_list_version (station, version) VALUES (?, ?) "
            "ON CONFLICT(station) DO UPDATE SET version = excluded.version",
            (self.station, version),
        )
