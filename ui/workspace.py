"""What the desktop app runs: the built-in CSMS and the stations, started and stopped as one.

Qt-free on purpose: the window is a view of a ``Workspace``, and a test (or a
future headless fleet runner) can drive the same object without a display.
All stations share one SQLite connection, so the message log of every station
lands in one table that the log view pages through.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from bench.csms.config import CsmsConfig, TagEntry
from bench.csms.server import CentralSystem
from bench.model.events import Emitter
from bench.runtime import StationOptions, StationRun
from bench.store.db import open_database
from bench.store.messages import MessageLog

log = logging.getLogger(__name__)

DEMO_STATION_ID = "DEMO-AC-11KW"
DEMO_STATION_TEMPLATE = "ac-11kw"
DEMO_EV_TEMPLATE = "family-ev"
DEMO_TAG = "DEMO-TAG-0001"

# The built-in CSMS knows one tag of each status, so a new user can watch a
# refusal as easily as an accepted start (1.6 §7.13 AuthorizationStatus).
DEMO_TAGS: dict[str, str] = {
    DEMO_TAG: "Accepted",
    "FLEET-CARD-0002": "Accepted",
    "BLOCKED-CARD": "Blocked",
    "EXPIRED-CARD": "Expired",
}


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "ocpp-bench" / "desktop"


@dataclass(frozen=True, slots=True)
class StationAdded:
    run: StationRun


@dataclass(frozen=True, slots=True)
class StationRemoved:
    station_id: str


@dataclass
class WorkspaceOptions:
    data_dir: Path = field(default_factory=default_data_dir)
    speed: float = 1.0  # virtual time factor of new stations
    demo: bool = True  # start the built-in CSMS and the demo station
    heartbeat_interval: int = 60  # what the built-in CSMS tells stations (s)


class Workspace:
    """The built-in CSMS plus the stations the user runs, and the shared message log."""

    def __init__(self, options: WorkspaceOptions | None = None) -> None:
        self.options = options or WorkspaceOptions()
        self.events = Emitter()
        self.csms: CentralSystem | None = None
        self.stations: dict[str, StationRun] = {}
        self.db: sqlite3.Connection | None = None
        self.message_log: MessageLog | None = None  # the reader the UI pages from
        self.default_ev = DEMO_EV_TEMPLATE
        self.default_tag = DEMO_TAG

    @property
    def csms_url(self) -> str | None:
        return self.csms.url if self.csms is not None else None

    def tags(self) -> dict[str, str]:
        """The built-in CSMS's tags and their statuses (for the Present card menu)."""
        if self.csms is None:
            return {}
        return {tag: entry.status for tag, entry in self.csms.config.tags.items()}

    async def start(self) -> None:
        data_dir = Path(self.options.data_dir)
        # A one-off local mkdir before anything runs; no need for a thread.
        data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        self.db = open_database(data_dir / "stations.db")
        self.message_log = MessageLog(self.db)
        if self.options.demo:
            await self.start_csms()
            await self.add_station(DEMO_STATION_ID, DEMO_STATION_TEMPLATE)

    async def start_csms(self) -> str:
        folder = Path(self.options.data_dir)
        self.csms = CentralSystem(
            CsmsConfig(
                db_path=str(folder / "csms.db"),
                heartbeat_interval=self.options.heartbeat_interval,
                tags={tag: TagEntry(status=status) for tag, status in DEMO_TAGS.items()},
            )
        )
        url = await self.csms.start()
        log.info("built-in CSMS on %s", url)
        return url

    async def add_station(
        self, station_id: str, template: str, csms_url: str | None = None
    ) -> StationRun:
        """Build a station from a template and start it against ``csms_url`` (default: ours)."""
        if station_id in self.stations:
            raise ValueError(f"a station named {station_id!r} already runs")
        url = csms_url or self.csms_url
        if url is None:
            raise ValueError("no CSMS to connect to: start the built-in CSMS or give a URL")
        if self.db is None:
            raise RuntimeError("the workspace is not started")
        run = StationRun(
            StationOptions(
                csms_url=url,
                station_id=station_id,
                station_template=template,
                ev_template=self.default_ev,
                speed=self.options.speed,
            ),
            connection=self.db,
        )
        await run.start()
        self.stations[station_id] = run
        self.events.emit(StationAdded(run))
        return run

    async def remove_station(self, station_id: str) -> None:
        run = self.stations.pop(station_id)
        self.events.emit(StationRemoved(station_id))
        await run.stop()

    async def stop(self) -> None:
        """Stop every station (each awaits ChargePoint16.stop), then the CSMS, then the db."""
        runs = list(self.stations.values())
        self.stations.clear()
        results = await asyncio.gather(*(run.stop() for run in runs), return_exceptions=True)
        for run, result in zip(runs, results, strict=True):
            if isinstance(result, BaseException):
                log.error("stopping %s failed: %s", run.station.id, result)
        if self.csms is not None:
            await self.csms.stop()
            self.csms = None
        if self.message_log is not None:
            self.message_log.close()
            self.message_log = None
        if self.db is not None:
            self.db.close()
            self.db = None
