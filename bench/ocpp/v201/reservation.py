"""Functional block H: ReserveNow, CancelReservation, ReservationStatusUpdate (H01-H04).

A reservation of a specific EVSE also lives on the model's ``Connector.reservation``,
so the derived status is Reserved (H01.FR.23, one connector per EVSE); a
reservation without evseId (``ReservationCtrlr.NonEvseSpecific``, H01.FR.18/19),
possibly for a connectorType, pins no EVSE: the station keeps enough Available
EVSEs of that type free for every such reservation (H01.FR.07/09), by refusing
other tokens where starting would break that promise (``allows``). When those
reservations need every free EVSE (of their connectorType), each such EVSE holds
one of them in the model too, so it reports Reserved (H01.FR.20/24); these
"holds" follow the reservations and the statuses (``_refresh_holds``).

- ReserveNow: Rejected when reservations are off (H01.FR.01), the expiry has
  passed, the EVSE is unknown, or no EVSE has the connectorType; otherwise from
  the targeted EVSEs' statuses: Faulted (H01.FR.12), Unavailable (H01.FR.14),
  Occupied when Occupied or Reserved (H01.FR.11) or when the EVSE is needed for
  an unspecified reservation; Accepted (H01.FR.03/04/06). A known id replaces
  its reservation (H01.FR.02).
- Only the reservation's idToken, or a token of its groupIdToken, may use a
  reserved EVSE (H03.FR.01-06); the group of a presented token comes from the
  list, the cache or the last AuthorizeResponse (H03.FR.07/08). ``consume``
  ends the reservation a starting transaction fulfils and returns its id for the
  TransactionEvent (H01.FR.15, H03.FR.09/10).
- A reservation ends at its expiry with ReservationStatusUpdate Expired and the
  EVSE Available again (H04.FR.01-03); when its EVSE turns Faulted or Unavailable,
  or the token starts charging on another EVSE, with Removed (H01.FR.16/17); on
  CancelReservation without one (H02.FR.02, H02 remark).
- Reservations are persisted (``cp.state`` "reservations") and restored at
  power-on (B01.FR.13); one that expired meanwhile is reported Expired once the
  station is accepted again. Updates wait in an outbox while offline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bench.model.transaction import Reservation
from bench.ocpp.common.timestamps import iso, parse_iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.v201.auth_tokens import bare_token, same_group, same_token
from bench.ocpp.v201.block import Block, Evses, Handler, Messaging, Persistence, Services, Variables
from bench.ocpp.v201.device_model import ComponentKey
from bench.ocpp.v201.ports import TokenGroups
from bench.ocpp.v201.status import CONNECTOR_ON_EVSE

log = logging.getLogger(__name__)

STATE_NAME = "reservations"
_ENDING = ("Faulted", "Unavailable")


@dataclass(frozen=True, slots=True)
class Reservation201:
    id: int
    id_token: dict[str, Any]
    expiry: datetime
    evse_id: int | None = None
    connector_type: str | None = None
    group_id_token: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "idToken": self.id_token,
            "expiryDateTime": iso(self.expiry),
            "evseId": self.evse_id,
            "connectorType": self.connector_type,
            "groupIdToken": self.group_id_token,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reservation201 | None:
        expiry = parse_iso(data.get("expiryDateTime", ""))
        if expiry is None:
            return None
        return cls(
            int(data["id"]),
            data["idToken"],
            expiry,
            data.get("evseId"),
            data.get("connectorType"),
            data.get("groupIdToken"),
        )


@dataclass(frozen=True, slots=True)
class ReservationsChanged:
    count: int


@dataclass(frozen=True, slots=True)
class ReservationEnded:
    """``how``: Expired, Removed, Cancelled or Used."""

    reservation_id: int
    how: str


def matches(r: Reservation201, id_token: dict[str, Any], group: dict[str, Any] | None) -> bool:
    """H03.FR.01-06: the reservation's own token, or a token of its group."""
    return same_token(r.id_token, id_token) or same_group(r.group_id_token, group)


class ReservationHost(Services, Messaging, Variables, Persistence, Evses, Protocol):
    """What block H uses of the station: EVSEs and statuses, ReservationCtrlr, stored ones."""


class Reservations(Block[ReservationHost]):
    __slots__ = ("_groups", "_holding", "_holds", "_loaded", "_outbox", "_reservations")

    def __init__(self, cp: ReservationHost, groups: TokenGroups) -> None:
        super().__init__(cp)
        self._groups = groups
        self._reservations: dict[int, Reservation201] = {}
        self._outbox: list[tuple[int, str]] = []
        self._loaded = False
        # EVSE -> id of the unspecified reservation it holds in the model (H01.FR.20/24).
        self._holds: dict[int, int] = {}
        self._holding = False  # placing holds: the model events this causes are ours

    def handlers(self) -> dict[str, Handler]:
        return {"ReserveNow": self.reserve_now, "CancelReservation": self.cancel_reservation}

    # ------------------------------------------------------------ the interface of block H
    def reservations(self) -> list[Reservation201]:
        self._load()
        return list(self._reservations.values())

    def for_evse(self, evse_id: int) -> Reservation201 | None:
        """The reservation of this EVSE in particular (not the unspecified ones)."""
        self._load()
        return next((r for r in self._reservations.values() if r.evse_id == evse_id), None)

    def allows(
        self, evse_id: int, id_token: dict[str, Any], group: dict[str, Any] | None = None
    ) -> bool:
        """May ``id_token`` (of ``group``) start charging on ``evse_id`` now?"""
        self._load()
        if not self._reservations:
            return True
        if group is None:
            group = self._groups.group_of(id_token)
        own = self.for_evse(evse_id)
        if own is not None:
            return matches(own, id_token, group)
        others = [
            r
            for r in self._reservations.values()
            if r.evse_id is None and not matches(r, id_token, group)
        ]
        free = {n for n in self._available() if n != evse_id}
        return self._feasible(others, free)

    def consume(
        self, evse_id: int, id_token: dict[str, Any], group_id_token: dict[str, Any] | None = None
    ) -> int | None:
        """The reservationId a transaction of ``id_token`` starting on ``evse_id`` fulfils."""
        self._load()
        if not self._reservations:
            return None
        group = group_id_token or self._groups.group_of(id_token)
        own = self.for_evse(evse_id)
        if own is not None and matches(own, id_token, group):
            self._end(own, "Used")  # H03.FR.09/10
            return own.id
        for r in list(self._reservations.values()):
            if r.evse_id is None and self._candidate(r, evse_id) and matches(r, id_token, group):
                self._end(r, "Used")
                return r.id
        for r in list(self._reservations.values()):
            if r.evse_id is not None and same_token(r.id_token, id_token):
                self._end(r, "Removed")  # used elsewhere: that EVSE is free again
        return None

    # ------------------------------------------------------------ H01 ReserveNow
    async def reserve_now(self, req: dict[str, Any]) -> dict[str, Any]:
        self._load()
        status, reason = self._verdict(req)
        if status != "Accepted":
            reply: dict[str, Any] = {"status": status}
            if reason:
                reply["statusInfo"] = {"reasonCode": reason}
            return reply
        old = self._reservations.get(req["id"])
        if old is not None:
            self._end(old, None, keep_model=old.evse_id == req.get("evseId"))  # H01.FR.02
        group = req.get("groupIdToken")
        reservation = Reservation201(
            req["id"],
            bare_token(req["idToken"]),
            parse_iso(req["expiryDateTime"]),  # type: ignore[arg-type]
            req.get("evseId"),
            req.get("connectorType"),
            bare_token(group) if group else None,
        )
        self._install(reservation)
        self._save()
        log.info(
            "%s: reservation %d until %s on EVSE %s",
            self.cp.station.id,
            reservation.id,
            req["expiryDateTime"],
            reservation.evse_id if reservation.evse_id is not None else "(any)",
        )
        return {"status": "Accepted"}

    def _verdict(self, req: dict[str, Any]) -> tuple[str, str | None]:
        cp = self.cp
        if not (
            cp.flag("ReservationCtrlr", "Available") and cp.flag("ReservationCtrlr", "Enabled")
        ):
            return "Rejected", None  # H01.FR.01
        expiry = parse_iso(req["expiryDateTime"])
        if expiry is None or expiry.tzinfo is None or expiry <= cp.clock.now():
            return "Rejected", "InvalidValue"
        rid, evse_id, ctype = req["id"], req.get("evseId"), req.get("connectorType")
        unspecified = [r for r in self._reservations.values() if r.evse_id is None and r.id != rid]
        if evse_id is not None:
            if evse_id not in cp.evse_ids():
                return "Rejected", "UnknownEvse"
            if not self._type_fits(evse_id, ctype):
                return "Rejected", "UnknownConnectorType"
            status = self._status_ignoring(evse_id, rid)
            if status in _ENDING:
                return status, None  # H01.FR.12, H01.FR.14
            if status != "Available":
                return "Occupied", None  # H01.FR.11
            free = {n for n in self._available(rid) if n != evse_id}
            if not self._feasible(unspecified, free):
                return "Occupied", None  # H01.FR.07: promised to an unspecified reservation
            return "Accepted", None
        if not cp.flag("ReservationCtrlr", "NonEvseSpecific"):
            return "Rejected", None  # H01.FR.19
        candidates = [n for n in cp.evse_ids() if self._type_fits(n, ctype)]
        if not candidates:
            return "Rejected", "UnknownConnectorType"
        statuses = {self._status_ignoring(n, rid) for n in candidates}
        if "Available" not in statuses:
            if statuses == {"Faulted"}:
                return "Faulted", None
            if statuses <= set(_ENDING):
                return "Unavailable", None
            return "Occupied", None
        probe = Reservation201(rid, req["idToken"], expiry, None, ctype)
        if not self._feasible([*unspecified, probe], set(self._available(rid))):
            return "Occupied", None  # H01.FR.04/06: as many reservations as free EVSEs
        return "Accepted", None

    # ------------------------------------------------------------ H02 CancelReservation
    async def cancel_reservation(self, req: dict[str, Any]) -> dict[str, Any]:
        self._load()
        reservation = self._reservations.get(req["reservationId"])
        if reservation is None:
            return {"status": "Rejected"}  # H02.FR.01
        self._end(reservation, "Cancelled")  # H02.FR.02; no ReservationStatusUpdate
        return {"status": "Accepted"}

    # ------------------------------------------------------------ EVSE bookkeeping
    def _type_fits(self, evse_id: int, ctype: str | None) -> bool:
        if not ctype or ctype == "Unknown":
            return True
        component = ComponentKey("Connector", evse=evse_id, connector=CONNECTOR_ON_EVSE)
        return self.cp.device_model.value(component, "ConnectorType") == ctype

    def _candidate(self, r: Reservation201, evse_id: int) -> bool:
        return r.evse_id == evse_id or (
            r.evse_id is None and self._type_fits(evse_id, r.connector_type)
        )

    def _status_ignoring(self, evse_id: int, rid: int | None) -> str:
        """The EVSE's status, reading Reserved-by-``rid`` or a hold as Available."""
        status = self.cp.status_of(evse_id).status
        held = self.cp.station.connector(evse_id).reservation
        ours = held is not None and (held.id == rid or self._holds.get(evse_id) == held.id)
        return "Available" if status == "Reserved" and ours else status

    def _available(self, rid: int | None = None) -> list[int]:
        return [n for n in self.cp.evse_ids() if self._status_ignoring(n, rid) == "Available"]

    def _feasible(self, pending: list[Reservation201], free: set[int]) -> bool:
        """Can every unspecified reservation in ``pending`` get its own free EVSE? (matching)"""
        if len(pending) > len(free):
            return False
        owner: dict[int, int] = {}  # EVSE -> index into pending

        def place(i: int, seen: set[int]) -> bool:
            for n in free:
                if n in seen or not self._candidate(pending[i], n):
                    continue
                seen.add(n)
                if n not in owner or place(owner[n], seen):
                    owner[n] = i
                    return True
            return False

        return all(place(i, set()) for i in range(len(pending)))

    # ------------------------------------------------------------ H01.FR.20/24 holds
    def _refresh_holds(self) -> None:
        """Reserved in the model exactly the free EVSEs the unspecified reservations need.

        An EVSE is needed when, without it, the unspecified reservations could no
        longer each get a free EVSE of their connectorType: then no other token may
        use it (``allows``), and it reports Reserved (H01.FR.20, H01.FR.24).
        """
        if self._holding:
            return
        cp = self.cp
        pending = [r for r in self._reservations.values() if r.evse_id is None]
        wanted: dict[int, Reservation201] = {}
        if pending and cp.station.powered:
            free = set(self._available())
            for n in sorted(free):
                if not self._feasible(pending, free - {n}):
                    owner = next((r for r in pending if self._candidate(r, n)), None)
                    if owner is not None:
                        wanted[n] = owner
        self._holding = True
        try:
            for n in cp.evse_ids():
                connector = cp.station.connector(n)
                had = self._holds.get(n)
                held = connector.reservation
                mine = held is not None and held.id == had
                want = wanted.get(n)
                if had is not None and (want is None or want.id != had):
                    del self._holds[n]
                    if mine:
                        connector.cancel_reservation()
                        held = None
                if want is not None and held is None:
                    group = want.group_id_token.get("idToken") if want.group_id_token else None
                    connector.reserve(
                        Reservation(want.id, want.id_token["idToken"], want.expiry, group)
                    )
                    self._holds[n] = want.id
        finally:
            self._holding = False

    # ------------------------------------------------------------ lifecycle
    def _install(self, r: Reservation201) -> None:
        cp = self.cp
        self._reservations[r.id] = r
        if r.evse_id is not None:
            group = r.group_id_token.get("idToken") if r.group_id_token else None
            # H01.FR.23: the EVSE reports Reserved (the model event brings the status).
            cp.station.connector(r.evse_id).reserve(
                Reservation(r.id, r.id_token["idToken"], r.expiry, group)
            )
        delay = max(0.0, (r.expiry - cp.clock.now()).total_seconds())
        cp.tasks.later(f"reservation-{r.id}", delay, lambda: self._expire(r.id))
        self._refresh_holds()
        cp.events.emit(ReservationsChanged(len(self._reservations)))

    def _expire(self, rid: int) -> None:
        reservation = self._reservations.get(rid)
        if reservation is not None:
            log.info("%s: reservation %d expired", self.cp.station.id, rid)
            self._end(reservation, "Expired")  # H04.FR.01-03

    def _end(self, r: Reservation201, how: str | None, *, keep_model: bool = False) -> None:
        """Forget ``r``; ``how`` Expired or Removed also sends ReservationStatusUpdate."""
        cp = self.cp
        cp.tasks.cancel_timer(f"reservation-{r.id}")
        if self._reservations.pop(r.id, None) is None:
            return
        self._save()
        if r.evse_id is not None and not keep_model:
            connector = cp.station.connector(r.evse_id)
            held = connector.reservation
            if held is not None and held.id == r.id:
                connector.cancel_reservation()  # H02.FR.04, H04.FR.03: Available again
        self._refresh_holds()
        if how is not None:
            cp.events.emit(ReservationEnded(r.id, how))
        cp.events.emit(ReservationsChanged(len(self._reservations)))
        if how in ("Expired", "Removed"):
            self._outbox.append((r.id, how))
            self._flush_soon()

    def on_model_event(self, event: Any) -> None:
        if not self._reservations or self._holding:
            return
        name = type(event).__name__
        if name not in ("ConnectorChanged", "StationChanged"):
            return
        cp = self.cp
        if not cp.station.powered:
            return  # a power cycle keeps reservations (B01.FR.13)
        now = cp.clock.now()
        for r in list(self._reservations.values()):
            if r.id not in self._reservations:
                continue  # ended by an earlier step of this loop
            if r.evse_id is None and now >= r.expiry:
                self._end(r, "Expired")  # the model dropped its hold at the expiry
            elif r.evse_id is not None:
                held = cp.station.connector(r.evse_id).reservation
                if held is None or held.id != r.id:
                    # The model let go of it: its clock expired it, or a start consumed it.
                    self._end(r, "Expired" if now >= r.expiry else "Used", keep_model=True)
                elif cp.status_of(r.evse_id).status in _ENDING:
                    self._end(r, "Removed")  # H01.FR.16, H01.FR.17
            else:
                candidates = [n for n in cp.evse_ids() if self._candidate(r, n)]
                if all(cp.status_of(n).status in _ENDING for n in candidates):
                    self._end(r, "Removed")
        self._refresh_holds()  # a status change may free or take an EVSE

    # ------------------------------------------------------------ H04 ReservationStatusUpdate
    def _flush_soon(self) -> None:
        if self.cp.accepted and self._outbox:
            self.cp.tasks.spawn(self._flush(), name="reservation-status")

    async def _flush(self) -> None:
        for _ in range(len(self._outbox)):
            if not self._outbox or not self.cp.accepted:
                return
            rid, status = self._outbox[0]
            payload = {"reservationId": rid, "reservationUpdateStatus": status}
            try:
                await self.cp.session.call("ReservationStatusUpdate", payload)
            except (CallTimeout, LinkClosed):
                return  # kept for the next connection
            except (CallError, InvalidReply) as exc:
                log.warning("%s: ReservationStatusUpdate failed: %s", self.cp.station.id, exc)
            if self._outbox and self._outbox[0] == (rid, status):
                self._outbox.pop(0)

    def on_accepted(self) -> None:
        self._flush_soon()

    # ------------------------------------------------------------ persistence (B01.FR.13)
    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        rows = self.cp.state.get(self.cp.station.id, STATE_NAME) or []
        now = self.cp.clock.now()
        for row in rows:
            r = Reservation201.from_json(row)
            if r is None:
                continue
            if r.expiry <= now:
                self._outbox.append((r.id, "Expired"))  # expired while the station was off
            else:
                self._install(r)
        if len(self._reservations) != len(rows):
            self._save()

    def _save(self) -> None:
        self.cp.state.put(
            self.cp.station.id, STATE_NAME, [r.to_json() for r in self._reservations.values()]
        )

    def on_start(self) -> None:
        self._load()
