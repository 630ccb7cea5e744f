"""2.0.1 block E (Transactions) against the built-in CSMS, played by the bench's real station.

The station's TxStartPoint/TxStopPoint are what §3.1 and each case say; its own
TransactionEvents (start and stop options, offline queue, seqNo per transaction) must
each get a valid TransactionEventResponse. A CSMS that answers an event with a
CALLERROR, stops another transaction or leaves the transactionId out fails the case.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bench.conformance.manual import ManualOutcome, ManualRequest
from bench.conformance.results import Verdict
from bench.csms import v201_tx
from bench.ocpp.errors import ErrorKind, OcppError
from tests.conformance.conftest import CaseRunner, DirectPrompter, csms_of

CASES = [
    "TC_E_01_CSMS",
    "TC_E_02_CSMS",
    "TC_E_03_CSMS",
    "TC_E_04_CSMS",
    "TC_E_39_CSMS",
    "TC_E_14_CSMS",
    "TC_E_20_CSMS",
    "TC_E_15_CSMS",
    "TC_E_21_CSMS",
    "TC_E_09_CSMS",
    "TC_E_10_CSMS",
    "TC_E_11_CSMS",
    "TC_E_12_CSMS",
    "TC_E_38_CSMS",
    "TC_E_07_CSMS",
    "TC_E_08_CSMS",
    "TC_E_16_CSMS",
    "TC_E_17_CSMS",
    "TC_E_22_CSMS",
    "TC_E_19_CSMS",
    "TC_E_26_CSMS",
    "TC_E_29_CSMS",
    "TC_E_30_CSMS",
    "TC_E_31_CSMS",
    "TC_E_33_CSMS",
    "TC_E_34_CSMS",
    "TC_E_53_CSMS",
]


def sent(result: Any, action: str, kind: str = "CALL") -> list[dict[str, Any]]:
    return [
        f["payload"]
        for f in result.frames
        if f["direction"] == "tx" and f["type"] == kind and f["action"] == action
    ]


@pytest.mark.parametrize("case_id", CASES)
async def test_the_built_in_csms_passes_the_transaction_cases(
    csms_runner: CaseRunner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict == Verdict.PASS, f"{result.reason} {failed}"
    assert result.checks and all(c.ok for c in result.checks)


async def test_the_station_runs_under_the_general_pre_conditions_unless_a_case_says_otherwise(
    csms_runner: CaseRunner,
) -> None:
    """§3.1: TxStartPoint EVConnected,Authorized: the card starts it (E04's order), the
    plug-in is an Updated CablePluggedIn; TC_E_12 sets ParkingBayOccupancy instead."""
    general = await csms_runner("TC_E_04_CSMS")
    events = sent(general, "TransactionEvent")
    assert [(e["eventType"], e["triggerReason"]) for e in events[:2]] == [
        ("Started", "Authorized"),
        ("Updated", "CablePluggedIn"),
    ]
    assert len(sent(general, "Authorize")) == 1  # EnergyTransferStarted did not show it again
    bay = await csms_runner("TC_E_12_CSMS")
    assert sent(bay, "TransactionEvent")[0]["triggerReason"] == "EVDetected"


async def test_a_new_transaction_starts_again_at_seq_no_0(csms_runner: CaseRunner) -> None:
    """E01.FR.07, TC_E_53: two transactions, each Started with seqNo 0, both answered."""
    result = await csms_runner("TC_E_53_CSMS")
    started = [e for e in sent(result, "TransactionEvent") if e["eventType"] == "Started"]
    assert [e["seqNo"] for e in started] == [0, 0]
    assert len({e["transactionInfo"]["transactionId"] for e in started}) == 2


async def test_the_offline_cases_queue_events_and_deliver_them_flagged_offline(
    csms_runner: CaseRunner,
) -> None:
    """E04.FR.03, TC_E_16: the Started event made offline arrives with offline true; the
    CSMS's Invalid ends the transaction with Deauthorized/DeAuthorized (E05.FR.10)."""
    result = await csms_runner("TC_E_16_CSMS")
    started, ended = sent(result, "TransactionEvent")
    assert started["offline"] is True and started["idToken"]["idToken"] == "UNKNOWN-TAG"
    assert ended["triggerReason"] == "Deauthorized"
    assert ended["transactionInfo"]["stoppedReason"] == "DeAuthorized"


async def test_the_out_of_order_events_of_tc_e_31_skip_two_seq_nos_then_fill_them(
    csms_runner: CaseRunner,
) -> None:
    result = await csms_runner("TC_E_31_CSMS")
    seqs = [e["seqNo"] for e in sent(result, "TransactionEvent")]
    first = seqs.index(max(seqs))  # the Ended event, sent before the two it skipped
    assert seqs[first:] == [seqs[first], seqs[first] - 2, seqs[first] - 1]
    assert sent(result, "GetTransactionStatus", "CALLRESULT") == [
        {"ongoingIndicator": False, "messagesInQueue": True}
    ]


class WrongTransactionCsms(DirectPrompter):
    """Asks the station to stop a transaction that is not the running one."""

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        if request.key == "request_stop_transaction":
            wrong = {"transactionId": "not-the-running-one"}
            request = dataclasses.replace(request, params={**request.params, "request": wrong})
        return await super().perform(request)


async def test_a_csms_that_stops_another_transaction_fails(csms_runner: CaseRunner) -> None:
    """F03.FR.01, TC_E_21: the RequestStopTransactionRequest names the running transaction."""
    result = await csms_runner("TC_E_21_CSMS", via=WrongTransactionCsms(csms_of(csms_runner)))
    assert result.verdict == Verdict.FAIL
    running = sent(result, "TransactionEvent")[0]["transactionInfo"]["transactionId"]
    assert result.reason == (
        f"step 1: RequestStopTransactionRequest.transactionId: expected {running}, "
        "got not-the-running-one"
    )


class NoTransactionIdCsms(DirectPrompter):
    """Leaves the transactionId out of GetTransactionStatusRequest."""

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        if request.key == "get_transaction_status":
            request = dataclasses.replace(request, params={**request.params, "request": {}})
        return await super().perform(request)


async def test_a_transaction_status_request_without_the_id_fails(
    csms_runner: CaseRunner,
) -> None:
    """E14.FR.02, TC_E_30: the CSMS asks about the transaction by its id."""
    result = await csms_runner("TC_E_30_CSMS", via=NoTransactionIdCsms(csms_of(csms_runner)))
    assert result.verdict == Verdict.FAIL
    running = sent(result, "TransactionEvent")[0]["transactionInfo"]["transactionId"]
    assert result.reason == (
        f"step 1: GetTransactionStatusRequest.transactionId: expected {running}, got (absent)"
    )


async def test_a_csms_that_answers_transaction_events_with_an_error_fails(
    csms_runner: CaseRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TC_E_09 step 4: "The CSMS responds with a TransactionEventResponse"."""
    original = v201_tx.handlers

    def failing(ctx: Any) -> dict[str, Any]:
        table = original(ctx)

        async def transaction_event(payload: dict[str, Any]) -> dict[str, Any]:
            raise OcppError(ErrorKind.INTERNAL_ERROR, "broken on purpose")

        return {**table, "TransactionEvent": transaction_event}

    monkeypatch.setattr(v201_tx, "handlers", failing)
    result = await csms_runner("TC_E_09_CSMS")
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 4: TransactionEventResponse.(reply): expected a valid CALLRESULT, "
        "got CALLERROR InternalError"
    )
