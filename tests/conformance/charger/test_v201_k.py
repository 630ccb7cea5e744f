"""2.0.1 block K (smart charging) charging-station cases against the bench's own station.

Each case passes, or is not applicable for the reason the test names (the station
supports what the case needs it to lack, or lacks what it needs). The ISO 15118
cases run with the bench's simulated ISO 15118 EV plugged in.
"""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

PASSING = [
    "TC_K_01_CS",
    "TC_K_02_CS",
    "TC_K_03_CS",
    "TC_K_04_CS",
    "TC_K_05_CS",
    "TC_K_06_CS",
    "TC_K_07_CS",
    "TC_K_08_CS",
    "TC_K_10_CS",
    "TC_K_11_CS",
    "TC_K_13_CS",
    "TC_K_14_CS",
    "TC_K_16_CS",
    "TC_K_19_CS",
    "TC_K_29_CS",
    "TC_K_30_CS",
    "TC_K_31_CS",
    "TC_K_32_CS",
    "TC_K_33_CS",
    "TC_K_34_CS",
    "TC_K_35_CS",
    "TC_K_36_CS",
    "TC_K_37_CS",
    "TC_K_52_CS",
    "TC_K_60_CS",
    # composite schedules
    "TC_K_09_CS",
    "TC_K_21_CS",
    "TC_K_22_CS",
    "TC_K_23_CS",
    "TC_K_28_CS",
    "TC_K_39_CS",
    "TC_K_40_CS",
    "TC_K_41_CS",
    "TC_K_47_CS",
    # ISO 15118: the bench's own station simulates an EV that speaks it (iso15118-ev)
    "TC_K_53_CS",
    "TC_K_54_CS",
    "TC_K_56_CS",
    "TC_K_57_CS",
    "TC_K_58_CS",
]

# The station supports what these cases need it to lack, or has one EVSE.
NOT_APPLICABLE = {
    "TC_K_12_CS": "supports both chargingRateUnits A and W",
    "TC_K_15_CS": "supports smart charging",
    "TC_K_24_CS": "has 1 EVSE; the case needs two or more",
    "TC_K_38_CS": "supports smart charging",
    "TC_K_42_CS": "supports both chargingRateUnits A and W",
}


@pytest.mark.parametrize("case_id", PASSING)
async def test_a_smart_charging_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"


@pytest.mark.parametrize(("case_id", "why"), sorted(NOT_APPLICABLE.items()))
async def test_a_smart_charging_case_for_what_the_station_lacks_is_not_applicable(
    charger_runner: ChargerRunner, case_id: str, why: str
) -> None:
    result = await charger_runner(case_id)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert why in result.reason


async def test_clearing_by_purpose_and_stack_level_clears_the_profiles_of_both_evses(
    charger_runner: ChargerRunner,
) -> None:
    """TC_K_24_CS, K10.FR.04: on a station with two EVSEs the case applies and passes."""
    result = await charger_runner("TC_K_24_CS", template="ac-22kw-dual")
    assert result.verdict is Verdict.PASS, result.reason
