"""CSMS-initiated 1.6 Core requests (1.6 §5): each one model operation plus a reply.

Work that must follow the reply on the wire (a reset, a remote start's
StartTransaction) is returned as ``Reply(payload, then=...)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bench.ocpp.errors import ErrorKind, OcppError
from bench.ocpp.session import Reply
from bench.ocpp.v16.status import STATION_OPERATIVE

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.station import Station
    from bench.ocpp.v16.authorization import Authorizer
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.ports import HandlerBlock, Power
    from bench.ocpp.v16.security import Security
    from bench.ocpp.v16.smart_charging import SmartCharging
    from bench.ocpp.v16.transactions import Transactions
    from bench.store.config import StateStore

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class HandlerTable(Mapping[str, Handler]):
    """The station's handlers, resolved when a request arrives.

    A dict of ~45 bound methods per station costs more than a kilobyte; 10,000
    stations share one process, and CSMS-initiated requests are rare next to the
    station's own traffic, so the table is built per lookup instead of kept.
    """

    __slots__ = ("_blocks", "_core", "_security")

    def __init__(
        self, core: CoreHandlers, blocks: Sequence[HandlerBlock], security: Security
    ) -> None:
        self._core = core
        self._blocks = tuple(blocks)  # each answers its own actions (``handlers()``)
        self._security = security  # its rules wrap ChangeConfiguration (A01, A05)

    def _build(self) -> dict[str, Handler]:
        return build_handlers(self._core, self._blocks, self._security)

    def __getitem__(self, action: str) -> Handler:
        return self._build()[action]

    def get(self, action: str, default: Any = None) -> Any:
        return self._build().get(action, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._build())

    def __len__(self) -> int:
        return len(self._build())


def build_handlers(
    core: CoreHandlers, blocks: Sequence[HandlerBlock], security: Security
) -> dict[str, Handler]:
    table: dict[str, Handler] = {}
    for block in blocks:
        table.update(block.handlers())
    table["ChangeConfiguration"] = security.wrap_change_configuration(
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
    """The Core profile's CSMS-initiated requests of one station."""

    __slots__ = (
        "_authorizer",
        "_config",
        "_power",
        "_smart",
        "_state",
        "_station",
        "_tasks",
        "_transactions",
    )

    def __init__(
        self,
        station: Station,
        *,
        config: Configuration,
        state: StateStore,
        tasks: Supervisor,
        authorizer: Authorizer,
        transactions: Transactions,
        smart: SmartCharging,
        power: Power,
    ) -> None:
        self._station = station
        self._config = config
        self._state = state  # availability outlives a reboot (§5.2)
        self._tasks = tasks
        self._authorizer = authorizer
        self._transactions = transactions
        self._smart = smart  # a remote start's charging profile (§5.11)
        self._power = power  # Reset (§5.14)

    def _connector(self, connector_id: int) -> Any:
        try:
            return self._station.connector(connector_id)
        except (ValueError, IndexError, KeyError):
            return None

    # 1.6 §5.2 ---------------------------------------------------------------
    async def change_availability(self, req: dict[str, Any]) -> dict[str, Any]:
        connector_id = req["connectorId"]
        operative = req["type"] == "Operative"
        if connector_id == 0:
            targets = list(self._station.connectors)
            # The Charge Point itself (connector 0, §4.9) is Unavailable only when set so
            # as a whole: one connector set Inoperative leaves it Available (OCTT TC_013_CS).
            self._state.put(self._station.id, STATION_OPERATIVE, operative)
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
            self._state.put(self._station.id, f"operative_{connector.id}", operative)
        return {"status": "Scheduled" if scheduled else "Accepted"}

    # 1.6 §5.3 ---------------------------------------------------------------
    async def change_configuration(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"status": self._config.change(req["key"], req["value"])}

    # 1.6 §5.8 ---------------------------------------------------------------
    async def get_configuration(self, req: dict[str, Any]) -> dict[str, Any]:
        keys = req.get("key") or None
        limit = self._config.value("GetConfigurationMaxKeys")
        if keys and len(keys) > limit:
            raise OcppError(
                ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
                f"{len(keys)} keys requested; GetConfigurationMaxKeys is {limit}",
            )
        known, unknown = self._config.report(keys)
        reply: dict[str, Any] = {}
        if known:
            reply["configurationKey"] = known
        if unknown:
            reply["unknownKey"] = unknown
        return reply

    # 1.6 §5.4 ---------------------------------------------------------------
    async def clear_cache(self, req: dict[str, Any]) -> dict[str, Any]:
        if not self._config.get_bool("AuthorizationCacheEnabled"):
            return {"status": "Rejected"}
        self._authorizer.clear()
        return {"status": "Accepted"}

    # 1.6 §5.6 / §4.3 ----------------------------------------------------------
    async def data_transfer(self, req: dict[str, Any]) -> dict[str, Any]:
        vendor = self._station.identity.vendor
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
        transactions = self._transactions
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
        if profile is not None and not self._smart.accepts_remote_start_profile(
            connector.id, profile
        ):
            # §5.11, §5.16.2: a TxProfile without transactionId that this station can run.
            return {"status": "Rejected"}
        id_tag = req["idTag"]

        def begin() -> None:
            self._tasks.spawn(self._remote_start(connector, id_tag, profile), name="remote-start")

        return Reply({"status": "Accepted"}, then=begin)

    async def _remote_start(self, connector: Any, id_tag: str, profile: Any) -> None:
        if self._config.get_bool("AuthorizeRemoteTxRequests"):
            info = await self._authorizer.authorize(id_tag)
            if info.get("status") != "Accepted":
                return
        if profile is not None:
            self._transactions.pending_profile = (connector.id, profile)
        self._transactions.begin_or_wait(connector, id_tag)

    # 1.6 §5.12 --------------------------------------------------------------
    async def remote_stop_transaction(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        transaction_id = req["transactionId"]
        for connector in self._station.connectors:
            tx = connector.transaction
            if tx is not None and tx.protocol_id == transaction_id:

                def stop(connector: Any = connector) -> None:
                    self._transactions.stop(connector, "Remote")

                return Reply({"status": "Accepted"}, then=stop)
        return {"status": "Rejected"}

    # 1.6 §5.14 --------------------------------------------------------------
    async def reset(self, req: dict[str, Any]) -> Reply:
        reason = "HardReset" if req["type"] == "Hard" else "SoftReset"

        def restart() -> None:
            self._tasks.spawn(self._power.reset(stop_reason=reason), name="reset")

        return Reply({"status": "Accepted"}, then=restart)

    # 1.6 §5.18 --------------------------------------------------------------
    async def unlock_connector(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        connector = self._connector(req["connectorId"])
        if connector is None:
            return {"status": "NotSupported"}
        if connector.cable_max_a is not None:
            # §7.46 NotSupported: "no connector lock" - a tethered cable has none to open
            # (OCTT TC_017_2). Nothing is stopped: the request changes nothing here.
            return {"status": "NotSupported"}
        if connector.transaction is not None:
            # §5.18: a running transaction is stopped first (reason UnlockCommand).
            self._transactions.stop(connector, "UnlockCommand")
        unlocked = connector.unlock()
        return {"status": "Unlocked" if unlocked else "UnlockFailed"}
