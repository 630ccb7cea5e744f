"""TriggerMessage (F06) and DataTransfer (P01, P02): requests every block contributes to.

Each block names the messages it can send on request (``Block.triggers``); this block
answers TriggerMessage from that union, so a trigger is implemented exactly where
the message it sends is built.
"""

from __future__ import annotations

from typing import Any

from bench.ocpp.session import Reply
from bench.ocpp.v201.block import Block, Handler, Trigger

# F06.FR.12-: a StatusNotification needs an EVSE and connector to be meaningful.
_NEEDS_CONNECTOR = frozenset({"StatusNotification"})


class RemoteTrigger(Block):
    __slots__ = ()

    def handlers(self) -> dict[str, Handler]:
        return {"TriggerMessage": self.trigger_message, "DataTransfer": self.data_transfer}

    def triggers(self) -> dict[str, Trigger]:
        return {"StatusNotification": self._status}

    def _available(self) -> dict[str, Trigger]:
        table: dict[str, Trigger] = {}
        for block in self.cp.blocks:
            table.update(block.triggers())
        return table

    async def trigger_message(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        requested = req["requestedMessage"]
        evse = req.get("evse")
        send = self._available().get(requested)
        if send is None:
            return {"status": "NotImplemented"}  # F06.FR.08
        if requested == "BootNotification" and self.cp.registration == "Accepted":
            return {"status": "Rejected"}  # F06.FR.17: already accepted
        if evse is not None and evse.get("id") not in (0, *self.cp.evse_ids()):
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}
        if requested in _NEEDS_CONNECTOR and evse is not None and "connectorId" not in evse:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "MissingParam"}}

        def go() -> None:  # F06.FR.04: the reply goes first
            self.cp.tasks.spawn(send(evse), name=f"trigger-{requested}")

        return Reply({"status": "Accepted"}, then=go)

    async def _status(self, evse: dict[str, Any] | None) -> None:
        self.cp.resend_status(evse["id"] if evse and evse.get("id") else None)

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
