"""Events the station model emits on its ``Emitter`` (bench/model/events.py).

They carry no state, only *what* changed: a subscriber reads the model itself,
which is already in the new state when the event is delivered (delivery is
synchronous). ``station_id`` lets one subscriber serve several stations that
share an emitter.

``ConnectorChanged.reason`` is a short stable word:
plugged, unplugged, fault, fault_cleared, availability, transaction_started,
transaction_ended, contactor, limit, reservation, ev_suspended, ev_resumed,
ev_target_reached, ev_demand, ev_soc, lock.

``StationChanged.reason``: fault, fault_cleared, power_off, power_on, firmware.
A station-level change may affect every connector (a station fault blocks them
all), so a subscriber should re-read all connectors on it.
"""

from __future__ import annotations

from dataclasses import dataclass

CONNECTOR_REASONS = frozenset(
    {
        "plugged",
        "unplugged",
        "fault",
        "fault_cleared",
        "availability",
        "transaction_started",
        "transaction_ended",
        "contactor",
        "limit",
        "reservation",
        "ev_suspended",
        "ev_resumed",
        "ev_target_reached",
        "ev_demand",
        "ev_soc",
        "lock",
    }
)
STATION_REASONS = frozenset({"fault", "fault_cleared", "power_off", "power_on", "firmware"})


@dataclass(frozen=True, slots=True)
class ConnectorChanged:
    connector_id: int
    reason: str
    station_id: str = ""


@dataclass(frozen=True, slots=True)
class StationChanged:
    reason: str
    station_id: str = ""


@dataclass(frozen=True, slots=True)
class IdPresented:
    """A badge was shown to the reader (``connector_id`` when the user picked one)."""

    id_tag: str
    connector_id: int | None = None
    station_id: str = ""
