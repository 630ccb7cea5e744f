"""Runs charging-station cases one after another against one station under test.

The endpoint (the bench as CSMS) lives for the whole run; before each case the
station under test is made ready (``DeviceUnderTest.before_case``: a fresh own
station, or a wait for the real one to be connected), the case's frames go to its
own ``ChargerRun``, and whatever answers the case changed are reset after it.
Events, results and cancellation behave as for CSMS runs (``bench.conformance.runner``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bench.conformance.catalogue import Case
from bench.conformance.charger.answers import boot_facts
from bench.conformance.charger.dut import DeviceUnderTest
from bench.conformance.charger.endpoint import CsmsEndpoint, Discard
from bench.conformance.charger.run import ChargerRun, ChargerSettings
from bench.conformance.charger.scenarios import scenario_for
from bench.conformance.manual import Prompter
from bench.conformance.results import CaseResult, RunResult, SystemUnderTest, Verdict
from bench.conformance.runner import (
    CASE_LIMIT_STEPS,
    CaseFinished,
    CaseStarted,
    RunStarted,
    bench_version,
    play,
    unclaimed,
)

log = logging.getLogger(__name__)


async def run_charger_case(
    case: Case,
    settings: ChargerSettings,
    prompter: Prompter,
    endpoint: CsmsEndpoint,
    dut: DeviceUnderTest,
) -> CaseResult:
    """Run one case against the station under test and return its verdict with the evidence."""
    t0 = time.perf_counter()
    result = CaseResult(
        case.id,
        case.name,
        case.version,
        case.block,
        Verdict.ERROR,
        profiles=case.profiles,
        block_name=case.block_name,
    )
    result.started = time.time()
    why_not = unclaimed(case, settings.claimed_profiles, "the charging station")
    if why_not:
        result.verdict, result.reason = Verdict.NOT_APPLICABLE, why_not
        return result
    entry = scenario_for(case.id)
    if entry is None:
        result.reason = "the bench has no executable scenario for this case yet"
        return result
    ctx = ChargerRun(case, settings, prompter, endpoint)
    endpoint.sink = ctx
    endpoint.overrides.clear()

    async def scenario() -> None:
        await dut.before_case(case.id)
        ctx.own_station = dut.station
        await entry.run(ctx)

    try:
        verdict, reason = await play(ctx, scenario, settings.timeout * CASE_LIMIT_STEPS)
    finally:
        endpoint.overrides.clear()
        endpoint.refusing = None
        endpoint.refuse_connections = 0
        try:
            await ctx._end_background()
            await dut.after_case(case.id)
        except Exception as exc:  # a station that will not stop is the bench's fault too
            log.exception("%s: ending the case failed", case.id)
            result.verdict, result.reason = Verdict.ERROR, f"ending the case failed: {exc}"
        endpoint.sink = Discard()
    if result.reason == "":
        result.verdict, result.reason = verdict, reason
    result.duration_s = time.perf_counter() - t0
    result.checks = ctx.checks
    result.manual = ctx.manual_actions
    result.frames = [rec.as_json_dict() for rec in ctx.frames]
    return result


async def run_charger_cases(
    cases: list[Case],
    settings: ChargerSettings,
    prompter: Prompter,
    endpoint: CsmsEndpoint,
    dut: DeviceUnderTest,
    *,
    sut: SystemUnderTest,
    profiles: tuple[str, ...] = (),
    on_event: Callable[[object], None] | None = None,
    physical_steps: str = "",
) -> RunResult:
    """Run ``cases`` in order; cancelled, the ``RunResult`` keeps what finished.

    ``physical_steps`` says who did them, for the report (the ``adapter`` field of a
    CSMS run): "" is the operator at the charger."""
    run = RunResult(sut, bench_version(), time.time(), profiles=profiles, adapter=physical_steps)
    t0 = time.perf_counter()
    emit = on_event or (lambda event: None)
    emit(RunStarted(run))
    try:
        for index, case in enumerate(cases):
            emit(CaseStarted(case, index, len(cases)))
            result = await run_charger_case(case, settings, prompter, endpoint, dut)
            run.cases.append(result)
            emit(CaseFinished(result, index, len(cases)))
    except asyncio.CancelledError:
        run.stopped = True
        raise
    finally:
        run.duration_s = time.perf_counter() - t0
        _describe_station(sut, endpoint)
    return run


def _describe_station(sut: SystemUnderTest, endpoint: CsmsEndpoint) -> None:
    """The report names the station from its BootNotification."""
    if not endpoint.boot_info:
        return
    facts = boot_facts(endpoint.boot_info)
    sut.vendor = sut.vendor or facts.vendor
    sut.product = sut.product or facts.model
    sut.serial = sut.serial or facts.serial
    sut.sut_version = sut.sut_version or facts.firmware
