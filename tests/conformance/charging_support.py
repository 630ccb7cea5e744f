"""Shared by the block F, H, I and J scenario tests: the built-in CSMS made to do the
wrong thing, and a case run with the prompter a test chooses.

A ``TamperingPrompter`` is the fixture's ``DirectPrompter`` with one change: the
request it has the CSMS send passes through ``tamper`` first (a wrong field, a
missing one), or is not sent at all while the action is reported done (``silent``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bench.conformance.case_run import CaseSettings
from bench.conformance.catalogue import case as catalogue_case
from bench.conformance.manual import ManualOutcome, ManualRequest
from bench.conformance.results import CaseResult
from bench.conformance.runner import run_case
from tests.conformance.conftest import CaseRunner, DirectPrompter

# Every optional CSMS feature (part 5) the built-in CSMS has and these blocks ask about.
BUILTIN_FEATURES = frozenset(
    {
        "UnlockConnector",
        "TriggerMeterValues",
        "TriggerTransactionEvent",
        "TriggerLogStatusNotification",
        "TriggerFirmwareStatusNotification",
        "TriggerStatusNotification",
        "ReserveConnectorType",
        "ReserveUnspecifiedEvse",
    }
)

Tamper = Callable[[str, dict[str, Any]], dict[str, Any]]


class TamperingPrompter(DirectPrompter):
    def __init__(
        self,
        csms: Any,
        tamper: Tamper | None = None,
        *,
        silent: frozenset[str] = frozenset(),
        ignore: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(csms)
        self.tamper = tamper
        self.silent = silent  # actions reported done but never sent
        self.ignore = ignore  # manual action keys reported done but not carried out

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        p = request.params
        if request.key in self.ignore or p.get("action") in self.silent:
            self.requests.append(request)
            return ManualOutcome(True, "adapter", "reported done, nothing sent")
        if self.tamper is not None and "request" in p:
            changed = self.tamper(p["action"], copy.deepcopy(p["request"]))
            request = replace(request, params={**p, "request": changed})
        return await super().perform(request)


async def run_with(
    csms_runner: CaseRunner, prompter: DirectPrompter, case_id: str, **settings: Any
) -> CaseResult:
    """Run ``case_id`` against the fixture's CSMS with ``prompter`` doing the manual actions."""
    csms = csms_runner.csms  # type: ignore[attr-defined]
    values: dict[str, Any] = {"timeout": 15.0, "features": BUILTIN_FEATURES, **settings}
    case = catalogue_case(case_id)
    try:
        return await run_case(
            case, CaseSettings(csms_url=csms.url, version=case.version, **values), prompter
        )
    finally:
        await prompter.drain()


def failed(result: CaseResult) -> list[str]:
    return [c.describe() for c in result.checks if not c.ok]
