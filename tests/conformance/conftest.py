"""Fixtures for running conformance scenarios against the built-in CSMS on 127.0.0.1.

``csms_runner`` starts a real built-in CSMS and returns ``run(case_id, **settings)``,
which plays one catalogue case with the bench's real station and returns its
``CaseResult``. Manual actions are carried out in-process by ``DirectPrompter``:
it does what the shipped adapter does over the control API (send the request the
case names, set the boot answers, set a tag), without the HTTP hop, so a scenario
test needs no second server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest

from bench.conformance.case_run import CaseSettings
from bench.conformance.catalogue import case as catalogue_case
from bench.conformance.manual import ManualOutcome, ManualRequest
from bench.conformance.results import CaseResult
from bench.conformance.runner import run_case
from bench.csms.config import CsmsConfig, TagEntry
from bench.csms.faults import parse_faults
from bench.csms.server import CentralSystem


class DirectPrompter:
    """Performs manual actions on an in-process built-in CSMS."""

    def __init__(self, csms: CentralSystem) -> None:
        self.csms = csms
        self.requests: list[ManualRequest] = []
        self.failed_calls: list[BaseException] = []  # the station's CALLERRORs, timeouts
        self._calls: set[asyncio.Task[Any]] = set()

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        self.requests.append(request)
        p = request.params
        station = p["station_id"]
        if request.key == "boot_pending":
            self.csms.set_boot_responses(station, list(p["statuses"]))
            return ManualOutcome(True, "adapter", "boot responses set")
        if "action" in p and "request" in p:
            # Not awaited: the CSMS's call ends when the station answers, which may
            # come after steps the case still has to play.
            task = asyncio.get_running_loop().create_task(
                self.csms.call(station, p["action"], p["request"])
            )
            self._calls.add(task)
            task.add_done_callback(self._settled)
            return ManualOutcome(True, "adapter", f"{p['action']} sent")
        return ManualOutcome(False, "nobody", f"no direct action for {request.key!r}")

    def _settled(self, task: asyncio.Task[Any]) -> None:
        # A CALLERROR answer is what some cases expect (TC_K_15): the frames show it and
        # the case judges it; kept here rather than left "never retrieved".
        self._calls.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.failed_calls.append(task.exception())  # type: ignore[arg-type]

    async def drain(self) -> None:
        for task in list(self._calls):
            task.cancel()
        await asyncio.gather(*self._calls, return_exceptions=True)


CaseRunner = Callable[..., Awaitable[CaseResult]]


@pytest.fixture
async def csms_runner() -> AsyncIterator[CaseRunner]:
    config = CsmsConfig(
        boot_retry_interval=1,
        tags={"TAG1": TagEntry("Accepted")},
    )
    async with CentralSystem(config) as csms:
        prompter = DirectPrompter(csms)

        async def run(case_id: str, *, faults: Sequence[str] = (), **settings: Any) -> CaseResult:
            """Play ``case_id``; ``faults``: the built-in CSMS misbehaves meanwhile
            (bench.csms.faults specs, e.g. "reply:BootNotification:status=Rejected")."""
            case = catalogue_case(case_id)
            values: dict[str, Any] = {"timeout": 15.0, **settings}
            case_settings = CaseSettings(csms_url=csms.url, version=case.version, **values)
            csms.config.faults = parse_faults(list(faults))
            try:
                return await run_case(case, case_settings, prompter)
            finally:
                csms.config.faults = []
                csms.faults.notify()

        run.csms = csms  # type: ignore[attr-defined]
        run.prompter = prompter  # type: ignore[attr-defined]
        try:
            yield run
        finally:
            await prompter.drain()
