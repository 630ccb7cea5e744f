"""A bench station's connections as rows of its message log (LINK "open" / "closed").

The proxy logs when each leg opens and closes (``bench.proxy.station``); a station
run by the bench logs the same for its own link, so its log, and a session bundle
made from it, say where the connection dropped and came back. ``ocpp-bench replay``
reconnects at those points (``bench.bundle.replay``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.kernel.frames import FrameRecord, FrameSink
from bench.model.clock import Clock
from bench.ocpp.api import ChargePointApi
from bench.ocpp.charge_point_base import CONNECTED, LinkChanged

__all__ = ["LinkRows"]


class LinkRows:
    """Writes a LINK row into ``sink`` each time ``cp``'s connection opens or ends."""

    def __init__(self, cp: ChargePointApi, sink: FrameSink, clock: Clock, station_id: str):
        self.sink = sink
        self.clock = clock
        self.station_id = station_id
        self._open = False
        self._unsubscribe: Callable[[], None] | None = cp.subscribe(self._on_event)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_event(self, event: object) -> None:
        if not isinstance(event, LinkChanged):
            return
        if event.state == CONNECTED and not self._open:
            self._open = True
            self._row({"event": "open"})
        elif event.state != CONNECTED and self._open:
            self._open = False
            self._row({"event": "closed", "state": event.state, "detail": event.detail})

    def _row(self, payload: dict[str, Any]) -> None:
        # From the station's side, as its frames are: its own link is "tx".
        self.sink.record(
            FrameRecord(
                self.clock.now().timestamp(),
                self.station_id,
                "tx",
                "LINK",
                None,
                None,
                payload,
                None,
            )
        )
