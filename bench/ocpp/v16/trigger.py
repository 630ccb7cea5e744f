"""TriggerMessage (1.6 §5.17).

Scaffolding wired into ChargePoint16; the block fills in its state, keys and handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bench.ocpp.v16.config import KeyDef

if TYPE_CHECKING:
    from bench.ocpp.v16.charge_point import ChargePoint16

PROFILE = "RemoteTrigger"  # its SupportedFeatureProfiles name
SUPPORTED = False  # listed in SupportedFeatureProfiles once its messages work
KEYS: tuple[KeyDef, ...] = ()


class RemoteTrigger:
    __slots__ = ("cp",)

    def __init__(self, cp: ChargePoint16) -> None:
        self.cp = cp

    def handlers(self) -> dict[str, Any]:
        """CSMS-initiated actions this block answers."""
        return {}
