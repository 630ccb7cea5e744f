"""2.0.1 blocks C (Authorization) and D (Local Authorization List) against the built-in CSMS.

Every scenario is played by the bench's real station against a real built-in CSMS on
127.0.0.1; manual actions are done by the ``DirectPrompter`` (``configure_id_token`` tells
the CSMS a token's status and group, ``send_local_list`` and the other requests are
sent by the CSMS as the case names them). Then a CSMS that does one thing wrong turns
the case to fail (or inconclusive when it never acts), with a reason naming the field.
"""

from __future__ import annotations

import dataclasses

import pytest

from bench.conformance.manual import ManualOutcome, ManualRequest
from bench.conformance.results import CaseResult, Verdict
from bench.csms.config import TagEntry
from tests.conformance.conftest import CaseRunner, DirectPrompter, csms_of, prompter_of

PASSING = [
    "TC_C_02_CSMS",
    "TC_C_06_CSMS",
    "TC_C_07_CSMS",
    "TC_C_08_CSMS",
    "TC_C_20_CSMS",
    "TC_C_37_CSMS",
    "TC_C_38_CSMS",
    "TC_C_39_CSMS",
    "TC_C_40_CSMS",
    "TC_C_43_CSMS",
    "TC_C_47_CSMS",
    "TC_C_48_CSMS",
    "TC_C_49_CSMS",
    "TC_D_01_CSMS",
    "TC_D_02_CSMS",
    "TC_D_03_CSMS",
    "TC_D_04_CSMS",
    "TC_D_08_CSMS",
    "TC_D_09_CSMS",
]
# C07 online contract validation needs the CSMS to declare it (ISO 15118 support profile).
NOT_APPLICABLE = ["TC_C_50_CSMS", "TC_C_51_CSMS", "TC_C_52_CSMS"]


def failed_fields(result: CaseResult) -> list[str]:
    return [f"step {c.step}: {c.message}.{c.field}" for c in result.checks if not c.ok]


@pytest.mark.parametrize("case_id", PASSING)
async def test_the_built_in_csms_passes_the_authorization_and_local_list_cases(
    csms_runner: CaseRunner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict == Verdict.PASS, f"{result.reason}: {failed_fields(result)}"
    assert result.checks and all(c.ok for c in result.checks)


@pytest.mark.parametrize("case_id", NOT_APPLICABLE)
async def test_contract_certificate_cases_are_not_applicable_unless_the_csms_declares_them(
    csms_runner: CaseRunner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict == Verdict.NOT_APPLICABLE
    assert "ISO15118ContractCertificates" in result.reason
    assert result.frames == []  # decided before the station even starts


async def test_the_group_cases_tell_the_csms_both_tokens_and_their_group(
    csms_runner: CaseRunner,
) -> None:
    """C09 memory state: what the manual action ``configure_id_token`` asked for."""
    await csms_runner("TC_C_39_CSMS")
    asked = [r.params for r in prompter_of(csms_runner).requests if r.key == "configure_id_token"]
    assert [(p["id_token"], p["status"], p["group"]) for p in asked] == [
        ("TAG1", "Accepted", "BENCH-GROUP"),
        ("BENCH-VALID-2", "Accepted", "BENCH-GROUP"),
    ]


class UngroupedCsms(DirectPrompter):
    """Sets the tokens the case asks for, but never their group."""

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        if request.key == "configure_id_token":
            params = {**request.params, "group": None}
            request = dataclasses.replace(request, params=params)
        return await super().perform(request)


async def test_a_csms_that_leaves_out_the_group_id_token_fails_the_group_case(
    csms_runner: CaseRunner,
) -> None:
    """C09.FR.02/03, E01.FR.12: the groupIdToken belongs in the AuthorizeResponse."""
    result = await csms_runner("TC_C_39_CSMS", via=UngroupedCsms(csms_of(csms_runner)))
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 2: AuthorizeResponse.idTokenInfo.groupIdToken.idToken: "
        "expected BENCH-GROUP, got (absent)"
    )


async def test_a_csms_that_accepts_unknown_tokens_fails_the_invalid_token_case(
    csms_runner: CaseRunner,
) -> None:
    """C01.FR.07 / C06.FR.04: an unknown idToken must not be Accepted."""
    csms_of(csms_runner).config.accept_unknown_tags = True
    result = await csms_runner("TC_C_02_CSMS")
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 2: AuthorizeResponse.idTokenInfo.status: expected one of Invalid, Unknown, "
        "got Accepted"
    )


async def test_a_csms_that_does_not_know_the_master_pass_group_fails_the_master_pass_case(
    csms_runner: CaseRunner,
) -> None:
    """C16: without the group the station cannot tell a Master Pass; the case stops there."""
    result = await csms_runner("TC_C_49_CSMS", via=UngroupedCsms(csms_of(csms_runner)))
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 2: AuthorizeResponse.idTokenInfo.groupIdToken.idToken: "
        "expected BENCH-MASTERPASS, got (absent)"
    )


class DifferentialCsms(DirectPrompter):
    """Sends every Local Authorization List as a Differential update."""

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        if request.key == "send_local_list":
            sent = {**request.params["request"], "updateType": "Differential"}
            request = dataclasses.replace(request, params={**request.params, "request": sent})
        return await super().perform(request)


async def test_a_csms_that_sends_a_differential_list_for_a_full_one_fails(
    csms_runner: CaseRunner,
) -> None:
    """D01.FR.01: TC_D_01 wants updateType Full."""
    result = await csms_runner("TC_D_01_CSMS", via=DifferentialCsms(csms_of(csms_runner)))
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 3: SendLocalListRequest.updateType: expected Full, got Differential"
    )


class BareListCsms(DirectPrompter):
    """Sends the Full list with the entries' idTokenInfo left out."""

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        if request.key == "send_local_list":
            sent = dict(request.params["request"])
            sent["localAuthorizationList"] = [
                {"idToken": e["idToken"]} for e in sent["localAuthorizationList"]
            ]
            request = dataclasses.replace(request, params={**request.params, "request": sent})
        return await super().perform(request)


async def test_a_full_list_without_id_token_info_fails(csms_runner: CaseRunner) -> None:
    """Errata 2025-04 for TC_D_01: every entry of a Full list carries idTokenInfo."""
    result = await csms_runner("TC_D_01_CSMS", via=BareListCsms(csms_of(csms_runner)))
    assert result.verdict == Verdict.FAIL
    assert result.reason.startswith(
        "step 3: SendLocalListRequest.localAuthorizationList: expected every entry with "
        "idTokenInfo, got ["
    )


class SilentCsms(DirectPrompter):
    """Says every manual action was done and sends nothing."""

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        self.requests.append(request)
        return ManualOutcome(True, "adapter", "done (nothing sent)")


async def test_a_csms_that_never_asks_for_the_list_version_is_inconclusive(
    csms_runner: CaseRunner,
) -> None:
    result = await csms_runner(
        "TC_D_09_CSMS",
        via=SilentCsms(csms_of(csms_runner)),
        timeout=1.0,
    )
    assert result.verdict == Verdict.INCONCLUSIVE
    assert result.reason == "the CSMS's GetLocalListVersionRequest did not arrive within 1 s"


async def test_a_blocked_token_the_csms_calls_accepted_fails(csms_runner: CaseRunner) -> None:
    """C01.FR.07: the CSMS's tag list says Blocked, its answer must not be Accepted."""

    class AcceptingCsms(DirectPrompter):
        async def perform(self, request: ManualRequest) -> ManualOutcome:
            if request.key == "configure_id_token":
                self.csms.config.tags[request.params["id_token"]] = TagEntry("Accepted")
                return ManualOutcome(True, "adapter", "set (as Accepted)")
            return await super().perform(request)

    result = await csms_runner("TC_C_06_CSMS", via=AcceptingCsms(csms_of(csms_runner)))
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 2: AuthorizeResponse.idTokenInfo.status: expected one of Blocked, Invalid, "
        "got Accepted"
    )
