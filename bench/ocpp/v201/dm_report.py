"""Device-model reports (B07 GetBaseReport, B08 GetReport) as NotifyReport ReportData.

Pure functions over a ``DeviceModel``: they select the component-variables, render
them in the 2.0.1 ``ReportDataType`` shape and split the result into NotifyReport
parts numbered from seqNo 0 with ``tbc`` on all but the last (B07.FR.10, B08.FR.14).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from bench.ocpp.v201.device_model import (
    ComponentKey,
    DeviceModel,
    VariableDef,
    VariableKey,
)


class ReportBase(StrEnum):
    CONFIGURATION_INVENTORY = "ConfigurationInventory"
    FULL_INVENTORY = "FullInventory"
    SUMMARY_INVENTORY = "SummaryInventory"


class ComponentCriterion(StrEnum):
    ACTIVE = "Active"
    AVAILABLE = "Available"
    ENABLED = "Enabled"
    PROBLEM = "Problem"


# Variables that flag an abnormal state; reported by SummaryInventory when true (B07.FR.09).
_ABNORMAL = ("Active", "Problem", "Tripped", "Overload", "Fallback")


def report_entry(model: DeviceModel, vdef: VariableDef) -> dict[str, Any]:
    """One ReportDataType; characteristics are always included (B07.FR.07/08, B08.FR.12)."""
    return {
        "component": vdef.component.to_json(),
        "variable": vdef.variable.to_json(),
        "variableAttribute": model.attributes_json(vdef),  # all supported types (B07.FR.11)
        "variableCharacteristics": vdef.characteristics.to_json(),
    }


def _summary(model: DeviceModel, vdef: VariableDef) -> bool:
    name = vdef.variable.name
    if name == "AvailabilityState":
        if vdef.component.name == "Connector":
            # Connectors only "if known and different from EVSE" (B07.FR.09 note).
            evse = ComponentKey("EVSE", evse=vdef.component.evse)
            return model.value(vdef.component, vdef.variable) != model.value(evse, vdef.variable)
        return vdef.component.name in ("ChargingStation", "EVSE")
    if name in _ABNORMAL:
        return model.value(vdef.component, vdef.variable) == "true"
    return False


def base_report(model: DeviceModel, base: ReportBase | str) -> list[dict[str, Any]]:
    """ReportData for a GetBaseReport (B07)."""
    base = ReportBase(base)
    out = []
    for vdef in model.definition:
        if base == ReportBase.CONFIGURATION_INVENTORY and not vdef.writable:
            continue  # only what the operator can set (B07.FR.07)
        if base == ReportBase.SUMMARY_INVENTORY and not _summary(model, vdef):
            continue
        out.append(report_entry(model, vdef))
    return out


def _criteria_components(
    model: DeviceModel, criteria: Iterable[ComponentCriterion | str]
) -> set[ComponentKey]:
    """Components meeting at least one criterion (B08.FR.07-10, OR per B08.FR.13)."""
    all_components = model.definition.components
    selected: set[ComponentKey] = set()
    for criterion in map(ComponentCriterion, criteria):
        name = str(criterion)
        if criterion == ComponentCriterion.PROBLEM:
            selected |= set(model.components_with(name))  # only those with Problem=true
            continue
        # Active/Available/Enabled: true, or the component lacks the variable altogether.
        having = {v.component for v in model.definition if v.variable == VariableKey(name)}
        selected |= set(model.components_with(name)) | (all_components - having)
    return selected


def _matches(vdef: VariableDef, wanted: Mapping[str, Any]) -> bool:
    """One ComponentVariableType filter, with the wildcards of B08.FR.20-25."""
    comp = wanted["component"]
    key = vdef.component
    if key.name != comp["name"]:
        return False
    if comp.get("instance") and key.instance != comp["instance"]:
        return False  # an absent instance matches every instance (B08.FR.25)
    evse = comp.get("evse")
    if evse is not None:
        if key.evse != evse["id"]:
            return False
        connector = evse.get("connectorId")
        if connector is not None and key.connector != connector:
            return False  # B08.FR.22: no connectorId -> every connector of that EVSE
    variable = wanted.get("variable")
    if variable is None:
        return True  # B08.FR.20: every variable of the component
    if vdef.variable.name != variable["name"]:
        return False
    instance = variable.get("instance")
    return not instance or vdef.variable.instance == instance  # B08.FR.21


def custom_report(
    model: DeviceModel,
    criteria: Sequence[ComponentCriterion | str] = (),
    component_variables: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """ReportData for a GetReport (B08); empty means GetReportResponse EmptyResultSet."""
    components = _criteria_components(model, criteria) if criteria else None
    out = []
    for vdef in model.definition:
        if components is not None and vdef.component not in components:
            continue
        if component_variables and not any(_matches(vdef, w) for w in component_variables):
            continue
        out.append(report_entry(model, vdef))
    return out


def split_report(
    report_data: Sequence[dict[str, Any]],
    request_id: int,
    generated_at: str,
    max_items: int,
) -> list[dict[str, Any]]:
    """NotifyReportRequest payloads of at most ``max_items`` entries each.

    seqNo counts from 0 (B07.FR.10); every part but the last has tbc=true; all
    carry the request's requestId (B07.FR.04, B08.FR.04). An empty report still
    yields one part without reportData.
    """
    if max_items < 1:
        raise ValueError("max_items must be at least 1")
    chunks = [report_data[i : i + max_items] for i in range(0, len(report_data), max_items)]
    chunks = chunks or [[]]
    parts = []
    for seq_no, chunk in enumerate(chunks):
        part: dict[str, Any] = {
            "requestId": request_id,
            "generatedAt": generated_at,
            "tbc": seq_no < len(chunks) - 1,
            "seqNo": seq_no,
        }
        if chunk:
            part["reportData"] = list(chunk)
        parts.append(part)
    return parts
