"""TriggerMessage (1.6 §5.17, errata 3.35, 3.40, 3.46).

The station answers first and sends the requested message after its reply has
left (``Reply(..., then=...)``, §5.17: "SHALL first send the TriggerMessage
response"). What each trigger sends:

- BootNotification: ``Rejected`` once the CSMS has accepted the station (errata
  3.35 recommends it: a re-boot would leave ongoing transactions in limbo);
  while Pending the boot loop is woken to send it at once (§4.2: a Pending
  station may send what a TriggerMessage asked for).
- Heartbeat: a Heartbeat.req, which also counts as the interval's heartbeat.
- StatusNotification: the status of the given connector; without a connectorId
  one for the charge point (connector 0) and one per connector (§5.17).
- MeterValues: the most recent values of every ``MeterValuesSampledData``
  measurand (errata 3.46: SHALL), context ``Trigger``, for the given connector or
  every connector; inside a transaction it carries the transactionId.
- DiagnosticsStatusNotification / FirmwareStatusNotification: the current
  state from the firmware block (``Idle`` when nothing runs).

A connectorId that names no connector is ``Rejected`` for the messages a
connector is relevant to (StatusNotification, MeterValues); for the others it
is ignored, as §5.17 asks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply
from bench.ocpp.v16.config import KeyDef
from bench.ocpp.v16.metering import meter_value, sampled_values
from bench.ocpp.v16.status import status_payload

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.station import Station
    from bench.ocpp.session import OcppSession
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.ports import CoreMessages, FirmwareReports, StatusSource

log = logging.getLogger(__name__)

PROFILE = "RemoteTrigger"  # its SupportedFeatureProfiles name
SUPPORTED = True  # listed in SupportedFeatureProfiles once its messages work
KEYS: tuple[KeyDef, ...] = ()

_CONNECTOR_RELEVANT = ("MeterValues", "StatusNotification")


class RemoteTrigger:
    """TriggerMessage of one station."""

    __slots__ = (
        "_clock",
        "_config",
        "_firmware",
        "_messages",
        "_session",
        "_station",
        "_statuses",
        "_tasks",
    )

    def __init__(
        self,
        station: Station,
        *,
        clock: Clock,
        config: Configuration,
        tasks: Supervisor,
        session: OcppSession,
        statuses: StatusSource,
        messages: CoreMessages,
        firmware: FirmwareReports,
    ) -> None:
        self._station = station
        self._clock = clock
        self._config = config
        self._tasks = tasks
        self._session = session
        self._statuses = statuses
        self._messages = messages  # BootNotification, Heartbeat
        self._firmware = firmware  # DiagnosticsStatusNotification, FirmwareStatusNotification

    def handlers(self) -> dict[str, Any]:
        """CSMS-initiated actions this block answers."""
        return {"TriggerMessage": self.trigger_message}

    async def trigger_message(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        # 1.6 §5.17, §7.44
        requested = req["requestedMessage"]
        connector_id = req.get("connectorId")
        count = len(self._station.connectors)
        if (
            requested in _CONNECTOR_RELEVANT
            and connector_id is not None
            and not 1 <= connector_id <= count
        ):
            return {"status": "Rejected"}
        plan = self._plan(requested, connector_id)
        if plan is None:
            return {"status": "NotImplemented"}
        if plan is False:
            return {"status": "Rejected"}
        return Reply({"status": "Accepted"}, then=plan)

    def _plan(
        self, requested: str, connector_id: int | None
    ) -> Callable[[], None] | Literal[False] | None:
        """The work that sends ``requested`` after the reply; False to reject, None if unknown."""
        messages = self._messages
        connectors = self._station.connectors
        if requested == "BootNotification":
            # errata 3.35: after BootNotification.conf(Accepted) a triggered boot is rejected.
            if messages.registration == "Accepted":
                return False
            return messages.boot_now
        if requested == "Heartbeat":
            return lambda: self._spawn(self._heartbeat(), "trigger-heartbeat")
        if requested == "StatusNotification":
            ids = [connector_id] if connector_id else [0, *(c.id for c in connectors)]
            return lambda: self._spawn(self._send_statuses(ids), "trigger-status")
        if requested == "MeterValues":
            ids = [connector_id] if connector_id else [c.id for c in connectors]
            return lambda: self._spawn(self._meter_values(ids), "trigger-meter")
        firmware = self._firmware
        if requested == "DiagnosticsStatusNotification":
            send = firmware.send_diagnostics_status
            return lambda: self._spawn(send(), "trigger-send_diagnostics_status")
        if requested == "FirmwareStatusNotification":
            send = firmware.send_firmware_status
            return lambda: self._spawn(send(), "trigger-send_firmware_status")
        return None

    def _spawn(self, work: Awaitable[Any], name: str) -> None:
        async def guarded() -> None:
            try:
                await work
            except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
                log.info("%s: triggered message not delivered: %s", self._station.id, exc)

        self._tasks.spawn(guarded(), name=name)

    # ------------------------------------------------------------ the messages
    async def _heartbeat(self) -> None:
        await self._messages.send_heartbeat()  # counts as the interval's heartbeat

    async def _send_statuses(self, connector_ids: list[int]) -> None:
        for connector_id in connector_ids:
            report = self._statuses.status_of(connector_id)
            payload = status_payload(report, connector_id, iso(self._clock.now()))
            await self._session.call("StatusNotification", payload)

    async def _meter_values(self, connector_ids: list[int]) -> None:
        station = self._station
        station.tick()  # the most recent measurements (errata 3.46)
        items = self._config.value("MeterValuesSampledData")
        for connector_id in connector_ids:
            connector = station.connector(connector_id)
            # A MeterValues.req needs one sampled value at least (§6.31): the register.
            values = sampled_values(connector, items, "Trigger") or sampled_values(
                connector, ["Energy.Active.Import.Register"], "Trigger"
            )
            payload: dict[str, Any] = {
                "connectorId": connector_id,
                "meterValue": [meter_value(self._clock.now(), values)],
            }
            tx = connector.transaction
            if tx is not None and isinstance(tx.protocol_id, int):
                payload["transactionId"] = tx.protocol_id
            await self._session.call("MeterValues", payload)
