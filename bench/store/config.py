"""Per-station configuration keys and small persisted state.

``ConfigStore`` keeps the values of a station's configuration keys (OCPP 1.6
§9 keys, as strings, exactly as ChangeConfiguration set them) so they survive a
restart. ``StateStore`` keeps small named JSON values a real charge point would
hold in non-volatile memory: the energy register, the firmware version, and
the like. Both are thin: which keys exist and what they mean is the OCPP
layer's business.

A value the disk refuses (full, read-only, failing: ``faults.storage_failure``)
is kept in memory and read from there, and every later write first tries to
write the held ones back; so does ``write_back`` (the charge point calls it on a
timer while the fault lasts). Each key holds one value, so only the newest held
value of a key matters. ``health`` hears of refused writes (the station's
``StoreHealth``); without one a store keeps its own.
"""

from __future__ import annotations

import functools
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
from bench.store.group_commit import group_of
from bench.store.jsontext import dumps as _dumps

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

_MISSING = object()


def _check_str(key: str, value: Any) -> str:
    # OCPP 1.6 configuration values travel as strings; converting here (True ->
    # "True"?) would hide the caller's mistake, so refuse instead.
    if not isinstance(value, str):
        raise TypeError(f"configuration value for {key!r} must be str, not {type(value).__name__}")
    return value


@functools.cache
def _upsert_sql(table: str, key: str) -> str:
    # Built once per table: each station has its stores, 10,000 of them in a fleet process.
    return (
        f"INSERT INTO {table} (station, {key}, value) VALUES (?, ?, ?) "
        f"ON CONFLICT (station, {key}) DO UPDATE SET value = excluded.value"
    )


class _KeyedTexts:
    """Text values per (station, key) in one table, with refused writes held in memory."""

    _table = ""
    _key = ""
    # Whether writes may wait for the connection's group commit (bench/store/group_commit.py).
    _defers = False

    def __init__(self, conn: sqlite3.Connection, health: StoreHealth | None, owner: str) -> None:
        self.conn = conn
        self.health = health if health is not None else StoreHealth(owner)
        self.health.track(self)
        # (station, key) -> text not yet on disk; None: a deletion not yet on disk.
        self._unsaved: dict[tuple[str, str], str | None] = {}
        self._upsert = _upsert_sql(self._table, self._key)  # one string for every store
        self._group = group_of(conn) if self._defers else None
        self._staged: dict[tuple[str, str], str | None] | None = None  # between stage and commit

    def _text(self, station: str, key: str) -> object:
        """The text of ``key``: held, saved, or ``_MISSING``."""
        if self._unsaved:
            held = self._unsaved.get((station, key), _MISSING)
            if held is not _MISSING:
                return _MISSING if held is None else held
        row = self.conn.execute(
            f"SELECT value FROM {self._table} WHERE station = ? AND {self._key} = ?",
            (station, key),
        ).fetchone()
        return _MISSING if row is None else row[0]

    def _texts(self, station: str) -> dict[str, str]:
        rows = self.conn.execute(
            f"SELECT {self._key}, value FROM {self._table} WHERE station = ? ORDER BY {self._key}",
            (station,),
        )
        found = dict(rows)
        for (owner, key), held in self._unsaved.items():
            if owner == station:
                if held is None:
                    found.pop(key, None)
                else:
                    found[key] = held
        return dict(sorted(found.items()))

    def _set(self, station: str, values: Mapping[str, str | None]) -> None:
        """Write ``values`` (None deletes) in one transaction, or hold them all."""
        changes = {(station, key): text for key, text in values.items()}
        group = self._group
        if group is not None and group.deferring():
            self._unsaved.update(changes)
            group.defer(self)
            return
        if self._unsaved:
            self._unsaved.update(changes)
            self.write_back()
            return
        try:
            with transaction(self.conn):
                self._apply(changes)
            commit_pending(self.conn)
        except Exception as exc:
            self._hold(exc, changes)
            return
        self._wrote()

    def _clear(self, station: str) -> int:
        keys = list(self._texts(station))
        if self._unsaved:
            self._set(station, dict.fromkeys(keys))
            return len(keys)
        try:
            self.conn.execute(f"DELETE FROM {self._table} WHERE station = ?", (station,))
            commit_pending(self.conn)
        except Exception as exc:
            self._hold(exc, {(station, key): None for key in keys})
            return len(keys)
        self._wrote()
        return len(keys)

    def _apply(self, changes: Mapping[tuple[str, str], str | None]) -> None:
        for (station, key), text in changes.items():
            if text is None:
                self.conn.execute(
                    f"DELETE FROM {self._table} WHERE station = ? AND {self._key} = ?",
                    (station, key),
                )
            else:
                self.conn.execute(self._upsert, (station, key, text))

    def write_back(self) -> bool:
        """Write the held values in one transaction; True when none is left in memory."""
        if not self._unsaved:
            return True
        try:
            with transaction(self.conn):
                self.stage()
        except Exception as exc:
            self._staged = None
            self._hold(exc, {})
            return False
        self.committed()
        if self._group is not None:
            self._group.discard(self)
        return not self._unsaved

    # ------------------------------------------------------------ group commit (Deferred)
    def stage(self) -> None:
        self._staged = dict(self._unsaved)
        self._apply(self._staged)

    def committed(self) -> None:
        staged, self._staged = self._staged or {}, None
        for key, text in staged.items():
            if self._unsaved.get(key, _MISSING) == text:
                del self._unsaved[key]
        if not self._unsaved:
            self._unsaved = {}  # a fresh dict: an emptied one keeps the room it grew to
        self._wrote()

    def refused(self, exc: BaseException, kind: str) -> None:
        self._staged = None
        rollback_pending(self.conn)
        self.health.failed(exc, kind)

    def unsaved_count(self) -> int:
        """Values (or deletions) held in memory only: lost if the process ends now."""
        return len(self._unsaved)

    def _hold(self, exc: Exception, changes: Mapping[tuple[str, str], str | None]) -> None:
        kind = storage_failure(exc)
        if kind is None:
            raise exc
        rollback_pending(self.conn)
        self._unsaved.update(changes)
        self.health.failed(exc, kind)

    def _wrote(self) -> None:
        if self.health.failing:
            self.health.saved()


class ConfigStore(_KeyedTexts):
    """Configuration key values per station, as strings."""

    _table, _key = "config_values", "key"

    def __init__(self, conn: sqlite3.Connection, health: StoreHealth | None = None) -> None:
        ensure_schema(conn, CONFIG_SCHEMA)
        super().__init__(conn, health, "configuration store")

    def load(self, station: str) -> dict[str, str]:
        return self._texts(station)

    def save(self, station: str, key: str, value: str) -> None:
        self._set(station, {key: _check_str(key, value)})

    def save_many(self, station: str, mapping: Mapping[str, str]) -> None:
        """Save several keys in one transaction (all or none)."""
        self._set(station, {k: _check_str(k, v) for k, v in mapping.items()})

    def delete(self, station: str, key: str) -> bool:
        existed = self._text(station, key) is not _MISSING
        self._set(station, {key: None})
        return existed

    def clear(self, station: str) -> int:
        """Forget every saved key of ``station``; returns how many were dropped."""
        return self._clear(station)


class StateStore(_KeyedTexts):
    """Small named JSON values per station (energy register, firmware version, ...)."""

    _table, _key = "station_state", "name"
    _defers = True  # the energy register is saved on every meter sample

    def __init__(self, conn: sqlite3.Connection, health: StoreHealth | None = None) -> None:
        ensure_schema(conn, STATE_SCHEMA)
        super().__init__(conn, health, "state store")

    def get(self, station: str, name: str, default: Any = None) -> Any:
        text = self._text(station, name)
        return default if text is _MISSING else json.loads(text)  # type: ignore[arg-type]

    def put(self, station: str, name: str, value: Any) -> None:
        """Store ``value`` (anything JSON can hold); committed when this returns, or
        held in memory when the disk refuses it."""
        self._set(station, {name: _dumps(value)})

    def put_many(self, station: str, values: Mapping[str, Any]) -> None:
        """``put`` of several values at once: one change for the group commit."""
        self._set(station, {name: _dumps(value) for name, value in values.items()})

    def names(self, station: str) -> list[str]:
        return list(self._texts(station))

    def delete(self, station: str, name: str) -> bool:
        existed = self._text(station, name) is not _MISSING
        self._set(station, {name: None})
        return existed

    def clear(self, station: str) -> int:
        return self._clear(station)
