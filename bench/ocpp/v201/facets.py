"""What only a 2.0.1 station has, as the narrow facets ``ChargePointApi.facet`` hands out.

A view asks ``cp.facet(DeviceModelAccess)`` (or ``MonitorList``, ``DisplayScreens``,
``TransactionEvents``) and gets None from a station without one, so it never asks
which version a station speaks. Each facet is a thin, typed window on one block: it
reads what the block holds and acts through the path a CSMS request takes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.ocpp.v201.device_model import (
    AttributeType,
    ComponentKey,
    DeviceModel,
    DeviceModelDefinition,
    VariableKey,
)
from bench.ocpp.v201.transactions import TransactionEventSent

if TYPE_CHECKING:
    from bench.model.events import Emitter
    from bench.ocpp.v201.display import DisplayMessages, ScreenText
    from bench.ocpp.v201.mon_model import Monitor
    from bench.ocpp.v201.monitoring import Monitoring
    from bench.ocpp.v201.provisioning import Provisioning


@dataclass(frozen=True, slots=True)
class SetResult:
    """One SetVariableResult (B05): the station's status and the reason it gives."""

    status: str  # SetVariableStatusEnumType
    reason: str = ""


class DeviceModelAccess:
    """The device model (B05-B07): its definition, its values, and writes that take the
    very path a CSMS's SetVariablesRequest takes (B05.FR.01-10)."""

    __slots__ = ("_model", "_provisioning")

    def __init__(self, model: DeviceModel, provisioning: Provisioning) -> None:
        self._model = model
        self._provisioning = provisioning

    @property
    def definition(self) -> DeviceModelDefinition:
        return self._model.definition

    def value(
        self,
        component: ComponentKey,
        variable: VariableKey,
        attribute: AttributeType = AttributeType.ACTUAL,
    ) -> str | None:
        return self._model.value(component, variable, attribute)

    async def write(
        self, component: ComponentKey, variable: VariableKey, attribute: str, text: str
    ) -> SetResult:
        """Set one attribute as a SetVariablesRequest with one item would; a refusal is a
        status, not an exception."""
        request = {
            "setVariableData": [
                {
                    "attributeType": attribute,
                    "attributeValue": text,
                    "component": component.to_json(),
                    "variable": variable.to_json(),
                }
            ]
        }
        reply = await self._provisioning.set_variables(request)
        result = reply["setVariableResult"][0]
        info = result.get("attributeStatusInfo") or {}
        reason = str(info.get("additionalInfo") or info.get("reasonCode") or "")
        return SetResult(str(result["attributeStatus"]), reason)


class MonitorList:
    """The active variable monitors (N02-N05): hard-wired, pre-configured and custom."""

    __slots__ = ("_monitoring",)

    def __init__(self, monitoring: Monitoring) -> None:
        self._monitoring = monitoring

    def monitors(self) -> list[Monitor]:
        return self._monitoring.monitors()


class DisplayScreens:
    """The display messages the CSMS configured (O01-O06) and what each screen shows."""

    __slots__ = ("_display",)

    def __init__(self, display: DisplayMessages) -> None:
        self._display = display

    def messages(self) -> list[dict[str, Any]]:
        return self._display.messages()

    def screen(self, evse_id: int | None = None) -> ScreenText:
        return self._display.screen(evse_id)


class TransactionEvents:
    """The TransactionEventRequests the station sends (E01-E03), as they go out."""

    __slots__ = ("_events",)

    def __init__(self, events: Emitter) -> None:
        self._events = events

    def subscribe(self, handler: Callable[[TransactionEventSent], None]) -> Callable[[], None]:
        def pick(event: object) -> None:
            if isinstance(event, TransactionEventSent):
                handler(event)

        return self._events.subscribe(pick)
