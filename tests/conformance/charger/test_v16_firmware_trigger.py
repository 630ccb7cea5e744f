"""1.6 Firmware Management and Remote Trigger charge point cases against the bench's own
station (OCTT 1.6 §2.18, §2.19, §2.21): the firmware and diagnostics travel for real
between the station and the bench's file server."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

CASES = [
    "TC_044_1_CS",
    "TC_044_2_CS",
    "TC_044_3_CS",
    "TC_045_1_CS",
    "TC_045_2_CS",
    "TC_054_CS",
    "TC_055_CS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_a_firmware_or_trigger_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"
