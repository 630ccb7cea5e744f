"""Where a run goes (``bench.conformance.targets``): shared by the command line and the desktop app.

Against the real built-in CSMS and its HTTP control API on 127.0.0.1.
"""

from __future__ import annotations

import socket

from bench.conformance.case_run import CaseSettings
from bench.conformance.catalogue import Case
from bench.conformance.results import Verdict
from bench.conformance.runner import run_case
from bench.conformance.targets import builtin_csms, prompter_for, reachable

GET_VARIABLES = Case("TC_B_06_CSMS", "Get Variables", "2.0.1", "csms", "B", "Provisioning")


def _settings(url: str) -> CaseSettings:
    return CaseSettings(csms_url=url, version="2.0.1", timeout=10.0)


async def test_the_built_in_csms_with_its_shipped_adapter_does_the_manual_action_itself() -> None:
    # TC_B_06_CSMS, B06.FR.01: the adapter makes the CSMS send GetVariables over its API.
    async with builtin_csms("2.0.1", "BENCH-CONFORMANCE") as target:
        assert target.adapter is not None and target.adapter.covers("get_variables")
        assert target.adapter.vars["control"] == target.control_url
        assert target.control_url.startswith("http://127.0.0.1:")
        assert (target.sut.vendor, target.sut.product) == ("OCPP Bench", "built-in CSMS")
        prompter = prompter_for(target.adapter, None)
        result = await run_case(GET_VARIABLES, _settings(target.url), prompter)
    assert result.verdict is Verdict.PASS, result.reason
    assert [(m.key, m.by, m.done) for m in result.manual] == [("get_variables", "adapter", True)]


async def test_without_its_adapter_and_nobody_to_ask_the_manual_case_is_inconclusive() -> None:
    async with builtin_csms("2.0.1", "BENCH-CONFORMANCE", shipped_adapter=False) as target:
        assert target.adapter is None
        result = await run_case(GET_VARIABLES, _settings(target.url), prompter_for(None, None))
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "has no adapter entry" in result.reason


async def test_a_csms_nobody_listens_for_is_reported_unreachable_with_host_and_port() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    problem = await reachable(f"ws://127.0.0.1:{port}/ocpp", 5.0)
    assert problem is not None and f"127.0.0.1:{port}" in problem
    assert await reachable("http://example.invalid/", 5.0) == (
        "'http://example.invalid/' is not a ws:// or wss:// URL"
    )
