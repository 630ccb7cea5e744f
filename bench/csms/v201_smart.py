"""Smart charging (block K) on the CSMS side: what the station tells us about limits and EVs.

Every message is kept in its own table so a test or the GUI can ask what the station
reported:

- ReportChargingProfiles (K09): one row per part; ``charging_profile_report`` assembles
  the parts of one requestId (complete once a part arrives without ``tbc``, K09.FR.02).
- NotifyChargingLimit (K11/K12) and ClearedChargingLimit (K13): ``charging_limits`` is
  the history, newest last; ``external_limit`` what is in force per EVSE and source.
- NotifyEVChargingNeeds (K15/K17): answered with this CSMS's policy for the station
  (``set_ev_charging_needs_answer``, default Accepted: the operator, a test or the
  console, then sends the TxProfile, K15.FR.07/08).
- NotifyEVChargingSchedule (K15.FR.11/12): Accepted when the EV's schedule stays within
  the last TxProfile sent to that EVSE (``remember_sent_profile``), Rejected otherwise.

Replies carry no data the station could misread: the 2.0.1 responses of K09, K11-K13
are empty.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bench.csms.context import StationContext
from bench.ocpp.common.smart import profile_time
from bench.ocpp.session import Handler

SCHEMA = """
CREATE TABLE IF NOT EXISTS csms_smart_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station TEXT NOT NULL,
    received TEXT NOT NULL,
    action TEXT NOT NULL,
    evse_id INTEGER,
    request_id INTEGER,
    payload TEXT NOT NULL,
    answer TEXT
);
CREATE INDEX IF NOT EXISTS csms_smart_messages_station
    ON csms_smart_messages (station, action);
CREATE TABLE IF NOT EXISTS csms_smart_settings (
    station TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (station, name)
);
"""
NEEDS_ANSWERS = ("Accepted", "Rejected", "Processing")
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class SmartMessage:
    station: str
    received: str
    action: str
    evse_id: int | None
    payload: dict[str, Any]
    answer: str | None


def _ensure(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def _record(
    conn: sqlite3.Connection,
    station: str,
    received: str,
    action: str,
    payload: dict[str, Any],
    answer: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO csms_smart_messages"
        " (station, received, action, evse_id, request_id, payload, answer)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            station,
            received,
            action,
            payload.get("evseId"),
            payload.get("requestId"),
            json.dumps(payload),
            answer,
        ),
    )


def messages(
    conn: sqlite3.Connection, station: str, action: str | None = None
) -> list[SmartMessage]:
    """The smart-charging messages ``station`` sent, oldest first (``action`` filters)."""
    _ensure(conn)
    sql = (
        "SELECT station, received, action, evse_id, payload, answer FROM csms_smart_messages"
        " WHERE station = ?"
    )
    args: tuple[Any, ...] = (station,)
    if action is not None:
        sql += " AND action = ?"
        args += (action,)
    return [
        SmartMessage(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5])
        for r in conn.execute(sql + " ORDER BY id", args)
    ]


def charging_profile_report(
    conn: sqlite3.Connection, station: str, request_id: int
) -> list[dict[str, Any]] | None:
    """Every ChargingProfileType reported for ``request_id`` with its evseId and source.

    None until the last part (tbc false) has arrived (K09.FR.02).
    """
    parts = [
        m.payload
        for m in messages(conn, station, "ReportChargingProfiles")
        if m.payload["requestId"] == request_id
    ]
    if not parts or parts[-1].get("tbc", False):
        return None
    return [
        {
            "evseId": part["evseId"],
            "chargingLimitSource": part["chargingLimitSource"],
            "chargingProfile": profile,
        }
        for part in parts
        for profile in part["chargingProfile"]
    ]


def charging_limits(conn: sqlite3.Connection, station: str) -> list[SmartMessage]:
    """NotifyChargingLimit and ClearedChargingLimit from ``station``, oldest first."""
    return [
        m
        for m in messages(conn, station)
        if m.action in ("NotifyChargingLimit", "ClearedChargingLimit")
    ]


def external_limit(
    conn: sqlite3.Connection, station: str, evse_id: int | None = None
) -> dict[str, dict[str, Any]]:
    """The external limits in force on ``evse_id`` (None: the station), by chargingLimitSource."""
    current: dict[str, dict[str, Any]] = {}
    for m in charging_limits(conn, station):
        if m.payload.get("evseId") != evse_id:
            continue
        if m.action == "NotifyChargingLimit":
            current[m.payload["chargingLimit"]["chargingLimitSource"]] = m.payload
        else:
            current.pop(m.payload["chargingLimitSource"], None)
    return current


def set_ev_charging_needs_answer(conn: sqlite3.Connection, station: str, status: str) -> None:
    """How this CSMS answers ``station``'s NotifyEVChargingNeeds (K15.FR.03-05)."""
    if status not in NEEDS_ANSWERS:
        raise ValueError(f"{status!r} is not one of {NEEDS_ANSWERS}")
    _set(conn, station, "ev_charging_needs_answer", status)


def remember_sent_profile(
    conn: sqlite3.Connection, station: str, evse_id: int, profile: dict[str, Any]
) -> None:
    """The TxProfile this CSMS set on ``evse_id``: the bounds of the EV's schedule (K15.FR.11)."""
    _set(conn, station, f"tx_profile:{evse_id}", json.dumps(profile))


def _set(conn: sqlite3.Connection, station: str, name: str, value: str) -> None:
    _ensure(conn)
    conn.execute(
        "INSERT INTO csms_smart_settings (station, name, value) VALUES (?, ?, ?)"
        " ON CONFLICT (station, name) DO UPDATE SET value = excluded.value",
        (station, name, value),
    )


def _get(conn: sqlite3.Connection, station: str, name: str) -> str | None:
    _ensure(conn)
    row = conn.execute(
        "SELECT value FROM csms_smart_settings WHERE station = ? AND name = ?", (station, name)
    ).fetchone()
    return row[0] if row else None


def within(ev_schedule: dict[str, Any], profile: dict[str, Any], time_base: str) -> bool:
    """Whether the EV's schedule never exceeds the CSMS schedule it chose (K15.FR.11/12).

    Compares period by period where both are in the same unit and the CSMS schedule is
    Relative or starts at the EV's time base; anything else cannot be checked here and
    passes (the station has checked it, K15.FR.09).
    """
    chosen = next(
        (s for s in profile.get("chargingSchedule", []) if s["id"] == ev_schedule["id"]),
        None,
    )
    if chosen is None or chosen["chargingRateUnit"] != ev_schedule["chargingRateUnit"]:
        return chosen is not None
    offset = 0.0
    start = chosen.get("startSchedule")
    if start is not None:
        begin, base = profile_time(start), profile_time(time_base)
        assert begin is not None and base is not None
        offset = (base - begin).total_seconds()
    limits = sorted((p["startPeriod"], float(p["limit"])) for p in chosen["chargingSchedulePeriod"])

    def allowed(at: float) -> float:
        value = float("inf")
        for begin_s, limit in limits:
            if begin_s <= at + offset:
                value = limit
        return value

    return all(
        float(p["limit"]) <= allowed(p["startPeriod"]) + _EPS
        for p in ev_schedule["chargingSchedulePeriod"]
    )


def handlers(ctx: StationContext) -> dict[str, Handler]:
    conn = ctx.store.conn
    sid = ctx.station_id
    _ensure(conn)

    async def report_charging_profiles(p: dict[str, Any]) -> dict[str, Any]:
        _record(conn, sid, ctx.now_iso(), "ReportChargingProfiles", p)  # K09
        return {}

    async def notify_charging_limit(p: dict[str, Any]) -> dict[str, Any]:
        _record(conn, sid, ctx.now_iso(), "NotifyChargingLimit", p)  # K11, K12
        return {}

    async def cleared_charging_limit(p: dict[str, Any]) -> dict[str, Any]:
        _record(conn, sid, ctx.now_iso(), "ClearedChargingLimit", p)  # K13
        return {}

    async def notify_ev_charging_needs(p: dict[str, Any]) -> dict[str, Any]:
        # K15.FR.02-05: Accepted (a schedule will come), Rejected, or Processing.
        status = _get(conn, sid, "ev_charging_needs_answer") or "Accepted"
        _record(conn, sid, ctx.now_iso(), "NotifyEVChargingNeeds", p, status)
        return {"status": status}

    async def notify_ev_charging_schedule(p: dict[str, Any]) -> dict[str, Any]:
        sent = _get(conn, sid, f"tx_profile:{p['evseId']}")
        ok = sent is None or within(p["chargingSchedule"], json.loads(sent), p["timeBase"])
        status = "Accepted" if ok else "Rejected"  # K15.FR.11 / K15.FR.12
        _record(conn, sid, ctx.now_iso(), "NotifyEVChargingSchedule", p, status)
        return {"status": status}

    return {
        "ReportChargingProfiles": report_charging_profiles,
        "NotifyChargingLimit": notify_charging_limit,
        "ClearedChargingLimit": cleared_charging_limit,
        "NotifyEVChargingNeeds": notify_ev_charging_needs,
        "NotifyEVChargingSchedule": notify_ev_charging_schedule,
    }
