"""Derive the OCPP 1.6 ChargePointStatus of a connector from the model (1.6 §4.9, §7.7).

This is the one place where 1.6 statuses come from (ARCHITECTURE rule 2): the
model stores physical state, transaction and availability; it never stores an
OCPP status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.station import Station


@dataclass(frozen=True, slots=True)
class StatusReport:
    status: str
    error_code: str = "NoError"
    vendor_error_code: str | None = None
    info: str | None = None


EV_SIDE_DISCONNECTED = "EV side disconnected"


def connector_status(connector: Connector, *, authorized_waiting: bool = False) -> StatusReport:
    """The status a StatusNotification.req for ``connector`` reports.

    ``authorized_waiting`` is true when an idTag was accepted for this connector
    and the station waits for the cable (1.6 §4.9: Preparing).
    """
    fault = connector.fault or connector.station.fault
    error_code, vendor, info = "NoError", None, None
    if fault is not None:
        error_code, vendor, info = fault.error_code, fault.vendor_error_code, fault.description
        if fault.stops_charging:
            return StatusReport("Faulted", error_code, vendor, info[:50] if info else None)
    status = _operational_status(connector, authorized_waiting)
    if info is None and connector.transaction is not None and not connector.plugged:
        # The transaction goes on with the EV side unplugged (StopTransactionOnEVSideDisconnect
        # false, 1.6 §9.1.33): the info field says why it is suspended (OCTT TC_005_3_CS).
        info = EV_SIDE_DISCONNECTED
    return StatusReport(status, error_code, vendor, info[:50] if info else None)


def _operational_status(connector: Connector, authorized_waiting: bool) -> str:
    tx = connector.transaction
    if tx is not None:
        if not connector.plugged:
            # StopTransactionOnEVSideDisconnect=false keeps the transaction: the EV side is gone.
            return "SuspendedEV"
        if not connector.contactor_closed or connector.offered_current_a <= 0:
            return "SuspendedEVSE"
        if not connector.ev_wants_energy:
            return "SuspendedEV"
        if not connector.drawing:
            # Offered less than the EV's minimum (IEC 61851: 6 A): the EVSE holds it back.
            return "SuspendedEVSE"
        return "Charging"
    if not connector.operative:
        return "Unavailable"
    if connector.plugged:
        return "Finishing" if connector.finishing else "Preparing"
    if connector.cable_in_socket:
        # §4.9 Finishing: "the cable has not been removed" (its EV end was pulled).
        return "Finishing"
    if authorized_waiting:
        return "Preparing"
    if connector.reservation is not None:
        return "Reserved"
    return "Available"


def status_payload(report: StatusReport, connector_id: int, timestamp: str) -> dict[str, Any]:
    """StatusNotification.req for ``report`` (1.6 §6.47)."""
    payload: dict[str, Any] = {
        "connectorId": connector_id,
        "errorCode": report.error_code,
        "status": report.status,
        "timestamp": timestamp,
    }
    if report.vendor_error_code:
        payload["vendorErrorCode"] = report.vendor_error_code
    if report.info:
        payload["info"] = report.info
    return payload


# The state-store name of the Charge Point's own availability (ChangeAvailability of
# connectorId 0, 1.6 §5.2), kept across reboots like the connectors'.
STATION_OPERATIVE = "operative_0"


def station_status(station: Station, *, operative: bool = True) -> StatusReport:
    """Status of connector 0, the Charge Point as a whole (1.6 §4.9): Unavailable when
    the Charge Point itself was made Inoperative (not when its connectors were)."""
    fault = station.fault
    if fault is not None and fault.stops_charging:
        return StatusReport("Faulted", fault.error_code, fault.vendor_error_code)
    if not operative:
        return StatusReport("Unavailable")
    if fault is not None:
        return StatusReport("Available", fault.error_code, fault.vendor_error_code)
    return StatusReport("Available")
