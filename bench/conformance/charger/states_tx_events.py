"""2.0.1 transactions as the bench sees them in the charging-station cases: the
configuration they start from, the station's TransactionEventRequests and statuses.

``tx_points`` writes a case's "TxStartPoint / TxStopPoint contains X" (or makes the case
not applicable when the station cannot have it); ``known_points`` reads them, as the
reusable states (``states_tx``) decide from them which events to expect. ``tx_event``
waits for the next TransactionEventRequest and keeps what the states need to know of
it: the transaction id, whether a transaction runs, and whether the driver's
authorization has been reported yet.

Two general tool rules of part 6 §2.1 overrule a state's own triggerReason: after a
remote start, the first TransactionEventRequest carries RemoteStart; after a local
authorization, the first one carries the idToken, which E02.FR.20 / E03.FR.01 give
triggerReason Authorized. ``trigger`` accepts that reason for the first event after
an authorization that no event has reported yet.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.evidence import NotApplicable
from bench.conformance.expect import Expectation, one_of

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


def authorization_is_pending(ctx: ChargerRun) -> bool:
    return _AUTH_PENDING in ctx.memory


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
    await validated(ctx, rec, step)
    if rec.action == "NotifyEvent":
        for data in payload.get("eventData") or []:
            if (data.get("variable") or {}).get("name") == "AvailabilityState":
                m = "NotifyEventRequest"
                ctx.check(step, m, data, "trigger", "Delta")
                ctx.check(step, m, data, "actualValue", wanted)
                ctx.check(step, m, data, "component.name", "Connector")
                ctx.check(step, m, data, "component.evse.id", evse)
                break
        return payload
    ctx.check(step, "StatusNotificationRequest", payload, "connectorStatus", wanted)
    ctx.check(step, "StatusNotificationRequest", payload, "evseId", evse)
    ctx.check(step, "StatusNotificationRequest", payload, "connectorId", cid)
    return payload


async def validated(ctx: ChargerRun, rec: Any, step: int | None) -> None:
    """The schema check of a station request found by ``find_frame``/``wait_frame`` (the
    same check ``station_frame`` makes)."""
    await ctx.station_frame(
        str(rec.action),
        step=step,
        since=ctx.frames.index(rec),
        match=lambda p: p is rec.payload,
        timeout=1.0,
    )


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


def ended(p: dict[str, Any]) -> bool:
    return p.get("eventType") == "Ended"


def after(ctx: ChargerRun, payload: dict[str, Any]) -> int:
    """The frame position just after the station's request whose payload this is."""
    for index in range(len(ctx.frames) - 1, -1, -1):
        if ctx.frames[index].payload is payload:
            return index + 1
    return ctx.mark()


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
