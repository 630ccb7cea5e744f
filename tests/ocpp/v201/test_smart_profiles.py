"""The 2.0.1 profile rules without a station: parsing, capabilities, overlap, the CSMS's check.

K01.FR.19/31/35/38/40/41/43/44/48 on plain values; K15.FR.11/12 the CSMS's comparison
of an EV schedule with the TxProfile it sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bench.csms.v201_smart import within
from bench.ocpp.v201.smart_external import profile_id
from bench.ocpp.v201.smart_profiles import (
    Capabilities,
    Rejected,
    check_capabilities,
    overlapping,
    parse,
)
from bench.smart.profiles import EXTERNAL, RECURRING, STATION_MAX

AC3 = Capabilities(
    max_stack_level=10,
    max_periods=24,
    rate_units=frozenset({"A", "W"}),
    ac=True,
    supply_phases=3,
    phases_3to1=False,
    phase_switching=False,
)


def raw(**changes: Any) -> dict[str, Any]:
    schedule = {
        "id": 1,
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16},
            {"startPeriod": 60, "limit": 8},
        ],
    }
    schedule.update(changes.pop("schedule", {}))
    profile = {
        "id": 3,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [schedule],
    }
    profile.update(changes)
    return profile


def reason(data: dict[str, Any], caps: Capabilities | None = None) -> str:
    with pytest.raises(Rejected) as info:
        profile = parse(data)
        if caps is not None:
            check_capabilities(profile, data, caps)
    return info.value.info


def test_a_relative_profile_parses_into_engine_values() -> None:
    profile = parse(raw())
    assert profile.id == 3 and profile.stack_level == 1
    assert [p.limit for p in profile.schedule.periods] == [16.0, 8.0]


def test_a_recurring_profile_keeps_its_recurrency_and_start() -> None:
    profile = parse(
        raw(
            chargingProfileKind="Recurring",
            recurrencyKind="Daily",
            schedule={"startSchedule": "2030-01-01T17:00:00Z"},
        )
    )
    assert profile.kind == RECURRING and profile.recurrency == "Daily"
    assert profile.schedule.start == datetime(2030, 1, 1, 17, tzinfo=UTC)


def test_external_constraints_map_to_their_own_purpose() -> None:
    data = raw(
        chargingProfilePurpose="ChargingStationExternalConstraints",
        chargingProfileKind="Absolute",
        schedule={"startSchedule": "2030-01-01T00:00:00Z"},
    )
    assert parse(data).purpose == EXTERNAL


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"chargingProfileKind": "Absolute"}, "K01.FR.40"),
        ({"schedule": {"startSchedule": "2030-01-01T00:00:00Z"}}, "K01.FR.41"),
        ({"schedule": {"chargingSchedulePeriod": [{"startPeriod": 5, "limit": 1}]}}, "K01.FR.31"),
        (
            {
                "schedule": {
                    "chargingSchedulePeriod": [
                        {"startPeriod": 0, "limit": 1},
                        {"startPeriod": 0, "limit": 2},
                    ]
                }
            },
            "K01.FR.35",
        ),
        ({"chargingProfilePurpose": "ChargingStationMaxProfile"}, "K01.FR.38"),
    ],
)
def test_structural_rules_name_their_requirement(changes: dict[str, Any], rule: str) -> None:
    assert rule in reason(raw(**changes))


def test_a_max_profile_must_not_be_relative_but_may_be_absolute() -> None:
    data = raw(
        chargingProfilePurpose="ChargingStationMaxProfile",
        chargingProfileKind="Absolute",
        schedule={"startSchedule": "2030-01-01T00:00:00Z"},
    )
    assert parse(data).purpose == STATION_MAX


def test_capabilities_limit_stack_level_units_and_periods() -> None:
    assert "ProfileStackLevel" in reason(raw(stackLevel=11), AC3)
    only_amps = Capabilities(**{**_fields(AC3), "rate_units": frozenset({"A"})})
    assert "K01.FR.26" in reason(raw(schedule={"chargingRateUnit": "W"}), only_amps)
    few = Capabilities(**{**_fields(AC3), "max_periods": 1})
    assert "PeriodsPerSchedule" in reason(raw(), few)


def test_phase_rules_for_ac_and_dc() -> None:
    """K01.FR.19/43/48 on AC; K01.FR.44: DC ignores numberPhases and phaseToUse."""
    one = {"chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6, "numberPhases": 1}]}
    assert "K01.FR.43" in reason(raw(schedule=one), AC3)
    switching = Capabilities(**{**_fields(AC3), "phases_3to1": True})
    check_capabilities(parse(raw(schedule=one)), raw(schedule=one), switching)
    phase = {
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 6, "numberPhases": 1, "phaseToUse": 2}
        ]
    }
    assert "K01.FR.48" in reason(raw(schedule=phase), switching)
    three = {
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 6, "numberPhases": 3, "phaseToUse": 1}
        ]
    }
    assert "K01.FR.19" in reason(raw(schedule=three), AC3)
    dc = Capabilities(**{**_fields(AC3), "ac": False, "supply_phases": 1})
    check_capabilities(parse(raw(schedule=phase)), raw(schedule=phase), dc)


def test_validity_periods_overlap_unless_one_ends_before_the_other_starts() -> None:
    """K01.FR.06, K01.FR.36/37: validFrom inclusive, validTo exclusive."""
    early = parse(raw(validTo="2030-01-01T10:00:00Z"))
    late = parse(raw(validFrom="2030-01-01T10:00:00Z"))
    always = parse(raw())
    assert not overlapping(early, late)
    assert overlapping(early, always) and overlapping(late, always)
    assert overlapping(parse(raw(validFrom="2030-01-01T09:00:00Z")), early)


def test_external_limit_ids_are_negative_and_distinct() -> None:
    """K11.FR.06 note: negative ids never clash with the CSMS's."""
    ids = {profile_id(evse, source) for evse in (0, 1, 2) for source in ("EMS", "Other", "SO")}
    assert len(ids) == 9 and max(ids) < 0


def test_the_csms_accepts_an_ev_schedule_only_within_its_own() -> None:
    """K15.FR.11/12: period by period against the chosen schedule of the sent TxProfile."""
    sent = raw(
        chargingProfilePurpose="TxProfile",
        schedule={"id": 4, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]},
    )
    ok = {
        "id": 4,
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 9}],
    }
    too_much = {**ok, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11}]}
    other = {**ok, "id": 9}
    base = "2030-01-01T00:00:00Z"
    assert within(ok, sent, base)
    assert not within(too_much, sent, base)
    assert not within(other, sent, base)


def _fields(caps: Capabilities) -> dict[str, Any]:
    return {name: getattr(caps, name) for name in Capabilities.__slots__}
