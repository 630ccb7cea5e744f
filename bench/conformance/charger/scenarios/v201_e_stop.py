"""2.0.1 block E, Transactions: the stop options and EV-side disconnects (part 6 §2.6, CS side).

TC_E_06 local stop (E07), TC_E_07/35/37/08/22/14/20/54/15/21/19 stop at each
TxStopPoint (E06), TC_E_24/25/26/27 the cable pulled on the EV side (E09, E10).
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_tx as tx
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states201 import configure
from bench.conformance.expect import absent_or, one_of

TE = "TransactionEventRequest"
CHARGE = ("present_token", "plug_in")


@scenario("TC_E_06_CS", physical=(*CHARGE, "unplug"))
async def local_stop(ctx: ChargerRun) -> None:
    await tx.auth_on(ctx)
    await tx.charging_local(ctx)
    await tx.full_stop_local(ctx, step=1)


@scenario("TC_E_07_CS", physical=CHARGE)
async def stop_power_path_local(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="PowerPathClosed")
    await tx.charging_local(ctx)
    await tx.stop_authorized_local(ctx, step=1)


async def _remote_stop(ctx: ChargerRun) -> None:
    since = ctx.mark()
    reply = await ctx.request(
        "RequestStopTransaction", {"transactionId": v201.transaction_id(ctx)}, step=1
    )
    ctx.check(2, "RequestStopTransactionResponse", reply, "status", "Accepted")
    event = await tx.tx_event(ctx, since=since, step=3)
    ctx.check(3, TE, event, "triggerReason", "RemoteStop")
    ctx.check(3, TE, event, "transactionInfo.stoppedReason", "Remote")
    ctx.check(3, TE, event, "eventType", "Ended")


@scenario("TC_E_35_CS", physical=CHARGE)
async def stop_power_path_remote(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="PowerPathClosed")
    await tx.charging_local(ctx)
    await _remote_stop(ctx)


async def _ev_side_lost(
    ctx: ChargerRun, *, reasons: tuple[str, ...], kind: str = "Ended"
) -> dict[str, Any]:
    since = ctx.mark()
    await tx.unplug_ev_side(ctx)
    event = await tx.tx_event(ctx, since=since, step=1)
    ctx.check(1, TE, event, "triggerReason", "EVCommunicationLost")
    ctx.check(1, TE, event, "transactionInfo.chargingState", "Idle")
    if reasons:
        ctx.check(1, TE, event, "transactionInfo.stoppedReason", one_of(*reasons))
    ctx.check(1, TE, event, "eventType", kind)
    ctx.memory["tx.unplug_mark"] = since
    return event


@scenario("TC_E_37_CS", physical=(*CHARGE, "ev_suspend", "unplug_ev_side"))
async def stop_power_path_ev_side(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="PowerPathClosed")
    await tx.configure_if_implemented(ctx, {"TxCtrlr/StopTxOnEVSideDisconnect": "false"})
    await tx.charging_local(ctx)
    await tx.energy_transfer_suspended(ctx, step=None)
    await _ev_side_lost(ctx, reasons=("EVDisconnected", "StoppedByEV"))


@scenario("TC_E_08_CS", physical=CHARGE)
async def stop_energy_transfer_authorized(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="EnergyTransfer")
    await tx.charging_local(ctx)
    await tx.stop_authorized_local(ctx, step=1)


@scenario("TC_E_22_CS", physical=(*CHARGE, "ev_suspend"))
async def stop_energy_transfer_suspended(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="EnergyTransfer")
    await tx.charging_local(ctx)
    since = ctx.mark()
    await physical.ev_suspend(ctx, step=1)
    event = await tx.tx_event(ctx, since=since, step=1)
    ctx.check(1, TE, event, "triggerReason", "ChargingStateChanged")
    state = (event.get("transactionInfo") or {}).get("chargingState")
    ctx.check(1, TE, event, "transactionInfo.chargingState", one_of("EVConnected", "SuspendedEV"))
    if state == "SuspendedEV":
        ctx.check(1, TE, event, "transactionInfo.stoppedReason", "StoppedByEV")
    ctx.check(1, TE, event, "eventType", one_of("Ended", "Updated"))


@scenario("TC_E_14_CS", physical=(*CHARGE, "unplug"))
async def stop_ev_connected_station_side(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="EVConnected")
    await tx.charging_local(ctx)
    stop = await tx.stop_authorized_local(ctx, step=None)
    await tx.ev_connected_post_session(ctx, step=None, stop=stop)
    since = ctx.mark()
    await physical.unplug(ctx, step=1)
    await tx.status(ctx, "Available", since=since, step=1)
    event = await tx.tx_event(ctx, since=since, step=3)
    ctx.check(3, TE, event, "triggerReason", "EVCommunicationLost")
    ctx.check(3, TE, event, "transactionInfo.chargingState", "Idle")
    ctx.check(3, TE, event, "transactionInfo.stoppedReason", absent_or("Local", "EVDisconnected"))
    ctx.check(3, TE, event, "eventType", "Ended")


@scenario("TC_E_20_CS", physical=(*CHARGE, "ev_suspend", "unplug_ev_side"))
async def stop_ev_connected_ev_side(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="EVConnected")
    await tx.configure_if_implemented(ctx, {"TxCtrlr/StopTxOnEVSideDisconnect": "false"})
    await tx.charging_local(ctx)
    await tx.energy_transfer_suspended(ctx, step=None)
    await _ev_side_lost(ctx, reasons=("EVDisconnected",))


@scenario("TC_E_54_CS", physical=(*CHARGE, "ev_suspend", "unplug_ev_side"))
async def stop_ev_connected_ev_side_hlc(ctx: ChargerRun) -> None:
    tx.needs(ctx, "High level communication (ISO 15118)", "ISO 15118 support")
    await tx.tx_points(ctx, stop="EVConnected")
    await tx.configure_if_implemented(ctx, {"TxCtrlr/StopTxOnEVSideDisconnect": "false"})
    await tx.charging_local(ctx)
    await tx.energy_transfer_suspended(ctx, step=None)
    await _ev_side_lost(ctx, reasons=("StoppedByEV", "EVDisconnected"))


@scenario("TC_E_15_CS", physical=CHARGE)
async def stop_authorized_local(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="Authorized")
    await tx.charging_local(ctx)
    since = ctx.mark()
    await physical.present(ctx, step=None)
    event = await tx.tx_event(ctx, since=since, step=1)
    ctx.check(1, TE, event, "triggerReason", "StopAuthorized")
    ctx.check(1, TE, event, "transactionInfo.stoppedReason", "Local")
    ctx.check(1, TE, event, "eventType", "Ended")


@scenario("TC_E_21_CS", physical=CHARGE)
async def stop_authorized_remote(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="Authorized")
    await tx.charging_local(ctx)
    await _remote_stop(ctx)


@scenario("TC_E_19_CS", physical=(*CHARGE, "unplug", "ev_leave_bay"))
async def stop_parking_bay(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="ParkingBayOccupancy")
    await tx.charging_local(ctx)
    stop = await tx.stop_authorized_local(ctx, step=None)
    await tx.ev_connected_post_session(ctx, step=None, stop=stop)
    since = ctx.mark()
    await tx.ev_disconnected(ctx, step=None)
    await tx.ev_leave_bay(ctx, step=1)
    event = await tx.tx_event(
        ctx,
        since=since,
        step=1,
        match=lambda p: p.get("triggerReason") == "EVDeparted",
        what="a TransactionEventRequest EVDeparted",
    )
    ctx.check(1, TE, event, "triggerReason", "EVDeparted")
    ctx.check(1, TE, event, "transactionInfo.stoppedReason", "Local")
    ctx.check(1, TE, event, "eventType", "Ended")


# ---------------------------------------------------------------- EV-side disconnect (E09, E10)
async def _ev_side_then_station_side(ctx: ChargerRun, *, present_again: bool) -> None:
    since = ctx.mark()
    await tx.unplug_ev_side(ctx)
    event = await tx.tx_event(ctx, since=since, step=1)
    ctx.check(1, TE, event, "triggerReason", "EVCommunicationLost")
    ctx.check(1, TE, event, "transactionInfo.chargingState", "Idle")
    if not tx.fixed_cable(ctx):  # "when the station has a detachable cable on its side"
        if present_again:
            await physical.present(ctx, step=None)  # the cable stays locked for its owner
        await tx.unplug_station_side(ctx)
    await tx.status(ctx, "Available", since=since, step=3)


@scenario("TC_E_24_CS", physical=(*CHARGE, "ev_suspend", "unplug_ev_side", "unplug_station_side"))
async def ev_side_unlock(ctx: ChargerRun) -> None:
    if tx.fixed_cable(ctx):
        ctx.not_applicable(f"the charger declares a {tx.FIXED_CABLE.lower()} (prerequisite)")
    await configure(
        ctx,
        {
            "TxCtrlr/StopTxOnEVSideDisconnect": "true",
            "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "true",
        },
    )
    await tx.charging_local(ctx)
    await tx.energy_transfer_suspended(ctx, step=None)
    await _ev_side_then_station_side(ctx, present_again=False)


@scenario("TC_E_25_CS", physical=(*CHARGE, "ev_suspend", "unplug_ev_side", "unplug_station_side"))
async def ev_side_keep_locked(ctx: ChargerRun) -> None:
    await configure(
        ctx,
        {
            "TxCtrlr/StopTxOnEVSideDisconnect": "true",
            "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false",
        },
    )
    await tx.charging_local(ctx)
    await tx.energy_transfer_suspended(ctx, step=None)
    await _ev_side_then_station_side(ctx, present_again=True)


@scenario("TC_E_26_CS", physical=(*CHARGE, "unplug_ev_side"))
async def ev_side_suspend(ctx: ChargerRun) -> None:
    await tx.tx_points(ctx, stop="Authorized")
    await configure(
        ctx,
        {
            "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false",
            "TxCtrlr/StopTxOnEVSideDisconnect": "false",
        },
    )
    # The case's table lists no state; the transaction it suspends is a charging one.
    await tx.charging_local(ctx)
    await _ev_side_lost(ctx, reasons=(), kind="Updated")
    if tx.fixed_cable(ctx):  # step 3, with a permanently attached cable only
        await tx.status(ctx, "Available", since=ctx.memory["tx.unplug_mark"], step=3)
    since = ctx.mark()
    await physical.plug_in(ctx, step=None)  # reconnect on the EV side
    plugged = await tx.tx_event(ctx, since=since, step=5)
    ctx.check(5, TE, plugged, "triggerReason", "CablePluggedIn")
    ctx.check(5, TE, plugged, "transactionInfo.chargingState", "EVConnected")
    ctx.check(5, TE, plugged, "eventType", "Updated")
    after = tx.after(ctx, plugged)
    charging_again = await tx.tx_event(ctx, since=after, step=7)
    ctx.check(7, TE, charging_again, "triggerReason", "ChargingStateChanged")
    ctx.check(7, TE, charging_again, "transactionInfo.chargingState", "Charging")
    ctx.check(7, TE, charging_again, "eventType", "Updated")


@scenario("TC_E_27_CS", physical=(*CHARGE, "ev_suspend", "unplug_ev_side"))
async def ev_side_fixed_cable_timeout(ctx: ChargerRun) -> None:
    tx.needs(ctx, tx.FIXED_CABLE)
    await tx.tx_points(ctx, stop="Authorized")
    await configure(
        ctx,
        {
            "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false",
            "TxCtrlr/StopTxOnEVSideDisconnect": "false",
        },
    )
    await tx.charging_local(ctx)
    await tx.energy_transfer_suspended(ctx, step=None)
    await _ev_side_lost(ctx, reasons=(), kind="Updated")
    since = ctx.memory["tx.unplug_mark"]
    await tx.status(ctx, "Available", since=since, step=3)
    event = await tx.tx_event(
        ctx,
        since=since,
        step=5,
        match=lambda p: p.get("triggerReason") == "EVConnectTimeout",
        timeout=ctx.settings.timeout * 3,
        what="a TransactionEventRequest EVConnectTimeout",
    )
    if "Authorized" in tx.stop_points(ctx):
        ctx.check(5, TE, event, "eventType", "Ended")
        ctx.check(5, TE, event, "transactionInfo.stoppedReason", "Timeout")
    else:
        ctx.check(5, TE, event, "eventType", "Updated")
