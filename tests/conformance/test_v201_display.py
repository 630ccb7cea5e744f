"""2.0.1 block O (Display Message) against the built-in CSMS: every case passes, and a
CSMS that does the wrong thing fails the case with a reason naming the field, what was
expected and what came (or leaves it inconclusive when it never acts)."""

from __future__ import annotations

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.results import Verdict
from bench.conformance.states_diagnostics import same_instant
from tests.conformance.misbehaving import acknowledge_only

DISPLAY = [c.id for c in cases(sut="csms", version="2.0.1") if c.block == "O"]


def test_every_display_case_of_the_catalogue_is_tested_here():
    assert len(DISPLAY) == 21


@pytest.mark.parametrize("case_id", DISPLAY)
async def test_display_case_passes_against_the_built_in_csms(csms_runner, case_id):
    result = await csms_runner(case_id)
    assert result.verdict == Verdict.PASS, result.reason
    assert any(c.step == 1 for c in result.checks), "the CSMS's request was judged"


async def test_set_display_message_with_another_priority_fails_naming_it(csms_runner):
    # O01: the operator asked for the configured priority NormalCycle.
    result = await csms_runner(
        "TC_O_01_CSMS", faults=["request:SetDisplayMessage:message.priority=InFront"]
    )
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 1: SetDisplayMessageRequest.message.priority: expected NormalCycle, got InFront"
    )


async def test_set_display_message_with_a_bogus_priority_fails_its_schema(csms_runner):
    result = await csms_runner(
        "TC_O_13_CSMS", faults=["request:SetDisplayMessage:message.priority=Bogus"]
    )
    assert result.verdict == Verdict.FAIL
    assert result.reason.startswith("step 1: SetDisplayMessageRequest.(schema): expected valid")
    assert "priority" in result.reason


async def test_message_for_another_transaction_fails_naming_the_transaction(csms_runner):
    # O02: the message is for the running transaction; another id is the CSMS's fault.
    result = await csms_runner(
        "TC_O_06_CSMS", faults=["request:SetDisplayMessage:message.transactionId=other-tx"]
    )
    assert result.verdict == Verdict.FAIL
    assert result.reason.startswith("step 1: SetDisplayMessageRequest.message.transactionId: ")
    assert result.reason.endswith("got other-tx")


async def test_clearing_another_message_fails_naming_the_id(csms_runner):
    # O05: the id of the message the CSMS set (1), not another one.
    result = await csms_runner("TC_O_04_CSMS", faults=["request:ClearDisplayMessage:id=5"])
    assert result.verdict == Verdict.FAIL
    assert result.reason == "step 1: ClearDisplayMessageRequest.id: expected 1, got 5"


async def test_a_filter_the_case_did_not_ask_for_fails(csms_runner):
    # O03: get all messages: no id, priority or state filter.
    result = await csms_runner(
        "TC_O_02_CSMS", faults=["request:GetDisplayMessages:priority=InFront"]
    )
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 1: GetDisplayMessagesRequest.priority: expected absent, got InFront"
    )


async def test_notify_display_messages_answered_with_a_callerror_fails(csms_runner):
    result = await csms_runner(
        "TC_O_07_CSMS", faults=["callerror:NotifyDisplayMessages:InternalError"]
    )
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 4: NotifyDisplayMessagesResponse.(message type): expected CALLRESULT, "
        "got CALLERROR InternalError"
    )


async def test_a_csms_that_never_asks_for_the_messages_is_inconclusive(csms_runner):
    acknowledge_only(csms_runner, "get_display_messages")
    result = await csms_runner("TC_O_03_CSMS", timeout=0.5)
    assert result.verdict == Verdict.INCONCLUSIVE
    assert result.reason == "the CSMS's GetDisplayMessagesRequest did not arrive within 0.5 s"


def test_a_date_time_in_another_iso_spelling_names_the_same_instant():
    # The configured start and end times are compared as instants, not as text.
    start = same_instant("2026-01-01T10:00:00Z")
    assert start("2026-01-01T10:00:00.000Z")
    assert start("2026-01-01T11:00:00+01:00")
    assert not start("2026-01-01T10:00:01Z")
    assert not start("2026-01-01T10:00:00")  # no zone: not an instant


async def test_a_start_time_other_than_the_configured_one_fails_naming_it(csms_runner):
    # O01.FR.05: the message is to show from the configured startDateTime.
    result = await csms_runner(
        "TC_O_13_CSMS",
        faults=["request:SetDisplayMessage:message.startDateTime=2020-01-01T00:00:00Z"],
    )
    assert result.verdict == Verdict.FAIL
    assert result.reason.startswith("step 1: SetDisplayMessageRequest.message.startDateTime: ")
    assert result.reason.endswith("got 2020-01-01T00:00:00Z")
