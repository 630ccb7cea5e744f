"""The hardware behind a connector, and its link health, for the connector card.

``devices_of`` finds the drivers a card shows (the controller driving the
connector, the meter of record, the card reader); the ``*_text`` functions
format a ``LinkHealth``; ``HealthWatch`` turns the drivers' ``HealthChanged``
events into one coalesced Qt signal, the way ``StationBridge`` does for the
station's own events (a driver polling at 20 Hz costs at most ten repaints a
second).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from bench.devices.base import DeviceDriver, HealthChanged, LinkHealth
from bench.model.connector import Connector

REFRESH_MS = 100


def devices_of(connector: Connector) -> tuple[DeviceDriver, ...]:
    """The drivers attached to ``connector``'s station that concern this connector.

    A driver tells which connector it serves by ``connector`` (controller, meter),
    ``connector_id`` (card reader) or by driving it (``connector.hardware``); one
    that tells nothing serves the station and is shown on its first connector.
    """
    station = connector.station
    first = connector.id == min(c.id for c in station.connectors)
    return tuple(
        d for d in station.devices if isinstance(d, DeviceDriver) and _serves(d, connector, first)
    )


def _serves(driver: DeviceDriver, connector: Connector, first: bool) -> bool:
    if connector.hardware is driver:
        return True
    served = getattr(driver, "connector", None)
    served_id = getattr(driver, "connector_id", None)
    if served is None and served_id is None:
        return first  # station-wide
    return served is connector or served_id == connector.id


SHORT = 34  # characters of a path or a problem shown in the card (the rest in a tooltip)


def shorten(text: str, limit: int = SHORT) -> str:
    """``/tmp/…/ttyOPENEVSE``: the end of a long path (the device name) matters most."""
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def device_text(driver: DeviceDriver, *, short: bool = False) -> str:
    """``OpenEVSE (RAPI) on /dev/ttyUSB0``."""
    return f"{driver.title} on {shorten(driver.port) if short else driver.port}"


def link_text(health: LinkHealth, *, short: bool = False) -> str:
    state = "connected" if health.connected else "disconnected"
    if not health.detail:
        return state
    detail = health.detail
    if short and len(detail) > SHORT:
        detail = detail[: SHORT - 1] + "…"
    return f"{state} · {detail}"


def error_count(health: LinkHealth) -> int:
    """Everything that went wrong on the wire: corrupt frames, bad checksums, timeouts."""
    return health.corrupt + health.checksum_errors + health.timeouts


def errors_text(health: LinkHealth) -> str:
    total = error_count(health)
    if not total:
        return "0"
    return (
        f"{total}  (corrupt {health.corrupt}, checksum {health.checksum_errors}, "
        f"timeouts {health.timeouts})"
    )


def last_seen_text(health: LinkHealth, now: float) -> str:
    """How long ago the last good frame came (``now`` on the driver's clock)."""
    if health.last_seen is None:
        return "never"
    age = max(0.0, now - health.last_seen)
    if age < 60:
        return f"{age:.1f} s ago"
    if age < 3600:
        return f"{age / 60:.0f} min ago"
    return f"{age / 3600:.1f} h ago"


class HealthWatch(QObject):
    """``changed`` once per burst of ``HealthChanged`` from the drivers it tracks."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.drivers: tuple[DeviceDriver, ...] = ()
        self._unsubscribe: list[Callable[[], None]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.changed)

    def track(self, drivers: Sequence[DeviceDriver]) -> None:
        """Follow exactly ``drivers`` (no-op when they are the ones already followed)."""
        drivers = tuple(drivers)
        if len(drivers) == len(self.drivers) and all(
            a is b for a, b in zip(drivers, self.drivers, strict=True)
        ):
            return
        self.dispose()
        self.drivers = drivers
        # The emitter holds a plain function, not this QObject: a card deleted while its
        # (detached) driver still reports must not be called into.
        ref = weakref.ref(self)

        def deliver(event: Any) -> None:
            watch = ref()
            if watch is not None and shiboken6.isValid(watch) and isinstance(event, HealthChanged):
                watch._poke()

        self._unsubscribe = [driver.events.subscribe(deliver) for driver in drivers]

    def _poke(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def dispose(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.drivers = ()
