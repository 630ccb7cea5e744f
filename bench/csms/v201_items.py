"""What a 2.0.1 station reports about itself that limits the CSMS's requests (B05, B06, A01).

- ItemsPerMessage: a station reports ``DeviceDataCtrlr.ItemsPerMessage`` with the
  instance GetVariables / SetVariables, and ``MonitoringCtrlr.ItemsPerMessage`` with
  the instance SetVariableMonitoring / ClearVariableMonitoring (in a
  GetVariablesResponse or a NotifyReport); the CSMS then sends no more items per
  request than that (B06.FR.05, B05.FR.11, N04.FR.09, N06.FR.04): ``split_request``
  cuts a longer request into several and ``merge_replies`` joins their results into
  one reply, in the request's order.
- BasicAuthPassword: ``new_password`` is the password a SetVariables set that the
  station Accepted; from then on the CSMS takes only it (A01.FR.03); a refusal leaves
  the old one in force (A01.FR.04).
"""

from __future__ import annotations

from typing import Any

from bench.csms.registry import StationState

# Request action -> (the list it carries, the list its reply carries, the instance of
# DeviceDataCtrlr.ItemsPerMessage that limits it).
LIMITED = {
    "GetVariables": ("getVariableData", "getVariableResult", "GetVariables"),
    "SetVariables": ("setVariableData", "setVariableResult", "SetVariables"),
    "SetVariableMonitoring": ("setMonitoringData", "setMonitoringResult", "SetVariableMonitoring"),
    "ClearVariableMonitoring": ("id", "clearMonitoringResult", "ClearVariableMonitoring"),
}
# The controller whose ItemsPerMessage instance limits each (its two spellings).
_LIMITING = {
    "GetVariables": ("DeviceDataCtrlr", "DeviceDataCtrl"),
    "SetVariables": ("DeviceDataCtrlr", "DeviceDataCtrl"),
    "SetVariableMonitoring": ("MonitoringCtrlr", "MonitoringCtrl"),
    "ClearVariableMonitoring": ("MonitoringCtrlr", "MonitoringCtrl"),
}


def _limit_of(component: Any, variable: Any, value: Any) -> tuple[str, int] | None:
    """(instance, limit) when the item is an ItemsPerMessage value that limits a request."""
    if not isinstance(component, dict) or not isinstance(variable, dict):
        return None
    if variable.get("name") != "ItemsPerMessage":
        return None
    instance = variable.get("instance")
    if instance not in _LIMITING or component.get("name") not in _LIMITING[instance]:
        return None
    try:
        limit = int(str(value))
    except ValueError:
        return None
    return (instance, limit) if limit >= 1 else None


def learn_from_get_variables(state: StationState, reply: dict[str, Any]) -> None:
    for result in reply.get("getVariableResult") or []:
        if result.get("attributeStatus") != "Accepted":
            continue
        if result.get("attributeType", "Actual") != "Actual":
            continue
        found = _limit_of(
            result.get("component"), result.get("variable"), result.get("attributeValue")
        )
        if found is not None:
            state.items_per_message[found[0]] = found[1]


def learn_from_report(state: StationState, report: dict[str, Any]) -> None:
    for data in report.get("reportData") or []:
        for attribute in data.get("variableAttribute") or []:
            if attribute.get("type", "Actual") != "Actual" or "value" not in attribute:
                continue
            found = _limit_of(data.get("component"), data.get("variable"), attribute["value"])
            if found is not None:
                state.items_per_message[found[0]] = found[1]


def split_request(
    state: StationState, action: str, payload: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """``payload`` as several requests within the station's reported limit, or None."""
    if action not in LIMITED:
        return None
    key, _result_key, instance = LIMITED[action]
    items = payload.get(key) or []
    limit = state.items_per_message.get(instance)
    if limit is None or len(items) <= limit:
        return None
    return [{**payload, key: items[i : i + limit]} for i in range(0, len(items), limit)]


def merge_replies(action: str, replies: list[dict[str, Any]]) -> dict[str, Any]:
    """One reply with the results of every part, in order."""
    _key, result_key, _instance = LIMITED[action]
    results: list[Any] = []
    for reply in replies:
        results.extend(reply.get(result_key) or [])
    return {result_key: results}


def new_password(payload: dict[str, Any], reply: dict[str, Any]) -> str | None:
    """The BasicAuthPassword a SetVariables set, when the station Accepted it (A01.FR.03)."""
    items = payload.get("setVariableData") or []
    results = reply.get("setVariableResult") or []
    password = None
    for item in items:
        component = (item.get("component") or {}).get("name")
        variable = (item.get("variable") or {}).get("name")
        if component not in ("SecurityCtrlr", "SecurityCtrl") or variable != "BasicAuthPassword":
            continue
        if item.get("attributeType", "Actual") != "Actual":
            continue
        accepted = any(
            (r.get("component") or {}).get("name") == component
            and (r.get("variable") or {}).get("name") == variable
            and r.get("attributeType", "Actual") == "Actual"
            and r.get("attributeStatus") == "Accepted"
            for r in results
        )
        if accepted:
            password = str(item["attributeValue"])
    return password
