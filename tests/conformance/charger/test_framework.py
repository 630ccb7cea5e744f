"""The charger side of the conformance tool: the bench as CSMS, its own station as DUT."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner


@pytest.mark.parametrize("case_id", ["TC_001_CS", "TC_B_01_CS"])
async def test_a_cold_boot_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    assert result.verdict is Verdict.PASS, result.reason
    assert any(c.message.startswith("StatusNotification") and c.ok for c in result.checks)
    assert [m.by for m in result.manual] == ["automatic"]  # the power cycle, done by the API
