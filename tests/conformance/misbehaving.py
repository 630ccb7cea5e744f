"""A built-in CSMS that does one manual action wrong, for the blocks N and O tests.

Fault injection (``csms_runner(case, faults=[...])``) breaks what the CSMS sends; these
wrap the runner's ``DirectPrompter`` where a fault cannot say it: a CSMS that
acknowledges an action and never sends the request, or that carries it out
differently (``rewrite`` changes the action's parameters before it is done).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.conformance.manual import ManualOutcome, ManualRequest

Params = dict[str, Any]


def rewrite(runner: Any, key: str, change: Callable[[Params], Params]) -> None:
    """Manual action ``key`` is done with ``change(params)`` instead of its parameters."""
    prompter = runner.prompter
    perform = prompter.perform

    async def altered(request: ManualRequest) -> ManualOutcome:
        if request.key != key:
            return await perform(request)
        params = change(dict(request.params))
        return await perform(
            ManualRequest(request.case_id, request.step, request.key, request.instruction, params)
        )

    prompter.perform = altered


def acknowledge_only(runner: Any, key: str) -> None:
    """Manual action ``key`` is reported done, and the CSMS sends nothing."""
    prompter = runner.prompter
    perform = prompter.perform

    async def idle(request: ManualRequest) -> ManualOutcome:
        if request.key != key:
            return await perform(request)
        return ManualOutcome(True, "adapter", "acknowledged; nothing sent")

    prompter.perform = idle
