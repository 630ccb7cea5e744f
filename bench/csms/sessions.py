"""Charging sessions as the built-in CSMS sees them, for both OCPP versions.

A session is one transaction: 1.6 StartTransaction / MeterValues / StopTransaction
(rows of ``csms_transactions``, integer ids the CSMS hands out) or 2.0.1
TransactionEvent Started / Updated / Ended (rows of ``csms201_transactions``, string
ids the station picks). Rather than keep a third copy of those rows, this module
adds what a session table needs to both tables (schema ``csms_sessions``) and keeps
it current as messages arrive:

- the latest energy register reading in Wh (2.0.1: the first one too, as 2.0.1
  sends no meterStart), each with its timestamp, so "latest" means the latest
  sampled, not the latest to arrive (offline values come late);
- how many meter values (MeterValue elements: one timestamp and its samples) the
  transaction has brought;
- the cost at the CSMS's price (``CsmsConfig.price_per_kwh``, the one that puts
  2.0.1 ``totalCost`` in replies, I02.FR.01 / I03.FR.01) and its currency.

A session is keyed by station, version and transaction id (``SessionKey``): a 1.6
message naming another station's transaction id never touches that session.
``SessionLedger.changes`` emits ``SessionChanged`` after every write, so a view can
re-read just the sessions that moved.

Energy of a session: 1.6 ``meterStop - meterStart`` once stopped, latest reading
minus ``meterStart`` while open; 2.0.1 latest minus first register reading
(the same rule as the CSMS's ``totalCost``). It is not clamped: a register that runs
backwards is a station fault a test bench should show; only the cost counts no less
than zero energy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from bench.model.events import Emitter
from bench.store.db import Schema, ensure_schema, transaction

V16 = "1.6"
V201 = "2.0.1"
REGISTER = "Energy.Active.Import.Register"

# Step 1 adds the session columns to both transaction tables and fills them for
# transactions stored before it, from the meter values kept beside them. The count of
# an old transaction's meter values is the number of distinct (timestamp, message
# kind) pairs: the store never kept how many MeterValue elements a message held.
# Numbers are sorted by julianday(), not as text: "...:05Z" sorts after "...:05.5Z".
SCHEMA = Schema(
    "csms_sessions",
    [
        """
        ALTER TABLE csms_transactions ADD COLUMN last_wh REAL;
        ALTER TABLE csms_transactions ADD COLUMN last_wh_ts TEXT;
        ALTER TABLE csms_transactions ADD COLUMN meter_values INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE csms_transactions ADD COLUMN cost REAL;
        ALTER TABLE csms_transactions ADD COLUMN currency TEXT;
        UPDATE csms_transactions SET meter_values = (
            SELECT COUNT(DISTINCT m.timestamp || '|' || m.origin) FROM csms_meter_values m
            WHERE m.station = csms_transactions.station
              AND m.transaction_id = csms_transactions.id);
        UPDATE csms_transactions SET (last_wh, last_wh_ts) = (
            SELECT CAST(m.value AS REAL) * (CASE m.unit WHEN 'kWh' THEN 1000.0 ELSE 1.0 END),
                   m.timestamp
            FROM csms_meter_values m
            WHERE m.station = csms_transactions.station
              AND m.transaction_id = csms_transactions.id
              AND m.measurand = 'Energy.Active.Import.Register' AND m.phase IS NULL
              AND m.format = 'Raw' AND m.unit IN ('Wh', 'kWh')
              AND m.value NOT GLOB '*[^0-9.eE+-]*' AND m.value GLOB '*[0-9]*'
            ORDER BY julianday(m.timestamp) DESC, m.id DESC LIMIT 1);
        ALTER TABLE csms201_transactions ADD COLUMN connector_id INTEGER;
        ALTER TABLE csms201_transactions ADD COLUMN first_wh REAL;
        ALTER TABLE csms201_transactions ADD COLUMN first_wh_ts TEXT;
        ALTER TABLE csms201_transactions ADD COLUMN last_wh REAL;
        ALTER TABLE csms201_transactions ADD COLUMN last_wh_ts TEXT;
        ALTER TABLE csms201_transactions ADD COLUMN meter_values INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE csms201_transactions ADD COLUMN cost REAL;
        ALTER TABLE csms201_transactions ADD COLUMN currency TEXT;
        UPDATE csms201_transactions SET meter_values = (
            SELECT COUNT(DISTINCT m.timestamp || '|' || m.origin) FROM csms201_meter_values m
            WHERE m.station = csms201_transactions.station
              AND m.transaction_id = csms201_transactions.id);
        UPDATE csms201_transactions SET (first_wh, first_wh_ts) = (
            SELECT m.value * (CASE m.unit WHEN 'kWh' THEN 1000.0 ELSE 1.0 END), m.timestamp
            FROM csms201_meter_values m
            WHERE m.station = csms201_transactions.station
              AND m.transaction_id = csms201_transactions.id
              AND m.measurand = 'Energy.Active.Import.Register' AND m.phase IS NULL
            ORDER BY julianday(m.timestamp), m.id LIMIT 1);
        UPDATE csms201_transactions SET (last_wh, last_wh_ts) = (
            SELECT m.value * (CASE m.unit WHEN 'kWh' THEN 1000.0 ELSE 1.0 END), m.timestamp
            FROM csms201_meter_values m
            WHERE m.station = csms201_transactions.station
              AND m.transaction_id = csms201_transactions.id
              AND m.measurand = 'Energy.Active.Import.Register' AND m.phase IS NULL
            ORDER BY julianday(m.timestamp) DESC, m.id DESC LIMIT 1);
        """,
    ],
)


class SessionKey(NamedTuple):
    station: str
    version: str  # "1.6" | "2.0.1"
    transaction_id: str  # 1.6 integer ids as text


@dataclass(frozen=True, slots=True)
class SessionChanged:
    """Emitted on ``SessionLedger.changes`` (and ``CentralSystem.events``) after a write."""

    key: SessionKey


@dataclass(frozen=True, slots=True)
class Session:
    """One transaction, version-neutral. Timestamps are ISO 8601 UTC text as stored."""

    station: str
    version: str
    transaction_id: str
    evse_id: int | None  # 2.0.1 only
    connector_id: int | None  # 1.6 connectorId; 2.0.1 evse.connectorId when sent
    id_tag: str | None
    start: str | None  # None: a 2.0.1 transaction whose Started event never came
    stop: str | None
    energy_wh: float | None  # None: no register reading yet (2.0.1)
    cost: float | None
    currency: str | None
    stop_reason: str | None
    meter_values: int

    @property
    def key(self) -> SessionKey:
        return SessionKey(self.station, self.version, self.transaction_id)

    @property
    def active(self) -> bool:
        return self.stop is None

    @property
    def energy_kwh(self) -> float | None:
        return None if self.energy_wh is None else self.energy_wh / 1000.0


OPEN, CLOSED, ANY = "open", "closed", "any"


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """Which sessions to show: one station, one tag, open or closed, text anywhere."""

    station: str | None = None
    id_tag: str | None = None
    state: str = ANY  # OPEN | CLOSED | ANY
    text: str = ""

    def matches(self, session: Session) -> bool:
        if self.station is not None and session.station != self.station:
            return False
        if self.id_tag is not None and session.id_tag != self.id_tag:
            return False
        if self.state == OPEN and not session.active:
            return False
        if self.state == CLOSED and session.active:
            return False
        needle = self.text.strip().casefold()
        if not needle:
            return True
        haystack = (
            session.station,
            session.transaction_id,
            session.id_tag or "",
            session.stop_reason or "",
            session.version,
        )
        return any(needle in field.casefold() for field in haystack)


def parse_time(text: str | None) -> datetime | None:
    """A stored timestamp as an aware datetime (naive ones are UTC, 1.6 §3.11 errata)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None  # the station sent a schema-valid but unparsable date: no ordering
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def session_cost(energy_wh: float, price_per_kwh: float) -> float:
    """Energy at a flat price, in cents (the CSMS's totalCost, I02.FR.01 / I03.FR.01)."""
    return round(max(0.0, energy_wh) / 1000.0 * price_per_kwh, 2)


def _after(candidate: str, than: str | None) -> bool:
    """``candidate`` was sampled at or after ``than`` (ties: the later arrival wins)."""
    if than is None:
        return True
    a, b = parse_time(candidate), parse_time(than)
    if a is None or b is None:
        return True  # cannot order them: arrival order decides
    return a >= b


def _before(candidate: str, than: str | None) -> bool:
    if than is None:
        return True
    a, b = parse_time(candidate), parse_time(than)
    if a is None or b is None:
        return False
    return a < b


Reading = tuple[str, float]  # (timestamp, register in Wh)


_COLUMNS_16 = (
    "station, id, connector_id, id_tag, start_ts, stop_ts, reason, meter_start, meter_stop,"
    " last_wh, meter_values, cost, currency"
)
_COLUMNS_201 = (
    "station, id, evse_id, connector_id, id_token, started, ended, stopped_reason,"
    " first_wh, last_wh, meter_values, cost, currency"
)


def _energy_16(meter_start: float, meter_stop: float | None, last_wh: float | None) -> float:
    if meter_stop is not None:
        return float(meter_stop - meter_start)
    return float((last_wh if last_wh is not None else meter_start) - meter_start)


def _energy_201(first_wh: float | None, last_wh: float | None) -> float | None:
    if first_wh is None or last_wh is None:
        return None
    return last_wh - first_wh


def _session_16(row: tuple) -> Session:
    station, tx_id, connector, tag, start, stop, reason, m_start, m_stop, last, n, cost, cur = row
    return Session(
        station=station,
        version=V16,
        transaction_id=str(tx_id),
        evse_id=None,
        connector_id=connector,
        id_tag=tag,
        start=start,
        stop=stop,
        energy_wh=_energy_16(m_start, m_stop, last),
        cost=cost,
        currency=cur,
        stop_reason=reason,
        meter_values=n,
    )


def _session_201(row: tuple) -> Session:
    station, tx_id, evse, connector, token, start, stop, reason, first, last, n, cost, cur = row
    return Session(
        station=station,
        version=V201,
        transaction_id=tx_id,
        evse_id=evse,
        connector_id=connector,
        id_tag=token,
        start=start,
        stop=stop,
        energy_wh=_energy_201(first, last),
        cost=cost,
        currency=cur,
        stop_reason=reason,
        meter_values=n,
    )


def _order(session: Session) -> tuple:
    start = parse_time(session.start)
    # Sessions without a start (a lost 2.0.1 Started) go last; ids break ties.
    return (start is None, start or datetime.min.replace(tzinfo=UTC), session.key)


class SessionLedger:
    """Keeps the session columns current and answers session queries (one connection).

    The tables must exist: ``CsmsStore`` creates both transaction tables, then
    applies ``SCHEMA`` (see ``ensure``).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.changes = Emitter()

    @staticmethod
    def ensure(conn: sqlite3.Connection) -> None:
        """Bring a database's session columns up to date (old files get them here)."""
        ensure_schema(conn, SCHEMA)

    # ------------------------------------------------------------------ writes, 1.6
    def update_16(
        self,
        station: str,
        tx_id: int,
        readings: Sequence[Reading] = (),
        meter_values: int = 0,
        *,
        price_per_kwh: float | None,
        currency: str | None,
    ) -> None:
        """After a 1.6 start, MeterValues or stop of ``station``'s transaction ``tx_id``.

        ``readings`` are its energy register samples, ``meter_values`` the number of
        MeterValue elements the message carried. Another station's transaction id
        changes nothing (the session key includes the station).
        """
        with transaction(self.conn, immediate=True):
            row = self.conn.execute(
                "SELECT meter_start, meter_stop, last_wh, last_wh_ts FROM csms_transactions"
                " WHERE station = ? AND id = ?",
                (station, tx_id),
            ).fetchone()
            if row is None:
                return
            meter_start, meter_stop, last_wh, last_ts = row
            for ts, wh in readings:
                if _after(ts, last_ts):
                    last_wh, last_ts = wh, ts
            cost = None
            if price_per_kwh is not None:
                cost = session_cost(_energy_16(meter_start, meter_stop, last_wh), price_per_kwh)
            self.conn.execute(
                "UPDATE csms_transactions SET last_wh = ?, last_wh_ts = ?,"
                " meter_values = meter_values + ?, cost = COALESCE(?, cost),"
                " currency = CASE WHEN ? IS NULL THEN currency ELSE ? END"
                " WHERE station = ? AND id = ?",
                (last_wh, last_ts, meter_values, cost, cost, currency, station, tx_id),
            )
        self.changes.emit(SessionChanged(SessionKey(station, V16, str(tx_id))))

    # ------------------------------------------------------------------ writes, 2.0.1
    def update_201(
        self,
        station: str,
        tx_id: str,
        readings: Sequence[Reading],
        meter_values: int,
        *,
        connector_id: int | None,
        price_per_kwh: float | None,
        currency: str | None,
    ) -> None:
        """After a stored (not a repeated) 2.0.1 TransactionEvent; joins the caller's
        database transaction, so the event and its session change commit together."""
        with transaction(self.conn, immediate=True):
            row = self.conn.execute(
                "SELECT first_wh, first_wh_ts, last_wh, last_wh_ts FROM csms201_transactions"
                " WHERE station = ? AND id = ?",
                (station, tx_id),
            ).fetchone()
            if row is None:
                return
            first_wh, first_ts, last_wh, last_ts = row
            for ts, wh in readings:
                if first_ts is None or _before(ts, first_ts):
                    first_wh, first_ts = wh, ts
                if _after(ts, last_ts):
                    last_wh, last_ts = wh, ts
            energy = _energy_201(first_wh, last_wh)
            cost = None
            if price_per_kwh is not None and energy is not None:
                cost = session_cost(energy, price_per_kwh)
            self.conn.execute(
                "UPDATE csms201_transactions SET first_wh = ?, first_wh_ts = ?, last_wh = ?,"
                " last_wh_ts = ?, meter_values = meter_values + ?,"
                " connector_id = COALESCE(?, connector_id), cost = COALESCE(?, cost),"
                " currency = CASE WHEN ? IS NULL THEN currency ELSE ? END"
                " WHERE station = ? AND id = ?",
                (
                    first_wh,
                    first_ts,
                    last_wh,
                    last_ts,
                    meter_values,
                    connector_id,
                    cost,
                    cost,
                    currency,
                    station,
                    tx_id,
                ),
            )
        self.changes.emit(SessionChanged(SessionKey(station, V201, tx_id)))

    # ------------------------------------------------------------------ queries
    def session(self, key: SessionKey) -> Session | None:
        if key.version == V16:
            try:
                tx_id = int(key.transaction_id)
            except ValueError:
                return None
            row = self.conn.execute(
                f"SELECT {_COLUMNS_16} FROM csms_transactions WHERE station = ? AND id = ?",
                (key.station, tx_id),
            ).fetchone()
            return _session_16(row) if row else None
        row = self.conn.execute(
            f"SELECT {_COLUMNS_201} FROM csms201_transactions WHERE station = ? AND id = ?",
            (key.station, key.transaction_id),
        ).fetchone()
        return _session_201(row) if row else None

    def sessions(self, where: SessionFilter | None = None) -> list[Session]:
        """Every session matching ``where``, oldest start first."""
        where = where or SessionFilter()
        found = [_session_16(r) for r in self._rows("csms_transactions", _COLUMNS_16, where)]
        found += [_session_201(r) for r in self._rows("csms201_transactions", _COLUMNS_201, where)]
        return sorted((s for s in found if where.matches(s)), key=_order)

    def _rows(self, table: str, columns: str, where: SessionFilter) -> Iterable[tuple]:
        # The station narrows in SQL (the big cut on a fleet's database); the rest of
        # the filter runs on the Session objects, one rule for the store and the GUI.
        sql = f"SELECT {columns} FROM {table}"
        if where.station is not None:
            return self.conn.execute(sql + " WHERE station = ?", (where.station,))
        return self.conn.execute(sql)
