"""1.6 Remote Trigger (OCTT 1.6 §2.21; TC_054_CS, TC_055_CS)."""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import states_v16_core as s
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import one_of


async def _trigger(
    ctx: ChargerRun, message: str, *, step: int, connector_id: int | None = None
) -> tuple[int, dict[str, Any]]:
    payload: dict[str, Any] = {"requestedMessage": message}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    since = ctx.mark()
    return since, await ctx.request("TriggerMessage", payload, step=step)


@scenario("TC_054_CS")
async def trigger_message(ctx: ChargerRun) -> None:
    connector = s.cid(ctx)
    since, reply = await _trigger(ctx, "MeterValues", step=1, connector_id=connector)
    ctx.check(2, "TriggerMessage.conf", reply, "status", "Accepted")
    await ctx.station_request("MeterValues", step=3, since=since)
    since, reply = await _trigger(ctx, "Heartbeat", step=5)
    ctx.check(6, "TriggerMessage.conf", reply, "status", "Accepted")
    await ctx.station_request("Heartbeat", step=7, since=since)
    since, reply = await _trigger(ctx, "StatusNotification", step=9, connector_id=connector)
    ctx.check(10, "TriggerMessage.conf", reply, "status", "Accepted")
    await ctx.station_request(
        "StatusNotification",
        step=11,
        since=since,
        match=lambda p: p.get("connectorId") == connector,
    )
    since, reply = await _trigger(ctx, "DiagnosticsStatusNotification", step=13)
    ctx.check(14, "TriggerMessage.conf", reply, "status", "Accepted")
    status = await ctx.station_request("DiagnosticsStatusNotification", step=15, since=since)
    ctx.check(15, "DiagnosticsStatusNotification.req", status, "status", "Idle")
    since, reply = await _trigger(ctx, "FirmwareStatusNotification", step=17)
    ctx.check(18, "TriggerMessage.conf", reply, "status", one_of("Accepted", "NotImplemented"))
    if reply.get("status") == "Accepted":  # [sent if implemented]
        status = await ctx.station_request("FirmwareStatusNotification", step=19, since=since)
        ctx.check(19, "FirmwareStatusNotification.req", status, "status", "Idle")


@scenario("TC_055_CS")
async def trigger_message_rejected(ctx: ChargerRun) -> None:
    count = len(await s.connector_ids(ctx)) - 1  # NumberOfConnectors
    since = ctx.mark()
    rec = await ctx.call(
        "TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": count + 1}, step=1
    )
    if rec.type == "CALLRESULT":
        ctx.check(2, "TriggerMessage.conf", rec.payload, "status", "Rejected")
    else:
        ctx.check_that(2, "CALLERROR", "(reply)", True, "Rejected or a CallError", str(rec.error))
    await ctx.no_station_request(
        "MeterValues", step=2, since=since, why="the requested message was rejected"
    )
