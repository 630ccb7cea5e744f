"""What a bundle's viewer shows besides the log: connector states and graph rows.

Read from the frames alone (both versions), so a bundle recorded through the
proxy from a real charger shows the same as one from a bench station:

- ``connector_states``: per connector (1.6) or EVSE (2.0.1), the last status the
  station reported (1.6 §6.47 StatusNotification; 2.0.1 G01 connectorStatus), its
  error code, the last transaction with its id token, charging state (2.0.1
  E01-E03) and whether it ended, and the session energy from the meter trace.
- ``meter_rows``: the meter trace as one row per place and time: power, phase
  currents, voltage, register and session energy, state of charge, offered power.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.bundle.meter import ENERGY, Sample, meter_trace
from bench.kernel.frames import FrameRecord


@dataclass(slots=True)
class ConnectorState:
    place: int  # the 1.6 connectorId or the 2.0.1 EVSE id
    status: str = "Unknown"
    error_code: str | None = None  # 1.6 errorCode
    transaction: str | None = None
    tag: str | None = None
    charging_state: str | None = None  # 2.0.1 transactionInfo.chargingState
    last_event: str | None = None  # 2.0.1 "Updated (MeterValuePeriodic)"
    ended: bool = False  # the last transaction was stopped within the recording
    session_kwh: float | None = None
    power_kw: float | None = None


@dataclass(frozen=True, slots=True)
class MeterRow:
    t: float  # epoch seconds (the station's clock as it dated the values)
    power_kw: float
    limit_kw: float  # Power.Offered, where the station sent it
    currents: tuple[float, float, float]
    voltage_v: float
    session_kwh: float
    energy_kwh: float
    soc: float


def connector_states(frames: Sequence[FrameRecord]) -> list[ConnectorState]:
    states: dict[int, ConnectorState] = {}
    replies = {
        rec.id: rec.payload
        for rec in frames
        if rec.direction == "rx" and rec.type == "CALLRESULT" and isinstance(rec.payload, dict)
    }

    def at(place: Any) -> ConnectorState | None:
        if not isinstance(place, int) or isinstance(place, bool) or place <= 0:
            return None  # connector 0 / no EVSE: the station as a whole
        return states.setdefault(place, ConnectorState(place))

    places: dict[Any, int] = {}  # transaction id -> place
    for rec in frames:
        if rec.direction != "tx" or rec.type != "CALL" or not isinstance(rec.payload, dict):
            continue
        p = rec.payload
        if rec.action == "StatusNotification":
            state = at(p.get("evseId", p.get("connectorId")))
            if state is not None:
                state.status = str(p.get("connectorStatus", p.get("status", state.status)))
                state.error_code = p.get("errorCode", state.error_code)
        elif rec.action == "StartTransaction":
            state = at(p.get("connectorId"))
            tx = replies.get(rec.id, {}).get("transactionId")
            if state is not None:
                state.transaction = None if tx is None else str(tx)
                state.tag, state.ended = p.get("idTag"), False
                places[tx] = state.place
        elif rec.action == "StopTransaction":
            place = places.get(p.get("transactionId"))
            state = at(place)
            if state is not None:
                state.ended = True
        elif rec.action == "TransactionEvent":
            evse, info = _object(p.get("evse")), _object(p.get("transactionInfo"))
            tx = info.get("transactionId")
            state = at(evse.get("id", places.get(tx)))
            if state is None:
                continue
            places[tx] = state.place
            if state.transaction != tx:
                state.transaction, state.tag, state.ended = tx, None, False
            token = p.get("idToken")
            if isinstance(token, dict) and token.get("idToken"):
                state.tag = token["idToken"]
            state.charging_state = info.get("chargingState", state.charging_state)
            state.last_event = f"{p.get('eventType')} ({p.get('triggerReason')})"
            state.ended = p.get("eventType") == "Ended"
    rows = meter_rows(frames)
    for state in states.values():
        mine = rows.get(state.place, [])
        if mine:
            last = mine[-1]
            state.power_kw = None if math.isnan(last.power_kw) else last.power_kw
            state.session_kwh = None if math.isnan(last.session_kwh) else last.session_kwh
    return [states[place] for place in sorted(states)]


_PHASES = {"L1": 0, "L2": 1, "L3": 2, "L1-N": 0, "L2-N": 1, "L3-N": 2}


def meter_rows(frames: Sequence[FrameRecord]) -> dict[int, list[MeterRow]]:
    """The meter trace as graph rows, per place, in time order."""
    grouped: dict[tuple[int, float], dict[str, Any]] = {}
    for sample in meter_trace(frames):
        place, t = sample["place"], _epoch(sample["ts"])
        if not isinstance(place, int) or t is None:
            continue
        row = grouped.setdefault((place, t), {"transaction": sample["transaction"]})
        _put(row, sample)
    out: dict[int, list[MeterRow]] = {}
    starts: dict[Any, float] = {}  # transaction -> register at its first sample (kWh)
    held: dict[int, dict[str, Any]] = {}
    for (place, t), row in sorted(grouped.items()):
        # A value holds until the next one (sample and hold): a row with the register
        # only (a transaction's begin or end) keeps the power, currents and SoC before it.
        before = held.setdefault(place, {})
        for name in ("power", "offered", "i0", "i1", "i2", "voltage", "soc"):
            if name in row:
                before[name] = row[name]
            elif name in before:
                row[name] = before[name]
        energy = row.get("energy", math.nan)
        tx = row.get("transaction")
        if tx is not None and not math.isnan(energy):
            starts.setdefault(tx, energy)
        session = energy - starts[tx] if tx in starts and not math.isnan(energy) else math.nan
        out.setdefault(place, []).append(
            MeterRow(
                t=t,
                power_kw=row.get("power", math.nan),
                limit_kw=row.get("offered", math.nan),
                currents=(
                    row.get("i0", math.nan),
                    row.get("i1", math.nan),
                    row.get("i2", math.nan),
                ),
                voltage_v=row.get("voltage", math.nan),
                session_kwh=session,
                energy_kwh=energy,
                soc=row.get("soc", math.nan),
            )
        )
    return out


def _put(row: dict[str, Any], sample: Sample) -> None:
    measurand, unit, value = sample["measurand"], sample["unit"] or "", sample["value"]
    kilo = 1.0 if unit.startswith("k") else 1e-3  # kW, kWh as they are; W, Wh to kilo
    if measurand == ENERGY:
        row["energy"] = value * kilo
    elif measurand == "Power.Active.Import" and sample["phase"] is None:
        row["power"] = value * kilo
    elif measurand == "Power.Offered":
        row["offered"] = value * kilo
    elif measurand == "Current.Import":
        row[f"i{_PHASES.get(sample['phase'] or 'L1', 0)}"] = value
    elif measurand == "Voltage" and "voltage" not in row:
        row["voltage"] = value
    elif measurand == "SoC":
        row["soc"] = value


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _epoch(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None
