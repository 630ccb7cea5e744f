"""2.0.1 block G, Availability: charging-station test cases (part 6 §2.8).

Connector status notifications (G01, G02: TC_G_01/02/20) and ChangeAvailability of
the station, an EVSE or a connector (G03, G04: TC_G_03-19, TC_G_21), from operative
to inoperative and back, to the state it is in already, during a transaction
(Scheduled) and across a reboot.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states_tx as tx
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import one_of

CA = "ChangeAvailabilityResponse"
TE = "TransactionEventRequest"
CHARGE = ("present_token", "plug_in", "unplug")


def _target(ctx: ChargerRun, scope: str) -> dict[str, Any]:
    """ChangeAvailabilityRequest.evse for ``scope`` station / evse / connector."""
    if scope == "station":
        return {}
    evse: dict[str, Any] = {"id": ctx.settings.evse_id}
    if scope == "connector":
        evse["connectorId"] = ctx.settings.connector_id
    return {"evse": evse}


def _covered(ctx: ChargerRun, scope: str) -> list[tuple[int, int]]:
    """The connectors a change of ``scope`` applies to."""
    if scope == "station":
        return tx.connectors(ctx)
    if scope == "evse":
        return [c for c in tx.connectors(ctx) if c[0] == ctx.settings.evse_id]
    return [(ctx.settings.evse_id, ctx.settings.connector_id)]


async def change(
    ctx: ChargerRun, scope: str, operative: bool, *, step: int | None, expected: str = "Accepted"
) -> dict[str, Any]:
    reply = await ctx.request(
        "ChangeAvailability",
        {"operationalStatus": "Operative" if operative else "Inoperative", **_target(ctx, scope)},
        step=step,
    )
    ctx.require(None if step is None else step + 1, CA, reply, "status", expected)
    return reply


async def unavailable(ctx: ChargerRun, scope: str, *, step: int | None = 1) -> None:
    """Reusable state Unavailable for the station / the configured EVSE / connector."""
    since = ctx.mark()
    ctx.memory["unavailable_mark"] = since
    await change(ctx, scope, False, step=step)
    await reported(ctx, scope, "Unavailable", since=since, step=None if step is None else step + 2)


async def reported(
    ctx: ChargerRun, scope: str, state: str, *, since: int, step: int | None
) -> None:
    """The station reports ``state`` for every connector of ``scope`` (the post-scenario
    validation "a message to report the state of a connector ... for all connectors")."""
    for evse_id, connector_id in _covered(ctx, scope):
        await tx.status(
            ctx, state, since=since, step=step, evse_id=evse_id, connector_id=connector_id
        )


# ---------------------------------------------------------------- G01, G02: status notifications
@scenario("TC_G_01_CS", physical=("plug_in",))
async def available_to_occupied(ctx: ChargerRun) -> None:
    await tx.known_points(ctx)
    await tx.ev_connected_pre_session(ctx, step=1)


@scenario("TC_G_02_CS", physical=("plug_in", "unplug"))
async def occupied_to_available(ctx: ChargerRun) -> None:
    await tx.known_points(ctx)
    await tx.ev_connected_pre_session(ctx, step=None)
    since = ctx.mark()
    await physical.unplug(ctx, step=1)
    await tx.status(ctx, "Available", since=since, step=3)


# ---------------------------------------------------------------- operative <-> inoperative
@scenario("TC_G_03_CS")
async def evse_to_inoperative(ctx: ChargerRun) -> None:
    await unavailable(ctx, "evse", step=1)


@scenario("TC_G_05_CS")
async def station_to_inoperative(ctx: ChargerRun) -> None:
    await unavailable(ctx, "station", step=1)


@scenario("TC_G_07_CS")
async def connector_to_inoperative(ctx: ChargerRun) -> None:
    await unavailable(ctx, "connector", step=1)


async def _back_to_operative(ctx: ChargerRun, scope: str) -> None:
    await unavailable(ctx, scope, step=None)
    since = ctx.mark()
    await change(ctx, scope, True, step=1)
    await reported(ctx, scope, "Available", since=since, step=3)


@scenario("TC_G_04_CS")
async def evse_to_operative(ctx: ChargerRun) -> None:
    await _back_to_operative(ctx, "evse")


@scenario("TC_G_06_CS")
async def station_to_operative(ctx: ChargerRun) -> None:
    await _back_to_operative(ctx, "station")


@scenario("TC_G_08_CS")
async def connector_to_operative(ctx: ChargerRun) -> None:
    await _back_to_operative(ctx, "connector")


# ---------------------------------------------------------------- to the state it is in
@scenario("TC_G_09_CS")
async def evse_operative_again(ctx: ChargerRun) -> None:
    await change(ctx, "evse", True, step=1)


@scenario("TC_G_12_CS")
async def station_operative_again(ctx: ChargerRun) -> None:
    await change(ctx, "station", True, step=1)
    await reported(ctx, "station", "Available", since=0, step=None)


@scenario("TC_G_15_CS")
async def connector_operative_again(ctx: ChargerRun) -> None:
    await change(ctx, "connector", True, step=1)
    await reported(ctx, "station", "Available", since=0, step=None)


async def _inoperative_again(ctx: ChargerRun, scope: str) -> None:
    await unavailable(ctx, scope, step=None)
    await change(ctx, scope, False, step=1)
    # Step 3 / post-scenario: every connector of the scope has been reported Unavailable
    # (by the state before: nothing changes with the second request, G03.FR.03).
    await reported(ctx, scope, "Unavailable", since=ctx.memory["unavailable_mark"], step=3)


@scenario("TC_G_10_CS")
async def evse_inoperative_again(ctx: ChargerRun) -> None:
    await _inoperative_again(ctx, "evse")


@scenario("TC_G_13_CS")
async def station_inoperative_again(ctx: ChargerRun) -> None:
    await _inoperative_again(ctx, "station")


@scenario("TC_G_16_CS")
async def connector_inoperative_again(ctx: ChargerRun) -> None:
    await _inoperative_again(ctx, "connector")


# ---------------------------------------------------------------- during a transaction
async def _during_transaction(ctx: ChargerRun, scope: str, *, first: int) -> None:
    """Inoperative while charging: Scheduled; the connector goes Unavailable once the
    transaction ends, whichever of the stop states ends it."""
    await tx.known_points(ctx)
    await tx.authorized_local(ctx, step=None)
    await tx.energy_transfer_started(ctx, step=None)
    since = ctx.mark()
    await change(ctx, scope, False, step=1, expected="Scheduled")
    if scope == "station":
        others = [c for c in tx.connectors(ctx) if c[0] != ctx.settings.evse_id]
        for evse_id, connector_id in others:
            await tx.status(
                ctx, "Unavailable", since=since, step=3, evse_id=evse_id, connector_id=connector_id
            )
    step = first
    stop = await tx.stop_authorized_local(ctx, step=None)
    if await _ended_then_unavailable(ctx, since, step + 1):
        return
    await tx.ev_connected_post_session(ctx, step=None, stop=stop)
    if await _ended_then_unavailable(ctx, since, step + 4):
        return
    unplugged = ctx.mark()
    await physical.unplug(ctx, step=None)
    event = await tx.tx_event(ctx, since=unplugged, step=None)
    ctx.check(None, TE, event, "transactionInfo.chargingState", "Idle")
    if await _ended_then_unavailable(ctx, since, step + 7):
        return
    await tx.parking_bay_unoccupied(ctx, step=None)
    await _ended_then_unavailable(ctx, since, step + 10)


async def _ended_then_unavailable(ctx: ChargerRun, since: int, step: int) -> bool:
    if tx.in_transaction(ctx):
        return False
    await tx.status(ctx, "Unavailable", since=since, step=step)
    return True


@scenario("TC_G_11_CS", physical=CHARGE)
async def evse_during_transaction(ctx: ChargerRun) -> None:
    await _during_transaction(ctx, "evse", first=3)


@scenario("TC_G_14_CS", physical=CHARGE)
async def station_during_transaction(ctx: ChargerRun) -> None:
    await _during_transaction(ctx, "station", first=5)


@scenario("TC_G_17_CS", physical=CHARGE)
async def connector_during_transaction(ctx: ChargerRun) -> None:
    await _during_transaction(ctx, "connector", first=3)


# ---------------------------------------------------------------- across a reboot
async def _after_boot(ctx: ChargerRun, scope: str, *, since: int, step: int) -> None:
    """BootNotification, every connector's state (Unavailable where the change applies,
    Available elsewhere) and the SecurityEventNotification of a reboot."""
    await ctx.station_request("BootNotification", step=step, since=since)
    covered = set(_covered(ctx, scope))
    for evse_id, connector_id in tx.connectors(ctx):
        state = "Unavailable" if (evse_id, connector_id) in covered else "Available"
        await tx.status(
            ctx, state, since=since, step=step + 2, evse_id=evse_id, connector_id=connector_id
        )
    event = await ctx.station_request(
        "SecurityEventNotification",
        step=step + 4,
        since=since,
        match=lambda p: p.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
        what="the station's SecurityEventNotification StartupOfTheDevice or ResetOrReboot",
    )
    ctx.check(
        step + 4,
        "SecurityEventNotificationRequest",
        event,
        "type",
        one_of("StartupOfTheDevice", "ResetOrReboot"),
    )


async def _reset(ctx: ChargerRun, *, step: int | None) -> int:
    """Reusable state Booting (or Booted's steps 1-2): ResetRequest Immediate, Accepted."""
    since = ctx.mark()
    reply = await ctx.request("Reset", {"type": "Immediate"}, step=step)
    ctx.require(None if step is None else step + 1, "ResetResponse", reply, "status", "Accepted")
    return since


@scenario("TC_G_18_CS")
async def evse_persists(ctx: ChargerRun) -> None:
    await unavailable(ctx, "evse", step=None)
    since = ctx.mark()
    await change(ctx, "evse", False, step=1)
    covered = set(_covered(ctx, "evse"))
    start = ctx.memory["unavailable_mark"]
    for evse_id, connector_id in tx.connectors(ctx):
        state = "Unavailable" if (evse_id, connector_id) in covered else "Available"
        await tx.status(
            ctx,
            state,
            since=start if state == "Unavailable" else 0,
            step=3,
            evse_id=evse_id,
            connector_id=connector_id,
        )
    since = await _reset(ctx, step=None)
    await _after_boot(ctx, "evse", since=since, step=3)


@scenario("TC_G_19_CS")
async def connector_persists(ctx: ChargerRun) -> None:
    await unavailable(ctx, "connector", step=None)
    since = await _reset(ctx, step=None)
    await _after_boot(ctx, "connector", since=since, step=2)


@scenario("TC_G_21_CS")
async def station_persists(ctx: ChargerRun) -> None:
    await unavailable(ctx, "station", step=None)
    since = await _reset(ctx, step=None)
    await _after_boot(ctx, "station", since=since, step=2)


# ---------------------------------------------------------------- G01: lock failure
@scenario("TC_G_20_CS", physical=("plug_in_lock_fails", "present_token"))
async def lock_failure(ctx: ChargerRun) -> None:
    component = {
        "name": "ConnectorPlugRetentionLock",
        "evse": {"id": ctx.settings.evse_id, "connectorId": ctx.settings.connector_id},
    }
    reply = await ctx.request(
        "GetVariables",
        {"getVariableData": [{"component": component, "variable": {"name": "Problem"}}]},
        step=None,
    )
    result = (reply.get("getVariableResult") or [{}])[0]
    if result.get("attributeStatus") in ("UnknownComponent", "UnknownVariable"):
        ctx.not_applicable(
            "the station has no ConnectorPlugRetentionLock component in its device model "
            f"(GetVariables {result.get('attributeStatus')}; the case's prerequisite)"
        )
    await tx.known_points(ctx)
    since = ctx.mark()
    await ctx.physical(
        "plug_in_lock_fails",
        "Connect the EV, but do not plug the cable in fully, so that it cannot lock.",
        connector_id=ctx.settings.connector_id,
        ev_template=ctx.settings.ev_template,
    )
    await tx.status(ctx, "Occupied", since=since, step=None)
    since = ctx.mark()
    await tx.authorized_local(ctx, step=1)

    def problem(p: dict[str, Any]) -> bool:
        return any(
            (d.get("component") or {}).get("name") == "ConnectorPlugRetentionLock"
            for d in p.get("eventData") or []
        )

    event = await ctx.station_request("NotifyEvent", step=2, since=since, match=problem)
    data = next(
        d
        for d in event.get("eventData") or []
        if (d.get("component") or {}).get("name") == "ConnectorPlugRetentionLock"
    )
    m = "NotifyEventRequest"
    ctx.check(2, m, data, "trigger", "Delta")
    ctx.check(2, m, data, "variable.name", "Problem")
    ctx.check(2, m, data, "actualValue", "true")

    def charging(p: dict[str, Any]) -> bool:
        return (p.get("transactionInfo") or {}).get("chargingState") == "Charging"

    await ctx.no_station_request(
        "TransactionEvent", step=2, since=since, match=charging, why="the station must not charge"
    )
