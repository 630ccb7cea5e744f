"""Stacking, combining and sharing limits (1.6 §3.13.2, §3.13.3, §5.7; version-neutral).

- A ``Layer`` holds the candidate profiles of one purpose group, best first:
  at each instant the first candidate whose schedule imposes a period wins
  (the highest stackLevel among the valid ones, §3.13.2); when none does, the
  layer imposes nothing. Callers rank TxProfiles above TxDefaultProfiles in a
  single layer; a candidate that ``overrules`` (a 1.6 TxProfile) shuts out the
  ones below it that do not for as long as it is valid, schedule or not.
- ``lowest`` combines layers: the composite is the minimum (§3.13.3). All
  comparisons are in amps per phase; a limit remembers the phases it applies to
  so it converts back to watts unchanged.
- ``composite`` turns an evaluation function and the instants at which it may
  change into the fewest periods that describe it (§5.7).
- ``share`` splits a station-wide current among connectors (water-filling).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench.smart.profiles import Profile
from bench.smart.schedule import changes, period_at, valid_at
from bench.smart.units import Supply, to_amps

_EPS = 1e-9


class ProfileSource(str):
    """Who imposes a limit: the text people read (``TxProfile #12 level 1, shared by 2``)
    that also carries the deciding profile as data, so no caller parses the text.

    A ``str`` so the engine, the model (``Connector.limit_source``) and the views keep
    treating a source as text; the fields are for the charge point API.
    """

    profile_id: int
    purpose: str  # the version's purpose name (TxProfile, ChargingStationMaxProfile...)
    stack_level: int
    shared_by: int | None  # a station-wide limit split between this many connectors

    def __new__(
        cls,
        text: str,
        *,
        profile_id: int,
        purpose: str,
        stack_level: int,
        shared_by: int | None = None,
    ) -> ProfileSource:
        self = super().__new__(cls, text)
        self.profile_id = profile_id
        self.purpose = purpose
        self.stack_level = stack_level
        self.shared_by = shared_by
        return self

    @classmethod
    def of(cls, profile: Profile, purpose: str) -> ProfileSource:
        """``<purpose> #<id> level <stackLevel>`` for ``profile``, named the version's way."""
        return cls(
            f"{purpose} #{profile.id} level {profile.stack_level}",
            profile_id=profile.id,
            purpose=purpose,
            stack_level=profile.stack_level,
        )

    def shared(self, count: int) -> ProfileSource:
        """The same profile's limit split between ``count`` connectors."""
        return ProfileSource(
            f"{self}, shared by {count}",
            profile_id=self.profile_id,
            purpose=self.purpose,
            stack_level=self.stack_level,
            shared_by=count,
        )


@dataclass(frozen=True, slots=True)
class Limit:
    amps: float  # per phase
    lines: int  # phases it applies to (for converting back to W)
    source: str  # who imposes it, e.g. "TxProfile #12 level 1"
    min_amps: float | None = None  # the schedule's minChargingRate, in amps


@dataclass(frozen=True, slots=True)
class Candidate:
    profile: Profile
    anchor: datetime | None  # where Relative (and start-less Absolute) schedules start
    label: str
    # While this candidate is valid it overrules the candidates below that do not
    # (1.6 §3.13.2: a TxProfile overrules the TxDefaultProfile for the transaction),
    # even where its own schedule imposes nothing.
    overrules: bool = False


class Layer:
    """Candidates of one purpose group, highest precedence first."""

    __slots__ = ("candidates", "supply")

    def __init__(self, candidates: Sequence[Candidate], supply: Supply) -> None:
        self.candidates = tuple(candidates)
        self.supply = supply

    def __bool__(self) -> bool:
        return bool(self.candidates)

    def at(self, t: datetime) -> Limit | None:
        overruled = False
        for candidate in self.candidates:
            if overruled and not candidate.overrules:
                continue
            period = period_at(candidate.profile, t, candidate.anchor)
            if period is None:
                overruled = overruled or (candidate.overrules and valid_at(candidate.profile, t))
                continue
            schedule = candidate.profile.schedule
            amps = to_amps(period.limit, schedule.unit, self.supply, period.phases)
            min_amps = None
            if schedule.min_rate is not None:
                min_amps = to_amps(schedule.min_rate, schedule.unit, self.supply, period.phases)
            return Limit(amps, self.supply.lines(period.phases), candidate.label, min_amps)
        return None

    def changes(self, after: datetime, until: datetime) -> set[datetime]:
        points: set[datetime] = set()
        for candidate in self.candidates:
            points.update(changes(candidate.profile, after, until, candidate.anchor))
        return points


def lowest(limits: Iterable[Limit | None]) -> Limit | None:
    """The strictest of ``limits`` (None entries impose nothing)."""
    best: Limit | None = None
    for limit in limits:
        if limit is not None and (best is None or limit.amps < best.amps - _EPS):
            best = limit
    return best


def composite(
    evaluate: Callable[[datetime], Limit],
    points: Iterable[datetime],
    start: datetime,
    duration: float,
) -> list[tuple[float, Limit]]:
    """Minimal periods ``(offset seconds, limit)`` of ``evaluate`` over [start, start+duration).

    ``points`` are the instants where ``evaluate`` may change; adjacent periods
    with the same current and phases are merged.
    """
    end = start + timedelta(seconds=duration)
    instants = sorted({start, *(p for p in points if start < p < end)})
    periods: list[tuple[float, Limit]] = []
    for t in instants:
        limit = evaluate(t)
        if periods:
            previous = periods[-1][1]
            if abs(previous.amps - limit.amps) <= _EPS and previous.lines == limit.lines:
                continue
        periods.append(((t - start).total_seconds(), limit))
    return periods


def share(
    total: float, caps: Mapping[Hashable, float], minimums: Mapping[Hashable, float] | None = None
) -> dict[Hashable, float]:
    """Split ``total`` amps among connectors, each at most its cap (water-filling).

    Every connector gets an equal share of what is left, but never more than
    its own cap; what a capped connector cannot use goes to the others. A
    connector whose share would stay below its minimum (minChargingRate: charging
    below it is inefficient, 1.6 §3.13.4) gets nothing and leaves its share to
    the others, the most recently listed first. The shares never add up to more
    than ``total``.
    """
    minimums = minimums or {}
    active = list(caps)
    for _ in range(len(caps) + 1):
        result = _fill(total, {k: caps[k] for k in active})
        starved = [k for k in active if result[k] + _EPS < minimums.get(k, 0.0)]
        if not starved:
            return {k: result.get(k, 0.0) for k in caps}
        active.remove(starved[-1])
    return dict.fromkeys(caps, 0.0)


def _fill(total: float, caps: Mapping[Hashable, float]) -> dict[Hashable, float]:
    result: dict[Hashable, float] = {}
    left = max(0.0, total)
    pending = sorted(caps, key=lambda k: caps[k])
    while pending:
        fair = left / len(pending)
        key = pending[0]
        if caps[key] <= fair:
            result[key] = max(0.0, caps[key])
            left -= result[key]
            pending.pop(0)
            continue
        for key in pending:
            result[key] = fair
        break
    return result
