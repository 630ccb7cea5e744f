"""Helpers for the 2.0.1 security, certificate, firmware and log tests."""

from __future__ import annotations

from typing import Any

from bench.csms.registry import UnknownStation
from bench.csms.server import CentralSystem
from bench.ocpp.v201.charge_point import ChargePoint201
from tests.e2e.conftest import WAIT, wait_until

PASSWORD = "0123456789abcdefXYZ"  # a BasicAuthPassword of 16..40 characters (A00.FR.304)


def stored(csms: CentralSystem, kind: str, station: str = "CS1") -> list[dict[str, Any]]:
    """Payloads of the ``kind`` messages the CSMS stored for ``station``, oldest first."""
    assert csms.store is not None
    return [row.payload for row in csms.store.events(station, kind)]


async def security_event(
    csms: CentralSystem, event_type: str, station: str = "CS1", timeout: float = WAIT
) -> dict[str, Any]:
    """Wait for the CSMS to have a SecurityEventNotification of ``event_type``."""

    def found() -> dict[str, Any] | None:
        events = stored(csms, "SecurityEventNotification", station)
        return next((e for e in events if e["type"] == event_type), None)

    return await wait_until(found, timeout, f"SecurityEventNotification {event_type}")


def statuses(csms: CentralSystem, kind: str, station: str = "CS1") -> list[str]:
    return [p["status"] for p in stored(csms, kind, station)]


async def set_variable(
    csms: CentralSystem, component: str, variable: str, value: str, station: str = "CS1"
) -> str:
    reply = await csms.call(
        station,
        "SetVariables",
        {
            "setVariableData": [
                {
                    "component": {"name": component},
                    "variable": {"name": variable},
                    "attributeValue": value,
                }
            ]
        },
    )
    return reply["setVariableResult"][0]["attributeStatus"]


def network_profile(url: str, security_profile: int = 0, **extra: Any) -> dict[str, Any]:
    """A NetworkConnectionProfileType for ``url`` (B09)."""
    return {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": url,
        "messageTimeout": 30,
        "securityProfile": security_profile,
        "ocppInterface": "Wired0",
        **extra,
    }


def boots(csms: CentralSystem, station: str = "CS1") -> int:
    """BootNotifications this CSMS answered for ``station``."""
    try:
        return csms.station(station).boot_count
    except UnknownStation:
        return 0


def own(cp: ChargePoint201, name: str) -> Any:
    """A value the station's security block persisted."""
    return cp.security.get(name)  # type: ignore[attr-defined]
