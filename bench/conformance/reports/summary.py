"""Counting a run's verdicts: in all, per certification profile and per block."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.conformance.results import RunResult, Verdict

NO_PROFILE = "(no certification profile)"


@dataclass(slots=True)
class Tally:
    """How many cases of one group ended in each verdict."""

    label: str
    counts: dict[Verdict, int] = field(default_factory=lambda: dict.fromkeys(Verdict, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, verdict: Verdict) -> None:
        self.counts[verdict] += 1


def per_profile(run: RunResult) -> list[Tally]:
    """One row per certification profile: the chosen ones first, then any other a case names.

    A case selected by several profiles counts in each of them; cases no profile
    selects (every 1.6 case: part 5 is 2.0.1's) are gathered in one last row.
    """
    rows: dict[str, Tally] = {p: Tally(p) for p in run.profiles}
    loose = Tally(NO_PROFILE)
    for case in run.cases:
        for profile in case.profiles:
            rows.setdefault(profile, Tally(profile)).add(case.verdict)
        if not case.profiles:
            loose.add(case.verdict)
    return [*rows.values(), *([loose] if loose.total else [])]


def per_block(run: RunResult) -> list[Tally]:
    """One row per OCPP version and block, in the order the run met them."""
    rows: dict[tuple[str, str], Tally] = {}
    for case in run.cases:
        key = (case.version, case.block)
        rows.setdefault(key, Tally(f"OCPP {case.version} · {case.block_label}")).add(case.verdict)
    return list(rows.values())


def overall(run: RunResult) -> tuple[str, str]:
    """The run in one word and one line: ``("fail", "2 failed, 1 error of 40 cases")``.

    ``fail`` when a case failed or erred (the command's exit code 1); ``incomplete``
    when nothing failed but a case stayed inconclusive or the operator stopped the
    run, since that is no proof of conformance; ``pass`` otherwise.
    """
    counts = run.counts()
    total = len(run.cases)
    parts = [f"{n} {v.value}" for v, n in counts.items() if n]
    line = f"{', '.join(parts) or 'no case'} — {total} case{'s' if total != 1 else ''} in all"
    if run.failed:
        return "fail", line
    if counts[Verdict.INCONCLUSIVE] or run.stopped:
        return "incomplete", line
    return "pass", line
