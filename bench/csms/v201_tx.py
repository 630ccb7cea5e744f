"""The CSMS side of 2.0.1 TransactionEvent and MeterValues (E01-E15, J01, J02).

2.0.1 transactions have string ids chosen by the station, so they get their own
tables (``csms201_*``, created IF NOT EXISTS on the CSMS's connection) rather than the
1.6 ``csms_transactions`` with its integer sequence. Every TransactionEvent is kept
(one row per seqNo; a retried one is answered again but stored once), the
transaction row holds the latest state, and each sampled value is one row.

Signed meter values (J01.FR.21, J02.FR.21; OCA note "Signed Meter Values in OCPP"):
every sampled value with a ``signedMeterValue`` is checked on arrival
(``bench.ocpp.ocmf.verify_signed_meter_value``) against the meter's public key and the
plain value beside it, and the verdict is stored (``csms201_signed_values``). The key
comes from the value itself or, when the station sends ``""`` (PublicKeyWithSignedMeterValue
Never/OncePerTransaction), from ``csms201_meter_keys``: registered by the operator
(``register_meter_key``) or learnt from the first value that verified with the key it
brought. A value bringing another key than the registered one fails (KeyMismatch).

With ``CsmsConfig.price_per_kwh`` set, the reply to an Updated or Ended event carries
``totalCost``: the energy imported since the transaction's first register reading
times the price, rounded to cents (I02.FR.01 running cost, I03.FR.01 final cost).
The energy, the meter value count and that cost are the transaction's session
columns (``bench.csms.sessions``), brought up to date with every stored event.

The query functions at the bottom (``transactions``, ``transaction``, ``tx_events``,
``meter_values``, ``missing_seq_nos``, ``signed_values``, ``meter_key``) take the store's
connection, for tests and the GUI: ``transactions(csms.store.conn, "CS1")``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bench.csms.context import StationContext
from bench.csms.sessions import V201, Reading, SessionKey, session_cost
from bench.csms.storage import normalize_timestamp
from bench.ocpp.ocmf import verify_signed_meter_value
from bench.ocpp.session import Handler
from bench.store.db import transaction as db_transaction

_TABLES = """
CREATE TABLE IF NOT EXISTS csms201_transactions (
    station TEXT NOT NULL,
    id TEXT NOT NULL,
    evse_id INTEGER,
    id_token TEXT,
    token_type TEXT,
    started TEXT,
    ended TEXT,
    stopped_reason TEXT,
    charging_state TEXT,
    remote_start_id INTEGER,
    reservation_id INTEGER,
    meter_start REAL,
    meter_stop REAL,
    last_seq INTEGER NOT NULL DEFAULT -1,
    events INTEGER NOT NULL DEFAULT 0,
    offline_events INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (station, id)
);
CREATE TABLE IF NOT EXISTS csms201_tx_events (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    seq_no INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    trigger_reason TEXT NOT NULL,
    offline INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    received TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS csms201_tx_events_seq
    ON csms201_tx_events (station, transaction_id, seq_no);
CREATE TABLE IF NOT EXISTS csms201_meter_values (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    transaction_id TEXT,
    timestamp TEXT NOT NULL,
    measurand TEXT NOT NULL,
    phase TEXT,
    unit TEXT,
    context TEXT NOT NULL,
    location TEXT NOT NULL,
    value REAL NOT NULL,
    signed INTEGER NOT NULL DEFAULT 0,
    origin TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS csms201_meter_values_tx
    ON csms201_meter_values (station, transaction_id);
CREATE TABLE IF NOT EXISTS csms201_signed_values (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    transaction_id TEXT,
    timestamp TEXT NOT NULL,
    context TEXT NOT NULL,
    value REAL NOT NULL,
    verdict TEXT NOT NULL,
    detail TEXT NOT NULL,
    pagination TEXT,
    key_sent INTEGER NOT NULL,
    origin TEXT NOT NULL,
    signed_meter_value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS csms201_signed_values_tx
    ON csms201_signed_values (station, transaction_id);
CREATE TABLE IF NOT EXISTS csms201_meter_keys (
    station TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    public_key TEXT NOT NULL,
    PRIMARY KEY (station, evse_id)
);
"""

# SampledValueType defaults (part 2 §2.x) filled in so stored rows need no interpretation.
_DEFAULT_MEASURAND = "Energy.Active.Import.Register"


@dataclass(frozen=True, slots=True)
class Tx201Row:
    station: str
    id: str
    evse_id: int | None
    id_token: str | None
    token_type: str | None
    started: str | None
    ended: str | None
    stopped_reason: str | None
    charging_state: str | None
    remote_start_id: int | None
    reservation_id: int | None
    meter_start: float | None
    meter_stop: float | None
    last_seq: int
    events: int
    offline_events: int

    @property
    def active(self) -> bool:
        return self.ended is None


@dataclass(frozen=True, slots=True)
class TxEventRow:
    station: str
    transaction_id: str
    seq_no: int
    event_type: str
    trigger_reason: str
    offline: bool
    timestamp: str
    received: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MeterValue201Row:
    station: str
    evse_id: int
    transaction_id: str | None
    timestamp: str
    measurand: str
    phase: str | None
    unit: str | None
    context: str
    location: str
    value: float
    signed: bool
    origin: str


@dataclass(frozen=True, slots=True)
class SignedValueRow:
    """One received signedMeterValue and the CSMS's verdict on it (``ocmf.Verdict.status``)."""

    station: str
    evse_id: int
    transaction_id: str | None
    timestamp: str
    context: str
    value: float
    verdict: str
    detail: str
    pagination: str | None
    key_sent: bool
    origin: str
    signed_meter_value: dict[str, Any]

    @property
    def valid(self) -> bool:
        return self.verdict == "Valid"


def ensure_tables(conn: sqlite3.Connection) -> None:
    conn.executescript(_TABLES)


def _check_signed(
    conn: sqlite3.Connection,
    station: str,
    evse_id: int,
    transaction_id: str | None,
    meter_value: list[dict[str, Any]],
    origin: str,
) -> None:
    """Verify and record every signedMeterValue in ``meter_value`` (in the caller's
    transaction); a key that verified is remembered for the values sent without one."""
    for mv in meter_value:
        ts = normalize_timestamp(mv["timestamp"])
        for sv in mv.get("sampledValue", ()):
            smv = sv.get("signedMeterValue")
            if smv is None:
                continue
            known = _known_key(conn, station, evse_id)
            verdict = verify_signed_meter_value(smv, known_key=known, expected_wh=_in_wh(sv))
            if verdict.valid and known is None and verdict.public_key:
                _store_key(conn, station, evse_id, verdict.public_key)
            conn.execute(
                "INSERT INTO csms201_signed_values (station, evse_id, transaction_id, timestamp,"
                " context, value, verdict, detail, pagination, key_sent, origin,"
                " signed_meter_value) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    station,
                    evse_id,
                    transaction_id,
                    ts,
                    sv.get("context", "Sample.Periodic"),
                    float(sv["value"]),
                    verdict.status,
                    verdict.detail,
                    verdict.pagination,
                    1 if smv.get("publicKey") else 0,
                    origin,
                    json.dumps(smv),
                ),
            )


def _in_wh(sv: dict[str, Any]) -> float | None:
    """The plain value of an energy register reading in Wh (None for other quantities)."""
    unit = (sv.get("unitOfMeasure") or {}).get("unit", "Wh")
    scale = 10.0 ** (sv.get("unitOfMeasure") or {}).get("multiplier", 0)
    factor = {"Wh": 1.0, "kWh": 1000.0}.get(unit)
    if factor is None:
        return None
    return float(sv["value"]) * factor * scale


def _register(meter_value: list[dict[str, Any]]) -> float | None:
    """The last Energy.Active.Import.Register reading in ``meter_value``, if any."""
    found = None
    for mv in meter_value:
        for sv in mv.get("sampledValue", ()):
            if sv.get("measurand", _DEFAULT_MEASURAND) == _DEFAULT_MEASURAND:
                found = float(sv["value"])
    return found


def _register_readings(meter_value: list[dict[str, Any]]) -> list[Reading]:
    """(timestamp, Wh) of every whole-meter Energy.Active.Import.Register sample."""
    readings = []
    for mv in meter_value:
        ts = normalize_timestamp(mv["timestamp"])
        for sv in mv.get("sampledValue", ()):
            if sv.get("measurand", _DEFAULT_MEASURAND) != _DEFAULT_MEASURAND or "phase" in sv:
                continue
            wh = _in_wh(sv)
            if wh is not None:
                readings.append((ts, wh))
    return readings


def _meter_rows(
    station: str,
    evse_id: int,
    transaction_id: str | None,
    meter_value: list[dict[str, Any]],
    origin: str,
) -> list[tuple[Any, ...]]:
    rows = []
    for mv in meter_value:
        ts = normalize_timestamp(mv["timestamp"])
        for sv in mv.get("sampledValue", ()):
            unit = (sv.get("unitOfMeasure") or {}).get("unit", "Wh")
            rows.append(
                (
                    station,
                    evse_id,
                    transaction_id,
                    ts,
                    sv.get("measurand", _DEFAULT_MEASURAND),
                    sv.get("phase"),
                    unit,
                    sv.get("context", "Sample.Periodic"),
                    sv.get("location", "Outlet"),
                    float(sv["value"]),
                    1 if "signedMeterValue" in sv else 0,
                    origin,
                )
            )
    return rows


def _add_meter_values(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.executemany(
        "INSERT INTO csms201_meter_values (station, evse_id, transaction_id, timestamp,"
        " measurand, phase, unit, context, location, value, signed, origin)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def handlers(ctx: StationContext) -> dict[str, Handler]:
    from bench.csms.v201 import id_token_info  # v201 imports this module first

    store = ctx.store
    conn = store.conn
    sid = ctx.station_id
    ensure_tables(conn)

    def token_info(token: dict[str, Any], tx_id: str) -> dict[str, Any]:
        # E01.FR.11/12, E05.FR.01: the CSMS checks every idToken a TransactionEvent carries.
        if token["type"] == "NoAuthorization":
            return {"status": "Accepted"}
        info = id_token_info(ctx.authorize(token["idToken"]))
        if info["status"] == "Accepted" and ctx.config.reject_concurrent_tx:
            others = conn.execute(
                "SELECT 1 FROM csms201_transactions WHERE id_token = ? AND ended IS NULL"
                " AND NOT (station = ? AND id = ?) LIMIT 1",
                (token["idToken"], sid, tx_id),
            ).fetchone()
            if others is not None:
                info["status"] = "ConcurrentTx"
        return info

    def with_cost(p: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
        # I02.FR.01, I03.FR.01: the running and the final cost, when the CSMS has a price.
        price = ctx.config.price_per_kwh
        if price is not None and p["eventType"] in ("Updated", "Ended"):
            key = SessionKey(sid, V201, p["transactionInfo"]["transactionId"])
            session = store.sessions.session(key)
            if session is not None and session.energy_wh is not None:
                reply["totalCost"] = session_cost(session.energy_wh, price)
        return reply

    async def transaction_event(p: dict[str, Any]) -> dict[str, Any]:
        info = p["transactionInfo"]
        tx_id = info["transactionId"]
        token = p.get("idToken")
        reply: dict[str, Any] = {}
        if token is not None:
            reply["idTokenInfo"] = token_info(token, tx_id)
        received = ctx.now_iso()
        ts = normalize_timestamp(p["timestamp"])
        with db_transaction(conn, immediate=True):
            seen = conn.execute(
                "SELECT 1 FROM csms201_tx_events WHERE station = ? AND transaction_id = ?"
                " AND seq_no = ?",
                (sid, tx_id, p["seqNo"]),
            ).fetchone()
            if seen is not None:
                return with_cost(p, reply)  # sent again (E13): answered, stored once
            conn.execute(
                "INSERT INTO csms201_tx_events (station, transaction_id, seq_no, event_type,"
                " trigger_reason, offline, timestamp, received, payload)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    sid,
                    tx_id,
                    p["seqNo"],
                    p["eventType"],
                    p["triggerReason"],
                    1 if p.get("offline") else 0,
                    ts,
                    received,
                    json.dumps(p),
                ),
            )
            conn.execute(
                "INSERT INTO csms201_transactions (station, id) VALUES (?, ?)"
                " ON CONFLICT(station, id) DO NOTHING",
                (sid, tx_id),
            )
            _update_transaction(conn, sid, p, ts)
            evse = (p.get("evse") or {}).get("id")
            if evse is None:
                row = conn.execute(
                    "SELECT evse_id FROM csms201_transactions WHERE station = ? AND id = ?",
                    (sid, tx_id),
                ).fetchone()
                evse = row[0] if row and row[0] is not None else 0
            _add_meter_values(
                conn, _meter_rows(sid, evse, tx_id, p.get("meterValue") or [], "TransactionEvent")
            )
            _check_signed(conn, sid, evse, tx_id, p.get("meterValue") or [], "TransactionEvent")
            store.sessions.update_201(
                sid,
                tx_id,
                _register_readings(p.get("meterValue") or []),
                len(p.get("meterValue") or ()),
                connector_id=(p.get("evse") or {}).get("connectorId"),
                price_per_kwh=ctx.config.price_per_kwh,
                currency=ctx.config.currency,
            )
        return with_cost(p, reply)

    async def meter_values(p: dict[str, Any]) -> dict[str, Any]:
        # J01.FR.18: always answered; evseId 0 is the station's main meter (J01.FR.03).
        rows = _meter_rows(sid, p["evseId"], None, p["meterValue"], "MeterValues")
        with db_transaction(conn):
            _add_meter_values(conn, rows)
            _check_signed(conn, sid, p["evseId"], None, p["meterValue"], "MeterValues")
        return {}

    return {"TransactionEvent": transaction_event, "MeterValues": meter_values}


def _update_transaction(conn: sqlite3.Connection, sid: str, p: dict[str, Any], ts: str) -> None:
    info = p["transactionInfo"]
    sets: dict[str, Any] = {}
    if p["eventType"] == "Started":
        sets["started"] = ts
    if p["eventType"] == "Ended":
        sets["ended"] = ts
        sets["stopped_reason"] = info.get("stoppedReason", "Local")  # absent means Local
    if "evse" in p:
        sets["evse_id"] = p["evse"]["id"]
    if "idToken" in p and p["triggerReason"] != "StopAuthorized":
        sets["id_token"] = p["idToken"]["idToken"]
        sets["token_type"] = p["idToken"]["type"]
    for key, column in (
        ("chargingState", "charging_state"),
        ("remoteStartId", "remote_start_id"),
    ):
        if key in info:
            sets[column] = info[key]
    if "reservationId" in p:
        sets["reservation_id"] = p["reservationId"]
    register = _register(p.get("meterValue") or [])
    if register is not None:
        if p["eventType"] == "Ended":
            sets["meter_stop"] = register
        conn.execute(
            "UPDATE csms201_transactions SET meter_start = ? WHERE station = ? AND id = ?"
            " AND meter_start IS NULL",
            (register, sid, info["transactionId"]),
        )
    assignments = "".join(f", {column} = ?" for column in sets)
    conn.execute(
        "UPDATE csms201_transactions SET events = events + 1,"
        " offline_events = offline_events + ?, last_seq = MAX(last_seq, ?)"
        f"{assignments} WHERE station = ? AND id = ?",
        (
            1 if p.get("offline") else 0,
            p["seqNo"],
            *sets.values(),
            sid,
            info["transactionId"],
        ),
    )


# ------------------------------------------------------------------ queries
_TX_COLUMNS = (
    "station, id, evse_id, id_token, token_type, started, ended, stopped_reason, charging_state,"
    " remote_start_id, reservation_id, meter_start, meter_stop, last_seq, events, offline_events"
)


def transactions(
    conn: sqlite3.Connection, station: str | None = None, *, active: bool | None = None
) -> list[Tx201Row]:
    """2.0.1 transactions in the order they were first heard of."""
    ensure_tables(conn)
    sql = f"SELECT {_TX_COLUMNS} FROM csms201_transactions WHERE 1 = 1"
    args: tuple[Any, ...] = ()
    if station is not None:
        sql += " AND station = ?"
        args += (station,)
    if active is True:
        sql += " AND ended IS NULL"
    elif active is False:
        sql += " AND ended IS NOT NULL"
    return [Tx201Row(*r) for r in conn.execute(sql + " ORDER BY rowid", args)]


def transaction(conn: sqlite3.Connection, station: str, tx_id: str) -> Tx201Row | None:
    ensure_tables(conn)
    row = conn.execute(
        f"SELECT {_TX_COLUMNS} FROM csms201_transactions WHERE station = ? AND id = ?",
        (station, tx_id),
    ).fetchone()
    return Tx201Row(*row) if row else None


def tx_events(
    conn: sqlite3.Connection, station: str, transaction_id: str | None = None
) -> list[TxEventRow]:
    """Stored TransactionEvents in arrival order (not seqNo order: offline ones come late)."""
    ensure_tables(conn)
    sql = (
        "SELECT station, transaction_id, seq_no, event_type, trigger_reason, offline, timestamp,"
        " received, payload FROM csms201_tx_events WHERE station = ?"
    )
    args: tuple[Any, ...] = (station,)
    if transaction_id is not None:
        sql += " AND transaction_id = ?"
        args += (transaction_id,)
    return [
        TxEventRow(*(*r[:5], bool(r[5]), r[6], r[7], json.loads(r[8])))
        for r in conn.execute(sql + " ORDER BY id", args)
    ]


def missing_seq_nos(conn: sqlite3.Connection, station: str, transaction_id: str) -> list[int]:
    """seqNos between the first and last received that never arrived (part 2 E §1.3.2)."""
    seqs = sorted(e.seq_no for e in tx_events(conn, station, transaction_id))
    if not seqs:
        return []
    have = set(seqs)
    return [n for n in range(seqs[0], seqs[-1] + 1) if n not in have]


def meter_values(
    conn: sqlite3.Connection,
    station: str,
    *,
    transaction_id: str | None = None,
    evse_id: int | None = None,
) -> list[MeterValue201Row]:
    ensure_tables(conn)
    sql = (
        "SELECT station, evse_id, transaction_id, timestamp, measurand, phase, unit, context,"
        " location, value, signed, origin FROM csms201_meter_values WHERE station = ?"
    )
    args: tuple[Any, ...] = (station,)
    if transaction_id is not None:
        sql += " AND transaction_id = ?"
        args += (transaction_id,)
    if evse_id is not None:
        sql += " AND evse_id = ?"
        args += (evse_id,)
    return [
        MeterValue201Row(*(*r[:10], bool(r[10]), r[11]))
        for r in conn.execute(sql + " ORDER BY id", args)
    ]


def signed_values(
    conn: sqlite3.Connection,
    station: str,
    *,
    transaction_id: str | None = None,
    verdict: str | None = None,
) -> list[SignedValueRow]:
    """Received signedMeterValues with their verdicts, in arrival order."""
    ensure_tables(conn)
    sql = (
        "SELECT station, evse_id, transaction_id, timestamp, context, value, verdict, detail,"
        " pagination, key_sent, origin, signed_meter_value FROM csms201_signed_values"
        " WHERE station = ?"
    )
    args: tuple[Any, ...] = (station,)
    if transaction_id is not None:
        sql += " AND transaction_id = ?"
        args += (transaction_id,)
    if verdict is not None:
        sql += " AND verdict = ?"
        args += (verdict,)
    return [
        SignedValueRow(*(*r[:9], bool(r[9]), r[10], json.loads(r[11])))
        for r in conn.execute(sql + " ORDER BY id", args)
    ]


def meter_key(conn: sqlite3.Connection, station: str, evse_id: int) -> str | None:
    """The publicKey value known for the meter of ``station``'s EVSE ``evse_id``."""
    ensure_tables(conn)
    return _known_key(conn, station, evse_id)


def register_meter_key(
    conn: sqlite3.Connection, station: str, evse_id: int, public_key: str
) -> None:
    """Record the meter's publicKey value (note §3.2.2), e.g. as published for the EVSE."""
    ensure_tables(conn)
    _store_key(conn, station, evse_id, public_key)


# ensure_tables runs executescript, which commits: the helpers below run inside the
# handlers' transactions and so must not call it.
def _known_key(conn: sqlite3.Connection, station: str, evse_id: int) -> str | None:
    row = conn.execute(
        "SELECT public_key FROM csms201_meter_keys WHERE station = ? AND evse_id = ?",
        (station, evse_id),
    ).fetchone()
    return row[0] if row else None


def _store_key(conn: sqlite3.Connection, station: str, evse_id: int, public_key: str) -> None:
    conn.execute(
        "INSERT INTO csms201_meter_keys (station, evse_id, public_key) VALUES (?, ?, ?)"
        " ON CONFLICT(station, evse_id) DO UPDATE SET public_key = excluded.public_key",
        (station, evse_id, public_key),
    )
