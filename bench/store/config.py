"""Per-station configuration keys and small persisted state.

``ConfigStore`` keeps the values of a station's configuration keys (OCPP 1.6
§9 keys, as strings, exactly as ChangeConfiguration set them) so they survive a
restart. ``StateStore`` keeps small named JSON values a real charge point would
hold in non-volatile memory: the energy register, the firmware version, and
the like. Both are thin: which keys exist and what they mean is the OCPP
layer's business.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
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

CONFIG_SCHEMA = register_schema(
    Schema(
        "config",
        [
            """
            CREATE TABLE config_values (
                station TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (station, key)
            ) WITHOUT ROWID;
            """,
        ],
    )
)

STATE_SCHEMA = register_schema(
    Schema(
        "state",
        [
            """
            CREATE TABLE station_state (
                station TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (station, name)
            ) WITHOUT ROWID;
            """,
        ],
    )
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_MISSING = object()

_UPSERT_CONFIG = (
    "INSERT INTO config_values (station, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (station, key) DO UPDATE SET value = excluded.value"
)
_UPSERT_STATE = (
    "INSERT INTO station_state (station, name, value) VALUES (?, ?, ?) "
    "ON CONFLICT (station, name) DO UPDATE SET value = excluded.value"
)


def _check_str(key: str, value: Any) -> str:
    # OCPP 1.6 configuration values travel as strings; converting here (True ->
    # "True"?) would hide the caller's mistake, so refuse instead.
    if not isinstance(value, str):
        raise TypeError(f"configuration value for {key!r} must be str, not {type(value).__name__}")
    return value


class ConfigStore:
    """Configuration key values per station, as strings."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        ensure_schema(conn, CONFIG_SCHEMA)
        self.conn = conn

    def load(self, station: str) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT key, value FROM config_values WHERE station = ? ORDER BY key", (station,)
        )
        return dict(rows)

    def save(self, station: str, key: str, value: str) -> None:
        self.conn.execute(_UPSERT_CONFIG, (station, key, _check_str(key, value)))
        commit_pending(self.conn)

    def save_many(self, station: str, mapping: Mapping[str, str]) -> None:
        """Save several keys in one transaction (all or none)."""
        rows = [(station, k, _check_str(k, v)) for k, v in mapping.items()]
        with transaction(self.conn):
            self.conn.executemany(_UPSERT_CONFIG, rows)
        commit_pending(self.conn)

    def delete(self, station: str, key: str) -> bool:
        cur = self.conn.execute(
            "DELETE FROM config_values WHERE station = ? AND key = ?", (station, key)
        )
        commit_pending(self.conn)
        return cur.rowcount > 0

    def clear(self, station: str) -> int:
        """Forget every saved key of ``station``; returns how many were dropped."""
        cur = self.conn.execute("DELETE FROM config_values WHERE station = ?", (station,))
        commit_pending(self.conn)
        return cur.rowcount


class StateStore:
    """Small named JSON values per station (energy register, firmware version, ...).

    A value the disk refuses (full, read-only, failing) is kept in memory and read
    from there, and every later write first tries to write the held ones back; so
    does ``write_back`` (the charge point calls it on a timer while the fault
    lasts). Each name holds one value, so only the newest held value matters.
    ``health`` hears of refused writes; without one the store keeps its own.
    """

    def __init__(self, conn: sqlite3.Connection, health: StoreHealth | None = None) -> None:
        ensure_schema(conn, STATE_SCHEMA)
        self.conn = conn
        self.health = health if health is not None else StoreHealth("state store")
        self.health.track(self)
        # (station, name) -> JSON text not yet on disk; None: a deletion not yet on disk.
        self._unsaved: dict[tuple[str, str], str | None] = {}

    def get(self, station: str, name: str, default: Any = None) -> Any:
        if self._unsaved:
            held = self._unsaved.get((station, name), _MISSING)
            if held is not _MISSING:
                return default if held is None else json.loads(held)
        row = self.conn.execute(
            "SELECT value FROM station_state WHERE station = ? AND name = ?", (station, name)
        ).fetchone()
        return default if row is None else json.loads(row[0])

    def put(self, station: str, name: str, value: Any) -> None:
        """Store ``value`` (anything JSON can hold); committed when this returns, or
        held in memory when the disk refuses it."""
        text = _dumps(value)
        if self._unsaved:
            self._unsaved[(station, name)] = text
            self.write_back()
            return
        try:
            self.conn.execute(_UPSERT_STATE, (station, name, text))
            commit_pending(self.conn)
        except Exception as exc:
            self._hold(exc, {(station, name): text})
            return
        self._wrote()

    def names(self, station: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT name FROM station_state WHERE station = ? ORDER BY name", (station,)
        )
        found = {name for (name,) in rows}
        for (owner, name), held in self._unsaved.items():
            if owner == station:
                (found.add if held is not None else found.discard)(name)
        return sorted(found)

    def delete(self, station: str, name: str) -> bool:
        existed = name in self.names(station)
        if self._unsaved:
            self._unsaved[(station, name)] = None
            self.write_back()
            return existed
        try:
            self.conn.execute(
                "DELETE FROM station_state WHERE station = ? AND name = ?", (station, name)
            )
            commit_pending(self.conn)
        except Exception as exc:
            self._hold(exc, {(station, name): None})
            return existed
        self._wrote()
        return existed

    def clear(self, station: str) -> int:
        names = self.names(station)
        if self._unsaved:
            self._unsaved.update({(station, name): None for name in names})
            self.write_back()
            return len(names)
        try:
            self.conn.execute("DELETE FROM station_state WHERE station = ?", (station,))
            commit_pending(self.conn)
        except Exception as exc:
            self._hold(exc, {(station, name): None for name in names})
            return len(names)
        self._wrote()
        return len(names)

    def write_back(self) -> bool:
        """Write the held values in one transaction; True when none is left in memory."""
        if not self._unsaved:
            return True
        held = dict(self._unsaved)
        try:
            with transaction(self.conn):
                for (station, name), text in held.items():
                    if text is None:
                        self.conn.execute(
                            "DELETE FROM station_state WHERE station = ? AND name = ?",
                            (station, name),
                        )
                    else:
                        self.conn.execute(_UPSERT_STATE, (station, name, text))
        except Exception as exc:
            self._hold(exc, {})
            return False
        for key, text in held.items():
            if self._unsaved.get(key, _MISSING) == text:
                del self._unsaved[key]
        self._wrote()
        return not self._unsaved

    def unsaved_count(self) -> int:
        """Values (or deletions) held in memory only: lost if the process ends now."""
        return len(self._unsaved)

    def _hold(self, exc: Exception, values: dict[tuple[str, str], str | None]) -> None:
        kind = storage_failure(exc)
        if kind is None:
            raise exc
        rollback_pending(self.conn)
        self._unsaved.update(values)
        self.health.failed(exc, kind)

    def _wrote(self) -> None:
        if self.health.failing:
            self.health.saved()
