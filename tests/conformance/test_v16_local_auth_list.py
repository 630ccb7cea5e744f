"""1.6 Local Authorization List Management cases (1.6 test case document §3.14)
against the built-in Central System."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.v16_support import assert_fails_naming, explain, mangle, replacing

CASES = [
    "TC_042_1_CSMS",
    "TC_042_2_CSMS",
    "TC_043_1_CSMS",
    "TC_043_3_CSMS",
    "TC_043_4_CSMS",
    "TC_043_5_CSMS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_the_local_list_case_passes_against_the_built_in_csms(
    csms_runner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict is Verdict.PASS, explain(result)


async def test_a_differential_update_where_a_full_one_is_asked_fails_naming_the_type(
    csms_runner,
) -> None:
    """1.6 §5.15 / TC_043_4_CSMS step 1: updateType Full."""
    mangle(csms_runner, "send_local_list", replacing(updateType="Differential"))
    result = await csms_runner("TC_043_4_CSMS", timeout=2.0)
    assert_fails_naming(
        result, "step 1: SendLocalList.req.updateType", "expected Full", "got Differential"
    )


async def test_an_entry_without_id_tag_info_fails_the_full_list_case(csms_runner) -> None:
    """1.6 §7.1 / TC_043_4_CSMS step 1: every entry of a Full list has an idTagInfo."""
    mangle(
        csms_runner,
        "send_local_list",
        replacing(localAuthorizationList=[{"idTag": "TAG1"}]),
    )
    result = await csms_runner("TC_043_4_CSMS", timeout=2.0)
    assert_fails_naming(result, "localAuthorizationList", "every entry has an idTagInfo")
