"""1.6 Remote Trigger cases (1.6 test case document §3.18) against the built-in Central System."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.v16_support import assert_fails_naming, explain, mangle, replacing


@pytest.mark.parametrize("case_id", ["TC_054_CSMS", "TC_055_CSMS"])
async def test_the_remote_trigger_case_passes_against_the_built_in_csms(
    csms_runner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict is Verdict.PASS, explain(result)


async def test_a_trigger_for_a_configured_connector_fails_the_rejected_case(csms_runner) -> None:
    """1.6 §5.17 / TC_055_CSMS step 1: connectorId <NumberOfConnectors + 1>."""
    mangle(csms_runner, "trigger_message", replacing(connectorId=1))
    result = await csms_runner("TC_055_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 1: TriggerMessage.req.connectorId", "expected 2", "got 1")


async def test_a_trigger_without_the_connector_fails_naming_the_field(csms_runner) -> None:
    """TC_054_CSMS step 1: connectorId <Configured ConnectorId>."""

    def drop_connector(request: dict) -> dict:
        if request.get("requestedMessage") == "MeterValues":
            return {"requestedMessage": "MeterValues"}
        return request

    mangle(csms_runner, "trigger_message", drop_connector)
    result = await csms_runner("TC_054_CSMS", timeout=2.0)
    assert_fails_naming(
        result, "step 1: TriggerMessage.req.connectorId", "expected 1", "got (absent)"
    )
