"""Conformance runs from the desktop app: pick cases, run them, read and export what came (Qt-free).

The run is the core's. Testing a CSMS: ``bench.conformance.targets`` starts the
built-in CSMS (or names the CSMS of a saved profile) exactly as ``ocpp-bench
conformance csms`` does, and ``bench.conformance.runner.run_cases`` plays the
cases. Testing a charger: ``bench.conformance.charger.targets`` listens as the
CSMS, with one of the bench's own stations or a real charger as the station under
test, as ``ocpp-bench conformance cs`` does. A
``ConformanceRun`` runs that in a task of its own on the app's loop (qasync), so
the window stays responsive and a manual action's dialog can be answered; Stop
cancels the task and the ``RunResult`` keeps the cases that finished.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.conformance.adapter import Adapter, load_adapter
from bench.conformance.case_run import CaseSettings
from bench.conformance.catalogue import Case
from bench.conformance.charger.features import (
    OWN_STATION_EXTRA,
    own_station_features,
    settle_claims,
)
from bench.conformance.charger.run import ChargerSettings
from bench.conformance.charger.runner import run_charger_cases
from bench.conformance.charger.targets import charger_bench
from bench.conformance.cli import how_it_runs
from bench.conformance.manual import Prompter
from bench.conformance.results import CaseResult, RunResult
from bench.conformance.runner import RunStarted, run_cases
from bench.conformance.targets import (
    Target,
    adapter_settings,
    builtin_adapter_path,
    builtin_csms,
    external_csms,
    prompter_for,
    reachable,
)
from bench.kernel.frames import FrameRecord
from bench.store.db import open_database
from bench.store.messages import MessageLog
from bench.store.workspace import CsmsProfile
from ui.operations import OperationError

DEFAULT_STATION_ID = "BENCH-CONFORMANCE"
DEFAULT_LISTEN = "0.0.0.0:9210"  # a real charger reaches the bench on the lab network
REACH_TIMEOUT = 10.0  # seconds to open a TCP connection to the CSMS before giving up


# ------------------------------------------------------------------ choosing cases
def pick_cases(
    catalogue: Iterable[Case],
    *,
    profiles: Iterable[str] = (),
    case_ids: Iterable[str] | None = None,
) -> list[Case]:
    """The cases of the chosen certification profiles, or the single cases ticked.

    ``case_ids`` (not None) wins: the operator ticked cases one by one. The
    catalogue's order is kept either way (the documents' order).
    """
    everything = list(catalogue)
    if case_ids is not None:
        wanted = set(case_ids)
        chosen = [c for c in everything if c.id in wanted]
        if not chosen:
            raise OperationError("Tick at least one case to run")
        return chosen
    names = {p.lower() for p in profiles}
    if not names:
        raise OperationError("Tick at least one certification profile to run")
    chosen = [c for c in everything if names & {p.lower() for p in c.profiles}]
    if not chosen:
        raise OperationError("No case belongs to the certification profiles ticked")
    return chosen


def matches(case: Case, text: str) -> bool:
    """The case filter: every word of ``text`` in the case's id, name or block."""
    haystack = f"{case.id} {case.name} {case.block} {case.block_name}".lower()
    return all(word in haystack for word in text.lower().split())


def how_each_runs(cases: Iterable[Case], adapter_path: str | None) -> dict[str, str]:
    """Case id -> ``auto``, ``adapter``, ``manual`` or ``not implemented`` under the adapter."""
    adapter: Adapter | None = None
    if adapter_path:
        with contextlib.suppress(ValueError):  # an unreadable file is reported at Run
            adapter = load_adapter(adapter_path)
    return {c.id: how_it_runs(c, adapter) for c in cases}


def shipped_adapter() -> str:
    return str(builtin_adapter_path())


# ------------------------------------------------------------------ running
@dataclass(frozen=True, slots=True)
class RunRequest:
    """What the operator chose in the window."""

    cases: list[Case]
    version: str  # "1.6" | "2.0.1"
    profile: CsmsProfile | None = None  # None: a built-in CSMS started for the run
    adapter: str | None = None  # an adapter file the operator picked
    shipped_adapter: bool = True  # built-in CSMS without a file: its own adapter
    station_id: str = DEFAULT_STATION_ID
    timeout: float = 30.0
    profiles: tuple[str, ...] = ()  # certification profiles chosen (for the report)
    # Testing a charger ("cs"): where the bench listens as CSMS, the Basic auth password
    # the station must send, and the bench's own station template (None: a real charger).
    sut: str = "csms"
    listen: str = DEFAULT_LISTEN
    password: str | None = None
    dut_template: str | None = None


@dataclass(frozen=True, slots=True)
class ChargerListening:
    """The bench listens as the CSMS; the station under test connects to ``station_url``."""

    url: str
    station_url: str
    own: bool  # the station under test is one of the bench's own


@dataclass(frozen=True, slots=True)
class StationSeen:
    """The station under test connected or went away; what its BootNotification said."""

    connected: bool
    boot: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TargetReady:
    """The CSMS is up (built-in) or named (external); the run starts next."""

    target: Target


def _security(request: RunRequest) -> dict[str, Any]:
    """The saved profile's credentials as the security profile uses them."""
    profile = request.profile
    if profile is None:
        return {}
    link = profile.link_config(request.station_id)  # ValueError names the profile
    return {
        "password": link.password,
        "ca_file": link.ca_file,
        "cert_file": link.cert_file,
        "key_file": link.key_file,
    }


@contextlib.asynccontextmanager
async def _target(request: RunRequest) -> AsyncIterator[Target]:
    if request.profile is None:
        async with builtin_csms(
            request.version,
            request.station_id,
            adapter=request.adapter or None,
            shipped_adapter=request.shipped_adapter,
        ) as target:
            yield target
        return
    async with external_csms(
        request.profile.url, request.version, request.station_id, adapter=request.adapter or None
    ) as target:
        yield target


class ConformanceRun:
    """One run of conformance cases in a task of its own; Stop keeps what finished.

    ``on_event`` gets ``TargetReady`` and then the runner's events (``RunStarted``,
    ``CaseStarted``, ``CaseFinished``). A verdict is the run's business, not an
    error; a CSMS that cannot be reached or an unusable adapter ends the task with
    ``OperationError``/``AdapterError`` for the caller's done-callback to report.
    """

    def __init__(
        self,
        request: RunRequest,
        operator: Prompter | None,
        on_event: Callable[[object], None],
    ) -> None:
        self.request = request
        self.result: RunResult | None = None  # filled case by case from RunStarted on
        self.target: Target | None = None
        self._operator = operator
        self._on_event = on_event
        self.task: asyncio.Task[RunResult] = asyncio.get_running_loop().create_task(
            self._main(), name="conformance-run"
        )

    def _emit(self, event: object) -> None:
        if isinstance(event, RunStarted):
            self.result = event.run
        self._on_event(event)

    async def _main(self) -> RunResult:
        if self.request.sut == "cs":
            return await self._main_charger()
        return await self._main_csms()

    async def _main_charger(self) -> RunResult:
        request = self.request
        host, port = parse_listen(request.listen)
        settings = ChargerSettings(
            version=request.version,
            station_id=request.station_id,
            timeout=request.timeout,
            heartbeat_interval=5 if request.dut_template else 60,
            features=own_station_features(request.version, request.dut_template)
            if request.dut_template
            else frozenset(),
            extra=dict(OWN_STATION_EXTRA.get(request.version, {})) if request.dut_template else {},
        )
        bench_cm = charger_bench(
            settings,
            host=host,
            port=port,
            password=request.password,
            template=request.dut_template,
            operator=self._operator,
        )
        try:
            bench = await bench_cm.__aenter__()
        except OSError as exc:  # the port is taken, the address is not this machine's
            raise OperationError(
                f"Cannot listen on {request.listen}: {exc.strerror or exc}"
            ) from None
        try:
            endpoint = bench.endpoint
            self._emit(ChargerListening(endpoint.url, endpoint.station_url, bench.own))
            watch = asyncio.get_running_loop().create_task(self._watch_station(endpoint))
            try:
                # The profiles the charger has, read from it: the others are not applicable.
                await settle_claims(bench, settings, None, request.timeout)
                return await run_charger_cases(
                    request.cases,
                    settings,
                    bench.prompter,
                    endpoint,
                    bench.dut,
                    sut=bench.sut,
                    profiles=request.profiles,
                    on_event=self._emit,
                    physical_steps=bench.physical_steps,
                )
            finally:
                watch.cancel()
                await asyncio.gather(watch, return_exceptions=True)
        finally:
            await bench_cm.__aexit__(None, None, None)

    async def _watch_station(self, endpoint: Any) -> None:
        """Tell the window each time the station under test connects or goes away."""
        shown = 0
        for _ in range(10_000_000):  # bounded; ends when the run cancels it
            events = endpoint.events
            for event in events[shown:]:
                self._emit(StationSeen(event.kind == "connected", dict(endpoint.boot_info)))
            shown = len(events)
            endpoint.changed.clear()
            await endpoint.changed.wait()

    async def _main_csms(self) -> RunResult:
        request = self.request
        security = _security(request)
        async with _target(request) as target:
            self.target = target
            self._emit(TargetReady(target))
            problem = await reachable(target.url, min(request.timeout, REACH_TIMEOUT))
            if problem:
                raise OperationError(problem[0].upper() + problem[1:])
            settings = CaseSettings(
                csms_url=target.url,
                version=request.version,
                station_id=request.station_id,
                timeout=request.timeout,
                **security,
                **adapter_settings(target.adapter),
            )
            return await run_cases(
                request.cases,
                settings,
                prompter_for(target.adapter, self._operator),
                sut=target.sut,
                profiles=request.profiles,
                adapter=target.adapter.path if target.adapter else "",
                on_event=self._emit,
            )

    @property
    def done(self) -> bool:
        return self.task.done()

    def request_stop(self) -> None:
        """Cancel the run; the case in progress ends, the finished ones stay."""
        self.task.cancel()

    async def stop(self) -> None:
        """Cancel the run and wait until its station and CSMS have stopped."""
        if self.task.done():
            return
        self.task.cancel()
        # asyncio.wait neither raises the task's exception (the done-callback reports
        # it) nor cancels the task when the caller itself is cancelled.
        await asyncio.wait({self.task})


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` where the bench listens as CSMS; OperationError says what is wrong."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise OperationError(f"Listen on {text!r}: expected HOST:PORT, e.g. {DEFAULT_LISTEN}")
    return host, int(port)


def start_run(
    request: RunRequest, operator: Prompter | None, on_event: Callable[[object], None]
) -> ConformanceRun:
    if not request.cases:
        raise OperationError("Choose the cases to run first")
    if request.sut == "cs":
        parse_listen(request.listen)
    if request.timeout <= 0:
        raise OperationError("The time limit per step must be more than 0 s")
    if request.adapter and not Path(request.adapter).is_file():
        raise OperationError(f"The adapter file {request.adapter} does not exist")
    if request.profile is not None:
        request.profile.link_config(request.station_id)  # a broken profile: say so now
    return ConformanceRun(request, operator, on_event)


# ------------------------------------------------------------------ a case's frames
def frame_record(frame: dict[str, Any]) -> FrameRecord:
    """A frame as ``CaseResult.frames`` holds it (the ``--log`` shape) back as a record."""
    return FrameRecord(
        ts=datetime.fromisoformat(frame["ts"]).timestamp(),
        station=frame["station"],
        direction=frame["direction"],
        type=frame["type"],
        id=frame.get("id"),
        action=frame.get("action"),
        payload=frame.get("payload"),
        valid=frame.get("valid"),
        error=frame.get("error"),
        latency_ms=frame.get("latency_ms"),
    )


def case_log(result: CaseResult) -> MessageLog:
    """A message log holding only ``result``'s frames (an in-memory database).

    The message log view pages rows out of a ``MessageLog``; giving it one per case
    is what filters it to the case (every case of a run uses the same station id).
    The caller closes ``log.conn`` when the view lets go of it.
    """
    log = MessageLog(open_database(":memory:"))
    for frame in result.frames:
        log.record(frame_record(frame))
    log.flush()
    return log


# ------------------------------------------------------------------ reports
def report_folder_name(run: RunResult) -> str:
    """``conformance-2.0.1-20260107-101500``: the version and when the run started."""
    started = datetime.fromtimestamp(run.started).strftime("%Y%m%d-%H%M%S")
    return f"conformance-{run.sut.ocpp}-{started}"


def export_report(run: RunResult | None, folder: Path | str) -> Path:
    """Write the run's four report files into ``folder``; the path of report.html."""
    if run is None or not run.cases:
        raise OperationError("No case has finished yet: there is nothing to report")
    from bench.conformance.reports import write_report

    target = Path(folder)
    try:
        written = write_report(run, target)
    except OSError as exc:
        raise OperationError(
            f"Cannot write the report to {target}: {exc.strerror or exc}"
        ) from None
    html = next((p for p in written.values() if Path(p).name == "report.html"), None)
    return Path(html) if html is not None else target / "report.html"
