"""Records a connector holds: the running transaction and a reservation.

Both are plain data. The protocol layer gives them meaning (ids, expiry
handling on the wire); the model only keeps them with the connector they belong
to so state and status can never disagree about which connector is busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class Transaction:
    id_tag: str
    started_at: datetime
    meter_start_wh: int
    # Opaque id assigned by the protocol layer (1.6 transactionId, 2.0.1 transactionId string).
    protocol_id: int | str | None = None
    reservation_id: int | None = None
    # The protocol layer's own handle before the CSMS assigns an id (offline starts),
    # and the parent idTag that may also end the transaction (1.6 §3.10).
    local_key: str | None = None
    parent_id_tag: str | None = None
    # Filled in by Connector.end_transaction().
    ended_at: datetime | None = None
    meter_stop_wh: int | None = None


@dataclass(frozen=True, slots=True)
class Reservation:
    id: int
    id_tag: str
    expiry: datetime
    parent_id_tag: str | None = None
