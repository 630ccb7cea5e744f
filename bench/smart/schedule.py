"""The limit a charging profile sets at an instant (1.6 §3.13, §7.8–§7.13; version-neutral).

Pure functions on profile dicts in the OCPP JSON shape. Absolute schedules
start at ``startSchedule``; Relative ones at the start of the transaction;
Recurring ones repeat daily or weekly from ``startSchedule``. ``validFrom``/
``validTo`` and the schedule ``duration`` bound the profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

_RECURRENCE = {"Daily": timedelta(days=1), "Weekly": timedelta(days=7)}


@dataclass(frozen=True, slots=True)
class Limit:
    value: float
    unit: str  # "A" | "W"
    number_phases: int | None


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def schedule_start(
    profile: dict[str, Any], now: datetime, tx_start: datetime | None
) -> datetime | None:
    schedule = profile["chargingSchedule"]
    kind = profile["chargingProfileKind"]
    if kind == "Relative":
        return tx_start
    start = parse_time(schedule.get("startSchedule"))
    if kind == "Recurring" and start is not None:
        period = _RECURRENCE.get(profile.get("recurrencyKind", "Daily"), timedelta(days=1))
        if now >= start:
            start = start + ((now - start) // period) * period
    return start


def limit_at(
    profile: dict[str, Any], now: datetime, tx_start: datetime | None = None
) -> Limit | None:
    """The limit ``profile`` imposes at ``now``; None when it does not apply."""
    valid_from = parse_time(profile.get("validFrom"))
    valid_to = parse_time(profile.get("validTo"))
    if (valid_from and now < valid_from) or (valid_to and now >= valid_to):
        return None
    start = schedule_start(profile, now, tx_start)
    if start is None:
        start = tx_start or now
    offset = (now - start).total_seconds()
    if offset < 0:
        return None
    schedule = profile["chargingSchedule"]
    duration = schedule.get("duration")
    if duration is not None and offset >= duration:
        return None
    current = None
    for period in sorted(schedule["chargingSchedulePeriod"], key=lambda p: p["startPeriod"]):
        if period["startPeriod"] <= offset:
            current = period
        else:
            break
    if current is None:
        return None
    return Limit(float(current["limit"]), schedule["chargingRateUnit"], current.get("numberPhases"))


def to_amps(limit: Limit, voltage: float, phases: int) -> float:
    """Per-phase current for ``limit`` given the supply (W → A with V and phase count)."""
    if limit.unit == "A":
        return limit.value
    used_phases = limit.number_phases or phases or 1
    return limit.value / (voltage * used_phases) if voltage > 0 else 0.0
