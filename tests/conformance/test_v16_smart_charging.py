"""1.6 Smart Charging cases (1.6 test case document §3.19) against the built-in Central System."""

from __future__ import annotations

from typing import Any

import pytest

from bench.conformance.results import Verdict
from tests.conformance.v16_support import assert_fails_naming, explain, mangle


@pytest.mark.parametrize(
    "case_id", ["TC_056_CSMS", "TC_057_CSMS", "TC_066_CSMS", "TC_067_CSMS", "TC_059_CSMS"]
)
async def test_the_smart_charging_case_passes_against_the_built_in_csms(
    csms_runner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict is Verdict.PASS, explain(result)


async def test_a_default_profile_with_another_limit_fails_naming_the_period_limit(
    csms_runner,
) -> None:
    """TC_056_CSMS step 1: chargingSchedulePeriod.limit 6.0 or 6000.0."""

    def ten_amps(request: dict[str, Any]) -> dict[str, Any]:
        request["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = (
            10.0
        )
        return request

    mangle(csms_runner, "set_charging_profile", ten_amps)
    result = await csms_runner("TC_056_CSMS", timeout=2.0)
    assert_fails_naming(result, "chargingSchedulePeriod[0].limit", "one of 6.0, 6000.0", "10.0")


async def test_a_clear_by_id_that_also_names_the_connector_fails_naming_the_field(
    csms_runner,
) -> None:
    """TC_067_CSMS step 3: connectorId, chargingProfilePurpose and stackLevel omitted."""

    def with_connector(request: dict[str, Any]) -> dict[str, Any]:
        return {**request, "connectorId": 1} if "id" in request else request

    mangle(csms_runner, "clear_charging_profile", with_connector)
    result = await csms_runner("TC_067_CSMS", timeout=2.0)
    assert_fails_naming(
        result, "step 3: ClearChargingProfile.req.connectorId", "expected absent", "got 1"
    )


async def test_a_remote_start_profile_with_a_transaction_id_fails_naming_it(csms_runner) -> None:
    """1.6 §5.11 / TC_059_CSMS step 1: chargingProfile.transactionId omitted."""

    def with_transaction(request: dict[str, Any]) -> dict[str, Any]:
        request["chargingProfile"] = {**request["chargingProfile"], "transactionId": 7}
        return request

    mangle(csms_runner, "request_start_transaction", with_transaction)
    result = await csms_runner("TC_059_CSMS", timeout=2.0)
    assert_fails_naming(
        result, "step 1: RemoteStartTransaction.req.chargingProfile.transactionId", "absent"
    )
