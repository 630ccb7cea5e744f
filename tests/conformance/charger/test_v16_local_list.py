"""1.6 Local Auth List Management charge point cases against the bench's own station
(OCTT 1.6 §2.17)."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

# The bench's station supports the profile: the cases for a charge point without it
# do not apply, and say so.
NOT_APPLICABLE = {"TC_043_1_CS": "the charge point supports LocalAuthListManagement"}
CASES = [
    "TC_042_1_CS",
    "TC_042_2_CS",
    "TC_043_CS",
    "TC_043_1_CS",
    "TC_043_2_CS",
    "TC_043_3_CS",
    "TC_008_CS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_a_local_list_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    failed = [c.describe() for c in result.checks if not c.ok]
    if case_id in NOT_APPLICABLE:
        assert result.verdict is Verdict.NOT_APPLICABLE, f"{result.reason} {failed}"
        assert NOT_APPLICABLE[case_id] in result.reason
    else:
        assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"
