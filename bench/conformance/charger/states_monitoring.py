"""2.0.1 helpers of the block N monitoring cases (N02-N08), CS side.

The "Configured" values of OCTT's monitoring cases come from ``ChargerSettings.extra``
with defaults that suit a station whose EVSE reports its Power:

- ``severity`` (<Configured severity>, 8),
- ``threshold_component`` / ``threshold_variable`` (<Configured threshold monitor
  component variable>, EVSE / Power), ``threshold_value`` (100, easily exceeded
  while charging), ``threshold2_value`` (10, the LowerThreshold),
- ``threshold_out_of_range`` (a value above the variable's maxLimit, 1e9).

``ensure_monitor`` plays the preparations "must be present as hard-wired or
pre-configured or must have been configured by CSMS": it asks for a report and sets
the monitor only when none of that type is there; ``clear_monitors_on`` plays
"it assumes that no monitor is active on this variable prior to the test".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states_diagnostics import report_parts, request_id
from bench.conformance.evidence import StopCase
from bench.conformance.expect import absent_or, present, satisfies
from bench.kernel.frames import FrameRecord

AVAILABILITY = {"name": "AvailabilityState"}
STATION = {"name": "ChargingStation"}


def evse(ctx: ChargerRun) -> dict[str, Any]:
    return {"name": "EVSE", "evse": {"id": ctx.settings.evse_id}}


def severity(ctx: ChargerRun) -> int:
    return int(ctx.settings.extra.get("severity", "8"))


def threshold_target(ctx: ChargerRun) -> tuple[dict[str, Any], dict[str, Any]]:
    """(component, variable) of <Configured threshold monitor component variable>."""
    name = ctx.settings.extra.get("threshold_component", "EVSE")
    component: dict[str, Any] = {"name": name}
    if name == "EVSE":
        component["evse"] = {"id": ctx.settings.evse_id}
    return component, {"name": ctx.settings.extra.get("threshold_variable", "Power")}


def threshold_value(ctx: ChargerRun, which: str = "threshold_value") -> float:
    defaults = {"threshold_value": "100", "threshold2_value": "10", "threshold_out_of_range": "1e9"}
    return float(ctx.settings.extra.get(which, defaults[which]))


def monitoring_data(
    component: dict[str, Any],
    variable: dict[str, Any],
    kind: str,
    value: float,
    sev: int,
    monitor_id: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "value": value,
        "type": kind,
        "severity": sev,
        "component": component,
        "variable": variable,
    }
    if monitor_id is not None:
        data["id"] = monitor_id
    return data


def check_no_error(ctx: ChargerRun, step: int | None, message: str, payload: Any) -> None:
    ctx.check(step, message, payload, "statusInfo.reasonCode", absent_or("NoError"))


def same_component(a: dict[str, Any], b: dict[str, Any]) -> bool:
    ea = (a.get("evse") or {}).get("id")
    eb = (b.get("evse") or {}).get("id")
    return a.get("name") == b.get("name") and (ea == eb or eb is None)


# ---------------------------------------------------------------- reports
def monitors_of(
    parts: list[dict[str, Any]],
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(component, variable, variableMonitoring) of every monitor the parts report."""
    for part in parts:
        for item in part.get("monitor") or []:
            for vm in item.get("variableMonitoring") or []:
                yield item.get("component") or {}, item.get("variable") or {}, vm


async def monitoring_report(
    ctx: ChargerRun,
    *,
    step: int | None,
    criteria: list[str] | None = None,
    component_variables: list[dict[str, Any]] | None = None,
    expect: str | None = "Accepted",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """GetMonitoringReport; its response (checked against ``expect``) and, when
    Accepted, every NotifyMonitoringReport part (seqNo, requestId, generatedAt)."""
    rid = request_id()
    payload: dict[str, Any] = {"requestId": rid}
    if criteria:
        payload["monitoringCriteria"] = criteria
    if component_variables:
        payload["componentVariable"] = component_variables
    since = ctx.mark()
    reply = await ctx.request("GetMonitoringReport", payload, step=step)
    answer_step = None if step is None else step + 1
    if expect is not None:
        ctx.check(answer_step, "GetMonitoringReportResponse", reply, "status", expect)
    if reply.get("status") != "Accepted":
        return reply, []
    notify_step = None if step is None else step + 2
    parts = await report_parts(ctx, "NotifyMonitoringReport", rid, step=notify_step, since=since)
    for part in parts:
        ctx.check(notify_step, "NotifyMonitoringReportRequest", part, "requestId", rid)
        ctx.check(notify_step, "NotifyMonitoringReportRequest", part, "generatedAt", present())
    return reply, parts


async def find_monitors(
    ctx: ChargerRun, component: dict[str, Any], variable: dict[str, Any]
) -> list[dict[str, Any]]:
    """The variableMonitoring entries on ``component``/``variable`` (preparation)."""
    _, parts = await monitoring_report(
        ctx,
        step=None,
        component_variables=[{"component": component, "variable": variable}],
        expect=None,
    )
    return [
        vm
        for comp, var, vm in monitors_of(parts)
        if same_component(comp, component) and var.get("name") == variable["name"]
    ]


async def set_monitor(
    ctx: ChargerRun, data: dict[str, Any], *, step: int | None = None
) -> dict[str, Any]:
    """SetVariableMonitoring of one element; its result (Accepted required)."""
    reply = await ctx.request("SetVariableMonitoring", {"setMonitoringData": [data]}, step=step)
    result = (reply.get("setMonitoringResult") or [{}])[0]
    ctx.require(
        None if step is None else step + 1,
        "SetVariableMonitoringResponse",
        result,
        "status",
        "Accepted",
    )
    return result


async def ensure_monitor(
    ctx: ChargerRun,
    component: dict[str, Any],
    variable: dict[str, Any],
    kind: str,
    value: float,
    sev: int | None = None,
) -> int:
    """A monitor of ``kind`` on ``component``/``variable``: the one there, or a new one."""
    for vm in await find_monitors(ctx, component, variable):
        if vm.get("type") == kind:
            return int(vm["id"])
    result = await set_monitor(
        ctx,
        monitoring_data(component, variable, kind, value, severity(ctx) if sev is None else sev),
    )
    if "id" not in result:
        raise StopCase(f"the station gave no id for its new {kind} monitor")
    return int(result["id"])


async def clear_monitors_on(
    ctx: ChargerRun, component: dict[str, Any], variable: dict[str, Any]
) -> None:
    """No monitor active on ``component``/``variable`` before the case (what can be cleared)."""
    ids = [int(vm["id"]) for vm in await find_monitors(ctx, component, variable) if "id" in vm]
    if ids:
        await ctx.request("ClearVariableMonitoring", {"id": ids}, step=None)


async def max_limit(
    ctx: ChargerRun, component: dict[str, Any], variable: dict[str, Any]
) -> float | None:
    """variableCharacteristics.maxLimit of ``component``/``variable`` (GetReport, B08)."""
    rid = request_id()
    since = ctx.mark()
    reply = await ctx.request(
        "GetReport",
        {"requestId": rid, "componentVariable": [{"component": component, "variable": variable}]},
        step=None,
    )
    if reply.get("status") != "Accepted":
        return None
    parts = await report_parts(ctx, "NotifyReport", rid, step=None, since=since)
    for part in parts:
        for item in part.get("reportData") or []:
            limit = (item.get("variableCharacteristics") or {}).get("maxLimit")
            if limit is not None:
                return float(limit)
    return None


# ---------------------------------------------------------------- checks shared by the cases
SVM = "SetVariableMonitoringResponse"
NMR = "NotifyMonitoringReportRequest"
NE = "NotifyEventRequest"


def check_result(ctx: ChargerRun, step: int, result: dict[str, Any], want: dict[str, Any]) -> None:
    """Each field of a setMonitoringResult against the case's list (dotted paths)."""
    for path, expected in want.items():
        ctx.check(step, SVM, result, path, expected)


def echo(data: dict[str, Any]) -> dict[str, Any]:
    """What a setMonitoringResult repeats of its request element."""
    out: dict[str, Any] = {
        "type": data["type"],
        "severity": data["severity"],
        "component.name": data["component"]["name"],
        "variable.name": data["variable"]["name"],
    }
    if "evse" in data["component"]:
        out["component.evse.id"] = data["component"]["evse"]["id"]
    return out


def result_of_type(
    results: list[dict[str, Any]], kind: str, status: str | None = None
) -> dict[str, Any]:
    for r in results:
        if r.get("type") == kind and (status is None or r.get("status") == status):
            return r
    return {}


async def set_monitors(
    ctx: ChargerRun, items: list[dict[str, Any]], *, step: int
) -> list[dict[str, Any]]:
    reply = await ctx.request("SetVariableMonitoring", {"setMonitoringData": items}, step=step)
    results = list(reply.get("setMonitoringResult") or [])
    ctx.check_that(
        step + 1,
        SVM,
        "setMonitoringResult",
        len(results) == len(items),
        f"{len(items)} result(s)",
        str(len(results)),
    )
    return results


def reported(
    parts: list[dict[str, Any]], component: dict[str, Any], variable: dict[str, Any]
) -> list[dict[str, Any]]:
    return [
        vm
        for comp, var, vm in monitors_of(parts)
        if same_component(comp, component) and var.get("name") == variable["name"]
    ]


def check_reported(
    ctx: ChargerRun,
    step: int,
    parts: list[dict[str, Any]],
    component: dict[str, Any],
    variable: dict[str, Any],
    what: str,
    test: Any,
) -> None:
    found = reported(parts, component, variable)
    where = component["name"] + (f" {component['evse']['id']}" if "evse" in component else "")
    ctx.check_that(
        step,
        NMR,
        f"monitor {where}/{variable['name']}",
        any(test(vm) for vm in found),
        what,
        ", ".join(
            f"{vm.get('type')} id {vm.get('id')} severity {vm.get('severity')}" for vm in found
        )
        or "none",
    )


def types_in(
    ctx: ChargerRun, step: int, parts: list[dict[str, Any]], allowed: tuple[str, ...]
) -> None:
    seen = [vm.get("type") for _, _, vm in monitors_of(parts)]
    ctx.check_that(
        step,
        NMR,
        "monitor[].variableMonitoring[].type",
        bool(seen) and all(t in allowed for t in seen),
        " or ".join(allowed),
        ", ".join(str(t) for t in seen) or "none",
    )


async def notify_event(
    ctx: ChargerRun, *, step: int, since: int, test: Any, what: str, timeout: float | None = None
) -> tuple[FrameRecord, dict[str, Any]]:
    """The station's NotifyEvent carrying an eventData element that passes ``test``."""
    rec = await ctx.station_frame(
        "NotifyEvent",
        step=step,
        since=since,
        what=what,
        timeout=timeout,
        match=lambda p: any(test(e) for e in p.get("eventData") or []),
    )
    payload = rec.payload if isinstance(rec.payload, dict) else {}
    element = next(e for e in payload.get("eventData") or [] if test(e))
    ctx.check(step, NE, payload, "generatedAt", satisfies(bool, "the time of generation"))
    ctx.check(step, NE, payload, "seqNo", 0)
    return rec, element


def check_target(
    ctx: ChargerRun,
    step: int,
    element: dict[str, Any],
    component: dict[str, Any],
    variable: dict[str, Any],
) -> None:
    ctx.check(step, NE, element, "component.name", component["name"])
    if "evse" in component:
        ctx.check(step, NE, element, "component.evse.id", component["evse"]["id"])
    ctx.check(step, NE, element, "variable.name", variable["name"])


def number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def mentions_evse(ctx: ChargerRun, payload: dict[str, Any], name: str) -> bool:
    return any(
        (e.get("component") or {}).get("name") == name
        and ((e.get("component") or {}).get("evse") or {}).get("id") == ctx.settings.evse_id
        for e in payload.get("eventData") or []
    )
