"""2.0.1 block B, Provisioning: the cold boot cases (B01-B03; part 6 §2.2)."""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.answers import now_text
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_provisioning import (
    all_connectors_reported,
    new_request_id,
    report_parts,
    var_item,
)
from bench.conformance.charger.timing import interval_check
from bench.conformance.expect import one_of


async def reboot(ctx: ChargerRun, *, step: int | None = None) -> None:
    """Manual action "Reboot the Charging Station" (``dut.ACTIONS['reboot']``)."""
    await ctx.physical(
        "reboot", "Reboot the charging station (its own restart, not a power cut).", step=step
    )


def boot_answer(status: str, interval: int) -> dict[str, Any]:
    return {"status": status, "currentTime": now_text(), "interval": interval}


@scenario("TC_B_01_CS", physical=("power_cycle",))
async def cold_boot(ctx: ChargerRun) -> None:
    # Reusable state Booted, by a power cycle; post-validation: a status for the connectors.
    since = ctx.mark()
    await v201.booted(ctx, via="power")
    await all_connectors_reported(ctx, since=since, step=5)


@scenario("TC_B_02_CS", physical=("reboot",))
async def boot_pending(ctx: ChargerRun) -> None:
    interval = ctx.settings.heartbeat_interval
    ctx.answer("BootNotification", boot_answer("Pending", interval))
    since = ctx.mark()
    await reboot(ctx)
    await ctx.station_request("BootNotification", step=1, since=since)
    # Steps 3-6: the CSMS may set and read variables while the station is Pending.
    set_reply = await ctx.request(
        "SetVariables",
        {"setVariableData": [var_item("OCPPCommCtrlr", "OfflineThreshold", value="300")]},
        step=3,
    )
    ctx.check(
        4, "SetVariablesResponse", set_reply, "setVariableResult[0].attributeStatus", "Accepted"
    )
    get_reply = await ctx.request(
        "GetVariables",
        {"getVariableData": [var_item("OCPPCommCtrlr", "OfflineThreshold")]},
        step=5,
    )
    ctx.check(
        6, "GetVariablesResponse", get_reply, "getVariableResult[0].attributeStatus", "Accepted"
    )
    # Steps 7-10: a FullInventory report, all of it before the next step.
    request_id = new_request_id()
    report_since = ctx.mark()
    report = await ctx.request(
        "GetBaseReport", {"requestId": request_id, "reportBase": "FullInventory"}, step=7
    )
    ctx.require(8, "GetBaseReportResponse", report, "status", "Accepted")
    await report_parts(ctx, request_id, since=report_since, step=9)
    # Steps 11-12: no transaction while Pending (B02.FR.05).
    start = await ctx.request(
        "RequestStartTransaction",
        {
            "idToken": ctx.id_token(),
            "remoteStartId": new_request_id(),
            "evseId": ctx.settings.evse_id,
        },
        step=11,
    )
    ctx.check(12, "RequestStartTransactionResponse", start, "status", "Rejected")
    # Steps 13-16: TriggerMessage BootNotification; this time the CSMS accepts.
    ctx.answer("BootNotification", boot_answer("Accepted", interval))
    trigger_since = ctx.mark()
    trigger = await ctx.request("TriggerMessage", {"requestedMessage": "BootNotification"}, step=13)
    ctx.check(14, "TriggerMessageResponse", trigger, "status", one_of("Accepted", "NotImplemented"))
    boot = await ctx.station_request(
        "BootNotification",
        step=15,
        since=trigger_since,
        timeout=ctx.settings.timeout + interval,
    )
    if trigger.get("status") == "Accepted":
        ctx.check(15, "BootNotificationRequest", boot, "reason", "Triggered")
    # Steps 17-18 and the post-validation: every connector's state, Available.
    await all_connectors_reported(ctx, since=trigger_since, step=17)


@scenario("TC_B_03_CS", physical=("reboot",))
async def boot_rejected(ctx: ChargerRun) -> None:
    interval = ctx.settings.heartbeat_interval
    ctx.answer("BootNotification", boot_answer("Rejected", interval), once=True)
    since = ctx.mark()
    await reboot(ctx)
    first = await ctx.station_frame("BootNotification", step=1, since=since)
    after_first = ctx.frames.index(first) + 1
    second = await ctx.station_frame(
        "BootNotification", step=3, since=after_first, timeout=ctx.settings.timeout + interval
    )
    interval_check(ctx, 3, "BootNotificationRequest", first.ts, second.ts, interval)
    between = [
        r.action or "?"
        for r in ctx.frames[after_first : ctx.frames.index(second)]
        if r.direction == "rx" and r.type == "CALL"
    ]
    ctx.check_that(
        3,
        "BootNotificationRequest",
        "(messages while Rejected)",
        not between,
        "no other OCPP message before the BootNotificationRequest is resent",
        ", ".join(between) or "none",
    )
    await all_connectors_reported(ctx, since=ctx.frames.index(second), step=5)


@scenario("TC_B_30_CS", physical=("reboot",))
async def boot_rejected_security_error(ctx: ChargerRun) -> None:
    retry = ctx.settings.retry_interval
    ctx.answer("BootNotification", boot_answer("Rejected", retry), once=True)
    since = ctx.mark()
    await reboot(ctx)
    first = await ctx.station_frame("BootNotification", step=1, since=since)
    # Step 3 is only sent while the station stays connected.
    if not ctx.endpoint.connected:
        ctx.check_that(
            3,
            "GetBaseReportRequest",
            "(connection)",
            True,
            "sent only if the station stays connected",
            "the station closed the connection while Rejected",
        )
        return
    reply = await ctx.call(
        "GetBaseReport", {"requestId": new_request_id(), "reportBase": "FullInventory"}, step=3
    )
    ctx.check_that(
        4,
        "GetBaseReportResponse",
        "(reply)",
        reply.type == "CALLERROR" and reply.error is not None and "SecurityError" in reply.error,
        "CALLERROR SecurityError (B03.FR.08)",
        f"{reply.type} {reply.error or ''}".strip(),
    )
    # Not part of the case: leave the station Accepted for the next one.
    await ctx.station_request(
        "BootNotification",
        step=None,
        since=ctx.frames.index(first) + 1,
        timeout=ctx.settings.timeout + retry,
    )
