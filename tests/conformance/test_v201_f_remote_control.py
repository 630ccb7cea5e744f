"""2.0.1 block F (Remote Control) CSMS cases against the built-in CSMS (part 6 §3.7)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charging_support import (
    BUILTIN_FEATURES,
    TamperingPrompter,
    failed,
    run_with,
)
from tests.conformance.conftest import CaseRunner

CASES = [
    "TC_F_01_CSMS",
    "TC_F_02_CSMS",
    "TC_F_03_CSMS",
    "TC_F_04_CSMS",
    "TC_F_06_CSMS",
    "TC_F_11_CSMS",
    "TC_F_12_CSMS",
    "TC_F_13_CSMS",
    "TC_F_14_CSMS",
    "TC_F_15_CSMS",
    "TC_F_18_CSMS",
    "TC_F_20_CSMS",
    "TC_F_23_CSMS",
    "TC_F_24_CSMS",
    "TC_F_27_CSMS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_the_built_in_csms_passes_the_remote_control_case(
    csms_runner: CaseRunner, case_id: str
) -> None:
    result = await csms_runner(case_id, features=BUILTIN_FEATURES)
    assert result.verdict == Verdict.PASS, result.reason
    assert result.checks and not failed(result)


async def test_the_remote_start_carries_the_remote_start_id_into_the_transaction(
    csms_runner: CaseRunner,
) -> None:
    """F01.FR.25 / F02.FR.01 as the case plays it: the station's RemoteStart event holds
    the remoteStartId the CSMS sent (TC_F_03 step 3)."""
    result = await csms_runner("TC_F_03_CSMS")
    assert result.verdict == Verdict.PASS, result.reason
    sent = next(
        f["payload"]["remoteStartId"]
        for f in result.frames
        if f["direction"] == "rx" and f["action"] == "RequestStartTransaction"
    )
    event = next(
        f["payload"]
        for f in result.frames
        if f["direction"] == "tx"
        and f["type"] == "CALL"
        and f["action"] == "TransactionEvent"
        and f["payload"]["triggerReason"] == "RemoteStart"
    )
    assert event["transactionInfo"]["remoteStartId"] == sent
    assert event["eventType"] == "Started"


async def test_a_remote_start_for_another_id_token_fails_naming_the_field(
    csms_runner: CaseRunner,
) -> None:
    def other_token(action: str, request: dict[str, Any]) -> dict[str, Any]:
        request["idToken"]["idToken"] = "OTHER"
        return request

    prompter = TamperingPrompter(csms_runner.csms, other_token)  # type: ignore[attr-defined]
    result = await run_with(csms_runner, prompter, "TC_F_03_CSMS", timeout=3.0)
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 1: RequestStartTransactionRequest.idToken.idToken: expected TAG1, got OTHER"
    )


async def test_a_csms_that_never_sends_the_remote_start_is_inconclusive(
    csms_runner: CaseRunner,
) -> None:
    prompter = TamperingPrompter(
        csms_runner.csms,  # type: ignore[attr-defined]
        silent=frozenset({"RequestStartTransaction"}),
    )
    result = await run_with(csms_runner, prompter, "TC_F_01_CSMS", timeout=1.0)
    assert result.verdict == Verdict.INCONCLUSIVE
    assert "RequestStartTransactionRequest did not arrive within 1 s" in result.reason


async def test_a_status_trigger_without_connector_id_fails_naming_it(
    csms_runner: CaseRunner,
) -> None:
    """F06.FR.13: the CSMS sets the connectorId of a StatusNotification trigger."""

    def no_connector(action: str, request: dict[str, Any]) -> dict[str, Any]:
        del request["evse"]["connectorId"]
        return request

    prompter = TamperingPrompter(csms_runner.csms, no_connector)  # type: ignore[attr-defined]
    result = await run_with(csms_runner, prompter, "TC_F_23_CSMS", timeout=2.0)
    assert result.verdict == Verdict.FAIL
    assert (
        result.reason == "step 1: TriggerMessageRequest.evse.connectorId: expected 1, got (absent)"
    )


async def test_a_trigger_for_another_evse_fails_naming_the_evse(csms_runner: CaseRunner) -> None:
    def evse_two(action: str, request: dict[str, Any]) -> dict[str, Any]:
        request["evse"]["id"] = 2
        return request

    prompter = TamperingPrompter(csms_runner.csms, evse_two)  # type: ignore[attr-defined]
    result = await run_with(csms_runner, prompter, "TC_F_11_CSMS", timeout=2.0)
    assert result.verdict == Verdict.FAIL
    assert result.reason == "step 1: TriggerMessageRequest.evse.id: expected 1, got 2"


async def test_unlock_connector_is_not_applicable_unless_the_csms_declares_the_feature(
    csms_runner: CaseRunner,
) -> None:
    result = await csms_runner("TC_F_06_CSMS")
    assert result.verdict == Verdict.NOT_APPLICABLE
    assert result.reason == (
        "the CSMS does not declare the optional feature UnlockConnector (part 5 C-11)"
    )
