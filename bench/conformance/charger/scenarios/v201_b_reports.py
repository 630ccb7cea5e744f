"""2.0.1 block B, Provisioning: base and custom report cases (B07, B08; part 6 §2.2).

The required variables come from part 2's appendix catalogue (``dm_components_vars.csv``,
shipped as ``bench.ocpp.v201.dm_catalogue``): the Core profile's controllers (part 5
§5) always, any other component for the functional blocks the station reports.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_provisioning import (
    LIST_TYPES,
    check_characteristics,
    check_lists,
    full_inventory,
    name_of,
    new_request_id,
    report_data,
    report_parts,
    reported,
    var_item,
)
from bench.conformance.expect import absent_or
from bench.ocpp.v201.dm_catalogue import catalogue

# Part 5 §5: the controller components the Core profile makes mandatory.
CORE_COMPONENTS = (
    "AlignedDataCtrlr",
    "AuthCtrlr",
    "ChargingStation",
    "ClockCtrlr",
    "Connector",
    "DeviceDataCtrlr",
    "EVSE",
    "OCPPCommCtrlr",
    "SampledDataCtrlr",
    "SecurityCtrlr",
    "TxCtrlr",
)
# Variables part 2's text and its appendix CSV spell differently: either counts.
SPELLINGS = {
    "LocalAuthorizeOffline": ("LocalAuthorizeOffline", "LocalAuthorizationOffline"),
    "LocalPreAuthorize": ("LocalPreAuthorize", "LocalPreAuthorization"),
}
AVAILABILITY_VALUES = {"Available", "Occupied", "Reserved", "Unavailable", "Faulted"}


async def base_report(
    ctx: ChargerRun, base: str, *, step: int = 1
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Steps 1-4 of a GetBaseReport case: the response (status checked at step 2) and
    the reportData of every NotifyReportRequest (step 3's checks)."""
    request_id = new_request_id()
    since = ctx.mark()
    reply = await ctx.request(
        "GetBaseReport", {"requestId": request_id, "reportBase": base}, step=step
    )
    ctx.require(step + 1, "GetBaseReportResponse", reply, "status", "Accepted")
    ctx.check(
        step + 1, "GetBaseReportResponse", reply, "statusInfo.reasonCode", absent_or("NoError")
    )
    data = report_data(await report_parts(ctx, request_id, since=since, step=step + 2))
    check_lists(ctx, step + 2, data)
    return reply, data


async def custom_report(
    ctx: ChargerRun,
    request: dict[str, Any],
    *,
    step: int = 1,
    status: str = "Accepted",
) -> list[dict[str, Any]]:
    """GetReportRequest with ``request`` (a requestId is added); the reportData when
    Accepted (nothing when the response is expected to be another status)."""
    request_id = new_request_id()
    since = ctx.mark()
    reply = await ctx.request("GetReport", {"requestId": request_id, **request}, step=step)
    ctx.require(step + 1, "GetReportResponse", reply, "status", status)
    reasons = ("NoError",) if status == "Accepted" else ("NotFound",)
    ctx.check(step + 1, "GetReportResponse", reply, "statusInfo.reasonCode", absent_or(*reasons))
    if status != "Accepted":
        return []
    return report_data(await report_parts(ctx, request_id, since=since, step=step + 2))


def _keys(data: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (
            (item.get("component") or {}).get("name", ""),
            (item.get("variable") or {}).get("name", ""),
        )
        for item in data
    }


def check_required(ctx: ChargerRun, step: int | None, data: list[dict[str, Any]]) -> None:
    """The required variables (appendix catalogue) of the Core controllers and of every
    other standardized component the station reports are all reported."""
    have = _keys(data)
    components = set(CORE_COMPONENTS) | {name for name, _ in have}
    missing = sorted(
        f"{component}.{variable}"
        for (component, variable, _instance), entry in catalogue().items()
        if entry.required
        and component in components
        and not have & {(component, v) for v in SPELLINGS.get(variable, (variable,))}
    )
    ctx.check_that(
        step,
        "NotifyReportRequest",
        "(required variables)",
        not missing,
        "every required variable of the implemented components reported",
        "missing " + ", ".join(missing[:15]) if missing else f"{len(have)} variables reported",
    )


def _attributes(item: dict[str, Any]) -> list[dict[str, Any]]:
    return list(item.get("variableAttribute") or [])


@scenario("TC_B_12_CS")
async def configuration_inventory(ctx: ChargerRun) -> None:
    _, data = await base_report(ctx, "ConfigurationInventory")
    check_characteristics(ctx, None, data)
    not_writable = [
        name_of(item)
        for item in data
        if any(a.get("mutability", "ReadWrite") == "ReadOnly" for a in _attributes(item))
        and not any(a.get("mutability", "ReadWrite") != "ReadOnly" for a in _attributes(item))
    ]
    ctx.check_that(
        None,
        "NotifyReportRequest",
        "variableAttribute.mutability",
        not not_writable,
        "ReadWrite or WriteOnly for every reported variable",
        ", ".join(not_writable[:10]) or "all writeable",
    )
    # The writeable variables the station has (its FullInventory) are all in it (B07.FR.07).
    full = await full_inventory(ctx)
    writable = {
        name_of(item)
        for item in full
        if any(a.get("mutability", "ReadWrite") != "ReadOnly" for a in _attributes(item))
    }
    missing = sorted(writable - {name_of(item) for item in data})
    ctx.check_that(
        None,
        "NotifyReportRequest",
        "(writeable variables)",
        not missing,
        "every writeable variable of the station reported",
        "missing " + ", ".join(missing[:10]) if missing else f"{len(writable)} reported",
    )


@scenario("TC_B_13_CS")
async def full_inventory_report(ctx: ChargerRun) -> None:
    _, data = await base_report(ctx, "FullInventory")
    check_characteristics(ctx, None, data)
    check_required(ctx, None, data)


@scenario("TC_B_53_CS")
async def mandatory_variables(ctx: ChargerRun) -> None:
    _, data = await base_report(ctx, "FullInventory")
    check_required(ctx, None, data)
    empty, outside, write_only = [], [], []
    for item in data:
        chars = item.get("variableCharacteristics") or {}
        allowed = {v.strip() for v in str(chars.get("valuesList") or "").split(",") if v.strip()}
        if chars.get("dataType") in LIST_TYPES:
            if not allowed:
                empty.append(name_of(item))
            for attr in _attributes(item):
                value = attr.get("value")
                if value in (None, "") or attr.get("mutability") == "WriteOnly":
                    continue
                parts = [value] if chars["dataType"] == "OptionList" else str(value).split(",")
                if allowed and any(p.strip() not in allowed for p in parts):
                    outside.append(f"{name_of(item)}={value}")
        for attr in _attributes(item):
            if attr.get("mutability") == "WriteOnly" and "value" in attr:
                write_only.append(name_of(item))
    for what, bad, expected in (
        ("variableCharacteristics.valuesList", empty, "not omitted or empty for list types"),
        ("variableAttribute.value", outside, "a value allowed by the valuesList"),
        ("variableAttribute.value", write_only, "omitted for WriteOnly variables"),
    ):
        ctx.check_that(
            None, "NotifyReportRequest", what, not bad, expected, ", ".join(bad[:10]) or "none"
        )


@scenario("TC_B_14_CS")
async def summary_inventory(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-56")  # part 5: Support for providing the SummaryInventory
    _, data = await base_report(ctx, "SummaryInventory")
    check_characteristics(ctx, None, data)
    states = reported(data, "ChargingStation", "AvailabilityState")
    ctx.check_that(
        None,
        "NotifyReportRequest",
        "ChargingStation.AvailabilityState",
        bool(states),
        "reported",
        "reported" if states else "absent",
    )
    evses = {
        int((item.get("component") or {}).get("evse", {}).get("id", 0))
        for item in await full_inventory(ctx)
        if (item.get("component") or {}).get("name") == "EVSE"
    }
    got = {
        int((item.get("component") or {}).get("evse", {}).get("id", 0))
        for item in reported(data, "EVSE", "AvailabilityState")
    }
    ctx.check_that(
        None,
        "NotifyReportRequest",
        "EVSE.AvailabilityState",
        evses <= got,
        f"reported for every EVSE ({sorted(evses)})",
        f"reported for {sorted(got)}",
    )


@scenario("TC_B_15_CS")
async def summary_not_supported(ctx: ChargerRun) -> None:
    if "C-56" in ctx.settings.features:
        ctx.not_applicable(
            "the station supports the optional SummaryInventory report (C-56); "
            "this case is for a station that does not"
        )
    request_id = new_request_id()
    since = ctx.mark()
    reply = await ctx.request(
        "GetBaseReport", {"requestId": request_id, "reportBase": "SummaryInventory"}, step=1
    )
    ctx.check(2, "GetBaseReportResponse", reply, "status", "NotSupported")
    ctx.check(
        2, "GetBaseReportResponse", reply, "statusInfo.reasonCode", absent_or("UnsupportedParam")
    )
    await ctx.no_station_request(
        "NotifyReport",
        step=2,
        since=since,
        match=lambda p: p.get("requestId") == request_id,
        why="the report is not supported",
    )


def _evse_availability(ctx: ChargerRun, step: int, data: list[dict[str, Any]]) -> None:
    """Step 3 of TC_B_17/18_CS: EVSE 1's AvailabilityState as the case lists it."""
    message = "NotifyReportRequest"
    item = next(iter(reported(data, "EVSE", "AvailabilityState")), {})
    ctx.check(step, message, item, "component.name", "EVSE")
    ctx.check(step, message, item, "component.evse.id", 1)
    ctx.check(step, message, item, "variable.name", "AvailabilityState")
    ctx.check(step, message, item, "variableCharacteristics.dataType", "OptionList")
    values = str((item.get("variableCharacteristics") or {}).get("valuesList") or "")
    ctx.check_that(
        step,
        message,
        "variableCharacteristics.valuesList",
        {v.strip() for v in values.split(",")} == AVAILABILITY_VALUES,
        "Available, Occupied, Reserved, Unavailable, Faulted",
        values or "(absent)",
    )
    attrs = _attributes(item)
    ctx.check(step, message, {"a": attrs}, "a[0].mutability", "ReadOnly")
    ctx.check(step, message, {"a": attrs}, "a[0].type", absent_or("Actual"))


EVSE1_AVAILABILITY = {
    "component": {"name": "EVSE", "evse": {"id": 1}},
    "variable": {"name": "AvailabilityState"},
}


@scenario("TC_B_16_CS")
async def custom_enabled(ctx: ChargerRun) -> None:
    data = await custom_report(ctx, {"componentCriteria": ["Enabled"]})
    # B08.FR.09 reports every component with Enabled true (or without Enabled); the
    # Enabled variables among them must all read "true".
    enabled = reported_any(data, "Enabled")
    check_characteristics(ctx, 3, data)
    for item in enabled:
        ctx.check(3, "NotifyReportRequest", {"a": _attributes(item)}, "a[0].value", "true")
    # Steps 5-6: GetVariables for all of them to match the results.
    for chunk in _chunks(enabled, 20):
        reply = await ctx.request(
            "GetVariables",
            {
                "getVariableData": [
                    {"component": item["component"], "variable": item["variable"]} for item in chunk
                ]
            },
            step=5,
        )
        for result in reply.get("getVariableResult") or []:
            ctx.check(6, "GetVariablesResponse", result, "attributeStatus", "Accepted")
            ctx.check(6, "GetVariablesResponse", result, "attributeValue", "true")
    full = await full_inventory(ctx)
    want = {
        _component_of(item)
        for item in reported_any(full, "Enabled")
        if any(a.get("value") == "true" for a in _attributes(item))
    }
    got = {_component_of(item) for item in enabled}
    missing = sorted(str(c) for c in want - got)
    ctx.check_that(
        None,
        "NotifyReportRequest",
        "(Enabled components)",
        not missing,
        "every component with Enabled true in the FullInventory reported",
        "missing " + ", ".join(missing[:10]) if missing else f"{len(got)} reported",
    )


def reported_any(data: list[dict[str, Any]], variable: str) -> list[dict[str, Any]]:
    return [item for item in data if (item.get("variable") or {}).get("name") == variable]


def _component_of(item: dict[str, Any]) -> tuple[Any, ...]:
    comp = item.get("component") or {}
    evse = comp.get("evse") or {}
    return (comp.get("name"), comp.get("instance"), evse.get("id"), evse.get("connectorId"))


def _chunks(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@scenario("TC_B_17_CS")
async def custom_component_variable(ctx: ChargerRun) -> None:
    data = await custom_report(ctx, {"componentVariable": [EVSE1_AVAILABILITY]})
    _evse_availability(ctx, 3, data)


@scenario("TC_B_18_CS")
async def custom_criteria_and_component_variable(ctx: ChargerRun) -> None:
    data = await custom_report(
        ctx, {"componentCriteria": ["Available"], "componentVariable": [EVSE1_AVAILABILITY]}
    )
    _evse_availability(ctx, 3, data)
    await custom_report(
        ctx,
        {"componentCriteria": ["Problem"], "componentVariable": [EVSE1_AVAILABILITY]},
        step=5,
        status="EmptyResultSet",
    )


@scenario("TC_B_19_CS")
async def custom_unknown_criteria(ctx: ChargerRun) -> None:
    unsupported = ctx.settings.extra.get("unsupported_component_criteria")
    if not unsupported:
        ctx.not_applicable(
            "no <Configured Unsupported componentCriteria>: the station is not declared to "
            "lack any of Active, Available, Enabled, Problem"
        )
    reply = await ctx.request(
        "GetReport",
        {"requestId": new_request_id(), "componentCriteria": ["Available", unsupported]},
        step=1,
    )
    ctx.check(2, "GetReportResponse", reply, "status", "NotSupported")
    ctx.check(
        2,
        "GetReportResponse",
        reply,
        "statusInfo.reasonCode",
        absent_or("UnsupportedParam", "InvalidValue"),
    )


@scenario("TC_B_54_CS")
async def custom_no_instance(ctx: ChargerRun) -> None:
    data = await custom_report(
        ctx,
        {"componentVariable": [var_item("DeviceDataCtrlr", "ItemsPerMessage")]},
    )
    instances = {
        (item.get("variable") or {}).get("instance")
        for item in reported(data, "DeviceDataCtrlr", "ItemsPerMessage")
    }
    for instance in ("GetReport", "GetVariables"):
        ctx.check_that(
            3,
            "NotifyReportRequest",
            "reportData[].variable.instance",
            instance in instances,
            f"DeviceDataCtrlr.ItemsPerMessage with instance {instance}",
            ", ".join(sorted(str(i) for i in instances)) or "none",
        )
    others = [
        name_of(item) for item in data if _keys([item]) != {("DeviceDataCtrlr", "ItemsPerMessage")}
    ]
    ctx.check_that(
        3,
        "NotifyReportRequest",
        "reportData[].variable.name",
        not others,
        "only DeviceDataCtrlr.ItemsPerMessage",
        ", ".join(others[:5]) or "only those",
    )


@scenario("TC_B_55_CS")
async def custom_with_instance(ctx: ChargerRun) -> None:
    data = await custom_report(
        ctx,
        {
            "componentVariable": [
                var_item("DeviceDataCtrlr", "ItemsPerMessage", instance="GetReport")
            ]
        },
    )
    ctx.check(3, "NotifyReportRequest", {"r": data}, "r[0].component.name", "DeviceDataCtrlr")
    ctx.check(3, "NotifyReportRequest", {"r": data}, "r[0].variable.name", "ItemsPerMessage")
    ctx.check(3, "NotifyReportRequest", {"r": data}, "r[0].variable.instance", "GetReport")
    ctx.check_that(
        3,
        "NotifyReportRequest",
        "reportData",
        len(data) == 1,
        "one instance only (GetReport)",
        ", ".join(name_of(item) for item in data[:5]),
    )


@scenario("TC_B_56_CS")
async def custom_no_evse_id(ctx: ChargerRun) -> None:
    data = await custom_report(
        ctx,
        {
            "componentVariable": [
                {"component": {"name": "EVSE"}, "variable": {"name": "AvailabilityState"}}
            ]
        },
    )
    for item in data:
        ctx.check(3, "NotifyReportRequest", item, "component.name", "EVSE")
        ctx.check(3, "NotifyReportRequest", item, "variable.name", "AvailabilityState")
    configured = ctx.settings.extra.get("evse_count")
    if configured:
        count = int(configured)
    else:  # not configured: the EVSEs of the station's own FullInventory
        count = len(
            {
                _component_of(item)
                for item in reported(await full_inventory(ctx), "EVSE", "AvailabilityState")
            }
        )
    ctx.check_that(
        3,
        "NotifyReportRequest",
        "(number of EVSEs)",
        len({_component_of(item) for item in data}) == count,
        f"{count} (<Configured EVSE count>)",
        str(len({_component_of(item) for item in data})),
    )
