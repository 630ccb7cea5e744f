"""Manual actions: steps a person (or an adapter) performs on the system under test.

A case asks for one with a key that names the action catalogue-wide
(``reset_station``), the instruction a person reads, and the parameters an
adapter fills into its request. A ``Prompter`` carries it out: the adapter
(``bench.conformance.adapter``), the terminal (``--interactive``) or the
desktop app's dialog. "Cannot do" makes the case inconclusive.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO


@dataclass(frozen=True, slots=True)
class ManualRequest:
    case_id: str
    step: int | None
    key: str
    instruction: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ManualOutcome:
    done: bool
    by: str  # "adapter", "operator"
    detail: str = ""


class Prompter(Protocol):
    async def perform(self, request: ManualRequest) -> ManualOutcome: ...


class NoPrompter:
    """Unattended without an adapter entry: the action cannot be done."""

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        return ManualOutcome(
            False,
            "nobody",
            f"manual action {request.key!r} has no adapter entry and the run is not "
            "interactive (--interactive or an --adapter file)",
        )


class TerminalPrompter:
    """The instruction on the terminal; Enter means Done, ``n`` then Enter means Cannot do."""

    def __init__(
        self,
        out: TextIO | None = None,
        read_line: Callable[[], str] | None = None,
    ) -> None:
        self._out = out or sys.stdout
        self._read_line = read_line or sys.stdin.readline

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        where = f"{request.case_id}" + (f" step {request.step}" if request.step else "")
        params = ", ".join(f"{k}={v}" for k, v in request.params.items())
        self._out.write(f"\n[{where}] MANUAL ACTION: {request.instruction}\n")
        if params:
            self._out.write(f"    ({params})\n")
        self._out.write("    Press Enter when done, or type n and Enter if you cannot do it: ")
        self._out.flush()
        line = await asyncio.get_running_loop().run_in_executor(None, self._read_line)
        if line == "":  # end of input: nobody is there to answer
            return ManualOutcome(False, "operator", "no answer (end of input)")
        cannot = line.strip().lower() in ("n", "no", "cannot", "cannot do")
        return ManualOutcome(not cannot, "operator", "cannot do" if cannot else "done")


class ChainPrompter:
    """The first prompter that takes the action on: the adapter, then the operator.

    A prompter that has nothing for the action answers ``by="nobody"`` and the next
    one is asked; one that tried and failed ends it (an adapter whose request failed
    is not retried by hand: the report says what failed).
    """

    def __init__(self, *prompters: Prompter) -> None:
        self._prompters = prompters

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        outcome = ManualOutcome(False, "nobody", "no prompter")
        for prompter in self._prompters:
            outcome = await prompter.perform(request)
            if outcome.by != "nobody":
                return outcome
        return outcome
