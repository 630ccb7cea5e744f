"""A charge point as a machine: identity, connectors, a clock and a seeded random source.

The station knows nothing of OCPP. It offers the verbs a technician has at the
box itself (present a badge, trip a station-wide fault, cycle the power) and
emits ``StationChanged`` / ``IdPresented`` on its emitter; connectors emit
``ConnectorChanged`` on the same emitter.

Per-station objects use ``__slots__``: a fleet run keeps thousands of stations in
one process, so a station with one connector costs a few KiB (most of it the
Mersenne Twister state of its ``random.Random``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.model import faults as _faults
from bench.model.changes import ConnectorChanged, IdPresented, StationChanged
from bench.model.connector import Connector, StateError
from bench.model.events import Emitter
from bench.model.rng import LightRandom

if TYPE_CHECKING:
    from bench.model.clock import Clock
    from bench.model.faults import Fault
    from bench.model.templates import StationTemplate

__all__ = [
    "ConnectorChanged",
    "IdPresented",
    "StateError",
    "Station",
    "StationChanged",
    "StationIdentity",
]


@dataclass(slots=True)
class StationIdentity:
    vendor: str
    model: str
    serial_number: str
    firmware_version: str
    charge_box_serial_number: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


class Station:
    __slots__ = (
        "clock",
        "connectors",
        "devices",
        "events",
        "fault",
        "id",
        "identity",
        "powered",
        "rng",
        "template",
    )

    def __init__(
        self,
        station_id: str,
        identity: StationIdentity,
        template: StationTemplate,
        clock: Clock,
        seed: int | str = 0,
        events: Emitter | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.id = station_id
        self.identity = identity
        self.template = template
        self.clock = clock
        # The model draws only rng.random(), so any object with that method will do
        # (e.g. bench.model.rng.LightRandom: 8 bytes of state instead of 2.5 KiB).
        self.rng = rng if rng is not None else LightRandom(seed)
        self.events = events if events is not None else Emitter()
        self.fault: Fault | None = None
        self.powered = True
        # Hardware drivers attached to this station (bench/devices), any role, in attach order.
        # A tuple: the empty one is shared, so a fleet of virtual stations pays nothing for it.
        self.devices: tuple[object, ...] = ()
        self.connectors: list[Connector] = []
        for n in range(1, template.connectors + 1):
            self.connectors.append(Connector(self, n, template.max_current_a, template.cable_max_a))

    def __repr__(self) -> str:
        return f"<Station {self.id} {self.template.name}>"

    def connector(self, connector_id: int) -> Connector:
        """Connector ``connector_id`` (1-based); ValueError for any other number."""
        if isinstance(connector_id, int) and 1 <= connector_id <= len(self.connectors):
            return self.connectors[connector_id - 1]
        raise ValueError(
            f"station {self.id} has connectors 1..{len(self.connectors)}, not {connector_id!r}"
        )

    # ------------------------------------------------------------ time
    def tick(self) -> None:
        """Advance every meter to the clock's now and expire reservations.

        Cheap when idle: one subtraction per connector, a few random draws per
        virtual second for the voltage noise.
        """
        now = self.clock.monotonic()
        for connector in self.connectors:
            connector.meter.update(now)
            if connector.reservation is not None:
                connector.expire_reservation(self.clock.now())

    # ------------------------------------------------------------ verbs
    def present_id(self, id_tag: str, connector_id: int | None = None) -> bool:
        """Show a badge to the reader; False (nothing emitted) when the reader is broken
        or the station is off."""
        if connector_id is not None:
            self.connector(connector_id)  # validate
        if not self.powered or self._reader_broken():
            return False
        self.events.emit(IdPresented(id_tag, connector_id, self.id))
        return True

    def raise_fault(self, fault: Fault | str) -> None:
        """A station-wide fault (connector 0); a stopping one opens every contactor."""
        if isinstance(fault, str):
            fault = _faults.fault(fault)
        self._settle_all()
        self.fault = fault
        if fault.stops_charging:
            for connector in self.connectors:
                connector.contactor_closed = False
        self._changed("fault")

    def clear_fault(self) -> None:
        if self.fault is None:
            return
        self._settle_all()
        stopped = self.fault.stops_charging
        self.fault = None
        if stopped:
            self._reenergise()
        self._changed("fault_cleared")

    def power_off(self) -> None:
        """Cut the supply: contactors open. Transactions stay recorded; the protocol
        layer decides what becomes of them after the reboot."""
        self._settle_all()
        self.powered = False
        for connector in self.connectors:
            connector.contactor_closed = False
        self._changed("power_off")

    def power_on(self) -> None:
        """Restore the supply. Contactors stay open until someone closes them."""
        self._settle_all()
        self.powered = True
        self._changed("power_on")

    def set_firmware_version(self, version: str) -> None:
        self.identity.firmware_version = version
        self.events.emit(StationChanged("firmware", self.id))

    # ------------------------------------------------------------ internals
    def _reader_broken(self) -> bool:
        fault = self.fault
        return fault is not None and fault.error_code == "ReaderFailure"

    def _settle_all(self) -> None:
        now = self.clock.monotonic()
        for connector in self.connectors:
            connector.meter.update(now)

    def _reenergise(self) -> None:
        for connector in self.connectors:
            tx = connector.transaction
            if tx is not None and connector.plugged and connector._may_energise():
                connector.contactor_closed = True

    def _changed(self, reason: str) -> None:
        for connector in self.connectors:
            connector.meter.refresh()
        self.events.emit(StationChanged(reason, self.id))
