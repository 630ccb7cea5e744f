"""Property tests of the composite schedule and unit conversions (1.6 §3.13.2, §3.13.3, §7.12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.ocpp.v16.smart_profiles import parse as parse_profile_16
from bench.smart.composite import Candidate, Layer, Limit, composite, lowest
from bench.smart.schedule import period_at
from bench.smart.units import Supply, to_amps, to_watts

T0 = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # an hour before midnight
SUPPLY = Supply(230.0, 3)
HARDWARE = Limit(32.0, 3, "hardware")
MINUTE = 60


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@st.composite
def profiles(draw: st.DrawFn, level: int) -> dict[str, Any]:
    """A random 1.6 profile whose times fall on whole minutes around T0."""
    kind = draw(st.sampled_from(["Absolute", "Relative", "Recurring"]))
    starts = draw(st.sets(st.integers(1, 240), max_size=5))
    unit = draw(st.sampled_from(["A", "W"]))
    top = 64.0 if unit == "A" else 44000.0
    periods = [
        {
            "startPeriod": s * MINUTE,
            "limit": draw(st.floats(0, top, allow_nan=False).map(lambda v: round(v, 1))),
            **({"numberPhases": n} if (n := draw(st.sampled_from([None, 1, 3]))) else {}),
        }
        for s in [0, *sorted(starts)]
    ]
    schedule: dict[str, Any] = {"chargingRateUnit": unit, "chargingSchedulePeriod": periods}
    if kind != "Relative" and draw(st.booleans()):
        schedule["startSchedule"] = iso(T0 + timedelta(minutes=draw(st.integers(-600, 600))))
    if draw(st.booleans()):
        schedule["duration"] = draw(st.integers(1, 600)) * MINUTE
    profile: dict[str, Any] = {
        "chargingProfileId": level + 1,
        "stackLevel": level,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
    }
    if kind == "Recurring":
        profile["recurrencyKind"] = "Daily"
    if draw(st.booleans()):
        profile["validFrom"] = iso(T0 + timedelta(minutes=draw(st.integers(-300, 300))))
    if draw(st.booleans()):
        profile["validTo"] = iso(T0 + timedelta(minutes=draw(st.integers(301, 900))))
    return profile


@st.composite
def layers(draw: st.DrawFn) -> list[Candidate]:
    """Profiles with distinct stack levels, best first (as a station ranks them)."""
    levels = sorted(draw(st.sets(st.integers(0, 8), min_size=1, max_size=4)), reverse=True)
    anchor = T0 + timedelta(minutes=draw(st.integers(-120, 120)))
    return [Candidate(parse_profile_16(draw(profiles(lv))), anchor, f"L{lv}") for lv in levels]


def winner(candidates: list[Candidate], t: datetime) -> float | None:
    """Oracle: the highest stack level imposing a period at ``t`` (1.6 §3.13.2), in amps."""
    best: tuple[int, float] | None = None
    for c in candidates:
        period = period_at(c.profile, t, c.anchor)
        if period is None:
            continue
        amps = to_amps(period.limit, c.profile.schedule.unit, SUPPLY, period.phases)
        if best is None or c.profile.stack_level > best[0]:
            best = (c.profile.stack_level, amps)
    return None if best is None else best[1]


def value_at(periods: list[tuple[float, Limit]], offset: float) -> float:
    current = periods[0][1].amps
    for start, limit in periods:
        if start <= offset:
            current = limit.amps
    return current


@settings(max_examples=150, deadline=None)
@given(
    tx=layers(),
    station_max=layers(),
    duration=st.integers(1, 48 * 60).map(lambda m: m * MINUTE),
    probes=st.lists(st.integers(0, 48 * 3600 - 1), min_size=1, max_size=40),
)
def test_the_composite_never_exceeds_an_applicable_profile_and_equals_the_lowest_winner(
    tx: list[Candidate], station_max: list[Candidate], duration: int, probes: list[int]
) -> None:
    """1.6 §3.13.3: at every instant the composite is <= every prevailing profile, and equal
    to the strictest of them (capped by the hardware); periods are minimal (§5.7)."""
    tx_layer, max_layer = Layer(tx, SUPPLY), Layer(station_max, SUPPLY)
    end = T0 + timedelta(seconds=duration)

    def evaluate(t: datetime) -> Limit:
        found = lowest([tx_layer.at(t), max_layer.at(t), HARDWARE])
        assert found is not None
        return found

    points = tx_layer.changes(T0, end) | max_layer.changes(T0, end)
    periods = composite(evaluate, points, T0, duration)
    assert periods[0][0] == 0
    for (_, a), (_, b) in pairwise(periods):
        assert abs(a.amps - b.amps) > 1e-9 or a.lines != b.lines  # minimal: no equal neighbours
    starts = [offset for offset, _ in periods]
    for offset in sorted({*(p % duration for p in probes), *starts}):
        t = T0 + timedelta(seconds=offset)
        got = value_at(periods, offset)
        winners = [w for w in (winner(tx, t), winner(station_max, t)) if w is not None]
        for w in winners:
            assert got <= w + 1e-9
        assert abs(got - min([*winners, HARDWARE.amps])) <= 1e-9


@given(
    value=st.floats(0, 1e6, allow_nan=False),
    voltage=st.sampled_from([110.0, 120.0, 230.0, 400.0]),
    supply_phases=st.sampled_from([1, 3]),
    number_phases=st.sampled_from([None, 1, 2, 3]),
)
def test_amps_and_watts_round_trip(
    value: float, voltage: float, supply_phases: int, number_phases: int | None
) -> None:
    """1.6 §7.12: A -> W -> A and W -> A -> W give back the value."""
    supply = Supply(voltage, supply_phases)
    watts = to_watts(value, "A", supply, number_phases)
    assert abs(to_amps(watts, "W", supply, number_phases) - value) <= 1e-9 * max(1.0, value)
    amps = to_amps(value, "W", supply, number_phases)
    assert abs(to_watts(amps, "A", supply, number_phases) - value) <= 1e-9 * max(1.0, value)
