"""1.6 Core cases in which the Central System asks (clear cache, remote start and
stop, reset, unlock), happy and non-happy: 1.6 test case document §3.3.2, 3.4-3.6,
3.9, 3.10, against the built-in Central System."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.v16_support import (
    assert_fails_naming,
    explain,
    mangle,
    never_send,
    replacing,
)

CASES = [
    "TC_061_CSMS",
    "TC_010_CSMS",
    "TC_011_1_CSMS",
    "TC_011_2_CSMS",
    "TC_012_CSMS",
    "TC_013_CSMS",
    "TC_014_CSMS",
    "TC_017_1_CSMS",
    "TC_017_2_CSMS",
    "TC_018_1_CSMS",
    "TC_026_CSMS",
    "TC_028_CSMS",
    "TC_030_CSMS",
    "TC_031_CSMS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_the_core_remote_case_passes_against_the_built_in_csms(
    csms_runner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict is Verdict.PASS, explain(result)


async def test_a_soft_reset_where_a_hard_one_is_asked_fails_naming_the_type(csms_runner) -> None:
    """1.6 §5.14 / TC_013_CSMS step 1: Reset.req type Hard."""
    mangle(csms_runner, "reset_station", replacing(type="Soft"))
    result = await csms_runner("TC_013_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 1: Reset.req.type", "expected Hard", "got Soft")


async def test_a_remote_stop_of_another_transaction_fails_naming_the_transaction_id(
    csms_runner,
) -> None:
    """1.6 §5.12 / TC_012_CSMS: the request names the running transaction."""
    mangle(csms_runner, "request_stop_transaction", replacing(transactionId=999999))
    result = await csms_runner("TC_012_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 1: RemoteStopTransaction.req.transactionId", "999999")


async def test_an_unlock_of_the_wrong_connector_fails_naming_the_connector_id(csms_runner) -> None:
    mangle(csms_runner, "unlock_connector", replacing(connectorId=2))
    result = await csms_runner("TC_017_1_CSMS", timeout=2.0)
    assert_fails_naming(result, "UnlockConnector.req.connectorId", "expected 1", "got 2")


async def test_a_csms_that_never_sends_the_remote_start_leaves_the_case_inconclusive(
    csms_runner,
) -> None:
    never_send(csms_runner, "request_start_transaction")
    result = await csms_runner("TC_011_1_CSMS", timeout=1.0)
    assert result.verdict is Verdict.INCONCLUSIVE, explain(result)
    assert "RemoteStartTransaction" in result.reason


@pytest.mark.parametrize("case_id", ["TC_017_1_CSMS", "TC_018_1_CSMS", "TC_030_CSMS"])
async def test_a_case_about_a_cable_lock_runs_on_a_socket_outlet_whatever_the_run_template(
    csms_runner, case_id: str
) -> None:
    """1.6 §7.46: a fixed cable has no lock (NotSupported), so these cases use a socket."""
    result = await csms_runner(case_id, station_template="dc-50kw")
    assert result.verdict is Verdict.PASS, explain(result)
