"""Charging profiles as plain values (1.6 §7.8–§7.14; version-neutral).

A ``Profile`` holds what the engine needs and nothing protocol-specific:
purposes are the neutral ``STATION_MAX``, ``TX_DEFAULT`` and ``TX`` (1.6 calls
the first ``ChargePointMaxProfile``, 2.0.1 ``ChargingStationMaxProfile``); each
protocol package (``bench.ocpp.v16``, ``bench.ocpp.v201``) parses its own JSON
shape into these values; nothing here reads OCPP JSON. ``make_schedule`` checks
the structural rules every version shares and raises ``ProfileError`` with a
reason a log can show; limits a station sets through its configuration
(stack levels, periods, units) are the protocol package's business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

STATION_MAX, TX_DEFAULT, TX = "StationMax", "TxDefault", "Tx"
# 2.0.1 only: a limit an external system (EMS, DSO) set, ChargingStationExternalConstraints.
EXTERNAL = "External"
ABSOLUTE, RECURRING, RELATIVE = "Absolute", "Recurring", "Relative"
DAILY, WEEKLY = "Daily", "Weekly"
UNITS = ("A", "W")


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


def make_schedule(
    unit: str | None,
    periods: Iterable[Period],
    start: datetime | None = None,
    duration: int | None = None,
    min_rate: float | None = None,
) -> Schedule:
    """A ``Schedule`` from values a protocol package read, checked against the rules every
    version shares (1.6 §7.13, errata 3.45/3.70; 2.0.1 K01.FR.31/35); ``ProfileError``
    says which one a schedule breaks."""
    if unit not in UNITS:
        raise ProfileError(f"chargingRateUnit {unit!r} is not A or W")
    ordered: list[Period] = []
    for period in periods:
        if period.start < 0:
            raise ProfileError(f"startPeriod {period.start} is negative")
        if period.limit < 0 or period.limit != period.limit:
            raise ProfileError(f"limit {period.limit} is negative")
        if period.phases is not None and not 1 <= period.phases <= 3:
            raise ProfileError(f"numberPhases {period.phases} is not 1, 2 or 3")
        ordered.append(period)
    if not ordered:
        raise ProfileError("a schedule needs at least one chargingSchedulePeriod")
    ordered.sort(key=lambda p: p.start)
    if ordered[0].start != 0:
        # 1.6 errata 3.45/3.70, K01.FR.31: the first period SHALL start at 0.
        raise ProfileError("the first chargingSchedulePeriod must have startPeriod 0")
    if len({p.start for p in ordered}) != len(ordered):
        raise ProfileError("two periods share a startPeriod")
    if duration is not None and duration < 0:
        raise ProfileError(f"duration {duration} is negative")
    if min_rate is not None and min_rate < 0:
        raise ProfileError(f"minChargingRate {min_rate} is negative")
    return Schedule(unit, tuple(ordered), start, duration, min_rate)
