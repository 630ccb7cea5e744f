"""What a station's badge and a connector's status pill say, and in which colour (Qt-free)."""

from __future__ import annotations

from bench.ocpp.api import ChargePointApi, LinkState, Registration

# Conventional OCPP status colours (as CSMS dashboards show them): green free,
# blue busy, amber paused, red broken, grey out of service. 1.6 ChargePointStatus and
# 2.0.1 ConnectorStatusEnumType (Occupied) plus its ChargingStateEnumType values.
# Badges and status pills write white text on these: each is dark enough for a
# contrast ratio of at least 4.5:1 with white (WCAG AA for text), in either palette.
BADGE_TEXT = "#ffffff"
STATUS_COLOURS: dict[str, str] = {
    "Available": "#1e7e3c",
    "Preparing": "#1f6fb2",
    "Charging": "#1f5fbf",
    "SuspendedEV": "#8f6200",
    "SuspendedEVSE": "#a84b0c",
    "Finishing": "#6a4fb8",
    "Reserved": "#8e44ad",
    "Unavailable": "#5f6b6d",
    "Faulted": "#b03a2e",
    "Occupied": "#1f6fb2",
    "EVConnected": "#1f6fb2",
    "Idle": "#4a6d94",
}
UNKNOWN_COLOUR = "#5f6b6d"

LINK_COLOURS: dict[str, str] = {
    "booted": "#1e7e3c",
    "connected": "#1f6fb2",
    "connecting": "#8f6200",
    "pending": "#8f6200",
    "rejected": "#b03a2e",
    "offline": "#b03a2e",
    "stopped": "#5f6b6d",
    "no power": "#5f6b6d",  # a power cut: dark until the power comes back
}

STORAGE_FAULT_COLOUR = "#c0392b"


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, UNKNOWN_COLOUR)


REGISTRATION_KEYS = {
    Registration.ACCEPTED: "booted",
    Registration.PENDING: "pending",
    Registration.REJECTED: "rejected",
}
POWER_CUT_KEY = "no power"


def link_badge(cp: ChargePointApi) -> tuple[str, str]:
    """(label, colour) for the station list: link state combined with registration."""
    state = cp.network().link
    if cp.power().cut:
        key = POWER_CUT_KEY
    elif state is LinkState.CONNECTED:
        key = REGISTRATION_KEYS.get(cp.registration_state(), "connected")
    else:
        key = state.value
    label = key
    queued = cp.queue_length()
    if key != "booted" and queued:
        label = f"{key} · {queued} queued"
    storage = cp.storage_state()
    if storage.failing:
        # Issue 11: the database refuses writes; what it holds in memory is lost on exit.
        return f"{label} · {storage.kind} · {storage.unsaved} unsaved", STORAGE_FAULT_COLOUR
    return label, LINK_COLOURS[key]
