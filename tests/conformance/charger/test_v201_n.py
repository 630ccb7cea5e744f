"""2.0.1 block N (Diagnostics) charging-station cases against the bench's own station."""

from __future__ import annotations

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.charger.scenarios import scenario_for
from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

CASES = [c.id for c in cases(sut="cs", version="2.0.1") if c.block == "N" and scenario_for(c.id)]

# The optional features (2.0.1 part 5) the bench's own ac-11kw station has.
FEATURES = frozenset({"C-57", "DM-3"})
# Configured values the own station needs: the id of its hard-wired monitor.
EXTRA = {"hardwired_monitor_id": "1"}


@pytest.mark.parametrize("case_id", CASES)
async def test_block_n_case_passes_or_is_not_applicable_on_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, features=FEATURES, extra=EXTRA)
    assert result.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE), (
        f"{case_id}: {result.verdict.value}: {result.reason}"
    )
    if result.verdict is Verdict.NOT_APPLICABLE:
        assert result.reason, f"{case_id} is not applicable without a reason"
