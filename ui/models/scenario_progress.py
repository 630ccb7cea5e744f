"""A script run as the scenario runner shows it: one row per step with its verdict (Qt-free).

``ScriptProgress`` folds the core's progress events (``bench.scenarios.progress``)
into rows the view paints: the step, where it is written, its verdict
(pending, running, passed, failed, stopped) and why. The view only asks it
what to show; it never interprets an event itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.scenarios.progress import (
    FAILED,
    PASSED,
    STOPPED,
    ScriptFinished,
    ScriptStarted,
    StepFinished,
    StepStarted,
)
from bench.scenarios.steps import Step

PENDING = "pending"
RUNNING = "running"

# What the verdict column says; the glyphs are the editor margin's marks too.
VERDICT_TEXT = {
    PENDING: "",
    RUNNING: "▶ running",
    PASSED: "✓ passed",
    FAILED: "✗ failed",
    STOPPED: "■ stopped",
}


def duration(seconds: float) -> str:
    """Virtual seconds as a person reads them: 4 s, 1 min 30 s, 2 h 5 min."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass
class StepRow:
    step: Step
    verdict: str = PENDING
    reason: str = ""
    expected: str | None = None
    seen: str | None = None
    seconds: float | None = None

    @property
    def detail(self) -> str:
        """The verdict column's neighbour: what the step found, shortest first."""
        if self.verdict == FAILED and self.expected is not None:
            return f"expected {self.expected}, saw {self.seen}"
        return self.reason


class ScriptProgress:
    """The steps of one script and, once it runs, what became of each."""

    def __init__(self, steps: list[Step], station_id: str = "") -> None:
        self.rows = [StepRow(step) for step in steps]
        self._index = {step.number: i for i, step in enumerate(steps)}
        self.station_id = station_id
        self.current: int | None = None  # row of the step running now
        self.finished: ScriptFinished | None = None

    @property
    def running(self) -> bool:
        return self.current is not None

    def apply(self, event: Any) -> int | None:
        """Take one event; the row it changed (None: no single row)."""
        if isinstance(event, ScriptStarted):
            self.station_id = event.station_id
            return None
        if isinstance(event, StepStarted):
            row = self._index[event.step.number]
            self.current = row
            self.rows[row].verdict = RUNNING
            return row
        if isinstance(event, StepFinished):
            row = self._index[event.step.number]
            entry = self.rows[row]
            entry.verdict = event.verdict
            entry.reason = event.reason
            entry.expected, entry.seen = event.expected, event.seen
            entry.seconds = event.seconds
            self.current = None
            return row
        if isinstance(event, ScriptFinished):
            self.finished = event
            self.current = None
        return None

    def line_marks(self) -> dict[int, str]:
        """Line -> verdict of every step that has one (the editor's margin)."""
        return {row.step.line: row.verdict for row in self.rows if row.verdict != PENDING}

    def running_line(self) -> int | None:
        return None if self.current is None else self.rows[self.current].step.line

    def summary(self) -> str:
        """One line under the editor: where the run is, or how it ended and why."""
        count = len(self.rows)
        if self.current is not None:
            step = self.rows[self.current].step
            return (
                f"Running on {self.station_id}: step {step.number} of {count} "
                f"(line {step.line}): {step.text}"
            )
        end = self.finished
        if end is None:
            return f"{count} step{'s' if count != 1 else ''}, not run yet"
        took = duration(end.seconds)
        if end.verdict == PASSED:
            return f"✓ All {count} steps passed on {self.station_id} ({took} virtual)"
        last = end.last
        assert last is not None
        where = f"step {last.step.number} (line {last.step.line}): {last.step.text}"
        if end.verdict == STOPPED:
            return f"■ Stopped on {self.station_id} at {where}"
        return f"✗ Failed on {self.station_id} at {where} — {last.reason}"
