"""2.0.1 block N (Diagnostics) against the built-in CSMS: every case passes (or is not
applicable for an undeclared optional feature), and a CSMS that does the wrong thing
fails the case with a reason naming the field, what was expected and what came."""

from __future__ import annotations

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.results import Verdict
from tests.conformance.misbehaving import acknowledge_only

MONITORING = [
    "TC_N_01_CSMS",  # N02.FR.05/10: criteria, EmptyResultSet
    "TC_N_02_CSMS",  # N02.FR.05/10: component/variable
    "TC_N_03_CSMS",
    "TC_N_60_CSMS",
    "TC_N_47_CSMS",  # N02.FR.01: report all
    "TC_N_05_CSMS",  # N03.FR.03-05
    "TC_N_08_CSMS",  # N04.FR.01/02/17
    "TC_N_09_CSMS",
    "TC_N_16_CSMS",  # N05.FR.01
    "TC_N_17_CSMS",  # N05.FR.02
    "TC_N_18_CSMS",  # N06.FR.04
    "TC_N_44_CSMS",  # N06.FR.03
    "TC_N_24_CSMS",  # N08.FR.02
    "TC_N_48_CSMS",  # N07.FR.10
    "TC_N_49_CSMS",  # N07.FR.14
    "TC_N_50_CSMS",
]
LOGS_AND_CUSTOMERS = [
    "TC_N_25_CSMS",  # N01: DiagnosticsLog uploaded
    "TC_N_34_CSMS",  # N01: Rejected
    "TC_N_35_CSMS",  # N01.FR.03: SecurityLog uploaded
    "TC_N_36_CSMS",  # N01.FR.12/20: a second request cancels the first upload
    "TC_N_27_CSMS",  # N09.FR.01/04
    "TC_N_28_CSMS",
    "TC_N_29_CSMS",
    "TC_N_30_CSMS",  # N10.FR.08
    "TC_N_31_CSMS",
    "TC_N_32_CSMS",
    "TC_N_46_CSMS",  # N10.FR.02, D01: the local list follows a cleared customer
]
OPTIONAL = {
    "TC_N_62_CSMS": "CustomerIdentifier",  # part 5 C-14
    "TC_N_63_CSMS": "CustomerCertificate",  # part 5 ISO-4
}


def test_every_diagnostics_case_of_the_catalogue_is_tested_here():
    block = {c.id for c in cases(sut="csms", version="2.0.1") if c.block == "N"}
    assert block == set(MONITORING + LOGS_AND_CUSTOMERS) | set(OPTIONAL)


@pytest.mark.parametrize("case_id", MONITORING + LOGS_AND_CUSTOMERS)
async def test_diagnostics_case_passes_against_the_built_in_csms(csms_runner, case_id):
    result = await csms_runner(case_id)
    assert result.verdict == Verdict.PASS, result.reason
    assert any(c.step is not None for c in result.checks), "a case step was judged"


@pytest.mark.parametrize("case_id", sorted(OPTIONAL))
async def test_optional_customer_reference_passes_when_the_csms_declares_it(csms_runner, case_id):
    result = await csms_runner(case_id, features=frozenset({OPTIONAL[case_id]}))
    assert result.verdict == Verdict.PASS, result.reason


@pytest.mark.parametrize("case_id", sorted(OPTIONAL))
async def test_optional_customer_reference_is_not_applicable_when_undeclared(csms_runner, case_id):
    result = await csms_runner(case_id)
    assert result.verdict == Verdict.NOT_APPLICABLE
    assert OPTIONAL[case_id] in result.reason


async def test_get_log_for_the_wrong_log_type_fails_naming_log_type(csms_runner):
    result = await csms_runner("TC_N_25_CSMS", faults=["request:GetLog:logType=SecurityLog"])
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 1: GetLogRequest.logType: expected DiagnosticsLog, got SecurityLog"
    )


async def test_monitor_with_the_wrong_severity_fails_naming_the_severity(csms_runner):
    # N04: the operator asked for severity 8.
    result = await csms_runner(
        "TC_N_08_CSMS", faults=["request:SetVariableMonitoring:setMonitoringData.0.severity=4"]
    )
    assert result.verdict == Verdict.FAIL
    assert "setMonitoringData[0].severity: expected 8, got 4" in result.reason


async def test_notify_event_answered_with_a_callerror_fails(csms_runner):
    # N08.FR.02: the CSMS answers a NotifyEvent with an (empty) NotifyEventResponse.
    result = await csms_runner("TC_N_24_CSMS", faults=["callerror:NotifyEvent:InternalError"])
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 2: NotifyEventResponse.(message type): expected CALLRESULT, "
        "got CALLERROR InternalError"
    )


async def test_notify_event_answered_with_content_fails_the_empty_body(csms_runner):
    result = await csms_runner("TC_N_50_CSMS", faults=["reply:NotifyEvent:status=Accepted"])
    assert result.verdict == Verdict.FAIL
    assert result.reason.startswith("step 2: NotifyEventResponse.")


async def test_customer_information_without_the_id_token_fails(csms_runner):
    result = await csms_runner("TC_N_28_CSMS", faults=["drop:CustomerInformation:idToken"])
    assert result.verdict == Verdict.FAIL
    assert "CustomerInformationRequest" in result.reason


async def test_clearing_more_monitors_than_allowed_in_one_request_fails(csms_runner):
    # N06.FR.04: a CSMS that does not split the ids sends all 21 in one request (the
    # built-in CSMS splits them; the fault puts every id back into its first request).
    every_id = list(range(1, 22))
    result = await csms_runner(
        "TC_N_18_CSMS", faults=[f"request:ClearVariableMonitoring:id={every_id}"], timeout=2.0
    )
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 3: ClearVariableMonitoringRequest.id (request 1): expected at most 20 ids "
        "(ItemsPerMessage), got 21 ids"
    )


async def test_a_csms_that_never_sends_the_request_is_inconclusive(csms_runner):
    acknowledge_only(csms_runner, "set_monitoring_level")
    result = await csms_runner("TC_N_16_CSMS", timeout=0.5)
    assert result.verdict == Verdict.INCONCLUSIVE
    assert result.reason == "the CSMS's SetMonitoringLevelRequest did not arrive within 0.5 s"
