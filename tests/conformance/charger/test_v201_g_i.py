"""2.0.1 blocks G (Availability) and I (Tariff and cost), charging-station cases against
the bench's own station."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

G_CASES = [f"TC_G_{n:02d}_CS" for n in range(1, 22) if n != 20]


@pytest.mark.parametrize("case_id", G_CASES)
async def test_an_availability_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"
