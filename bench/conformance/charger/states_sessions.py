"""2.0.1 transaction sessions as several block B and J cases use them.

The reusable states that end a session (StopAuthorized, EVConnectedPostSession,
EVDisconnected, ParkingBayUnoccupied), each only as far as the transaction still runs,
and EnergyTransferStarted on one EVSE of several (authorized remotely, so one token
serves every EVSE).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states_provisioning import new_request_id

Match = Callable[[dict[str, Any]], bool]


def _tx_id(payload: dict[str, Any]) -> Any:
    return (payload.get("transactionInfo") or {}).get("transactionId")


def ended_since(
    ctx: ChargerRun, since: int, transaction_id: str | None = None
) -> dict[str, Any] | None:
    """The TransactionEventRequest Ended (of ``transaction_id``, if given) the station
    sent from ``since`` on, if any."""
    for rec in ctx.frames[since:]:
        if rec.direction == "rx" and rec.type == "CALL" and rec.action == "TransactionEvent":
            payload = rec.payload if isinstance(rec.payload, dict) else {}
            if payload.get("eventType") != "Ended":
                continue
            if transaction_id is None or _tx_id(payload) == transaction_id:
                return payload
    return None


async def charging_on(ctx: ChargerRun, evse_id: int, connector: int, *, step: int) -> str:
    """Reusable state EnergyTransferStarted on one EVSE of several, authorized remotely
    (reusable state Authorized, Main B: RequestStartTransaction for that EVSE, so the
    same token can start a second one), the EV plugged into ``connector`` and a
    TransactionEvent Charging for that EVSE. Returns the transaction id."""
    since = ctx.mark()
    remote_id = new_request_id()
    reply = await ctx.request(
        "RequestStartTransaction",
        {"idToken": ctx.id_token(), "remoteStartId": remote_id, "evseId": evse_id},
        step=step,
    )
    ctx.require(step + 1, "RequestStartTransactionResponse", reply, "status", "Accepted")
    plugged = ctx.mark()
    await physical.plug_in(ctx, connector, step=step + 2)
    status = await ctx.station_request(
        "StatusNotification",
        step=step + 2,
        since=plugged,
        match=lambda p: p.get("evseId") == evse_id and p.get("connectorStatus") == "Occupied",
        what=f"a StatusNotification Occupied for EVSE {evse_id}",
    )
    ctx.check(step + 2, "StatusNotificationRequest", status, "connectorStatus", "Occupied")
    first = await ctx.station_request(
        "TransactionEvent",
        step=step + 3,
        since=since,
        match=lambda p: (p.get("transactionInfo") or {}).get("remoteStartId") == remote_id,
        what=f"the TransactionEvent of remote start {remote_id} on EVSE {evse_id}",
    )
    ctx.check(step + 3, "TransactionEventRequest", first, "triggerReason", "RemoteStart")
    tx = str(_tx_id(first))
    await ctx.station_request(
        "TransactionEvent",
        step=step + 9,
        since=since,
        match=lambda p: (
            _tx_id(p) == tx and (p.get("transactionInfo") or {}).get("chargingState") == "Charging"
        ),
        what=f"a TransactionEvent with chargingState Charging on EVSE {evse_id}",
    )
    return tx


async def end_session(
    ctx: ChargerRun,
    *,
    step: int,
    connector: int | None = None,
    transaction_id: str | None = None,
    evse_id: int | None = None,
    all_states: bool = False,
    remote: bool = False,
) -> str:
    """Reusable states StopAuthorized, EVConnectedPostSession, EVDisconnected and
    ParkingBayUnoccupied, each only as far as the transaction still runs (the station's
    TxStopPoint decides where it ends) unless ``all_states``. ``connector`` and
    ``transaction_id`` pick one session of several. Returns the state at which the
    transaction ended; ``ctx.memory["ev_unplugged"]`` says whether the EV was unplugged."""
    since = ctx.mark()
    ours: Match = (lambda p: _tx_id(p) == transaction_id) if transaction_id else (lambda p: True)
    ctx.memory["ev_unplugged"] = False
    trigger = "RemoteStop" if remote else "StopAuthorized"
    if remote and transaction_id is not None:
        reply = await ctx.request(
            "RequestStopTransaction", {"transactionId": transaction_id}, step=step
        )
        ctx.check(step, "RequestStopTransactionResponse", reply, "status", "Accepted")
    else:
        await physical.present(ctx, ctx.valid_token, connector, step=step)
    stop = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: ours(p) and p.get("triggerReason") == trigger,
        what=f"a TransactionEvent with triggerReason {trigger}",
    )
    ctx.check(step, "TransactionEventRequest", stop, "triggerReason", trigger)
    if stop.get("idToken") is not None:
        ctx.check(step, "TransactionEventRequest", stop, "idToken.idToken", ctx.valid_token)
    ended_at = ""
    if ended_since(ctx, since, transaction_id):
        ended_at = "StopAuthorized"
        if not all_states:
            return ended_at
    if not ended_at:
        # EVConnectedPostSession: the energy transfer stops, the EV stays connected.
        post = await ctx.station_request(
            "TransactionEvent",
            step=step + 1,
            since=since,
            match=lambda p: (
                ours(p) and (p.get("transactionInfo") or {}).get("chargingState") == "EVConnected"
            ),
            what="a TransactionEvent with chargingState EVConnected (EVConnectedPostSession)",
        )
        ctx.check(
            step + 1, "TransactionEventRequest", post, "triggerReason", "ChargingStateChanged"
        )
        if ended_since(ctx, since, transaction_id):
            ended_at = "EVConnectedPostSession"
            if not all_states:
                return ended_at
    # EVDisconnected
    unplugged = ctx.mark()
    await physical.unplug(ctx, connector, step=step + 2)
    ctx.memory["ev_unplugged"] = True
    evse = ctx.settings.evse_id if evse_id is None else evse_id
    available = await ctx.station_request(
        "StatusNotification",
        step=step + 2,
        since=unplugged,
        match=lambda p: p.get("evseId") == evse and p.get("connectorStatus") == "Available",
        what=f"a StatusNotification Available for EVSE {evse}",
    )
    ctx.check(step + 2, "StatusNotificationRequest", available, "connectorStatus", "Available")
    if not ended_at:
        gone = await ctx.station_request(
            "TransactionEvent",
            step=step + 2,
            since=unplugged,
            match=ours,
            what="the TransactionEvent of the EV disconnecting",
        )
        ctx.check(
            step + 2, "TransactionEventRequest", gone, "transactionInfo.chargingState", "Idle"
        )
        if ended_since(ctx, since, transaction_id):
            return "EVDisconnected"
    if ended_at:
        return ended_at
    # ParkingBayUnoccupied: only a station with a bay sensor ends its transaction here.
    ended = await ctx.station_request(
        "TransactionEvent",
        step=step + 3,
        since=since,
        match=lambda p: ours(p) and p.get("eventType") == "Ended",
        what="the TransactionEvent Ended (ParkingBayUnoccupied)",
    )
    ctx.check(step + 3, "TransactionEventRequest", ended, "triggerReason", "EVDeparted")
    return "ParkingBayUnoccupied"
