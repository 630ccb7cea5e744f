"""1.6 Core charge point cases against the bench's own station (OCTT 1.6 §2.1-2.16, §2.23)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

# The station each case runs against: the default Type 2 socket wallbox, or the DC
# charger with its fixed cable for the cases about one.
FIXED_CABLE: dict[str, Any] = {
    "template": "dc-50kw",
    "ev_template": "dc-fast-ev",
    "features": frozenset({"FixedCable"}),
}
CASES: dict[str, dict[str, Any]] = {
    "TC_002_CS": {},
    "TC_003_CS": {},
    "TC_004_1_CS": {},
    "TC_004_2_CS": {},
    "TC_068_CS": {},
    "TC_069_CS": {},
    "TC_005_1_CS": {},
    "TC_005_2_CS": {},
    "TC_005_3_CS": {},
    "TC_007_CS": {},
    "TC_061_CS": {},
    "TC_010_CS": {},
    "TC_011_1_CS": {},
    "TC_011_2_CS": {},
    "TC_012_CS": {},
    "TC_023_CS": {},
    "TC_024_CS": {},
    "TC_026_CS": {},
    "TC_027_CS": {},
    "TC_028_CS": {},
}


@pytest.mark.parametrize("case_id", list(CASES))
async def test_a_core_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, **CASES[case_id])
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"
