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
    from bench.ocpp.v16.charge_point import ChargePoint16
    from bench.ocpp.v16.security import Security

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


async def extended_trigger_message(
    security: Security, req: dict[str, Any]
) -> dict[str, Any] | Reply:
    requested = req["requestedMessage"]
    connector_id = req.get("connectorId")
    cp = security.cp
    if requested not in TRIGGERS:
        return {"status": "NotImplemented"}
    if connector_id is not None and connector_id not in {c.id for c in cp.station.connectors}:
        return {"status": "Rejected"}
    if requested == "SignChargePointCertificate" and not cp.config.value("CpoName"):
        return {"status": "Rejected"}  # A02 prerequisite: CpoName MUST be set
    if not security.gate.may_send(_SENDS.get(requested, requested)):
        return {"status": "Rejected"}  # it will not be sent: the CSMS refused it on this link
    send = _sender(security, requested, connector_id)
    if send is None:
        return {"status": "NotImplemented"}

    def after() -> None:
        result = send()
        if inspect.isawaitable(result):
            cp.tasks.spawn(_await(result), name=f"trigger-{requested}")

    return Reply({"status": "Accepted"}, then=after)


def _sender(
    security: Security, requested: str, connector_id: int | None
) -> Callable[[], Any] | None:
    cp = security.cp
    if requested == "BootNotification":
        return cp.send_boot_notification
    if requested == "Heartbeat":
        return cp.send_heartbeat
    if requested == "SignChargePointCertificate":
        return security.request_certificate
    if requested == "StatusNotification":
        return lambda: send_statuses(cp, connector_id)
    if requested == "MeterValues":
        return lambda: send_meter_values(cp, connector_id)
    if requested == "LogStatusNotification":
        return getattr(cp.firmware, "send_log_status", None)
    # §6.16: the status of the secure firmware update.
    firmware = cp.firmware
    return getattr(firmware, "send_signed_firmware_status", None) or getattr(
        firmware, "send_firmware_status", None
    )


async def send_statuses(cp: ChargePoint16, connector_id: int | None) -> None:
    """StatusNotification for one connector, or for 0 and every connector."""
    ids = (
        [connector_id] if connector_id is not None else [0, *(c.id for c in cp.station.connectors)]
    )
    for cid in ids:
        report = cp.status_of(cid)
        payload = status_payload(report, cid, iso(cp.clock.now()))
        if not await _call(cp, "StatusNotification", payload):
            return


async def send_meter_values(cp: ChargePoint16, connector_id: int | None) -> None:
    """MeterValues (context Trigger) for one connector or all of them."""
    items = cp.config.value("MeterValuesSampledData")
    for connector in cp.station.connectors:
        if connector_id is not None and connector.id != connector_id:
            continue
        values = sampled_values(connector, items, "Trigger")
        if not values:
            continue
        payload: dict[str, Any] = {
            "connectorId": connector.id,
            "meterValue": [meter_value(cp.clock.now(), values)],
        }
        tx = connector.transaction
        if tx is not None and tx.protocol_id is not None:
            payload["transactionId"] = tx.protocol_id
        if not await _call(cp, "MeterValues", payload):
            return


async def _call(cp: ChargePoint16, action: str, payload: dict[str, Any]) -> bool:
    try:
        await cp.session.call(action, payload)
    except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
        log.info("%s: triggered %s failed: %s", cp.station.id, action, exc)
        return False
    return True


async def _await(result: Any) -> None:
    await result
