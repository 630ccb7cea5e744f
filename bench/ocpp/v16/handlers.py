"""CSMS-initiated 1.6 Core requests (1.6 §5): each one model operation plus a reply.

Work that must follow the reply on the wire (a reset, a remote start's
StartTransaction) is returned as ``Reply(payload, then=...)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from bench.ocpp.errors import ErrorKind, OcppError
from bench.ocpp.session import Reply

if TYPE_CHECKING:
    from bench.ocpp.v16.charge_point import ChargePoint16

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class HandlerTable(Mapping[str, Handler]):
    """The station's handlers, resolved when a request arrives.

    A dict of ~45 bound methods per station costs more than a kilobyte; 10,000
    stations share one process, and CSMS-initiated requests are rare next to the
    station's own traffic, so the table is built per lookup instead of kept.
    """

    __slots__ = ("cp",)

    def __init__(self, cp: ChargePoint16) -> None:
        self.cp = cp

    def __getitem__(self, action: str) -> Handler:
        return build_handlers(self.cp)[action]

    def get(self, action: str, default: Any = None) -> Any:
        return build_handlers(self.cp).get(action, default)

    def __iter__(self) -> Iterator[str]:
        return iter(build_handlers(self.cp))

    def __len__(self) -> int:
        return len(build_handlers(self.cp))


def build_handlers(cp: ChargePoint16) -> dict[str, Handler]:
    core = CoreHandlers(cp)
    table: dict[str, Handler] = {}
    for block in (cp.smart, cp.firmware, cp.local_list, cp.reservations, cp.trigger, cp.security):
        table.update(block.handlers())
    table["ChangeConfiguration"] = cp.security.wrap_change_configuration(
        core.change_configuration
    )  # whitepaper A05/A01: SecurityProfile and AuthorizationKey rules
    return table | {
        "ChangeAvailability": core.change_availability,
        "ClearCache": core.clear_cache,
        "DataTransfer": core.data_transfer,
        "GetConfiguration": core.get_configuration,
        "RemoteStartTransaction": core.remote_start_transaction,
        "RemoteStopTransaction": core.remote_stop_transaction,
        "Reset": core.reset,
        "UnlockConnector": core.unlock_connector,
    }


class CoreHandlers:
    __slots__ = ("cp",)

    def __init__(self, cp: ChargePoint16) -> None:
        self.cp = cp

    def _connector(self, connector_id: int) -> Any:
        try:
            return self.cp.station.connector(connector_id)
        except (ValueError, IndexError, KeyError):
            return None

    # 1.6 §5.2 ---------------------------------------------------------------
    async def change_availability(self, req: dict[str, Any]) -> dict[str, Any]:
        connector_id = req["connectorId"]
        operative = req["type"] == "Operative"
        if connector_id == 0:
            targets = list(self.cp.station.connectors)
        else:
            connector = self._connector(connector_id)
            if connector is None:
                return {"status": "Rejected"}
            targets = [connector]
        scheduled = False
        for connector in targets:
            if connector.transaction is not None and connector.operative != operative:
                # A change to Inoperative waits for the transaction to end (§5.2: Scheduled).
                connector.schedule_operative(operative)
                scheduled = True
            else:
                connector.set_operative(operative)
            self.cp.state.put(self.cp.station.id, f"operative_{connector.id}", operative)
        return {"status": "Scheduled" if scheduled else "Accepted"}

    # 1.6 §5.3 ---------------------------------------------------------------
    async def change_configuration(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"status": self.cp.config.change(req["key"], req["value"])}

    # 1.6 §5.8 ---------------------------------------------------------------
    async def get_configuration(self, req: dict[str, Any]) -> dict[str, Any]:
        keys = req.get("key") or None
        limit = self.cp.config.value("GetConfigurationMaxKeys")
        if keys and len(keys) > limit:
            raise OcppError(
                ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
                f"{len(keys)} keys requested; GetConfigurationMaxKeys is {limit}",
            )
        known, unknown = self.cp.config.report(keys)
        reply: dict[str, Any] = {}
        if known:
            reply["configurationKey"] = known
        if unknown:
            reply["unknownKey"] = unknown
        return reply

    # 1.6 §5.4 ---------------------------------------------------------------
    async def clear_cache(self, req: dict[str, Any]) -> dict[str, Any]:
        if not self.cp.config.get_bool("AuthorizationCacheEnabled"):
            return {"status": "Rejected"}
        self.cp.authorizer.clear()
        return {"status": "Accepted"}

    # 1.6 §5.6 / §4.3 ----------------------------------------------------------
    async def data_transfer(self, req: dict[str, Any]) -> dict[str, Any]:
        vendor = self.cp.station.identity.vendor
        if req["vendorId"] not in (vendor, "bench"):
            return {"status": "UnknownVendorId"}
        message_id = req.get("messageId")
        if message_id not in (None, "echo"):
            return {"status": "UnknownMessageId"}
        reply: dict[str, Any] = {"status": "Accepted"}
        if "data" in req:
            reply["data"] = req["data"]
        return reply

    # 1.6 §5.11 --------------------------------------------------------------
    async def remote_start_transaction(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        cp = self.cp
        transactions = cp.transactions
        connector_id = req.get("connectorId")
        if connector_id is not None and connector_id <= 0:
            return {"status": "Rejected"}
        if connector_id is not None:
            connector = self._connector(connector_id)
            # A Finishing connector restarts (1.6 §4.9 Finishing -> Preparing): the EV
            # still plugged after its session, or after a soft reset, may charge again.
            if connector is None or not transactions.can_start(
                connector, req["idTag"], restart=True
            ):
                return {"status": "Rejected"}
        else:
            connector = transactions.pick_connector(None, req["idTag"])
            if connector is None:
                return {"status": "Rejected"}
        profile = req.get("chargingProfile")
        if profile is not None and not cp.smart.accepts_remote_start_profile(connector.id, profile):
            # §5.11, §5.16.2: a TxProfile without transactionId that this station can run.
            return {"status": "Rejected"}
        id_tag = req["idTag"]

        def begin() -> None:
            cp.tasks.spawn(self._remote_start(connector, id_tag, profile), name="remote-start")

        return Reply({"status": "Accepted"}, then=begin)

    async def _remote_start(self, connector: Any, id_tag: str, profile: Any) -> None:
        cp = self.cp
        if cp.config.get_bool("AuthorizeRemoteTxRequests"):
            info = await cp.authorizer.authorize(id_tag)
            if info.get("status") != "Accepted":
                return
        if profile is not None:
            cp.transactions.pending_profile = (connector.id, profile)
        cp.transactions.begin_or_wait(connector, id_tag)

    # 1.6 §5.12 --------------------------------------------------------------
    async def remote_stop_transaction(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        transaction_id = req["transactionId"]
        for connector in self.cp.station.connectors:
            tx = connector.transaction
            if tx is not None and tx.protocol_id == transaction_id:

                def stop(connector: Any = connector) -> None:
                    self.cp.transactions.stop(connector, "Remote")

                return Reply({"status": "Accepted"}, then=stop)
        return {"status": "Rejected"}

    # 1.6 §5.14 --------------------------------------------------------------
    async def reset(self, req: dict[str, Any]) -> Reply:
        reason = "HardReset" if req["type"] == "Hard" else "SoftReset"

        def restart() -> None:
            self.cp.tasks.spawn(self.cp.reset(stop_reason=reason), name="reset")

        return Reply({"status": "Accepted"}, then=restart)

    # 1.6 §5.18 --------------------------------------------------------------
    async def unlock_connector(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        connector = self._connector(req["connectorId"])
        if connector is None:
            return {"status": "NotSupported"}
        if connector.transaction is not None:
            # §5.18: a running transaction is stopped first (reason UnlockCommand).
            self.cp.transactions.stop(connector, "UnlockCommand")
        unlocked = connector.unlock()
        return {"status": "Unlocked" if unlocked else "UnlockFailed"}
