"""What the built-in CSMS remembers, in SQLite.

Stations and their registration, every boot, every status notification, the
transactions (whose ids must keep increasing across restarts of the CSMS, so
the sequence lives in the file: SQLite's AUTOINCREMENT never reuses an id),
meter values as one row per sampled value, a catch-all events table for
firmware, diagnostics, log and security notifications. The parts of
multi-part reports (2.0.1 NotifyReport and its kin) live in
``bench.csms.report_store`` on the same connection (``CsmsStore.reports``), the
session columns of both versions' transactions in ``bench.csms.sessions``
(``CsmsStore.sessions``).

The tables carry a ``csms_`` prefix so they can share a file with the rest of
the bench store. Version-neutral: rows hold the values, not OCPP messages.
Timestamps are ISO 8601 UTC strings (``...Z``).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.csms.report_store import Report, ReportStore
from bench.store.db import Schema, ensure_schema, open_database, transaction

SCHEMA = Schema(
    "csms",
    [
        """
        CREATE TABLE csms_stations (
            id TEXT PRIMARY KEY,
            registration TEXT,
            boot_payload TEXT,
            first_seen TEXT NOT NULL,
            last_boot TEXT,
            last_heartbeat TEXT
        );
        CREATE TABLE csms_boots (
            id INTEGER PRIMARY KEY,
            station TEXT NOT NULL,
            received TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL
        );
        CREATE TABLE csms_status (
            id INTEGER PRIMARY KEY,
            station TEXT NOT NULL,
            connector_id INTEGER NOT NULL,
            status TEXT NOT NULL,
            error_code TEXT NOT NULL,
            info TEXT,
            vendor_id TEXT,
            vendor_error_code TEXT,
            timestamp TEXT,
            received TEXT NOT NULL
        );
        CREATE INDEX csms_status_station ON csms_status (station, connector_id, id);
        CREATE TABLE csms_transactions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            station TEXT NOT NULL,
            connector_id INTEGER NOT NULL,
            id_tag TEXT NOT NULL,
            meter_start INTEGER NOT NULL,
            start_ts TEXT NOT NULL,
            reservation_id INTEGER,
            start_status TEXT,
            meter_stop INTEGER,
            stop_ts TEXT,
            stop_id_tag TEXT,
            reason TEXT,
            transaction_data TEXT
        );
        CREATE INDEX csms_transactions_start
            ON csms_transactions (station, connector_id, id_tag, start_ts);
        CREATE TABLE csms_meter_values (
            id INTEGER PRIMARY KEY,
            station TEXT NOT NULL,
            connector_id INTEGER NOT NULL,
            transaction_id INTEGER,
            timestamp TEXT NOT NULL,
            measurand TEXT,
            phase TEXT,
            unit TEXT,
            context TEXT,
            location TEXT,
            format TEXT,
            value TEXT NOT NULL,
            origin TEXT NOT NULL
        );
        CREATE INDEX csms_meter_values_tx ON csms_meter_values (transaction_id);
        CREATE INDEX csms_meter_values_station ON csms_meter_values (station, connector_id);
        CREATE TABLE csms_events (
            id INTEGER PRIMARY KEY,
            station TEXT NOT NULL,
            received TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL
        );
        CREATE INDEX csms_events_station ON csms_events (station, kind);
        """,
        # 2: once the report-part table; it moved to its own schema
        # (bench.csms.report_store). Kept as an empty step so files already at
        # version 2 still open and fresh files reach the same version.
        "",
    ],
)


def iso(value: datetime) -> str:
    """A timezone-aware datetime as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime | None:
    """An RFC 3339 date-time as a datetime; None when it names no representable instant.

    RFC 3339 §5.6 lets the "T" and "Z" be lower case (the schemas' date-time format
    accepts them); ``fromisoformat`` does not, so those get a second try.
    """
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.upper())
    except ValueError:
        return None


def normalize_timestamp(text: str) -> str:
    """The same instant in one spelling, so ``+01:00`` and ``Z`` forms compare equal."""
    value = parse_instant(text)
    if value is None:
        return text  # schema-checked already; keep what we cannot parse as it came
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # 1.6 §3.11 errata: UTC is meant
    return iso(value)


@dataclass(slots=True, frozen=True)
class Transaction:
    id: int
    station: str
    connector_id: int
    id_tag: str
    meter_start: int
    start_ts: str
    reservation_id: int | None
    start_status: str | None
    meter_stop: int | None
    stop_ts: str | None
    stop_id_tag: str | None
    reason: str | None
    transaction_data: list[Any] | None

    @property
    def active(self) -> bool:
        return self.stop_ts is None


@dataclass(slots=True, frozen=True)
class MeterValueRow:
    station: str
    connector_id: int
    transaction_id: int | None
    timestamp: str
    measurand: str | None
    phase: str | None
    unit: str | None
    context: str | None
    location: str | None
    format: str | None
    value: str
    origin: str  # "MeterValues" or "StopTransaction"


@dataclass(slots=True, frozen=True)
class StatusRow:
    station: str
    connector_id: int
    status: str
    error_code: str
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    timestamp: str | None  # as reported by the station
    received: str


@dataclass(slots=True, frozen=True)
class EventRow:
    station: str
    received: str
    kind: str
    payload: dict[str, Any]


@dataclass(slots=True, frozen=True)
class StationRecord:
    id: str
    registration: str | None
    boot_payload: dict[str, Any] | None
    first_seen: str
    last_boot: str | None
    last_heartbeat: str | None


_TX_COLUMNS = (
    "id, station, connector_id, id_tag, meter_start, start_ts, reservation_id, start_status,"
    " meter_stop, stop_ts, stop_id_tag, reason, transaction_data"
)


def _tx(row: tuple[Any, ...]) -> Transaction:
    data = row[12]
    return Transaction(*(*row[:12], json.loads(data) if data is not None else None))


class CsmsStore:
    """The CSMS's tables on one SQLite connection (owned by this object)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        self.conn: sqlite3.Connection = open_database(self.path)
        ensure_schema(self.conn, SCHEMA)
        self.reports = ReportStore(self.conn)
        # Imported here: both modules import this one. The session columns extend the
        # transaction tables of both versions, so those must exist first.
        from bench.csms.sessions import SessionLedger
        from bench.csms.v201_tx import ensure_tables

        ensure_tables(self.conn)
        SessionLedger.ensure(self.conn)
        self.sessions = SessionLedger(self.conn)

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ stations
    def touch_station(self, station: str, now: str) -> None:
        self.conn.execute(
            "INSERT INTO csms_stations (id, first_seen) VALUES (?, ?) ON CONFLICT(id) DO NOTHING",
            (station, now),
        )

    def record_boot(self, station: str, now: str, payload: dict[str, Any], status: str) -> None:
        text = json.dumps(payload)
        with transaction(self.conn):
            self.touch_station(station, now)
            self.conn.execute(
                "INSERT INTO csms_boots (station, received, payload, status) VALUES (?, ?, ?, ?)",
                (station, now, text, status),
            )
            self.conn.execute(
                "UPDATE csms_stations SET registration = ?, boot_payload = ?, last_boot = ?"
                " WHERE id = ?",
                (status, text, now, station),
            )

    def record_heartbeat(self, station: str, now: str) -> None:
        with transaction(self.conn):
            self.touch_station(station, now)
            self.conn.execute(
                "UPDATE csms_stations SET last_heartbeat = ? WHERE id = ?", (now, station)
            )

    def station(self, station: str) -> StationRecord | None:
        row = self.conn.execute(
            "SELECT id, registration, boot_payload, first_seen, last_boot, last_heartbeat"
            " FROM csms_stations WHERE id = ?",
            (station,),
        ).fetchone()
        if row is None:
            return None
        boot = json.loads(row[2]) if row[2] else None
        return StationRecord(row[0], row[1], boot, row[3], row[4], row[5])

    def stations(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM csms_stations ORDER BY id")]

    def boots(self, station: str) -> list[tuple[str, str]]:
        """(received, status) of every boot of ``station``, oldest first."""
        return list(
            self.conn.execute(
                "SELECT received, status FROM csms_boots WHERE station = ? ORDER BY id", (station,)
            )
        )

    # ------------------------------------------------------------------ status
    def record_status(self, row: StatusRow) -> None:
        self.conn.execute(
            "INSERT INTO csms_status (station, connector_id, status, error_code, info,"
            " vendor_id, vendor_error_code, timestamp, received) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                row.station,
                row.connector_id,
                row.status,
                row.error_code,
                row.info,
                row.vendor_id,
                row.vendor_error_code,
                row.timestamp,
                row.received,
            ),
        )

    def statuses(self, station: str) -> dict[int, StatusRow]:
        """The latest status of each connector of ``station`` (connector 0 = the station)."""
        rows = self.conn.execute(
            "SELECT station, connector_id, status, error_code, info, vendor_id,"
            " vendor_error_code, timestamp, received FROM csms_status"
            " WHERE id IN (SELECT MAX(id) FROM csms_status WHERE station = ?"
            " GROUP BY connector_id) ORDER BY connector_id",
            (station,),
        )
        return {r[1]: StatusRow(*r) for r in rows}

    def status_history(self, station: str, connector_id: int | None = None) -> list[StatusRow]:
        sql = (
            "SELECT station, connector_id, status, error_code, info, vendor_id,"
            " vendor_error_code, timestamp, received FROM csms_status WHERE station = ?"
        )
        args: tuple = (station,)
        if connector_id is not None:
            sql += " AND connector_id = ?"
            args += (connector_id,)
        return [StatusRow(*r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    # ------------------------------------------------------------------ transactions
    def start_transaction(
        self,
        station: str,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        start_ts: str,
        reservation_id: int | None,
        start_status: str,
    ) -> tuple[Transaction, bool]:
        """Store a start; returns (transaction, created).

        A start with the same station, connector, idTag and timestamp as a stored
        one is the same start sent again (the station lost our conf and retried,
        1.6 §4.8 / OCPP-J §3.3 transaction-related message delivery), so it gets
        the stored transaction back instead of a second id.
        """
        with transaction(self.conn, immediate=True):
            row = self.conn.execute(
                f"SELECT {_TX_COLUMNS} FROM csms_transactions WHERE station = ?"
                " AND connector_id = ? AND id_tag = ? AND start_ts = ? ORDER BY id LIMIT 1",
                (station, connector_id, id_tag, start_ts),
            ).fetchone()
            if row is not None:
                return _tx(row), False
            cur = self.conn.execute(
                "INSERT INTO csms_transactions (station, connector_id, id_tag, meter_start,"
                " start_ts, reservation_id, start_status) VALUES (?,?,?,?,?,?,?)",
                (
                    station,
                    connector_id,
                    id_tag,
                    meter_start,
                    start_ts,
                    reservation_id,
                    start_status,
                ),
            )
            tx_id = cur.lastrowid
            assert tx_id is not None  # an INSERT always sets it
        found = self.transaction(tx_id)
        assert found is not None
        return found, True

    def stop_transaction(
        self,
        station: str,
        tx_id: int,
        meter_stop: int,
        stop_ts: str,
        stop_id_tag: str | None,
        reason: str | None,
        transaction_data: list[Any] | None,
    ) -> tuple[Transaction | None, bool]:
        """Store a stop; returns (transaction or None if unknown, first time stopped).

        A transaction belongs to the station that started it: a stop from any other
        station leaves the record as it is (returned with ``False``) — otherwise one
        station could end, or rewrite the meter reading of, another's session.
        """
        with transaction(self.conn, immediate=True):
            current = self.transaction(tx_id)
            if current is None:
                return None, False
            if current.station != station:
                return current, False
            if current.stop_ts == stop_ts and current.meter_stop == meter_stop:
                return current, False  # the same stop sent again
            self.conn.execute(
                "UPDATE csms_transactions SET meter_stop = ?, stop_ts = ?, stop_id_tag = ?,"
                " reason = ?, transaction_data = ? WHERE id = ?",
                (
                    meter_stop,
                    stop_ts,
                    stop_id_tag,
                    reason,
                    json.dumps(transaction_data) if transaction_data is not None else None,
                    tx_id,
                ),
            )
        return self.transaction(tx_id), True

    def transaction(self, tx_id: int) -> Transaction | None:
        row = self.conn.execute(
            f"SELECT {_TX_COLUMNS} FROM csms_transactions WHERE id = ?", (tx_id,)
        ).fetchone()
        return _tx(row) if row else None

    def transactions(
        self, station: str | None = None, *, active: bool | None = None
    ) -> list[Transaction]:
        """Transactions, oldest first; filter by station and by open (active) or closed."""
        sql = f"SELECT {_TX_COLUMNS} FROM csms_transactions WHERE 1 = 1"
        args: tuple = ()
        if station is not None:
            sql += " AND station = ?"
            args += (station,)
        if active is True:
            sql += " AND stop_ts IS NULL"
        elif active is False:
            sql += " AND stop_ts IS NOT NULL"
        return [_tx(r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    def open_transactions_for_tag(self, id_tag: str) -> list[Transaction]:
        rows = self.conn.execute(
            f"SELECT {_TX_COLUMNS} FROM csms_transactions WHERE id_tag = ? AND stop_ts IS NULL",
            (id_tag,),
        )
        return [_tx(r) for r in rows]

    # ------------------------------------------------------------------ meter values
    def add_meter_values(self, rows: list[MeterValueRow]) -> None:
        if not rows:
            return
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT INTO csms_meter_values (station, connector_id, transaction_id,"
                " timestamp, measurand, phase, unit, context, location, format, value, origin)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        r.station,
                        r.connector_id,
                        r.transaction_id,
                        r.timestamp,
                        r.measurand,
                        r.phase,
                        r.unit,
                        r.context,
                        r.location,
                        r.format,
                        r.value,
                        r.origin,
                    )
                    for r in rows
                ],
            )

    def meter_values(
        self,
        transaction_id: int | None = None,
        *,
        station: str | None = None,
        connector_id: int | None = None,
    ) -> list[MeterValueRow]:
        """Stored sampled values, in arrival order, filtered by any of the arguments."""
        sql = (
            "SELECT station, connector_id, transaction_id, timestamp, measurand, phase, unit,"
            " context, location, format, value, origin FROM csms_meter_values WHERE 1 = 1"
        )
        args: tuple = ()
        if transaction_id is not None:
            sql += " AND transaction_id = ?"
            args += (transaction_id,)
        if station is not None:
            sql += " AND station = ?"
            args += (station,)
        if connector_id is not None:
            sql += " AND connector_id = ?"
            args += (connector_id,)
        return [MeterValueRow(*r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    # ------------------------------------------------------------------ events
    def add_event(self, station: str, received: str, kind: str, payload: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO csms_events (station, received, kind, payload) VALUES (?, ?, ?, ?)",
            (station, received, kind, json.dumps(payload)),
        )

    def events(self, station: str | None = None, kind: str | None = None) -> list[EventRow]:
        sql = "SELECT station, received, kind, payload FROM csms_events WHERE 1 = 1"
        args: tuple = ()
        if station is not None:
            sql += " AND station = ?"
            args += (station,)
        if kind is not None:
            sql += " AND kind = ?"
            args += (kind,)
        return [
            EventRow(r[0], r[1], r[2], json.loads(r[3]))
            for r in self.conn.execute(sql + " ORDER BY id", args)
        ]

    # ------------------------------------------------------------------ reports
    def add_report_part(
        self, station: str, kind: str, received: str, payload: dict[str, Any]
    ) -> None:
        """See ``ReportStore.add_part``."""
        self.reports.add_part(station, kind, received, payload)

    def report(self, station: str, request_id: int, kind: str = "NotifyReport") -> Report | None:
        return self.reports.report(station, request_id, kind)

    def report_ids(self, station: str, kind: str = "NotifyReport") -> list[int]:
        return self.reports.report_ids(station, kind)
