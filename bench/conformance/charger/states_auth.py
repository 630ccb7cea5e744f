"""2.0.1 blocks C and D, the CS side: tokens, answers, memory states, going offline.

What the Authorization and Local Authorization List cases share, played by the
bench as the OCTT:

- the configured tokens beyond the valid and invalid one (blocked, expired, a
  second valid one, the Master Pass token) and the group ids, from
  ``ChargerSettings.extra`` with defaults;
- ``answer_tokens``: what the bench answers Authorize and TransactionEvent for each
  token (a case's "responds with idTokenInfo.status ..."); a TransactionEvent answer
  updates the station's cache too (C10.FR.05), so both must say the same;
- the memory states IdTokenCached and IdTokenLocalAuthList (part 6 §2.19);
- ``configure_optional``: a configuration state of "(If implemented)" values;
- ``offline`` / ``online``: "The OCTT closes the WebSocket connection AND does not
  accept a reconnect", then "accepts reconnection attempt";
- the TxStartPoint / TxStopPoint the station has, for the steps a case only runs
  "when TxStartPoint contains ...".
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states201 import variable
from bench.conformance.expect import one_of
from bench.ocpp.session import Reply

# <Configured ...> tokens of part 6 beyond ChargerSettings' valid and invalid one.
TOKEN_DEFAULTS = {
    "valid": "",  # ChargerSettings.valid_id_token
    "invalid": "",  # ChargerSettings.invalid_id_token
    "valid2": "TAG2",
    "blocked": "BLOCKED-TAG",
    "expired": "EXPIRED-TAG",
    "masterpass": "MASTER-TAG",
}
GROUP_DEFAULT = "GROUP1"
MASTER_PASS_GROUP_DEFAULT = "MASTERPASS"
LIST_VERSION_DEFAULT = 5  # <Configured versionNumber> (> 1 for TC_D_06_CS)


def token(ctx: ChargerRun, kind: str = "valid") -> str:
    """The configured token of ``kind`` (valid, invalid, valid2, blocked, expired, masterpass)."""
    if kind == "valid":
        return ctx.settings.valid_id_token
    if kind == "invalid":
        return ctx.settings.invalid_id_token
    return ctx.settings.extra.get(f"{kind}_id_token", TOKEN_DEFAULTS[kind])


def id_token(ctx: ChargerRun, kind: str = "valid") -> dict[str, str]:
    return {"idToken": token(ctx, kind), "type": ctx.settings.valid_id_token_type}


def group_id(ctx: ChargerRun) -> str:
    """<Configured groupIdToken>."""
    return ctx.settings.extra.get("group_id_token", GROUP_DEFAULT)


def master_pass_group(ctx: ChargerRun) -> str:
    """<Configured MasterPassGroupId>."""
    return ctx.settings.extra.get("master_pass_group_id", MASTER_PASS_GROUP_DEFAULT)


def list_version(ctx: ChargerRun) -> int:
    """<Configured versionNumber> of the Local Authorization List."""
    return int(ctx.settings.extra.get("local_list_version", LIST_VERSION_DEFAULT))


def info(ctx: ChargerRun, status: str, *, group: str | None = None) -> dict[str, Any]:
    """An IdTokenInfoType with ``status`` (and a groupIdToken)."""
    out: dict[str, Any] = {"status": status}
    if group is not None:
        out["groupIdToken"] = {"idToken": group, "type": "Central"}
    return out


def tx_token(payload: dict[str, Any]) -> str | None:
    return (payload.get("idToken") or {}).get("idToken")


def answer_tokens(ctx: ChargerRun, infos: dict[str, dict[str, Any]]) -> None:
    """From now on the bench answers Authorize and TransactionEvent for each token of
    ``infos`` with that IdTokenInfo; other tokens get the default answer."""

    def authorize(payload: dict[str, Any]) -> dict[str, Any] | Reply:
        tag = tx_token(payload)
        if tag in infos:
            return {"idTokenInfo": dict(infos[tag])}
        return ctx.default_answer("Authorize", payload)

    def transaction(payload: dict[str, Any]) -> dict[str, Any] | Reply:
        tag = tx_token(payload)
        if tag in infos:
            return {"idTokenInfo": dict(infos[tag])}
        return ctx.default_answer("TransactionEvent", payload)

    ctx.answer("Authorize", authorize)
    ctx.answer("TransactionEvent", transaction)


# ---------------------------------------------------------------- configuration
async def configure_optional(
    ctx: ChargerRun,
    values: dict[str, str],
    *,
    required: tuple[str, ...] = (),
    step: int | None = None,
) -> dict[str, str]:
    """A configuration state whose values hold "(If implemented)": a variable the
    station does not have is left out; one of ``required`` it lacks makes the case
    not applicable. Every value the station has must be Accepted. Returns the values
    the station took."""
    if not values:
        return {}
    data = []
    for name, value in values.items():
        component, var, instance = variable(name)
        v: dict[str, Any] = {"name": var}
        if instance is not None:
            v["instance"] = instance
        data.append({"attributeValue": value, "component": {"name": component}, "variable": v})
    reply = await ctx.request("SetVariables", {"setVariableData": data}, step=step)
    taken: dict[str, str] = {}
    for name, result in zip(values, reply.get("setVariableResult", []), strict=False):
        status = result.get("attributeStatus")
        if status in ("UnknownComponent", "UnknownVariable", "NotSupportedAttributeType"):
            if name in required:
                ctx.not_applicable(f"the station does not have {name} ({status})")
            continue
        if status == "Rejected" and await _already(ctx, name, values[name]):
            continue  # a read-only variable that has the value already ("If ... ReadWrite")
        ctx.require(
            step,
            f"SetVariablesResponse ({name})",
            result,
            "attributeStatus",
            one_of("Accepted", "RebootRequired"),
        )
        taken[name] = values[name]
    return taken


async def _already(ctx: ChargerRun, name: str, value: str) -> bool:
    actual = await v201.get_variable(ctx, name)
    return actual is not None and actual.strip().lower() == value.lower()


async def has_variable(ctx: ChargerRun, name: str, *, value: str | None = None) -> bool:
    """The station implements ``name`` (with ``value`` as its Actual value, if given)."""
    actual = await v201.get_variable(ctx, name)
    if actual is None:
        return False
    return value is None or actual.strip().lower() == value.lower()


async def tx_points(ctx: ChargerRun, which: str = "TxStartPoint") -> set[str]:
    """The station's TxCtrlr.TxStartPoint (or TxStopPoint) values, read once per case."""
    key = f"points:{which}"
    if key not in ctx.memory:
        actual = await v201.get_variable(ctx, f"TxCtrlr/{which}") or ""
        ctx.memory[key] = {p.strip() for p in actual.split(",") if p.strip()}
    points: set[str] = ctx.memory[key]
    return points


# ---------------------------------------------------------------- memory states
async def cached(
    ctx: ChargerRun,
    kind: str = "valid",
    status: str = "Accepted",
    *,
    group: str | None = None,
    charge: bool = True,
) -> None:
    """Memory state IdTokenCached: the token is presented and the CSMS answers ``status``;
    an Accepted token then charges (EVConnectedPreSession) and the EV leaves again
    (ParkingBayUnoccupied), so the station idles with the token in its cache. A token
    that may not start (a Master Pass: ``charge`` False) stops after the answer."""
    tag = token(ctx, kind)
    answer_tokens(ctx, {tag: info(ctx, status, group=group)})
    since = ctx.mark()
    await physical.present(ctx, tag)
    request = await ctx.station_request(
        "Authorize",
        step=None,
        since=since,
        match=lambda p: tx_token(p) == tag,
        what=f"the station's AuthorizeRequest for {tag} (memory state IdTokenCached)",
    )
    ctx.check(None, "AuthorizeRequest (IdTokenCached)", request, "idToken.idToken", tag)
    if status != "Accepted" or not charge:
        # A round trip after the answer: the station has handled it before the case goes on.
        await v201.get_variable(ctx, "AuthCacheCtrlr/Enabled")
        return
    since = ctx.mark()
    await physical.plug_in(ctx)
    await ctx.station_request(
        "TransactionEvent",
        step=None,
        since=since,
        match=v201.tx_event(transactionInfo__chargingState="Charging"),
        what=f"a TransactionEvent Charging for {tag} (memory state IdTokenCached)",
    )
    since = ctx.mark()
    await physical.unplug(ctx)
    await ctx.station_request(
        "TransactionEvent",
        step=None,
        since=since,
        match=v201.tx_event("Ended"),
        what="the TransactionEvent Ended of the caching session",
    )
    await v201.connector_available(ctx, since=since, step=None)


def list_entry(
    ctx: ChargerRun, kind: str, status: str | None = "Accepted", *, group: str | None = None
) -> dict[str, Any]:
    """An AuthorizationData of the Local Authorization List (no idTokenInfo: a removal)."""
    entry: dict[str, Any] = {"idToken": id_token(ctx, kind)}
    if status is not None:
        entry["idTokenInfo"] = info(ctx, status, group=group)
    return entry


async def listed(
    ctx: ChargerRun,
    entries: list[dict[str, Any]],
    *,
    version: int | None = None,
    step: int | None = None,
) -> None:
    """Memory state IdTokenLocalAuthList: a SendLocalList Full with ``entries``, Accepted."""
    reply = await ctx.request(
        "SendLocalList",
        {
            "versionNumber": list_version(ctx) if version is None else version,
            "updateType": "Full",
            "localAuthorizationList": entries,
        },
        step=step,
    )
    ctx.require(step, "SendLocalListResponse (IdTokenLocalAuthList)", reply, "status", "Accepted")


# ---------------------------------------------------------------- the connection
async def offline(ctx: ChargerRun, *, step: int | None = None) -> None:
    """The OCTT closes the WebSocket connection and refuses the station's reconnects."""
    ctx.endpoint.refusing = "the test case keeps the station offline"
    await ctx.endpoint.disconnect()
    if not await ctx.disconnected(timeout=5.0):
        ctx.check_that(step, "(connection)", "closed", False, "the connection closed", "still open")


async def online(ctx: ChargerRun, *, step: int | None = None) -> None:
    """The OCTT accepts the station's next reconnection attempt."""
    ctx.endpoint.refusing = None
    await ctx.connected(step=step)


async def while_offline(ctx: ChargerRun, seconds: float = 1.0) -> None:
    """<Configured Transaction Duration> while offline: the station acts on its own."""
    await asyncio.sleep(min(seconds, ctx.settings.quiet_period))


# ---------------------------------------------------------------- checks
def check_token(
    ctx: ChargerRun, step: int | None, message: str, payload: dict[str, Any], kind: str
) -> None:
    """``idToken.idToken`` and ``idToken.type`` are the configured token of ``kind``."""
    ctx.check(step, message, payload, "idToken.idToken", token(ctx, kind))
    ctx.check(step, message, payload, "idToken.type", ctx.settings.valid_id_token_type)


async def authorize_request(
    ctx: ChargerRun, kind: str, *, step: int | None, since: int
) -> dict[str, Any]:
    """The station's AuthorizeRequest for the token of ``kind``, its fields checked."""
    tag = token(ctx, kind)
    request = await ctx.station_request(
        "Authorize", step=step, since=since, match=lambda p: tx_token(p) == tag
    )
    check_token(ctx, step, "AuthorizeRequest", request, kind)
    return request


async def no_authorize(ctx: ChargerRun, kind: str, *, step: int | None, since: int) -> None:
    """The station decides locally: no AuthorizeRequest for the token of ``kind``."""
    tag = token(ctx, kind)
    await ctx.no_station_request(
        "Authorize",
        step=step,
        since=since,
        match=lambda p: tx_token(p) == tag,
        within=min(1.0, ctx.settings.quiet_period),
        why=f"{tag} is decided locally",
    )


def not_authorized(payload: dict[str, Any]) -> bool:
    """A TransactionEvent saying the driver may charge: triggerReason Authorized or
    chargingState Charging (the post-validation "EV is not authorized")."""
    state = (payload.get("transactionInfo") or {}).get("chargingState")
    return payload.get("triggerReason") == "Authorized" or state == "Charging"


async def refused(
    ctx: ChargerRun, *, step: int | None, since: int, why: str = "authorization refused"
) -> None:
    """The station starts no transaction for the token: no TransactionEvent with
    triggerReason Authorized or chargingState Charging within the quiet period."""
    await ctx.no_station_request(
        "TransactionEvent", step=step, since=since, match=not_authorized, why=why
    )


async def authorized_event(
    ctx: ChargerRun,
    kind: str,
    *,
    step: int | None,
    since: int,
    started: bool = False,
) -> dict[str, Any]:
    """TransactionEvent triggerReason Authorized with the token; eventType Updated when
    the transaction had started already (``started``), else Started."""
    tag = token(ctx, kind)
    event = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: p.get("triggerReason") == "Authorized" and tx_token(p) == tag,
        what=f"a TransactionEvent with triggerReason Authorized for {tag}",
    )
    ctx.check(step, "TransactionEventRequest", event, "triggerReason", "Authorized")
    check_token(ctx, step, "TransactionEventRequest", event, kind)
    ctx.check(
        step, "TransactionEventRequest", event, "eventType", "Updated" if started else "Started"
    )
    return event


async def charging(ctx: ChargerRun, *, step: int | None, since: int) -> dict[str, Any]:
    """Energy transfer started: a TransactionEvent with chargingState Charging."""
    event = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=v201.tx_event(transactionInfo__chargingState="Charging"),
        what="a TransactionEvent with chargingState Charging",
    )
    ctx.memory["transaction_id"] = (event.get("transactionInfo") or {}).get("transactionId")
    return event


async def start_locally(
    ctx: ChargerRun,
    kind: str,
    *,
    step: int,
    plugged: bool,
    decided_locally: bool,
) -> None:
    """Present the token of ``kind`` (already Accepted by a local store or the CSMS's
    answer) and get to EnergyTransferStarted: the TransactionEvent triggerReason
    Authorized with the token when the TxStartPoint makes one (step ``step``), the cable
    when not ``plugged`` (EVConnectedPreSession), Charging (EnergyTransferStarted).
    ``decided_locally``: no AuthorizeRequest may go out for it (C12.FR.02, C14.FR.02)."""
    starts = await tx_points(ctx)
    since = ctx.mark()
    await physical.present(ctx, token(ctx, kind))
    if decided_locally:
        await no_authorize(ctx, kind, step=step, since=since)
    if plugged or "Authorized" in starts or "ParkingBayOccupancy" in starts:
        tx_started = bool(starts & {"ParkingBayOccupancy", "EVConnected"}) and plugged
        await authorized_event(ctx, kind, step=step, since=since, started=tx_started)
    if not plugged:
        since = ctx.mark()  # energy flows only once the cable is in
        await v201.ev_connected(ctx, step=step + 1)
    await charging(ctx, step=step + 2, since=since)


def needs_any(ctx: ChargerRun, *features: str) -> None:
    """The case needs one of ``features`` (part 5 ids) declared for the station."""
    if not set(features) & ctx.settings.features:
        ctx.not_applicable(
            f"the charging station declares none of the optional features {' / '.join(features)}"
        )


async def transaction_event(
    ctx: ChargerRun, *, step: int | None, since: int, what: str, **fields: Any
) -> dict[str, Any]:
    """The station's next TransactionEvent whose fields match (``v201.tx_event`` paths)."""
    kind = fields.pop("eventType", None)
    return await ctx.station_request(
        "TransactionEvent", step=step, since=since, match=v201.tx_event(kind, **fields), what=what
    )


async def ev_connected(ctx: ChargerRun, *, step: int | None) -> None:
    """Reusable state EVConnectedPreSession: the cable in, the connector Occupied (``step``
    None where the case runs it as part of its preparations)."""
    since = ctx.mark()
    await physical.plug_in(ctx, step=step)
    await v201.connector_status(ctx, "Occupied", since=since, step=step)


async def started_on_plug(ctx: ChargerRun) -> bool:
    """Whether the cable alone started the transaction (TxStartPoint EVConnected or
    ParkingBayOccupancy): the Authorized event is then an Updated one."""
    return bool(await tx_points(ctx) & {"EVConnected", "ParkingBayOccupancy"})
