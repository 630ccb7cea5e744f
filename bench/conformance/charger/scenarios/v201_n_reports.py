"""2.0.1 block N: monitoring reports (N02), monitoring bases (N03) and clearing
monitors (N06), charging-station cases."""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_monitoring import (
    AVAILABILITY,
    NMR,
    STATION,
    check_no_error,
    check_reported,
    clear_monitors_on,
    ensure_monitor,
    evse,
    monitoring_data,
    monitoring_report,
    monitors_of,
    set_monitor,
    severity,
    threshold_target,
    threshold_value,
    types_in,
)
from bench.conformance.expect import absent_or, one_of


# ---------------------------------------------------------------- N02 GetMonitoringReport
@scenario("TC_N_01_CS")
async def report_by_criteria(ctx: ChargerRun) -> None:
    component, variable = threshold_target(ctx)
    await ensure_monitor(ctx, component, variable, "UpperThreshold", threshold_value(ctx))
    await ensure_monitor(
        ctx, component, variable, "LowerThreshold", threshold_value(ctx, "threshold2_value")
    )
    await ensure_monitor(ctx, evse(ctx), AVAILABILITY, "Delta", 1)
    await ensure_monitor(ctx, component, variable, "Periodic", 3600)
    await ensure_monitor(ctx, component, variable, "PeriodicClockAligned", 3600)
    rounds = (
        (1, ["ThresholdMonitoring"], ("UpperThreshold", "LowerThreshold")),
        (
            5,
            ["ThresholdMonitoring", "DeltaMonitoring"],
            ("UpperThreshold", "LowerThreshold", "Delta"),
        ),
        (
            9,
            ["DeltaMonitoring", "PeriodicMonitoring"],
            ("Delta", "Periodic", "PeriodicClockAligned"),
        ),
    )
    for step, criteria, allowed in rounds:
        reply, parts = await monitoring_report(ctx, step=step, criteria=criteria)
        check_no_error(ctx, step + 1, "GetMonitoringReportResponse", reply)
        types_in(ctx, step + 2, parts, allowed)


@scenario("TC_N_02_CS")
async def report_by_component_variable(ctx: ChargerRun) -> None:
    await ensure_monitor(ctx, STATION, AVAILABILITY, "Delta", 1)
    await ensure_monitor(ctx, evse(ctx), AVAILABILITY, "Delta", 1)
    reply, parts = await monitoring_report(
        ctx,
        step=1,
        component_variables=[
            {"component": STATION, "variable": AVAILABILITY},
            {"component": evse(ctx)},
        ],
    )
    check_no_error(ctx, 2, "GetMonitoringReportResponse", reply)
    for comp, var, vm in monitors_of(parts):
        if var.get("name") == "AvailabilityState":
            ctx.check(3, NMR, vm, "type", "Delta")
        ctx.check(3, NMR, comp, "name", one_of("ChargingStation", "EVSE"))
    for component in (STATION, evse(ctx)):
        check_reported(
            ctx,
            3,
            parts,
            component,
            AVAILABILITY,
            "a Delta monitor",
            lambda vm: vm.get("type") == "Delta",
        )


@scenario("TC_N_03_CS")
async def report_by_criteria_and_component(ctx: ChargerRun) -> None:
    await ensure_monitor(ctx, evse(ctx), AVAILABILITY, "Delta", 1)
    await ensure_monitor(ctx, STATION, AVAILABILITY, "Delta", 1)
    wanted = [
        {"component": STATION, "variable": AVAILABILITY},
        {"component": evse(ctx), "variable": AVAILABILITY},
    ]
    since = ctx.mark()
    reply, _ = await monitoring_report(
        ctx,
        step=1,
        criteria=["ThresholdMonitoring"],
        component_variables=wanted,
        expect="EmptyResultSet",
    )
    ctx.check(
        2, "GetMonitoringReportResponse", reply, "statusInfo.reasonCode", absent_or("NotFound")
    )
    first_id = (
        ctx.frames[since].payload.get("requestId")
        if isinstance(ctx.frames[since].payload, dict)
        else None
    )
    reply, parts = await monitoring_report(
        ctx, step=3, criteria=["DeltaMonitoring"], component_variables=wanted
    )
    check_no_error(ctx, 4, "GetMonitoringReportResponse", reply)
    types_in(ctx, 5, parts, ("Delta",))
    for component in (STATION, evse(ctx)):
        check_reported(
            ctx,
            5,
            parts,
            component,
            AVAILABILITY,
            "a Delta monitor",
            lambda vm: vm.get("type") == "Delta",
        )
    await ctx.no_station_request(
        "NotifyMonitoringReport",
        step=2,
        since=since,
        within=0.0,
        match=lambda p: p.get("requestId") == first_id,
        why="nothing for the EmptyResultSet request",
    )


@scenario("TC_N_04_CS")
async def report_unsupported_criteria(ctx: ChargerRun) -> None:
    unsupported = ctx.settings.extra.get("unsupported_monitoring_criteria")
    if not unsupported:
        ctx.not_applicable(
            "no <Configured Unsupported monitoringCriteria>: the station supports every criterion"
        )
    reply, _ = await monitoring_report(
        ctx, step=2, criteria=["DeltaMonitoring", str(unsupported)], expect="NotSupported"
    )
    ctx.check(
        1,
        "GetMonitoringReportResponse",
        reply,
        "statusInfo.reasonCode",
        absent_or("UnsupportedParam", "InvalidValue"),
    )


@scenario("TC_N_47_CS")
async def report_all(ctx: ChargerRun) -> None:
    await ensure_monitor(ctx, STATION, AVAILABILITY, "Delta", 1)
    await ensure_monitor(ctx, evse(ctx), AVAILABILITY, "Delta", 1)
    _, parts = await monitoring_report(ctx, step=1)
    for component in (STATION, evse(ctx)):
        check_reported(
            ctx,
            3,
            parts,
            component,
            AVAILABILITY,
            "a Delta monitor",
            lambda vm: vm.get("type") == "Delta",
        )


# ---------------------------------------------------------------- N03 SetMonitoringBase
@scenario("TC_N_05_CS")
async def monitoring_base(ctx: ChargerRun) -> None:
    for step, base in ((1, "All"), (3, "FactoryDefault"), (5, "HardWiredOnly")):
        reply = await ctx.request("SetMonitoringBase", {"monitoringBase": base}, step=step)
        ctx.check(step + 1, "SetMonitoringBaseResponse", reply, "status", "Accepted")
        check_no_error(ctx, step + 1, "SetMonitoringBaseResponse", reply)
    await ctx.request("SetMonitoringBase", {"monitoringBase": "All"}, step=None)


@scenario("TC_N_06_CS")
async def monitoring_base_removes_custom(ctx: ChargerRun) -> None:
    await ensure_monitor(ctx, STATION, AVAILABILITY, "Delta", 1)
    wanted = [{"component": STATION, "variable": AVAILABILITY}]
    reply, parts = await monitoring_report(ctx, step=1, component_variables=wanted)
    check_no_error(ctx, 2, "GetMonitoringReportResponse", reply)
    ctx.check(3, NMR, parts[0] if parts else {}, "seqNo", 0)
    ctx.check(3, NMR, parts[-1] if parts else {}, "tbc", absent_or(False))
    check_reported(
        ctx,
        3,
        parts,
        STATION,
        AVAILABILITY,
        "a Delta monitor",
        lambda vm: vm.get("type") == "Delta",
    )
    reply = await ctx.request("SetMonitoringBase", {"monitoringBase": "HardWiredOnly"}, step=5)
    ctx.check(6, "SetMonitoringBaseResponse", reply, "status", "Accepted")
    check_no_error(ctx, 6, "SetMonitoringBaseResponse", reply)
    reply, _ = await monitoring_report(
        ctx, step=7, component_variables=wanted, expect="EmptyResultSet"
    )
    ctx.check(
        8, "GetMonitoringReportResponse", reply, "statusInfo.reasonCode", absent_or("NotFound")
    )
    await ctx.request("SetMonitoringBase", {"monitoringBase": "All"}, step=None)


@scenario("TC_N_07_CS")
async def monitoring_base_unsupported(ctx: ChargerRun) -> None:
    base = ctx.settings.extra.get("unsupported_monitoring_base")
    if not base:
        ctx.not_applicable(
            "no <Configured unsupported_monitoringBase>: the station supports every base"
        )
    reply = await ctx.request("SetMonitoringBase", {"monitoringBase": base}, step=1)
    ctx.check(2, "SetMonitoringBaseResponse", reply, "status", "NotSupported")
    ctx.check(
        2,
        "SetMonitoringBaseResponse",
        reply,
        "statusInfo.reasonCode",
        absent_or("UnsupportedParam", "InvalidValue"),
    )


# ---------------------------------------------------------------- N06 ClearVariableMonitoring
@scenario("TC_N_18_CS")
async def clear_monitors(ctx: ChargerRun) -> None:
    await clear_monitors_on(ctx, STATION, AVAILABILITY)
    await clear_monitors_on(ctx, evse(ctx), AVAILABILITY)
    sev = severity(ctx)
    one = await set_monitor(ctx, monitoring_data(STATION, AVAILABILITY, "Delta", 1, sev))
    two = await set_monitor(ctx, monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, sev))
    ids = [one.get("id"), two.get("id")]
    reply = await ctx.request("ClearVariableMonitoring", {"id": ids}, step=1)
    results = reply.get("clearMonitoringResult") or []
    for mid in ids:
        result: dict[str, Any] = next((r for r in results if r.get("id") == mid), {})
        ctx.check(2, "ClearVariableMonitoringResponse", result, "status", "Accepted")
        ctx.check(2, "ClearVariableMonitoringResponse", result, "id", mid)
        check_no_error(ctx, 2, "ClearVariableMonitoringResponse", result)
    wanted = [
        {"component": STATION, "variable": AVAILABILITY},
        {"component": evse(ctx), "variable": AVAILABILITY},
    ]
    reply, _ = await monitoring_report(
        ctx, step=3, component_variables=wanted, expect="EmptyResultSet"
    )
    ctx.check(
        4, "GetMonitoringReportResponse", reply, "statusInfo.reasonCode", absent_or("NotFound")
    )


@scenario("TC_N_19_CS")
async def clear_unknown_monitor(ctx: ChargerRun) -> None:
    _, parts = await monitoring_report(ctx, step=None, expect=None)
    ids = [int(vm["id"]) for _, _, vm in monitors_of(parts) if "id" in vm]
    unknown = max(ids) + 1 if ids else 123456
    reply = await ctx.request("ClearVariableMonitoring", {"id": [unknown]}, step=1)
    result = (reply.get("clearMonitoringResult") or [{}])[0]
    ctx.check(2, "ClearVariableMonitoringResponse", result, "status", "NotFound")
    ctx.check(2, "ClearVariableMonitoringResponse", result, "id", unknown)
    ctx.check(
        2, "ClearVariableMonitoringResponse", result, "statusInfo.reasonCode", absent_or("NotFound")
    )


@scenario("TC_N_44_CS")
async def clear_hard_wired_monitor(ctx: ChargerRun) -> None:
    configured = ctx.settings.extra.get("hardwired_monitor_id")
    if not configured:
        ctx.not_applicable("no hard-wired monitor id configured (hardwired_monitor_id)")
    reply = await ctx.request("ClearVariableMonitoring", {"id": [int(str(configured))]}, step=1)
    result = (reply.get("clearMonitoringResult") or [{}])[0]
    ctx.check(2, "ClearVariableMonitoringResponse", result, "status", "Rejected")


@scenario("TC_N_52_CS", physical=("present_token", "plug_in", "unplug"))
async def removed_monitor_stays_quiet(ctx: ChargerRun) -> None:
    component, variable = threshold_target(ctx)
    monitor = await set_monitor(
        ctx,
        monitoring_data(component, variable, "UpperThreshold", threshold_value(ctx), severity(ctx)),
    )
    mid = monitor.get("id")
    await v201.energy_transfer_started(ctx)
    reply = await ctx.request("ClearVariableMonitoring", {"id": [mid]}, step=1)
    result = (reply.get("clearMonitoringResult") or [{}])[0]
    ctx.check(2, "ClearVariableMonitoringResponse", result, "status", "Accepted")
    ctx.check(2, "ClearVariableMonitoringResponse", result, "id", mid)
    wanted = [{"component": component, "variable": variable}]
    await monitoring_report(
        ctx,
        step=3,
        criteria=["ThresholdMonitoring"],
        component_variables=wanted,
        expect="EmptyResultSet",
    )
    since = ctx.mark()
    await v201.stop_authorized(ctx, step=5)
    await ctx.no_station_request(
        "NotifyEvent",
        step=6,
        since=since,
        match=lambda p: any(e.get("variableMonitoringId") == mid for e in p.get("eventData") or []),
        why=f"monitor {mid} was cleared",
    )
    await physical.unplug(ctx)
