"""2.0.1 block M (certificate management) charging-station cases against the bench's own station."""

from __future__ import annotations

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.charger.scenarios import scenario_for
from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

# The cases with a scenario (the others are listed as not implemented in the notes).
CASES = [c.id for c in cases(sut="cs", version="2.0.1") if c.block == "M" and scenario_for(c.id)]


@pytest.mark.parametrize("case_id", CASES)
async def test_block_m_case_passes_or_is_not_applicable_on_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    assert result.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE), (
        f"{case_id}: {result.verdict.value}: {result.reason}"
    )
    if result.verdict is Verdict.NOT_APPLICABLE:
        assert result.reason, f"{case_id} is not applicable without a reason"
