"""Block P (DataTransfer) CSMS cases against the built-in CSMS (part 6 §3.17)."""

from __future__ import annotations

import pytest

from bench.conformance.scenarios.v201_p_data_transfer import VENDOR_ID


@pytest.mark.parametrize("case_id", ["TC_P_02_CSMS", "TC_P_03_CSMS"])
async def test_data_transfer_case_passes_against_the_built_in_csms(csms_runner, case_id) -> None:
    result = await csms_runner(case_id)
    assert result.verdict == "pass", (result.reason, [c.describe() for c in result.checks])


async def test_a_csms_accepting_an_unknown_vendor_fails_the_case(csms_runner) -> None:
    """P02.FR.06/07: a CSMS that claims to know the bench's made-up vendor id and answers
    Accepted fails TC_P_02 on DataTransferResponse.status."""
    csms_runner.csms.config.data_transfer_vendors = (VENDOR_ID,)
    result = await csms_runner("TC_P_02_CSMS")
    assert result.verdict == "fail"
    assert result.reason == (
        "step 2: DataTransferResponse.status: expected one of UnknownVendorId, "
        "UnknownMessageId, Rejected, got Accepted"
    )
