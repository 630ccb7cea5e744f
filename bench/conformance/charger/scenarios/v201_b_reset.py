"""2.0.1 block B, Provisioning: Reset cases, of the station and of one EVSE (B11, B12).

After the station's reboot every connector reports its state again; the configured
connector's state depends on what the case left there (an EV, Unavailable, Reserved).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_provisioning import (
    all_connectors_reported,
    configured,
    new_request_id,
    station_connectors,
)
from bench.conformance.charger.states_sessions import charging_on, end_session
from bench.conformance.expect import absent, one_of

TX_PHYSICAL = ("present_token", "plug_in", "unplug")


async def reset(
    ctx: ChargerRun, kind: str, status: str, *, step: int = 1, evse: int | None = None
) -> dict[str, Any]:
    """Steps 1-2: ResetRequest ``kind`` (of ``evse``); the response's status is ``status``."""
    payload: dict[str, Any] = {"type": kind}
    if evse is not None:
        payload["evseId"] = evse
    reply = await ctx.request("Reset", payload, step=step)
    ctx.require(step + 1, "ResetResponse", reply, "status", status)
    return reply


async def rebooted(
    ctx: ChargerRun,
    *,
    since: int,
    step: int,
    reason: str,
    expected: dict[tuple[int, int], str] | None = None,
    security_step: int | None = None,
) -> None:
    """The station's BootNotificationRequest with ``reason``, then every connector's
    state (``expected`` for some, Available for the others); post-validation: all
    connectors reported."""
    boot = await ctx.station_request("BootNotification", step=step, since=since)
    ctx.check(step, "BootNotificationRequest", boot, "reason", reason)
    await all_connectors_reported(ctx, since=since, step=step + 2, expected=expected)
    if security_step is not None:
        event = await ctx.station_request(
            "SecurityEventNotification",
            step=security_step,
            since=since,
            match=lambda p: p.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
            what="a SecurityEventNotification StartupOfTheDevice or ResetOrReboot",
        )
        ctx.check(
            security_step,
            "SecurityEventNotificationRequest",
            event,
            "type",
            one_of("StartupOfTheDevice", "ResetOrReboot"),
        )


def check_reset_ended(ctx: ChargerRun, step: int, event: dict[str, Any], *, token: bool) -> None:
    message = "TransactionEventRequest"
    ctx.check(step, message, event, "eventType", "Ended")
    ctx.check(step, message, event, "triggerReason", "ResetCommand")
    ctx.check(step, message, event, "transactionInfo.chargingState", "EVConnected")
    ctx.check(step, message, event, "transactionInfo.stoppedReason", "ImmediateReset")
    if token:
        ctx.check(step, message, event, "idToken", absent())


async def reset_ended(ctx: ChargerRun, *, since: int, step: int) -> dict[str, Any]:
    return await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: p.get("eventType") == "Ended",
        what="the TransactionEvent Ended of the reset",
    )


# ---------------------------------------------------------------- the station
@scenario("TC_B_20_CS")
async def reset_idle_on_idle(ctx: ChargerRun) -> None:
    since = ctx.mark()
    await reset(ctx, "OnIdle", "Accepted")
    await rebooted(ctx, since=since, step=3, reason="RemoteReset")


@scenario("TC_B_21_CS", physical=TX_PHYSICAL)
async def reset_on_idle_with_transaction(ctx: ChargerRun) -> None:
    await v201.energy_transfer_started(ctx, step=1)
    since = ctx.mark()
    await reset(ctx, "OnIdle", "Scheduled")
    where = await end_session(ctx, step=3)
    ev_present = not ctx.memory.get("ev_unplugged")
    status = "Occupied" if ev_present else "Available"
    await rebooted(
        ctx,
        since=since,
        step=7,
        reason="ScheduledReset",
        expected={configured(ctx): status},
        security_step=11,
    )
    ctx.memory["ended_at"] = where


@scenario("TC_B_22_CS", physical=TX_PHYSICAL)
async def reset_immediate_with_transaction(ctx: ChargerRun) -> None:
    await v201.energy_transfer_started(ctx, step=1)
    since = ctx.mark()
    await reset(ctx, "Immediate", "Accepted")
    check_reset_ended(ctx, 3, await reset_ended(ctx, since=since, step=3), token=True)
    await rebooted(
        ctx, since=since, step=5, reason="RemoteReset", expected={configured(ctx): "Occupied"}
    )


@scenario("TC_B_23_CS")
async def reset_keeps_unavailable(ctx: ChargerRun) -> None:
    # Memory state: Unavailable for <Configured connectorId> (reusable state Unavailable).
    evse_id, connector_id = configured(ctx)
    since = ctx.mark()
    change = await ctx.request(
        "ChangeAvailability",
        {"operationalStatus": "Inoperative", "evse": {"id": evse_id, "connectorId": connector_id}},
        step=None,
    )
    ctx.require(None, "ChangeAvailabilityResponse", change, "status", "Accepted")
    await v201.connector_status(ctx, "Unavailable", since=since, step=None)
    since = ctx.mark()
    await reset(ctx, "OnIdle", "Accepted")
    await rebooted(
        ctx, since=since, step=3, reason="RemoteReset", expected={configured(ctx): "Unavailable"}
    )
    # Not part of the case: the connector back in operation for the next one.
    await ctx.request(
        "ChangeAvailability",
        {"operationalStatus": "Operative", "evse": {"id": evse_id, "connectorId": connector_id}},
        step=None,
    )


@scenario("TC_B_24_CS")
async def reset_keeps_reserved(ctx: ChargerRun) -> None:
    # Memory state: Reserved for <Configured connectorId> (reusable state Reserved).
    since = ctx.mark()
    reservation = new_request_id()
    reserve = await ctx.request(
        "ReserveNow",
        {
            "id": reservation,
            "expiryDateTime": _in_an_hour(),
            "idToken": ctx.id_token(),
            "evseId": ctx.settings.evse_id,
        },
        step=None,
    )
    ctx.require(None, "ReserveNowResponse", reserve, "status", "Accepted")
    await v201.connector_status(ctx, "Reserved", since=since, step=None)
    since = ctx.mark()
    await reset(ctx, "OnIdle", "Accepted")
    await rebooted(
        ctx, since=since, step=3, reason="RemoteReset", expected={configured(ctx): "Reserved"}
    )
    # Not part of the case: the reservation cancelled for the next one.
    await ctx.request("CancelReservation", {"reservationId": reservation}, step=None)


def _in_an_hour() -> str:
    later = datetime.now(UTC) + timedelta(hours=1)
    return later.isoformat(timespec="seconds").replace("+00:00", "Z")


@scenario("TC_B_41_CS", physical=TX_PHYSICAL)
async def reset_on_idle_with_two_transactions(ctx: ChargerRun) -> None:
    connectors = await station_connectors(ctx)
    evses = sorted({evse for evse, _ in connectors})
    if len(evses) < 2:
        ctx.not_applicable(f"the station has {len(evses)} EVSE; the case needs more than one")
    # EnergyTransferStarted on EVSE 1 and 2, authorized and stopped remotely (reusable
    # states Authorized and StopAuthorized, Main B), so one token serves both EVSEs;
    # <connector n> is the n-th connector of the station, the one on EVSE n.
    plan = [(evse, index + 1) for index, evse in enumerate(evses[:2])]
    transactions = [await charging_on(ctx, evse, connector, step=1) for evse, connector in plan]
    since = ctx.mark()
    await reset(ctx, "OnIdle", "Scheduled")
    # Steps 3-6: EVSE 1 through every state, whatever its TxStopPoint.
    (evse1, connector1), (evse2, connector2) = plan
    await end_session(
        ctx,
        step=3,
        connector=connector1,
        transaction_id=transactions[0],
        evse_id=evse1,
        all_states=True,
        remote=True,
    )
    # Steps 7-10: EVSE 2 until its transaction ends; then the station resets.
    await end_session(
        ctx,
        step=7,
        connector=connector2,
        transaction_id=transactions[1],
        evse_id=evse2,
        remote=True,
    )
    second_plugged = not ctx.memory.get("ev_unplugged")
    expected = {(evse2, 1): "Occupied" if second_plugged else "Available"}
    await rebooted(ctx, since=since, step=11, reason="ScheduledReset", expected=expected)


# ---------------------------------------------------------------- one EVSE
@scenario("TC_B_25_CS")
async def reset_evse_idle(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-13")  # part 5: Support for Reset per EVSE
    await reset(ctx, "OnIdle", "Accepted", evse=ctx.settings.evse_id)


@scenario("TC_B_26_CS", physical=TX_PHYSICAL)
async def reset_evse_on_idle_with_transaction(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-13")
    await v201.energy_transfer_started(ctx, step=1)
    await reset(ctx, "OnIdle", "Scheduled", evse=ctx.settings.evse_id)
    await end_session(ctx, step=3)


@scenario("TC_B_27_CS", physical=TX_PHYSICAL)
async def reset_evse_immediate_with_transaction(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-13")
    await v201.energy_transfer_started(ctx, step=1)
    since = ctx.mark()
    await reset(ctx, "Immediate", "Accepted", evse=ctx.settings.evse_id)
    check_reset_ended(ctx, 3, await reset_ended(ctx, since=since, step=3), token=False)


def _without_evse_reset(ctx: ChargerRun) -> None:
    if "C-13" in ctx.settings.features:
        ctx.not_applicable(
            "the station supports Reset per EVSE (C-13); this case is for a station that does not"
        )


@scenario("TC_B_28_CS")
async def reset_evse_not_supported(ctx: ChargerRun) -> None:
    _without_evse_reset(ctx)
    await reset(ctx, "OnIdle", "Rejected", evse=ctx.settings.evse_id)


@scenario("TC_B_29_CS", physical=TX_PHYSICAL)
async def reset_evse_not_supported_with_transaction(ctx: ChargerRun) -> None:
    _without_evse_reset(ctx)
    await v201.energy_transfer_started(ctx, step=1)
    await reset(ctx, "OnIdle", "Rejected", evse=ctx.settings.evse_id)
