"""OCPP 1.6 Remote Trigger (1.6 test case document §3.18).

The bench's station answers TriggerMessage itself (1.6 §5.17): Accepted and the
requested message after its conf, Rejected for a connector it does not have.
"""

from __future__ import annotations

from typing import Any

from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.scenarios import scenario


async def _trigger(
    ctx: CaseRun, message: str, connector: int | None, *, step: int
) -> dict[str, Any]:
    request: dict[str, Any] = {"requestedMessage": message}
    where = ""
    if connector is not None:
        request["connectorId"] = connector
        where = f" for connector {connector}"
    return await ctx.request_by_hand(
        "trigger_message",
        f"Request the Central System to trigger a {message} message{where}",
        "TriggerMessage",
        request,
        step=step,
        requested_message=message,
        connector_id=connector,  # None: no connector (the whole Charge Point)
    )


@scenario("TC_054_CSMS", manual=("trigger_message",))
async def trigger_message(ctx: CaseRun) -> None:
    # 1.6 §5.17, §7.44: five triggers in turn; each triggered message is answered.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    plan: list[tuple[int, str, int | None, dict[str, Any]]] = [
        (1, "MeterValues", cid, {"connectorId": cid}),
        (5, "Heartbeat", None, {}),
        (9, "StatusNotification", cid, {"connectorId": cid}),
        (13, "DiagnosticsStatusNotification", None, {"status": "Idle"}),
        (17, "FirmwareStatusNotification", None, {"status": "Idle"}),
    ]
    for step, message, connector, sent in plan:
        since = ctx.mark()
        request = await _trigger(ctx, message, connector, step=step)
        ctx.check(step, "TriggerMessage.req", request, "requestedMessage", message)
        if connector is not None:
            ctx.check(step, "TriggerMessage.req", request, "connectorId", connector)
        # Step 18 allows NotImplemented for FirmwareStatusNotification; the bench's
        # station implements it (Accepted), so the triggered message follows each time.
        await s16.station_answered(ctx, "TriggerMessage", since=since, status="Accepted")
        await s16.exchange(ctx, message, step=step + 3, since=since, **sent)


@scenario("TC_055_CSMS", manual=("trigger_message",))
async def trigger_message_rejected(ctx: CaseRun) -> None:
    # 1.6 §5.17: MeterValues for a connector the station does not have: Rejected.
    await s16.booted(ctx)
    unknown = len(ctx.station.connector_ids()) + 1  # <Configured NumberOfConnectors + 1>
    since = ctx.mark()
    request = await _trigger(ctx, "MeterValues", unknown, step=1)
    ctx.check(1, "TriggerMessage.req", request, "requestedMessage", "MeterValues")
    ctx.check(1, "TriggerMessage.req", request, "connectorId", unknown)
    await s16.station_answered(ctx, "TriggerMessage", since=since, status="Rejected")
