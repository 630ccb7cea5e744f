"""A charge point on a ``ManualClock`` over the in-memory link, against a scripted CSMS.

``ScriptedCsms`` is the CSMS end of ``bench.transport.memory`` pairs: an
``OcppSession`` that answers what a station sends with canned, schema-valid
replies (``currentTime`` is the station's own time, so nothing shifts its clock)
and notes the station time at which each request came. A test builds a station
with ``manual_station(...)``, then moves time with ``await clock.run_for(s)``:
every timer fires at its own instant and the messages it sends are answered
before the next instant, so a day of station time takes a fraction of a real
second and every instant a test asserts is exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.model.clock import ManualClock
from bench.model.templates import build_station, load_station_template, with_settings
from bench.ocpp import schemas
from bench.ocpp.session import OcppSession
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.ocpp.v16.metering import iso
from bench.ocpp.v201.charge_point import ChargePoint201
from bench.ocpp.v201.device_model import VariableKey
from bench.store.db import open_database
from bench.transport.backoff import Backoff
from bench.transport.config import LinkConfig
from bench.transport.memory import MemoryLink, memory_pair

Reply = Callable[[dict[str, Any]], Any]  # a reply payload, or an awaitable of one


@dataclass(frozen=True, slots=True)
class Received:
    at: datetime  # the station time the request came in
    action: str
    payload: dict[str, Any]


class ScriptedCsms:
    """The CSMS end of in-memory links to one station (one link per connection)."""

    def __init__(self, clock: ManualClock, version: str, *, heartbeat_interval: int) -> None:
        self.clock = clock
        self.version = version
        self.heartbeat_interval = heartbeat_interval
        self.received: list[Received] = []
        self.replies: dict[str, Reply] = self._canned()
        self.session: OcppSession | None = None
        self._links: list[MemoryLink] = []
        self._serving: list[asyncio.Task[None]] = []
        self._tx = 0

    # ------------------------------------------------------------------ replies
    def _canned(self) -> dict[str, Reply]:
        now = lambda: iso(self.clock.now())  # noqa: E731
        boot = lambda _p: {  # noqa: E731
            "status": "Accepted",
            "currentTime": now(),
            "interval": self.heartbeat_interval,
        }
        common: dict[str, Reply] = {
            "BootNotification": boot,
            "Heartbeat": lambda _p: {"currentTime": now()},
        }
        if self.version == "1.6":
            return {
                **common,
                "Authorize": lambda _p: {"idTagInfo": {"status": "Accepted"}},
                "StartTransaction": self._start_transaction,
            }
        return {
            **common,
            "Authorize": lambda _p: {"idTokenInfo": {"status": "Accepted"}},
            "TransactionEvent": lambda p: (
                {"idTokenInfo": {"status": "Accepted"}} if "idToken" in p else {}
            ),
        }

    def _start_transaction(self, _payload: dict[str, Any]) -> dict[str, Any]:
        self._tx += 1
        return {"transactionId": self._tx, "idTagInfo": {"status": "Accepted"}}

    def _handler(self, action: str) -> Callable[[dict[str, Any]], Any]:
        async def handle(payload: dict[str, Any]) -> dict[str, Any]:
            self.received.append(Received(self.clock.now(), action, payload))
            reply = self.replies.get(action)
            answer = reply(payload) if reply is not None else {}
            if inspect.isawaitable(answer):  # a reply the test holds back
                answer = await answer
            return answer

        return handle

    # ------------------------------------------------------------------ links
    async def open_link(self, _config: LinkConfig) -> MemoryLink:
        """The station's ``open_link_fn``: a fresh in-memory pair served on our end."""
        station_end, csms_end = memory_pair(("station", "csms"))
        session = OcppSession(
            csms_end,
            version=self.version,
            station_id="CSMS",
            handlers={a: self._handler(a) for a in schemas.actions(self.version)},
            timers=self.clock,  # the CSMS's calls time out in station time too
        )
        self.session = session
        self._links.append(csms_end)
        self._serving.append(asyncio.get_running_loop().create_task(session.serve()))
        return station_end

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A CSMS-initiated request on the current connection; returns the reply."""
        assert self.session is not None, "the station has not connected"
        return await self.session.call(action, payload)

    async def drop_link(self) -> None:
        """Close the current connection from the CSMS end (a network blip)."""
        assert self._links, "the station has not connected"
        await self._links[-1].close()

    @property
    def connections(self) -> int:
        """How many connections the station has opened so far."""
        return len(self._links)

    async def close(self) -> None:
        for link in self._links:
            await link.close()
        await asyncio.gather(*self._serving)

    # ------------------------------------------------------------------ reading
    def requests(self, action: str) -> list[Received]:
        return [r for r in self.received if r.action == action]

    def statuses(self, connector_id: int) -> list[tuple[datetime, str]]:
        """(station time, status) of each StatusNotification about ``connector_id``."""
        out = []
        for r in self.requests("StatusNotification"):
            p = r.payload
            which = p.get("connectorId") if self.version == "1.6" else p.get("evseId")
            if which == connector_id:
                out.append((r.at, p.get("status") or p.get("connectorStatus")))
        return out


@dataclass(slots=True)
class ManualStation:
    cp: Any  # ChargePoint16 | ChargePoint201
    csms: ScriptedCsms
    clock: ManualClock


def _no_backoff() -> Backoff:
    return Backoff(initial=1.0, maximum=1.0, jitter=0.0, rng=random.Random(0))


@contextlib.asynccontextmanager
async def manual_station(
    tmp_path: Path,
    version: str,
    *,
    start: datetime,
    heartbeat_interval: int = 86_400,
    settings: dict[str, str] | None = None,
    clock: ManualClock | None = None,
    template: str = "ac-11kw",
    backoff: Backoff | None = None,
) -> AsyncIterator[ManualStation]:
    """Build, configure, start and (at the end) stop a station on a manual clock.

    ``async with manual_station(tmp_path, "1.6", start=...) as s:``; ``settings`` are
    1.6 configuration keys, or 2.0.1 ``"Component.Variable"`` values; ``backoff``
    replaces the default reconnect pause of one second.
    """
    clock = clock or ManualClock(start)
    csms = ScriptedCsms(clock, version, heartbeat_interval=heartbeat_interval)
    station = build_station(
        "CP1", with_settings(load_station_template(template), boot_seconds=0), clock
    )
    db: sqlite3.Connection = open_database(tmp_path / f"{version}.db")
    kind = ChargePoint16 if version == "1.6" else ChargePoint201
    cp = kind(
        station,
        # Never dialled: ``open_link_fn`` hands over an in-memory link instead.
        LinkConfig(
            url="ws://csms.invalid/ocpp",
            station_id="CP1",
            subprotocol="ocpp1.6" if version == "1.6" else "ocpp2.0.1",
        ),
        db=db,
        call_timeout=30.0,
        # The physics refresh on a manual clock is its own seconds: a minute is fine-grained
        # enough for an hour-long test and keeps the number of instants small.
        physics_interval=60.0,
        open_link_fn=csms.open_link,
        backoff=backoff or _no_backoff(),
    )
    for name, value in (settings or {}).items():
        if version == "1.6":
            cp.config.set(name, value)
        else:
            component, _, variable = name.partition(".")
            cp.set_own_variable(component, VariableKey(variable), value)
    await cp.start()
    await clock.settle()
    assert cp.accepted, "the scripted CSMS accepts the boot without time passing"
    try:
        yield ManualStation(cp, csms, clock)
    finally:
        await cp.stop(drain_timeout=1.0)
        await csms.close()
        db.close()
