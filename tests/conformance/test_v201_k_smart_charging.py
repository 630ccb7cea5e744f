"""Block K (SmartCharging) CSMS cases of 2.0.1 part 6 §3.12, played against the built-in CSMS.

Every case passes against the built-in CSMS (its manual actions done in-process by
``DirectPrompter``), and a CSMS that sends a wrong or incomplete request, breaks a
§3.1 general rule, or never sends the request turns the case to fail or inconclusive
with a reason that names the field, the expected and the actual value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.manual import ManualOutcome, ManualRequest
from bench.conformance.results import CaseResult, Verdict

# Every CSMS case of block K in the catalogue (part 6 §3.12).
K_CASES = [c.id for c in cases(sut="csms", version="2.0.1") if c.block == "K"]
# What the built-in CSMS can do that part 5 / the cases make optional.
BUILTIN_FEATURES = frozenset({"TxDefaultProfileOnEvse0", "TxProfileWithoutTransaction"})


def _explained(result: CaseResult) -> str:
    failed = [c.describe() for c in result.checks if not c.ok]
    return f"{result.verdict.value}: {result.reason} {failed}"


def test_every_csms_case_of_block_k_has_a_scenario() -> None:
    from bench.conformance.scenarios import all_scenarios

    assert len(K_CASES) == 32  # part 6 §3.12: TC_K_01_CSMS .. TC_K_70_CSMS
    missing = [case_id for case_id in K_CASES if case_id not in all_scenarios()]
    assert missing == []


@pytest.mark.parametrize("case_id", K_CASES)
async def test_the_built_in_csms_passes_the_smart_charging_case(csms_runner, case_id) -> None:
    result = await csms_runner(case_id, features=BUILTIN_FEATURES)

    assert result.verdict is Verdict.PASS, _explained(result)
    assert result.checks, "a case that checks nothing proves nothing"


@pytest.mark.parametrize(
    ("case_id", "feature"),
    [("TC_K_10_CSMS", "TxDefaultProfileOnEvse0"), ("TC_K_02_CSMS", "TxProfileWithoutTransaction")],
)
async def test_a_conditional_case_is_not_applicable_without_its_declared_feature(
    csms_runner, case_id, feature
) -> None:
    # Part 5 §4.5: TC_K_10 needs SC-4; TC_K_02's prerequisite is a CSMS that sends a
    # TxProfile without a transaction.
    result = await csms_runner(case_id)

    assert result.verdict is Verdict.NOT_APPLICABLE
    assert feature in result.reason


# ------------------------------------------------------------------ a CSMS that gets it wrong
def _sending(
    csms_runner, key: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]
) -> None:
    """Make the CSMS send ``change(request)`` for manual action ``key`` (None: nothing)."""
    prompter = csms_runner.prompter
    perform = prompter.perform

    async def wrong(request: ManualRequest) -> ManualOutcome:
        if request.key != key:
            return await perform(request)
        changed = change(dict(request.params["request"]))
        if changed is None:
            return ManualOutcome(True, "adapter", "done, but the CSMS sent nothing")
        return await perform(replace(request, params={**request.params, "request": changed}))

    prompter.perform = wrong


def _schedule(request: dict[str, Any]) -> dict[str, Any]:
    return request["chargingProfile"]["chargingSchedule"][0]


def _failed(result: CaseResult) -> list[str]:
    return [c.describe() for c in result.checks if not c.ok]


async def test_a_tx_default_profile_with_the_wrong_limit_fails_k01_naming_the_limit(
    csms_runner,
) -> None:
    def seven_amps(request: dict[str, Any]) -> dict[str, Any]:
        _schedule(request)["chargingSchedulePeriod"][0]["limit"] = 7.0
        return request

    _sending(csms_runner, "set_charging_profile", seven_amps)

    result = await csms_runner("TC_K_01_CSMS")

    assert result.verdict is Verdict.FAIL
    assert "chargingSchedulePeriod[0].limit" in result.reason
    assert "6.0 or 6000.0" in result.reason
    assert "7.0" in result.reason


async def test_a_tx_profile_without_its_transaction_id_fails_k60(csms_runner) -> None:
    # K01.FR.03: the CSMS includes the transactionId in a TxProfile.
    def no_transaction(request: dict[str, Any]) -> dict[str, Any]:
        del request["chargingProfile"]["transactionId"]
        return request

    _sending(csms_runner, "set_charging_profile", no_transaction)

    result = await csms_runner("TC_K_60_CSMS")

    assert result.verdict is Verdict.FAIL
    assert "chargingProfile.transactionId" in result.reason
    assert "(absent)" in result.reason


async def test_schedule_periods_out_of_order_fail_the_general_rule_of_section_3_1(
    csms_runner,
) -> None:
    # Part 6 §3.1, K01.FR.35: periods ordered by increasing startPeriod.
    def reversed_periods(request: dict[str, Any]) -> dict[str, Any]:
        schedule = _schedule(request)
        schedule["chargingSchedulePeriod"] = [
            {"startPeriod": 1800, "limit": 6.0, "numberPhases": 3},
            {"startPeriod": 0, "limit": 6.0, "numberPhases": 3},
        ]
        return request

    _sending(csms_runner, "set_charging_profile", reversed_periods)

    result = await csms_runner("TC_K_01_CSMS")

    assert result.verdict is Verdict.FAIL
    failed = _failed(result)
    assert any(
        "ordered by increasing startPeriod" in line and "[1800, 0]" in line for line in failed
    ), failed


async def test_phase_to_use_with_three_phases_fails_the_general_rule_of_section_3_1(
    csms_runner,
) -> None:
    # Part 6 §3.1, K01.FR.19: no phaseToUse unless numberPhases is 1.
    def phase_to_use(request: dict[str, Any]) -> dict[str, Any]:
        _schedule(request)["chargingSchedulePeriod"][0]["phaseToUse"] = 2
        return request

    _sending(csms_runner, "set_charging_profile", phase_to_use)

    result = await csms_runner("TC_K_03_CSMS")

    assert result.verdict is Verdict.FAIL
    assert "phaseToUse" in result.reason
    assert "numberPhases 3" in result.reason


async def test_clearing_by_id_with_criteria_as_well_fails_k05(csms_runner) -> None:
    def with_criteria(request: dict[str, Any]) -> dict[str, Any]:
        request["chargingProfileCriteria"] = {"chargingProfilePurpose": "TxDefaultProfile"}
        return request

    _sending(csms_runner, "clear_charging_profile", with_criteria)

    result = await csms_runner("TC_K_05_CSMS")

    assert result.verdict is Verdict.FAIL
    assert "chargingProfileCriteria" in result.reason
    assert "expected absent" in result.reason


async def test_get_charging_profiles_for_the_wrong_evse_fails_k30(csms_runner) -> None:
    def evse_zero(request: dict[str, Any]) -> dict[str, Any]:
        request["evseId"] = 0
        return request

    _sending(csms_runner, "get_charging_profiles", evse_zero)

    result = await csms_runner("TC_K_30_CSMS")

    assert result.verdict is Verdict.FAIL
    assert "evseId" in result.reason


async def test_a_tx_profile_for_another_transaction_stops_the_iso_15118_case(
    csms_runner,
) -> None:
    # §3.18 ISO15118SmartCharging step 3: transactionId <Provided transactionId from before>.
    def other_transaction(request: dict[str, Any]) -> dict[str, Any]:
        request["chargingProfile"]["transactionId"] = "another-transaction"
        return request

    _sending(csms_runner, "set_charging_profile", other_transaction)

    result = await csms_runner("TC_K_53_CSMS")

    assert result.verdict is Verdict.FAIL
    assert "chargingProfile.transactionId" in result.reason
    assert "another-transaction" in result.reason
    # The conforming station refused it (K01.FR.33), so the EV never got a schedule.
    assert any("TxNotFound" in line for line in _failed(result)), _failed(result)


async def test_a_composite_schedule_request_that_never_comes_is_inconclusive(
    csms_runner,
) -> None:
    _sending(csms_runner, "get_composite_schedule", lambda request: None)

    result = await csms_runner("TC_K_43_CSMS", timeout=1.0)

    assert result.verdict is Verdict.INCONCLUSIVE
    assert "GetCompositeScheduleRequest" in result.reason
    assert "did not arrive" in result.reason


async def test_a_profile_the_csms_sends_unasked_is_held_to_the_general_rules_too(
    csms_runner,
) -> None:
    # Part 6 §3.1 applies to every SetChargingProfileRequest, not only the case's own.
    prompter = csms_runner.prompter
    perform = prompter.perform

    async def with_an_extra_profile(request: ManualRequest) -> ManualOutcome:
        if request.key == "get_composite_schedule":
            period = {"startPeriod": 0, "limit": 6.0, "numberPhases": 3, "phaseToUse": 1}
            schedule = {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [period]}
            extra = {
                "evseId": 1,
                "chargingProfile": {
                    "id": 7,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Relative",
                    "chargingSchedule": [schedule],
                },
            }
            params = {**request.params, "action": "SetChargingProfile", "request": extra}
            await perform(replace(request, key="set_charging_profile", params=params))
        return await perform(request)

    prompter.perform = with_an_extra_profile

    result = await csms_runner("TC_K_43_CSMS")

    assert result.verdict is Verdict.FAIL
    assert "SetChargingProfileRequest (sent unasked)" in result.reason
    assert "phaseToUse" in result.reason
