"""What a running script tells its listeners: each step started, each step's verdict.

The runner (``bench.scenarios.runner``) emits these plain events on its
``events`` emitter, synchronously and in order; the CLI prints them, the
desktop app's scenario runner paints them. A run emits ``ScriptStarted``, then
for each step ``StepStarted`` and ``StepFinished``, then ``ScriptFinished``.
It ends at the first step that does not pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.scenarios.steps import Step

PASSED = "passed"
FAILED = "failed"
STOPPED = "stopped"  # the run was cancelled (the user pressed Stop) during this step


@dataclass(frozen=True, slots=True)
class ScriptStarted:
    steps: tuple[Step, ...]
    station_id: str


@dataclass(frozen=True, slots=True)
class StepStarted:
    step: Step


@dataclass(frozen=True, slots=True)
class StepFinished:
    """A step's verdict. ``reason`` says what happened in a few words
    (``connector 1 is Charging``, ``connector 1 is Preparing, not Charging, after 5 s``);
    an ``expect`` also gives the status it ``expected`` and the one it ``seen``.
    ``seconds`` is the step's duration in virtual time."""

    step: Step
    verdict: str
    reason: str = ""
    expected: str | None = None
    seen: str | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.verdict == PASSED


@dataclass(frozen=True, slots=True)
class ScriptFinished:
    """The run's verdict; ``last`` is the verdict of the step it ended on (None: no steps)."""

    verdict: str
    last: StepFinished | None
    seconds: float = 0.0
