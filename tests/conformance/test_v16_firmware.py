"""1.6 Firmware Management cases: firmware updates and diagnostics (1.6 test case
document §3.15, 3.16) against the built-in Central System, with real transfers to
and from the case's own file server."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.v16_support import (
    assert_fails_naming,
    explain,
    mangle,
    never_send,
    replacing,
)


@pytest.mark.parametrize(
    "case_id",
    ["TC_044_1_CSMS", "TC_044_2_CSMS", "TC_044_3_CSMS", "TC_045_1_CSMS", "TC_045_2_CSMS"],
)
async def test_the_firmware_case_passes_against_the_built_in_csms(
    csms_runner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict is Verdict.PASS, explain(result)


async def test_an_update_from_another_location_fails_naming_the_location(csms_runner) -> None:
    """TC_044_1_CSMS step 1: firmware.location is the test data's download URL."""
    mangle(csms_runner, "update_firmware", replacing(location="http://127.0.0.1:9/other.bin"))
    result = await csms_runner("TC_044_1_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 1: UpdateFirmware.req.location", "other.bin")


async def test_a_csms_that_never_asks_for_diagnostics_leaves_the_case_inconclusive(
    csms_runner,
) -> None:
    never_send(csms_runner, "get_log")
    result = await csms_runner("TC_045_1_CSMS", timeout=1.0)
    assert result.verdict is Verdict.INCONCLUSIVE, explain(result)
    assert "GetDiagnostics" in result.reason
