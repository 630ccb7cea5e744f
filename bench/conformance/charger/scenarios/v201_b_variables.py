"""2.0.1 block B, Provisioning: Get/SetVariables cases (B05, B06; part 6 §2.2).

Component and variable names are part 2's (``OCPPCommCtrlr``, ``AuthCtrlr``); part 6
abbreviates some of them ("OCPPCommCtrl").
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.answers import now_text
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_provisioning import (
    check_result,
    find_result,
    full_inventory,
    get_one,
    reported,
    set_one,
    var_item,
)
from bench.conformance.expect import one_of

COMM = "OCPPCommCtrlr"
AUTH = "AuthCtrlr"
OFFLINE = "OfflineThreshold"
# Part 6 and part 2's table name it "LocalAuthorizationOffline"; the machine-readable
# appendix (dm_components_vars.csv), which OCPP 2.1 kept, "LocalAuthorizeOffline".
# A station has one of them: the case uses the one it has.
LOCAL_OFFLINE_NAMES = ("LocalAuthorizeOffline", "LocalAuthorizationOffline")


async def local_offline(ctx: ChargerRun) -> str:
    """The name the station gives AuthCtrlr's offline authorization switch."""
    reply = await ctx.request(
        "GetVariables",
        {"getVariableData": [var_item(AUTH, name) for name in LOCAL_OFFLINE_NAMES]},
        step=None,
    )
    for result in reply.get("getVariableResult") or []:
        if result.get("attributeStatus") == "Accepted":
            return str((result.get("variable") or {}).get("name"))
    return LOCAL_OFFLINE_NAMES[0]


@scenario("TC_B_06_CS")
async def get_single(ctx: ChargerRun) -> None:
    await v201.configure(ctx, {f"{COMM}/{OFFLINE}": "300"})
    result = await get_one(ctx, COMM, OFFLINE, step=1, attribute="Actual")
    check_result(
        ctx,
        2,
        "GetVariablesResponse",
        result,
        status="Accepted",
        component=COMM,
        variable=OFFLINE,
        attribute="Actual",
        value="300",
    )


@scenario("TC_B_07_CS")
async def get_multiple(ctx: ChargerRun) -> None:
    local = await local_offline(ctx)
    await v201.configure(ctx, {f"{COMM}/{OFFLINE}": "300", f"{AUTH}/{local}": "true"})
    reply = await ctx.request(
        "GetVariables",
        {
            "getVariableData": [
                var_item(COMM, OFFLINE, attribute="Actual"),
                var_item(AUTH, local, attribute="Actual"),
            ]
        },
        step=1,
    )
    results = reply.get("getVariableResult") or []
    for component, variable, value in ((COMM, OFFLINE, "300"), (AUTH, local, "true")):
        result = find_result(results, component, variable) or {}
        check_result(
            ctx,
            2,
            "GetVariablesResponse",
            result,
            status="Accepted",
            component=component,
            variable=variable,
            attribute="Actual",
            value=value,
        )


@scenario("TC_B_32_CS")
async def get_unknown_component(ctx: ChargerRun) -> None:
    result = await get_one(ctx, "UnknownComponent", OFFLINE, step=1)
    check_result(
        ctx,
        2,
        "GetVariablesResponse",
        result,
        status="UnknownComponent",
        component="UnknownComponent",
        variable=OFFLINE,
        info_reasons=None,
    )


@scenario("TC_B_33_CS")
async def get_unknown_variable(ctx: ChargerRun) -> None:
    result = await get_one(ctx, COMM, "UnknownVariable", step=1)
    check_result(
        ctx,
        2,
        "GetVariablesResponse",
        result,
        status="UnknownVariable",
        component=COMM,
        variable="UnknownVariable",
        info_reasons=None,
    )


@scenario("TC_B_34_CS")
async def get_unsupported_attribute(ctx: ChargerRun) -> None:
    result = await get_one(ctx, COMM, OFFLINE, step=1, attribute="Target")
    check_result(
        ctx,
        2,
        "GetVariablesResponse",
        result,
        status="NotSupportedAttributeType",
        component=COMM,
        variable=OFFLINE,
        attribute="Target",
        info_reasons=None,
    )


@scenario("TC_B_09_CS")
async def set_single(ctx: ChargerRun) -> None:
    result = await set_one(ctx, COMM, OFFLINE, "300", step=1, attribute="Actual")
    check_result(
        ctx,
        2,
        "SetVariablesResponse",
        result,
        status="Accepted",
        component=COMM,
        variable=OFFLINE,
        attribute="Actual",
    )


@scenario("TC_B_10_CS")
async def set_multiple(ctx: ChargerRun) -> None:
    local = await local_offline(ctx)
    reply = await ctx.request(
        "SetVariables",
        {
            "setVariableData": [
                var_item(COMM, OFFLINE, value="300", attribute="Actual"),
                var_item(AUTH, local, value="true", attribute="Actual"),
            ]
        },
        step=1,
    )
    results = reply.get("setVariableResult") or []
    for component, variable in ((COMM, OFFLINE), (AUTH, local)):
        check_result(
            ctx,
            2,
            "SetVariablesResponse",
            find_result(results, component, variable) or {},
            status="Accepted",
            component=component,
            variable=variable,
            attribute="Actual",
        )


@scenario("TC_B_35_CS")
async def set_unknown_component(ctx: ChargerRun) -> None:
    result = await set_one(ctx, "UnknownComponent", OFFLINE, "300", step=1)
    check_result(
        ctx,
        2,
        "SetVariablesResponse",
        result,
        status="UnknownComponent",
        component="UnknownComponent",
        variable=OFFLINE,
        info_reasons=None,
    )


@scenario("TC_B_36_CS")
async def set_unknown_variable(ctx: ChargerRun) -> None:
    result = await set_one(ctx, COMM, "UnknownVariable", "300", step=1)
    check_result(
        ctx,
        2,
        "SetVariablesResponse",
        result,
        status="UnknownVariable",
        component=COMM,
        variable="UnknownVariable",
        info_reasons=None,
    )


@scenario("TC_B_37_CS")
async def set_unsupported_attribute(ctx: ChargerRun) -> None:
    result = await set_one(ctx, COMM, OFFLINE, "300", step=1, attribute="Target")
    check_result(
        ctx,
        2,
        "SetVariablesResponse",
        result,
        status="NotSupportedAttributeType",
        component=COMM,
        variable=OFFLINE,
        attribute="Target",
        info_reasons=None,
    )


@scenario("TC_B_39_CS")
async def set_read_only(ctx: ChargerRun) -> None:
    # The case gives no attributeValue (the schema requires one): the current value,
    # so that a station that wrongly accepts it changes nothing.
    current = await get_one(ctx, COMM, "MessageTimeout", instance="Default", step=None)
    value = str(current.get("attributeValue") or "30")
    result = await set_one(ctx, COMM, "MessageTimeout", value, instance="Default", step=1)
    check_result(
        ctx,
        2,
        "SetVariablesResponse",
        result,
        status="Rejected",
        component=COMM,
        variable="MessageTimeout",
        instance="Default",
        info_reasons=None,
    )


# ---------------------------------------------------------------- TC_B_11_CS
def _valid_for(data_type: str, value: str) -> bool:
    """Whether ``value`` is a well-formed value of ``data_type`` (part 2 §2.1.x)."""
    if data_type == "integer":
        return value.lstrip("-").isdigit()
    if data_type == "decimal":
        try:
            float(value)
        except ValueError:
            return False
        return value.strip().lower() not in ("nan", "inf", "-inf", "infinity")
    if data_type == "boolean":
        return value in ("true", "false")
    if data_type == "dateTime":
        return "T" in value and value[:4].isdigit()
    return True


async def _characteristics(
    ctx: ChargerRun, component: str, variable: str
) -> tuple[str | None, str | None]:
    """dataType and mutability of a variable the station has (None, None when it has
    not), from its FullInventory (a Core report; GetReport is Advanced Device Management)."""
    data = reported(await full_inventory(ctx), component, variable)
    if not data:
        return None, None
    item = data[0]
    data_type = (item.get("variableCharacteristics") or {}).get("dataType")
    mutability = next(
        (a.get("mutability", "ReadWrite") for a in item.get("variableAttribute") or []), None
    )
    return data_type, mutability


@scenario("TC_B_11_CS")
async def set_invalid_formats(ctx: ChargerRun) -> None:
    offline = await get_one(ctx, COMM, OFFLINE, step=None)
    threshold = str(offline.get("attributeValue") or "300")
    values = [threshold, f"{threshold}.1", "true", now_text(), "abc"]
    targets: list[tuple[int, str, str]] = [
        (1, COMM, OFFLINE),
        (3, "SmartChargingCtrlr", "LimitChangeSignificance"),
        (5, AUTH, "AuthorizeRemoteStart"),
        (7, "ClockCtrlr", "NextTimeOffsetTransitionDateTime"),
    ]
    # Which of the four the station supports / has writeable (steps 3-8 are conditional).
    plan: list[tuple[int, str, str, str, str]] = []
    for step, component, variable in targets:
        data_type, mutability = await _characteristics(ctx, component, variable)
        if data_type is None:
            continue
        if step == 5 and mutability != "ReadWrite":
            continue
        before = await get_one(ctx, component, variable, step=None)
        plan.append((step, component, variable, data_type, str(before.get("attributeValue", ""))))
    for value in values:
        for step, component, variable, data_type, _ in plan:
            result = await set_one(ctx, component, variable, value, step=step)
            wanted: Any = "Accepted" if _valid_for(data_type, value) else "Rejected"
            if wanted == "Accepted" and data_type in ("integer", "decimal"):
                # a well-formed number may still be outside the variable's limits
                wanted = one_of("Accepted", "Rejected")
            check_result(
                ctx,
                step + 1,
                f"SetVariablesResponse ({variable} = {value!r})",
                result,
                status=wanted,
                component=component,
                variable=variable,
                info_reasons=(
                    "InvalidValue",
                    "NoError",
                    "ValueOutOfRange",
                    "ValueTooLow",
                    "ValueTooHigh",
                    "ValuePositiveOnly",
                    "ValueZeroNotAllowed",
                    "TooLargeElement",
                ),
            )
    # Leave the station as it was (not part of the case; a real charger keeps them).
    for _step, component, variable, _type, before_value in plan:
        if before_value:
            await set_one(ctx, component, variable, before_value, step=None)
