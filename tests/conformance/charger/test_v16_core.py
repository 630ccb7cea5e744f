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
    "TC_013_CS": {},
    "TC_014_CS": {},
    "TC_015_CS": {},
    "TC_016_CS": {},
    "TC_017_1_CS": {},
    "TC_017_2_CS": FIXED_CABLE,
    "TC_018_1_CS": {},
    "TC_018_2_CS": FIXED_CABLE,
    "TC_030_CS": {},
    "TC_031_CS": {},
    # The bench's station has no back-up power: it goes dark at once.
    "TC_032_1_CS": {"na": "does not declare the optional feature BackupPower"},
    "TC_032_2_CS": {},
    "TC_034_CS": {},
    "TC_041_CS": {},
    "TC_019_CS": {},
    "TC_021_CS": {},
    "TC_070_CS": {},
    "TC_071_CS": {},
    "TC_040_1_CS": {},
    "TC_040_2_CS": {},
    "TC_062_CS": {},
    "TC_036_CS": {},
    "TC_037_1_CS": {},
    "TC_037_2_CS": {},
    "TC_037_3_CS": {},
    "TC_038_CS": {},
    "TC_039_CS": {},
}


@pytest.mark.parametrize("case_id", list(CASES))
async def test_a_core_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    settings = dict(CASES[case_id])
    na = settings.pop("na", None)
    result = await charger_runner(case_id, **settings)
    failed = [c.describe() for c in result.checks if not c.ok]
    if na is not None:
        assert result.verdict is Verdict.NOT_APPLICABLE, f"{result.reason} {failed}"
        assert na in result.reason
    else:
        assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"
