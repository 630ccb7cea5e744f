"""2.0.1 transaction states of the charging-station cases of blocks E, G and I.

The reusable states of part 6 §2.18 a transaction goes through (EVConnectedPreSession,
Authorized local/remote, EnergyTransferStarted, EnergyTransferSuspended,
StopAuthorized, EVConnectedPostSession, EVDisconnected, ParkingBayUnoccupied) with
their tool validations. Which TransactionEventRequests a state expects depends on the
station's start and stop points, as the notes of each state say (``states_tx_events``,
whose helpers this module passes on to the scenarios).

ParkingBayOccupied is optional by the document ("there may not be a parking bay
occupancy sensor"): the states skip it; the cases about the bay ask for it.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states_tx_events import (
    START,
    STOP,
    after,
    authorization_is_pending,
    authorization_pending,
    check_evse,
    check_token,
    configure_if_implemented,
    connectors,
    ended,
    in_transaction,
    known_points,
    needs,
    note_event,
    points,
    remember,
    set_variable,
    settled,
    start_points,
    status,
    stop_points,
    trigger,
    tx_event,
    tx_points,
    validated,
)
from bench.conformance.expect import absent_or, one_of

__all__ = [
    "START",
    "STOP",
    "after",
    "authorization_is_pending",
    "authorization_pending",
    "check_evse",
    "check_token",
    "configure_if_implemented",
    "connectors",
    "ended",
    "in_transaction",
    "known_points",
    "needs",
    "note_event",
    "points",
    "remember",
    "set_variable",
    "settled",
    "start_points",
    "status",
    "stop_points",
    "trigger",
    "tx_event",
    "tx_points",
    "validated",
]

# AuthCtrlr values most cases start from: authorization on, remote authorization allowed.
AUTH_ON = {"AuthCtrlr/Enabled": "true", "AuthCtrlr/DisableRemoteAuthorization": "false"}


async def auth_on(ctx: ChargerRun) -> None:
    """AuthCtrlr.AuthEnabled true, DisableRemoteAuthorization false (if implemented)."""
    await configure_if_implemented(ctx, AUTH_ON)


# ---------------------------------------------------------------- reusable states
def _at(step: int | None, offset: int) -> int | None:
    """The step ``offset`` after a state's first (None: a state played before the case)."""
    return None if step is None else step + offset


async def authorized_local(
    ctx: ChargerRun, *, step: int | None = 1, token: str | None = None
) -> dict[str, Any] | None:
    """Reusable state Authorized (A, local): AuthorizeRequest with the token, then a
    TransactionEventRequest Authorized when TxStartPoint contains Authorized or the
    transaction already runs. Returns that event (None when none is expected)."""
    since = ctx.mark()
    tag = token or ctx.valid_token
    await physical.present(ctx, tag, step=step)
    request = await ctx.station_request("Authorize", step=step, since=since)
    ctx.check(step, "AuthorizeRequest", request, "idToken.idToken", tag)
    ctx.check(step, "AuthorizeRequest", request, "idToken.type", ctx.settings.valid_id_token_type)
    authorization_pending(ctx, "Authorized")
    if not ("Authorized" in start_points(ctx) or in_transaction(ctx)):
        return None
    event = await tx_event(ctx, since=since, step=_at(step, 2))
    ctx.check(_at(step, 2), "TransactionEventRequest", event, "triggerReason", "Authorized")
    ctx.check(_at(step, 2), "TransactionEventRequest", event, "idToken.idToken", tag)
    ctx.check(
        _at(step, 2),
        "TransactionEventRequest",
        event,
        "idToken.type",
        ctx.settings.valid_id_token_type,
    )
    return event


async def authorized_remote(ctx: ChargerRun, *, step: int | None = 1) -> dict[str, Any] | None:
    """Reusable state Authorized (B, remote): RequestStartTransaction Accepted, an
    AuthorizeRequest if the station sends one, and the TransactionEventRequest
    RemoteStart with the remoteStartId when the transaction starts or already runs."""
    since = ctx.mark()
    remote_id = 1000 + len(ctx.frames)
    ctx.memory["remote_start_id"] = remote_id
    running = in_transaction(ctx)
    reply = await ctx.request(
        "RequestStartTransaction",
        {"idToken": ctx.id_token(), "evseId": ctx.settings.evse_id, "remoteStartId": remote_id},
        step=step,
    )
    ctx.require(_at(step, 1), "RequestStartTransactionResponse", reply, "status", "Accepted")
    if running:
        ctx.check(
            _at(step, 1),
            "RequestStartTransactionResponse",
            reply,
            "transactionId",
            ctx.memory.get("transaction_id"),
        )
    authorization_pending(ctx, "RemoteStart")
    if not (running or "Authorized" in start_points(ctx)):
        return None  # without a transaction yet, the event comes with the cable (a later state)
    event = await tx_event(ctx, since=since, step=_at(step, 4))
    _check_remote_start(ctx, _at(step, 4), event, since)
    return event


def _check_remote_start(
    ctx: ChargerRun, step: int | None, event: dict[str, Any], since: int
) -> None:
    ctx.check(step, "TransactionEventRequest", event, "triggerReason", "RemoteStart")
    ctx.check(
        step,
        "TransactionEventRequest",
        event,
        "transactionInfo.remoteStartId",
        ctx.memory.get("remote_start_id"),
    )
    check_token(ctx, step, "TransactionEventRequest", event)
    # Step 3: the AuthorizeRequest, where the station sends one (AuthorizeRemoteStart).
    for rec in ctx.frames[since:]:
        if rec.direction == "rx" and rec.type == "CALL" and rec.action == "Authorize":
            check_token(ctx, _at(step, -2), "AuthorizeRequest", rec.payload or {})
            break


async def ev_connected_pre_session(
    ctx: ChargerRun, *, step: int | None = 1, physical_key: str = "plug_in"
) -> dict[str, Any] | None:
    """Reusable state EVConnectedPreSession: the cable; StatusNotification Occupied; a
    TransactionEventRequest when TxStartPoint contains EVConnected (or ParkingBay-
    Occupancy / Authorized, the transaction already running) or the authorization
    before it makes the station start one (PowerPathClosed)."""
    since = ctx.mark()
    authorized = authorization_is_pending(ctx) or in_transaction(ctx)
    if physical_key == "plug_in":
        await physical.plug_in(ctx, step=step)
    else:
        await ctx.physical(
            physical_key,
            "Set the EV to a state in which it is NOT ready for energy transfer, "
            f"then connect it to connector {ctx.settings.connector_id}.",
            step=step,
            connector_id=ctx.settings.connector_id,
            ev_template=ctx.settings.ev_template,
        )
    await status(ctx, "Occupied", since=since, step=step)
    starts = start_points(ctx)
    expected = in_transaction(ctx) or "EVConnected" in starts
    if authorized and "PowerPathClosed" in starts:
        expected = True
    if not expected:
        return None
    event = await tx_event(ctx, since=since, step=_at(step, 2))
    ctx.check(
        _at(step, 2),
        "TransactionEventRequest",
        event,
        "triggerReason",
        trigger(ctx, "CablePluggedIn", "ChargingStateChanged", "RemoteStart"),
    )
    states = ("EVConnected", "SuspendedEVSE", "Charging") if authorized else ("EVConnected",)
    if authorized:
        states = (*states, "SuspendedEV")  # an EV that is not ready (TC_E_38_CS)
    ctx.check(
        _at(step, 2),
        "TransactionEventRequest",
        event,
        "transactionInfo.chargingState",
        one_of(*states),
    )
    check_evse(ctx, _at(step, 2), event)
    return event


def _is_charging(p: dict[str, Any]) -> bool:
    return (p.get("transactionInfo") or {}).get("chargingState") == "Charging"


async def energy_transfer_started(
    ctx: ChargerRun, *, step: int | None = 1, plug: bool = True, since: int | None = None
) -> dict[str, Any]:
    """Reusable state EnergyTransferStarted (the driver authorized, or the EV connected,
    before): part 1 the cable, when not connected yet; part 2 the TransactionEvent-
    Request with chargingState Charging (trigger ChargingStateChanged). Returns it.
    ``since``: where to look from, when the state before may have started the energy."""
    since = ctx.mark() if since is None else since
    if plug:
        await physical.plug_in(ctx, step=step)
        await status(ctx, "Occupied", since=since, step=step)
        if in_transaction(ctx) or "EVConnected" in start_points(ctx):
            first = await tx_event(ctx, since=since, step=_at(step, 2))
            if not _is_charging(first):
                ctx.check(
                    _at(step, 2),
                    "TransactionEventRequest",
                    first,
                    "triggerReason",
                    trigger(ctx, "CablePluggedIn"),
                )
                ctx.check(
                    _at(step, 2),
                    "TransactionEventRequest",
                    first,
                    "transactionInfo.chargingState",
                    one_of("EVConnected", "SuspendedEV", "SuspendedEVSE"),
                )
    charging = await tx_event(
        ctx,
        since=since,
        step=_at(step, 8),
        match=_is_charging,
        what="a TransactionEventRequest with chargingState Charging",
    )
    ctx.check(
        _at(step, 8),
        "TransactionEventRequest",
        charging,
        "triggerReason",
        trigger(ctx, "ChargingStateChanged", "CablePluggedIn")
        if plug
        else trigger(ctx, "ChargingStateChanged"),
    )
    return charging


async def energy_transfer_suspended(
    ctx: ChargerRun, *, step: int | None = 1
) -> dict[str, Any] | None:
    """Reusable state EnergyTransferSuspended: the EV suspends; the TransactionEvent-
    Request (Updated SuspendedEV, or Ended StoppedByEV when TxStopPoint has EnergyTransfer)."""
    since = ctx.mark()
    await physical.ev_suspend(ctx, step=step)
    event = await tx_event(
        ctx,
        since=since,
        step=step,
        match=lambda p: (
            (p.get("transactionInfo") or {}).get("chargingState") in ("EVConnected", "SuspendedEV")
            or p.get("eventType") == "Ended"
        ),
        what="a TransactionEventRequest with chargingState SuspendedEV or EVConnected",
    )
    m = "TransactionEventRequest"
    ctx.check(step, m, event, "eventType", one_of("Ended", "Updated"))
    ctx.check(step, m, event, "transactionInfo.chargingState", one_of("EVConnected", "SuspendedEV"))
    if (event.get("transactionInfo") or {}).get("chargingState") == "SuspendedEV":
        ctx.check(step, m, event, "triggerReason", "ChargingStateChanged")
    if event.get("eventType") == "Ended":
        ctx.check(step, m, event, "transactionInfo.stoppedReason", "StoppedByEV")
    return event


async def stop_authorized_local(ctx: ChargerRun, *, step: int | None = 1) -> dict[str, Any]:
    """Reusable state StopAuthorized (A, local): the same token again; the Transaction-
    EventRequest StopAuthorized (idToken omitted or the token)."""
    since = ctx.mark()
    await physical.present(ctx, ctx.valid_token, step=step)
    event = await tx_event(ctx, since=since, step=step)
    m = "TransactionEventRequest"
    ctx.check(step, m, event, "triggerReason", "StopAuthorized")
    if "idToken" in event:
        check_token(ctx, step, m, event)
    if event.get("eventType") == "Ended":
        ctx.check(step, m, event, "transactionInfo.stoppedReason", absent_or("Local"))
    return event


async def stop_authorized_remote(ctx: ChargerRun, *, step: int | None = 1) -> dict[str, Any]:
    """Reusable state StopAuthorized (B, remote): RequestStopTransaction Accepted and the
    TransactionEventRequest RemoteStop."""
    since = ctx.mark()
    reply = await ctx.request(
        "RequestStopTransaction", {"transactionId": v201.transaction_id(ctx)}, step=step
    )
    ctx.require(_at(step, 1), "RequestStopTransactionResponse", reply, "status", "Accepted")
    event = await tx_event(ctx, since=since, step=_at(step, 2))
    ctx.check(_at(step, 2), "TransactionEventRequest", event, "triggerReason", "RemoteStop")
    return event


async def ev_connected_post_session(
    ctx: ChargerRun, *, step: int | None = 1, stop: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Reusable state EVConnectedPostSession: when the stop did not end the transaction
    (TxStopPoint without Authorized/PowerPathClosed), its event says EVConnected; done
    already when the StopAuthorized event said so."""
    if not in_transaction(ctx):
        return None
    if stop is not None and (stop.get("transactionInfo") or {}).get("chargingState"):
        ctx.check(
            step,
            "TransactionEventRequest",
            stop,
            "transactionInfo.chargingState",
            "EVConnected",
        )
        return stop
    since = ctx.memory.get("tx.stop_mark", ctx.mark())
    event = await tx_event(
        ctx,
        since=since,
        step=step,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "EVConnected",
        what="a TransactionEventRequest with chargingState EVConnected",
    )
    ctx.check(step, "TransactionEventRequest", event, "triggerReason", "ChargingStateChanged")
    return event


async def ev_disconnected(
    ctx: ChargerRun, *, step: int | None = 1, unplug_key: str = "unplug"
) -> dict[str, Any] | None:
    """Reusable state EVDisconnected: the cable out; StatusNotification Available; the
    TransactionEventRequest EVCommunicationLost/Idle when the transaction still ran."""
    since = ctx.mark()
    running = in_transaction(ctx)
    if unplug_key == "unplug":
        await physical.unplug(ctx, step=step)
    else:
        await ctx.physical(
            unplug_key,
            f"Disconnect the EV and EVSE on EV side (connector {ctx.settings.connector_id}).",
            step=step,
            connector_id=ctx.settings.connector_id,
        )
    await status(ctx, "Available", since=since, step=step)
    if not running:
        return None
    event = await tx_event(ctx, since=since, step=_at(step, 2))
    lost = ["EVCommunicationLost"]
    if "ParkingBayOccupancy" in stop_points(ctx):
        lost.append("EVDeparted")  # a bay detector that is the plug: the EV left with it
    ctx.check(_at(step, 2), "TransactionEventRequest", event, "triggerReason", one_of(*lost))
    ctx.check(
        _at(step, 2), "TransactionEventRequest", event, "transactionInfo.chargingState", "Idle"
    )
    return event


async def parking_bay_unoccupied(ctx: ChargerRun, *, step: int | None = 1) -> dict[str, Any] | None:
    """Reusable state ParkingBayUnoccupied: the EV drives away; with TxStopPoint
    ParkingBayOccupancy a transaction still running ends EVDeparted."""
    running = in_transaction(ctx)
    since = ctx.mark()
    if "ParkingBayOccupancy" not in stop_points(ctx) or not running:
        return None  # the state is optional without a parking bay stop point
    await ev_leave_bay(ctx, step=step)
    event = await tx_event(ctx, since=since, step=step)
    m = "TransactionEventRequest"
    ctx.check(step, m, event, "triggerReason", "EVDeparted")
    ctx.check(step, m, event, "transactionInfo.stoppedReason", "Local")
    ctx.check(step, m, event, "eventType", "Ended")
    return event


async def ev_leave_bay(ctx: ChargerRun, *, step: int | None = None) -> None:
    await ctx.physical(
        "ev_leave_bay",
        "Drive the EV out of the parking bay.",
        step=step,
        connector_id=ctx.settings.connector_id,
    )


async def ev_enter_bay(ctx: ChargerRun, *, step: int | None = None) -> None:
    await ctx.physical(
        "ev_enter_bay",
        "Drive the EV into the parking bay.",
        step=step,
        connector_id=ctx.settings.connector_id,
        ev_template=ctx.settings.ev_template,
    )


async def full_stop_local(ctx: ChargerRun, *, step: int | None = 1) -> None:
    """StopAuthorized (local), EVConnectedPostSession, EVDisconnected, ParkingBayUnoccupied."""
    stop = await stop_authorized_local(ctx, step=step)
    await ev_connected_post_session(ctx, step=_at(step, 1), stop=stop)
    await ev_disconnected(ctx, step=_at(step, 2))
    await parking_bay_unoccupied(ctx, step=_at(step, 3))


async def charging_local(ctx: ChargerRun, *, step: int | None = None) -> dict[str, Any]:
    """Reusable state EnergyTransferStarted, from a local authorization (the default)."""
    await known_points(ctx)
    await authorized_local(ctx, step=step or 1)
    return await energy_transfer_started(ctx, step=step or 1)


# A property of the charger the E09/E10 cases depend on (their prerequisites and notes):
# declared by the operator like a part 5 feature.
FIXED_CABLE = "Permanently attached cable"


def fixed_cable(ctx: ChargerRun) -> bool:
    """Does the charger have a cable permanently attached on its side?"""
    return FIXED_CABLE in ctx.settings.features


async def unplug_ev_side(ctx: ChargerRun) -> None:
    await ctx.physical(
        "unplug_ev_side",
        "Disconnect the EV and EVSE on EV side (the EVSE loses the connection with the EV).",
        connector_id=ctx.settings.connector_id,
    )


async def unplug_station_side(ctx: ChargerRun) -> None:
    await ctx.physical(
        "unplug_station_side",
        "Disconnect the EV and EVSE on Charging Station side (take the cable out of the socket).",
        connector_id=ctx.settings.connector_id,
    )
