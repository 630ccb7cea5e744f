"""The meter trace of a session, read from the frames that carry meter values.

One sample per sampled value, in time order:
``{"ts", "place", "transaction", "measurand", "phase", "unit", "value", "context"}``
where ``place`` is the 1.6 connectorId or the 2.0.1 EVSE id. Sources: 1.6
MeterValues, StartTransaction (meterStart, Wh), StopTransaction (meterStop and
transactionData); 2.0.1 MeterValues and TransactionEvent. The frames are the
authority: a bench database keeps no separate meter history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bench.kernel.frames import FrameRecord

ENERGY = (
    "Energy.Active.Import.Register"  # the default measurand (1.6 §7.31, 2.0.1 SampledValueType)
)

Sample = dict[str, Any]


def meter_trace(frames: Iterable[FrameRecord]) -> list[Sample]:
    """Samples from the station's own CALLs (``tx`` in the station's view).

    A 1.6 StopTransaction names only its transaction: its samples are placed on
    the connector whose StartTransaction the CSMS gave that transaction id.
    """
    frames = list(frames)
    replies = {
        rec.id: rec.payload
        for rec in frames
        if rec.direction == "rx" and rec.type == "CALLRESULT" and isinstance(rec.payload, dict)
    }
    places: dict[Any, Any] = {}  # 1.6 transactionId -> connectorId
    out: list[Sample] = []
    for rec in frames:
        if rec.direction != "tx" or rec.type != "CALL" or not isinstance(rec.payload, dict):
            continue
        p = rec.payload
        if rec.action == "MeterValues":
            place = p.get("connectorId", p.get("evseId"))
            out += _values(p.get("meterValue"), place, p.get("transactionId"))
        elif rec.action == "StartTransaction":
            place, tx = p.get("connectorId"), replies.get(rec.id, {}).get("transactionId")
            places[tx] = place
            out.append(
                _energy(p.get("timestamp"), place, tx, p.get("meterStart"), "Transaction.Begin")
            )
        elif rec.action == "StopTransaction":
            tx = p.get("transactionId")
            place = places.get(tx)
            out += _values(p.get("transactionData"), place, tx)
            out.append(
                _energy(p.get("timestamp"), place, tx, p.get("meterStop"), "Transaction.End")
            )
        elif rec.action == "TransactionEvent":
            evse = _object(p.get("evse"))
            info = _object(p.get("transactionInfo"))
            out += _values(p.get("meterValue"), evse.get("id"), info.get("transactionId"))
    # A time series: in time order (a StopTransaction's transactionData repeats samples
    # sent earlier, 1.6 §4.10), samples with a time the peer garbled last.
    kept = [s for s in out if s["value"] is not None]
    return sorted(kept, key=_when)


def _when(sample: Sample) -> tuple[int, float]:
    try:
        return (0, datetime.fromisoformat(str(sample["ts"])).timestamp())
    except ValueError:
        return (1, 0.0)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _energy(ts: Any, place: Any, tx: Any, wh: Any, context: str) -> Sample:
    return {
        "ts": ts,
        "place": place,
        "transaction": tx,
        "measurand": ENERGY,
        "phase": None,
        "unit": "Wh",
        "value": _number(wh),
        "context": context,
    }


def _values(meter_values: Any, place: Any, tx: Any) -> list[Sample]:
    out: list[Sample] = []
    if not isinstance(meter_values, list):
        return out
    for mv in meter_values:
        if not isinstance(mv, dict) or not isinstance(mv.get("sampledValue"), list):
            continue
        for sv in mv["sampledValue"]:
            if not isinstance(sv, dict):
                continue
            unit = sv.get("unit")
            scale = 1.0
            if unit is None and isinstance(sv.get("unitOfMeasure"), dict):
                # 2.0.1 UnitOfMeasureType: the value is in unit x 10^multiplier.
                unit = sv["unitOfMeasure"].get("unit")
                multiplier = sv["unitOfMeasure"].get("multiplier", 0)
                if isinstance(multiplier, int) and not isinstance(multiplier, bool):
                    scale = 10.0**multiplier
            measurand = sv.get("measurand", ENERGY)
            value = _number(sv.get("value"))
            out.append(
                {
                    "ts": mv.get("timestamp"),
                    "place": place,
                    "transaction": tx,
                    "measurand": measurand,
                    "phase": sv.get("phase"),
                    "unit": unit or ("Wh" if measurand == ENERGY else None),
                    "value": None if value is None else value * scale,
                    "context": sv.get("context"),
                }
            )
    return out


def _number(value: Any) -> float | None:
    # 1.6 sends values as text, 2.0.1 as numbers; a value that is neither is left out.
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
