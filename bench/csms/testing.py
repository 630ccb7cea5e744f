"""A scripted charge point for exercising the CSMS (tests, the GUI's self-check).

``stub_station(url, station_id)`` opens a real WebSocket link and an
``OcppSession`` on the charge point side; it answers CSMS-initiated requests
with canned, schema-valid 1.6 replies (override per action with a payload or
an async function) and records every request it was sent. It has no model:
what it sends is exactly what the test tells it to send.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from bench.kernel.frames import FrameSink
from bench.ocpp.session import OcppSession
from bench.transport.config import LinkConfig
from bench.transport.websocket import open_link

StubReply = dict[str, Any] | Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]

# One valid reply per CSMS-initiated 1.6 action.
DEFAULT_REPLIES_16: dict[str, dict[str, Any]] = {
    "CancelReservation": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Accepted"},
    "ChangeConfiguration": {"status": "Accepted"},
    "ClearCache": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "DataTransfer": {"status": "Accepted"},
    "GetCompositeSchedule": {"status": "Accepted", "connectorId": 1},
    "GetConfiguration": {
        "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
    },
    "GetDiagnostics": {"fileName": "diagnostics.log"},
    "GetLocalListVersion": {"listVersion": 0},
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Accepted"},
    "ReserveNow": {"status": "Accepted"},
    "Reset": {"status": "Accepted"},
    "SendLocalList": {"status": "Accepted"},
    "SetChargingProfile": {"status": "Accepted"},
    "TriggerMessage": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "UpdateFirmware": {},
}

BOOT_16 = {"chargePointVendor": "Bench", "chargePointModel": "Stub"}


class StubStation:
    """The charge point end of one connection, driven by a test."""

    def __init__(self, station_id: str, link: Any, replies: Mapping[str, StubReply]) -> None:
        self.station_id = station_id
        self.link = link
        self.replies = dict(replies)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.session: OcppSession | None = None

    def handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]]:
        def make(action: str) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
            async def handle(payload: dict[str, Any]) -> dict[str, Any]:
                self.received.append((action, payload))
                reply = self.replies[action]
                if callable(reply):
                    return await reply(payload)
                return reply

            return handle

        return {action: make(action) for action in self.replies}

    async def call(self, action: str, payload: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        assert self.session is not None
        return await self.session.call(action, payload, **kwargs)

    async def boot(self, **fields: Any) -> dict[str, Any]:
        return await self.call("BootNotification", {**BOOT_16, **fields})


@contextlib.asynccontextmanager
async def stub_station(
    url: str,
    station_id: str,
    *,
    replies: Mapping[str, StubReply] | None = None,
    sink: FrameSink | None = None,
    password: str | None = None,
    validate: bool = True,
) -> AsyncIterator[StubStation]:
    """Connect a ``StubStation``; its read loop runs until the block ends."""
    link = await open_link(LinkConfig(url, station_id, password=password))
    stub = StubStation(station_id, link, {**DEFAULT_REPLIES_16, **(replies or {})})
    session = OcppSession(
        link,
        version="1.6",
        station_id=station_id,
        handlers=stub.handlers(),
        sink=sink,
        validate=validate,
    )
    stub.session = session
    reader = asyncio.create_task(session.serve(), name=f"stub {station_id} reader")
    try:
        yield stub
    finally:
        await link.close()
        await asyncio.wait_for(reader, 10.0)
