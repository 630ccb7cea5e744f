"""2.0.1 block N: the NotifyEventRequests monitors cause (N07, N08), charging-station
cases. The Configured values come from ``states_monitoring``."""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_monitoring import (
    AVAILABILITY,
    NE,
    SVM,
    check_no_error,
    check_reported,
    check_result,
    check_target,
    clear_monitors_on,
    ensure_monitor,
    evse,
    find_monitors,
    max_limit,
    monitoring_data,
    monitoring_report,
    notify_event,
    number,
    set_monitor,
    set_monitors,
    severity,
    threshold_target,
    threshold_value,
)
from bench.conformance.charger.states_security import password_data, restore_password
from bench.conformance.charger.timing import interval_check
from bench.conformance.expect import absent_or, one_of, satisfies


@scenario("TC_N_20_CS", physical=("present_token", "plug_in", "unplug"))
async def threshold_alerts(ctx: ChargerRun) -> None:
    await ctx.request("SetMonitoringBase", {"monitoringBase": "All"}, step=None)
    component, variable = threshold_target(ctx)
    upper, lower = threshold_value(ctx), threshold_value(ctx, "threshold2_value")
    first = await set_monitor(
        ctx, monitoring_data(component, variable, "UpperThreshold", upper, severity(ctx))
    )
    id1 = first.get("id")
    since = ctx.mark()
    await v201.energy_transfer_started(ctx)
    tx = ctx.memory.get("transaction_id")
    _, event = await notify_event(
        ctx,
        step=2,
        since=since,
        what=f"a NotifyEvent of monitor {id1} (above {upper:g})",
        test=lambda e: e.get("variableMonitoringId") == id1 and not e.get("cleared"),
    )
    ctx.check(2, NE, event, "trigger", "Alerting")
    ctx.check(
        2, NE, event, "actualValue", satisfies(lambda v: (number(v) or 0) > upper, f"> {upper:g}")
    )
    ctx.check(2, NE, event, "cleared", absent_or(False))
    ctx.check(2, NE, event, "transactionId", tx)
    check_target(ctx, 2, event, component, variable)
    reply = await ctx.request(
        "SetVariableMonitoring",
        {
            "setMonitoringData": [
                monitoring_data(component, variable, "LowerThreshold", lower, severity(ctx))
            ]
        },
        step=4,
    )
    second = (reply.get("setMonitoringResult") or [{}])[0]
    ctx.require(5, SVM, second, "status", "Accepted")
    id2 = second.get("id")
    since = ctx.mark()
    await v201.stop_authorized(ctx, step=6)
    _, back = await notify_event(
        ctx,
        step=7,
        since=since,
        what=f"a NotifyEvent clearing monitor {id1}",
        test=lambda e: e.get("variableMonitoringId") == id1 and e.get("cleared") is True,
    )
    ctx.check(7, NE, back, "trigger", "Alerting")
    ctx.check(
        7,
        NE,
        back,
        "actualValue",
        satisfies(
            lambda v: _at_most(v, upper),
            f"<= {upper:g}",
        ),
    )
    ctx.check(7, NE, back, "eventNotificationType", "CustomMonitor")
    ctx.check(7, NE, back, "transactionId", tx)
    check_target(ctx, 7, back, component, variable)
    _, below = await notify_event(
        ctx,
        step=7,
        since=since,
        what=f"a NotifyEvent of monitor {id2} (below {lower:g})",
        test=lambda e: e.get("variableMonitoringId") == id2 and not e.get("cleared"),
    )
    ctx.check(7, NE, below, "trigger", "Alerting")
    ctx.check(
        7,
        NE,
        below,
        "actualValue",
        satisfies(
            lambda v: _at_most(v, lower),
            f"<= {lower:g}",
        ),
    )
    ctx.check(7, NE, below, "cleared", absent_or(False))
    ctx.check(7, NE, below, "eventNotificationType", "CustomMonitor")
    ctx.check(7, NE, below, "transactionId", tx)
    check_target(ctx, 7, below, component, variable)
    await physical.unplug(ctx)


@scenario("TC_N_21_CS", physical=("raise_fault", "clear_fault"))
async def hard_wired_notification(ctx: ChargerRun) -> None:
    since = ctx.mark()
    await physical.fault(ctx)
    _, event = await notify_event(
        ctx,
        step=1,
        since=since,
        what="a NotifyEvent with a HardWiredNotification",
        test=lambda e: e.get("eventNotificationType") == "HardWiredNotification",
    )
    ctx.check(1, NE, event, "eventNotificationType", "HardWiredNotification")
    await physical.clear_fault(ctx)


@scenario(
    "TC_N_22_CS", "TC_N_23_CS", physical=("cut_network", "restore_network", "plug_in", "unplug")
)
async def offline_queuing(ctx: ChargerRun) -> None:
    ctx.needs_feature("DM-3")
    sev = severity(ctx)
    higher = ctx.case.id == "TC_N_23_CS"
    await v201.configure(ctx, {"MonitoringCtrlr/OfflineQueuingSeverity": str(sev)})
    wanted = sev + 1 if higher else sev
    found = [
        vm
        for vm in await find_monitors(ctx, evse(ctx), AVAILABILITY)
        if vm.get("severity") == wanted
    ]
    if not found:
        await clear_monitors_on(ctx, evse(ctx), AVAILABILITY)
        found = [
            await set_monitor(ctx, monitoring_data(evse(ctx), AVAILABILITY, "Delta", 1, wanted))
        ]
    mid = found[0].get("id")
    await physical.cut_network(ctx)
    if not await ctx.disconnected():
        ctx.check_that(
            None, "(connection)", "(offline)", False, "the station goes offline", "still connected"
        )
        return
    await physical.plug_in(ctx, step=1)
    since = ctx.mark()
    await physical.restore_network(ctx)
    await ctx.connected()
    occupied = lambda e: (  # noqa: E731
        e.get("variableMonitoringId") == mid and e.get("actualValue") == "Occupied"
    )
    if higher:
        await ctx.no_station_request(
            "NotifyEvent",
            step=5,
            since=since,
            match=lambda p: any(occupied(e) for e in p.get("eventData") or []),
            why=f"monitor {mid}'s severity {wanted} is below OfflineQueuingSeverity {sev}",
        )
    else:
        _, event = await notify_event(
            ctx, step=3, since=since, test=occupied, what="the queued NotifyEvent Occupied"
        )
        ctx.check(3, NE, event, "trigger", "Delta")
        ctx.check(3, NE, event, "actualValue", "Occupied")
        check_target(ctx, 3, event, evse(ctx), AVAILABILITY)
    await physical.unplug(ctx)


@scenario("TC_N_24_CS")
async def periodic_events(ctx: ChargerRun) -> None:
    interval = int(ctx.settings.extra.get("periodic_interval", "2"))
    data = monitoring_data(evse(ctx), AVAILABILITY, "Periodic", interval, severity(ctx))
    since = ctx.mark()
    (result,) = await set_monitors(ctx, [data], step=1)
    check_result(
        ctx,
        2,
        result,
        {
            "status": "Accepted",
            "component.name": "EVSE",
            "component.evse.id": ctx.settings.evse_id,
            "variable.name": "AvailabilityState",
        },
    )
    check_no_error(ctx, 2, SVM, result)

    def periodic(e):
        return e.get("trigger") == "Periodic" and e.get("variableMonitoringId") == result.get("id")

    one, event = await notify_event(
        ctx,
        step=3,
        since=since,
        test=periodic,
        what="a Periodic NotifyEvent",
        timeout=interval * 2 + 5,
    )
    check_target(ctx, 3, event, evse(ctx), AVAILABILITY)
    two, _ = await notify_event(
        ctx,
        step=3,
        since=ctx.frames.index(one) + 1,
        test=periodic,
        what="the next Periodic NotifyEvent",
        timeout=interval * 2 + 5,
    )
    interval_check(ctx, 3, NE, one.ts, two.ts, interval)
    if "id" in result:
        await ctx.request("ClearVariableMonitoring", {"id": [result["id"]]}, step=None)


@scenario("TC_N_45_CS", physical=("present_token", "plug_in", "unplug"))
async def delta_alert(ctx: ChargerRun) -> None:
    component, variable = threshold_target(ctx)
    monitor = await set_monitor(
        ctx, monitoring_data(component, variable, "Delta", threshold_value(ctx), severity(ctx))
    )
    mid = monitor.get("id")
    since = ctx.mark()
    await v201.energy_transfer_started(ctx, step=1)
    _, event = await notify_event(
        ctx,
        step=2,
        since=since,
        what=f"a NotifyEvent of Delta monitor {mid}",
        test=lambda e: e.get("variableMonitoringId") == mid,
    )
    ctx.check(2, NE, event, "trigger", "Delta")
    check_target(ctx, 2, event, component, variable)
    ctx.check(2, NE, event, "variableMonitoringId", mid)
    await v201.stop_authorized(ctx)
    await physical.unplug(ctx)


@scenario("TC_N_48_CS")
async def write_only_delta(ctx: ChargerRun) -> None:
    # Conditional (errata 2025-02, AQ-10): a Delta monitor on the write-only password.
    ctx.needs_feature("AQ-10")
    target = {"name": "SecurityCtrlr"}, {"name": "BasicAuthPassword"}
    monitor = await _prerequisite_monitor(ctx, monitoring_data(*target, "Delta", 1, severity(ctx)))
    mid = monitor.get("id")
    old = ctx.endpoint.password
    default = str(len(old)) if old else "24"
    length = int(ctx.settings.extra.get("basic_auth_password_length", default))
    password = ("Bench0Monitor0" * 4)[:length]
    since = ctx.mark()
    try:
        reply = await ctx.request("SetVariables", password_data(password), step=1)
        result = (reply.get("setVariableResult") or [{}])[0]
        ctx.check(
            2,
            "SetVariablesResponse",
            result,
            "attributeStatus",
            one_of("Accepted", "RebootRequired"),
        )
        if old is not None and result.get("attributeStatus") == "Accepted":
            ctx.endpoint.password = password  # A01.FR.03: the new one from now on
        if result.get("attributeStatus") == "RebootRequired":
            await v201.booted(ctx, step=3)
        _, event = await notify_event(
            ctx,
            step=4,
            since=since,
            what=f"a NotifyEvent of monitor {mid}",
            test=lambda e: e.get("variableMonitoringId") == mid,
        )
        ctx.check(4, NE, event, "actualValue", "")
    finally:
        if old is not None:
            await restore_password(ctx, old)


async def _prerequisite_monitor(ctx: ChargerRun, data: dict[str, Any]) -> dict[str, Any]:
    """The memory state's monitor; a station that cannot monitor that variable does not
    meet the case's prerequisite (not applicable)."""
    reply = await ctx.request("SetVariableMonitoring", {"setMonitoringData": [data]}, step=None)
    result = (reply.get("setMonitoringResult") or [{}])[0]
    if result.get("status") in ("UnsupportedMonitorType", "UnknownVariable", "UnknownComponent"):
        where = f"{data['component']['name']}.{data['variable']['name']}"
        ctx.not_applicable(
            f"the station cannot set a Delta monitor on {where} ({result.get('status')})"
        )
    ctx.require(None, SVM, result, "status", "Accepted")
    return result


@scenario("TC_N_61_CS")
async def numeric_delta(ctx: ChargerRun) -> None:
    name = "OCPPCommCtrlr/OfflineThreshold"
    current = int(float(await v201.get_variable(ctx, name) or "0"))
    target = {"name": "OCPPCommCtrlr"}, {"name": "OfflineThreshold"}
    monitor = await _prerequisite_monitor(
        ctx, monitoring_data(*target, "Delta", 1.5, severity(ctx))
    )
    mid = monitor.get("id")
    since = ctx.mark()
    for step, value in ((1, current + 1), (4, current + 2)):
        reply = await ctx.request(
            "SetVariables",
            {
                "setVariableData": [
                    {"attributeValue": str(value), "component": target[0], "variable": target[1]}
                ]
            },
            step=step,
        )
        result = (reply.get("setVariableResult") or [{}])[0]
        ctx.check(
            step + 1,
            "SetVariablesResponse",
            result,
            "attributeStatus",
            one_of("Accepted", "RebootRequired"),
        )
        if result.get("attributeStatus") == "RebootRequired":
            await v201.booted(ctx, step=step + 2)
        if step == 1:
            await ctx.no_station_request(
                "NotifyEvent",
                step=3,
                since=since,
                within=1.0,
                match=lambda p: any(
                    e.get("variableMonitoringId") == mid for e in p.get("eventData") or []
                ),
                why="a change of 1 does not exceed the delta",
            )
            since = ctx.mark()
    _, event = await notify_event(
        ctx,
        step=7,
        since=since,
        what=f"a NotifyEvent of monitor {mid}",
        test=lambda e: e.get("variableMonitoringId") == mid,
    )
    ctx.check(
        7,
        NE,
        event,
        "actualValue",
        satisfies(lambda v: number(v) == current + 2, str(current + 2)),
    )


@scenario("TC_N_51_CS", physical=("present_token", "plug_in", "unplug"))
async def replace_threshold_monitor(ctx: ChargerRun) -> None:
    component, variable = threshold_target(ctx)
    # Memory state: an UpperThreshold at maxLimit - 1 (not reached while charging).
    limit = await max_limit(ctx, component, variable)
    if limit is None:
        ctx.not_applicable(
            f"the station reports no maxLimit of {component['name']}.{variable['name']}"
        )
    assert limit is not None
    high = float(ctx.settings.extra.get("threshold_high", str(limit - 1)))
    old = await set_monitor(
        ctx, monitoring_data(component, variable, "UpperThreshold", high, severity(ctx))
    )
    await v201.energy_transfer_started(ctx, step=1)
    upper = threshold_value(ctx)
    data = monitoring_data(
        component, variable, "UpperThreshold", upper, severity(ctx), monitor_id=old.get("id")
    )
    since = ctx.mark()
    (result,) = await set_monitors(ctx, [data], step=2)
    check_result(
        ctx,
        3,
        result,
        {
            "status": "Accepted",
            "type": "UpperThreshold",
            "severity": severity(ctx),
            "component.name": component["name"],
            "variable.name": variable["name"],
        },
    )
    _, event = await notify_event(
        ctx,
        step=4,
        since=since,
        what=f"a NotifyEvent of monitor {old.get('id')}",
        test=lambda e: e.get("variableMonitoringId") == old.get("id"),
    )
    ctx.check(4, NE, event, "trigger", "Alerting")
    ctx.check(
        4, NE, event, "actualValue", satisfies(lambda v: (number(v) or 0) > upper, f"> {upper:g}")
    )
    await v201.stop_authorized(ctx)
    await physical.unplug(ctx)


@scenario("TC_N_53_CS")
async def monitor_survives_reboot(ctx: ChargerRun) -> None:
    component, variable = threshold_target(ctx)
    monitor = await set_monitor(
        ctx,
        monitoring_data(component, variable, "UpperThreshold", threshold_value(ctx), severity(ctx)),
    )
    await v201.booted(ctx)
    _, parts = await monitoring_report(ctx, step=1, criteria=["ThresholdMonitoring"])
    check_reported(
        ctx,
        3,
        parts,
        component,
        variable,
        f"UpperThreshold monitor {monitor.get('id')}",
        lambda vm: vm.get("id") == monitor.get("id") and vm.get("type") == "UpperThreshold",
    )


@scenario("TC_N_56_CS", physical=("plug_in", "unplug"))
async def non_numeric_delta(ctx: ChargerRun) -> None:
    mid = await ensure_monitor(ctx, evse(ctx), AVAILABILITY, "Delta", 1.0)
    since = ctx.mark()
    await physical.plug_in(ctx)
    _, event = await notify_event(
        ctx,
        step=1,
        since=since,
        what=f"a NotifyEvent of monitor {mid}",
        test=lambda e: e.get("variableMonitoringId") == mid,
    )
    ctx.check(1, NE, event, "trigger", "Delta")
    check_target(ctx, 1, event, evse(ctx), AVAILABILITY)
    ctx.check(1, NE, event, "variableMonitoringId", mid)
    await physical.unplug(ctx)


def _at_most(value: Any, limit: float) -> bool:
    """A numeric actualValue not above ``limit``."""
    n = number(value)
    return n is not None and n <= limit
