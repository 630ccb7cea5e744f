"""Charging profiles as plain values (1.6 §7.8–§7.14; version-neutral).

A ``Profile`` holds what the engine needs and nothing protocol-specific:
purposes are the neutral ``STATION_MAX``, ``TX_DEFAULT`` and ``TX`` (1.6 calls
the first ``ChargePointMaxProfile``, 2.0.1 ``ChargingStationMaxProfile``); each
protocol package parses its own JSON shape into these values. Parsing checks
the structural rules every version shares and raises ``ProfileError`` with a
reason a log can show; limits a station sets through its configuration
(stack levels, periods, units) are the protocol package's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

STATION_MAX, TX_DEFAULT, TX = "StationMax", "TxDefault", "Tx"
# 2.0.1 only: a limit an external system (EMS, DSO) set, ChargingStationExternalConstraints.
EXTERNAL = "External"
ABSOLUTE, RECURRING, RELATIVE = "Absolute", "Recurring", "Relative"
DAILY, WEEKLY = "Daily", "Weekly"
UNITS = ("A", "W")

# 1.6 names of the purposes, both ways.
PURPOSE_16 = {
    "ChargePointMaxProfile": STATION_MAX,
    "TxDefaultProfile": TX_DEFAULT,
    "TxProfile": TX,
}
PURPOSE_16_NAME = {v: k for k, v in PURPOSE_16.items()}


class ProfileError(ValueError):
    """A profile the engine cannot install; the message says why."""


@dataclass(frozen=True, slots=True)
class Period:
    start: int  # seconds from the start of the schedule
    limit: float  # in the schedule's unit
    phases: int | None = None  # numberPhases; None: the spec's default (3, capped by the supply)


@dataclass(frozen=True, slots=True)
class Schedule:
    unit: str  # "A" (per phase) | "W" (total)
    periods: tuple[Period, ...]  # sorted by start, the first at 0
    start: datetime | None = None  # startSchedule
    duration: int | None = None  # seconds; None: the last period runs on
    min_rate: float | None = None  # minChargingRate, in ``unit``


@dataclass(frozen=True, slots=True)
class Profile:
    id: int
    stack_level: int
    purpose: str  # STATION_MAX | TX_DEFAULT | TX
    kind: str  # ABSOLUTE | RECURRING | RELATIVE
    schedule: Schedule
    recurrency: str | None = None  # DAILY | WEEKLY for RECURRING
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: int | None = None

    @property
    def phase_counts(self) -> set[int | None]:
        return {p.phases for p in self.schedule.periods}


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 instant (1.6 §3.15: fractions and offsets allowed), as aware UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ProfileError(f"{text!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # 1.6 §3.14 recommends UTC
    return value.astimezone(UTC)


def parse_schedule(data: dict[str, Any]) -> Schedule:
    """A 1.6 ``ChargingSchedule`` (§7.13) as a ``Schedule``."""
    unit = data.get("chargingRateUnit")
    if unit not in UNITS:
        raise ProfileError(f"chargingRateUnit {unit!r} is not A or W")
    raw_periods = data.get("chargingSchedulePeriod") or []
    if not raw_periods:
        raise ProfileError("a schedule needs at least one chargingSchedulePeriod")
    periods: list[Period] = []
    for item in raw_periods:
        start = int(item["startPeriod"])
        limit = float(item["limit"])
        phases = item.get("numberPhases")
        if start < 0:
            raise ProfileError(f"startPeriod {start} is negative")
        if limit < 0 or limit != limit:
            raise ProfileError(f"limit {limit} is negative")
        if phases is not None and not 1 <= int(phases) <= 3:
            raise ProfileError(f"numberPhases {phases} is not 1, 2 or 3")
        periods.append(Period(start, limit, int(phases) if phases is not None else None))
    periods.sort(key=lambda p: p.start)
    if periods[0].start != 0:
        # 1.6 errata 3.45/3.70: the first period SHALL start at 0.
        raise ProfileError("the first chargingSchedulePeriod must have startPeriod 0")
    if len({p.start for p in periods}) != len(periods):
        raise ProfileError("two periods share a startPeriod")
    duration = data.get("duration")
    if duration is not None and int(duration) < 0:
        raise ProfileError(f"duration {duration} is negative")
    min_rate = data.get("minChargingRate")
    if min_rate is not None and float(min_rate) < 0:
        raise ProfileError(f"minChargingRate {min_rate} is negative")
    return Schedule(
        unit=unit,
        periods=tuple(periods),
        start=parse_time(data.get("startSchedule")),
        duration=int(duration) if duration is not None else None,
        min_rate=float(min_rate) if min_rate is not None else None,
    )


def parse_profile_16(data: dict[str, Any]) -> Profile:
    """A 1.6 ``ChargingProfile`` (§7.8) as a ``Profile``; ``ProfileError`` when malformed."""
    purpose = PURPOSE_16.get(data.get("chargingProfilePurpose", ""))
    if purpose is None:
        raise ProfileError(f"unknown chargingProfilePurpose {data.get('chargingProfilePurpose')!r}")
    kind = data.get("chargingProfileKind")
    if kind not in (ABSOLUTE, RECURRING, RELATIVE):
        raise ProfileError(f"unknown chargingProfileKind {kind!r}")
    recurrency = data.get("recurrencyKind")
    if kind == RECURRING and recurrency not in (DAILY, WEEKLY):
        raise ProfileError("a Recurring profile needs recurrencyKind Daily or Weekly")
    if kind != RECURRING and recurrency is not None:
        # 1.6 errata 3.56: recurrencyKind SHALL only be used with Recurring.
        raise ProfileError("recurrencyKind is only allowed on a Recurring profile")
    stack_level = int(data["stackLevel"])
    if stack_level < 0:
        raise ProfileError(f"stackLevel {stack_level} is negative")
    transaction_id = data.get("transactionId")
    if transaction_id is not None and purpose != TX:
        raise ProfileError("transactionId is only valid on a TxProfile (1.6 §7.8)")
    profile = Profile(
        id=int(data["chargingProfileId"]),
        stack_level=stack_level,
        purpose=purpose,
        kind=kind,
        schedule=parse_schedule(data["chargingSchedule"]),
        recurrency=recurrency,
        valid_from=parse_time(data.get("validFrom")),
        valid_to=parse_time(data.get("validTo")),
        transaction_id=int(transaction_id) if transaction_id is not None else None,
    )
    if profile.valid_from and profile.valid_to and profile.valid_to <= profile.valid_from:
        raise ProfileError("validTo is not after validFrom")
    return profile
