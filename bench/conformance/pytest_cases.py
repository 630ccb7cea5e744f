"""The test function ``bench.conformance.pytest_plugin`` parametrizes over the cases."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bench.conformance.adapter import AdapterPrompter, load_adapter
from bench.conformance.case_run import CaseSettings
from bench.conformance.catalogue import case as catalogue_case
from bench.conformance.manual import NoPrompter, Prompter
from bench.conformance.results import Verdict
from bench.conformance.runner import run_case


def test_csms_conformance_case(
    conformance_case_id: str, conformance_options: dict[str, Any]
) -> None:
    options = conformance_options
    case = catalogue_case(conformance_case_id)
    adapter = load_adapter(options["adapter"]) if options["adapter"] else None
    prompter: Prompter = AdapterPrompter(adapter) if adapter else NoPrompter()
    settings = CaseSettings(
        csms_url=options["url"],
        version=options["ocpp"],
        station_id=options["id"],
        password=options["password"],
        ca_file=options["ca"],
        timeout=options["timeout"],
        features=adapter.features if adapter else frozenset(),
        claimed_profiles=adapter.claimed_profiles if adapter else None,
    )
    result = asyncio.run(run_case(case, settings, prompter))
    if result.verdict in (Verdict.NOT_APPLICABLE, Verdict.INCONCLUSIVE):
        pytest.skip(f"{result.verdict.value}: {result.reason}")
    if result.verdict.bad:
        details = "\n".join(c.describe() for c in result.checks if not c.ok)
        pytest.fail(f"{case.id} {result.verdict.value}: {result.reason}\n{details}", pytrace=False)
