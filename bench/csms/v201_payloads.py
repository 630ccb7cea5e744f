"""Builders for the recurring OCPP 2.0.1 request types, for ``V201Commands`` and tests.

Pure functions: ``component``, ``variable``, ``evse``, ``id_token``,
``component_variable``, the GetVariables/SetVariables item shapes and a tag list as
SendLocalList entries. ``None`` means "leave the optional field out".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bench.csms.config import TagEntry
from bench.csms.storage import iso


def when(value: datetime | str) -> str:
    return iso(value) if isinstance(value, datetime) else value


def drop_none(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def evse(evse_id: int, connector_id: int | None = None) -> dict[str, Any]:
    """EVSEType (part 2 §2.23)."""
    return drop_none(id=evse_id, connectorId=connector_id)


def component(
    name: str,
    instance: str | None = None,
    evse_id: int | None = None,
    connector_id: int | None = None,
) -> dict[str, Any]:
    """ComponentType (§2.16); an EVSE or connector component names its EVSE."""
    out = drop_none(name=name, instance=instance)
    if evse_id is not None:
        out["evse"] = evse(evse_id, connector_id)
    return out


def variable(name: str, instance: str | None = None) -> dict[str, Any]:
    """VariableType (§2.52)."""
    return drop_none(name=name, instance=instance)


def id_token(value: str | Mapping[str, Any], type: str = "ISO14443") -> dict[str, Any]:
    """IdTokenType (§2.28) from a token string, or a ready dict passed through."""
    if isinstance(value, Mapping):
        return dict(value)
    return {"idToken": value, "type": type}


def _component(value: str | Mapping[str, Any]) -> dict[str, Any]:
    return component(value) if isinstance(value, str) else dict(value)


def _variable(value: str | Mapping[str, Any]) -> dict[str, Any]:
    return variable(value) if isinstance(value, str) else dict(value)


def component_variable(
    comp: str | Mapping[str, Any], var: str | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """ComponentVariableType (§2.17): a component and optionally one of its variables."""
    out: dict[str, Any] = {"component": _component(comp)}
    if var is not None:
        out["variable"] = _variable(var)
    return out


# A GetVariables item: a GetVariableDataType dict, or (component, variable[, attributeType]).
GetItem = Mapping[str, Any] | tuple[Any, ...]
# A SetVariables item: a SetVariableDataType dict, or (component, variable, value[, attributeType]).
SetItem = Mapping[str, Any] | tuple[Any, ...]


def get_variable_data(item: GetItem) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    comp, var, *rest = item
    out = {"component": _component(comp), "variable": _variable(var)}
    if rest and rest[0] is not None:
        out["attributeType"] = rest[0]
    return out


def set_variable_data(item: SetItem) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    comp, var, value, *rest = item
    out = {"component": _component(comp), "variable": _variable(var), "attributeValue": value}
    if rest and rest[0] is not None:
        out["attributeType"] = rest[0]
    return out


def local_list_entries(
    tags: Mapping[str, TagEntry], token_type: str = "ISO14443"
) -> list[dict[str, Any]]:
    """A tag list as SendLocalList AuthorizationData entries (D01, §2.6)."""
    out = []
    for tag, entry in tags.items():
        info: dict[str, Any] = {"status": entry.status}
        if entry.expiry_date is not None:
            info["cacheExpiryDateTime"] = iso(entry.expiry_date)
        if entry.parent_id_tag is not None:
            info["groupIdToken"] = {"idToken": entry.parent_id_tag, "type": "Central"}
        out.append({"idToken": id_token(tag, token_type), "idTokenInfo": info})
    return out
