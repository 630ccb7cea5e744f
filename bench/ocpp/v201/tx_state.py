"""What the 2.0.1 transaction block keeps per EVSE, and the states it derives from the model.

``EvseSession`` is the protocol's view of one EVSE: which idToken is authorized there
(authorization may come before, with or after the transaction, errata 2025-01 §1.6),
what the next TransactionEvent still has to carry (idToken, reservationId,
remoteStartId, a pending trigger) and the running ``Tx201``. The physical facts
(plugged, contactor, power) stay in the model; ``charging_state`` and ``points_now``
read them (ARCHITECTURE rule 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.model.connector import Connector

IdToken = dict[str, Any]

# TxStartPoint / TxStopPoint values that end a transaction when the driver's
# authorization ends (E05.FR.10, E07, F03.FR.03): energy may no longer flow.
AUTH_BOUND_POINTS = frozenset({"Authorized", "PowerPathClosed", "EnergyTransfer"})


# No start/stop point holds (an idle EVSE); shared, as an empty set costs 216 bytes.
NO_POINTS: frozenset[str] = frozenset()


@dataclass(slots=True)
class Tx201:
    """One running 2.0.1 transaction (what ``Transactions.active`` returns)."""

    transaction_id: str
    evse_id: int
    started_at: datetime
    meter_start_wh: int
    id_token: IdToken | None = None
    charging_state: str = ""  # the last one reported; "" before the Started event
    seq_no: int = 0  # the seqNo of the next event (E01.FR.07, from 0 per transaction)
    seen: set[str] = field(default_factory=set)  # start/stop points true at some time
    ended_data: list[dict[str, Any]] = field(default_factory=list)  # meterValue for Ended
    phases: int | None = None  # numberOfPhasesUsed last reported (E02.FR.18/19)
    evse_sent_plugged: bool = False  # evse reported since the EV connected (E01.FR.16)
    cable_sent: bool = False
    charging_s: float = 0.0  # timeSpentCharging accumulated up to charging_since
    charging_since: float | None = None  # clock.monotonic() when Charging began

    def time_charging(self, now: float) -> int:
        extra = now - self.charging_since if self.charging_since is not None else 0.0
        return int(self.charging_s + extra)


@dataclass(slots=True)
class EvseSession:
    evse_id: int
    authorized: IdToken | None = None  # the idToken whose authorization is active here
    group: IdToken | None = None  # its groupIdToken (C09)
    token_reported: bool = True  # the authorization's idToken went out already
    pending_trigger: str | None = None  # Authorized / RemoteStart for the next event
    reservation_id: int | None = None  # for the next event (E01.FR.13)
    remote_start_id: int | None = None  # for the next event (F01.FR.25, F02.FR.01)
    next_tx_id: str | None = None  # reserved by RequestStartTransaction (its TxProfile)
    energy_blocked: bool = False  # transaction kept, no energy (E05.FR.02)
    schedule_wait: bool = False  # an ISO 15118 EV waits for its schedule: no energy (K15)
    allowance_wh: float | None = None  # register value where MaxEnergyOnInvalidId ends
    stop_hint: str | None = None  # stoppedReason once the transaction ends (Local, Remote...)
    locked_for: IdToken | None = None  # cable kept locked for its owner (E05.FR.11, E09.FR.03)
    points: frozenset[str] = NO_POINTS  # the start/stop points at the last look
    tx: Tx201 | None = None


def same_token(a: IdToken | None, b: IdToken | None) -> bool:
    """Two idTokens are equal when idToken and type are (C01.FR.25, errata 2025-01)."""
    if a is None or b is None:
        return False
    return a.get("idToken") == b.get("idToken") and a.get("type") == b.get("type")


def charging_state(connector: Connector, session: EvseSession) -> str:
    """ChargingStateEnumType (part 2 §3.16) from the connector's physical state."""
    if not connector.plugged:
        return "Idle"
    if connector.contactor_closed and connector.station.powered:
        if connector.meter.power_w > 0.0:
            return "Charging"
        offered = connector.offered_current_a
        ev = connector.ev
        ac = connector.station.template.current_type == "AC"
        if offered <= 0.0 or (ac and ev is not None and offered < ev.spec.min_ac_current_a):
            return "SuspendedEVSE"  # the station offers nothing the EV can use
        return "SuspendedEV"
    if session.authorized is not None:
        return "SuspendedEVSE"  # authorized, but a fault, power cut or E05.FR.02 holds energy
    return "EVConnected"


def points_now(connector: Connector, session: EvseSession, sign_readings: bool) -> frozenset[str]:
    """The TxStartPoint/TxStopPoint conditions that hold right now (E01, E06).

    The bench has no parking-bay detector: an EV is in the bay while it is plugged in.
    DataSigned holds while signed readings are on and the power path is closed (the
    meter signs a reading as soon as it measures the transaction).
    """
    points: set[str] = set()
    if connector.plugged:
        points.update(("ParkingBayOccupancy", "EVConnected"))
    if session.authorized is not None:
        points.add("Authorized")
        if connector.plugged:
            points.add("PowerPathClosed")
            if sign_readings:
                points.add("DataSigned")
    if connector.meter.power_w > 0.0:
        points.add("EnergyTransfer")
    # Kept per EVSE until the next look: an idle one shares the one empty set.
    return frozenset(points) if points else NO_POINTS


def point_list(text: str | None) -> set[str]:
    return {p.strip() for p in (text or "").split(",") if p.strip()}


class TxSessions(dict[int, EvseSession]):
    """The sessions of a station's EVSEs, keyed by EVSE id: the running transactions.

    The transaction block changes them; the blocks that only need to know what runs
    (smart charging, tariff, display, monitoring, ...) read them as a ``TxLookup``.
    """

    __slots__ = ()

    @classmethod
    def of(cls, evse_ids: list[int]) -> TxSessions:
        return cls((evse_id, EvseSession(evse_id)) for evse_id in evse_ids)

    def active(self, evse_id: int) -> Tx201 | None:
        session = self.get(evse_id)
        return session.tx if session is not None else None

    def transaction_ids(self) -> list[str]:
        return [s.tx.transaction_id for s in self.values() if s.tx is not None]
