"""2.0.1 block D (Local Authorization List Management) charging-station cases against
the bench's own station."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

CASES = [
    "TC_D_01_CS",
    "TC_D_02_CS",
    "TC_D_03_CS",
    "TC_D_04_CS",
    "TC_D_05_CS",
    "TC_D_06_CS",
    "TC_D_07_CS",
    "TC_D_08_CS",
    "TC_D_10_CS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_a_local_list_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    assert result.verdict is Verdict.PASS, result.reason
