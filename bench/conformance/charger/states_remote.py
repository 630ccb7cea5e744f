"""2.0.1 states of the remote control and reservation cases (blocks F and H, CS side).

Part 6 names CS reusable states it does not spell out for the charging station
("Authorized (remote)", "StopAuthorized (remote)", "Reserved"); they are played here
as the use cases say (F01/F02, F03, H01) with §2.1's general tool rules: the first
TransactionEvent after a RequestStartTransaction has triggerReason RemoteStart and
the remoteStartId the CSMS gave.

The cases' second token (<Configured valid_idtoken2>) and group token
(<Configured groupIdToken>) come from ``ChargerSettings.extra`` (``valid_id_token2``,
``group_id_token``); the bench, as CSMS, accepts them in its AuthorizeResponses.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.expect import one_of

_REMOTE_START_IDS = itertools.count(7001)
_RESERVATION_IDS = itertools.count(301)

_NOT_THERE = ("UnknownComponent", "UnknownVariable", "NotSupportedAttributeType", "Rejected")


# ---------------------------------------------------------------- configured values
def second_token(ctx: ChargerRun) -> str:
    """<Configured valid_idtoken2_idtoken>: a second valid token of another driver."""
    return ctx.settings.extra.get("valid_id_token2", "TAG2")


def group_token(ctx: ChargerRun) -> str:
    """<Configured groupIdToken>: the group both valid tokens belong to."""
    return ctx.settings.extra.get("group_id_token", "GROUP1")


def accept_tokens(ctx: ChargerRun, *, group: bool = False, more: tuple[str, ...] = ()) -> None:
    """The bench accepts the case's valid tokens (both, and ``more``; optionally all of
    them in the group token's group)."""
    valid = {ctx.valid_token, second_token(ctx), *more}

    def authorize(payload: dict[str, Any]) -> dict[str, Any]:
        token = (payload.get("idToken") or {}).get("idToken")
        info: dict[str, Any] = {"status": "Accepted" if token in valid else "Invalid"}
        if group and token in valid:
            info["groupIdToken"] = {"idToken": group_token(ctx), "type": "Central"}
        return {"idTokenInfo": info}

    def tx_event(payload: dict[str, Any]) -> dict[str, Any]:
        if "idToken" not in payload:
            return {}
        return authorize(payload)

    ctx.answer("Authorize", authorize)
    ctx.answer("TransactionEvent", tx_event)


def evse_ids(ctx: ChargerRun) -> list[int]:
    """The station's EVSEs: those it reported a status for in this case (its boot), else
    ``extra["evse_ids"]`` ("1,2"), else the configured one."""
    seen = sorted(
        {
            int(r.payload["evseId"])
            for r in ctx.frames
            if r.direction == "rx"
            and r.type == "CALL"
            and r.action == "StatusNotification"
            and isinstance(r.payload, dict)
            and isinstance(r.payload.get("evseId"), int)
            and r.payload["evseId"] > 0
        }
    )
    if seen:
        return seen
    listed = ctx.settings.extra.get("evse_ids", "")
    if listed:
        return [int(x) for x in listed.split(",") if x.strip()]
    return [ctx.settings.evse_id]


def lacks_feature(ctx: ChargerRun, feature: str, why: str) -> None:
    """The case is for a station WITHOUT ``feature``: not applicable when declared."""
    if feature in ctx.settings.features:
        ctx.not_applicable(f"the charging station declares {feature} ({why})")


def in_hours(hours: float) -> str:
    """A dateTime ``hours`` from now (negative: in the past), as OCPP writes it."""
    when = datetime.now(UTC) + timedelta(hours=hours)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- configuration
async def configure_if_there(
    ctx: ChargerRun, values: dict[str, str], *, step: int | None = None
) -> dict[str, str]:
    """The "(If implemented)" configuration: SetVariables for each value one by one;
    a variable the station lacks or keeps read-only is left as it is. Returns the
    status of each."""
    statuses: dict[str, str] = {}
    for name, value in values.items():
        reply = await ctx.request(
            "SetVariables", {"setVariableData": [v201._set_data(name, value)]}, step=step
        )
        result = (reply.get("setVariableResult") or [{}])[0]
        status = str(result.get("attributeStatus"))
        statuses[name] = status
        if status not in _NOT_THERE:
            ctx.require(
                step,
                "SetVariablesResponse",
                result,
                "attributeStatus",
                one_of("Accepted", "RebootRequired"),
            )
    return statuses


async def configure_or_na(ctx: ChargerRun, name: str, value: str, *, why: str) -> None:
    """A value the case's prerequisite says the station supports: not applicable when the
    station refuses it."""
    status = (await configure_if_there(ctx, {name: value})).get(name)
    if status in _NOT_THERE:
        ctx.not_applicable(f"the station does not take {name} = {value} ({status}); {why}")


AUTH_REMOTE = {"AuthCtrlr/Enabled": "true", "AuthCtrlr/DisableRemoteAuthorization": "false"}


# ---------------------------------------------------------------- Authorized (remote)
async def remote_start(
    ctx: ChargerRun,
    *,
    step: int = 1,
    token: str | None = None,
    evse_id: int | None = -1,
    expect: str = "Accepted",
) -> dict[str, Any]:
    """The OCTT's RequestStartTransaction (<Configured evseId> unless ``evse_id`` None or
    another); the station's reply status must be ``expect``. Remembers the
    remoteStartId. Returns the reply."""
    remote_id = next(_REMOTE_START_IDS)
    ctx.memory["remote_start_id"] = remote_id
    request: dict[str, Any] = {"idToken": ctx.id_token(token), "remoteStartId": remote_id}
    if evse_id == -1:
        request["evseId"] = ctx.settings.evse_id
    elif evse_id is not None:
        request["evseId"] = evse_id
    ctx.memory["remote_start_mark"] = ctx.mark()
    reply = await ctx.request("RequestStartTransaction", request, step=step)
    ctx.memory["remote_start_reply"] = reply
    ctx.require(step + 1, "RequestStartTransactionResponse", reply, "status", expect)
    return reply


async def remote_started(ctx: ChargerRun, *, step: int) -> dict[str, Any]:
    """§2.1: the first TransactionEvent after the RequestStartTransaction has
    triggerReason RemoteStart and the remoteStartId. Returns it."""
    since = int(ctx.memory["remote_start_mark"])
    event = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        what="the first TransactionEvent after the RequestStartTransaction",
    )
    ctx.check(step, "TransactionEventRequest", event, "triggerReason", "RemoteStart")
    ctx.check(
        step,
        "TransactionEventRequest",
        event,
        "transactionInfo.remoteStartId",
        ctx.memory["remote_start_id"],
    )
    tx = (event.get("transactionInfo") or {}).get("transactionId")
    if tx:
        ctx.memory["transaction_id"] = tx
    return event


async def authorized_remote(
    ctx: ChargerRun,
    *,
    step: int = 1,
    token: str | None = None,
    authorize: bool | None = None,
    then_plug: bool = False,
) -> dict[str, Any]:
    """Reusable state Authorized (remote): RequestStartTransaction Accepted; with
    AuthorizeRemoteStart (``authorize`` True) the station authorizes the token first
    (F01.FR.01), without it (False) it does not (F01.FR.02). ``then_plug``: the EV is
    plugged in next (remote start first: a station whose TxStartPoint comes later
    sends its first TransactionEvent only then). Returns the first TransactionEvent
    after the request."""
    tag = token or ctx.valid_token
    since = ctx.mark()
    await remote_start(ctx, step=step, token=tag)
    if authorize:
        request = await ctx.station_request("Authorize", step=step + 2, since=since)
        ctx.check(step + 2, "AuthorizeRequest", request, "idToken.idToken", tag)
    if then_plug:
        await v201.ev_connected(ctx, step=step + 1)
    event = await remote_started(ctx, step=step + 2)
    if authorize is False:
        extra = sent(ctx, "Authorize", since)
        ctx.check_that(
            step + 2,
            "AuthorizeRequest",
            "(not sent)",
            extra is None,
            "no AuthorizeRequest for a remote start when AuthorizeRemoteStart is false",
            "none" if extra is None else f"an AuthorizeRequest {extra}",
        )
    return event


async def charging(ctx: ChargerRun, *, since: int, step: int) -> dict[str, Any]:
    """The TransactionEvent with chargingState Charging (EnergyTransferStarted)."""
    event = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
        what="a TransactionEvent with chargingState Charging",
    )
    ctx.check(step, "TransactionEventRequest", event, "transactionInfo.chargingState", "Charging")
    tx = (event.get("transactionInfo") or {}).get("transactionId")
    if tx:
        ctx.memory["transaction_id"] = tx
    return event


async def plugged_and_charging(ctx: ChargerRun, *, step: int) -> dict[str, Any]:
    """EnergyTransferStarted once authorized: the cable (Occupied), then Charging."""
    since = ctx.mark()
    await v201.ev_connected(ctx, step=step)
    return await charging(ctx, since=since, step=step)


# ---------------------------------------------------------------- StopAuthorized (remote)
async def stop_authorized_remote(ctx: ChargerRun, *, step: int = 1) -> dict[str, Any]:
    """Reusable state StopAuthorized (remote): RequestStopTransaction with the
    transaction's id, Accepted (F03.FR.07); the TransactionEvent with triggerReason
    RemoteStop (stoppedReason Remote when it ends it, F03.FR.09). Returns it."""
    tx = v201.transaction_id(ctx)
    since = ctx.mark()
    reply = await ctx.request("RequestStopTransaction", {"transactionId": tx}, step=step)
    ctx.require(step + 1, "RequestStopTransactionResponse", reply, "status", "Accepted")
    event = await ctx.station_request(
        "TransactionEvent",
        step=step + 2,
        since=since,
        match=lambda p: p.get("triggerReason") == "RemoteStop",
        what="a TransactionEvent with triggerReason RemoteStop",
    )
    ctx.check(step + 2, "TransactionEventRequest", event, "transactionInfo.transactionId", tx)
    if event.get("eventType") == "Ended":
        ctx.check(
            step + 2, "TransactionEventRequest", event, "transactionInfo.stoppedReason", "Remote"
        )
    else:
        ctx.check(step + 2, "TransactionEventRequest", event, "eventType", "Updated")
    return event


# ---------------------------------------------------------------- Reserved
async def reserve(
    ctx: ChargerRun,
    *,
    step: int = 1,
    token: str | None = None,
    evse_id: int | None = -1,
    group: str | None = None,
    connector_type: str | None = None,
    reservation_id: int | None = None,
    expiry_hours: float = 1.0,
    expect: str | None = "Accepted",
) -> dict[str, Any]:
    """The OCTT's ReserveNowRequest (for <Configured evseId> unless ``evse_id`` None or
    another); with ``expect`` the reply status must be it. Remembers the reservation id."""
    rid = next(_RESERVATION_IDS) if reservation_id is None else reservation_id
    request: dict[str, Any] = {
        "id": rid,
        "expiryDateTime": in_hours(expiry_hours),
        "idToken": ctx.id_token(token),
    }
    if evse_id == -1:
        request["evseId"] = ctx.settings.evse_id
    elif evse_id is not None:
        request["evseId"] = evse_id
    if group is not None:
        request["groupIdToken"] = {"idToken": group, "type": "Central"}
    if connector_type is not None:
        request["connectorType"] = connector_type
    reply = await ctx.request("ReserveNow", request, step=step)
    if expect is not None:
        ctx.require(step + 1, "ReserveNowResponse", reply, "status", expect)
    ctx.memory.setdefault("reservation_ids", []).append(rid)
    ctx.memory["reservation_id"] = rid
    return reply


async def reserved(ctx: ChargerRun, *, step: int = 1, **kwargs: Any) -> int:
    """Reusable state Reserved: ReserveNow Accepted and the connector Reserved. Returns
    the reservation id."""
    since = ctx.mark()
    await reserve(ctx, step=step, **kwargs)
    evse_id = kwargs.get("evse_id", -1)
    if evse_id in (-1, ctx.settings.evse_id):
        await v201.connector_status(ctx, "Reserved", since=since, step=step + 2)
    elif evse_id is not None:
        payload = await ctx.station_request(
            "StatusNotification",
            step=step + 2,
            since=since,
            match=lambda p: p.get("evseId") == evse_id and p.get("connectorStatus") == "Reserved",
            what=f"a StatusNotification Reserved for EVSE {evse_id}",
        )
        ctx.check(step + 2, "StatusNotificationRequest", payload, "connectorStatus", "Reserved")
    return int(ctx.memory["reservation_id"])


async def charging_on(ctx: ChargerRun, evse_id: int, token: str, *, step: int) -> None:
    """Reusable state EnergyTransferStarted on ``evse_id`` (the bench's station numbers
    its connectors as its EVSEs) with ``token``."""
    since = ctx.mark()
    await physical.present(ctx, token, evse_id, step=step)
    await physical.plug_in(ctx, evse_id, step=step)
    await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: (
            (p.get("transactionInfo") or {}).get("chargingState") == "Charging"
            and (p.get("evse") or {}).get("id", evse_id) == evse_id
        ),
        what=f"a TransactionEvent with chargingState Charging on EVSE {evse_id}",
    )


async def reservations_enabled(ctx: ChargerRun) -> None:
    """Prerequisite ReservationCtrlr.Available true, configuration Enabled true (If
    implemented)."""
    available = await v201.get_variable(ctx, "ReservationCtrlr/Available")
    if available is not None and available.lower() != "true":
        ctx.not_applicable(f"ReservationCtrlr.Available is {available}")
    await configure_if_there(ctx, {"ReservationCtrlr/Enabled": "true"})


async def authorized_local(
    ctx: ChargerRun, *, step: int, token: str | None = None
) -> dict[str, Any]:
    """Reusable state Authorized with ``token``: presented, AuthorizeRequest for it."""
    since = ctx.mark()
    tag = token or ctx.valid_token
    await physical.present(ctx, tag, step=step)
    request = await ctx.station_request(
        "Authorize",
        step=step,
        since=since,
        match=lambda p: (p.get("idToken") or {}).get("idToken") == tag,
        what=f"the station's AuthorizeRequest for {tag}",
    )
    ctx.check(step, "AuthorizeRequest", request, "idToken.idToken", tag)
    return request


def sent(
    ctx: ChargerRun, action: str, since: int, *, until: int | None = None
) -> dict[str, Any] | None:
    """The station's first ``action`` request from ``since`` (to ``until``) already
    received, if any."""
    for rec in ctx.frames[since:until]:
        if rec.direction == "rx" and rec.type == "CALL" and rec.action == action:
            return rec.payload if isinstance(rec.payload, dict) else {}
    return None
