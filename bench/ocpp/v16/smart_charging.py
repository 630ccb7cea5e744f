"""smart charging (1.6 §3.13, §5.5, §5.7, §5.16).

Scaffolding wired into ChargePoint16; the block fills in its state, keys and handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bench.ocpp.v16.config import KeyDef

if TYPE_CHECKING:
    from bench.ocpp.v16.charge_point import ChargePoint16

PROFILE = "SmartCharging"  # its SupportedFeatureProfiles name
SUPPORTED = False  # listed in SupportedFeatureProfiles once its messages work
KEYS: tuple[KeyDef, ...] = ()


class SmartCharging:
    __slots__ = ("cp",)

    def __init__(self, cp: ChargePoint16) -> None:
        self.cp = cp

    def handlers(self) -> dict[str, Any]:
        """CSMS-initiated actions this block answers."""
        return {}
