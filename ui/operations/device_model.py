"""Operations on a 2.0.1 station's device model (part 2 B05 SetVariables).

A value typed in the device-model browser goes through the station's own
SetVariables handler (``DeviceModelAccess.write``), the very path a CSMS's
SetVariablesRequest takes, so the browser accepts, refuses and applies exactly
what the station would (B05.FR.01-10) and the blocks are told of the change the
same way. The outcome carries the status and the reason the station gives in
``attributeStatusInfo``; a write-only value never appears in a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.ocpp.v201.device_model import ComponentKey, Mutability, VariableDef, VariableKey
from bench.ocpp.v201.facets import DeviceModelAccess

MASK = "••••••••"
OK_STATUSES = ("Accepted", "RebootRequired")


def component_label(component: ComponentKey) -> str:
    """``EVSE`` / ``Connector`` with where it sits, ``Ctrlr[instance]`` otherwise."""
    text = (
        component.name if component.instance is None else f"{component.name}[{component.instance}]"
    )
    if component.evse is None:
        return text
    if component.name == "EVSE" and component.connector is None:
        return f"{text} {component.evse}"
    if component.name == "Connector" and component.connector is not None:
        return f"{text} {component.evse}.{component.connector}"
    place = f"EVSE {component.evse}"
    if component.connector is not None:
        place += f", connector {component.connector}"
    return f"{text}  ({place})"


def variable_label(variable: VariableKey) -> str:
    return variable.name if variable.instance is None else f"{variable.name}[{variable.instance}]"


def slot_label(component: ComponentKey, variable: VariableKey, attribute: str) -> str:
    text = f"{component_label(component)} · {variable_label(variable)}"
    return text if attribute == "Actual" else f"{text} ({attribute})"


@dataclass(frozen=True, slots=True)
class SetOutcome:
    """One SetVariableResult as the user reads it."""

    label: str
    status: str  # SetVariableStatusEnumType
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    def message(self, shown_value: str) -> str:
        if self.status == "Accepted":
            return f"{self.label} = {shown_value}: Accepted"
        if self.status == "RebootRequired":
            return f"{self.label} = {shown_value}: RebootRequired (applies after the next reboot)"
        detail = f" — {self.reason}" if self.reason else ""
        return f"{self.label}: {self.status}{detail}"


def write_only(vdef: VariableDef, attribute: str) -> bool:
    attr = next((a for a in vdef.attributes if str(a.type) == attribute), None)
    return attr is not None and attr.mutability == Mutability.WRITE_ONLY


def shown(vdef: VariableDef, attribute: str, text: str) -> str:
    """``text`` as it may appear on screen: masked for a write-only attribute."""
    return MASK if write_only(vdef, attribute) else text


async def set_value(
    model: DeviceModelAccess,
    component: ComponentKey,
    variable: VariableKey,
    attribute: str,
    text: str,
) -> SetOutcome:
    """Set one attribute as a SetVariablesRequest with one item would (B05); never raises
    for a refusal: the status says it."""
    result = await model.write(component, variable, attribute, text)
    reason = result.reason
    vdef = model.definition.lookup(component, variable)
    if vdef is not None and write_only(vdef, attribute) and text:
        reason = reason.replace(text, MASK)  # never echo a secret
    return SetOutcome(slot_label(component, variable, attribute), result.status, reason)
