"""Building a SetChargingProfile request from form values and checking it (issue 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.ocpp import profile_builder as pb
from bench.ocpp import profile_checks as pc
from bench.smart.units import Supply

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def draft(version: str = pb.V16, **changes) -> pb.ProfileDraft:
    values = {
        "version": version,
        "place": 1,
        "profile_id": 7,
        "purpose": pb.TX_DEFAULT,
        "stack_level": 1,
        "kind": pb.RELATIVE,
        "periods": (pb.PeriodRow(0, 10.0), pb.PeriodRow(3600, 6.0)),
    }
    values.update(changes)
    return pb.ProfileDraft(**values)


def messages(problems: list[pb.Problem], field: str) -> list[str]:
    return [p.message for p in problems if p.field == field]


def limits(**changes) -> pb.StationLimits:
    values = {
        "places": (0, 1),
        "max_amps": {0: 16.0, 1: 16.0},
        "max_watts": {0: 11040.0, 1: 11040.0},
        "supply": Supply(230.0, 3),
        "max_stack_level": 8,
        "max_periods": 24,
        "transactions": {},
    }
    values.update(changes)
    return pb.StationLimits(**values)


def test_period_starts_read_as_seconds_or_hours_and_minutes():
    assert pb.parse_offset("3600") == 3600
    assert pb.parse_offset("1:30") == 5400
    assert pb.parse_offset("+0:00:45") == 45
    assert pb.parse_offset("2d 1:00") == 2 * 86400 + 3600
    assert pb.parse_offset("1d") == 86400
    for bad in ("", "abc", "1:75", "1:2:3:4", "-5"):
        with pytest.raises(ValueError):
            pb.parse_offset(bad)
    assert [pb.format_offset(s) for s in (0, 5400, 45, 90000)] == [
        "0:00",
        "1:30",
        "0:00:45",
        "1d 1:00",
    ]


def test_a_1_6_draft_is_a_schema_valid_request_that_reads_back_unchanged():
    """1.6 §6.43: connectorId + csChargingProfiles, one chargingSchedule object."""
    d = draft(
        purpose=pb.TX,
        transaction_id="42",
        kind=pb.ABSOLUTE,
        start_schedule=T0,
        duration=7200,
        valid_from=T0,
        valid_to=T0 + timedelta(days=1),
        min_rate=6.0,
        periods=(pb.PeriodRow(0, 16.0, phases=3), pb.PeriodRow(1800, 8.5, phases=1)),
    )
    payload = pb.to_payload(d)
    assert pc.schema_problem(payload, pb.V16) is None
    profile = payload["csChargingProfiles"]
    assert payload["connectorId"] == 1
    assert profile["transactionId"] == 42  # an integer in 1.6
    assert profile["chargingSchedule"]["startSchedule"] == "2026-03-02T08:00:00.000Z"
    assert profile["chargingSchedule"]["chargingSchedulePeriod"][1] == {
        "startPeriod": 1800,
        "limit": 8.5,
        "numberPhases": 1,
    }
    assert pb.from_payload(pb.V16, payload) == d


def test_a_2_0_1_draft_keeps_what_the_form_does_not_show_through_the_json():
    """K01: chargingSchedule is a list with an id; customData and a second (ISO 15118)
    schedule the form has no field for go back out unchanged."""
    payload = {
        "evseId": 1,
        "chargingProfile": {
            "id": 3,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "transactionId": "c0ffee-1",
            "customData": {"vendorId": "lab"},
            "chargingSchedule": [
                {
                    "id": 9,
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [
                        {"startPeriod": 0, "limit": 10.0, "numberPhases": 1, "phaseToUse": 2}
                    ],
                },
                {
                    "id": 10,
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}],
                },
            ],
        },
    }
    assert pc.schema_problem(payload, pb.V201) is None
    d = pb.from_payload(pb.V201, payload)
    assert (d.schedule_id, d.transaction_id, d.periods[0].phase_to_use) == (9, "c0ffee-1", 2)
    assert pb.to_payload(d) == payload


def test_spec_errors_name_the_field_and_the_period_they_belong_to():
    d = draft(
        stack_level=-1,
        valid_from=T0,
        valid_to=T0 - timedelta(hours=1),
        periods=(pb.PeriodRow(60, 10.0), pb.PeriodRow(3600, 6.0), pb.PeriodRow(1800, 8.0)),
    )
    problems = pc.check(d)
    assert all(p.is_error for p in problems)
    assert messages(problems, pb.STACK_LEVEL) == ["stack level -1: the lowest is 0 (1.6 §7.8)"]
    assert messages(problems, pb.VALID_TO) == ["the profile stops being valid before it starts"]
    cells = {(p.row, p.column) for p in problems if p.field == pb.PERIODS}
    assert cells == {(0, pb.COL_START), (2, pb.COL_START)}  # not from 0; 1:00 then 0:30
    period_texts = messages(problems, pb.PERIODS)
    assert any("first period starts at 0:00 (1.6 errata 3.45)" in m for m in period_texts)
    assert any("period 3: starts at 0:30" in m for m in period_texts)


def test_2_0_1_rules_on_purpose_kind_start_transaction_and_phases():
    station_max = draft(pb.V201, purpose="ChargingStationMaxProfile", place=0)
    assert messages(pc.check(station_max), pb.KIND) == [
        "a ChargingStationMaxProfile cannot be Relative (K01.FR.38)"
    ]
    absolute = draft(pb.V201, kind=pb.ABSOLUTE)
    assert messages(pc.check(absolute), pb.START) == [
        "an Absolute schedule needs a start (K01.FR.40)"
    ]
    relative = draft(pb.V201, start_schedule=T0)
    assert messages(pc.check(relative), pb.START) == [
        "a Relative schedule has no start (K01.FR.41)"
    ]
    tx = draft(pb.V201, purpose=pb.TX)
    assert messages(pc.check(tx), pb.TRANSACTION) == [
        "a TxProfile names its transaction (K01.FR.03)"
    ]
    phase = draft(pb.V201, periods=(pb.PeriodRow(0, 10.0, phases=3, phase_to_use=1),))
    assert messages(pc.check(phase), pb.PERIODS) == [
        "period 1: only with numberPhases 1 (K01.FR.19)"
    ]
    # 1.6 lets a TxProfile leave transactionId out: it applies to the running one (§7.8).
    tx16 = pc.check(draft(pb.V16, purpose=pb.TX))
    assert [p.severity for p in tx16 if p.field == pb.TRANSACTION] == [pb.WARNING]


def test_what_the_station_cannot_do_is_a_warning_not_an_error():
    d = draft(
        stack_level=9,
        purpose=pb.TX,
        transaction_id="5",
        periods=(pb.PeriodRow(0, 32.0), pb.PeriodRow(3600, 16.0)),
    )
    problems = pc.check(d, limits(transactions={}))
    assert problems and not any(p.is_error for p in problems)
    assert messages(problems, pb.STACK_LEVEL) == [
        "this station takes stack levels up to 8 (ChargeProfileMaxStackLevel): "
        "it will refuse this one"
    ]
    assert messages(problems, pb.TRANSACTION) == [
        "no transaction runs on Connector 1: the station will refuse a TxProfile (1.6 §5.16.3)"
    ]
    over = [p for p in problems if p.column == pb.COL_LIMIT]
    assert [(p.row, p.message) for p in over] == [
        (0, "period 1: above the 16.0 A Connector 1 can deliver: the station caps it there")
    ]
    # In watts the rating is the connector's power (3 x 230 V x 16 A).
    watts = draft(unit="W", periods=(pb.PeriodRow(0, 12000.0),))
    assert "11040 W" in pc.check(watts, limits())[0].message
    running = pc.check(d, limits(transactions={1: "6"}))
    assert "is 6, not 5" in messages(running, pb.TRANSACTION)[0]


def test_every_schema_problem_is_named():
    payload = pb.to_payload(draft(periods=(pb.PeriodRow(None, 10.0),)))
    problem = pc.schema_problem(payload, pb.V16)
    assert problem is not None and "startPeriod" in problem


def test_phases_this_ac_station_cannot_honour_are_warned_on_their_cells():
    """K01.FR.43: fewer phases than the supply needs Phases3to1; K01.FR.20: phaseToUse needs
    ACPhaseSwitchingSupported. 1.6 §9.4.4: switching numberPhases in a transaction needs
    ConnectorSwitch3to1PhaseSupported."""
    one_phase = (pb.PeriodRow(0, 16.0), pb.PeriodRow(3600, 16.0, phases=1, phase_to_use=2))
    strict = limits(phases_3to1=False, phase_switching=False)
    problems = pc.check(draft(pb.V201, periods=one_phase), strict)
    assert [(p.row, p.column, p.severity) for p in problems] == [
        (1, pb.COL_PHASES, pb.WARNING),
        (1, pb.COL_PHASE, pb.WARNING),
    ]
    assert "K01.FR.43" in problems[0].message and "K01.FR.20" in problems[1].message
    assert pc.check(draft(pb.V201, periods=one_phase), limits(phase_switching=True)) == []
    switching = pc.check(draft(pb.V16, periods=(one_phase[0], pb.PeriodRow(3600, 16.0, 1))), strict)
    assert [p.field for p in switching] == [pb.PERIODS]
    assert "ConnectorSwitch3to1PhaseSupported" in switching[0].message


def test_switching_the_unit_keeps_what_the_schedule_means():
    """1.6 §7.12, K01.FR.50: W = A x 230 V x phases (numberPhases, else 3)."""
    supply = Supply(230.0, 3)
    amps = (pb.PeriodRow(0, 10.0), pb.PeriodRow(3600, 16.0, phases=1), pb.PeriodRow(7200, None))
    watts = pb.convert_periods(amps, "W", supply)
    assert [p.limit for p in watts] == [6900.0, 3680.0, None]
    assert [p.limit for p in pb.convert_periods(watts, "A", supply)] == [10.0, 16.0, None]
