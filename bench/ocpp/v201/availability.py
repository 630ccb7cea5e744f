"""Functional block G: ChangeAvailability for the station, an EVSE or a connector (G03, G04).

The station, each EVSE and each connector have their own operational state
(G03/G04 Note 1): a connector is operative only when it, its EVSE and the
station all are. The three levels are persisted (``cp.state``, name
``availability``) as soon as a change is accepted, and applied to the model at
power-on, so Unavailable survives a reboot (B01.FR.07, G01.FR.02, G03.FR.08,
G04.FR.09). The model's ``Connector.operative`` carries the combined result;
the connector status (``status.py``) follows it, and the coalesced
StatusNotification reports each changed connector (G03.FR.04, G04.FR.05).

- A request for a state the level is already in: Accepted, nothing changes
  (G03.FR.03, G04.FR.04).
- A connector with a running transaction keeps it; the change is Scheduled and
  applied by the model when the transaction ends (G03.FR.05, G04.FR.06).
- An unknown EVSE or connector: Rejected (UnknownEvse, UnknownConnectorId).

The device model's AvailabilityState of ChargingStation, each EVSE and each
Connector follows the statuses (``set_own_variable``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bench.ocpp.v201.block import Block, Evses, Handler, Persistence, Services, Variables
from bench.ocpp.v201.device_model import ComponentKey
from bench.ocpp.v201.ports import TxLookup
from bench.ocpp.v201.status import CONNECTOR_ON_EVSE

STATE_NAME = "availability"


@dataclass(frozen=True, slots=True)
class AvailabilityChanged:
    """A ChangeAvailability was applied or scheduled (``evse_id`` None: the station)."""

    evse_id: int | None
    connector_id: int | None
    operative: bool
    scheduled: bool


class AvailabilityHost(Services, Variables, Persistence, Evses, Protocol):
    """What block G uses of the station: its EVSEs, statuses and the persisted operative state."""


class Availability(Block[AvailabilityHost]):
    __slots__ = ("_connector_ops", "_evse_ops", "_loaded", "_station_op", "_transactions")

    def __init__(self, cp: AvailabilityHost, transactions: TxLookup) -> None:
        super().__init__(cp)
        self._transactions = transactions
        self._station_op = True
        self._evse_ops: dict[int, bool] = {}
        self._connector_ops: dict[int, bool] = {}
        self._loaded = False

    def handlers(self) -> dict[str, Handler]:
        return {"ChangeAvailability": self.change_availability}

    # ------------------------------------------------------------ queries
    def station_operative(self) -> bool:
        self._load()
        return self._station_op

    def evse_operative(self, evse_id: int) -> bool:
        self._load()
        return self._evse_ops.get(evse_id, True)

    def connector_operative(self, evse_id: int) -> bool:
        self._load()
        return self._connector_ops.get(evse_id, True)

    def wanted(self, evse_id: int) -> bool:
        """The combined operational state the connector of ``evse_id`` should have."""
        return (
            self.station_operative()
            and self.evse_operative(evse_id)
            and self.connector_operative(evse_id)
        )

    # ------------------------------------------------------------ G03 / G04
    async def change_availability(self, req: dict[str, Any]) -> dict[str, Any]:
        operative = req["operationalStatus"] == "Operative"
        evse = req.get("evse")
        self._load()
        if evse is None or evse.get("id", 0) == 0:
            # G04.FR.01: no EVSE means the whole station.
            return self._change(None, None, operative)
        evse_id = evse["id"]
        if evse_id not in self.cp.evse_ids():
            return _rejected("UnknownEvse", f"no EVSE {evse_id}")
        connector_id = evse.get("connectorId")
        if connector_id is not None and connector_id != CONNECTOR_ON_EVSE:
            return _rejected("UnknownConnectorId", f"EVSE {evse_id} has connector 1 only")
        return self._change(evse_id, connector_id, operative)

    def _change(self, evse_id: int | None, connector_id: int | None, operative: bool) -> dict:
        if evse_id is None:
            before, affected = self._station_op, self.cp.evse_ids()
        elif connector_id is None:
            before, affected = self._evse_ops.get(evse_id, True), [evse_id]
        else:
            before, affected = self._connector_ops.get(evse_id, True), [evse_id]
        pending = any(self.cp.station.connector(n).pending_operative is not None for n in affected)
        if before == operative and not pending:
            return {"status": "Accepted"}  # G03.FR.03, G04.FR.04
        if evse_id is None:
            self._station_op = operative
        elif connector_id is None:
            self._evse_ops[evse_id] = operative
        else:
            self._connector_ops[evse_id] = operative
        self._save()
        scheduled = False
        for n in affected:
            connector = self.cp.station.connector(n)
            target = self.wanted(n)
            if connector.operative == target:
                if connector.pending_operative is not None:
                    connector.set_operative(target)  # drops the scheduled opposite change
                continue
            busy = self._transactions.active(n) is not None  # the 2.0.1 transaction
            if not connector.schedule_operative(target, busy=busy):
                scheduled = True  # G03.FR.05, G04.FR.06: after the transaction
        self.cp.events.emit(AvailabilityChanged(evse_id, connector_id, operative, scheduled))
        self._refresh_states()
        return {"status": "Scheduled" if scheduled else "Accepted"}

    # ------------------------------------------------------------ persistence
    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        saved = self.cp.state.get(self.cp.station.id, STATE_NAME) or {}
        self._station_op = bool(saved.get("station", True))
        self._evse_ops = {int(k): bool(v) for k, v in (saved.get("evse") or {}).items()}
        self._connector_ops = {int(k): bool(v) for k, v in (saved.get("connector") or {}).items()}

    def _save(self) -> None:
        self.cp.state.put(
            self.cp.station.id,
            STATE_NAME,
            {
                "station": self._station_op,
                "evse": {str(k): v for k, v in self._evse_ops.items() if not v},
                "connector": {str(k): v for k, v in self._connector_ops.items() if not v},
            },
        )

    # ------------------------------------------------------------ hooks
    def on_start(self) -> None:
        """B01.FR.07, G03.FR.08, G04.FR.09: the persisted states apply from power-on."""
        self._load()
        for n in self.cp.evse_ids():
            connector = self.cp.station.connector(n)
            target = self.wanted(n)
            if connector.operative != target:
                connector.schedule_operative(target)
        self._refresh_states()

    def on_model_event(self, event: Any) -> None:
        if type(event).__name__ in ("ConnectorChanged", "StationChanged"):
            self._refresh_states()

    def _refresh_states(self) -> None:
        """AvailabilityState of ChargingStation, EVSE and Connector follows the statuses."""
        cp = self.cp
        statuses = {n: cp.status_of(n).status for n in cp.evse_ids()}
        for n, status in statuses.items():
            self._set_state(ComponentKey("EVSE", evse=n), status)
            self._set_state(ComponentKey("Connector", evse=n, connector=CONNECTOR_ON_EVSE), status)
        self._set_state("ChargingStation", self._station_state(statuses))

    def _station_state(self, statuses: dict[int, str]) -> str:
        station = self.cp.station
        if station.fault is not None and station.fault.stops_charging:
            return "Faulted"
        values = set(statuses.values())
        if values and values <= {"Unavailable", "Faulted"}:
            return "Unavailable"
        if values and values <= {"Occupied"}:
            return "Occupied"
        return "Available"

    def _set_state(self, component: Any, value: str) -> None:
        if self.cp.device_model.value(component, "AvailabilityState") != value:
            self.cp.set_own_variable(component, "AvailabilityState", value)


def _rejected(reason: str, detail: str) -> dict[str, Any]:
    return {"status": "Rejected", "statusInfo": {"reasonCode": reason, "additionalInfo": detail}}
