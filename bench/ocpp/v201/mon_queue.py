"""NotifyEvents waiting for the CSMS, kept in SQLite so a restart does not lose them (N07.FR.04).

While a station is offline it keeps the events whose severity is as severe as
``MonitoringCtrlr.OfflineQueuingSeverity`` or more; a power cycle in the middle of
an outage must not lose them, so each such event is written here (one row per
event, in its own table) and deleted once the CSMS has it or it was given up.
The sender (``mon_events.EventSender``) decides what is kept; this only stores.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from bench.store.db import Schema, ensure_schema, register_schema, transaction

SCHEMA = register_schema(
    Schema(
        "v201_event_queue",
        [
            """
            CREATE TABLE v201_event_queue (
                station TEXT NOT NULL,
                event_id INTEGER NOT NULL,
                severity INTEGER NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (station, event_id)
            );
            """,
        ],
    )
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class EventQueueStore:
    """One station's persisted NotifyEvent queue: EventDataType + severity, by eventId."""

    __slots__ = ("conn", "station")

    def __init__(self, conn: sqlite3.Connection, station: str) -> None:
        ensure_schema(conn, SCHEMA)
        self.conn = conn
        self.station = station

    def add(self, items: Iterable[tuple[dict[str, Any], int]]) -> None:
        """Keep each (EventDataType, severity); an event already kept is left as it is."""
        rows = [(self.station, data["eventId"], severity, _dumps(data)) for data, severity in items]
        if not rows:
            return
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT OR IGNORE INTO v201_event_queue (station, event_id, severity, data)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )

    def remove(self, event_ids: Iterable[int]) -> None:
        ids = [(self.station, event_id) for event_id in event_ids]
        if not ids:
            return
        with transaction(self.conn):
            self.conn.executemany(
                "DELETE FROM v201_event_queue WHERE station = ? AND event_id = ?", ids
            )

    def load(self) -> list[tuple[dict[str, Any], int]]:
        """Every kept event, oldest (lowest eventId) first."""
        rows = self.conn.execute(
            "SELECT data, severity FROM v201_event_queue WHERE station = ? ORDER BY event_id",
            (self.station,),
        )
        return [(json.loads(data), int(severity)) for data, severity in rows]

    def __len__(self) -> int:
        row = self.conn.execute(
            "SELECT COUNT(*) FROM v201_event_queue WHERE station = ?", (self.station,)
        ).fetchone()
        return int(row[0])
