"""2.0.1 block I (Tariff and Cost) CSMS cases against the built-in CSMS (part 6 §3.10)."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charging_support import TamperingPrompter, failed, run_with
from tests.conformance.conftest import CaseRunner


@pytest.mark.parametrize("case_id", ["TC_I_01_CSMS", "TC_I_02_CSMS"])
async def test_the_built_in_csms_with_a_price_passes_the_cost_case(
    csms_runner: CaseRunner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict == Verdict.PASS, result.reason
    assert result.checks and not failed(result)
    assert [m.key for m in result.manual] == ["set_price"]
    assert csms_runner.csms.config.price_per_kwh == 0.25  # type: ignore[attr-defined]


async def test_a_csms_without_a_price_fails_the_final_cost_naming_total_cost(
    csms_runner: CaseRunner,
) -> None:
    """I03.FR.02: the reply to the Ended event carries totalCost."""
    prompter = TamperingPrompter(
        csms_runner.csms,  # type: ignore[attr-defined]
        ignore=frozenset({"set_price"}),
    )
    result = await run_with(csms_runner, prompter, "TC_I_02_CSMS", timeout=3.0)
    assert result.verdict == Verdict.FAIL
    assert (
        result.reason
        == "step 4: TransactionEventResponse.totalCost: expected present, got (absent)"
    )


async def test_a_csms_that_reports_no_running_cost_fails_the_running_cost_case(
    csms_runner: CaseRunner,
) -> None:
    """I02.FR.01: totalCost in the TransactionEventResponse or a CostUpdatedRequest."""
    prompter = TamperingPrompter(
        csms_runner.csms,  # type: ignore[attr-defined]
        ignore=frozenset({"set_price"}),
    )
    result = await run_with(csms_runner, prompter, "TC_I_01_CSMS", timeout=1.0)
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 9: CostUpdatedRequest.(running cost): expected totalCost in the "
        "TransactionEventResponse or a CostUpdatedRequest (I02.FR.01), got neither within 1 s"
    )
