"""2.0.1 block N: SetVariableMonitoring (N04) and SetMonitoringLevel (N05),
charging-station cases."""

from __future__ import annotations

from bench.conformance.charger import physical
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_monitoring import (
    AVAILABILITY,
    STATION,
    SVM,
    check_no_error,
    check_reported,
    check_result,
    clear_monitors_on,
    echo,
    evse,
    find_monitors,
    mentions_evse,
    monitoring_data,
    monitoring_report,
    number,
    result_of_type,
    set_monitor,
    set_monitors,
    severity,
    threshold_target,
    threshold_value,
)
from bench.conformance.expect import absent, absent_or, one_of, satisfies


# ---------------------------------------------------------------- N04 SetVariableMonitoring
@scenario("TC_N_08_CS")
async def set_one_monitor(ctx: ChargerRun) -> None:
    await clear_monitors_on(ctx, evse(ctx), AVAILABILITY)
    data = monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, 8)
    (result,) = await set_monitors(ctx, [data], step=1)
    check_result(ctx, 2, result, {"status": "Accepted", **echo(data)})
    check_no_error(ctx, 2, SVM, result)
    reply, parts = await monitoring_report(
        ctx, step=3, component_variables=[{"component": evse(ctx), "variable": AVAILABILITY}]
    )
    check_no_error(ctx, 4, "GetMonitoringReportResponse", reply)
    check_reported(
        ctx,
        5,
        parts,
        evse(ctx),
        AVAILABILITY,
        "the new Delta monitor",
        lambda vm: vm.get("type") == "Delta" and vm.get("id") == result.get("id"),
    )


@scenario("TC_N_09_CS")
async def set_monitors_on_two_variables(ctx: ChargerRun) -> None:
    await clear_monitors_on(ctx, evse(ctx), AVAILABILITY)
    await clear_monitors_on(ctx, STATION, AVAILABILITY)
    sev = severity(ctx)
    items = [
        monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, sev),
        monitoring_data(STATION, AVAILABILITY, "Delta", 1, sev),
    ]
    results = await set_monitors(ctx, items, step=1)
    for data, result in zip(items, results, strict=False):
        check_result(
            ctx,
            2,
            result,
            {
                "status": "Accepted",
                "id": satisfies(lambda v: isinstance(v, int), "the new monitor's id"),
                **echo(data),
            },
        )
        check_no_error(ctx, 2, SVM, result)
    wanted = [
        {"component": evse(ctx), "variable": AVAILABILITY},
        {"component": STATION, "variable": AVAILABILITY},
    ]
    reply, parts = await monitoring_report(ctx, step=3, component_variables=wanted)
    check_no_error(ctx, 4, "GetMonitoringReportResponse", reply)
    for data, result in zip(items, results, strict=False):
        check_reported(
            ctx,
            5,
            parts,
            data["component"],
            AVAILABILITY,
            f"monitor {result.get('id')}",
            lambda vm, r=result: vm.get("id") == r.get("id"),
        )


@scenario("TC_N_10_CS")
async def set_two_monitors_on_one_variable(ctx: ChargerRun) -> None:
    await clear_monitors_on(ctx, evse(ctx), AVAILABILITY)
    items = [
        monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, 8),
        monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, 7),
    ]
    results = await set_monitors(ctx, items, step=1)
    for data in items:
        result = next((r for r in results if r.get("severity") == data["severity"]), {})
        check_result(
            ctx,
            2,
            result,
            {
                "status": "Accepted",
                "id": satisfies(lambda v: isinstance(v, int), "the new monitor's id"),
                **echo(data),
            },
        )
        check_no_error(ctx, 2, SVM, result)


@scenario("TC_N_11_CS")
async def set_monitor_unknown_component(ctx: ChargerRun) -> None:
    sev = severity(ctx)
    items = [
        monitoring_data({"name": "EVSE", "evse": {"id": 99}}, AVAILABILITY, "Delta", 1, sev),
        monitoring_data({"name": "NonExistent"}, {"name": "Power"}, "UpperThreshold", 1234.0, sev),
    ]
    first, second = (await set_monitors(ctx, items, step=1) + [{}, {}])[:2]
    check_result(
        ctx,
        2,
        first,
        {"id": absent(), "status": one_of("UnknownComponent", "Rejected"), **echo(items[0])},
    )
    ctx.check(2, SVM, first, "statusInfo.reasonCode", absent_or("UnknownEVSE", "NotFound"))
    check_result(
        ctx,
        2,
        second,
        {
            "id": absent(),
            "status": one_of("UnknownComponent", "UnknownVariable"),
            **echo(items[1]),
        },
    )
    ctx.check(2, SVM, second, "statusInfo.reasonCode", absent_or("NotFound"))


@scenario("TC_N_12_CS")
async def set_delta_out_of_range(ctx: ChargerRun) -> None:
    data = monitoring_data(evse(ctx), AVAILABILITY, "Delta", -1, severity(ctx))
    (result,) = await set_monitors(ctx, [data], step=1)
    check_result(ctx, 2, result, {"id": absent(), "status": "Rejected", **echo(data)})
    ctx.check(
        2, SVM, result, "statusInfo.reasonCode", absent_or("ValueOutOfRange", "ValuePositiveOnly")
    )


@scenario("TC_N_13_CS")
async def set_threshold_out_of_range(ctx: ChargerRun) -> None:
    component, variable = threshold_target(ctx)
    value = threshold_value(ctx, "threshold_out_of_range")
    data = monitoring_data(component, variable, "UpperThreshold", value, severity(ctx))
    (result,) = await set_monitors(ctx, [data], step=1)
    check_result(ctx, 2, result, {"id": absent(), "status": "Rejected", **echo(data)})
    ctx.check(2, SVM, result, "statusInfo.reasonCode", absent_or("ValueOutOfRange"))


@scenario("TC_N_15_CS")
async def set_duplicate_monitor(ctx: ChargerRun) -> None:
    await clear_monitors_on(ctx, evse(ctx), AVAILABILITY)
    data = monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, severity(ctx))
    results = await set_monitors(ctx, [data, dict(data)], step=1)
    accepted = next((r for r in results if r.get("status") == "Accepted"), {})
    duplicate = next((r for r in results if r.get("status") == "Duplicate"), {})
    check_result(
        ctx,
        2,
        accepted,
        {
            "status": "Accepted",
            "id": satisfies(lambda v: isinstance(v, int), "the new monitor's id"),
            **echo(data),
        },
    )
    check_no_error(ctx, 2, SVM, accepted)
    check_result(ctx, 2, duplicate, {"status": "Duplicate", **echo(data)})
    ctx.check(2, SVM, duplicate, "statusInfo.reasonCode", absent_or("InvalidValue"))


@scenario("TC_N_37_CS")
async def set_monitor_unknown_variable(ctx: ChargerRun) -> None:
    data = monitoring_data({"name": "EVSE"}, {"name": "unknownVariable"}, "Delta", 1, severity(ctx))
    (result,) = await set_monitors(ctx, [data], step=1)
    check_result(ctx, 2, result, {"status": "UnknownVariable", **echo(data)})


@scenario("TC_N_38_CS")
async def set_unsupported_monitor_type(ctx: ChargerRun) -> None:
    data = monitoring_data(evse(ctx), AVAILABILITY, "UpperThreshold", 1, severity(ctx))
    (result,) = await set_monitors(ctx, [data], step=1)
    check_result(
        ctx, 2, result, {"status": one_of("UnsupportedMonitorType", "Rejected"), **echo(data)}
    )


@scenario("TC_N_39_CS")
async def set_monitor_wrong_combination(ctx: ChargerRun) -> None:
    # The errata (2025-02) version: a monitor set on the non-numeric variable (EVSE
    # AvailabilityState) cannot be moved by its id to the numeric one (N04.FR.16).
    await clear_monitors_on(ctx, evse(ctx), AVAILABILITY)
    first = monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, severity(ctx))
    (result,) = await set_monitors(ctx, [first], step=1)
    check_result(
        ctx,
        2,
        result,
        {
            "status": "Accepted",
            "id": satisfies(lambda v: isinstance(v, int), "not omitted"),
            **echo(first),
        },
    )
    mid = result.get("id")
    component, variable = threshold_target(ctx)
    moved = monitoring_data(component, variable, "Delta", 1, severity(ctx), monitor_id=mid)
    (result,) = await set_monitors(ctx, [moved], step=3)
    check_result(ctx, 4, result, {"status": "Rejected", **echo(moved)})
    _, parts = await monitoring_report(ctx, step=5)
    check_reported(
        ctx,
        7,
        parts,
        evse(ctx),
        AVAILABILITY,
        f"monitor {mid}: Delta, value 1",
        lambda vm: (
            vm.get("id") == mid and vm.get("type") == "Delta" and number(vm.get("value")) == 1
        ),
    )


@scenario("TC_N_40_CS")
async def replace_monitor(ctx: ChargerRun) -> None:
    await clear_monitors_on(ctx, evse(ctx), AVAILABILITY)
    old = await set_monitor(ctx, monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, 5))
    data = monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, 4, monitor_id=old.get("id"))
    (result,) = await set_monitors(ctx, [data], step=1)
    check_result(ctx, 2, result, {"status": "Accepted", **echo(data)})
    wanted = [{"component": evse(ctx), "variable": AVAILABILITY}]
    _, parts = await monitoring_report(
        ctx, step=3, criteria=["DeltaMonitoring"], component_variables=wanted
    )
    check_reported(
        ctx, 5, parts, evse(ctx), AVAILABILITY, "severity 4", lambda vm: vm.get("severity") == 4
    )


@scenario("TC_N_41_CS")
async def replace_then_factory_default(ctx: ChargerRun) -> None:
    found = [
        vm for vm in await find_monitors(ctx, evse(ctx), AVAILABILITY) if vm.get("type") == "Delta"
    ]
    configured = ctx.settings.extra.get("preconfigured_monitor_id")
    pre = (
        next((vm for vm in found if str(vm.get("id")) == configured), None)
        if configured
        else (found[0] if found else None)
    )
    if pre is None or int(pre.get("severity", 9)) >= 9:
        ctx.not_applicable(
            "the station has no pre-configured Delta monitor on the EVSE's AvailabilityState"
        )
    assert pre is not None
    pid, psev = int(pre["id"]), int(pre["severity"])
    data = monitoring_data(
        evse(ctx), AVAILABILITY, "Delta", float(pre.get("value", 1)), psev + 1, monitor_id=pid
    )
    (result,) = await set_monitors(ctx, [data], step=1)
    check_result(ctx, 2, result, {"status": "Accepted", **echo(data)})
    wanted = [{"component": evse(ctx), "variable": AVAILABILITY}]
    _, parts = await monitoring_report(
        ctx, step=3, criteria=["DeltaMonitoring"], component_variables=wanted
    )
    check_reported(
        ctx,
        5,
        parts,
        evse(ctx),
        AVAILABILITY,
        f"id {pid} severity {psev + 1}",
        lambda vm: vm.get("id") == pid and vm.get("severity") == psev + 1,
    )
    reply = await ctx.request("SetMonitoringBase", {"monitoringBase": "FactoryDefault"}, step=7)
    ctx.check(8, "SetMonitoringBaseResponse", reply, "status", "Accepted")
    _, parts = await monitoring_report(
        ctx, step=9, criteria=["DeltaMonitoring"], component_variables=wanted
    )
    check_reported(
        ctx,
        11,
        parts,
        evse(ctx),
        AVAILABILITY,
        f"id {pid} severity {psev}",
        lambda vm: vm.get("id") == pid and vm.get("severity") == psev,
    )
    await ctx.request("SetMonitoringBase", {"monitoringBase": "All"}, step=None)


@scenario("TC_N_43_CS")
async def set_three_second_out_of_range(ctx: ChargerRun) -> None:
    component, variable = threshold_target(ctx)
    sev = severity(ctx)
    items = [
        monitoring_data(component, variable, "UpperThreshold", threshold_value(ctx), sev),
        monitoring_data(component, variable, "Delta", -1.0, sev),
        monitoring_data(
            component, variable, "LowerThreshold", threshold_value(ctx, "threshold2_value"), sev
        ),
    ]
    results = await set_monitors(ctx, items, step=1)
    for kind, status in (
        ("UpperThreshold", "Accepted"),
        ("Delta", "Rejected"),
        ("LowerThreshold", "Accepted"),
    ):
        result = result_of_type(results, kind)
        ctx.check(2, SVM, result, "status", status)
        ctx.check(2, SVM, result, "type", kind)
        if status == "Accepted":
            check_no_error(ctx, 2, SVM, result)


# ---------------------------------------------------------------- N05 SetMonitoringLevel
@scenario("TC_N_16_CS", physical=("plug_in", "unplug"))
async def monitoring_level_suppresses(ctx: ChargerRun) -> None:
    # Memory state: a Delta monitor of severity 8 on the EVSE's AvailabilityState.
    found = [
        vm
        for vm in await find_monitors(ctx, evse(ctx), AVAILABILITY)
        if vm.get("type") == "Delta" and vm.get("severity") == 8
    ]
    if not found:
        await clear_monitors_on(ctx, evse(ctx), AVAILABILITY)
        await set_monitor(ctx, monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, 8))
    reply = await ctx.request("SetMonitoringLevel", {"severity": 7}, step=1)
    ctx.check(2, "SetMonitoringLevelResponse", reply, "status", "Accepted")
    check_no_error(ctx, 2, "SetMonitoringLevelResponse", reply)
    since = ctx.mark()
    await physical.plug_in(ctx, step=3)
    await ctx.no_station_request(
        "NotifyEvent",
        step=4,
        since=since,
        match=lambda p: mentions_evse(ctx, p, "EVSE"),
        why="severity 8 is above monitoring level 7",
    )
    await physical.unplug(ctx)
    await ctx.request("SetMonitoringLevel", {"severity": 9}, step=None)


@scenario("TC_N_17_CS")
async def monitoring_level_out_of_range(ctx: ChargerRun) -> None:
    for step, level, reasons in (
        (1, 10, ("ValueOutOfRange", "ValueTooHigh")),
        (3, -1, ("ValueOutOfRange", "ValueTooLow")),
    ):
        reply = await ctx.request("SetMonitoringLevel", {"severity": level}, step=step)
        ctx.check(step + 1, "SetMonitoringLevelResponse", reply, "status", "Rejected")
        ctx.check(
            step + 1,
            "SetMonitoringLevelResponse",
            reply,
            "statusInfo.reasonCode",
            absent_or(*reasons),
        )
