"""Helpers for the 2.0.1 smart-charging end-to-end tests: profiles and readings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.ocpp.v201.charge_point import ChargePoint201


def profile201(
    pid: int,
    purpose: str = "TxDefaultProfile",
    limits: list[tuple[int, float]] | None = None,
    *,
    level: int = 0,
    kind: str = "Relative",
    unit: str = "A",
    schedule_id: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A 2.0.1 ChargingProfileType; schedule fields (startSchedule, duration...) go in extra."""
    schedule: dict[str, Any] = {
        "id": schedule_id,
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [
            {"startPeriod": start, "limit": limit} for start, limit in (limits or [(0, 6.0)])
        ],
    }
    for key in ("startSchedule", "duration", "minChargingRate"):
        if key in extra:
            schedule[key] = extra.pop(key)
    if "phases" in extra:
        for period, phases in zip(
            schedule["chargingSchedulePeriod"], extra.pop("phases"), strict=True
        ):
            period["numberPhases"] = phases
    return {
        "id": pid,
        "stackLevel": level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": [schedule],
        **extra,
    }


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def now_iso(cp: ChargePoint201) -> str:
    return iso(cp.clock.now().replace(microsecond=0))


def amps_drawn(cp: ChargePoint201, evse_id: int = 1) -> float:
    """The highest phase current the simulated EV draws now."""
    return max(cp.station.connector(evse_id).meter.current_a, default=0.0)
