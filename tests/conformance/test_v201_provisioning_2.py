"""Block B (Provisioning) CSMS cases of ``v201_b_provisioning_2`` against the built-in CSMS."""

from __future__ import annotations

import pytest

from tests.conformance.tampering import never, tamper

FEATURES = frozenset({"C-45", "C-13"})
B_CASES = [
    "TC_B_07_CSMS",
    "TC_B_08_CSMS",
    "TC_B_18_CSMS",
    "TC_B_21_CSMS",
    "TC_B_22_CSMS",
    "TC_B_25_CSMS",
    "TC_B_26_CSMS",
    "TC_B_27_CSMS",
    "TC_B_42_CSMS",
    "TC_B_44_CSMS",
]


@pytest.mark.parametrize("case_id", B_CASES)
async def test_provisioning_case_passes_against_the_built_in_csms(csms_runner, case_id) -> None:
    result = await csms_runner(case_id, features=FEATURES)
    assert result.verdict == "pass", (result.reason, [c.describe() for c in result.checks])


async def test_a_reset_of_the_whole_station_fails_the_evse_reset_case(csms_runner) -> None:
    """TC_B_25: a CSMS that leaves evseId out resets the whole station, not the EVSE."""

    def whole_station(request: dict) -> dict:
        del request["evseId"]
        return request

    tamper(csms_runner, "reset_evse", whole_station)
    result = await csms_runner("TC_B_25_CSMS", features=FEATURES)
    assert result.verdict == "fail"
    assert result.reason == "step 1: ResetRequest.evseId: expected 1, got (absent)"


async def test_a_network_profile_for_another_ocpp_version_fails_the_case(csms_runner) -> None:
    """TC_B_42: connectionData.ocppVersion must be OCPP20."""

    def ocpp16(request: dict) -> dict:
        request["connectionData"]["ocppVersion"] = "OCPP16"
        return request

    tamper(csms_runner, "set_network_profile", ocpp16)
    result = await csms_runner("TC_B_42_CSMS")
    assert result.verdict == "fail"
    assert result.reason == (
        "step 1: SetNetworkProfileRequest.connectionData.ocppVersion: expected OCPP20, got OCPP16"
    )


async def test_more_variables_than_the_station_allows_in_one_request_fail_the_case(
    csms_runner,
) -> None:
    """TC_B_08 (B06.FR.05): a CSMS that forgot the reported limit sends all five at once."""

    class Forgetful(dict):
        def __setitem__(self, key: str, value: int) -> None:
            pass  # the CSMS is told the limit and keeps nothing

    csms_runner.csms._state("BENCH-CONFORMANCE").items_per_message = Forgetful()
    result = await csms_runner("TC_B_08_CSMS")
    assert result.verdict == "fail"
    assert result.reason == (
        "step 1: GetVariablesRequest.(messages): expected one request of 4 items and one of 1 "
        "(any order), got one of 5"
    )


async def test_a_csms_that_never_sends_the_reset_is_inconclusive(csms_runner) -> None:
    tamper(csms_runner, "reset_station", never)
    result = await csms_runner("TC_B_21_CSMS", timeout=1.0)
    assert result.verdict == "inconclusive"
    assert result.reason == "the CSMS's ResetRequest did not arrive within 1 s"


@pytest.mark.parametrize(
    ("case_id", "feature"),
    [
        ("TC_B_07_CSMS", "C-45"),
        ("TC_B_25_CSMS", "C-13"),
        ("TC_B_26_CSMS", "C-13"),
        ("TC_B_27_CSMS", "C-13"),
    ],
)
async def test_a_case_of_an_optional_feature_not_declared_is_not_applicable(
    csms_runner, case_id, feature
) -> None:
    """Part 5 table 3 (C-45, C-13): optional CSMS features the operator did not declare."""
    result = await csms_runner(case_id)
    assert result.verdict == "not applicable"
    assert result.reason == f"the CSMS does not declare the optional feature {feature}"
