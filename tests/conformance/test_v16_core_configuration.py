"""1.6 configuration key cases and DataTransfer (1.6 test case document §3.7, 3.13,
3.20) against the built-in Central System."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.v16_support import assert_fails_naming, explain, mangle, replacing

CASES = [
    "TC_019_1_CSMS",
    "TC_019_2_CSMS",
    "TC_021_CSMS",
    "TC_040_1_CSMS",
    "TC_040_2_CSMS",
    "TC_064_CSMS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_the_configuration_case_passes_against_the_built_in_csms(
    csms_runner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict is Verdict.PASS, explain(result)


async def test_a_change_to_another_value_fails_naming_the_value(csms_runner) -> None:
    """1.6 §5.3 / TC_021_CSMS step 1: MeterValueSampleInterval set to 60."""
    mangle(csms_runner, "set_variables", replacing(value="30"))
    result = await csms_runner("TC_021_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 1: ChangeConfiguration.req.value", "expected 60", "got 30")


async def test_asking_for_some_keys_where_all_are_wanted_fails_naming_the_key_list(
    csms_runner,
) -> None:
    """TC_019_1_CSMS step 1: GetConfiguration.req key is <Empty>."""
    mangle(csms_runner, "get_variables", replacing(key=["HeartbeatInterval"]))
    result = await csms_runner("TC_019_1_CSMS", timeout=2.0)
    assert_fails_naming(result, "GetConfiguration.req.key", "<Empty>", "HeartbeatInterval")


async def test_a_csms_that_accepts_every_vendor_still_passes_data_transfer(csms_runner) -> None:
    """TC_064_CSMS note: Accepted is allowed (the vendor is warned)."""
    csms_runner.csms.config.data_transfer_vendors = ("org.ocppbench.conformance",)
    result = await csms_runner("TC_064_CSMS")
    assert result.verdict is Verdict.PASS, explain(result)
