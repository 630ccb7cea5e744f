"""Issue 17: a recorded session that lost its connection replays with a reconnect.

A raw OCPP-J charger talks through the proxy to a loopback CSMS, leaves and comes
back; the proxy's log of the charger leg, exported as a bundle, is replayed against
a second loopback CSMS, which must see the same two connections with the same
requests on each.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from bench.bundle.export import export_bundle
from bench.bundle.replay import Replay, ReplayOptions
from bench.model.clock import SystemClock
from bench.runtime import StationOptions, StationRun
from bench.store.db import open_database
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.proxy_support import ProxyFactory, make_proxy
from tests.e2e.wire import WireCsms

__all__ = ["make_proxy"]  # the fixture, imported for pytest

pytestmark = pytest.mark.timeout(90)

BOOT = {"chargePointVendor": "Lab", "chargePointModel": "Wallbox"}
STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}


class ConnectionsWire(WireCsms):
    """Notes how many frames had arrived when each connection opened."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened_after: list[int] = []

    async def _handle(self, station_id: str, link: Any, subprotocol: str) -> None:
        self.opened_after.append(len(self.arrivals))
        await super()._handle(station_id, link, subprotocol)


@pytest.fixture
async def wires() -> AsyncIterator[list[ConnectionsWire]]:
    made: list[ConnectionsWire] = []
    yield made
    for server in made:
        await server.stop()


async def _wire(wires: list[ConnectionsWire]) -> ConnectionsWire:
    server = ConnectionsWire()
    await server.start()
    wires.append(server)
    return server


async def _call(charger: Any, msg_id: str, action: str, payload: dict[str, Any]) -> None:
    await charger.send(json.dumps([2, msg_id, action, payload]))
    reply = json.loads(await asyncio.wait_for(charger.recv(), WAIT))
    assert reply[:2] == [3, msg_id]


async def test_a_session_with_a_reconnect_replays_with_a_reconnect_at_the_same_point(
    wires: list[ConnectionsWire], make_proxy: ProxyFactory, tmp_path: Path
) -> None:
    recorded_csms = await _wire(wires)
    proxy = await make_proxy(recorded_csms.url)
    url = f"{proxy.url}/FIELD-2"
    async with connect(url, subprotocols=["ocpp1.6"], proxy=None) as charger:
        first = await proxy.server.wait_station("FIELD-2", WAIT)
        await _call(charger, "b1", "BootNotification", BOOT)
        await _call(charger, "h1", "Heartbeat", {})
    await asyncio.wait_for(first.ended.wait(), WAIT)
    async with connect(url, subprotocols=["ocpp1.6"], proxy=None) as charger:
        await _call(charger, "h2", "Heartbeat", {})
        await _call(charger, "s1", "StatusNotification", STATUS)
    await wait_until(lambda: "FIELD-2" not in proxy.server.stations, WAIT, "the charger gone")
    assert recorded_csms.opened_after == [0, 2]
    proxy.log.flush()
    db = open_database(tmp_path / "proxy0.db")  # the file make_proxy logs into
    try:
        bundle = export_bundle(db, "FIELD-2", now=datetime.now(UTC))
    finally:
        db.close()

    fresh = await _wire(wires)
    replay = Replay(bundle, ReplayOptions(csms_url=fresh.url, speed=1000.0), SystemClock())
    report = await replay.run()

    # The same requests on each connection as in the recording.
    assert fresh.opened_after == [0, 2]
    assert [frame[2] for _, frame in fresh.arrivals] == [
        "BootNotification",
        "Heartbeat",
        "Heartbeat",
        "StatusNotification",
    ]
    assert report.same, report.differences
    assert report.calls == 4 and report.reconnects == 1
    assert "over 2 connections" in report.summary()


async def test_a_bench_station_s_reconnect_is_in_its_bundle_and_replayed_at_the_same_point(
    wires: list[ConnectionsWire], tmp_path: Path
) -> None:
    """The station's own log says where its link dropped (LINK rows), so its bundle
    replays the reconnect too."""
    recorded_csms = await _wire(wires)
    run = StationRun(
        StationOptions(
            csms_url=recorded_csms.url,
            station_id="LAB-3",
            db=str(tmp_path / "lab.db"),
            settings={"boot_seconds": "0"},
        )
    )
    await run.start()
    try:
        await run.cp.wait_accepted(WAIT)
        # Quiet before the drop (charge point and connector statuses answered): a frame
        # sent into the dying link may or may not have reached the CSMS.
        await wait_until(
            lambda: len(recorded_csms.arrived("StatusNotification")) == 2, WAIT, "statuses"
        )
        await run.cp.send_heartbeat()
        before_drop = len(recorded_csms.arrivals)
        await run.cp.drop_connection()
        await wait_until(
            lambda: run.cp.online and len(recorded_csms.opened_after) == 2, WAIT, "back online"
        )
        await run.cp.send_heartbeat()
    finally:
        await run.stop()
    assert recorded_csms.opened_after == [0, before_drop]
    db = open_database(tmp_path / "lab.db")
    try:
        bundle = export_bundle(db, "LAB-3", now=datetime.now(UTC))
    finally:
        db.close()
    assert [f.payload["event"] for f in bundle.frames if f.type == "LINK"][:2] == [
        "open",
        "closed",
    ]

    fresh = await _wire(wires)
    replay = Replay(bundle, ReplayOptions(csms_url=fresh.url, speed=1000.0), SystemClock())
    report = await replay.run()

    assert fresh.opened_after == recorded_csms.opened_after
    assert [f[2] for _, f in fresh.arrivals] == [f[2] for _, f in recorded_csms.arrivals]
    assert report.same, report.differences
    assert report.reconnects == 1
