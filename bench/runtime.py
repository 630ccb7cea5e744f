"""Build and run one virtual station from plain options (shared by the CLI and the demo)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.devices.binding import attach_all, build_drivers, check_connectors, detach_all
from bench.devices.registry import DeviceSpec
from bench.kernel.frames import FanOut, FrameSink
from bench.link_rows import LinkRows
from bench.model.clock import SystemClock
from bench.model.faults import fault as lookup_fault
from bench.model.templates import (
    build_station,
    load_ev_template,
    load_station_template,
    with_settings,
)
from bench.ocpp.api import ChargePointApi
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.ocpp.v201.charge_point import ChargePoint201
from bench.scenarios.runner import ScriptRunner
from bench.scenarios.steps import Step
from bench.store.buffer import BufferedSink
from bench.store.db import open_store_file
from bench.store.messages import MessageLog
from bench.store.runs import RunRecord, RunStore
from bench.transport.config import LinkConfig
from bench.unsaved import Unsaved, unsaved

log = logging.getLogger(__name__)

# OCPP version -> the charge point class and the WebSocket subprotocol it speaks.
# What each protocol version builds: a charge point callers drive through its API.
_CHARGE_POINTS: dict[str, Callable[..., ChargePointApi]] = {
    "1.6": ChargePoint16,
    "2.0.1": ChargePoint201,
}
_SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


def default_db_path() -> Path:
    """Per-user data file: queued messages and configuration survive restarts."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "ocpp-bench" / "bench.db"


@dataclass
class StationOptions:
    csms_url: str
    station_id: str
    ocpp: str = "1.6"
    station_template: str = "ac-11kw"
    ev_template: str = "family-ev"
    speed: float = 1.0
    seed: int = 0
    db: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    sinks: list[FrameSink] = field(default_factory=list)
    # Hardware attached to the station (bench/devices): --device, --meter, --rfid.
    devices: list[DeviceSpec] = field(default_factory=list)
    # Station settings over the template's (STATION_SETTINGS), as text: {"boot_seconds": "0"}.
    settings: dict[str, str] = field(default_factory=dict)
    # Network faults from the start, as spec strings ("latency 800ms", "loss 5%"): --impair.
    impair: list[str] = field(default_factory=list)


class StationRun:
    """A station with its charge point, database and log sinks, started and stopped as one."""

    def __init__(
        self,
        options: StationOptions,
        *,
        connection: sqlite3.Connection | None = None,
        message_log: MessageLog | None = None,
    ):
        if options.ocpp not in _CHARGE_POINTS:
            raise ValueError(f"OCPP {options.ocpp} is not supported; use 1.6 or 2.0.1")
        self.options = options
        template = with_settings(
            load_station_template(options.station_template), **options.settings
        )
        self.ev_spec = load_ev_template(options.ev_template)  # fail early on a bad name
        self.clock = SystemClock(speed=options.speed)
        self.station = build_station(options.station_id, template, self.clock, seed=options.seed)
        self.devices = build_drivers(options.devices, self.clock)  # attached by start()
        check_connectors(self.devices, self.station)
        if connection is not None:
            self.db = connection
            self.db_path = connection.execute("PRAGMA database_list").fetchone()[2] or ":memory:"
        else:
            self.db_path = str(options.db or default_db_path())
            # A file that cannot be the store raises StoreOpenError, naming it and the reason.
            self.db = open_store_file(self.db_path)
        # Many stations in one process share one log writer (one flusher, not one each).
        self._owns_log = message_log is None
        self.message_log = message_log if message_log is not None else MessageLog(self.db)
        link = LinkConfig(
            url=options.csms_url,
            station_id=options.station_id,
            subprotocol=_SUBPROTOCOLS[options.ocpp],
            password=options.password,
            ca_file=options.ca_file,
            cert_file=options.cert_file,
            key_file=options.key_file,
        )
        link.endpoint()  # validates the URL and security settings with a clear message
        charge_point = _CHARGE_POINTS[options.ocpp]
        # Callers drive the station through the version-neutral API (bench.ocpp.api).
        self.cp: ChargePointApi = charge_point(
            self.station, link, db=self.db, sink=FanOut(self.message_log, *options.sinks)
        )
        # Its connections in its message log beside its frames: a bundle replays its
        # reconnects. Not in a --log file, whose documented lines are OCPP frames only.
        self.link_rows = LinkRows(self.cp, self.message_log, self.clock, options.station_id)
        for spec in options.impair:
            self.cp.impair(spec)  # a ValueError names the bad spec
        self._flushers: list[asyncio.Task[None]] = []
        # What a session bundle needs beside the frames (bench.bundle): written at start.
        self.runs = RunStore(self.db)
        self._template = template

    def _settings_rows(self) -> list[dict[str, object]]:
        """The configuration keys (1.6) or device model (2.0.1) as they stand now."""
        return [
            {
                "name": s.name,
                "value": None if s.secret else s.value,  # a secret never leaves the station
                "writable": s.writable,
                "secret": s.secret,
            }
            for s in self.cp.settings.list()
        ]

    def _note_run(self, write: Callable[[], None]) -> None:
        # The run record only serves a later bundle export: a disk that refuses it must
        # not stop the station, but it is said (the export will then lack it).
        try:
            write()
        except sqlite3.Error as exc:
            log.warning(
                "%s: the run record (for a bundle export) could not be written: %s",
                self.options.station_id,
                exc,
            )

    def save_settings(self) -> None:
        """Put the station's settings as they stand now in its run record (bench.store.runs)."""
        rows = self._settings_rows()
        self._note_run(lambda: self.runs.save_settings(self.options.station_id, rows))

    def script_runner(self, echo=None, on_event=None) -> ScriptRunner:
        """A runner for this station; ``on_event`` gets its progress (bench.scenarios.progress)."""
        return ScriptRunner(
            self.cp,
            default_ev=self.options.ev_template,
            fault_lookup=lookup_fault,
            echo=echo,
            on_event=on_event,
        )

    async def start(self) -> None:
        # Every batching sink gets a timer (a JSON Lines --log too): a reader sees the
        # frames within a fraction of a second, and a crash loses no more than that.
        buffered: list[BufferedSink] = [self.message_log] if self._owns_log else []
        buffered += [s for s in self.options.sinks if isinstance(s, BufferedSink)]
        loop = asyncio.get_running_loop()
        self._flushers = [loop.create_task(sink.run_flusher()) for sink in buffered]
        try:
            record = RunRecord(
                station=self.options.station_id,
                started=self.clock.now().timestamp(),
                ocpp=self.options.ocpp,
                template=dataclasses.asdict(self._template),
                ev_template=self.options.ev_template,
                settings=self._settings_rows(),
            )
            self._note_run(lambda: self.runs.begin(record))
            await attach_all(self.devices, self.station)  # before boot: the first status is real
            try:
                await self.cp.start()
            except BaseException:
                await detach_all(self.devices)
                raise
        except BaseException:
            await self._stop_flushers()
            raise

    def unsaved(self) -> Unsaved:
        """What a refusing disk kept in memory only (call after ``stop``): lost at exit."""
        logs: list[tuple[BufferedSink, str]] = []
        if self._owns_log:
            logs.append((self.message_log, self.db_path))
        for sink in self.options.sinks:
            if isinstance(sink, BufferedSink):
                logs.append((sink, str(getattr(sink, "path", sink.label))))
        return unsaved(self.cp, self.db_path, logs)

    async def run_script(self, steps: list[Step], echo=None, on_event=None) -> None:
        scenario = "\n".join(step.text for step in steps)
        self._note_run(lambda: self.runs.save_scenario(self.options.station_id, scenario))
        await self.script_runner(echo, on_event).run(steps)

    async def stop(self) -> None:
        try:
            try:
                self.save_settings()  # as the run left them (a CSMS may have changed some)
                await self.cp.stop()  # its last LINK row ("closed") goes in before the log shuts
            finally:
                self.link_rows.close()
                await detach_all(self.devices)
        finally:
            await self._stop_flushers()
            if self._owns_log:
                self.message_log.close()
            for sink in self.options.sinks:
                close = getattr(sink, "close", None)
                if close is not None:
                    close()

    async def _stop_flushers(self) -> None:
        for flusher in self._flushers:
            flusher.cancel()
        results = await asyncio.gather(*self._flushers, return_exceptions=True)
        self._flushers = []
        for result in results:
            if isinstance(result, Exception):
                # A log that could not be written (disk full, file removed) is said, not hidden.
                log.error("writing the message log failed: %s", result)
