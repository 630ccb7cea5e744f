"""2.0.1 block B, Provisioning, continued: CSMS test cases of part 6 §3.3 beyond
``v201_b_provisioning`` (several variables, the per-message limit, a custom report,
resets during transactions and of one EVSE, network connection profiles).

Optional CSMS features (part 5 table 3) the operator declares, by their part 5 id:
``C-45`` (several elements in a GetVariablesRequest, TC_B_07) and ``C-13`` (Reset per
EVSE, TC_B_25..27).
"""

from __future__ import annotations

from typing import Any

from bench.conformance import preconditions, states
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import absent_or, one_of
from bench.conformance.scenarios import scenario
from bench.conformance.states_availability import (
    answered,
    energy_transfer_started,
    stop_and_unplug,
)
from bench.conformance.states_security import configured_profile

# The spelling of part 2's components, and the shorter one part 6 sometimes uses.
OCPP_COMM = one_of("OCPPCommCtrlr", "OCPPCommCtrl")
AUTH = one_of("AuthCtrlr", "AuthCtrl")
DEVICE_DATA = one_of("DeviceDataCtrlr", "DeviceDataCtrl")
ATTRIBUTE_TYPE = absent_or("Actual", "Target", "MinSet", "MaxSet")


def _item(component: str, variable: str, instance: str | None = None) -> dict[str, Any]:
    var: dict[str, Any] = {"name": variable}
    if instance is not None:
        var["instance"] = instance
    return {"component": {"name": component}, "variable": var}


def _key(item: dict[str, Any]) -> tuple[str, str, str | None]:
    """(component, variable, instance) of a GetVariableData, component spelled as in part 2."""
    component = str((item.get("component") or {}).get("name", ""))
    variable = item.get("variable") or {}
    if not component.endswith("Ctrlr") and component.endswith("Ctrl"):
        component += "r"
    return component, str(variable.get("name", "")), variable.get("instance")


@scenario("TC_B_07_CSMS", manual=("get_variables",))
async def get_variables_multiple(ctx: CaseRun) -> None:
    # B06.FR.01-03: two variables in one GetVariablesRequest.
    ctx.needs_feature("C-45")  # part 5: multiple elements in a GetVariablesRequest
    await preconditions.booted(ctx)
    wanted = [
        _item("OCPPCommCtrlr", "OfflineThreshold"),
        _item("AuthCtrlr", "AuthorizeRemoteStart"),
    ]
    request = await ctx.request_by_hand(
        "get_variables",
        "Request the CSMS to get the values of OCPPCommCtrlr.OfflineThreshold and "
        "AuthCtrlr.AuthorizeRemoteStart (in one request)",
        "GetVariables",
        {"getVariableData": wanted},
        step=1,
        variables="OCPPCommCtrlr.OfflineThreshold,AuthCtrlr.AuthorizeRemoteStart",
    )
    data = request.get("getVariableData") or []
    ctx.check_that(
        1, "GetVariablesRequest", "getVariableData", len(data) == 2, "2 items", str(len(data))
    )
    # In arbitrary order. (The case's validation writes "AuthorizationRemoteStart"; the
    # variable of part 2 and of its own step 1 is AuthorizeRemoteStart.)
    for component, variable in (
        (OCPP_COMM, "OfflineThreshold"),
        (AUTH, "AuthorizeRemoteStart"),
    ):
        index = next(
            (i for i, d in enumerate(data) if (d.get("variable") or {}).get("name") == variable),
            None,
        )
        if index is None:
            ctx.check(1, "GetVariablesRequest", request, f"getVariableData[{variable}]", variable)
            continue
        path = f"getVariableData[{index}]"
        ctx.check(1, "GetVariablesRequest", request, f"{path}.component.name", component)
        ctx.check(1, "GetVariablesRequest", request, f"{path}.attributeType", ATTRIBUTE_TYPE)


# TC_B_08: the five variables of step 1, and the limit the station reports.
LIMITED = [
    _item("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
    _item("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
    _item("DeviceDataCtrlr", "BytesPerMessage", "GetReport"),
    _item("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"),
    _item("AuthCtrlr", "AuthorizeRemoteStart"),
]
ITEMS_PER_MESSAGE = 4
LIMIT_KEY = ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables")


@scenario("TC_B_08_CSMS", manual=("get_variables",))
async def get_variables_within_the_limit(ctx: CaseRun) -> None:
    # B06.FR.05: no more GetVariableData per request than ItemsPerMessageGetVariables.
    await preconditions.booted(ctx)
    # Configuration State: the station reports ItemsPerMessage[GetVariables] = 4 (the
    # bench's station has 50, read-only, so the case's station answers with 4).
    undo = ctx.station.answer_with("GetVariables", lambda req: _answer_limited(ctx, req))
    try:
        since = ctx.mark()
        await ctx.request_by_hand(
            "get_variables",
            "Request the CSMS to get the value of DeviceDataCtrlr.ItemsPerMessage[GetVariables]",
            "GetVariables",
            {"getVariableData": [_item(*LIMIT_KEY)]},
            step=None,
            variables="DeviceDataCtrlr.ItemsPerMessage[GetVariables]",
        )
        await station_answered(ctx, "GetVariables", since=since)
        since = ctx.mark()
        await ctx.manual(
            "get_variables",
            "Request the CSMS to get the values of DeviceDataCtrlr.ItemsPerMessage[GetReport], "
            "DeviceDataCtrlr.ItemsPerMessage[GetVariables], "
            "DeviceDataCtrlr.BytesPerMessage[GetReport], "
            "DeviceDataCtrlr.BytesPerMessage[GetVariables] and AuthCtrlr.AuthorizeRemoteStart",
            step=1,
            action="GetVariables",
            request={"getVariableData": LIMITED},
            variables=",".join(
                f"{c}.{v}" + (f"[{i}]" if i else "") for c, v, i in map(_key, LIMITED)
            ),
        )
        requests, last = await _requests_covering(ctx, since, {_key(i) for i in LIMITED})
        await station_answered(ctx, "GetVariables", since=last)
    finally:
        undo()
    sizes = sorted(len(r.get("getVariableData") or []) for r in requests)
    ctx.check_that(
        1,
        "GetVariablesRequest",
        "(messages)",
        sizes == [1, ITEMS_PER_MESSAGE],
        f"one request of {ITEMS_PER_MESSAGE} items and one of 1 (any order)",
        " and ".join(f"one of {n}" for n in sizes) or "(none)",
    )
    # Post scenario validation: no request above the limit the station reported.
    for request in requests:
        n = len(request.get("getVariableData") or [])
        ctx.check_that(
            None,
            "GetVariablesRequest",
            "getVariableData (count)",
            n <= ITEMS_PER_MESSAGE,
            f"at most {ITEMS_PER_MESSAGE} (ItemsPerMessageGetVariables)",
            str(n),
        )


async def _answer_limited(ctx: CaseRun, request: dict[str, Any]) -> dict[str, Any]:
    """The case's station: its own values, but ItemsPerMessage[GetVariables] = 4."""
    results = []
    for data in request.get("getVariableData") or []:
        component, variable, instance = _key(data)
        name = f"{component}/{variable}" + (f"[{instance}]" if instance else "")
        if (component, variable, instance) == LIMIT_KEY:
            value: str | None = str(ITEMS_PER_MESSAGE)
        else:
            try:
                value = ctx.station.settings.read(name)
            except ValueError:
                value = None
        result: dict[str, Any] = {
            "component": data["component"],
            "variable": data["variable"],
            "attributeStatus": "Accepted" if value is not None else "UnknownVariable",
        }
        if "attributeType" in data:
            result["attributeType"] = data["attributeType"]
        if value is not None:
            result["attributeValue"] = value
        results.append(result)
    return {"getVariableResult": results}


async def _requests_covering(
    ctx: CaseRun, since: int, wanted: set[tuple[str, str, str | None]]
) -> tuple[list[dict[str, Any]], int]:
    """The CSMS's GetVariablesRequests from ``since`` until they asked for all of ``wanted``,
    and the position of the last one in the frames."""
    requests: list[dict[str, Any]] = []
    asked: set[tuple[str, str, str | None]] = set()
    for _ in range(len(wanted)):
        request = await ctx.csms_request("GetVariables", step=1, since=since)
        # The request just returned: the first GetVariables CALL from ``since`` on (the
        # next may be in already when the CSMS sends them back to back).
        record = next(
            r
            for r in ctx.frames[since:]
            if r.direction == "rx" and r.type == "CALL" and r.action == "GetVariables"
        )
        since = ctx.frames.index(record) + 1
        requests.append(request)
        asked |= {_key(d) for d in request.get("getVariableData") or []}
        if wanted <= asked:
            break
    return requests, since - 1


@scenario("TC_B_18_CSMS", manual=("get_report",))
async def custom_report_criteria_and_variables(ctx: CaseRun) -> None:
    # B08.FR.01/03: a report limited by componentCriteria and componentVariable; the
    # station has no EVSE with a problem (EmptyResultSet), then reports the available one.
    evse = states.connector_for(ctx)
    await preconditions.booted(ctx)
    wanted = [
        {
            "component": {"name": "EVSE", "evse": {"id": evse}},
            "variable": {"name": "AvailabilityState"},
        }
    ]
    for step, criterion in ((1, "Problem"), (3, "Available")):
        await _custom_report(ctx, step, criterion, evse, wanted)


async def _custom_report(
    ctx: CaseRun, step: int, criterion: str, evse: int, wanted: list[dict[str, Any]]
) -> None:
    """One GetReport of TC_B_18 (steps 1-2 with Problem, 3-6 with Available)."""
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "get_report",
        f"Request the CSMS to get EVSE #{evse} AvailabilityState from all {criterion} "
        "components (GetReport)",
        "GetReport",
        {"requestId": step, "componentCriteria": [criterion], "componentVariable": wanted},
        step=step,
        component_criteria=criterion,
        component="EVSE",
        evse_id=evse,
        variable="AvailabilityState",
    )
    message = "GetReportRequest"
    ctx.check(step, message, request, "componentCriteria", [criterion])
    ctx.check(step, message, request, "componentVariable[0].component.name", "EVSE")
    ctx.check(step, message, request, "componentVariable[0].component.evse.id", evse)
    ctx.check(step, message, request, "componentVariable[0].variable.name", "AvailabilityState")
    if criterion == "Available":
        # Steps 5-6: the station's NotifyReport; the CSMS answers it.
        request_id = request.get("requestId")
        await answered(
            ctx,
            "NotifyReport",
            lambda p: p.get("requestId") == request_id,
            since=since,
            what="NotifyReportRequest",
            step=6,
        )


async def _reset(
    ctx: CaseRun, reset_type: str, evse: int | None, *, step: int = 1
) -> dict[str, Any]:
    """Manual action: the CSMS sends Reset (of the station, or of ``evse``); checks step 1."""
    if evse is None:
        request = await ctx.request_by_hand(
            "reset_station",
            f"Request the CSMS to reset the Charging Station with type {reset_type}",
            "Reset",
            {"type": reset_type},
            step=step,
            type=reset_type,
        )
    else:
        request = await ctx.request_by_hand(
            "reset_evse",
            f"Request the CSMS to reset EVSE {evse} with type {reset_type}",
            "Reset",
            {"type": reset_type, "evseId": evse},
            step=step,
            type=reset_type,
            evse_id=evse,
        )
    ctx.check(step, "ResetRequest", request, "type", reset_type)
    if evse is not None:
        ctx.check(step, "ResetRequest", request, "evseId", evse)
    return request


async def _booted_again(ctx: CaseRun, since: int, step: int) -> None:
    """The station's BootNotification after the reset: Accepted, then its connectors."""
    reply = await ctx.reply_to("BootNotification", step=step, since=since)
    ctx.check(step, "BootNotificationResponse", reply.payload, "status", "Accepted")
    await ctx.station.wait_accepted(ctx.settings.timeout)
    await states.statuses_reported(ctx, ctx.frames.index(reply))


async def station_answered(ctx: CaseRun, action: str, *, since: int) -> None:
    """Wait until the station has answered the CSMS's last ``action`` (a scripted answer
    must be given before the station's own handler is back)."""
    await ctx.wait_frame(
        lambda r: (
            r.direction == "tx" and r.type in ("CALLRESULT", "CALLERROR") and r.action == action
        ),
        since=since,
        what=f"the station's answer to {action}",
    )


def _ended(p: dict[str, Any]) -> bool:
    return p.get("eventType") == "Ended"


@scenario("TC_B_21_CSMS", manual=("reset_station",))
async def reset_on_idle_during_transaction(ctx: CaseRun) -> None:
    # B12.FR.01/03: Scheduled until the transaction ended, then a ScheduledReset boot.
    await preconditions.booted(ctx)
    await energy_transfer_started(ctx)
    await _reset(ctx, "OnIdle", None)
    since = ctx.mark()
    await stop_and_unplug(ctx)  # steps 3-6
    await _booted_again(ctx, since, 8)  # steps 7-10


@scenario("TC_B_22_CSMS", manual=("reset_station",))
async def reset_immediate_during_transaction(ctx: CaseRun) -> None:
    # B12: the station ends the transaction (ResetCommand, ImmediateReset) and reboots.
    await preconditions.booted(ctx)
    await energy_transfer_started(ctx)
    since = ctx.mark()
    await _reset(ctx, "Immediate", None)
    await answered(
        ctx, "TransactionEvent", _ended, since=since, what="TransactionEvent Ended", step=4
    )
    await _booted_again(ctx, since, 6)


@scenario("TC_B_25_CSMS", manual=("reset_evse",))
async def reset_evse_without_transaction(ctx: CaseRun) -> None:
    # B11.FR.04 for one EVSE.
    ctx.needs_feature("C-13")  # part 5: Reset per EVSE
    await preconditions.booted(ctx)
    await _reset(ctx, "OnIdle", states.connector_for(ctx))


@scenario("TC_B_26_CSMS", manual=("reset_evse",))
async def reset_evse_on_idle_during_transaction(ctx: CaseRun) -> None:
    # B12.FR.07: the EVSE's reset waits for its transaction to end.
    ctx.needs_feature("C-13")  # part 5: Reset per EVSE
    await preconditions.booted(ctx)
    await energy_transfer_started(ctx)
    await _reset(ctx, "OnIdle", states.connector_for(ctx))
    await stop_and_unplug(ctx)  # steps 3-6


@scenario("TC_B_27_CSMS", manual=("reset_evse",))
async def reset_evse_immediate_during_transaction(ctx: CaseRun) -> None:
    # B12: the EVSE's transaction ends with ImmediateReset.
    ctx.needs_feature("C-13")  # part 5: Reset per EVSE
    await preconditions.booted(ctx)
    await energy_transfer_started(ctx)
    since = ctx.mark()
    await _reset(ctx, "Immediate", states.connector_for(ctx))
    await answered(
        ctx, "TransactionEvent", _ended, since=since, what="TransactionEvent Ended", step=4
    )


# <Configured configurationSlot>: a slot of the bench's station other than the one it
# was installed with (slot 1), and <Configured ocppInterface>.
CONFIGURATION_SLOT = 2
OCPP_INTERFACE = "Wired0"


def _network_profile(ctx: CaseRun) -> dict[str, Any]:
    """The NetworkConnectionProfile the case expects: this run's own CSMS connection."""
    timeout = ctx.station.settings.read("OCPPCommCtrlr/MessageTimeout[Default]") or "30"
    return {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": ctx.settings.csms_url,
        "messageTimeout": int(timeout),
        "securityProfile": configured_profile(ctx.settings),
        "ocppInterface": OCPP_INTERFACE,
    }


async def _set_network_profile(ctx: CaseRun, profile: dict[str, Any]) -> dict[str, Any]:
    return await ctx.request_by_hand(
        "set_network_profile",
        f"Request the CSMS to set a new NetworkConnectionProfile in configuration slot "
        f"{CONFIGURATION_SLOT} (URL {profile['ocppCsmsUrl']}, security profile "
        f"{profile['securityProfile']})",
        "SetNetworkProfile",
        {"configurationSlot": CONFIGURATION_SLOT, "connectionData": profile},
        step=1,
        configuration_slot=CONFIGURATION_SLOT,
        connection_data=profile,
    )


@scenario("TC_B_42_CSMS", manual=("set_network_profile",))
async def set_network_profile_accepted(ctx: CaseRun) -> None:
    # B09.FR.01: the station stores the profile and answers Accepted.
    await preconditions.booted(ctx)
    profile = _network_profile(ctx)
    request = await _set_network_profile(ctx, profile)
    message = "SetNetworkProfileRequest"
    ctx.check(1, message, request, "configurationSlot", CONFIGURATION_SLOT)
    for name in ("messageTimeout", "ocppCsmsUrl", "ocppInterface", "securityProfile"):
        ctx.check(1, message, request, f"connectionData.{name}", profile[name])
    ctx.check(1, message, request, "connectionData.ocppTransport", "JSON")
    ctx.check(1, message, request, "connectionData.ocppVersion", "OCPP20")


@scenario("TC_B_44_CSMS", manual=("set_network_profile",))
async def set_network_profile_failed(ctx: CaseRun) -> None:
    # B09.FR.03: the station could not store the profile and answers Failed; the CSMS
    # must cope (the case has no tool validations beyond the request itself).
    await preconditions.booted(ctx)

    async def failed(_request: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Failed"}

    undo = ctx.station.answer_with("SetNetworkProfile", failed)
    try:
        since = ctx.mark()
        await _set_network_profile(ctx, _network_profile(ctx))
        await station_answered(ctx, "SetNetworkProfile", since=since)
    finally:
        undo()
