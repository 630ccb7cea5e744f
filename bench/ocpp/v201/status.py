"""Derive the 2.0.1 ConnectorStatusEnumType of a connector from the model (G01, B01.FR.05).

The one place 2.0.1 statuses come from (ARCHITECTURE rule 2). The bench models
each EVSE with one connector: model connector ``n`` is EVSE ``n``, connector 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.model.connector import Connector

CONNECTOR_ON_EVSE = 1


@dataclass(frozen=True, slots=True)
class ConnectorStatus:
    status: str  # Available | Occupied | Reserved | Unavailable | Faulted


def connector_status(connector: Connector) -> ConnectorStatus:
    """Faulted > Unavailable > Reserved > Occupied > Available (part 2 §2.2 status table).

    A reserved connector stays Reserved while an EV is plugged in until the driver
    with the matching idToken starts charging (G03.FR.09, G01.FR.06): the
    reservation leaves the model when it is used.
    """
    fault = connector.fault or connector.station.fault
    if fault is not None and fault.stops_charging:
        return ConnectorStatus("Faulted")
    if connector.transaction is None and (not connector.operative or not connector.station.powered):
        return ConnectorStatus("Unavailable")
    if connector.transaction is None and connector.reservation is not None:
        return ConnectorStatus("Reserved")  # G03.FR.09: plugging in does not change it
    if connector.plugged or connector.transaction is not None:
        return ConnectorStatus("Occupied")
    if not connector.operative:
        return ConnectorStatus("Unavailable")
    return ConnectorStatus("Available")


def status_payload(report: ConnectorStatus, evse_id: int, timestamp: str) -> dict[str, Any]:
    """StatusNotificationRequest (part 2 §1.51)."""
    return {
        "timestamp": timestamp,
        "connectorStatus": report.status,
        "evseId": evse_id,
        "connectorId": CONNECTOR_ON_EVSE,
    }
