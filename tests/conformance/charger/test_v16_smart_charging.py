"""1.6 Smart Charging charge point cases against the bench's own station (OCTT 1.6 §2.22)."""

from __future__ import annotations

import pytest

from bench.conformance.results import CaseResult, Verdict
from tests.conformance.charger.conftest import ChargerRunner

CASES = [
    "TC_056_CS",
    "TC_057_CS",
    "TC_058_1_CS",
    "TC_058_2_CS",
    "TC_082_CS",
    "TC_066_CS",
    "TC_067_CS",
    "TC_072_CS",
    "TC_059_CS",
    "TC_060_CS",
]


def _failures(result: CaseResult) -> str:
    return "; ".join(c.describe() for c in result.checks if not c.ok)


@pytest.mark.parametrize("case_id", CASES)
async def test_a_smart_charging_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    assert result.verdict is Verdict.PASS, f"{result.reason} | {_failures(result)}"
