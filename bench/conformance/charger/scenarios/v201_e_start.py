"""2.0.1 block E, Transactions: the start options and local start (part 6 §2.6, CS side).

TC_E_01/02/09/10/13/11/12 start a transaction at each TxStartPoint (E01), TC_E_03/04/05
/38/52 start one locally (E02, E03), TC_E_16/17/39 end one by deauthorization (E06 S3).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_tx as tx
from bench.conformance.charger import states_tx_offline as offline
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import one_of, present, satisfies

TE = "TransactionEventRequest"


@scenario("TC_E_01_CS", physical=("present_token", "plug_in"))
async def start_power_path_closed(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, start="PowerPathClosed")
    await tx.authorized_local(ctx, step=1)
    event = await tx.ev_connected_pre_session(ctx, step=1)
    if event is not None:
        ctx.check(3, TE, event, "eventType", "Started")


@scenario("TC_E_02_CS", physical=("present_token", "plug_in"))
async def start_energy_transfer(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, start="EnergyTransfer")
    await tx.authorized_local(ctx, step=1)
    since = ctx.mark()
    await physical.plug_in(ctx, step=1)
    await tx.status(ctx, "Occupied", since=since, step=1)
    event = await tx.tx_event(ctx, since=since, step=3)
    ctx.check(3, TE, event, "eventType", "Started")
    ctx.check(3, TE, event, "triggerReason", one_of("ChargingStateChanged", "Authorized"))
    tx.check_token(ctx, 3, TE, event)
    tx.check_evse(ctx, 3, event)
    ctx.check(3, TE, event, "transactionInfo.chargingState", "Charging")


@scenario("TC_E_09_CS", physical=("plug_in",))
async def start_ev_connected(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, start="EVConnected")
    since = ctx.mark()
    await physical.plug_in(ctx, step=1)
    await tx.status(ctx, "Occupied", since=since, step=1)
    event = await tx.tx_event(ctx, since=since, step=3)
    ctx.check(3, TE, event, "eventType", "Started")
    ctx.check(3, TE, event, "triggerReason", one_of("CablePluggedIn", "ChargingStateChanged"))
    tx.check_evse(ctx, 3, event)
    ctx.check(3, TE, event, "transactionInfo.chargingState", "EVConnected")


@scenario("TC_E_10_CS", physical=("present_token",))
async def start_authorized_local(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, start="Authorized")
    await tx.auth_on(ctx)
    event = await tx.authorized_local(ctx, step=1)
    if event is not None:
        ctx.check(3, TE, event, "eventType", "Started")


@scenario("TC_E_13_CS")
async def start_authorized_remote(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, start="Authorized")
    await tx.auth_on(ctx)
    event = await tx.authorized_remote(ctx, step=1)
    if event is not None:
        ctx.check(5, TE, event, "eventType", "Started")
        ctx.check(5, TE, event, "transactionInfo.remoteStartId", present())


def _signed_begin(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The sampled values of the event's meterValue with context Transaction.Begin."""
    values = []
    for meter in event.get("meterValue") or []:
        for sampled in meter.get("sampledValue") or []:
            if sampled.get("context") == "Transaction.Begin":
                values.append(sampled)
    return values


@scenario("TC_E_11_CS", physical=("present_token", "plug_in"))
async def start_data_signed(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, start="DataSigned")
    await v201.configure(ctx, {"SampledDataCtrlr/SignReadings": "true"})
    await tx.authorized_local(ctx, step=1)
    since = ctx.mark()
    await physical.plug_in(ctx, step=1)
    await tx.status(ctx, "Occupied", since=since, step=1)
    event = await tx.tx_event(ctx, since=since, step=3)
    ctx.check(3, TE, event, "eventType", "Started")
    ctx.check(3, TE, event, "triggerReason", "SignedDataReceived")
    tx.check_token(ctx, 3, TE, event)
    tx.check_evse(ctx, 3, event)
    begin = _signed_begin(event)
    ctx.check_that(
        3, TE, "meterValue", bool(begin), "sampledValue with context Transaction.Begin", "none"
    )
    for sampled in begin[:1]:
        for part in ("encodingMethod", "publicKey", "signedMeterData", "signingMethod"):
            ctx.check(3, TE, sampled, f"signedMeterValue.{part}", present())
    charging = await tx.tx_event(ctx, since=tx.after(ctx, event), step=5)
    ctx.check(5, TE, charging, "eventType", "Updated")
    ctx.check(5, TE, charging, "triggerReason", "ChargingStateChanged")
    ctx.check(5, TE, charging, "transactionInfo.chargingState", "Charging")


@scenario("TC_E_12_CS", physical=("ev_enter_bay",))
async def start_parking_bay(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, start="ParkingBayOccupancy")
    since = ctx.mark()
    await tx.ev_enter_bay(ctx, step=1)
    event = await tx.tx_event(ctx, since=since, step=1)
    ctx.check(1, TE, event, "eventType", "Started")
    ctx.check(1, TE, event, "triggerReason", "EVDetected")


# ---------------------------------------------------------------- stop by deauthorization
@scenario("TC_E_16_CS", physical=("present_token", "plug_in"))
async def stop_deauthorized_invalid(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="PowerPathClosed,Authorized")
    await tx.auth_on(ctx)
    await tx.configure_if_implemented(ctx, {"AuthCtrlr/OfflineTxForUnknownIdEnabled": "true"})
    await v201.configure(ctx, {"TxCtrlr/StopTxOnInvalidId": "true"})
    await offline.fast_reconnect(ctx)
    await offline.token_known_locally(ctx)
    # Reusable state StartOfflineTransaction.
    await offline.offline(ctx)
    await physical.present(ctx, step=None)
    await offline.pause(ctx)
    await physical.plug_in(ctx, step=None)
    await offline.pause(ctx)

    def invalid(request: dict[str, Any]) -> dict[str, Any]:
        if "idToken" in request:
            return {"idTokenInfo": {"status": "Invalid"}}
        return {}

    ctx.answer("TransactionEvent", invalid)
    since = ctx.mark()
    await offline.online(ctx)
    first = await tx.tx_event(ctx, since=since, step=1)
    ctx.check(1, TE, first, "offline", True)
    end = await tx.tx_event(
        ctx, since=since, step=3, match=tx.ended, what="a TransactionEventRequest Ended"
    )
    ctx.check(3, TE, end, "eventType", "Ended")
    ctx.check(3, TE, end, "triggerReason", "Deauthorized")
    ctx.check(3, TE, end, "transactionInfo.stoppedReason", "DeAuthorized")


@scenario(
    "TC_E_17_CS", physical=("present_token", "plug_in", "unplug_ev_side", "unplug_station_side")
)
async def stop_deauthorized_ev_side(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="PowerPathClosed,Authorized")
    await v201.configure(
        ctx,
        {
            "TxCtrlr/StopTxOnEVSideDisconnect": "true",
            "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false",
        },
    )
    await tx.auth_on(ctx)
    # The case's table lists no state, but there must be a transaction to stop: the
    # energy transfer of a locally authorized driver.
    await tx.authorized_local(ctx, step=1)
    await tx.energy_transfer_started(ctx, step=1)
    since = ctx.mark()
    await tx.unplug_ev_side(ctx)
    event = await tx.tx_event(ctx, since=since, step=1)
    ctx.check(1, TE, event, "triggerReason", "EVCommunicationLost")
    ctx.check(1, TE, event, "transactionInfo.chargingState", "Idle")
    ctx.check(1, TE, event, "transactionInfo.stoppedReason", "EVDisconnected")
    ctx.check(1, TE, event, "eventType", "Ended")
    if not tx.fixed_cable(ctx):  # "when the station has a detachable cable on its side"
        # The cable stays locked for its owner (UnlockOnEVSideDisconnect false): the token.
        await physical.present(ctx, step=None)
        await tx.unplug_station_side(ctx)
    await tx.status(ctx, "Available", since=since, step=3)


def ev_connection_timeout(ctx: ChargerRun) -> int:
    """<Configured ev_connection_timeout>: short, so the case does not wait long."""
    return int(ctx.settings.extra.get("ev_connection_timeout", "2"))


@scenario("TC_E_39_CS", physical=("present_token", "plug_in"))
async def stop_deauthorized_timeout(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="Authorized")
    timeout = ev_connection_timeout(ctx)
    await v201.configure(ctx, {"TxCtrlr/EVConnectionTimeOut": str(timeout)})
    await tx.auth_on(ctx)
    await tx.authorized_local(ctx, step=None)  # State is Authorized
    starts = tx.start_points(ctx)
    started = bool({"ParkingBayOccupancy", "Authorized"} & starts)
    parking = "ParkingBayOccupancy" in starts
    since = ctx.mark()
    if started:
        event = await tx.tx_event(
            ctx,
            since=since,
            step=1,
            match=lambda p: p.get("triggerReason") == "EVConnectTimeout",
            timeout=timeout + ctx.settings.timeout,
            what="a TransactionEventRequest EVConnectTimeout",
        )
        ctx.check(1, TE, event, "eventType", "Updated" if parking else "Ended")
        ctx.check(1, TE, event, "transactionInfo.stoppedReason", "Timeout")
    else:
        # No transaction to report: the authorization runs out on the station's timer.
        await asyncio.sleep(timeout + 1.0)
    since = ctx.mark()
    await physical.plug_in(ctx, step=None)

    def charging(p: dict[str, Any]) -> bool:
        return (p.get("transactionInfo") or {}).get("chargingState") == "Charging"

    await ctx.no_station_request(
        "TransactionEvent", step=3, since=since, match=charging, why="the EV must not charge"
    )
    for rec in ctx.frames[since:]:
        if rec.direction == "rx" and rec.action == "TransactionEvent" and rec.type == "CALL":
            ctx.check(3, TE, rec.payload, "triggerReason", "CablePluggedIn")
            ctx.check(
                3,
                TE,
                rec.payload,
                "transactionInfo.chargingState",
                satisfies(lambda v: v != "Charging", "not Charging"),
            )


# ---------------------------------------------------------------- local start
@scenario("TC_E_03_CS", physical=("plug_in", "present_token"))
async def local_start_cable_first(ctx: ChargerRun) -> None:
    await tx.auth_on(ctx)
    await tx.known_points(ctx)
    await tx.ev_connected_pre_session(ctx, step=None)
    await tx.authorized_local(ctx, step=1)
    await tx.energy_transfer_started(ctx, step=2, plug=False)


@scenario("TC_E_04_CS", physical=("present_token", "plug_in"))
async def local_start_authorization_first(ctx: ChargerRun) -> None:
    await tx.auth_on(ctx)
    await tx.known_points(ctx)
    await tx.authorized_local(ctx, step=1)
    await tx.energy_transfer_started(ctx, step=2)


@scenario("TC_E_05_CS", physical=("present_token", "plug_in"))
async def local_start_plugin_timeout(ctx: ChargerRun) -> None:
    timeout = ev_connection_timeout(ctx)
    await v201.configure(ctx, {"TxCtrlr/EVConnectionTimeOut": str(timeout)})
    await tx.auth_on(ctx)
    await tx.configure_if_implemented(ctx, {"AuthCacheCtrlr/Enabled": "false"})
    await v201.configure(ctx, {"AuthCtrlr/LocalPreAuthorize": "false"})
    await tx.known_points(ctx)
    await tx.authorized_local(ctx, step=None)
    starts = tx.start_points(ctx)
    since = ctx.mark()
    if {"ParkingBayOccupancy", "Authorized"} & starts:
        event = await tx.tx_event(
            ctx,
            since=since,
            step=1,
            match=lambda p: p.get("triggerReason") == "EVConnectTimeout",
            timeout=timeout + ctx.settings.timeout,
            what="a TransactionEventRequest EVConnectTimeout",
        )
        if "Authorized" in tx.stop_points(ctx):
            ctx.check(1, TE, event, "eventType", "Ended")
            ctx.check(1, TE, event, "transactionInfo.stoppedReason", "Timeout")
        else:
            ctx.check(1, TE, event, "eventType", "Updated")
    else:
        await asyncio.sleep(timeout + 1.0)  # the authorization runs out on the station's timer
    # Steps 3-4: the EVSE is ready for another session.
    await tx.authorized_local(ctx, step=3)
    await tx.energy_transfer_started(ctx, step=4)


@scenario("TC_E_38_CS", physical=("present_token", "plug_in_not_ready"))
async def local_start_ev_not_ready(ctx: ChargerRun) -> None:
    await tx.known_points(ctx)
    if "EnergyTransfer" in tx.start_points(ctx):
        ctx.not_applicable("TxStartPoint is EnergyTransfer (the case's prerequisite excludes it)")
    await tx.authorized_local(ctx, step=None)
    since = ctx.mark()
    await tx.ev_connected_pre_session(ctx, step=1, physical_key="plug_in_not_ready")
    event = await tx.tx_event(
        ctx,
        since=since,
        step=2,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "SuspendedEV",
        what="a TransactionEventRequest with chargingState SuspendedEV",
    )
    ctx.check(2, TE, event, "triggerReason", tx.trigger(ctx, "ChargingStateChanged"))
    ctx.check(2, TE, event, "transactionInfo.chargingState", "SuspendedEV")


@scenario("TC_E_52_CS", physical=("present_token",))
async def local_start_remote_authorization_disabled(ctx: ChargerRun) -> None:
    await tx.configure_if_implemented(ctx, {"AuthCtrlr/Enabled": "true"})
    await v201.configure(ctx, {"AuthCtrlr/DisableRemoteAuthorization": "true"})
    # Memory state: the valid idToken is neither in the cache nor in the local list.
    await ctx.call("ClearCache", {}, step=None)
    await ctx.call("SendLocalList", {"versionNumber": 2, "updateType": "Full"}, step=None)
    since = ctx.mark()
    await physical.present(ctx, step=1)
    await ctx.no_station_request(
        "Authorize", step=1, since=since, why="DisableRemoteAuthorization is true"
    )
    await ctx.no_station_request(
        "TransactionEvent", step=1, since=since, within=0.0, why="authorization is refused"
    )
