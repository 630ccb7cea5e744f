"""What the widgets read from a charge point of either OCPP version (Qt-free).

The header, the station list and the connector cards serve 1.6 and 2.0.1 stations.
The two charge points share the link, registration and heartbeat attributes
(``bench.ocpp.charge_point_base``); this module hides where they differ: the
security profile's home (1.6 configuration key / 2.0.1 device model), the offline
queue, and a connector's transaction (1.6: the model's ``Transaction`` with its
integer id; 2.0.1: ``cp.transactions.active(evse)`` with its string id, charging
state and the last ``TransactionEvent`` sent, E01-E03).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

V201 = "2.0.1"


def version(cp: Any) -> str:
    return str(getattr(cp, "version", "1.6"))


def is_v201(cp: Any) -> bool:
    return version(cp) == V201


def security_profile(cp: Any) -> str:
    """The security profile the station is configured for (whitepaper §2; A00 for 2.0.1)."""
    if is_v201(cp):
        value = cp.variable("SecurityCtrlr", "SecurityProfile")
    else:
        value = cp.config.raw("SecurityProfile")  # None: the key is not supported
    return f"security profile {value or 0}"


def queued_messages(cp: Any) -> int:
    """Messages waiting in the station's offline queue (transaction messages)."""
    queue = getattr(cp.transactions, "queue", None)
    # 2.0.1 wraps its OfflineQueue in a TxQueue (bench.ocpp.v201.tx_queue) with ``.queue``.
    inner = getattr(queue, "queue", None)
    if inner is not None:
        queue = inner
    try:
        return len(queue) if queue is not None else 0
    except TypeError:
        return 0


# ------------------------------------------------------------------ 2.0.1 transactions
@dataclass(frozen=True, slots=True)
class LastTxEvent:
    """The last TransactionEventRequest a station sent for one EVSE (E01-E03)."""

    event_type: str  # Started | Updated | Ended
    trigger_reason: str
    seq_no: int
    transaction_id: str
    charging_state: str | None = None

    def text(self) -> str:
        return f"{self.event_type} #{self.seq_no} · {self.trigger_reason}"


def last_tx_event(event: Any) -> tuple[int, LastTxEvent] | None:
    """(evse id, what it says) when ``event`` is the transaction block's TransactionEventSent."""
    if type(event).__name__ != "TransactionEventSent":
        return None
    try:
        return int(event.evse_id), LastTxEvent(
            str(event.event_type),
            str(event.trigger_reason),
            int(event.seq_no),
            str(event.transaction_id),
            getattr(event, "charging_state", None),
        )
    except (AttributeError, TypeError, ValueError):
        return None


class TxEventTracker:
    """Remembers the last TransactionEvent per EVSE from a 2.0.1 charge point's events."""

    def __init__(self, cp: Any) -> None:
        self.last: dict[int, LastTxEvent] = {}
        self._unsubscribe: Callable[[], None] | None = cp.events.subscribe(self._on_event)

    def _on_event(self, event: Any) -> None:
        found = last_tx_event(event)
        if found is not None:
            evse_id, info = found
            self.last[evse_id] = info

    def dispose(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


@dataclass(frozen=True, slots=True)
class TxView:
    """A connector's transaction as the card shows it, for either version."""

    transaction_id: str
    token: str
    meter_start_wh: int | None
    charging_state: str | None = None  # 2.0.1 ChargingStateEnumType


def _token_text(id_token: Any) -> str:
    if isinstance(id_token, dict):
        kind = id_token.get("type")
        value = str(id_token.get("idToken", ""))
        return f"{value} ({kind})" if kind and kind != "ISO14443" else value
    return str(id_token) if id_token else "—"


def transaction_view(cp: Any, connector: Any) -> TxView | None:
    """The running transaction on ``connector``, or None."""
    if is_v201(cp):
        active = getattr(cp.transactions, "active", None)
        tx = active(connector.id) if callable(active) else None
        if tx is not None:
            return TxView(
                str(tx.transaction_id),
                _token_text(getattr(tx, "id_token", None)),
                getattr(tx, "meter_start_wh", None),
                getattr(tx, "charging_state", None) or None,
            )
    tx = connector.transaction
    if tx is None:
        return None
    tx_id = str(tx.protocol_id) if tx.protocol_id is not None else "pending id"
    return TxView(tx_id, tx.id_tag or "—", tx.meter_start_wh)
