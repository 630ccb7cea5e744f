"""Which frames came from the station, and which OCPP version they speak.

A bench station's log (``run --db``) records from the station's side: ``tx``
left the station. A log written by someone else (the proxy between a real
charger and its CSMS) may record from another side, and may hold each frame
twice, once per leg (the proxy marks each record's ``leg``: "charger" or
"csms"). Both are turned into the station's view here: a proxy's charger leg
is what the charger itself sent and received, and which side a log was written
from is read off the frames: actions that only a charge point ever sends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bench.kernel.frames import FrameRecord

# Requests only a charging station sends (1.6 §4 and 2.0.1 part 2): whoever logged a
# CALL of one of these as "tx" logged from the station's side.
STATION_ONLY = frozenset(
    {
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "Authorize",
        "MeterValues",
        "StartTransaction",
        "StopTransaction",
        "TransactionEvent",
        "NotifyReport",
    }
)
# Actions that exist in one version only: the frames name their version.
_ONLY_16 = frozenset({"StartTransaction", "StopTransaction", "ChangeConfiguration"})
_ONLY_201 = frozenset({"TransactionEvent", "NotifyReport", "SetVariables", "GetVariables"})


def station_view(frames: Sequence[FrameRecord]) -> list[FrameRecord]:
    """``frames`` as the station saw them: ``tx`` from the station, each frame once."""
    if any(getattr(rec, "leg", None) is not None for rec in frames):
        frames = [rec for rec in frames if getattr(rec, "leg", None) in (None, "charger")]
    votes = 0
    for rec in frames:
        if rec.type == "CALL" and rec.action in STATION_ONLY:
            votes += 1 if rec.direction == "tx" else -1
    flip = votes < 0
    seen: set[tuple[str | None, str, str]] = set()
    out: list[FrameRecord] = []
    for rec in frames:
        direction = {"tx": "rx", "rx": "tx"}.get(rec.direction, rec.direction) if flip else None
        if direction is not None:
            rec = dataclasses.replace(rec, direction=direction)
        key = (rec.id, rec.type, rec.direction)
        if rec.id is not None and key in seen:
            continue  # the same frame on the proxy's second leg
        seen.add(key)
        out.append(rec)
    return out


def infer_version(frames: Sequence[FrameRecord]) -> str | None:
    """ "1.6" or "2.0.1" from the frames' actions and boot payload; None when they don't say."""
    for rec in frames:
        if rec.action in _ONLY_16:
            return "1.6"
        if rec.action in _ONLY_201:
            return "2.0.1"
        if rec.type == "CALL" and rec.action == "BootNotification":
            payload = rec.payload if isinstance(rec.payload, dict) else {}
            if "chargingStation" in payload:
                return "2.0.1"
            if "chargePointVendor" in payload:
                return "1.6"
    return None
