"""What the 1.6 conformance tests share: a Central System that does one thing wrong.

``mangle`` makes the in-process prompter send a request the case did not ask for
(a wrong or missing field); ``never_send`` makes it report the action done without
the Central System sending anything. Either way the case must say what went wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from bench.conformance.manual import ManualOutcome, ManualRequest
from bench.conformance.results import CaseResult, Verdict

Change = Callable[[dict[str, Any]], dict[str, Any]]


def mangle(runner: Any, key: str, change: Change) -> None:
    """The Central System sends ``change(request)`` for the manual action ``key``."""
    prompter = runner.prompter
    original = prompter.perform

    async def perform(request: ManualRequest) -> ManualOutcome:
        if request.key == key and "request" in request.params:
            sent = change(dict(request.params["request"]))
            request = dataclasses.replace(request, params={**request.params, "request": sent})
        return await original(request)

    prompter.perform = perform


def never_send(runner: Any, key: str) -> None:
    """The operator says the manual action ``key`` is done, but nothing is sent."""
    prompter = runner.prompter
    original = prompter.perform

    async def perform(request: ManualRequest) -> ManualOutcome:
        if request.key == key:
            return ManualOutcome(True, "adapter", "said done, sent nothing")
        return await original(request)

    prompter.perform = perform


def without(*fields: str) -> Change:
    def change(request: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in request.items() if k not in fields}

    return change


def replacing(**values: Any) -> Change:
    def change(request: dict[str, Any]) -> dict[str, Any]:
        return {**request, **values}

    return change


def explain(result: CaseResult) -> str:
    """What a failing assertion shows: the verdict, the reason and the failed checks."""
    failed = [c.describe() for c in result.checks if not c.ok]
    return f"{result.verdict}: {result.reason} {failed}"


def assert_fails_naming(result: CaseResult, *words: str) -> None:
    assert result.verdict is Verdict.FAIL, explain(result)
    for word in words:
        assert word in result.reason, explain(result)
