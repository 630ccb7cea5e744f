"""2.0.1 block K (smart charging) charging-station cases against the bench's own station.

Each case passes, or is not applicable for the reason the test names (the station
supports what the case needs it to lack, or lacks what it needs).
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
]


@pytest.mark.parametrize("case_id", PASSING)
async def test_a_smart_charging_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"
