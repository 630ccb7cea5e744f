"""Pure smart-charging engine: parsing, schedules in time, units, stacking, the store, sharing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.ocpp.v16.smart_profiles import parse as parse_profile_16
from bench.smart.composite import Candidate, Layer, Limit, composite, lowest, share
from bench.smart.profiles import TX, TX_DEFAULT, ProfileError
from bench.smart.schedule import changes, next_change, period_at
from bench.smart.store import Installed, ProfileStore
from bench.smart.units import Supply, to_amps, to_watts

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
AC3 = Supply(230.0, 3)


def raw(
    pid: int = 1,
    level: int = 0,
    purpose: str = "TxDefaultProfile",
    kind: str = "Absolute",
    periods: list[tuple[int, float]] | None = None,
    unit: str = "A",
    **extra: Any,
) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [
            {"startPeriod": s, "limit": lim} for s, lim in (periods or [(0, 16)])
        ],
    }
    for key in ("startSchedule", "duration", "minChargingRate"):
        if key in extra:
            schedule[key] = extra.pop(key)
    return {
        "chargingProfileId": pid,
        "stackLevel": level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
        **extra,
    }


def at(profile_raw: dict[str, Any], t: datetime, anchor: datetime | None = None) -> float | None:
    period = period_at(parse_profile_16(profile_raw), t, anchor)
    return None if period is None else period.limit


# ------------------------------------------------------------------ parsing
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"chargingProfilePurpose": "Bogus"}, "Purpose"),
        ({"chargingProfileKind": "Recurring"}, "recurrencyKind"),
        ({"recurrencyKind": "Daily"}, "only allowed"),
        ({"stackLevel": -1}, "negative"),
        ({"transactionId": 5}, "TxProfile"),
        ({"validFrom": "2026-01-02T00:00:00Z", "validTo": "2026-01-01T00:00:00Z"}, "validTo"),
    ],
)
def test_malformed_profiles_are_refused_with_a_reason(change: dict, reason: str) -> None:
    """1.6 §7.8, errata 3.56: purpose, kind and recurrency must fit together."""
    with pytest.raises(ProfileError, match=reason):
        parse_profile_16(raw() | change)


def test_a_schedule_whose_first_period_does_not_start_at_zero_is_refused() -> None:
    """1.6 errata 3.45/3.70: the first startPeriod SHALL be 0."""
    with pytest.raises(ProfileError, match="startPeriod 0"):
        parse_profile_16(raw(periods=[(10, 16)]))


def test_periods_are_sorted_and_times_are_read_as_utc() -> None:
    """1.6 §3.15: offsets are allowed in date-times."""
    profile = parse_profile_16(
        raw(periods=[(600, 8), (0, 16)], startSchedule="2026-03-02T13:00:00+01:00")
    )
    assert [p.start for p in profile.schedule.periods] == [0, 600]
    assert profile.schedule.start == T0
    assert profile.purpose == TX_DEFAULT


# ------------------------------------------------------------------ schedules in time
def test_an_absolute_schedule_runs_from_start_schedule_until_its_duration() -> None:
    """1.6 §7.9 Absolute, §7.13 duration; errata 3.43: nothing after the duration."""
    p = raw(periods=[(0, 16), (600, 8)], startSchedule="2026-03-02T12:00:00Z", duration=1200)
    assert at(p, T0 - timedelta(seconds=1)) is None
    assert at(p, T0) == 16
    assert at(p, T0 + timedelta(seconds=599)) == 16
    assert at(p, T0 + timedelta(seconds=600)) == 8
    assert at(p, T0 + timedelta(seconds=1199)) == 8
    assert at(p, T0 + timedelta(seconds=1200)) is None


def test_without_a_duration_the_last_period_runs_on() -> None:
    """1.6 §7.13: an empty duration keeps the last period."""
    p = raw(periods=[(0, 16), (600, 8)], startSchedule="2026-03-02T12:00:00Z")
    assert at(p, T0 + timedelta(days=30)) == 8


def test_a_relative_schedule_runs_from_the_transaction_start() -> None:
    """1.6 §7.9 Relative."""
    p = raw(kind="Relative", periods=[(0, 6), (60, 10)])
    started = T0 + timedelta(minutes=5)
    assert at(p, started + timedelta(seconds=59), started) == 6
    assert at(p, started + timedelta(seconds=60), started) == 10
    assert at(p, T0, started) is None
    assert at(p, T0, None) is None


def test_an_absolute_schedule_without_start_schedule_is_relative_to_the_start_of_charging() -> None:
    """1.6 §7.13 startSchedule: absent -> relative to the start of charging."""
    p = raw(periods=[(0, 6), (60, 10)])
    assert at(p, T0 + timedelta(seconds=61), T0) == 10


def test_a_daily_profile_repeats_every_day_and_crosses_midnight() -> None:
    """1.6 §3.13.7 example: 11 kW, 6 kW from 08:00 to 20:00, repeated daily."""
    p = raw(
        kind="Recurring",
        recurrencyKind="Daily",
        unit="W",
        startSchedule="2013-01-01T00:00:00Z",
        duration=86400,
        periods=[(0, 11000), (28800, 6000), (72000, 11000)],
    )
    day = datetime(2026, 3, 2, tzinfo=UTC)
    assert at(p, day + timedelta(hours=7, minutes=59)) == 11000
    assert at(p, day + timedelta(hours=8)) == 6000
    assert at(p, day + timedelta(hours=19, minutes=59)) == 6000
    assert at(p, day + timedelta(hours=23, minutes=59)) == 11000
    assert at(p, day + timedelta(days=1, hours=9)) == 6000


def test_a_daily_profile_shorter_than_a_day_falls_back_after_its_duration() -> None:
    """1.6 errata 3.43: a recurrence with a shorter duration imposes nothing afterwards."""
    p = raw(
        kind="Recurring",
        recurrencyKind="Daily",
        startSchedule="2026-03-01T22:00:00Z",
        duration=4 * 3600,
        periods=[(0, 6)],
    )
    assert at(p, datetime(2026, 3, 2, 23, 30, tzinfo=UTC)) == 6
    assert at(p, datetime(2026, 3, 3, 1, 59, tzinfo=UTC)) == 6  # after midnight
    assert at(p, datetime(2026, 3, 3, 2, 0, tzinfo=UTC)) is None
    assert at(p, datetime(2026, 3, 3, 12, 0, tzinfo=UTC)) is None


def test_periods_beyond_the_recurrence_are_not_executed() -> None:
    """1.6 errata 3.44: a period starting after the cycle length never runs."""
    p = raw(
        kind="Recurring",
        recurrencyKind="Daily",
        startSchedule="2026-03-01T00:00:00Z",
        periods=[(0, 16), (90000, 2)],
    )
    assert at(p, datetime(2026, 3, 2, 1, 30, tzinfo=UTC)) == 16


def test_a_weekly_profile_repeats_every_week() -> None:
    """1.6 §7.8 recurrencyKind Weekly."""
    p = raw(
        kind="Recurring",
        recurrencyKind="Weekly",
        startSchedule="2026-03-02T00:00:00Z",
        periods=[(0, 16), (5 * 86400, 32)],  # weekdays 16 A, weekend 32 A
    )
    assert at(p, datetime(2026, 3, 4, tzinfo=UTC)) == 16
    assert at(p, datetime(2026, 3, 7, 1, tzinfo=UTC)) == 32
    assert at(p, datetime(2026, 3, 11, tzinfo=UTC)) == 16


def test_valid_from_and_valid_to_bound_a_profile() -> None:
    """1.6 §7.8: validFrom inclusive, validTo exclusive."""
    p = raw(validFrom="2026-03-02T12:00:00Z", validTo="2026-03-02T13:00:00Z")
    assert at(p, T0 - timedelta(seconds=1), T0) is None
    assert at(p, T0, T0) == 16
    assert at(p, T0 + timedelta(hours=1), T0) is None


def test_changes_list_every_boundary_in_the_window() -> None:
    """Boundaries drive the timer that makes periods take effect on time."""
    p = parse_profile_16(
        raw(
            kind="Recurring",
            recurrencyKind="Daily",
            startSchedule="2026-03-01T00:00:00Z",
            periods=[(0, 16), (3600, 8)],
            duration=7200,
        )
    )
    found = changes(p, datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, 2, tzinfo=UTC))
    hours = [(t.day, t.hour) for t in found]
    assert hours == [(2, 1), (2, 2), (3, 0), (3, 1), (3, 2)]
    assert next_change(p, datetime(2026, 3, 2, 0, 30, tzinfo=UTC), timedelta(days=1)) == (
        datetime(2026, 3, 2, 1, tzinfo=UTC)
    )


# ------------------------------------------------------------------ units
def test_watts_become_amps_per_phase_with_the_nominal_voltage_and_phases() -> None:
    """1.6 §7.12: current per phase = P / (line voltage x numberPhases); 3 when absent."""
    assert to_amps(11040, "W", AC3) == pytest.approx(16.0)
    assert to_amps(3680, "W", AC3, 1) == pytest.approx(16.0)
    assert to_watts(16, "A", AC3) == pytest.approx(11040)
    assert to_watts(16, "A", AC3, 1) == pytest.approx(3680)


def test_more_phases_than_the_supply_has_keep_the_limit_as_given() -> None:
    """1.6 errata 3.34: numberPhases above what the station can use does not scale the limit."""
    single = Supply(230.0, 1)
    assert to_amps(16, "A", single, 3) == 16
    assert to_amps(3680, "W", single, 3) == pytest.approx(16.0)


# ------------------------------------------------------------------ stacking and combining
def candidate(profile_raw: dict[str, Any], anchor: datetime | None = T0) -> Candidate:
    profile = parse_profile_16(profile_raw)
    return Candidate(profile, anchor, f"#{profile.id}")


def test_the_highest_stack_level_wins_and_a_lower_one_takes_over_after_its_duration() -> None:
    """1.6 §3.13.2; errata 3.43: fall back to a lower stack level after the duration."""
    high = candidate(raw(1, 2, periods=[(0, 6)], startSchedule=T0.isoformat(), duration=600))
    low = candidate(raw(2, 1, periods=[(0, 20)], startSchedule=T0.isoformat()))
    layer = Layer([high, low], AC3)
    assert layer.at(T0 + timedelta(seconds=10)).amps == 6
    assert layer.at(T0 + timedelta(seconds=600)).amps == 20
    assert layer.at(T0 - timedelta(seconds=1)) is None


def test_the_composite_is_the_minimum_merged_into_the_fewest_periods() -> None:
    """1.6 §3.13.3, §5.7: minimum per interval; equal neighbours merge."""
    tx = Layer([candidate(raw(1, 0, periods=[(0, 10), (300, 20), (600, 10)]))], AC3)
    cap = Layer([candidate(raw(2, 0, "ChargePointMaxProfile", periods=[(0, 16)]))], AC3)

    def evaluate(t: datetime) -> Limit:
        found = lowest([tx.at(t), cap.at(t), Limit(32, 3, "hw")])
        assert found is not None
        return found

    points = tx.changes(T0, T0 + timedelta(hours=1)) | cap.changes(T0, T0 + timedelta(hours=1))
    periods = composite(evaluate, points, T0, 3600)
    assert [(offset, lim.amps) for offset, lim in periods] == [(0, 10), (300, 16), (600, 10)]


# ------------------------------------------------------------------ the store
def entry(connector_id: int, profile_raw: dict[str, Any]) -> Installed:
    return Installed(connector_id, parse_profile_16(profile_raw), profile_raw, T0)


def test_a_profile_replaces_the_same_id_and_the_same_purpose_level_and_connector() -> None:
    """1.6 §3.13.2, §5.16.3: replacement by chargingProfileId or by stackLevel+purpose."""
    store = ProfileStore()
    store.install(entry(0, raw(1, 0)))
    store.install(entry(1, raw(2, 0)))  # connector 1 shadows, does not replace (§3.13.1)
    assert len(store) == 2
    gone = store.install(entry(1, raw(3, 0)))
    assert [e.profile.id for e in gone] == [2]
    gone = store.install(entry(1, raw(1, 5)))
    assert [e.profile.id for e in gone] == [1]
    assert sorted(e.profile.id for e in store) == [1, 3]


def test_clearing_by_id_ignores_the_other_criteria_and_criteria_combine_with_and() -> None:
    """1.6 §5.5, errata 3.25/3.26."""
    store = ProfileStore()
    store.install(entry(0, raw(1, 0, "ChargePointMaxProfile")))
    store.install(entry(1, raw(2, 0)))
    store.install(entry(1, raw(3, 1)))
    assert [e.profile.id for e in store.clear(profile_id=2, connector_id=0)] == [2]
    assert store.clear(connector_id=0, purpose=TX) == []
    assert [e.profile.id for e in store.clear(connector_id=1, stack_level=1)] == [3]
    assert [e.profile.id for e in store.clear()] == [1]
    assert len(store) == 0


# ------------------------------------------------------------------ sharing a station limit
def test_a_station_limit_is_shared_equally_and_what_one_cannot_use_goes_to_the_other() -> None:
    """1.6 §3.13.3: the combined flow stays within the ChargePointMaxProfile."""
    assert share(20, {1: 32, 2: 32}) == {1: 10, 2: 10}
    assert share(20, {1: 6, 2: 32}) == {1: 6, 2: 14}
    assert share(100, {1: 16, 2: 32}) == {1: 16, 2: 32}


def test_a_connector_that_cannot_get_its_minimum_rate_yields_to_the_others() -> None:
    """1.6 §3.13.4: charging below minChargingRate is inefficient."""
    assert share(14, {1: 32, 2: 32}, {2: 8}) == {1: 14, 2: 0}
    assert share(16, {1: 32, 2: 32}, {2: 8}) == {1: 8, 2: 8}


def test_tx_profiles_are_a_purpose_of_their_own() -> None:
    assert parse_profile_16(raw(purpose="TxProfile")).purpose == TX
