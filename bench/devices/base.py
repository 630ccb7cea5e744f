"""The one small interface every hardware driver implements (ARCHITECTURE rules 5 and 6).

A driver is picked by name from the registry (``bench/devices/registry.py``),
describes its own settings (``Setting``: the GUI builds its form from them, the
CLI parses ``key=value`` text with them) and reports the health of its link
(``LinkHealth``) on its ``events`` emitter as ``HealthChanged``.

Roles:

``station``
    The driver's hardware *is* the charge point's controller: its connector
    state, pilot state and faults drive the model's connector.
``meter``
    The driver's hardware is the connector's meter of record
    (``connector.meter.set_external``).
``rfid``
    The driver's hardware reads cards (``station.present_id``).

Drivers never import ``bench.ocpp``: commands from the OCPP side reach them as
model state (limits, contactor, lock, availability) through ``station.events``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bench.model.events import Emitter

# ``Setting`` moved to the model so stations describe their settings the same way; both
# names stay importable from here for the drivers.
from bench.model.settings import SETTING_KINDS as SETTING_KINDS
from bench.model.settings import Setting

if TYPE_CHECKING:
    from bench.model.clock import Clock
    from bench.model.station import Station

ROLES = ("station", "meter", "rfid")


@dataclass(slots=True)
class LinkHealth:
    """How well the link to the hardware works; shown in the connector card and CLI."""

    connected: bool = False
    frames: int = 0  # good frames received
    corrupt: int = 0  # undecodable frames / garbage lines
    checksum_errors: int = 0
    timeouts: int = 0  # requests without a reply in time
    last_seen: float | None = None  # clock.monotonic() of the last good frame
    detail: str = ""  # last problem, one line

    def summary(self) -> str:
        """One line for logs and the CLI."""
        state = "connected" if self.connected else "disconnected"
        text = (
            f"{state}, frames={self.frames} corrupt={self.corrupt} "
            f"checksum={self.checksum_errors} timeouts={self.timeouts}"
        )
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True, slots=True)
class HealthChanged:
    """Emitted on ``driver.events`` with a snapshot of the driver's health."""

    health: LinkHealth


class DeviceDriver(ABC):
    """A piece of hardware on a port, attached to one station's connector."""

    name: ClassVar[str]
    role: ClassVar[str]
    title: ClassVar[str]
    settings: ClassVar[tuple[Setting, ...]] = ()

    def __init__(self, port: str, options: Mapping[str, Any], *, clock: Clock) -> None:
        self.port = port
        self.clock = clock
        self.connector_id = 1  # set from the spec by ``registry.create``
        # Every setting has a value: the given one, else the driver's default.
        self.options: dict[str, Any] = {s.key: s.default for s in self.settings}
        unknown = set(options) - set(self.options)
        if unknown:
            raise ValueError(
                f"{self.name}: unknown setting(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(s.key for s in self.settings) or 'none'}"
            )
        self.options.update(options)
        self.events = Emitter()
        self.health = LinkHealth()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}:{self.port}>"

    @abstractmethod
    async def attach(self, station: Station, connector_id: int = 1) -> None:
        """Open the port and start the driver's supervised task(s).

        Returns at once even when the port is absent: the driver keeps retrying (hot-plug).
        """

    @abstractmethod
    async def detach(self) -> None:
        """Stop the tasks, close the port, undo what ``attach`` did to the model."""

    # ------------------------------------------------------------ helpers for drivers
    def publish_health(self) -> None:
        """Emit a snapshot of ``health`` (a copy, so subscribers may keep it)."""
        h = self.health
        snapshot = LinkHealth(
            h.connected,
            h.frames,
            h.corrupt,
            h.checksum_errors,
            h.timeouts,
            h.last_seen,
            h.detail,
        )
        self.events.emit(HealthChanged(snapshot))
