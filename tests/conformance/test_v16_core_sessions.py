"""1.6 Core cases in which the station acts and the Central System answers (boot,
sessions, authorization, power loss, offline): 1.6 test case document §3.1-3.3, 3.8,
3.11, 3.12, played by the bench's station against the built-in Central System."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.v16_support import assert_fails_naming, explain, never_send

CASES = [
    "TC_001_CSMS",
    "TC_003_CSMS",
    "TC_004_1_CSMS",
    "TC_004_2_CSMS",
    "TC_005_1_CSMS",
    "TC_007_CSMS",
    "TC_023_1_CSMS",
    "TC_023_2_CSMS",
    "TC_023_3_CSMS",
    "TC_024_CSMS",
    "TC_032_1_CSMS",
    "TC_037_1_CSMS",
    "TC_037_3_CSMS",
    "TC_039_CSMS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_the_core_session_case_passes_against_the_built_in_csms(
    csms_runner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict is Verdict.PASS, explain(result)


async def test_a_csms_that_rejects_the_boot_fails_the_cold_boot_naming_the_status(
    csms_runner,
) -> None:
    """1.6 §4.2 / TC_001_CSMS step 2: BootNotification.conf status must be Accepted."""
    csms_runner.csms.set_boot_responses("BENCH-CONFORMANCE", ["Rejected"])
    result = await csms_runner("TC_001_CSMS", timeout=2.0)
    assert_fails_naming(result, "BootNotification.conf.status", "expected Accepted", "got Rejected")


async def test_a_csms_that_does_not_know_the_card_fails_plugin_first_at_step_4(
    csms_runner,
) -> None:
    """1.6 §4.1 / TC_003_CSMS step 4: Authorize.conf idTagInfo.status Accepted."""
    csms_runner.csms.config.tags.clear()
    result = await csms_runner("TC_003_CSMS", timeout=2.0)
    assert_fails_naming(
        result, "step 4: Authorize.conf.idTagInfo.status", "expected Accepted", "got Invalid"
    )


async def test_a_csms_without_the_expired_card_fails_authorize_expired_naming_the_status(
    csms_runner,
) -> None:
    """TC_023_2_CSMS: the prerequisite (an Expired idTag) is not met, so the Central
    System answers Invalid where the case needs Expired."""
    never_send(csms_runner, "configure_id_token")
    result = await csms_runner("TC_023_2_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 2: Authorize.conf.idTagInfo.status", "Expired", "Invalid")


async def test_a_csms_that_accepts_unknown_cards_fails_the_offline_invalid_id_case(
    csms_runner,
) -> None:
    """TC_037_3_CSMS step 2: the queued start of an unknown idTag must be answered Invalid."""
    csms_runner.csms.config.accept_unknown_tags = True
    result = await csms_runner("TC_037_3_CSMS", timeout=2.0)
    assert_fails_naming(
        result, "step 2: StartTransaction.conf.idTagInfo.status", "expected Invalid", "Accepted"
    )
