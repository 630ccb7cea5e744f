"""How a case's end becomes its verdict, against the real built-in CSMS on 127.0.0.1.

The cases are built by hand here (the catalogue's data has its own tests), so
these tests say what the runner does whatever the documents hold.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.case_run import CaseSettings
from bench.conformance.catalogue import Case
from bench.conformance.manual import ManualOutcome, ManualRequest, NoPrompter
from bench.conformance.results import SystemUnderTest, Verdict
from bench.conformance.runner import CaseFinished, CaseStarted, RunStarted, run_case, run_cases
from bench.csms.config import CsmsConfig
from bench.csms.server import CentralSystem
from tests.conformance.conftest import DirectPrompter


def _case(case_id: str) -> Case:
    return Case(case_id, case_id, "2.0.1", "csms", case_id.split("_")[1], "")


def _settings(csms: CentralSystem, **values: Any) -> CaseSettings:
    return CaseSettings(csms_url=csms.url, version="2.0.1", **{"timeout": 10.0, **values})


class WrongRequest(DirectPrompter):
    """A CSMS that sends the request with one field changed (what a buggy CSMS does)."""

    def __init__(self, csms: CentralSystem, path: tuple[str, ...], value: Any) -> None:
        super().__init__(csms)
        self.path, self.value = path, value

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        if "request" in request.params:
            payload = dict(request.params["request"])
            *parents, last = self.path
            node = payload
            for key in parents:
                node[key] = dict(node[key])
                node = node[key]
            node[last] = self.value
            request = ManualRequest(
                request.case_id,
                request.step,
                request.key,
                request.instruction,
                {**request.params, "request": payload},
            )
        return await super().perform(request)


async def test_a_case_the_csms_handles_as_the_document_says_passes() -> None:
    # TC_B_01_CSMS, B01.FR.02: the CSMS accepts the station's BootNotification.
    async with CentralSystem(CsmsConfig()) as csms:
        result = await run_case(_case("TC_B_01_CSMS"), _settings(csms), NoPrompter())
    assert result.verdict is Verdict.PASS, result.reason
    assert any(c.field == "status" and c.actual == "Accepted" and c.ok for c in result.checks)
    actions = [f["action"] for f in result.frames if f["type"] == "CALL"]
    assert actions[0] == "BootNotification" and "StatusNotification" in actions


async def test_a_wrong_boot_status_fails_the_case_naming_the_field_and_both_values() -> None:
    async with CentralSystem(CsmsConfig(boot_responses=["Rejected"])) as csms:
        result = await run_case(_case("TC_B_01_CSMS"), _settings(csms), NoPrompter())
    assert result.verdict is Verdict.FAIL
    assert "BootNotificationResponse.status" in result.reason
    assert "expected Accepted" in result.reason and "got Rejected" in result.reason


async def test_a_request_with_a_wrong_field_fails_with_that_field_named() -> None:
    # TC_B_12_CSMS, B07.FR.07: reportBase must be ConfigurationInventory.
    async with CentralSystem(CsmsConfig()) as csms:
        prompter = WrongRequest(csms, ("reportBase",), "FullInventory")
        result = await run_case(_case("TC_B_12_CSMS"), _settings(csms), prompter)
        await prompter.drain()
    assert result.verdict is Verdict.FAIL
    assert "GetBaseReportRequest.reportBase" in result.reason
    assert "expected ConfigurationInventory" in result.reason
    assert "got FullInventory" in result.reason


async def test_a_manual_action_nobody_can_do_makes_the_case_inconclusive() -> None:
    async with CentralSystem(CsmsConfig()) as csms:
        result = await run_case(_case("TC_B_06_CSMS"), _settings(csms), NoPrompter())
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "manual action not done" in result.reason
    assert [m.key for m in result.manual] == ["get_variables"] and not result.manual[0].done


async def test_a_csms_that_never_sends_the_request_makes_the_case_inconclusive() -> None:
    class Silent(DirectPrompter):
        async def perform(self, request: ManualRequest) -> ManualOutcome:
            return ManualOutcome(True, "operator", "done")  # said done, sent nothing

    async with CentralSystem(CsmsConfig()) as csms:
        result = await run_case(_case("TC_B_06_CSMS"), _settings(csms, timeout=1.0), Silent(csms))
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "GetVariablesRequest did not arrive within 1 s" in result.reason


async def test_a_case_without_a_scenario_is_an_error_not_a_pass() -> None:
    async with CentralSystem(CsmsConfig()) as csms:
        result = await run_case(_case("TC_Z_99_CSMS"), _settings(csms), NoPrompter())
    assert result.verdict is Verdict.ERROR
    assert "no executable scenario" in result.reason


async def test_an_optional_feature_not_declared_makes_the_case_not_applicable() -> None:
    # TC_B_14_CSMS needs the optional SummaryInventory report (B07.FR.09).
    async with CentralSystem(CsmsConfig()) as csms:
        result = await run_case(_case("TC_B_14_CSMS"), _settings(csms), NoPrompter())
    assert result.verdict is Verdict.NOT_APPLICABLE
    assert "SummaryInventory" in result.reason


async def test_each_case_starts_from_a_fresh_station_and_progress_is_reported() -> None:
    events: list[object] = []
    async with CentralSystem(CsmsConfig()) as csms:
        sut = SystemUnderTest("csms", csms.url, "2.0.1")
        run = await run_cases(
            [_case("TC_B_01_CSMS"), _case("TC_B_01_CSMS")],
            _settings(csms),
            NoPrompter(),
            sut=sut,
            on_event=events.append,
        )
    assert [c.verdict for c in run.cases] == [Verdict.PASS, Verdict.PASS]
    # A fresh station boots again with the power-up reason each time.
    for case in run.cases:
        boot = next(f for f in case.frames if f["action"] == "BootNotification")
        assert boot["payload"]["reason"] == "PowerUp"
    kinds = [type(e) for e in events]
    assert kinds == [RunStarted, CaseStarted, CaseFinished, CaseStarted, CaseFinished]
    assert not run.failed


async def test_a_case_of_a_profile_the_csms_does_not_claim_is_not_applicable() -> None:
    case = Case("TC_B_01_CSMS", "boot", "2.0.1", "csms", "B", "", profiles=("Core",))
    async with CentralSystem(CsmsConfig()) as csms:
        claimed = await run_case(
            case, _settings(csms, claimed_profiles=frozenset({"Core"})), NoPrompter()
        )
        unclaimed = await run_case(
            case, _settings(csms, claimed_profiles=frozenset({"Reservation"})), NoPrompter()
        )
    assert claimed.verdict is Verdict.PASS
    assert unclaimed.verdict is Verdict.NOT_APPLICABLE
    assert unclaimed.reason == "the CSMS does not claim the certification profile Core"
    assert unclaimed.frames == []  # nothing was played
