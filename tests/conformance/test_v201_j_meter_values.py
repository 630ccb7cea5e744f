"""2.0.1 block J (MeterValues) CSMS cases against the built-in CSMS (part 6 §3.11)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.conformance import states_charging
from bench.conformance.results import CaseResult, Verdict
from bench.csms import v201_tx
from bench.ocpp.errors import ErrorKind, OcppError
from tests.conformance.charging_support import failed
from tests.conformance.conftest import CaseRunner

CASES = [
    "TC_J_01_CSMS",
    "TC_J_02_CSMS",
    "TC_J_03_CSMS",
    "TC_J_04_CSMS",
    "TC_J_07_CSMS",
    "TC_J_08_CSMS",
    "TC_J_09_CSMS",
    "TC_J_10_CSMS",
    "TC_J_11_CSMS",
]


def sent(result: CaseResult, action: str) -> list[dict[str, Any]]:
    return [
        f["payload"]
        for f in result.frames
        if f["direction"] == "tx" and f["type"] == "CALL" and f["action"] == action
    ]


@pytest.mark.parametrize("case_id", CASES)
async def test_the_built_in_csms_passes_the_meter_values_case(
    csms_runner: CaseRunner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict == Verdict.PASS, result.reason
    assert result.checks and not failed(result)


async def test_signed_readings_reach_the_csms_in_the_ended_event(
    csms_runner: CaseRunner,
) -> None:
    """J02.FR.21 as TC_J_11 plays it: Sample.Periodic and Transaction.End readings, signed."""
    result = await csms_runner("TC_J_11_CSMS")
    assert result.verdict == Verdict.PASS, result.reason
    ended = next(p for p in sent(result, "TransactionEvent") if p["eventType"] == "Ended")
    values = [sv for mv in ended["meterValue"] for sv in mv["sampledValue"]]
    contexts = [sv.get("context") for sv in values]
    assert "Sample.Periodic" in contexts and contexts[-1] == "Transaction.End"
    assert all("signedMeterValue" in sv for sv in values)


def _refusing(action: str, when: Any) -> Any:
    """v201_tx.handlers with ``action`` answered by a CALLERROR whenever ``when(payload)``."""
    original = v201_tx.handlers

    def handlers(ctx: Any) -> dict[str, Any]:
        table = original(ctx)
        answer = table[action]

        async def refuse(payload: dict[str, Any]) -> Any:
            if when(payload):
                raise OcppError(ErrorKind.INTERNAL_ERROR, "broken on purpose")
            return await answer(payload)

        table[action] = refuse
        return table

    return handlers


async def test_a_csms_answering_meter_values_with_an_error_fails_the_case(
    csms_runner: CaseRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(v201_tx, "handlers", _refusing("MeterValues", lambda p: True))
    result = await csms_runner("TC_J_01_CSMS", timeout=3.0)
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 2: MeterValuesResponse.(message type): expected CALLRESULT, "
        "got CALLERROR InternalError"
    )


async def test_a_csms_refusing_the_ended_event_fails_the_case(
    csms_runner: CaseRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused: list[dict[str, Any]] = []

    def first_ended(payload: dict[str, Any]) -> bool:
        # Once: the station sends it again, and a queue that empties lets it stop at once.
        if payload["eventType"] == "Ended" and not refused:
            refused.append(payload)
            return True
        return False

    monkeypatch.setattr(v201_tx, "handlers", _refusing("TransactionEvent", first_ended))
    # E13: the station sends a refused TransactionEvent again; at once, not a minute later,
    # so its queue is empty when the case stops it.
    monkeypatch.setitem(
        states_charging.GENERAL_PRECONDITIONS,
        "OCPPCommCtrlr/MessageAttemptInterval[TransactionEvent]",
        "0",
    )
    result = await csms_runner("TC_J_10_CSMS", timeout=3.0)
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 1: TransactionEventResponse.(message type): expected CALLRESULT, "
        "got CALLERROR InternalError"
    )
