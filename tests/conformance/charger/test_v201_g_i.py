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


@pytest.mark.parametrize("case_id", ["TC_I_01_CS", "TC_I_02_CS", "TC_I_07_CS"])
async def test_a_tariff_and_cost_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"


async def test_the_lock_failure_case_is_not_applicable_without_a_plug_retention_lock(
    charger_runner: ChargerRunner,
) -> None:
    """TC_G_20_CS's prerequisite: the ConnectorPlugRetentionLock component, which the
    bench's own station does not have."""
    result = await charger_runner("TC_G_20_CS")
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "no ConnectorPlugRetentionLock component" in result.reason
