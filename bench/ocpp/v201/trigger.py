"""TriggerMessage (F06) and DataTransfer (P01, P02): requests every block contributes to.

Each block names the messages it can send on request (``Block.triggers``); this block
answers TriggerMessage from that union, so a trigger is implemented exactly where
the message it sends is built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply
from bench.ocpp.v201.block import Block, Evses, Handler, Messaging, Services, Trigger
from bench.ocpp.v201.ports import TxLookup
from bench.ocpp.v201.status import status_payload

log = logging.getLogger(__name__)

# F06.FR.12-: a StatusNotification needs an EVSE and connector to be meaningful.
_NEEDS_CONNECTOR = frozenset({"StatusNotification"})
# Messages about one EVSE; for any other the evse field is not relevant (F06.FR.03).
_PER_EVSE = frozenset({"MeterValues", "StatusNotification", "TransactionEvent"})


class TriggerHost(Services, Messaging, Evses, Protocol):
    """What F06 and P use of the station: the session and the statuses it reports."""


class RemoteTrigger(Block[TriggerHost]):
    __slots__ = ("_transactions", "_triggers")

    def __init__(
        self,
        cp: TriggerHost,
        transactions: TxLookup,
        triggers: Callable[[], dict[str, Trigger]],
    ) -> None:
        super().__init__(cp)
        self._transactions = transactions
        # Every block's triggers, read per request (the blocks name their own, F06).
        self._triggers = triggers

    def handlers(self) -> dict[str, Handler]:
        return {"TriggerMessage": self.trigger_message, "DataTransfer": self.data_transfer}

    def triggers(self) -> dict[str, Trigger]:
        return {"StatusNotification": self._status}

    def _available(self) -> dict[str, Trigger]:
        return self._triggers()

    async def trigger_message(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        requested = req["requestedMessage"]
        evse = req.get("evse")
        send = self._available().get(requested)
        if send is None:
            return {"status": "NotImplemented"}  # F06.FR.08
        if requested == "BootNotification" and self.cp.registration == "Accepted":
            return {"status": "Rejected"}  # F06.FR.17: already accepted
        if requested not in _PER_EVSE:
            evse = None  # F06.FR.03: an evse that is not relevant is ignored; still sent
        if evse is not None and evse.get("id") not in (0, *self.cp.evse_ids()):
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}
        if requested in _NEEDS_CONNECTOR and evse is not None and "connectorId" not in evse:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "MissingParam"}}
        if requested == "TransactionEvent" and not self._has_transaction(evse):
            # F06.FR.05: the station may refuse; F06.FR.07/10: an Accepted TransactionEvent
            # must be sent, and without a transaction there is nothing to send.
            return {"status": "Rejected", "statusInfo": {"reasonCode": "TxNotFound"}}

        def go() -> None:  # F06.FR.04: the reply goes first
            self.cp.tasks.spawn(send(evse), name=f"trigger-{requested}")

        return Reply({"status": "Accepted"}, then=go)

    def _has_transaction(self, evse: dict[str, Any] | None) -> bool:
        """A transaction runs on ``evse`` (on any EVSE when it is absent or 0, F06.FR.11)."""
        wanted = evse.get("id") if evse else None
        ids = [wanted] if wanted else self.cp.evse_ids()
        return any(self._transactions.active(n) is not None for n in ids)

    async def _status(self, evse: dict[str, Any] | None) -> None:
        evse_id = evse["id"] if evse and evse.get("id") else None
        if self.cp.accepted:
            self.cp.resend_status(evse_id)
            return
        # Before Accepted the coalesced status sender stays quiet (B02.FR.02), but a
        # trigger the station Accepted must be answered (F06.FR.10, B01.FR.10).
        for key in [evse_id] if evse_id is not None else self.cp.evse_ids():
            payload = status_payload(self.cp.status_of(key), key, iso(self.cp.clock.now()))
            try:
                await self.cp.session.call("StatusNotification", payload)
            except (CallError, CallTimeout, InvalidReply) as exc:
                log.warning("%s: triggered StatusNotification failed: %s", self.cp.station.id, exc)
            except LinkClosed:
                return

    async def data_transfer(self, req: dict[str, Any]) -> dict[str, Any]:
        """P01: the bench's own vendor id echoes; any other is UnknownVendorId (P01.FR.02)."""
        vendor = self.cp.station.identity.vendor
        if req["vendorId"] not in (vendor, "bench"):
            return {"status": "UnknownVendorId"}
        if req.get("messageId") not in (None, "echo"):
            return {"status": "UnknownMessageId"}
        reply: dict[str, Any] = {"status": "Accepted"}
        if "data" in req:
            reply["data"] = req["data"]
        return reply
