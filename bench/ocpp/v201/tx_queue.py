"""Persisted, in-order delivery of TransactionEventRequests (E04, E08, E11, E12, E13).

Every TransactionEvent goes through the station's ``OfflineQueue`` (bench/store/queue.py),
so it survives a crash the moment it is queued and leaves in the order it was made.
While offline the queue just grows (E04.FR.01, E11.FR.01); when the link goes down,
whatever is still queued is marked ``offline`` (E11.FR.07); once the station is
accepted again the queue drains in order (E04.FR.02, E12.FR.02). A message the CSMS
fails to process is sent again up to ``MessageAttempts[TransactionEvent]`` times,
waiting ``MessageAttemptInterval[TransactionEvent]`` times the number of preceding
transmissions, and is then discarded (E13.FR.02-04).

The queue is stored under ``<station id>#2.0.1`` so a 1.6 queue of the same station
id in the same database never mixes with it.

While an Ended event waits here, the status of its EVSE waits too: the transaction
ends first, then the connector becomes Unavailable or Available (G03.FR.05/06,
G04.FR.06), as a CSMS expects.

Delivery itself (order, retries, holding statuses back) is ``common.tx_delivery``,
shared with 1.6; this module adds what is 2.0.1's own: the device-model retry
settings, the ``offline`` flag and the questions E14 asks about the queue.
"""

from __future__ import annotations

from typing import Any, Protocol

from bench.ocpp.common.tx_delivery import TxDelivery
from bench.ocpp.v201.block import Evses, Messaging, Persistence, Services, Variables
from bench.store.queue import OfflineQueue, QueuedMessage

ACTION = "TransactionEvent"


class ReplyHandler(Protocol):
    def on_reply(self, payload: dict[str, Any], reply: dict[str, Any], evse_id: int | None) -> None:
        """The CSMS answered a TransactionEventRequest (``evse_id``: its transaction's EVSE)."""
        ...


class QueueHost(Services, Messaging, Variables, Persistence, Evses, Protocol):
    """What the queue uses of the station: delivery over the session (an Ended event
    holds its EVSE's status back), the database, OCPPCommCtrlr's retry settings."""


class TxQueue:
    __slots__ = ("cp", "delivery", "queue", "replies")

    def __init__(self, cp: QueueHost, replies: ReplyHandler) -> None:
        self.cp = cp
        self.replies = replies
        self.queue = OfflineQueue(
            cp.db, f"{cp.station.id}#2.0.1", clock=cp.clock, health=cp.storage
        )
        self.delivery = TxDelivery(cp, self.queue, name="tx-event-queue", owner=self)

    # ------------------------------------------------------------ producer side
    def push(self, payload: dict[str, Any], evse_id: int) -> None:
        """Queue one TransactionEventRequest; it is on disk when this returns."""
        meta = {"tx": payload["transactionInfo"]["transactionId"], "evse": evse_id}
        # An Ended event holds its EVSE's status back until the CSMS has it.
        holds = evse_id if payload["eventType"] == "Ended" else None
        self.delivery.push(ACTION, payload, meta, holds=holds)

    def pending(self, transaction_id: str | None = None) -> bool:
        """Are messages waiting (about ``transaction_id``, when given)? (E14.FR.04/05/07/08)"""
        if transaction_id is None:
            return bool(self.queue)
        return any((m.meta or {}).get("tx") == transaction_id for m in self.queue.items())

    def holds_status(self, evse_id: int) -> bool:
        """Does an Ended event of ``evse_id`` still wait to go out (its status waits too)?"""
        return self.delivery.holds_status(evse_id)

    def __len__(self) -> int:
        return len(self.queue)

    async def drained(self) -> None:
        """Return once the queue is empty (callers bound the wait)."""
        await self.delivery.drained()

    # ------------------------------------------------------------ link state
    def start(self) -> None:
        """Deliver what is queued (after an accepted boot or reconnect, or a new message)."""
        self.delivery.start()

    def link_down(self) -> None:
        """Stop delivering; everything still queued was not delivered online (E11.FR.07)."""
        self.delivery.stop()
        for item in self.queue.items():
            if not item.payload.get("offline"):
                self.queue.update_payload(item.id, {**item.payload, "offline": True})

    # ------------------------------------------------------------ delivery (DeliveryOwner)
    def delivery_limits(self) -> tuple[int, float]:
        cp = self.cp  # E13.FR.02-04
        attempts = int(cp.number("OCPPCommCtrlr", "MessageAttempts", ACTION))
        interval = cp.number("OCPPCommCtrlr", "MessageAttemptInterval", ACTION)
        return attempts, interval

    def delivery_payload(self, item: QueuedMessage) -> dict[str, Any]:
        return item.payload  # 2.0.1 events carry their transactionId from the start

    def delivery_replied(
        self, item: QueuedMessage, payload: dict[str, Any], reply: dict[str, Any]
    ) -> None:
        self.replies.on_reply(payload, reply, (item.meta or {}).get("evse"))
