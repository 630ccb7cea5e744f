"""A connector: the socket or cable an EV plugs into, with its contactor and meter.

The connector stores physical facts (plugged, locked, contactor, fault), its
availability, the transaction and reservation it holds, and the current limits
imposed on it. It never stores a protocol status: the OCPP layer derives one
from these facts (ARCHITECTURE rule 2).

Every verb follows the same pattern: integrate the meter up to now at the old
state (``_settle``), change the state, recompute the instantaneous meter values
and emit ``ConnectorChanged(connector_id, reason)`` (``_changed``). So energy is
always counted at the rate that really applied, and a subscriber reading the
connector from inside the event sees the new state.

Automatic hardware behaviour (what a real controller does on its own):
``begin_transaction`` locks the plug and closes the contactor when an EV is
plugged and no blocking fault is active; plugging in during a transaction does
the same; ``end_transaction`` opens the contactor and unlocks; ``unplug`` opens
the contactor; a fault that stops charging opens the contactor and clearing it
closes the contactor again when a transaction is still running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.model import faults as _faults
from bench.model.changes import ConnectorChanged
from bench.model.meter import Meter
from bench.model.transaction import Reservation, Transaction

if TYPE_CHECKING:
    from datetime import datetime

    from bench.model.ev import Ev
    from bench.model.faults import Fault
    from bench.model.station import Station


class StateError(RuntimeError):
    """A verb that the present state does not allow (plugging an occupied connector...)."""


class Connector:
    __slots__ = (
        "cable_in_socket",
        "cable_max_a",
        "contactor_closed",
        "ev",
        "fault",
        "finishing",
        "hardware",
        "hardware_max_a",
        "id",
        "limit_a",
        "limit_source",
        "local_limit_a",
        "locked",
        "meter",
        "operative",
        "pending_operative",
        "plugged",
        "reservation",
        "station",
        "transaction",
    )

    def __init__(
        self,
        station: Station,
        connector_id: int,
        hardware_max_a: float,
        cable_max_a: float | None = None,
    ) -> None:
        self.station = station
        self.id = connector_id
        self.hardware_max_a = float(hardware_max_a)
        # Rating of a tethered cable; None for a socket outlet (the EV's cable counts then).
        self.cable_max_a = cable_max_a
        self.plugged = False
        # A loose cable left in a socket outlet after its EV end was pulled
        # (``unplug_ev_side``): the connector is not free until it is taken out.
        self.cable_in_socket = False
        self.ev: Ev | None = None
        self.locked = False
        self.contactor_closed = False
        self.operative = True
        self.pending_operative: bool | None = None
        self.reservation: Reservation | None = None
        self.fault: Fault | None = None
        self.transaction: Transaction | None = None
        self.finishing = False
        self.limit_a: float | None = None
        self.limit_source: str | None = None
        self.local_limit_a: float | None = None
        # The hardware driver whose controller drives this connector (bench/devices), or
        # None for a simulated one. Typed loosely: the model does not import the drivers.
        self.hardware: object | None = None
        self.meter = Meter(self, station.clock.monotonic())

    def __repr__(self) -> str:
        return f"<Connector {self.station.id}#{self.id}>"

    # ------------------------------------------------------------ derived, read-only
    @property
    def current_limit_a(self) -> float:
        """The lowest of hardware, cable, smart-charging and local limits (per phase)."""
        limit = self.hardware_max_a
        for value in (self.effective_cable_max_a, self.limit_a, self.local_limit_a):
            if value is not None and value < limit:
                limit = value
        return max(0.0, limit)

    @property
    def effective_cable_max_a(self) -> float | None:
        """Cable rating in use: the tethered cable's, else the plugged EV's own cable's."""
        if not self.plugged:
            return None
        if self.cable_max_a is not None:
            return self.cable_max_a  # tethered: the EV's own cable stays in the boot
        return self.ev.spec.cable_max_a if self.ev is not None else None

    @property
    def blocking_fault(self) -> Fault | None:
        """The connector or station fault that keeps current from flowing, if any."""
        for fault in (self.fault, self.station.fault):
            if fault is not None and fault.blocks_current:
                return fault
        return None

    @property
    def offered_current_a(self) -> float:
        """Current per phase (DC: amps) the station offers now; 0 with the contactor open."""
        if not self.contactor_closed or not self.station.powered:
            return 0.0
        if self.blocking_fault is not None:
            return 0.0
        return self.current_limit_a

    @property
    def physical(self) -> bool:
        """True when real hardware drives this connector (a station-role device driver)."""
        return self.hardware is not None

    @property
    def drawing(self) -> bool:
        return self.meter.power_w > 0.0

    @property
    def ev_wants_energy(self) -> bool:
        return self.ev is not None and self.ev.wants_energy

    @property
    def energy_wh(self) -> int:
        """The meter register in whole Wh (never decreases)."""
        return int(self.meter.energy_wh)

    @property
    def power_w(self) -> float:
        return self.meter.power_w

    def power_to_current_a(self, watts: float) -> float:
        """Convert a power limit to this connector's current unit (per phase AC, DC amps)."""
        template = self.station.template
        lines = 1 if template.current_type == "DC" else template.phases
        return watts / (template.nominal_voltage_v * lines)

    # ------------------------------------------------------------ cable
    def plug_in(self, ev: Ev) -> None:
        if self.plugged:
            raise StateError(f"connector {self.id} already has an EV plugged in")
        if ev._connector is not None:
            raise StateError(f"{ev!r} is already plugged into {ev._connector!r}")
        self._settle()
        self.plugged = True
        self.cable_in_socket = False
        self.ev = ev
        ev._connector = self
        if self.transaction is not None and self._may_energise():
            self.locked = True
            self.contactor_closed = True
        self._changed("plugged")

    def unplug_ev_side(self) -> Ev | None:
        """Pull the cable at the EV only: a socket outlet keeps the loose cable (its
        station end) until ``remove_cable``; a tethered cable simply hangs free."""
        ev = self.unplug()
        if self.cable_max_a is None:
            self.cable_in_socket = True
            self._changed("cable_left")
        return ev

    def remove_cable(self) -> None:
        """Take the loose cable out of the socket (after ``unplug_ev_side``)."""
        if not self.cable_in_socket:
            raise StateError(f"connector {self.id} has no loose cable in its socket")
        self.cable_in_socket = False
        self._changed("cable_removed")

    def unplug(self) -> Ev | None:
        """Pull the cable (also models an EV-side disconnect); returns the EV."""
        if not self.plugged:
            raise StateError(f"connector {self.id} has nothing plugged in")
        self._settle()
        ev = self.ev
        if ev is not None:
            ev._connector = None
        self.plugged = False
        self.ev = None
        self.finishing = False
        self.contactor_closed = False
        # The socket's lock holds the cable's station end: pulling the EV end does not
        # release it. Whether it unlocks is the protocol's call (1.6 §9.1.33).
        self._changed("unplugged")
        return ev

    def lock(self) -> bool:
        """Lock the plug; False when a lock failure keeps the actuator from moving."""
        if self._lock_broken():
            return False
        if not self.locked:
            self.locked = True
            self._changed("lock")
        return True

    def unlock(self) -> bool:
        """Unlock the plug; False when a lock failure fault is active."""
        if self._lock_broken():
            return False
        if self.locked:
            self.locked = False
            self._changed("lock")
        return True

    # ------------------------------------------------------------ the EV, from the bench
    def suspend_ev(self) -> None:
        """The plugged EV pauses charging on its side (emits "ev_suspended")."""
        self._plugged_ev().suspend()

    def resume_ev(self) -> None:
        self._plugged_ev().resume()

    def set_ev_soc(self, pct: float) -> None:
        self._plugged_ev().set_soc(pct)

    def set_ev_target_soc(self, pct: float) -> None:
        self._plugged_ev().set_target_soc(pct)

    def _plugged_ev(self) -> Ev:
        if self.ev is None:
            raise StateError(f"connector {self.id} has no EV plugged in")
        return self.ev

    # ------------------------------------------------------------ faults
    def raise_fault(self, fault: Fault | str) -> None:
        if isinstance(fault, str):
            fault = _faults.fault(fault)
        self._settle()
        self.fault = fault
        if fault.stops_charging:
            self.contactor_closed = False
        self._changed("fault")

    def clear_fault(self) -> None:
        if self.fault is None:
            return
        self._settle()
        stopped = self.fault.stops_charging
        self.fault = None
        if stopped and self.transaction is not None and self.plugged and self._may_energise():
            self.contactor_closed = True
        self._changed("fault_cleared")

    # ------------------------------------------------------------ availability
    def apply_pending_operative(self) -> None:
        """Apply a change scheduled by ``schedule_operative`` (its transaction has ended)."""
        if self.pending_operative is not None and self.transaction is None:
            self.set_operative(self.pending_operative)

    def set_operative(self, operative: bool) -> None:
        self._settle()
        self.operative = bool(operative)
        self.pending_operative = None
        self._changed("availability")

    def schedule_operative(self, operative: bool, *, busy: bool | None = None) -> bool:
        """Change availability now, or when the running transaction ends.

        Returns True when applied now, False when scheduled (1.6 §5.2: Scheduled).
        ``busy`` overrides "a transaction runs" for protocols whose transactions can
        run without the model holding one (2.0.1 TxStartPoint EVConnected); whoever
        says busy applies ``pending_operative`` when its transaction ends.
        """
        if not (self.transaction is not None if busy is None else busy):
            self.set_operative(operative)
            return True
        self.pending_operative = bool(operative)
        self._changed("availability")
        return False

    # ------------------------------------------------------------ transactions
    def begin_transaction(
        self,
        id_tag: str,
        meter_start_wh: int,
        started_at: datetime,
        reservation_id: int | None = None,
    ) -> Transaction:
        """Record a started transaction; locks and energises when an EV is plugged and healthy.

        A reservation this transaction fulfils (same id, or same idTag) is consumed.
        """
        if self.transaction is not None:
            raise StateError(f"connector {self.id} already has a transaction")
        self._settle()
        tx = Transaction(id_tag, started_at, int(meter_start_wh), reservation_id=reservation_id)
        self.transaction = tx
        self.finishing = False
        reservation = self.reservation
        if reservation is not None and (
            reservation.id == reservation_id or reservation.id_tag == id_tag
        ):
            self.reservation = None
        if self.plugged and self._may_energise():
            self.locked = True
            self.contactor_closed = True
        self._changed("transaction_started")
        return tx

    def end_transaction(self, *, unlock: bool = True) -> Transaction:
        """End the running transaction.

        The contactor opens, the plug unlocks (unless ``unlock`` is false: the cable
        stays locked until its owner comes back) and a pending availability change applies.
        """
        tx = self.transaction
        if tx is None:
            raise StateError(f"connector {self.id} has no transaction")
        self._settle()
        tx.ended_at = self.station.clock.now()
        tx.meter_stop_wh = self.energy_wh
        self.transaction = None
        self.contactor_closed = False
        if unlock and not self._lock_broken():
            self.locked = False
        self.finishing = self.plugged
        if self.pending_operative is not None:
            self.operative = self.pending_operative
            self.pending_operative = None
        self._changed("transaction_ended")
        return tx

    # ------------------------------------------------------------ power
    def close_contactor(self) -> bool:
        """Energise the outlet; False (nothing changes) when unplugged, faulted or powered off."""
        if not self._may_energise() or not self.plugged:
            return False
        if not self.contactor_closed:
            self._settle()
            self.contactor_closed = True
            self._changed("contactor")
        return True

    def open_contactor(self) -> None:
        if self.contactor_closed:
            self._settle()
            self.contactor_closed = False
            self._changed("contactor")

    def set_limit(self, amps: float | None, source: str | None = None) -> None:
        """Smart-charging limit per phase in A (None removes it); ``source`` says who set it."""
        amps = _check_amps(amps)
        if amps == self.limit_a and source == self.limit_source:
            return
        self._settle()
        self.limit_a = amps
        self.limit_source = source if amps is not None else None
        self._changed("limit")

    def set_local_limit(self, amps: float | None) -> None:
        """A limit the bench user sets by hand (None removes it)."""
        amps = _check_amps(amps)
        if amps == self.local_limit_a:
            return
        self._settle()
        self.local_limit_a = amps
        self._changed("limit")

    # ------------------------------------------------------------ reservations
    def reserve(self, reservation: Reservation) -> None:
        self.reservation = reservation
        self._changed("reservation")

    def cancel_reservation(self) -> Reservation | None:
        reservation = self.reservation
        if reservation is not None:
            self.reservation = None
            self._changed("reservation")
        return reservation

    def expire_reservation(self, now: datetime) -> bool:
        """Drop the reservation if its expiry has passed; True when it did."""
        reservation = self.reservation
        if reservation is None or now < reservation.expiry:
            return False
        self.cancel_reservation()
        return True

    # ------------------------------------------------------------ internals
    def _may_energise(self) -> bool:
        return self.station.powered and self.blocking_fault is None

    def _lock_broken(self) -> bool:
        fault = self.fault
        return fault is not None and fault.error_code == "ConnectorLockFailure"

    def _settle(self) -> None:
        """Integrate the meter to now at the present state, before that state changes."""
        self.meter.update(self.station.clock.monotonic())

    def _changed(self, reason: str) -> None:
        self.meter.refresh()
        station = self.station
        station.events.emit(ConnectorChanged(self.id, reason, station.id))


def _check_amps(amps: float | None) -> float | None:
    if amps is None:
        return None
    amps = float(amps)
    if amps < 0 or amps != amps:
        raise ValueError(f"a current limit must be >= 0 A, got {amps}")
    return amps
