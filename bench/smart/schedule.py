"""The period a charging profile imposes at an instant, and when that can change (1.6 §3.13).

Where a schedule starts (1.6 §7.9, §7.13):

- ``Absolute``: at ``startSchedule``; without one, relative to the start of
  charging (the ``anchor`` the caller passes: the transaction's start).
- ``Relative``: at the ``anchor`` (the start of the transaction).
- ``Recurring``: cycles of one day or one week aligned on ``startSchedule``,
  in both directions (the anchor only fixes the phase of the cycle; validFrom
  bounds when it begins to count). Without ``startSchedule`` the cycles align on
  midnight UTC (Daily) or Monday 00:00 UTC (Weekly). Periods and durations
  longer than the cycle are cut off (1.6 errata 3.43/3.44).

``validFrom`` is inclusive, ``validTo`` exclusive. After ``duration`` the
profile imposes nothing, so a lower stack level takes over (errata 3.43).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.smart.profiles import ABSOLUTE, RECURRING, RELATIVE, WEEKLY, Period, Profile

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# A Monday at midnight UTC: the phase of Weekly cycles without a startSchedule.
_WEEK_ORIGIN = datetime(1970, 1, 5, tzinfo=UTC)
_MAX_CYCLES = 10_000  # bounds the cycles one window may cross


def cycle_length(profile: Profile) -> timedelta:
    return WEEK if profile.recurrency == WEEKLY else DAY


def schedule_start(profile: Profile, t: datetime, anchor: datetime | None) -> datetime | None:
    """Start of the schedule (for Recurring: of the cycle) in force at ``t``."""
    schedule = profile.schedule
    if profile.kind == RELATIVE:
        return anchor
    if profile.kind == ABSOLUTE:
        return schedule.start or anchor
    base = schedule.start or _WEEK_ORIGIN
    cycle = cycle_length(profile)
    return base + ((t - base) // cycle) * cycle


def valid_at(profile: Profile, t: datetime) -> bool:
    if profile.valid_from is not None and t < profile.valid_from:
        return False
    return not (profile.valid_to is not None and t >= profile.valid_to)


def period_at(profile: Profile, t: datetime, anchor: datetime | None = None) -> Period | None:
    """The schedule period ``profile`` imposes at ``t``; None when it imposes nothing."""
    if not valid_at(profile, t):
        return None
    start = schedule_start(profile, t, anchor)
    if start is None:
        return None
    offset = (t - start).total_seconds()
    if offset < 0:
        return None
    schedule = profile.schedule
    if schedule.duration is not None and offset >= schedule.duration:
        return None
    current = None
    for period in schedule.periods:
        if period.start <= offset:
            current = period
        else:
            break
    return current


def changes(
    profile: Profile, after: datetime, until: datetime, anchor: datetime | None = None
) -> list[datetime]:
    """Instants in (``after``, ``until``] at which ``period_at`` may change, sorted."""
    points: set[datetime] = set()
    for edge in (profile.valid_from, profile.valid_to):
        if edge is not None:
            points.add(edge)
    if profile.kind == RECURRING:
        cycle = cycle_length(profile)
        start = schedule_start(profile, after, anchor)
        assert start is not None
        for _ in range(_MAX_CYCLES):
            if start > until:
                break
            _cycle_points(profile, start, cycle, points)
            start += cycle
    else:
        start = schedule_start(profile, after, anchor)
        if start is not None:
            _cycle_points(profile, start, None, points)
    return sorted(p for p in points if after < p <= until)


def _cycle_points(
    profile: Profile, start: datetime, cycle: timedelta | None, points: set[datetime]
) -> None:
    schedule = profile.schedule
    limit = cycle.total_seconds() if cycle is not None else None
    for period in schedule.periods:
        if limit is None or period.start < limit:
            points.add(start + timedelta(seconds=period.start))
    if schedule.duration is not None and (limit is None or schedule.duration < limit):
        points.add(start + timedelta(seconds=schedule.duration))
    if cycle is not None:
        points.add(start + cycle)


def next_change(
    profile: Profile, after: datetime, horizon: timedelta, anchor: datetime | None = None
) -> datetime | None:
    """The first instant after ``after`` (within ``horizon``) at which the profile may change."""
    found = changes(profile, after, after + horizon, anchor)
    return found[0] if found else None
