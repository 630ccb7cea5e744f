"""What the widgets read from a charge point of either OCPP version (Qt-free).

The header, the station list and the connector cards serve 1.6 and 2.0.1 stations.
The two charge points share the link, registration and heartbeat attributes
(``bench.ocpp.charge_point_base``); the security profile, the offline queue and a
connector's transaction come through the version-neutral ``bench.ocpp.api``. What
stays here is how the widgets word them, and the last ``TransactionEvent`` a 2.0.1
station sent (E01-E03).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeGuard

from bench.ocpp.api import ChargePointApi
from bench.ocpp.v201.facets import TransactionEvents
from bench.ocpp.v201.transactions import TransactionEventSent

if TYPE_CHECKING:
    from typing import TypeAlias

    from bench.model.connector import Connector
    from bench.ocpp.v16.charge_point import ChargePoint16
    from bench.ocpp.v201.charge_point import ChargePoint201

    ChargePoint: TypeAlias = ChargePoint16 | ChargePoint201

V201 = "2.0.1"


def version(cp: ChargePoint) -> str:
    return cp.version


def is_v201(cp: ChargePoint) -> TypeGuard[ChargePoint201]:
    return cp.version == V201


def security_profile(cp: ChargePointApi) -> str:
    """The security profile the station is configured for (whitepaper §2; A00 for 2.0.1)."""
    return f"security profile {cp.security_profile()}"


def queued_messages(cp: ChargePointApi) -> int:
    """Messages waiting in the station's offline queue (transaction messages)."""
    return cp.queue_length()


def storage_fault(cp: ChargePoint) -> str:
    """``"disk full · 12 unsaved"`` while the station's database refuses writes, else ``""``.

    Both versions keep a ``StoreHealth`` (bench.store.faults) as ``cp.storage``.
    """
    health = cp.storage
    if not health.failing:
        return ""
    return f"{health.kind} · {health.unsaved_count()} unsaved"


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


def last_tx_event(event: object) -> tuple[int, LastTxEvent] | None:
    """(evse id, what it says) when ``event`` is the transaction block's TransactionEventSent."""
    if not isinstance(event, TransactionEventSent):
        return None
    return event.evse_id, LastTxEvent(
        event.event_type,
        event.trigger_reason,
        event.seq_no,
        event.transaction_id,
        event.charging_state,
    )


class TxEventTracker:
    """Remembers the last TransactionEvent per EVSE a station sends (its TransactionEvents
    facet: 2.0.1)."""

    def __init__(self, events: TransactionEvents) -> None:
        self.last: dict[int, LastTxEvent] = {}
        self._unsubscribe: Callable[[], None] | None = events.subscribe(self._on_event)

    def _on_event(self, event: object) -> None:
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


def _token_text(tag: str, kind: str | None) -> str:
    if not tag:
        return "—"
    return f"{tag} ({kind})" if kind and kind != "ISO14443" else tag


def transaction_view(cp: ChargePointApi, connector: Connector) -> TxView | None:
    """The running transaction on ``connector`` as the card words it, or None."""
    tx = cp.connector(connector.id).transaction  # one view for both versions (bench.ocpp.api)
    if tx is None:
        return None
    return TxView(
        tx.id if tx.id is not None else "pending id",
        _token_text(tx.tag, tx.token_type),
        tx.meter_start_wh,
        tx.charging_state,
    )
