"""2.0.1 transaction states of the charging-station cases of blocks E, G and I.

The reusable states of part 6 §2.18 a transaction goes through (ParkingBayOccupied,
EVConnectedPreSession, Authorized local/remote, EnergyTransferStarted,
EnergyTransferSuspended, StopAuthorized, EVConnectedPostSession, EVDisconnected,
ParkingBayUnoccupied) with their tool validations, and the configuration states the
cases start from (TxStartPoint/TxStopPoint and the other TxCtrlr variables).

Which TransactionEventRequests a state expects depends on the station's start and
stop points, as the notes of each state say: the points are read from the station
(or set by the case) before the first state, and every state looks at them.

Two general tool rules of §2.1 overrule a state's own triggerReason: after a remote
start, the first TransactionEventRequest carries RemoteStart; after a local
authorization, the first one carries the idToken, which E02.FR.20 / E03.FR.01 give
triggerReason Authorized. ``trigger`` accepts that reason for the first event after
an authorization that no event has reported yet.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.evidence import NotApplicable
from bench.conformance.expect import Expectation, absent_or, one_of, present

START = "TxCtrlr/TxStartPoint"
STOP = "TxCtrlr/TxStopPoint"
_AUTH_PENDING = "tx.auth_pending"  # the trigger the next event may carry instead (see above)


# ---------------------------------------------------------------- features and configuration
def needs(ctx: ChargerRun, name: str, *part5_ids: str) -> None:
    """An optional feature of part 5 §"Optional features Charging Station" (or a property a
    case's prerequisite names) the case needs: declared by its name or one of its ids,
    or the case is not applicable."""
    declared = ctx.settings.features
    if name in declared or any(i in declared for i in part5_ids):
        return
    ids = " or ".join(part5_ids)
    raise NotApplicable(
        f"the charging station does not declare the optional feature {name}"
        + (f" (part 5 {ids})" if ids else "")
    )


async def pause(ctx: ChargerRun) -> None:
    """The moment between two of a driver's actions while the station is offline: with no
    message to wait for, the station gets this long to act on the first (a person takes
    longer; the bench's own station needs milliseconds)."""
    await asyncio.sleep(float(ctx.settings.extra.get("offline_action_pause", "0.5")))


async def settled(ctx: ChargerRun, *, quiet: float = 0.5) -> None:
    """The station's requests so far are answered and no TransactionEventRequest comes for
    ``quiet`` seconds: what a state made has left the station's queue."""
    for _ in range(50):
        mark = ctx.mark()
        rec = await ctx.find_frame(
            lambda r: r.direction == "rx" and r.type == "CALL" and r.action == "TransactionEvent",
            since=mark,
            timeout=quiet,
        )
        if rec is None:
            return


def points(text: str | None) -> set[str]:
    return {p.strip() for p in (text or "").split(",") if p.strip()}


def _set_data(name: str, value: str) -> dict[str, Any]:
    component, var, instance = v201.variable(name)
    v: dict[str, Any] = {"name": var}
    if instance is not None:
        v["instance"] = instance
    return {"attributeValue": value, "component": {"name": component}, "variable": v}


async def set_variable(ctx: ChargerRun, name: str, value: str, *, step: int | None) -> str:
    """SetVariables of one value; the attributeStatus the station answers."""
    reply = await ctx.request(
        "SetVariables", {"setVariableData": [_set_data(name, value)]}, step=step
    )
    result = (reply.get("setVariableResult") or [{}])[0]
    return str(result.get("attributeStatus", ""))


async def tx_points(
    ctx: ChargerRun, *, start: str | None = None, stop: str | None = None, step: int | None = None
) -> None:
    """Configuration state "TxStartPoint / TxStopPoint contains X": written when the
    station lets it; a station whose point is ReadOnly without X makes the case not
    applicable (the cases' prerequisites). Then the points are known to the states."""
    for name, want in ((START, start), (STOP, stop)):
        if want is None:
            continue
        status = await set_variable(ctx, name, want, step=step)
        if status in ("Accepted", "RebootRequired"):
            ctx.memory[name] = points(want)
            continue
        actual = await v201.get_variable(ctx, name, step=step)
        if points(want) <= points(actual):
            ctx.memory[name] = points(actual)
            continue
        ctx.not_applicable(
            f"{name} cannot be made to contain {want} (SetVariables {status}; it holds {actual})"
        )
    await known_points(ctx, step=step)


async def known_points(ctx: ChargerRun, *, step: int | None = None) -> None:
    """The station's start and stop points (the OCTT's <Configured TxStartPoint>)."""
    for name in (START, STOP):
        if name not in ctx.memory:
            ctx.memory[name] = points(await v201.get_variable(ctx, name, step=step))


def start_points(ctx: ChargerRun) -> set[str]:
    return set(ctx.memory.get(START, set()))


def stop_points(ctx: ChargerRun) -> set[str]:
    return set(ctx.memory.get(STOP, set()))


async def configure_if_implemented(
    ctx: ChargerRun, values: dict[str, str], *, step: int | None = None
) -> None:
    """Configuration values the case marks "(If implemented [AND ReadWrite])": written,
    and a station without the variable, or with it ReadOnly, goes on as it is."""
    for name, value in values.items():
        await set_variable(ctx, name, value, step=step)


# ---------------------------------------------------------------- the transaction's events
def remember(ctx: ChargerRun, event: dict[str, Any]) -> dict[str, Any]:
    """Keep the transaction id and whether the authorization has been reported."""
    info = event.get("transactionInfo") or {}
    if info.get("transactionId"):
        ctx.memory["transaction_id"] = info["transactionId"]
    if "idToken" in event or event.get("triggerReason") in ("Authorized", "RemoteStart"):
        ctx.memory.pop(_AUTH_PENDING, None)
    return event


def in_transaction(ctx: ChargerRun) -> bool:
    return bool(ctx.memory.get("tx.started")) and not ctx.memory.get("tx.ended")


def note_event(ctx: ChargerRun, event: dict[str, Any]) -> None:
    kind = event.get("eventType")
    if kind == "Started":
        ctx.memory["tx.started"] = True
        ctx.memory.pop("tx.ended", None)
    elif kind == "Ended":
        ctx.memory["tx.ended"] = True


async def tx_event(
    ctx: ChargerRun,
    *,
    since: int,
    step: int | None,
    what: str = "",
    match: v201.Match | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """The station's next TransactionEventRequest from ``since`` (that ``match``es)."""
    event = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=match,
        what=what or "the station's TransactionEventRequest",
        timeout=timeout,
    )
    note_event(ctx, event)
    # What the authorization rule allows for *this* event (``trigger``), before it is used
    # up; kept per event, as two states may both look at the same one.
    seen = ctx.memory.setdefault("tx.pending_by_event", {})
    key = ((event.get("transactionInfo") or {}).get("transactionId"), event.get("seqNo"))
    seen.setdefault(key, ctx.memory.get(_AUTH_PENDING))
    ctx.memory["tx.pending_for_last"] = seen[key]
    return remember(ctx, event)


def authorization_pending(ctx: ChargerRun, reason: str = "Authorized") -> None:
    """The driver was just authorized (``reason`` Authorized or RemoteStart): the next
    TransactionEventRequest may carry that trigger (module doc)."""
    ctx.memory[_AUTH_PENDING] = reason


def trigger(ctx: ChargerRun, *usual: str) -> Expectation:
    """The triggerReason a state expects of the event just received, or the pending
    authorization's (module doc)."""
    pending = ctx.memory.get("tx.pending_for_last")
    return one_of(*usual, pending) if pending and pending not in usual else one_of(*usual)


def check_token(ctx: ChargerRun, step: int | None, message: str, payload: dict[str, Any]) -> None:
    ctx.check(step, message, payload, "idToken.idToken", ctx.valid_token)
    ctx.check(step, message, payload, "idToken.type", ctx.settings.valid_id_token_type)


def check_evse(ctx: ChargerRun, step: int | None, event: dict[str, Any]) -> None:
    ctx.check(step, "TransactionEventRequest", event, "evse.id", ctx.settings.evse_id)
    ctx.check(step, "TransactionEventRequest", event, "evse.connectorId", ctx.settings.connector_id)


def _availability_event(p: dict[str, Any], evse: int, cid: int, wanted: str) -> bool:
    """A NotifyEventRequest AvailabilityState of the connector (E02.FR.05's alternative)."""
    for data in p.get("eventData") or []:
        component = data.get("component") or {}
        where = component.get("evse") or {}
        if (
            component.get("name") == "Connector"
            and (data.get("variable") or {}).get("name") == "AvailabilityState"
            and where.get("id") == evse
            and where.get("connectorId", cid) == cid
            and data.get("actualValue") == wanted
        ):
            return True
    return False


async def status(
    ctx: ChargerRun,
    wanted: str,
    *,
    since: int,
    step: int | None,
    evse_id: int | None = None,
    connector_id: int | None = None,
) -> dict[str, Any]:
    """The connector's new state: a StatusNotificationRequest (or the NotifyEventRequest
    AvailabilityState 2.0.1 allows instead), checked field by field."""
    evse = ctx.settings.evse_id if evse_id is None else evse_id
    cid = ctx.settings.connector_id if connector_id is None else connector_id

    def wanted_frame(rec: Any) -> bool:
        if rec.direction != "rx" or rec.type != "CALL":
            return False
        p = rec.payload if isinstance(rec.payload, dict) else {}
        if rec.action == "StatusNotification":
            return bool(
                p.get("evseId") == evse
                and p.get("connectorId") == cid
                and p.get("connectorStatus") == wanted
            )
        return rec.action == "NotifyEvent" and _availability_event(p, evse, cid, wanted)

    rec = await ctx.wait_frame(
        wanted_frame,
        since=since,
        what=f"a StatusNotification {wanted} for EVSE {evse} connector {cid}",
    )
    payload = rec.payload if isinstance(rec.payload, dict) else {}
    if rec.action == "NotifyEvent":
        ctx._check_valid(rec, step, "NotifyEventRequest")
        for data in payload.get("eventData") or []:
            if (data.get("variable") or {}).get("name") == "AvailabilityState":
                m = "NotifyEventRequest"
                ctx.check(step, m, data, "trigger", "Delta")
                ctx.check(step, m, data, "actualValue", wanted)
                ctx.check(step, m, data, "component.name", "Connector")
                ctx.check(step, m, data, "component.evse.id", evse)
                break
        return payload
    ctx._check_valid(rec, step, "StatusNotificationRequest")
    ctx.check(step, "StatusNotificationRequest", payload, "connectorStatus", wanted)
    ctx.check(step, "StatusNotificationRequest", payload, "evseId", evse)
    ctx.check(step, "StatusNotificationRequest", payload, "connectorId", cid)
    return payload


def connectors(ctx: ChargerRun) -> list[tuple[int, int]]:
    """The station's connectors (EVSE id, connector id) as its StatusNotifications named
    them in this case; the configured one at least."""
    seen = {(ctx.settings.evse_id, ctx.settings.connector_id)}
    for rec in ctx.frames:
        if rec.direction == "rx" and rec.type == "CALL" and rec.action == "StatusNotification":
            p = rec.payload if isinstance(rec.payload, dict) else {}
            if isinstance(p.get("evseId"), int) and isinstance(p.get("connectorId"), int):
                seen.add((p["evseId"], p["connectorId"]))
    return sorted(seen)


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
    authorized = _AUTH_PENDING in ctx.memory or in_transaction(ctx)
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


def ended(p: dict[str, Any]) -> bool:
    return p.get("eventType") == "Ended"


def after(ctx: ChargerRun, payload: dict[str, Any]) -> int:
    """The frame position just after the station's request whose payload this is."""
    for index in range(len(ctx.frames) - 1, -1, -1):
        if ctx.frames[index].payload is payload:
            return index + 1
    return ctx.mark()


__all__ = ["START", "STOP", "absent_or", "present"]
