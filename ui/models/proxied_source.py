"""A proxied charger dressed as a station for the main window's list, cards and graphs.

The bench does not simulate a charger it proxies: everything known about it is
what its frames said (``bench.proxy.observed.ObservedStation``). ``ProxiedSource``
is one row of the main window's station list for such a charger. It outlives
the connection: it follows whichever ``ProxiedStation`` the proxy holds for its
id (a fresh one after each reconnect), keeps the last connector reports and
the meter trace across reconnects, and says "disconnected" while the charger is
away. ``LiveGraphs`` reads it as it reads a station bridge (the same face as
``ui.models.bundle_source.BundleSource``): connectors, a template (AC with as
many phases as the meter values report) and one ``SampleBuffer`` per connector.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, Signal

from bench.proxy.observed import ObservedConnector
from bench.proxy.server import ProxyServer
from bench.proxy.station import ProxiedStation
from ui.models.samples import SampleBuffer
from ui.models.station_shape import ConnectorShape, StationShape, TemplateShape

VERSIONS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}


def place(key: tuple[int, int]) -> int:
    """The number a graph's connector box shows: the EVSE in 2.0.1, the connector in 1.6."""
    evse, connector = key
    return evse if evse else connector


class ProxiedSource(QObject):
    sampled = Signal()  # new meter rows in a buffer
    changed = Signal()  # connection, status or connectors changed
    shape_changed = Signal()  # the connectors or phases changed: graphs rebuild

    def __init__(self, station_id: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.station_id = station_id
        self.server: ProxyServer | None = None
        self.link: ProxiedStation | None = None  # None: the charger is not connected
        self.subprotocol: str | None = None
        self.connectors: dict[tuple[int, int], ObservedConnector] = {}
        self.samples: dict[int, SampleBuffer] = {}
        self.station = StationShape((), TemplateShape("AC", 1))
        self._last_t: dict[int, float] = {}
        self._summary: tuple[object, ...] = ()

    @property
    def connected(self) -> bool:
        return self.link is not None

    @property
    def version(self) -> str:
        return VERSIONS.get(self.subprotocol or "", self.subprotocol or "?")

    def follow(self, server: ProxyServer | None, link: ProxiedStation | None) -> None:
        """Track ``link`` (the proxy's station for this id now, None once it has left)."""
        self.server = server
        if link is not self.link:
            self.link = link
            if link is not None:
                self.subprotocol = link.subprotocol
        self.pull()

    def pull(self) -> None:
        """Copy what the charger reported since the last pull; signal what changed."""
        if self.link is not None:
            self.connectors = dict(self.link.observed.connectors)
        grew = self._copy_samples()
        shape = self._shape()
        if shape != self.station:
            self.station = shape
            self.shape_changed.emit()
        summary = (
            self.connected,
            self.subprotocol,
            tuple((k, c.status, c.charging_state, c.transaction_id) for k, c in self._sorted()),
        )
        if grew:
            self.sampled.emit()
        if summary != self._summary or grew:
            self._summary = summary
            self.changed.emit()

    def statuses(self) -> list[str]:
        return [c.status for _, c in self._sorted()]

    def _sorted(self) -> list[tuple[tuple[int, int], ObservedConnector]]:
        return sorted(self.connectors.items())

    def _copy_samples(self) -> bool:
        grew = False
        for key, connector in self._sorted():
            number = place(key)
            buffer = self.samples.setdefault(number, SampleBuffer())
            last = self._last_t.get(number, -math.inf)
            # By time, not by count: the observed list is trimmed, and a reconnect
            # starts a fresh one, while this buffer keeps the whole trace. A report
            # older than the last one drawn (queued while offline) is not drawn back.
            rows = connector.samples
            if not rows or rows[-1][0] <= last:
                continue  # nothing new: most ticks
            for row in rows:
                if row[0] > last:
                    buffer.append(row)
                    last = row[0]
                    grew = True
            self._last_t[number] = last
        return grew

    def _shape(self) -> StationShape:
        numbers = sorted({place(k) for k in self.connectors if place(k)}) or [1]
        phases = 1
        for buffer in self.samples.values():
            for index, name in ((3, "i3"), (2, "i2")):
                if index > phases and bool(np.isfinite(buffer.column(name)).any()):
                    phases = index
        return StationShape(tuple(ConnectorShape(n) for n in numbers), TemplateShape("AC", phases))
