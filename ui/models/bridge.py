"""Core events to Qt signals, for one station.

The core's emitters deliver synchronously on the event-loop thread (qasync runs
asyncio on Qt's thread), so the bridge only coalesces: any number of model or
charge-point events within one timer interval becomes one ``changed`` signal, so
a burst of meter updates costs one repaint. It also samples each connector's
meter once a second into a ``SampleBuffer`` for the graphs.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from bench.runtime import StationRun
from ui.models.samples import SampleBuffer, sample

REFRESH_MS = 100  # at most ten repaints a second per station
SAMPLE_MS = 1000


class StationBridge(QObject):
    changed = Signal()  # anything about the station may have changed (coalesced)
    sampled = Signal()  # a new row in every connector's SampleBuffer
    authorization = Signal(str, str)  # id tag, status (1.6 §7.13, 2.0.1 AuthorizationStatus)
    link_changed = Signal(str, str)  # state, detail

    def __init__(self, run: StationRun, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run = run
        self.cp = run.cp
        self.station = run.station
        self.samples: dict[int, SampleBuffer] = {
            c.id: SampleBuffer() for c in self.station.connectors
        }
        self._unsubscribe = [
            self.station.events.subscribe(self._on_event),
            self.cp.subscribe(self._on_cp_event),
        ]
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self.changed)
        self._sampler = QTimer(self)
        self._sampler.setInterval(SAMPLE_MS)
        self._sampler.timeout.connect(self.take_sample)
        self._sampler.start()
        self.take_sample()

    @property
    def station_id(self) -> str:
        return self.station.id

    def _on_event(self, _event: Any) -> None:
        if not self._refresh.isActive():
            self._refresh.start()

    def _on_cp_event(self, event: Any) -> None:
        name = type(event).__name__
        if name == "AuthorizationResult":
            self.authorization.emit(event.id_tag, event.status)
        elif name == "TokenAuthorized":  # 2.0.1 (C01): the verdict on a presented idToken
            self.authorization.emit(event.id_token, event.status)
        elif name == "LinkChanged":
            self.link_changed.emit(event.state, event.detail)
        self._on_event(event)

    def take_sample(self) -> None:
        t = self.station.clock.now().timestamp()
        for connector in self.station.connectors:
            self.samples[connector.id].append(sample(self.cp, connector, t))
        self.sampled.emit()
        # Heartbeat age and meter readings move without events: refresh once a second.
        self._on_event(None)

    def dispose(self) -> None:
        self._sampler.stop()
        self._refresh.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
