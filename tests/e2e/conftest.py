"""Fixtures for end-to-end runs: the built-in CSMS and real 1.6 charge points over loopback.

Everything is real: WebSocket servers and clients on 127.0.0.1 with OS-assigned
ports, SQLite files in ``tmp_path``. Stations run on a ``SystemClock`` at
``SPEED`` times real time, so a virtual minute passes in half a real second;
intervals in configuration keys are virtual seconds.

- ``csms``: a started ``CentralSystem`` with the tag list ``TAGS``.
- ``make_csms(**config)``: more CSMS instances with other settings.
- ``make_cp(url, station_id, ...)``: builds, configures and starts a
  ``ChargePoint16``; every one is stopped at teardown. Its frames go to a
  ``FrameList`` (``sent(cp, "CALL", action)``) so tests see what it sent.
  Test stations reboot at once (``boot_seconds=0``) unless a test asks for a
  boot duration; ``clock`` replaces the ``SystemClock`` (a ``ManualClock``).
- ``RawCsms``: a hand-driven OCPP-J server for frames the real CSMS never sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.csms.config import CsmsConfig, TagEntry
from bench.csms.server import CentralSystem
from bench.kernel.frames import FanOut, FrameRecord, FrameSink
from bench.model.clock import Clock, SystemClock
from bench.model.ev import Ev
from bench.model.templates import (
    StationTemplate,
    build_station,
    load_ev_template,
    load_station_template,
    with_settings,
)
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.store.db import open_database
from bench.transport.backoff import Backoff
from bench.transport.config import LinkConfig
from bench.transport.server import OcppServer, serve_ocpp
from tests.waiting import wait_until

SPEED = 120.0  # virtual seconds per real second
WAIT = 5.0  # real seconds any single condition may take before a test fails

TAGS: dict[str, TagEntry] = {
    "TAG1": TagEntry("Accepted"),
    "TAG2": TagEntry("Accepted"),
    "BLOCKED": TagEntry("Blocked"),
    "EXPIRED": TagEntry("Accepted", expiry_date=datetime(2020, 1, 1, tzinfo=UTC)),
    "CHILD-A": TagEntry("Accepted", parent_id_tag="FLEET"),
    "CHILD-B": TagEntry("Accepted", parent_id_tag="FLEET"),
}

# Keys every test station starts with: short intervals, no chatter it did not ask for.
FAST_KEYS: dict[str, str] = {
    "MeterValueSampleInterval": "30",
    "ClockAlignedDataInterval": "0",
    "ConnectionTimeOut": "60",
    "TransactionMessageRetryInterval": "5",
}


class FrameList:
    """A FrameSink that keeps every frame record in memory, in order."""

    def __init__(self) -> None:
        self.records: list[FrameRecord] = []

    def record(self, rec: FrameRecord) -> None:
        self.records.append(rec)

    def sent(self, type_: str, action: str | None = None) -> list[FrameRecord]:
        return [
            r
            for r in self.records
            if r.direction == "tx" and r.type == type_ and (action is None or r.action == action)
        ]


def ev(template: str = "family-ev", **kw: Any) -> Ev:
    return Ev(load_ev_template(template), **kw)


def fast_backoff() -> Backoff:
    return Backoff(initial=0.05, maximum=0.3, jitter=0.0, rng=random.Random(0))


def station_template(template: str | StationTemplate, boot_seconds: float = 0.0) -> StationTemplate:
    """``template`` (a name, path or template) as tests use it: a reboot takes
    ``boot_seconds`` of station time, 0 unless a test is about the boot duration."""
    if not isinstance(template, StationTemplate):
        template = load_station_template(template)
    return with_settings(template, boot_seconds=boot_seconds)


async def kill(cp: ChargePoint16) -> None:
    """End a charge point as a power cut would: no drain, no orderly goodbye.

    Its tasks and timers are cancelled where they stand and the socket is
    dropped; whatever it had committed to its database is all that remains.
    """
    cp._stopping = True
    link = cp._link
    await cp.tasks.aclose()
    if link is not None:
        await link.close()
    cp._unsubscribe()


@pytest.fixture
async def make_csms(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[CentralSystem]]]:
    started: list[CentralSystem] = []

    async def factory(**overrides: Any) -> CentralSystem:
        settings: dict[str, Any] = {
            "db_path": tmp_path / "csms.db",
            "tags": dict(TAGS),
            "heartbeat_interval": 3600,
            "boot_retry_interval": 10,
        }
        settings.update(overrides)
        central = CentralSystem(CsmsConfig(**settings))
        await central.start()
        started.append(central)
        return central

    yield factory
    for central in reversed(started):
        await central.stop()


@pytest.fixture
async def csms(make_csms: Callable[..., Awaitable[CentralSystem]]) -> CentralSystem:
    return await make_csms()


CpFactory = Callable[..., Awaitable[ChargePoint16]]


@pytest.fixture
async def make_cp(tmp_path: Path) -> AsyncIterator[CpFactory]:
    """Build and start charge points; each keeps ``cp.frames`` and ``cp.db_path``."""
    made: list[ChargePoint16] = []
    connections: list[sqlite3.Connection] = []

    async def factory(
        url: str,
        station_id: str = "CP1",
        *,
        template: str | StationTemplate = "ac-11kw",
        speed: float = SPEED,
        keys: dict[str, str] | None = None,
        db_path: Path | None = None,
        db: sqlite3.Connection | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        start: bool = True,
        wait_accepted: bool = True,
        call_timeout: float = 3.0,
        validate: bool = True,
        log: FrameSink | None = None,
        boot_seconds: float = 0.0,
        clock: Clock | None = None,
    ) -> ChargePoint16:
        clock = clock or SystemClock(speed=speed)
        station = build_station(station_id, station_template(template, boot_seconds), clock)
        if db is None:  # ``db``: a connection the test made (one that can fail, say)
            db = open_database(db_path or tmp_path / f"{station_id}.db")
        connections.append(db)
        link = LinkConfig(
            url=url,
            station_id=station_id,
            password=password,
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
            open_timeout=2.0,
        )
        frames = FrameList()
        cp = ChargePoint16(
            station,
            link,
            db=db,
            sink=frames if log is None else FanOut(frames, log),
            validate=validate,
            call_timeout=call_timeout,
            physics_interval=0.05,
            backoff=fast_backoff(),
        )
        for key, value in {**FAST_KEYS, **(keys or {})}.items():
            cp.config.set(key, value)
        made.append(cp)
        if start:
            await cp.start()
            if wait_accepted:
                await cp.wait_accepted(WAIT)
        return cp

    yield factory
    for cp in reversed(made):
        if cp.link_state != "stopped" and not cp._stopping:
            await cp.stop(drain_timeout=1.0)
        elif not cp.tasks._closed:
            await cp.tasks.aclose()
    for db in connections:
        db.close()


def sent(cp: ChargePoint16, type_: str, action: str | None = None) -> list[FrameRecord]:
    """Frames of ``type_`` (and ``action``) the station sent, oldest first."""
    return frame_list(cp).sent(type_, action)


def frame_list(cp: ChargePoint16) -> FrameList:
    """The in-memory frame list of a station built by ``make_cp``."""
    sink = cp.session.sink
    if isinstance(sink, FanOut):
        sink = sink.sinks[0]
    assert isinstance(sink, FrameList)
    return sink


def db_file(cp: ChargePoint16) -> Path:
    """The SQLite file behind the station's database connection."""
    return Path(cp.db.execute("PRAGMA database_list").fetchone()[2])


# --------------------------------------------------------------------------- raw CSMS
_CANNED: dict[str, Callable[[dict[str, Any], int], dict[str, Any]]] = {
    "BootNotification": lambda p, n: {
        "status": "Accepted",
        "currentTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "interval": 3600,
    },
    "Authorize": lambda p, n: {"idTagInfo": {"status": "Accepted"}},
    "StartTransaction": lambda p, n: {
        "transactionId": 100 + n,
        "idTagInfo": {"status": "Accepted"},
    },
    "StopTransaction": lambda p, n: {},
    "Heartbeat": lambda p, n: {"currentTime": datetime.now(UTC).isoformat().replace("+00:00", "Z")},
}


class RawCsms:
    """A CSMS driven frame by frame: it sends whatever text a test gives it.

    It speaks ``subprotocol`` (1.6 by default) and answers station CALLs with
    ``canned`` valid replies (the 1.6 ones by default) unless ``override``
    holds a function for the action; that function returns the raw frame text
    to send back (or None to stay silent). Replies the station sends to our
    frames are collected by message id.
    """

    def __init__(
        self,
        subprotocol: str = "ocpp1.6",
        canned: dict[str, Callable[[dict[str, Any], int], dict[str, Any]]] | None = None,
    ) -> None:
        self.subprotocol = subprotocol
        self.canned = _CANNED if canned is None else canned
        self.server: OcppServer | None = None
        self.link: Any = None
        self.connected = asyncio.Event()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.replies: dict[str, list[Any]] = {}
        self.override: dict[str, Callable[[str, dict[str, Any]], str | None]] = {}
        self._count = 0
        self._reply_seen = asyncio.Event()
        self._call_seen = asyncio.Event()

    async def start(self, port: int = 0) -> str:
        self.server = await serve_ocpp(self._handle, port=port, subprotocols=(self.subprotocol,))
        return self.server.url

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    async def _handle(self, station_id: str, link: Any, subprotocol: str) -> None:
        self.link = link
        self.connected.set()
        with contextlib.suppress(Exception):
            for _ in range(100_000):
                text = await link.recv()
                await self._on_frame(text)

    async def _on_frame(self, text: str) -> None:
        frame = orjson.loads(text)
        if frame[0] == 2:
            _, msg_id, action, payload = frame
            self.calls.append((action, payload))
            self._call_seen.set()
            custom = self.override.get(action)
            if custom is not None:
                out = custom(msg_id, payload)
                if out is not None:
                    await self.link.send(out)
                return
            self._count += 1
            reply = self.canned.get(action, lambda p, n: {})(payload, self._count)
            await self.link.send(orjson.dumps([3, msg_id, reply]).decode())
        else:
            self.replies.setdefault(frame[1], []).append(frame)
            self._reply_seen.set()

    async def send_raw(self, text: str) -> None:
        await self.link.send(text)

    async def reply_to(self, msg_id: str, timeout: float = WAIT) -> list[Any]:
        """The station's answer (the whole frame) to the frame we sent with ``msg_id``."""
        return await wait_until(
            lambda: self.replies.get(msg_id, [None])[0], timeout, f"a reply to {msg_id}"
        )

    async def wait_call(
        self, action: str, count: int = 1, timeout: float = WAIT
    ) -> list[dict[str, Any]]:
        """Wait until the station has sent ``count`` CALLs of ``action``; their payloads."""

        def found() -> list[dict[str, Any]] | None:
            hits = [p for a, p in self.calls if a == action]
            return hits if len(hits) >= count else None

        return await wait_until(found, timeout, f"{count} x {action}")


@pytest.fixture
async def raw_csms() -> AsyncIterator[RawCsms]:
    raw = RawCsms()
    await raw.start()
    yield raw
    await raw.stop()


def later(seconds: float) -> str:
    """An ISO timestamp ``seconds`` from now (real UTC), for idTagInfo expiry dates."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- session helpers
async def status_sent(
    csms: CentralSystem, status: str, connector_id: int = 1, station: str = "CP1", **kw: Any
) -> dict[str, Any]:
    """Wait for the StatusNotification that reports ``status`` on ``connector_id``."""
    return await csms.wait_for_message(
        station,
        "StatusNotification",
        lambda p: p["status"] == status and p["connectorId"] == connector_id,
        timeout=kw.pop("timeout", WAIT),
        **kw,
    )


async def start_charging(
    cp: ChargePoint16, csms: CentralSystem, tag: str = "TAG1", connector_id: int = 1
) -> int:
    """Plug an EV, present ``tag``; returns the transactionId once the station is Charging."""
    cp.station.connector(connector_id).plug_in(ev())
    cp.present_id(tag, connector_id)
    await csms.wait_for_message(
        cp.station.id,
        "StartTransaction",
        lambda p: p["connectorId"] == connector_id,
        timeout=WAIT,
    )
    await status_sent(csms, "Charging", connector_id, cp.station.id)
    tx = cp.station.connector(connector_id).transaction
    assert tx is not None
    await wait_until(lambda: tx.protocol_id is not None, what="the transactionId")
    return tx.protocol_id


async def stopped(csms: CentralSystem, station: str = "CP1", **kw: Any) -> dict[str, Any]:
    return await csms.wait_for_message(station, "StopTransaction", timeout=WAIT, **kw)


async def present(cp: ChargePoint16, tag: str, connector_id: int | None = None) -> str:
    """Present ``tag`` at the reader; the station's authorization verdict for it."""
    from bench.ocpp.v16.charge_point import AuthorizationResult

    results: list[str] = []

    def on_event(event: Any) -> None:
        if isinstance(event, AuthorizationResult) and event.id_tag == tag:
            results.append(event.status)

    unsubscribe = cp.events.subscribe(on_event)
    try:
        cp.present_id(tag, connector_id)
        await wait_until(lambda: results, what=f"a verdict on {tag}")
    finally:
        unsubscribe()
    return results[0]
