"""A CSMS that does the wrong thing: the manual actions of ``DirectPrompter``, altered.

``tamper(runner, key, change)`` makes the in-process built-in CSMS send, for manual
action ``key``, the request ``change(request)`` returns instead of the one the case
asked for; ``change`` returning None means the CSMS never sends anything (while the
action still counts as done), so the case waits in vain.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from bench.conformance.manual import ManualOutcome, ManualRequest

Change = Callable[[dict[str, Any]], dict[str, Any] | None]


def tamper(runner: Any, key: str, change: Change) -> None:
    prompter = runner.prompter
    perform = prompter.perform

    async def wrong(request: ManualRequest) -> ManualOutcome:
        if request.key != key or "request" not in request.params:
            return await perform(request)
        altered = change(copy.deepcopy(request.params["request"]))
        if altered is None:
            return ManualOutcome(True, "adapter", "acknowledged, but nothing sent")
        params = {**request.params, "request": altered}
        return await perform(
            ManualRequest(request.case_id, request.step, request.key, request.instruction, params)
        )

    prompter.perform = wrong


def never(_request: dict[str, Any]) -> None:
    """The CSMS says it did it, and sends nothing."""
    return None
