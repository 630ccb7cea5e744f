"""A loopback CSMS that notes when each frame arrives on the wire (network fault tests)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from tests.e2e.conftest import RawCsms


class WireCsms(RawCsms):
    """``RawCsms`` that also keeps ``(loop time, frame)`` of every frame received and
    counts the WebSocket connections made to it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: list[tuple[float, list[Any]]] = []
        self.connections = 0

    async def _handle(self, station_id: str, link: Any, subprotocol: str) -> None:
        self.connections += 1
        await super()._handle(station_id, link, subprotocol)

    async def _on_frame(self, text: str) -> None:
        self.arrivals.append((asyncio.get_running_loop().time(), orjson.loads(text)))
        await super()._on_frame(text)

    def arrived(self, action: str) -> list[tuple[float, list[Any]]]:
        """(time, frame) of each CALL ``action`` that arrived, oldest first."""
        return [(t, f) for t, f in self.arrivals if f[0] == 2 and f[2] == action]
