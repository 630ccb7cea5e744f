"""What a station's badge and a connector's status pill say, and in which colour (Qt-free)."""

from __future__ import annotations

from typing import Any

from ui.models.station_facts import queued_messages, storage_fault

# Conventional OCPP status colours (as CSMS dashboards show them): green free,
# blue busy, amber paused, red broken, grey out of service. 1.6 ChargePointStatus and
# 2.0.1 ConnectorStatusEnumType (Occupied) plus its ChargingStateEnumType values.
STATUS_COLOURS: dict[str, str] = {
    "Available": "#2e9d4f",
    "Preparing": "#2b8fd6",
    "Charging": "#1f5fbf",
    "SuspendedEV": "#d99a1e",
    "SuspendedEVSE": "#d97a1e",
    "Finishing": "#7a5cc7",
    "Reserved": "#9b59b6",
    "Unavailable": "#7f8c8d",
    "Faulted": "#c0392b",
    "Occupied": "#2b8fd6",
    "EVConnected": "#2b8fd6",
    "Idle": "#5a7fa8",
}

LINK_COLOURS: dict[str, str] = {
    "booted": "#2e9d4f",
    "connected": "#2b8fd6",
    "connecting": "#d99a1e",
    "pending": "#d99a1e",
    "rejected": "#c0392b",
    "offline": "#c0392b",
    "stopped": "#7f8c8d",
}

STORAGE_FAULT_COLOUR = "#c0392b"


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "#7f8c8d")


def link_badge(cp: Any) -> tuple[str, str]:
    """(label, colour) for the station list: link state combined with registration."""
    state = cp.link_state
    if state == "connected":
        key = {"Accepted": "booted", "Pending": "pending", "Rejected": "rejected"}.get(
            cp.registration, "connected"
        )
    elif state in LINK_COLOURS:
        key = state
    else:
        key = "offline"
    label = key
    queued = queued_messages(cp)
    if key != "booted" and queued:
        label = f"{key} · {queued} queued"
    fault = storage_fault(cp)
    if fault:
        # Issue 11: the database refuses writes; what it holds in memory is lost on exit.
        return f"{label} · {fault}", STORAGE_FAULT_COLOUR
    return label, LINK_COLOURS[key]
