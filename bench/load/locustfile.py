"""The Locust side of ``ocpp-bench load``: one Locust user is one bench station.

Locust loads this file in every process of a run (master, workers, or one local
process); ``ocpp-bench load`` (``bench.load.cli``) starts them with
``LOCUST_SKIP_MONKEY_PATCH`` set. Gevent then patches nothing: Locust's own parts
(its greenlets, ZeroMQ link to the master, web UI) run on gevent's hub in the main
thread, while the stations run on a plain asyncio loop in their own OS thread
(``bench.load.fleet.FleetThread``) with real sockets and real selectors. A greenlet
drains the stations' samples (``bench.load.samples``) into Locust request events.
The worker's own figures (loop lag, GC pauses, boots, stations connected) are no
requests of the CSMS: they reach the master with Locust's ``report_to_master``
and show in their own web UI tab, the end-of-run summary and
``PREFIX_stations*.csv`` (``bench.load.worker_stats``; ``bench.load.web_tab``).

Station ids are ``<prefix><worker index>-<n>``: Locust gives each worker of a run
its own index, and each worker numbers its own stations, so no two workers share
an id.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import time
from typing import Any

if not os.environ.get("LOCUST_SKIP_MONKEY_PATCH"):
    # Patched sockets and selectors would be shared with the stations' asyncio loop.
    raise RuntimeError("run through `ocpp-bench load`: LOCUST_SKIP_MONKEY_PATCH must be set")

import gevent
from locust import User, events, task
from locust.env import Environment
from locust.runners import STATE_MISSING, LocalRunner, MasterRunner, WorkerRunner

from bench.load.fleet import FleetSettings, FleetThread
from bench.load.garbage import GcWatch
from bench.load.mix import load_mix
from bench.load.samples import (
    CALL_TYPE,
    CONTROL_TYPE,
    LINK_TYPE,
    STATION_TYPE,
    LoadSink,
    Sample,
    default_monotonic,
)
from bench.load.web_tab import add_stations_tab
from bench.load.worker_stats import HUB_LAG, ProcessStats, RunTotals

log = logging.getLogger("ocpp-bench.load")
# Locust logs at INFO; one line per station event would drown its statistics at
# thousands of stations. Warnings and errors of the stations still show.
logging.getLogger("bench").setLevel(logging.WARNING)

DRAIN_PERIOD = 0.1  # seconds between two drains of the samples queue
DRAIN_BATCH = 500  # samples fired between two yields to the hub
GAUGE_PERIOD = 10.0  # seconds between two "stations connected / booted" lines
HUB_PROBE_PERIOD = 0.1  # seconds a greenlet sleeps to see how late the hub wakes it
REPORT_PERIOD = 3.0  # a single process folds its own figures in as often as a worker reports
REPORT_KEY = "ocpp_bench"  # our part of a worker's report to the master
STOP_MESSAGE = "ocpp_bench_stop"  # master -> workers: stop the stations, then report
STOP_POLL = 0.1  # seconds between two looks at a stop under way
STOP_WAIT = 90.0  # seconds the stations of a process, or a master's workers, may take


class OcppFailure(Exception):
    """A failed request, with the reason the stations saw (its text is Locust's error)."""


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    # Names of our own: Locust forwards options it does not know to the workers.
    group = parser.add_argument_group("ocpp-bench", "set by `ocpp-bench load`")
    group.add_argument("--bench-ocpp", default="1.6", choices=["1.6", "2.0.1"])
    group.add_argument("--bench-mix", default="steady-charging")
    group.add_argument("--bench-id-prefix", default="LOAD")
    group.add_argument("--bench-password", default="")
    group.add_argument("--bench-ca", default="")
    group.add_argument("--bench-cert", default="")
    group.add_argument("--bench-key", default="")
    group.add_argument("--bench-call-timeout", type=float, default=30.0)
    group.add_argument("--bench-csms-control", default="")
    group.add_argument("--bench-max-failure-ratio", type=float, default=0.01)


class _Process:
    """What one Locust process holds: its fleet thread, its id counter, its pump."""

    def __init__(self, environment: Environment) -> None:
        options = _options(environment)
        self.environment = environment
        self.samples: queue.SimpleQueue[Sample] = queue.SimpleQueue()
        self.stats = ProcessStats()
        self.sink = LoadSink(self.samples, monotonic=default_monotonic, stats=self.stats)
        self.gc_watch = GcWatch(self.stats.add_gc_pause, default_monotonic)
        self.gc_watch.install()
        settings = FleetSettings(
            csms_url=environment.host or "",
            ocpp=options.bench_ocpp,
            mix=load_mix(options.bench_mix),
            password=options.bench_password or None,
            ca_file=options.bench_ca or None,
            cert_file=options.bench_cert or None,
            key_file=options.bench_key or None,
            call_timeout=options.bench_call_timeout,
            csms_control=options.bench_csms_control or None,
        )
        runner = environment.runner
        index = max(0, getattr(runner, "worker_index", 0))
        self.prefix = f"{options.bench_id_prefix}{index:03d}-"
        self.numbers = itertools.count()
        self.thread = FleetThread(settings, self.sink)
        self.thread.start()
        self.pump = gevent.spawn(self._pump)
        self.gauge = gevent.spawn(self._gauge)
        self.hub_probe = gevent.spawn(self._probe_hub)
        # A worker's figures go with its reports to the master (_report_to_master);
        # a process on its own folds them in itself.
        self.reporter = gevent.spawn(self._report_locally) if _is_local(environment) else None
        self.stopped = False  # its stations stopped and counted (told the master in reports)

    def new_station(self) -> tuple[str, int]:
        n = next(self.numbers)
        return f"{self.prefix}{n:06d}", n

    def _pump(self) -> None:
        fire = self.environment.events.request.fire
        for _ in range(10**12):
            self.drain(fire)
            gevent.sleep(DRAIN_PERIOD)

    def drain(self, fire: Any) -> None:
        for count in range(1, 1_000_000):
            try:
                s = self.samples.get_nowait()
            except queue.Empty:
                return
            if count % DRAIN_BATCH == 0:
                # A boot storm queues thousands: let the hub answer the master between them.
                gevent.sleep(0)
            fire(
                request_type=s.kind,
                name=s.name,
                response_time=s.ms,
                response_length=s.length,
                exception=OcppFailure(s.error) if s.error else None,
                context={},
            )

    def _probe_hub(self) -> None:
        """How late the hub wakes a sleeper: a worker whose hub stalls 3 s misses its
        heartbeats to the master, which then takes its users away."""
        for _ in range(10**12):
            start = default_monotonic()
            gevent.sleep(HUB_PROBE_PERIOD)
            late = default_monotonic() - start - HUB_PROBE_PERIOD
            self.stats.add(HUB_LAG, max(0.0, late) * 1000)

    def report(self) -> dict[str, Any]:
        fleet = self.thread.fleet
        report = self.stats.report(
            running=len(fleet.members) if fleet is not None else 0,
            connected=len(self.sink.connected),
            booted=len(self.sink.booted),
        )
        report["stopped"] = self.stopped
        return report

    def _report_locally(self) -> None:
        for _ in range(10**12):
            gevent.sleep(REPORT_PERIOD)
            _totals.add("local", self.report(), time.time())

    def _gauge(self) -> None:
        for _ in range(10**12):
            gevent.sleep(GAUGE_PERIOD)
            fleet = self.thread.fleet
            running = len(fleet.members) if fleet is not None else 0
            log.info(
                "%sstations: %d running, %d connected, %d booted",
                self.prefix,
                running,
                len(self.sink.connected),
                len(self.sink.booted),
            )

    def stop_stations(self) -> None:
        """Stop every station and count what they did: the end of a test.

        Waits cooperatively (the hub keeps sending heartbeats and reports), bounded.
        Afterwards the stations send nothing more, so the statistics drained here
        are everything the CSMS received from this process (bench_load compares)."""
        fleet = self.thread.fleet
        if fleet is not None:
            done = self.thread.submit(fleet.remove_all())
            for _ in range(int(STOP_WAIT / STOP_POLL)):
                if done.done():
                    break
                gevent.sleep(STOP_POLL)
            if not done.done():
                log.error("%sstations still stopping after %g s", self.prefix, STOP_WAIT)
        self.drain(self.environment.events.request.fire)
        self.stopped = True

    def stop(self) -> None:
        self.thread.stop()
        self.drain(self.environment.events.request.fire)
        self.pump.kill()
        self.gauge.kill()
        self.hub_probe.kill()
        self.gc_watch.uninstall()
        if self.reporter is not None:
            self.reporter.kill()
            _totals.add("local", self.report(), time.time())  # the last samples count too


_process: _Process | None = None
# The run's station and worker figures: a master's or a single process's.
_totals = RunTotals()


def _is_local(environment: Environment) -> bool:
    return isinstance(environment.runner, LocalRunner)


def _options(environment: Environment) -> Any:
    options = environment.parsed_options
    if options is None:  # only a library use of Locust has none; ours always parses
        raise RuntimeError("Locust started without parsed options")
    return options


def _the_process(environment: Environment) -> _Process:
    global _process
    if _process is None:
        _process = _Process(environment)
    return _process


class StationUser(User):
    """One charge point. Its greenlet only waits: the station runs on the asyncio loop."""

    def on_start(self) -> None:
        process = _the_process(self.environment)
        self.station_id, n = process.new_station()
        future = process.thread.add(self.station_id, n)
        future.add_done_callback(self._started)

    def _started(self, future: Any) -> None:
        error = future.exception()
        if error is not None:
            # Said in the statistics and the log, never lost (ARCHITECTURE rule 4).
            log.error("station %s did not start: %s", self.station_id, error)
            assert _process is not None
            _process.samples.put(Sample(STATION_TYPE, "start", 0.0, 0, f"{error}"))

    @task
    def hold(self) -> None:
        gevent.sleep(3600)

    def on_stop(self) -> None:
        if _process is not None:
            _process.thread.remove(self.station_id)


@events.init.add_listener
def _init(environment: Environment, **_kwargs: Any) -> None:
    if environment.web_ui is not None:
        add_stations_tab(environment.web_ui, _totals)


# Master: the workers whose report said their stations were stopped and counted.
_stopped_workers: set[str] = set()


@events.init.add_listener
def _register_stop(environment: Environment, **_kwargs: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(STOP_MESSAGE, _stop_requested, concurrent=True)


def _stop_requested(environment: Environment, msg: Any, **_kwargs: Any) -> None:
    if _process is not None:
        _process.stop_stations()


@events.test_start.add_listener
def _test_started(environment: Environment, **_kwargs: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner):
        _totals.reset()  # a new test from the web UI starts from nothing, as Locust's table
        _stopped_workers.clear()
    if _process is not None:
        _process.stopped = False
        fleet = _process.thread.fleet
        if fleet is not None:
            # A new test in the same process (the web UI's "new test"): release the
            # last test's frozen stations now, before this test's stations come.
            _process.thread.submit_call(fleet.release_garbage)


@events.test_stopping.add_listener
def _test_stopping(environment: Environment, **_kwargs: Any) -> None:
    """Before Locust stops (or quits, when --run-time is up): stop the stations and
    wait until every process has counted what they sent.

    Locust's master quits half a second after telling its workers to, while their
    stations were still running and their last samples unsent: the totals missed
    thousands of requests the CSMS had received. Now the stations stop first, each
    process drains its samples into its statistics, and the master waits for a
    report from every worker saying so (reports carry Locust's statistics too)."""
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.send_message(STOP_MESSAGE)
        for _ in range(int(STOP_WAIT / STOP_POLL)):
            # Only the workers still there: one that quit (Ctrl+C reaches them all)
            # or went missing will not report again.
            waiting = {c.id for c in runner.clients.all if c.state != STATE_MISSING}
            if waiting <= _stopped_workers:
                return
            gevent.sleep(STOP_POLL)
        log.error("workers %s did not report their stations stopped", waiting - _stopped_workers)
    elif _process is not None and not isinstance(runner, WorkerRunner):
        _process.stop_stations()


@events.report_to_master.add_listener
def _report_to_master(client_id: str, data: dict[str, Any], **_kwargs: Any) -> None:
    # A worker that never got a station has nothing to stop or count.
    data[REPORT_KEY] = _process.report() if _process is not None else {"stopped": True}


@events.worker_report.add_listener
def _worker_report(client_id: str, data: dict[str, Any], **_kwargs: Any) -> None:
    report = data.get(REPORT_KEY)
    if report is not None:
        if "entries" in report:
            _totals.add(client_id, report, time.time())
        if report.get("stopped"):
            _stopped_workers.add(client_id)


@events.test_stop.add_listener
def _test_stopped(environment: Environment, **_kwargs: Any) -> None:
    if _process is not None and _process.thread.fleet is not None:
        _process.thread.submit(_process.thread.fleet.remove_all())


@events.quitting.add_listener
def _quitting(environment: Environment, **_kwargs: Any) -> None:
    if _process is not None:
        _process.stop()
    if isinstance(environment.runner, WorkerRunner):
        return
    for line in _totals.summary_lines():
        log.info("%s", line)
    prefix = _options(environment).csv_prefix
    if prefix:
        _totals.write_csv(prefix)
    ratio = failure_ratio(environment)
    limit = _options(environment).bench_max_failure_ratio
    if ratio > limit:
        log.error("failure ratio %.4f exceeds --max-failure-ratio %.4f", ratio, limit)
        environment.process_exit_code = 1
    elif isinstance(environment.runner, MasterRunner) or environment.runner is not None:
        log.info("failure ratio %.4f within --max-failure-ratio %.4f", ratio, limit)


def failure_ratio(environment: Environment) -> float:
    """Failures over the OCPP requests, connections, stations that did not start and
    remote starts the CSMS refused."""
    total = failed = 0
    for (_name, kind), entry in environment.stats.entries.items():
        if kind in (CALL_TYPE, LINK_TYPE, STATION_TYPE, CONTROL_TYPE):
            total += entry.num_requests
            failed += entry.num_failures
    return failed / total if total else 0.0
