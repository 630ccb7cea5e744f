"""2.0.1 block B, Provisioning: CSMS test cases (part 6 §3.3)."""

from __future__ import annotations

from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import absent_or, integer_at_least, one_of
from bench.conformance.scenarios import scenario


@scenario("TC_B_01_CSMS")
async def cold_boot_accepted(ctx: CaseRun) -> None:
    # B01.FR.02: the CSMS accepts a registered station.
    await states.booted(ctx, step=1)


@scenario("TC_B_02_CSMS", manual=("boot_pending",))
async def cold_boot_pending(ctx: CaseRun) -> None:
    # B02.FR.01/06: Pending first, then Accepted on a later BootNotification.
    await ctx.manual(
        "boot_pending",
        "Configure the CSMS to answer the next BootNotificationRequest with status Pending",
        statuses=["Pending", "Accepted"],
    )
    since = ctx.mark()
    await ctx.start_station()
    first = await ctx.reply_to("BootNotification", step=2, since=since)
    ctx.require(2, "BootNotificationResponse", first.payload, "status", "Pending")
    # The station waits the interval it was given, then boots again (B02.FR.01).
    second = await ctx.reply_to(
        "BootNotification",
        step=4,
        since=ctx.frames.index(first) + 1,
        timeout=ctx.settings.timeout + float(first.payload.get("interval") or 0),
    )
    ctx.require(4, "BootNotificationResponse", second.payload, "status", "Accepted")
    await ctx.station.wait_accepted(ctx.settings.timeout)
    await states.statuses_reported(ctx, ctx.frames.index(second))


@scenario("TC_B_30_CSMS", manual=("boot_pending",))
async def pending_then_security_error(ctx: CaseRun) -> None:
    # B02.FR.09, B03.FR.07: while Pending/Rejected, a station's other CALLs get SecurityError.
    await ctx.manual(
        "boot_pending",
        "Configure the CSMS to answer BootNotificationRequests with status Pending",
        statuses=["Pending"],
    )
    since = ctx.mark()
    await ctx.start_station()
    reply = await ctx.reply_to("BootNotification", step=2, since=since)
    ctx.require(
        2, "BootNotificationResponse", reply.payload, "status", one_of("Pending", "Rejected")
    )
    # Step 3: the status a well-behaved station would hold back until Accepted.
    status = {
        "timestamp": ctx.station.clock.now().isoformat(timespec="seconds"),
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    }
    answer = await ctx.send("StatusNotification", status, step=3)
    ctx.check_that(
        4,
        "StatusNotification reply",
        "(message type)",
        answer.type == "CALLERROR" and answer.error == "SecurityError",
        "CALLERROR SecurityError",
        f"{answer.type} {answer.error or ''}".strip(),
    )


@scenario("TC_B_31_CSMS", manual=("boot_pending", "trigger_boot_notification"))
async def pending_then_trigger_message(ctx: CaseRun) -> None:
    # B02, F06: the CSMS triggers the BootNotification before the interval ends.
    await ctx.manual(
        "boot_pending",
        "Configure the CSMS to answer the next BootNotificationRequest with status Pending",
        statuses=["Pending", "Accepted"],
    )
    since = ctx.mark()
    await ctx.start_station()
    first = await ctx.reply_to("BootNotification", step=2, since=since)
    ctx.require(
        2, "BootNotificationResponse", first.payload, "status", one_of("Pending", "Rejected")
    )
    request = await ctx.request_by_hand(
        "trigger_boot_notification",
        "Request the CSMS to send a TriggerMessageRequest for a BootNotification",
        "TriggerMessage",
        {"requestedMessage": "BootNotification"},
        step=3,
    )
    ctx.check(3, "TriggerMessageRequest", request, "requestedMessage", "BootNotification")
    second = await ctx.reply_to("BootNotification", step=6, since=ctx.frames.index(first) + 1)
    ctx.check(6, "BootNotificationResponse", second.payload, "status", "Accepted")


async def _booted_then_request(
    ctx: CaseRun, key: str, instruction: str, action: str, request: dict[str, Any], **params: Any
) -> dict[str, Any]:
    await states.booted(ctx)
    return await ctx.request_by_hand(key, instruction, action, request, step=1, **params)


@scenario("TC_B_06_CSMS", manual=("get_variables",))
async def get_variables_single(ctx: CaseRun) -> None:
    # B06.FR.01-04/10/11: one mandatory variable of OCPPCommCtrlr.
    want = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}
    request = await _booted_then_request(
        ctx,
        "get_variables",
        "Request the CSMS to get the value of OCPPCommCtrlr.OfflineThreshold",
        "GetVariables",
        {"getVariableData": [want]},
        variables="OCPPCommCtrlr.OfflineThreshold",
    )
    data = request.get("getVariableData") or []
    ctx.check_that(
        1, "GetVariablesRequest", "getVariableData", len(data) >= 1, "1 item", str(len(data))
    )
    ctx.check(
        1, "GetVariablesRequest", request, "getVariableData[0].variable.name", "OfflineThreshold"
    )
    ctx.check(
        1,
        "GetVariablesRequest",
        request,
        "getVariableData[0].component.name",
        one_of("OCPPCommCtrlr", "OCPPCommCtrl"),
    )
    ctx.check(
        1,
        "GetVariablesRequest",
        request,
        "getVariableData[0].attributeType",
        absent_or("Actual", "Target", "MinSet", "MaxSet"),
    )


@scenario("TC_B_09_CSMS", manual=("set_variables",))
async def set_variables_single(ctx: CaseRun) -> None:
    # B05.FR.01-03: OCPPCommCtrlr.OfflineThreshold set to 123.
    item = {
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "OfflineThreshold"},
        "attributeValue": "123",
    }
    request = await _booted_then_request(
        ctx,
        "set_variables",
        "Request the CSMS to set OCPPCommCtrlr.OfflineThreshold to 123",
        "SetVariables",
        {"setVariableData": [item]},
        variables="OCPPCommCtrlr.OfflineThreshold=123",
    )
    path = "setVariableData[0]"
    ctx.check(1, "SetVariablesRequest", request, f"{path}.variable.name", "OfflineThreshold")
    ctx.check(
        1,
        "SetVariablesRequest",
        request,
        f"{path}.component.name",
        one_of("OCPPCommCtrlr", "OCPPCommCtrl"),
    )
    ctx.check(1, "SetVariablesRequest", request, f"{path}.attributeValue", "123")
    ctx.check(1, "SetVariablesRequest", request, f"{path}.attributeType", absent_or("Actual"))


@scenario("TC_B_10_CSMS", manual=("set_variables",))
async def set_variables_multiple(ctx: CaseRun) -> None:
    # B05.FR.01-03: two variables in one request, in any order.
    items = [
        {
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "OfflineThreshold"},
            "attributeValue": "123",
        },
        {
            "component": {"name": "AuthCtrlr"},
            "variable": {"name": "AuthorizeRemoteStart"},
            "attributeValue": "false",
        },
    ]
    request = await _booted_then_request(
        ctx,
        "set_variables",
        "Request the CSMS to set OCPPCommCtrlr.OfflineThreshold to 123 and "
        "AuthCtrlr.AuthorizeRemoteStart to false",
        "SetVariables",
        {"setVariableData": items},
        variables="OCPPCommCtrlr.OfflineThreshold=123,AuthCtrlr.AuthorizeRemoteStart=false",
    )
    sent = {
        (
            d.get("variable", {}).get("name"),
            d.get("attributeValue"),
            d.get("attributeType", "Actual"),
        )
        for d in request.get("setVariableData") or []
    }
    for name, value in (("OfflineThreshold", "123"), ("AuthorizeRemoteStart", "false")):
        ctx.check_that(
            1,
            "SetVariablesRequest",
            f"setVariableData[{name}]",
            (name, value, "Actual") in sent,
            f"{name} = {value!r} (attributeType absent or Actual)",
            ", ".join(sorted(f"{n}={v!r}" for n, v, _t in sent if n)) or "(none)",
        )


def _base_report(case_id: str, base: str, requirement: str) -> None:
    @scenario(case_id, manual=("get_base_report",))
    async def run(ctx: CaseRun) -> None:
        # ``requirement``: the CSMS asks for the report base and receives the NotifyReports.
        if base == "SummaryInventory":
            ctx.needs_feature("SummaryInventory")
        request = await _booted_then_request(
            ctx,
            "get_base_report",
            f"Request the CSMS to retrieve a {base} report",
            "GetBaseReport",
            {"requestId": 1, "reportBase": base},
            report_base=base,
        )
        ctx.check(1, "GetBaseReportRequest", request, "requestId", integer_at_least(0))
        ctx.check(1, "GetBaseReportRequest", request, "reportBase", base)

    run.__doc__ = f"{case_id}: GetBaseReport {base} ({requirement})."


_base_report("TC_B_12_CSMS", "ConfigurationInventory", "B07.FR.07")
_base_report("TC_B_13_CSMS", "FullInventory", "B07.FR.08")
_base_report("TC_B_14_CSMS", "SummaryInventory", "B07.FR.09")


@scenario("TC_B_20_CSMS", manual=("reset_station",))
async def reset_without_transaction(ctx: CaseRun) -> None:
    # B11.FR.04: Reset OnIdle with no transaction; the station reboots and boots again.
    request = await _booted_then_request(
        ctx,
        "reset_station",
        "Request the CSMS to reboot the Charging Station with type OnIdle",
        "Reset",
        {"type": "OnIdle"},
        type="OnIdle",
    )
    ctx.check(1, "ResetRequest", request, "type", "OnIdle")
    since = ctx.mark()
    reply = await ctx.reply_to("BootNotification", step=4, since=since)
    ctx.check(4, "BootNotificationResponse", reply.payload, "status", "Accepted")
