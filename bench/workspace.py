"""What the desktop app runs: the built-in CSMS and the stations, started and stopped as one.

Qt-free on purpose: the window is a view of a ``Workspace``, and a test (or a
future headless fleet runner) can drive the same object without a display.
All stations share one SQLite connection, so the message log of every station
lands in one table that the log view pages through.

The workspace also remembers what the user set up (``bench.store.workspace``):
each station with its template, EV default, CSMS profile and speed, whether it
was running, and the CSMS profiles; the built-in CSMS's tag list is kept by
``bench.csms.tag_store`` (loaded before the CSMS starts, saved again at stop). The next start
restores them; only the very first start on a data folder adds the demo station.

Each station speaks the OCPP version chosen for it (1.6 or 2.0.1, issue 5), or its
CSMS profile's version when none was chosen. The saved-station record has no
column for it yet, so the choices are kept as one workspace setting
(``station_ocpp_versions``: station id -> version).

A physical station (issue 6, "Attach hardware…") is a station with device specs
(``bench.devices.registry.DeviceSpec``: driver, port, options); they are kept the
same way (``station_devices``: station id -> list of ``{name, port, options}``)
and attached whenever the station starts (``StationOptions.devices``). A port
drives one station at a time, so a duplicate of a physical station is virtual.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.csms.config import ConfigError, CsmsConfig, TagEntry
from bench.csms.server import CentralSystem
from bench.csms.tag_store import TagStore
from bench.devices.registry import DeviceSpec
from bench.model.events import Emitter
from bench.runtime import StationOptions, StationRun
from bench.store.db import open_database
from bench.store.messages import MessageLog
from bench.store.workspace import CsmsProfile, SavedStation, WorkspaceStore

log = logging.getLogger(__name__)

DEMO_STATION_ID = "DEMO-AC-11KW"
DEMO_STATION_TEMPLATE = "ac-11kw"
DEMO_EV_TEMPLATE = "family-ev"
DEMO_TAG = "DEMO-TAG-0001"
BUILTIN_PROFILE = "Built-in CSMS"

# The built-in CSMS knows one tag of each status, so a new user can watch a
# refusal as easily as an accepted start (1.6 §7.13 AuthorizationStatus).
DEMO_TAGS: dict[str, str] = {
    DEMO_TAG: "Accepted",
    "FLEET-CARD-0002": "Accepted",
    "BLOCKED-CARD": "Blocked",
    "EXPIRED-CARD": "Expired",
}

# workspace_settings names
_FIRST_START_DONE = "first_start_done"
_STATION_VERSIONS = "station_ocpp_versions"
_STATION_DEVICES = "station_devices"
# What a station can speak (bench.runtime.StationRun); a profile's version is only a default.
STATION_OCPP_VERSIONS = ("1.6", "2.0.1")


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "ocpp-bench" / "desktop"


def spec_to_json(spec: DeviceSpec) -> dict[str, Any]:
    """A device spec as plain JSON (options are str/int/float/bool, typed by the driver)."""
    return {
        "name": spec.name,
        "port": spec.port,
        "options": dict(spec.options),
        "connector": spec.connector,
    }


def spec_from_json(data: Any) -> DeviceSpec:
    """The inverse of ``spec_to_json``; ValueError for anything not shaped like one."""
    if not isinstance(data, dict):
        raise ValueError(f"a saved device is not a record: {data!r}")
    name, port, options = data.get("name"), data.get("port"), data.get("options", {})
    if not isinstance(name, str) or not isinstance(port, str) or not isinstance(options, dict):
        raise ValueError(f"a saved device lacks its driver, port or options: {data!r}")
    connector = data.get("connector", 1)
    if not isinstance(connector, int) or connector < 1:
        raise ValueError(f"a saved device names no usable connector: {data!r}")
    return DeviceSpec(name, port, {str(k): v for k, v in options.items()}, connector)


@dataclass(frozen=True, slots=True)
class StationAdded:
    run: StationRun


@dataclass(frozen=True, slots=True)
class StationRemoved:
    station_id: str


@dataclass(frozen=True, slots=True)
class StationReplaced:
    """A stopped station was started again: a fresh run (power-on) under the same id."""

    run: StationRun


@dataclass(frozen=True, slots=True)
class ProfilesChanged:
    """A CSMS profile was added, edited, renamed or deleted."""


@dataclass(frozen=True, slots=True)
class WorkspaceProblem:
    """Something the user set up could not be restored; ``message`` says what and why."""

    message: str


@dataclass
class WorkspaceOptions:
    data_dir: Path = field(default_factory=default_data_dir)
    speed: float = 1.0  # virtual time factor of new stations
    demo: bool = True  # start the built-in CSMS and the demo station
    heartbeat_interval: int = 60  # what the built-in CSMS tells stations (s)
    restore: bool = True  # bring back the stations saved by the previous run


class Workspace:
    """The built-in CSMS plus the stations the user runs, and the shared message log."""

    def __init__(self, options: WorkspaceOptions | None = None) -> None:
        self.options = options or WorkspaceOptions()
        self.events = Emitter()
        self.csms: CentralSystem | None = None
        self.stations: dict[str, StationRun] = {}
        self.records: dict[str, SavedStation] = {}  # how each station was set up
        self.db: sqlite3.Connection | None = None
        self.store: WorkspaceStore | None = None
        self.message_log: MessageLog | None = None  # every station writes it; the UI pages it
        self._log_flusher: asyncio.Task[None] | None = None
        self.default_ev = DEMO_EV_TEMPLATE
        self.default_tag = DEMO_TAG
        self._running: set[str] = set()
        self._profiles: dict[str, CsmsProfile] = {}  # the stored ones, by name
        self.versions: dict[str, str] = {}  # station id -> OCPP version chosen for it
        # station id -> the hardware attached when it starts (a physical station)
        self.devices: dict[str, list[DeviceSpec]] = {}
        self._unreadable_devices: set[str] = set()  # saved specs that did not decode

    @property
    def csms_url(self) -> str | None:
        return self.csms.url if self.csms is not None else None

    def tags(self) -> dict[str, str]:
        """The built-in CSMS's tags and their statuses (for the Present card menu)."""
        if self.csms is None:
            return {}
        return {tag: entry.status for tag, entry in self.csms.config.tags.items()}

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        data_dir = Path(self.options.data_dir)
        # A one-off local mkdir before anything runs; no need for a thread.
        data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        self.db = open_database(data_dir / "stations.db")
        # One writer and one flusher for every station (the UI pages from the same log):
        # a flusher per station woke the loop 5,000 times a second at 1,000 stations.
        self.message_log = MessageLog(self.db)
        self._log_flusher = asyncio.get_running_loop().create_task(
            self.message_log.run_flusher(), name="message-log-flusher"
        )
        self.store = WorkspaceStore(self.db)
        self._profiles = {p.name: p for p in self.store.profiles()}
        saved_versions = self.store.setting(_STATION_VERSIONS, {})
        self.versions = {
            str(sid): str(v)
            for sid, v in (saved_versions if isinstance(saved_versions, dict) else {}).items()
            if v in STATION_OCPP_VERSIONS
        }
        self._load_devices(self.store.setting(_STATION_DEVICES, {}))
        if self.options.demo:
            await self.start_csms()
        if not self.store.setting(_FIRST_START_DONE, False):
            self.store.set_setting(_FIRST_START_DONE, True)
            if self.options.demo:
                await self.add_station(DEMO_STATION_ID, DEMO_STATION_TEMPLATE)
        elif self.options.restore:
            await self.restore_stations()

    async def restore_stations(self) -> None:
        """Bring back the saved stations; one that cannot start is reported, not fatal."""
        assert self.store is not None
        for index, saved in enumerate(self.store.stations()):
            if saved.station_id in self.stations:
                continue
            try:
                await self._add(saved, save=False)
            except Exception as exc:
                log.warning("restoring station %s failed: %s", saved.station_id, exc)
                self.events.emit(
                    WorkspaceProblem(f"Station {saved.station_id} was not restored: {exc}")
                )
            if index % 10 == 9:
                await asyncio.sleep(0)  # let the window paint between batches

    async def start_csms(self) -> str:
        folder = Path(self.options.data_dir)
        self.csms = CentralSystem(
            CsmsConfig(
                db_path=str(folder / "csms.db"),
                heartbeat_interval=self.options.heartbeat_interval,
                tags=self._saved_tags(),
            )
        )
        url = await self.csms.start()
        log.info("built-in CSMS on %s", url)
        return url

    def _saved_tags(self) -> dict[str, TagEntry]:
        """The tag list the user left (bench.csms.tag_store, shared with the CSMS console)."""
        try:
            saved = TagStore(self.options.data_dir).load()
        except ConfigError as exc:
            self.events.emit(WorkspaceProblem(f"The saved tag list is unusable: {exc}"))
            saved = None
        if saved is not None:
            return saved
        return {tag: TagEntry(status=status) for tag, status in DEMO_TAGS.items()}

    async def stop(self) -> None:
        """Save the tags, stop every running station (ChargePoint16.stop), the CSMS, the db."""
        self.save_tags()
        runs = [self.stations[sid] for sid in self.stations if sid in self._running]
        self.stations.clear()
        self._running.clear()
        results = await asyncio.gather(*(run.stop() for run in runs), return_exceptions=True)
        for run, result in zip(runs, results, strict=True):
            if isinstance(result, BaseException):
                log.error("stopping %s failed: %s", run.station.id, result)
        if self.csms is not None:
            await self.csms.stop()
            self.csms = None
        if self._log_flusher is not None:
            self._log_flusher.cancel()
            await asyncio.gather(self._log_flusher, return_exceptions=True)
            self._log_flusher = None
        if self.message_log is not None:
            self.message_log.close()
            self.message_log = None
        self.store = None
        if self.db is not None:
            self.db.close()
            self.db = None

    # ------------------------------------------------------------ tags
    def save_tags(self) -> None:
        """Remember the built-in CSMS's tag list (however it was edited) for the next start."""
        if self.csms is not None:
            try:
                TagStore(self.options.data_dir).save(self.csms.config.tags)
            except OSError as exc:
                log.error("saving the tag list failed: %s", exc)

    # ------------------------------------------------------------ CSMS profiles
    def builtin_profile(self) -> CsmsProfile | None:
        url = self.csms_url
        return None if url is None else CsmsProfile(BUILTIN_PROFILE, url, builtin=True)

    def profiles(self) -> list[CsmsProfile]:
        """The built-in CSMS first (while it runs), then the user's, by name."""
        builtin = self.builtin_profile()
        return ([builtin] if builtin else []) + list(self._profiles.values())

    def profile(self, name: str) -> CsmsProfile:
        if name == BUILTIN_PROFILE:
            builtin = self.builtin_profile()
            if builtin is None:
                raise LookupError("the built-in CSMS is not running")
            return builtin
        if name in self._profiles:
            return self._profiles[name]
        if name.lower().startswith(("ws://", "wss://")):
            return CsmsProfile(name, name)  # a bare URL given to add_station
        raise LookupError(f"no CSMS profile named {name!r}")

    def save_profile(self, profile: CsmsProfile, *, old_name: str | None = None) -> CsmsProfile:
        """Add (``old_name`` None) or edit a profile; stations pick it up on their next start."""
        name = profile.name.strip()
        profile = replace(profile, name=name)
        if name == BUILTIN_PROFILE or old_name == BUILTIN_PROFILE or profile.builtin:
            raise ValueError("the built-in CSMS profile cannot be changed")
        if name in self._profiles and name != old_name:
            raise ValueError(f"a CSMS profile named {name!r} already exists")
        if old_name is not None and old_name not in self._profiles:
            raise LookupError(f"no CSMS profile named {old_name!r}")
        profile.check()
        self._require_store().save_profile(profile, old_name=old_name)
        if old_name is not None and old_name != name:
            del self._profiles[old_name]
            for sid, record in self.records.items():
                if record.profile == old_name:
                    self.records[sid] = replace(record, profile=name)
        self._profiles[name] = profile
        self._profiles = dict(sorted(self._profiles.items(), key=lambda kv: kv[0].lower()))
        self.events.emit(ProfilesChanged())
        return profile

    def delete_profile(self, name: str) -> None:
        if name == BUILTIN_PROFILE:
            raise ValueError("the built-in CSMS profile cannot be deleted")
        users = [sid for sid, record in self.records.items() if record.profile == name]
        if users:
            raise ValueError(
                f"CSMS profile {name!r} is used by {len(users)} station(s) "
                f"({', '.join(users[:3])}{' …' if len(users) > 3 else ''}); remove them first"
            )
        self._require_store().delete_profile(name)
        self._profiles.pop(name, None)
        self.events.emit(ProfilesChanged())

    # ------------------------------------------------------------ stations
    async def add_station(
        self,
        station_id: str,
        template: str,
        csms_url: str | None = None,
        *,
        ev_template: str | None = None,
        profile: str | None = None,
        speed: float | None = None,
        ocpp: str | None = None,
        devices: Sequence[DeviceSpec] = (),
        save: bool = True,
    ) -> StationRun:
        """Build a station from a template and start it.

        It connects to the CSMS profile named ``profile``, or to ``csms_url``, or
        to the built-in CSMS, speaking ``ocpp`` (default: the profile's version).
        ``devices`` makes it a physical station: the hardware is attached on
        every start. ``save`` remembers it for the next start.
        """
        if ocpp is not None and ocpp not in STATION_OCPP_VERSIONS:
            raise ValueError(
                f"OCPP {ocpp} is not supported; use {' or '.join(STATION_OCPP_VERSIONS)}"
            )
        if profile is None:
            if csms_url is not None and csms_url != self.csms_url:
                profile = csms_url
            elif self.csms is None:
                raise ValueError("no CSMS to connect to: start the built-in CSMS or give a URL")
            else:
                profile = BUILTIN_PROFILE
        record = SavedStation(
            station_id=station_id.strip(),
            template=template,
            ev_template=ev_template or self.default_ev,
            profile=profile,
            speed=self.options.speed if speed is None else speed,
        )
        return await self._add(record, save=save, ocpp=ocpp, devices=devices)

    async def _add(
        self,
        record: SavedStation,
        *,
        save: bool,
        ocpp: str | None = None,
        devices: Sequence[DeviceSpec] = (),
    ) -> StationRun:
        station_id = record.station_id
        if not station_id:
            raise ValueError("a station needs an id")
        if station_id in self.stations:
            raise ValueError(f"a station named {station_id!r} already runs")
        if self.db is None:
            raise RuntimeError("the workspace is not started")
        for spec in devices:
            user = self.port_user(spec.port)
            if user is not None:
                raise ValueError(f"port {spec.port} is already attached to station {user}")
        if ocpp is not None:
            self.versions[station_id] = ocpp
        if devices:
            self.devices[station_id] = list(devices)
        try:
            run = self._build_run(record)
            if record.running:
                await run.start()
        except BaseException:
            if devices:  # a station that never came up leaves no hardware claimed
                self.devices.pop(station_id, None)
            raise
        if record.running:
            self._running.add(station_id)
        self.stations[station_id] = run
        self.records[station_id] = record
        if save:
            self._require_store().save_station(record)
            self._save_versions()
            self._save_devices()
        self.events.emit(StationAdded(run))
        return run

    # ------------------------------------------------------------ hardware (issue 6)
    def device_specs(self, station_id: str) -> list[DeviceSpec]:
        """The hardware attached to ``station_id`` whenever it starts (empty: virtual)."""
        return list(self.devices.get(station_id, ()))

    def is_physical(self, station_id: str) -> bool:
        return bool(self.devices.get(station_id))

    def port_user(self, port: str) -> str | None:
        """The station whose hardware is on ``port``, if any (a port drives one station)."""
        for station_id, specs in self.devices.items():
            if any(spec.port == port for spec in specs):
                return station_id
        return None

    def _load_devices(self, saved: Any) -> None:
        self.devices.clear()
        self._unreadable_devices.clear()
        for sid, entries in (saved if isinstance(saved, dict) else {}).items():
            try:
                if not isinstance(entries, list):
                    raise ValueError(f"not a list of devices: {entries!r}")
                self.devices[str(sid)] = [spec_from_json(entry) for entry in entries]
            except ValueError as exc:
                log.warning("station %s: saved hardware unreadable: %s", sid, exc)
                self._unreadable_devices.add(str(sid))

    def _save_devices(self) -> None:
        if self.store is not None:
            self.store.set_setting(
                _STATION_DEVICES,
                {
                    sid: [spec_to_json(spec) for spec in specs]
                    for sid, specs in sorted(self.devices.items())
                    if specs
                },
            )

    def ocpp_version(self, station_id: str) -> str:
        """The OCPP version ``station_id`` speaks: its own choice, else its profile's."""
        chosen = self.versions.get(station_id)
        if chosen is not None:
            return chosen
        record = self.records.get(station_id)
        return self.profile(record.profile).ocpp_version if record is not None else "1.6"

    def _save_versions(self) -> None:
        if self.store is not None:
            self.store.set_setting(_STATION_VERSIONS, dict(sorted(self.versions.items())))

    def _build_run(self, record: SavedStation) -> StationRun:
        if record.station_id in self._unreadable_devices:
            # Never start a physical station as a virtual one behind the user's back.
            raise ValueError("its saved hardware settings are unreadable; remove and attach again")
        profile = self.profile(record.profile)
        # The profile gives the endpoint and security; its subprotocol is replaced by the
        # one of the station's own version (StationRun builds the LinkConfig again).
        link = profile.link_config(record.station_id)  # a clear ValueError for bad settings
        return StationRun(
            StationOptions(
                csms_url=link.url,
                station_id=record.station_id,
                ocpp=self.versions.get(record.station_id, profile.ocpp_version),
                station_template=record.template,
                ev_template=record.ev_template,
                speed=record.speed,
                password=link.password,
                ca_file=link.ca_file,
                cert_file=link.cert_file,
                key_file=link.key_file,
                devices=self.device_specs(record.station_id),
            ),
            connection=self.db,
            message_log=self.message_log,
        )

    async def duplicate_station(self, station_id: str, new_id: str) -> StationRun:
        """A new station set up like ``station_id`` (template, EV, profile, speed).

        The copy is virtual: the original's hardware stays with the original.
        """
        record = self.records[station_id]
        return await self._add(
            replace(record, station_id=new_id, running=True),
            save=True,
            ocpp=self.versions.get(station_id),
        )

    async def remove_station(self, station_id: str) -> None:
        run = self.stations.pop(station_id)
        self.records.pop(station_id, None)
        if self.versions.pop(station_id, None) is not None:
            self._save_versions()
        self._unreadable_devices.discard(station_id)
        if self.devices.pop(station_id, None) is not None:
            self._save_devices()
        running = station_id in self._running
        self._running.discard(station_id)
        if self.store is not None:
            self.store.delete_station(station_id)
        self.events.emit(StationRemoved(station_id))
        if running:
            await run.stop()

    def is_running(self, station_id: str) -> bool:
        return station_id in self._running

    async def stop_station(self, station_id: str) -> None:
        """Power the station off (its link closes cleanly); it stays in the list, stopped."""
        if station_id not in self.stations:
            raise LookupError(f"no station named {station_id!r}")
        if station_id not in self._running:
            raise ValueError(f"{station_id} is already stopped")
        self._running.discard(station_id)
        self._set_running(station_id, False)
        await self.stations[station_id].stop()

    async def start_station(self, station_id: str) -> StationRun:
        """Power a stopped station on again: a fresh run with the current profile settings."""
        if station_id not in self.stations:
            raise LookupError(f"no station named {station_id!r}")
        if station_id in self._running:
            raise ValueError(f"{station_id} is already running")
        record = replace(self.records[station_id], running=True)
        run = self._build_run(record)
        await run.start()
        self._running.add(station_id)
        self.stations[station_id] = run
        self._set_running(station_id, True)
        self.events.emit(StationReplaced(run))
        return run

    def _set_running(self, station_id: str, running: bool) -> None:
        self.records[station_id] = replace(self.records[station_id], running=running)
        if self.store is not None:
            self.store.set_running(station_id, running)

    def _require_store(self) -> WorkspaceStore:
        if self.store is None:
            raise RuntimeError("the workspace is not started")
        return self.store
