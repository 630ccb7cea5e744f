"""Runs catalogue cases one after another and turns how each ended into a verdict.

``run_cases`` gives every case a fresh ``CaseRun`` (its own station), runs the
case's scenario with an overall time limit, stops the station, and emits
``CaseStarted``/``CaseFinished`` so the command line and the desktop app show
progress as verdicts land. Stopping the run (cancelling it) keeps what finished:
``RunStarted`` hands listeners the ``RunResult`` that fills up case by case.

Wall-clock time (``time.time``, ``time.perf_counter``) is allowed here: a report
states when the run happened and how long it took in the lab, not simulated time.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench.conformance.case_run import (
    CaseRun,
    CaseSettings,
    Inconclusive,
    NotApplicable,
    StopCase,
)
from bench.conformance.catalogue import Case
from bench.conformance.evidence import Evidence
from bench.conformance.manual import Prompter
from bench.conformance.results import CaseResult, RunResult, SystemUnderTest, Verdict
from bench.conformance.scenarios import scenario_for

log = logging.getLogger(__name__)

# A case may take this many step time limits in all before it is cut off.
CASE_LIMIT_STEPS = 12


@dataclass(frozen=True, slots=True)
class RunStarted:
    run: RunResult


@dataclass(frozen=True, slots=True)
class CaseStarted:
    case: Case
    index: int
    total: int


@dataclass(frozen=True, slots=True)
class CaseFinished:
    result: CaseResult
    index: int
    total: int


def bench_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ocpp-bench")
    except PackageNotFoundError:
        return "unknown"


async def run_case(
    case: Case, settings: CaseSettings, prompter: Prompter, *, folder: Path | None = None
) -> CaseResult:
    """Run one case in isolation and return its verdict with the evidence."""
    started = time.time()
    t0 = time.perf_counter()
    entry = scenario_for(case.id)
    result = CaseResult(
        case.id,
        case.name,
        case.version,
        case.block,
        Verdict.ERROR,
        profiles=case.profiles,
        block_name=case.block_name,
    )
    result.started = started
    why_not = _unclaimed(case, settings)
    if why_not:
        result.verdict, result.reason = Verdict.NOT_APPLICABLE, why_not
        return result
    if entry is None:
        result.reason = "the bench has no executable scenario for this case yet"
        return result
    ctx = CaseRun(case, settings, prompter, folder=folder)
    try:
        verdict, reason = await play(
            ctx, lambda: entry.run(ctx), settings.timeout * CASE_LIMIT_STEPS
        )
    finally:
        try:
            await ctx.finish()
        except Exception as exc:  # a station that will not stop is the bench's fault too
            log.exception("%s: stopping the station failed", case.id)
            result.verdict, result.reason = Verdict.ERROR, f"stopping the station failed: {exc}"
    if result.reason == "":
        result.verdict, result.reason = verdict, reason
    result.duration_s = time.perf_counter() - t0
    result.checks = ctx.checks
    result.manual = ctx.manual_actions
    result.frames = [rec.as_json_dict() for rec in ctx.frames]
    return result


async def play(
    ctx: Evidence, scenario: Callable[[], Awaitable[None]], limit: float
) -> tuple[Verdict, str]:
    """Run a case's scenario within ``limit`` seconds and turn how it ended into a verdict."""
    try:
        async with asyncio.timeout(limit):
            await scenario()
        return _judged(ctx)
    except StopCase as exc:
        return Verdict.FAIL, str(exc)
    except Inconclusive as exc:
        return _judged(ctx, inconclusive=str(exc))
    except NotApplicable as exc:
        return Verdict.NOT_APPLICABLE, str(exc)
    except TimeoutError:
        return _judged(ctx, inconclusive=f"the case did not end within {limit:g} s")
    except Exception as exc:  # the bench failed: reported as an error, never hidden
        log.exception("%s: the bench failed", ctx.case.id)
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return (
            Verdict.ERROR,
            f"{type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})",
        )


def unclaimed(case: Case, claimed: frozenset[str] | None, who: str = "the CSMS") -> str:
    """Why the case does not apply to a system that claims only some profiles ("" if it does)."""
    if claimed is None or not case.profiles:
        return ""
    if {p.lower() for p in case.profiles} & {p.lower() for p in claimed}:
        return ""
    return f"{who} does not claim the certification profile " + " or ".join(case.profiles)


def _unclaimed(case: Case, settings: CaseSettings) -> str:
    return unclaimed(case, settings.claimed_profiles)


def _judged(ctx: Evidence, inconclusive: str | None = None) -> tuple[Verdict, str]:
    """A failed check decides the case even when the CSMS later stopped acting."""
    failed = ctx.failed_checks
    if failed:
        return Verdict.FAIL, failed[0].describe()
    if inconclusive is not None:
        return Verdict.INCONCLUSIVE, inconclusive
    return Verdict.PASS, ""


async def run_cases(
    cases: list[Case],
    settings: CaseSettings,
    prompter: Prompter,
    *,
    sut: SystemUnderTest,
    profiles: tuple[str, ...] = (),
    adapter: str = "",
    on_event: Callable[[object], None] | None = None,
) -> RunResult:
    """Run ``cases`` in order. Cancelled (the operator's Stop): the ``RunResult``
    listeners got with ``RunStarted`` keeps what finished, marked ``stopped``."""
    run = RunResult(sut, bench_version(), time.time(), profiles=profiles, adapter=adapter)
    t0 = time.perf_counter()
    emit = on_event or (lambda event: None)
    emit(RunStarted(run))
    try:
        for index, case in enumerate(cases):
            emit(CaseStarted(case, index, len(cases)))
            result = await run_case(case, settings, prompter)
            run.cases.append(result)
            emit(CaseFinished(result, index, len(cases)))
    except asyncio.CancelledError:
        run.stopped = True
        raise
    finally:
        run.duration_s = time.perf_counter() - t0
    return run
