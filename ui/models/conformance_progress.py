"""A conformance run as the Conformance window shows it: a row per case, counts per verdict.

``ConformanceProgress`` folds the runner's events (``bench.conformance.runner``)
into rows the view paints: the case, its state (queued, running, then its
verdict, or "not run" when the run was stopped first) and the reason. The view
asks it what to show and never reads an event itself (Qt-free).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.conformance.catalogue import Case
from bench.conformance.results import CaseResult, Verdict
from bench.conformance.runner import CaseFinished, CaseStarted

QUEUED = "queued"
RUNNING = "running"
NOT_RUN = "not run"

# The verdict words as the table shows them (the report uses the same words).
STATE_TEXT: dict[str, str] = {
    QUEUED: "queued",
    RUNNING: "running…",
    NOT_RUN: "not run",
    Verdict.PASS: "PASS",
    Verdict.FAIL: "FAIL",
    Verdict.INCONCLUSIVE: "INCONCLUSIVE",
    Verdict.NOT_APPLICABLE: "N/A",
    Verdict.ERROR: "ERROR",
}
# Pills: white text on these is at least 4.5:1 (WCAG AA), so one set serves the
# light and the dark palette alike.
PILL_TEXT = "#ffffff"
STATE_COLOURS: dict[str, str] = {
    QUEUED: "#6b7280",
    RUNNING: "#1f5fbf",
    NOT_RUN: "#6b7280",
    Verdict.PASS: "#1e7e3c",
    Verdict.FAIL: "#b42318",
    Verdict.INCONCLUSIVE: "#8f5a00",
    Verdict.NOT_APPLICABLE: "#56606b",
    Verdict.ERROR: "#7a2e8e",
}
# What each verdict means, for the pills' tooltips (issue 13, Verdicts).
VERDICT_HELP: dict[Verdict, str] = {
    Verdict.PASS: "every tool validation held",
    Verdict.FAIL: "a tool validation failed",
    Verdict.INCONCLUSIVE: "the CSMS did not act in time, or a manual step was not done",
    Verdict.NOT_APPLICABLE: "excluded by the profile or the CSMS's declared features",
    Verdict.ERROR: "the bench itself failed (a bug to fix)",
}


def seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else f"{int(value // 60)} min {round(value % 60)} s"


@dataclass
class CaseRow:
    case: Case
    state: str = QUEUED  # QUEUED, RUNNING, NOT_RUN or a Verdict
    result: CaseResult | None = None

    @property
    def reason(self) -> str:
        return self.result.reason if self.result is not None else ""

    @property
    def duration(self) -> str:
        return seconds(self.result.duration_s) if self.result is not None else ""


class ConformanceProgress:
    """The cases of one run and, as it goes, what became of each."""

    def __init__(self, cases: list[Case]) -> None:
        self.rows = [CaseRow(c) for c in cases]
        self._index = {c.id: i for i, c in enumerate(cases)}
        self.current: int | None = None
        self.ended = False
        self.stopped = False

    def apply(self, event: object) -> int | None:
        """Take one runner event; the row it changed (None: no row)."""
        if isinstance(event, CaseStarted):
            row = self._index[event.case.id]
            self.rows[row].state = RUNNING
            self.current = row
            return row
        if isinstance(event, CaseFinished):
            row = self._index[event.result.case_id]
            entry = self.rows[row]
            entry.state = event.result.verdict
            entry.result = event.result
            self.current = None
            return row
        return None

    def finish(self, *, stopped: bool) -> list[int]:
        """The run ended: rows it never reached are "not run"; the rows changed."""
        self.ended, self.stopped, self.current = True, stopped, None
        changed = []
        for index, row in enumerate(self.rows):
            if row.result is None:
                row.state = NOT_RUN
                changed.append(index)
        return changed

    @property
    def finished(self) -> int:
        return sum(1 for row in self.rows if row.result is not None)

    def counts(self) -> dict[Verdict, int]:
        out = dict.fromkeys(Verdict, 0)
        for row in self.rows:
            if row.result is not None:
                out[row.result.verdict] += 1
        return out

    def summary(self) -> str:
        """One line above the table: where the run is, or how it ended."""
        total, done = len(self.rows), self.finished
        if self.current is not None:
            case = self.rows[self.current].case
            return f"Case {self.current + 1} of {total}: {case.id} — {case.name}"
        if not self.ended:
            return f"{total} case{'s' if total != 1 else ''} queued"
        if self.stopped:
            return f"Stopped after {done} of {total} cases; the finished ones are kept"
        bad = sum(n for v, n in self.counts().items() if v.bad)
        verdict = "no case failed" if not bad else f"{bad} failed or erred"
        return f"All {total} cases finished: {verdict}"
