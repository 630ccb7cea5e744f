"""ExtendedTriggerMessage (1.6 security whitepaper §5.5/§5.6, §6.16/§6.17).

The security extension's TriggerMessage: Accepted when the station will send
the requested message, which then follows the reply on the wire; Rejected for
a connector that does not exist (or SignChargePointCertificate without a
CpoName, the A02 prerequisite); NotImplemented for what it cannot send.
FirmwareStatusNotification means SignedFirmwareStatusNotification here (§6.16).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply
from bench.ocpp.v16.metering import meter_value, sampled_values
from bench.ocpp.v16.status import status_payload

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.station import Station
    from bench.ocpp.session import OcppSession
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.ports import (
        CertificateRequests,
        CoreMessages,
        FirmwareReports,
        StatusSource,
    )
    from bench.ocpp.v16.security_gate import ExtensionGate

log = logging.getLogger(__name__)

TRIGGERS = (
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargePointCertificate",
    "StatusNotification",
)

# The message a trigger makes the station send, where its name differs (§6.16, A02).
_SENDS = {
    "FirmwareStatusNotification": "SignedFirmwareStatusNotification",
    "SignChargePointCertificate": "SignCertificate",
}


class ExtendedTrigger:
    """ExtendedTriggerMessage of one station (NotImplemented without the extension)."""

    __slots__ = (
        "_certificates",
        "_clock",
        "_config",
        "_firmware",
        "_gate",
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
        gate: ExtensionGate,
        statuses: StatusSource,
        messages: CoreMessages,
        certificates: CertificateRequests,
        firmware: FirmwareReports,
    ) -> None:
        self._station = station
        self._clock = clock
        self._config = config
        self._tasks = tasks
        self._session = session
        self._gate = gate  # the extension's setting and what the CSMS refused
        self._statuses = statuses
        self._messages = messages  # BootNotification, Heartbeat
        self._certificates = certificates  # SignCertificate (A02)
        self._firmware = firmware  # SignedFirmwareStatusNotification, LogStatusNotification

    def handlers(self) -> dict[str, Any]:
        """CSMS-initiated actions this block answers (NotImplemented without the extension)."""
        return self._gate.guard({"ExtendedTriggerMessage": self.extended_trigger_message})

    async def extended_trigger_message(self, req: dict[str, Any]) -> dict[str, Any] | Reply:
        requested = req["requestedMessage"]
        connector_id = req.get("connectorId")
        if requested not in TRIGGERS:
            return {"status": "NotImplemented"}
        connectors = {c.id for c in self._station.connectors}
        if connector_id is not None and connector_id not in connectors:
            return {"status": "Rejected"}
        if requested == "SignChargePointCertificate" and not self._config.value("CpoName"):
            return {"status": "Rejected"}  # A02 prerequisite: CpoName MUST be set
        if not self._gate.may_send(_SENDS.get(requested, requested)):
            return {"status": "Rejected"}  # it will not be sent: the CSMS refused it on this link
        send = self._sender(requested, connector_id)

        def after() -> None:
            result = send()
            if inspect.isawaitable(result):
                self._tasks.spawn(_await(result), name=f"trigger-{requested}")

        return Reply({"status": "Accepted"}, then=after)

    def _sender(self, requested: str, connector_id: int | None) -> Callable[[], Any]:
        if requested == "BootNotification":
            return self._messages.send_boot_notification
        if requested == "Heartbeat":
            return self._messages.send_heartbeat
        if requested == "SignChargePointCertificate":
            return self._certificates.request_certificate
        if requested == "StatusNotification":
            return lambda: self.send_statuses(connector_id)
        if requested == "MeterValues":
            return lambda: self.send_meter_values(connector_id)
        if requested == "LogStatusNotification":
            return self._firmware.send_log_status
        # §6.16: the status of the secure firmware update.
        return self._firmware.send_signed_firmware_status

    async def send_statuses(self, connector_id: int | None) -> None:
        """StatusNotification for one connector, or for 0 and every connector."""
        ids = (
            [connector_id]
            if connector_id is not None
            else [0, *(c.id for c in self._station.connectors)]
        )
        for cid in ids:
            report = self._statuses.status_of(cid)
            payload = status_payload(report, cid, iso(self._clock.now()))
            if not await self._call("StatusNotification", payload):
                return

    async def send_meter_values(self, connector_id: int | None) -> None:
        """MeterValues (context Trigger) for one connector or all of them."""
        items = self._config.value("MeterValuesSampledData")
        for connector in self._station.connectors:
            if connector_id is not None and connector.id != connector_id:
                continue
            values = sampled_values(connector, items, "Trigger")
            if not values:
                continue
            payload: dict[str, Any] = {
                "connectorId": connector.id,
                "meterValue": [meter_value(self._clock.now(), values)],
            }
            tx = connector.transaction
            if tx is not None and tx.protocol_id is not None:
                payload["transactionId"] = tx.protocol_id
            if not await self._call("MeterValues", payload):
                return

    async def _call(self, action: str, payload: dict[str, Any]) -> bool:
        try:
            await self._session.call(action, payload)
        except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
            log.info("%s: triggered %s failed: %s", self._station.id, action, exc)
            return False
        return True


async def _await(result: Any) -> None:
    await result
