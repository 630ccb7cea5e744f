"""The stations of one Locust worker, on one asyncio event loop (issue 16).

``Fleet`` builds real charge points the way ``bench.runtime`` does (templates from
``bench.model.templates``, the version's charge point class, the real WebSocket
link), starts and stops them one by one as Locust adds and removes users, and
runs what the mix asks of them: charging sessions, random network drops, a
reconnect storm. Every frame goes to a ``LoadSink`` (``bench.load.samples``).

``FleetThread`` hosts the loop in its own OS thread, so the Locust process's gevent
hub and this loop never block each other; calls cross with
``asyncio.run_coroutine_threadsafe``, statistics with the sink's thread-safe queue.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import random
import sqlite3
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from bench.load.garbage import freeze_young, release_frozen
from bench.load.mix import Group, Mix
from bench.load.remote_start import ControlApiStarter, RemoteStartError
from bench.load.samples import LoadSink
from bench.model.clock import SystemClock
from bench.model.templates import build_station, load_ev_template, load_station_template
from bench.ocpp.api import ChargePointApi, Settings
from bench.ocpp.charge_point_base import OFFLINE, LinkChanged, RegistrationChanged
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.ocpp.v201.charge_point import ChargePoint201
from bench.store.db import open_database
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError
from bench.transport.websocket import WebSocketLink, open_link

log = logging.getLogger(__name__)

_CHARGE_POINTS: dict[str, Callable[..., Any]] = {"1.6": ChargePoint16, "2.0.1": ChargePoint201}
_SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
# 1.6's default MeterValuesSampledData, given to 2.0.1 so both versions send the same readings.
_MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
# Bounds on the behaviour loops (ARCHITECTURE: every loop bounded); far past any run.
_MAX_SESSIONS = 100_000
_MAX_STORMS = 100_000
SWEEP_SECONDS = 5.0
LAG_PERIOD = 0.1
# While stations arrive, their survivors are frozen out of GC walks this often
# (bench.load.garbage says why): a second's worth of new stations per young collection.
GC_FREEZE_SECONDS = 1.0
# Links being opened at once by one process. Past this, a station waits its turn
# before its handshake starts (and before its ``connect`` time does): thousands of
# handshakes begun together on a loaded machine each took longer than the 10 s open
# timeout, failed, and came back as retries, a storm of the process's own making.
# A CSMS that answers handshakes in milliseconds never feels the limit.
MAX_OPENING = 200
# Seconds a stopping station is given to have its last call answered, so that a
# test's totals count it (bench_load compares them with what the CSMS received).
QUIET_WAIT = 5.0
QUIET_POLL = 0.05


@dataclass(frozen=True, slots=True)
class FleetSettings:
    csms_url: str
    ocpp: str = "1.6"
    mix: Mix | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    call_timeout: float = 30.0
    seed: int = 0
    csms_control: str | None = None  # the CSMS's control API, for the mix's remote starts


@dataclass(slots=True)
class _Member:
    cp: ChargePointApi
    behaviour: asyncio.Task[None] | None
    unsubscribe: Callable[[], None]


class Fleet:
    """Many stations on the running loop; one sink for all their frames."""

    def __init__(self, settings: FleetSettings, sink: LoadSink, db: sqlite3.Connection) -> None:
        if settings.ocpp not in _CHARGE_POINTS:
            raise ValueError(f"OCPP {settings.ocpp} is not supported; use 1.6 or 2.0.1")
        self.settings = settings
        self.mix = settings.mix or Mix("idle")
        self.sink = sink
        self.db = db
        self.clock = SystemClock()
        self.members: dict[str, _Member] = {}
        self._background: list[asyncio.Task[None]] = []
        self._stopping: set[asyncio.Task[None]] = set()
        self._freeze: asyncio.TimerHandle | None = None
        self._remote_ids = itertools.count(1)
        self._opening = asyncio.Semaphore(MAX_OPENING)
        self.had_stations = False  # stations of an earlier test were removed
        self.starter: ControlApiStarter | None = None
        if self.mix.remote_starts:
            if not settings.csms_control:
                raise ValueError(
                    f"mix {self.mix.name!r} has a remote-start share: it needs the CSMS's "
                    "control API (--csms-control URL) to ask for the remote starts"
                )
            self.starter = ControlApiStarter(settings.csms_control, settings.call_timeout)
        for name in {g.station for g in self.mix.groups}:
            load_station_template(name)  # a bad template name fails before any station starts
        for ev in self.mix.charging.evs if self.mix.charging else ():
            load_ev_template(ev)

    def start_background(self) -> None:
        """The fleet's own tasks: the timeout sweep, the loop-lag probe, the reconnect storm."""
        loop = asyncio.get_running_loop()
        self._background = [
            loop.create_task(self._sweep(), name="load:sweep"),
            loop.create_task(self._probe_lag(), name="load:lag"),
        ]
        if self.mix.reconnect_storm is not None:
            self._background.append(loop.create_task(self._storms(), name="load:storm"))

    async def add(self, station_id: str, n: int) -> None:
        """Start the worker's n-th station as ``station_id``."""
        if station_id in self.members:
            raise ValueError(f"station {station_id} is already running")
        group = self.mix.group_for(n)
        cp = self._build(station_id, group, n)
        started = self.clock.monotonic()

        def on_event(event: object) -> None:
            if isinstance(event, RegistrationChanged) and event.status == "Accepted":
                self.sink.boot_accepted(station_id, (self.clock.monotonic() - started) * 1000)
                self._freeze_soon()  # a booted station's session state is long-lived too
            elif (
                isinstance(event, LinkChanged)
                and event.state == OFFLINE
                and station_id in self.sink.connected  # a failed connect is not a drop
            ):
                self.sink.link_down(station_id, event.detail)

        member = _Member(cp, None, cp.subscribe(on_event))
        self.members[station_id] = member
        try:
            await cp.start()
        except BaseException:
            member.unsubscribe()
            del self.members[station_id]
            raise
        behaviour = asyncio.get_running_loop().create_task(
            self._behave(cp, n), name=f"load:{station_id}"
        )
        behaviour.add_done_callback(functools.partial(self._behaviour_ended, station_id))
        member.behaviour = behaviour
        self._freeze_soon()

    def _freeze_soon(self) -> None:
        """Freeze new stations out of the collector's walks within a second, without
        ever walking the older ones (no full collection: ``bench.load.garbage``).
        Called as stations are added, connect and boot: on a busy machine most of a
        station's objects (its link, its session) come long after ``add`` returned,
        and left unfrozen they made every old-generation collection walk thousands
        of links (pauses of 1-2 s measured at 5,000 stations)."""
        if self._freeze is None:
            self._freeze = asyncio.get_running_loop().call_later(
                GC_FREEZE_SECONDS, self._freeze_now
            )

    def _freeze_now(self) -> None:
        self._freeze = None
        freeze_young()

    def _behaviour_ended(self, station_id: str, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            # What the mix asked of a station failed: said in the log and the statistics.
            log.error("station %s: the mix's behaviour failed: %r", station_id, error)
            self.sink.behaviour_failed(station_id, repr(error))

    async def remove(self, station_id: str, drain_timeout: float = 1.0) -> None:
        member = self.members.pop(station_id, None)
        if member is None:
            return
        # remove_all waits for the stops already under way, not only those it starts.
        stopping = asyncio.get_running_loop().create_task(
            self._stop_member(station_id, member, drain_timeout)
        )
        self._stopping.add(stopping)
        stopping.add_done_callback(self._stopping.discard)
        await stopping

    async def _stop_member(self, station_id: str, member: _Member, drain_timeout: float) -> None:
        if member.behaviour is not None:
            member.behaviour.cancel()
            await asyncio.gather(member.behaviour, return_exceptions=True)
        for _ in range(int(QUIET_WAIT / QUIET_POLL)):
            if not self.sink.waiting(station_id):
                break
            await asyncio.sleep(QUIET_POLL)
        self.sink.station_stopped(station_id)  # its link going down is no drop
        member.unsubscribe()
        await member.cp.stop(drain_timeout=drain_timeout)
        # A call sent while it stopped, left unanswered, must not become a timeout later.
        self.sink.station_stopped(station_id, done=True)

    async def remove_all(self) -> None:
        """Stop every station (the end of a test; the fleet stays for the next one)."""
        ids = list(self.members)
        results = await asyncio.gather(*(self.remove(i) for i in ids), return_exceptions=True)
        for station_id, result in zip(ids, results, strict=True):
            if isinstance(result, Exception):
                log.error("stopping station %s failed: %s", station_id, result)
        await asyncio.gather(*self._stopping, return_exceptions=True)
        self.had_stations = self.had_stations or bool(ids)

    def release_garbage(self) -> None:
        """Give a finished test's frozen objects back to the collector: one full walk,
        seconds long at thousands of stations. Not at the end of a test (the process
        often quits then, and its last reports must not wait), but when another test
        starts in the same process, before its stations come (``locustfile``)."""
        if self.had_stations and not self.members:
            release_frozen()
            self.had_stations = False

    async def stop(self) -> None:
        """Every station, then the fleet's own tasks."""
        await self.remove_all()
        if self._freeze is not None:
            self._freeze.cancel()
            self._freeze = None
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._background = []
        if self.starter is not None:
            await self.starter.close()

    # ------------------------------------------------------------------ building
    def _build(self, station_id: str, group: Group, n: int) -> ChargePointApi:
        s = self.settings
        version = group.ocpp or s.ocpp
        template = load_station_template(group.station)
        station = build_station(station_id, template, self.clock, seed=s.seed + n)
        link = LinkConfig(
            url=s.csms_url,
            station_id=station_id,
            subprotocol=_SUBPROTOCOLS[version],
            password=s.password,
            ca_file=s.ca_file,
            cert_file=s.cert_file,
            key_file=s.key_file,
        )
        link.endpoint()  # a bad URL or security setting fails here, with a clear message
        cp: ChargePointApi = _CHARGE_POINTS[version](
            station,
            link,
            db=self.db,
            sink=self.sink,
            call_timeout=s.call_timeout,
            open_link_fn=self._timed_open,
        )
        return cp

    async def _timed_open(self, cfg: LinkConfig) -> WebSocketLink:
        """The real opener, timed: TCP + TLS + WebSocket upgrade is the ``connect`` entry."""
        async with self._opening:
            started = self.clock.monotonic()
            try:
                link = await open_link(cfg)
            except LinkError as exc:
                self.sink.connect_done(cfg.station_id, self._ms_since(started), str(exc))
                raise
        self.sink.connect_done(cfg.station_id, self._ms_since(started), None)
        self._freeze_soon()
        return link

    def _ms_since(self, started: float) -> float:
        return (self.clock.monotonic() - started) * 1000

    # ------------------------------------------------------------------ behaviour
    async def _behave(self, cp: ChargePointApi, n: int) -> None:
        rng = random.Random(self.settings.seed * 1_000_003 + n)
        jobs: list[Coroutine[Any, Any, None]] = []
        if self.mix.charges(n):
            jobs.append(self._charge(cp, n, rng, self._version(n)))
        if self.mix.network_drops_per_hour > 0:
            jobs.append(self._drops(cp, random.Random(rng.random())))
        if jobs:
            async with asyncio.TaskGroup() as group:
                for job in jobs:
                    group.create_task(job)

    def _version(self, n: int) -> str:
        return self.mix.group_for(n).ocpp or self.settings.ocpp

    async def _charge(self, cp: ChargePointApi, n: int, rng: random.Random, version: str) -> None:
        plan = self.mix.charging
        assert plan is not None
        await cp.wait_accepted(10**9)
        await _meter_interval(cp, plan.meter_interval_s)
        await self.clock.sleep(rng.uniform(0, plan.start_within_s))
        tag = f"LT{n:08d}"[-20:]  # IdToken: CiString20 in 1.6
        for _ in range(_MAX_SESSIONS):
            cp.plug_in(1, rng.choice(plan.evs))
            if rng.random() < plan.remote_start_share:
                await self._remote_start(cp, version, tag)
            else:
                cp.present_id(tag, 1)
            await self.clock.sleep(plan.session_s)
            cp.unplug(1)
            await self.clock.sleep(rng.expovariate(1 / plan.pause_s) if plan.pause_s > 0 else 0)

    async def _remote_start(self, cp: ChargePointApi, version: str, tag: str) -> None:
        """The EV is plugged in; the CSMS starts the session (1.6 §5.11, 2.0.1 F01).
        A refusal is a failure in the statistics; the EV then leaves as planned."""
        assert self.starter is not None
        started = self.clock.monotonic()
        try:
            await self.starter.start(cp.station_id, version, 1, tag, next(self._remote_ids))
        except RemoteStartError as exc:
            self.sink.remote_start_done(self._ms_since(started), str(exc))
        else:
            self.sink.remote_start_done(self._ms_since(started), None)

    async def _drops(self, cp: ChargePointApi, rng: random.Random) -> None:
        rate = self.mix.network_drops_per_hour / 3600
        for _ in range(_MAX_STORMS):
            await self.clock.sleep(rng.expovariate(rate))
            self._cut(cp)
            await self.clock.sleep(self.mix.drop_s)
            cp.restore_network()

    async def _storms(self) -> None:
        storm = self.mix.reconnect_storm
        assert storm is not None
        await self.clock.sleep(storm.after_s)
        for _ in range(_MAX_STORMS):
            cut = list(self.members.values())
            for member in cut:
                self._cut(member.cp)
            await self.clock.sleep(storm.down_s)
            for member in cut:
                member.cp.restore_network()
            if storm.every_s <= 0:
                return
            await self.clock.sleep(max(0.0, storm.every_s - storm.down_s))

    def _cut(self, cp: ChargePointApi) -> None:
        self.sink.cutting(cp.station_id)
        cp.cut_network()

    async def _sweep(self) -> None:
        for _ in range(10**12):
            await asyncio.sleep(SWEEP_SECONDS)
            self.sink.sweep(self.settings.call_timeout + SWEEP_SECONDS)

    async def _probe_lag(self) -> None:
        """How late the loop wakes a sleeper: the worker's event-loop lag, as a Locust entry."""
        loop = asyncio.get_running_loop()
        for _ in range(10**12):
            start = loop.time()
            await asyncio.sleep(LAG_PERIOD)
            self.sink.lag(max(0.0, loop.time() - start - LAG_PERIOD) * 1000)


async def _meter_interval(cp: ChargePointApi, seconds: int) -> None:
    """Meter values every ``seconds`` while charging, written as the CSMS would write it."""
    settings = cp.settings
    # Named as each version's settings name them (1.6 key, 2.0.1 component/variable).
    if _has_setting(settings, "MeterValueSampleInterval"):
        writes = [("MeterValueSampleInterval", str(seconds))]
    else:
        writes = [
            ("SampledDataCtrlr/TxUpdatedInterval", str(seconds)),
            ("SampledDataCtrlr/TxUpdatedMeasurands", _MEASURANDS),
        ]
    for name, value in writes:
        outcome = await settings.write(name, value)
        if not outcome.ok:
            raise RuntimeError(f"{cp.station_id}: {name}={value} refused: {outcome.reason}")


def _has_setting(settings: Settings, name: str) -> bool:
    try:
        return settings.read(name) is not None
    except ValueError:  # not a name of this version's settings
        return False


class FleetThread:
    """An asyncio loop in its own OS thread, holding one ``Fleet``."""

    def __init__(self, settings: FleetSettings, sink: LoadSink) -> None:
        self.settings = settings
        self.sink = sink
        self.loop = asyncio.new_event_loop()
        self._db: sqlite3.Connection | None = None
        self.fleet: Fleet | None = None
        self._thread = threading.Thread(target=self._run, name="ocpp-bench-load", daemon=True)
        self._ready = threading.Event()

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        # The stations' database is built on the loop's thread: SQLite connections
        # stay on the thread that made them.
        self.submit(self._open()).result(timeout)

    async def _open(self) -> None:
        # In memory: a load run's stations keep nothing across runs, and their state
        # writes then cost no disk I/O on the loop that serves every station.
        self._db = open_database(":memory:")
        self.fleet = Fleet(self.settings, self.sink, self._db)
        self.fleet.start_background()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def submit_call(self, callback: Callable[[], None]) -> None:
        """Run a plain function on the loop's thread (the fleet's objects live there)."""
        self.loop.call_soon_threadsafe(callback)

    def add(self, station_id: str, n: int) -> Future[None]:
        assert self.fleet is not None
        return self.submit(self.fleet.add(station_id, n))

    def remove(self, station_id: str) -> Future[None]:
        assert self.fleet is not None
        return self.submit(self.fleet.remove(station_id))

    async def _close(self) -> None:
        if self.fleet is not None:
            await self.fleet.stop()
        if self._db is not None:
            self._db.close()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop every station, then the loop and its thread."""
        try:
            self.submit(self._close()).result(timeout)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self.loop.close()
