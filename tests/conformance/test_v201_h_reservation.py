"""2.0.1 block H (Reservation) CSMS cases against the built-in CSMS (part 6 §3.9)."""

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
    "TC_H_01_CSMS",
    "TC_H_07_CSMS",
    "TC_H_08_CSMS",
    "TC_H_14_CSMS",
    "TC_H_15_CSMS",
    "TC_H_17_CSMS",
    "TC_H_19_CSMS",
    "TC_H_20_CSMS",
    "TC_H_22_CSMS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_the_built_in_csms_passes_the_reservation_case(
    csms_runner: CaseRunner, case_id: str
) -> None:
    result = await csms_runner(case_id, features=BUILTIN_FEATURES)
    assert result.verdict == Verdict.PASS, result.reason
    assert result.checks and not failed(result)


async def test_reserving_every_evse_is_played_on_a_station_with_more_than_one(
    csms_runner: CaseRunner,
) -> None:
    """Part 5 on TC_H_14: "For CSMS: this will be tested with >1 EVSE"."""
    result = await csms_runner("TC_H_14_CSMS", features=BUILTIN_FEATURES)
    reserve = [f for f in result.frames if f["action"] == "ReserveNow" and f["type"] == "CALL"]
    reserved = {
        f["payload"]["evseId"]
        for f in result.frames
        if f["action"] == "StatusNotification"
        and f["type"] == "CALL"
        and f["payload"]["connectorStatus"] == "Reserved"
    }
    assert len(reserve) == 2 and reserved == {1, 2}


async def test_a_reservation_without_the_evse_fails_naming_evse_id(
    csms_runner: CaseRunner,
) -> None:
    def unspecified(action: str, request: dict[str, Any]) -> dict[str, Any]:
        del request["evseId"]
        return request

    prompter = TamperingPrompter(csms_runner.csms, unspecified)  # type: ignore[attr-defined]
    result = await run_with(csms_runner, prompter, "TC_H_01_CSMS", timeout=3.0)
    assert result.verdict == Verdict.FAIL
    assert result.reason == "step 1: ReserveNowRequest.evseId: expected 1, got (absent)"


async def test_a_reservation_naming_a_connector_type_it_must_omit_fails(
    csms_runner: CaseRunner,
) -> None:
    def typed(action: str, request: dict[str, Any]) -> dict[str, Any]:
        request["connectorType"] = "cType2"
        return request

    prompter = TamperingPrompter(csms_runner.csms, typed)  # type: ignore[attr-defined]
    result = await run_with(csms_runner, prompter, "TC_H_07_CSMS", timeout=3.0)
    assert result.verdict == Verdict.FAIL
    assert result.reason == "step 1: ReserveNowRequest.connectorType: expected absent, got cType2"


async def test_cancelling_another_reservation_fails_naming_the_reservation_id(
    csms_runner: CaseRunner,
) -> None:
    def other_id(action: str, request: dict[str, Any]) -> dict[str, Any]:
        if action == "CancelReservation":
            request["reservationId"] = 99
        return request

    prompter = TamperingPrompter(csms_runner.csms, other_id)  # type: ignore[attr-defined]
    result = await run_with(csms_runner, prompter, "TC_H_17_CSMS", timeout=2.0)
    assert result.verdict == Verdict.FAIL
    assert result.reason == "step 5: CancelReservationRequest.reservationId: expected 1, got 99"


async def test_a_csms_that_never_sends_the_reservation_is_inconclusive(
    csms_runner: CaseRunner,
) -> None:
    prompter = TamperingPrompter(
        csms_runner.csms,  # type: ignore[attr-defined]
        silent=frozenset({"ReserveNow"}),
    )
    result = await run_with(csms_runner, prompter, "TC_H_01_CSMS", timeout=1.0)
    assert result.verdict == Verdict.INCONCLUSIVE
    assert "ReserveNowRequest did not arrive within 1 s" in result.reason


async def test_reserving_a_connector_type_is_not_applicable_unless_declared(
    csms_runner: CaseRunner,
) -> None:
    result = await csms_runner("TC_H_15_CSMS")
    assert result.verdict == Verdict.NOT_APPLICABLE
    assert result.reason == (
        "the CSMS does not declare the optional feature ReserveConnectorType (part 5 R-1)"
    )
