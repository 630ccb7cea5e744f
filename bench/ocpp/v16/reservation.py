"""Reservations (1.6 §3.11, §5.1, §5.13).

A reservation of a connector lives on the model's ``Connector.reservation``
(so the derived status is ``Reserved``, §4.9); a reservation of connector 0
(``ReserveConnectorZeroSupported``) is kept here, since it pins no connector
but promises that one stays available for its idTag.

- ReserveNow answers from the 1.6 status of the target (the one place statuses
  come from): Faulted -> ``Faulted``, Unavailable -> ``Unavailable``, anything
  but Available -> ``Occupied`` (a reservation held by another id included);
  connector 0 without ``ReserveConnectorZeroSupported``, an unknown connector
  or an expiry already past -> ``Rejected``. A reservation with a known
  reservationId replaces the old one (§5.13).
- Only the reserved idTag, or a tag whose idTag/parent idTag matches the
  reservation's idTag/parent idTag, may start on a reserved connector; the
  parent of an incoming tag comes from Authorize.conf, the local list or the
  cache (§5.13, §3.10). The start carries the reservationId (§5.13).
- While a connector-0 reservation holds and only one connector is left Available,
  that connector reports Reserved (``ChargePoint16.status_of``, OCTT TC_049_CS).
- A reservation ends when its transaction starts, at ``expiryDate`` (a timer on
  the virtual clock; the connector turns Available again and a
  StatusNotification follows), on CancelReservation, or when its connector or
  the station turns Faulted or Unavailable (§5.13).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.model.transaction import Reservation
from bench.ocpp.common.timestamps import parse_iso
from bench.ocpp.v16.config import KeyDef, _key

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.connector import Connector
    from bench.model.station import Station
    from bench.ocpp.v16.authorization import Authorizer
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.ports import StatusSource

log = logging.getLogger(__name__)

PROFILE = "Reservation"  # its SupportedFeatureProfiles name
SUPPORTED = True  # listed in SupportedFeatureProfiles once its messages work
KEYS: tuple[KeyDef, ...] = (
    # 1.6 §9.3.1
    _key("ReserveConnectorZeroSupported", "boolean", "R", "true", profile=PROFILE),
)

_ENDED = ("Faulted", "Unavailable")  # statuses that terminate a reservation (§5.13)


def _same(a: str | None, b: str | None) -> bool:
    # IdToken is case-insensitive (1.6 §7.15, §7.28).
    return a is not None and b is not None and a.lower() == b.lower()


def matches(reservation: Reservation, id_tag: str, parent_id_tag: str | None) -> bool:
    """True when the incoming tag or its parent equals the reservation's idTag or parent (§5.13)."""
    return any(
        _same(mine, theirs)
        for mine in (id_tag, parent_id_tag)
        for theirs in (reservation.id_tag, reservation.parent_id_tag)
    )


class Reservations:
    __slots__ = (
        "_authorizer",
        "_clock",
        "_config",
        "_station",
        "_statuses",
        "_tasks",
        "_unsubscribe",
        "_zero",
    )

    def __init__(
        self,
        station: Station,
        *,
        clock: Clock,
        config: Configuration,
        tasks: Supervisor,
        authorizer: Authorizer,
        statuses: StatusSource,
    ) -> None:
        self._station = station
        self._clock = clock
        self._config = config
        self._tasks = tasks
        self._authorizer = authorizer  # the parent idTag it knows (§5.13)
        self._statuses = statuses  # a reservation needs an Available connector
        self._zero: Reservation | None = None  # the reservation of connector 0
        # Subscribed to model events only while a reservation exists (termination on
        # Faulted/Unavailable); idle stations carry no subscription.
        self._unsubscribe: Callable[[], None] | None = None

    # ------------------------------------------------------------ queries
    @property
    def zero(self) -> Reservation | None:
        return self._zero

    def find(self, reservation_id: int) -> tuple[int, Reservation] | None:
        """(connector id, reservation) for ``reservation_id``; connector id 0 for connector 0."""
        if self._zero is not None and self._zero.id == reservation_id:
            return 0, self._zero
        for connector in self._station.connectors:
            held = connector.reservation
            if held is not None and held.id == reservation_id:
                return connector.id, held
        return None

    def parent_of(self, id_tag: str) -> str | None:
        """The parent idTag the station knows for ``id_tag``: local list, then cache (§5.13)."""
        info = self._authorizer.local(id_tag)
        return info.get("parentIdTag") if info else None

    def matches(self, reservation: Reservation, id_tag: str, parent_id_tag: str | None) -> bool:
        """``matches``, with the reservation's parent looked up when ReserveNow gave none.

        A group (§3.10) is known by its parent idTag: when the CSMS reserved for a tag
        without naming its parent, the parent the station has learned for that tag
        (Authorize.conf via the cache, or the local list) stands in.
        """
        if matches(reservation, id_tag, parent_id_tag):
            return True
        if reservation.parent_id_tag is None and parent_id_tag is not None:
            return _same(self.parent_of(reservation.id_tag), parent_id_tag)
        return False

    def _free(self, connector: Connector) -> bool:
        status = self._statuses.status_of(connector.id).status
        # Reserved without a reservation of its own: the connector kept for the connector-0
        # reservation, free as far as that reservation is concerned.
        return status == "Available" or (status == "Reserved" and connector.reservation is None)

    def allows(self, connector: Connector, id_tag: str, parent_id_tag: str | None) -> bool:
        """May ``id_tag`` (with parent ``parent_id_tag``) start on ``connector``?"""
        held = connector.reservation
        if held is not None:
            return self.matches(held, id_tag, parent_id_tag)
        zero = self._zero
        if zero is not None and not self.matches(zero, id_tag, parent_id_tag):
            # §5.13: one connector must stay available for the connector-0 reservation.
            others = [c for c in self._station.connectors if c is not connector]
            return any(self._free(c) for c in others)
        return True

    def claim(self, connector: Connector, id_tag: str, parent_id_tag: str | None) -> int | None:
        """The reservationId a start of ``id_tag`` on ``connector`` fulfils, if any.

        Called just before the start: a connector-0 reservation ends here, the
        connector's own one when the model records the transaction.
        """
        held = connector.reservation
        if held is not None and self.matches(held, id_tag, parent_id_tag):
            self._tasks.cancel_timer(f"reservation-{held.id}")
            return held.id
        zero = self._zero
        if zero is not None and self.matches(zero, id_tag, parent_id_tag):
            self._drop_zero()
            return zero.id
        return None

    # ------------------------------------------------------------ handlers
    def handlers(self) -> dict[str, Any]:
        """CSMS-initiated actions this block answers."""
        return {
            "CancelReservation": self.cancel_reservation,
            "ReserveNow": self.reserve_now,
        }

    async def cancel_reservation(self, req: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §5.1
        found = self.find(req["reservationId"])
        if found is None:
            return {"status": "Rejected"}
        self._remove(*found)
        return {"status": "Accepted"}

    async def reserve_now(self, req: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §5.13, §7.40
        return {"status": self.reserve(req)}

    def reserve(self, req: dict[str, Any]) -> str:
        connector_id = req["connectorId"]
        reservation_id = req["reservationId"]
        expiry = parse_iso(req["expiryDate"])
        if expiry is None or expiry.tzinfo is None or expiry <= self._clock.now():
            return "Rejected"
        if connector_id > len(self._station.connectors):
            return "Rejected"
        if connector_id == 0 and not self._config.get_bool("ReserveConnectorZeroSupported"):
            return "Rejected"
        previous = self.find(reservation_id)
        status = self._verdict(connector_id, reservation_id)
        if status != "Accepted":
            return status
        if previous is not None:
            # §5.13: the same reservationId replaces the old reservation. On the same
            # connector the new one simply takes its place (no Available flicker).
            old_connector, old = previous
            if old_connector == connector_id:
                self._tasks.cancel_timer(f"reservation-{old.id}")
            else:
                self._remove(old_connector, old)
        reservation = Reservation(reservation_id, req["idTag"], expiry, req.get("parentIdTag"))
        if connector_id == 0:
            self._zero = reservation
            self._statuses.status_may_have_changed()  # the last free connector is Reserved
        else:
            self._station.connector(connector_id).reserve(reservation)
        self._watch()
        delay = (expiry - self._clock.now()).total_seconds()
        self._tasks.later(
            f"reservation-{reservation_id}",
            delay,
            lambda: self._expire(reservation_id),
        )
        log.info(
            "%s: reservation %d for %s on connector %d until %s",
            self._station.id,
            reservation_id,
            reservation.id_tag,
            connector_id,
            req["expiryDate"],
        )
        return "Accepted"

    def _verdict(self, connector_id: int, reservation_id: int) -> str:
        """Accepted / Faulted / Occupied / Unavailable for a reservation of ``connector_id``."""
        connectors = self._station.connectors
        zero = self._zero
        zero_other = zero is not None and zero.id != reservation_id
        if connector_id == 0:
            station = self._statuses.status_of(0).status
            if station in _ENDED:
                return station
            if zero_other:
                return "Occupied"  # §5.13: the charge point is already reserved
            statuses = [self._status_ignoring(c, reservation_id) for c in connectors]
            if "Available" in statuses:
                return "Accepted"
            for ended in _ENDED:
                if all(s == ended for s in statuses):
                    return ended
            return "Occupied"
        connector = self._station.connector(connector_id)
        status = self._status_ignoring(connector, reservation_id)
        if status in _ENDED:
            return status
        if status != "Available":
            return "Occupied"
        if zero_other and not any(self._free(c) for c in connectors if c is not connector):
            return "Occupied"  # the last free connector is promised to the connector-0 one
        return "Accepted"

    def _status_ignoring(self, connector: Connector, reservation_id: int) -> str:
        """The connector's status, reading Reserved-by-``reservation_id`` as Available."""
        status = self._statuses.status_of(connector.id).status
        held = connector.reservation
        if status == "Reserved" and held is not None and held.id == reservation_id:
            return "Available"
        zero = self._zero
        if status == "Reserved" and held is None and zero is not None and zero.id == reservation_id:
            return "Available"  # the connector kept for the connector-0 reservation replaced
        return status

    # ------------------------------------------------------------ ending reservations
    def _expire(self, reservation_id: int) -> None:
        found = self.find(reservation_id)
        if found is None:
            return  # already used, cancelled or replaced
        log.info("%s: reservation %d expired", self._station.id, reservation_id)
        self._remove(*found)

    def _remove(self, connector_id: int, reservation: Reservation) -> None:
        self._tasks.cancel_timer(f"reservation-{reservation.id}")
        if connector_id == 0:
            self._drop_zero()
        else:
            # The model event brings the StatusNotification (Reserved -> Available).
            self._station.connector(connector_id).cancel_reservation()
        self._unwatch_if_idle()

    def _drop_zero(self) -> None:
        self._zero = None
        self._statuses.status_may_have_changed()  # a connector it kept is Available again
        self._unwatch_if_idle()

    def _watch(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self._station.events.subscribe(self._on_model_event)

    def _unwatch_if_idle(self) -> None:
        if self._unsubscribe is None or self._zero is not None:
            return
        if any(c.reservation is not None for c in self._station.connectors):
            return
        self._unsubscribe()
        self._unsubscribe = None

    def _on_model_event(self, event: Any) -> None:
        # §5.13 (3): a Faulted or Unavailable connector or station ends its reservations.
        name = type(event).__name__
        if name not in ("ConnectorChanged", "StationChanged"):
            return
        if name == "ConnectorChanged" and event.reason == "transaction_started":
            self._unwatch_if_idle()  # the model consumed the connector's reservation
            return
        if name == "ConnectorChanged" and event.reason not in ("fault", "availability"):
            return
        station_ended = self._statuses.status_of(0).status in _ENDED
        zero = self._zero
        if zero is not None and station_ended:
            self._remove(0, zero)
        for connector in self._station.connectors:
            held = connector.reservation
            if held is not None and self._statuses.status_of(connector.id).status in _ENDED:
                log.info(
                    "%s: reservation %d ends: connector %d is %s",
                    self._station.id,
                    held.id,
                    connector.id,
                    self._statuses.status_of(connector.id).status,
                )
                self._remove(connector.id, held)
