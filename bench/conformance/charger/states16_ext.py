"""1.6 reusable states of the Reservation and Smart Charging charge point cases (OCTT 1.6 §2.25).

The states the shared ``states16`` does not have: Charging the way Table 105 plays
it (plug in, RemoteStartTransaction, optionally with a charging profile or on a
Reserved connector), SetConnectorUnavailable / SetChargePointUnavailable,
SetConnectorFaulted / SetChargePointFaulted, SetConnectorOccupied, Reserved, and
the second valid idTag and parent idTag some cases use
(``<Configured Valid IdTag 2>``, ``<Configured ParentId>``: ``ChargerSettings.extra``
``valid_id_tag_2`` / ``parent_id_tag``), which the bench then accepts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states16 import connector_status, get_configuration
from bench.conformance.evidence import StopCase
from bench.conformance.expect import one_of, present


def time_text(offset_s: float = 0.0) -> str:
    """The CSMS's time plus ``offset_s`` as OCPP writes it (UTC, milliseconds, Z)."""
    at = datetime.now(UTC) + timedelta(seconds=offset_s)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: Any) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def new_id() -> int:
    """A reservation / charging profile id no earlier case used (a real charger keeps them)."""
    return uuid.uuid4().int % 900_000 + 100_000


# ---------------------------------------------------------------------------- id tags
def token2(ctx: ChargerRun) -> str:
    """<Configured Valid IdTag 2>."""
    return ctx.settings.extra.get("valid_id_tag_2", "TAG2")


def parent_tag(ctx: ChargerRun) -> str:
    """<Configured ParentId>."""
    return ctx.settings.extra.get("parent_id_tag", "PARENT1")


def accept_tokens(ctx: ChargerRun, tokens: dict[str, str | None]) -> None:
    """The bench answers Authorize / StartTransaction for ``tokens`` (idTag -> parent
    idTag) with Accepted (and the parent), besides the configured valid idTag."""
    known = {tag.lower(): parent for tag, parent in tokens.items()}

    def info(tag: Any, fallback: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(tag, str) or tag.lower() not in known:
            return fallback
        parent = known[tag.lower()]
        return {"status": "Accepted", **({"parentIdTag": parent} if parent else {})}

    def authorize(payload: dict[str, Any]) -> dict[str, Any]:
        reply = ctx.default_answer("Authorize", payload)
        reply["idTagInfo"] = info(payload.get("idTag"), reply["idTagInfo"])
        return reply

    def start(payload: dict[str, Any]) -> dict[str, Any]:
        reply = ctx.default_answer("StartTransaction", payload)
        reply["idTagInfo"] = info(payload.get("idTag"), reply["idTagInfo"])
        return reply

    ctx.answer("Authorize", authorize)
    ctx.answer("StartTransaction", start)


# ---------------------------------------------------------------------------- configuration
async def number_of_connectors(ctx: ChargerRun, *, step: int | None = None) -> int:
    value = await get_configuration(ctx, "NumberOfConnectors", step=step)
    try:
        return int(value or "1")
    except ValueError:
        return 1


async def supported_profiles(ctx: ChargerRun, *, step: int | None = None) -> list[str]:
    value = await get_configuration(ctx, "SupportedFeatureProfiles", step=step)
    return [p.strip() for p in (value or "").split(",") if p.strip()]


async def reserve_zero_supported(ctx: ChargerRun, *, step: int | None = None) -> None:
    """Prerequisite "ReserveConnectorZeroSupported is true": N/A otherwise."""
    value = await get_configuration(ctx, "ReserveConnectorZeroSupported", step=step)
    if (value or "").strip().lower() != "true":
        ctx.not_applicable(
            f"ReserveConnectorZeroSupported is {value or 'not reported'}: the case needs "
            "a charge point that reserves connector 0"
        )


# ---------------------------------------------------------------------------- availability
async def set_connector_unavailable(
    ctx: ChargerRun, connector_id: int | None = None, *, step: int | None = None
) -> None:
    """Reusable state SetConnectorUnavailable (Table 108)."""
    cid = ctx.settings.connector_id if connector_id is None else connector_id
    since = ctx.mark()
    reply = await ctx.request(
        "ChangeAvailability", {"connectorId": cid, "type": "Inoperative"}, step=step
    )
    ctx.require(step, "ChangeAvailability.conf", reply, "status", "Accepted")
    payload = await connector_status(ctx, "Unavailable", since=since, step=step, connector_id=cid)
    ctx.check(step, "StatusNotification.req", payload, "connectorId", cid)


async def unused_connectors_unavailable(ctx: ChargerRun, *, step: int | None = None) -> None:
    """ "SetConnectorUnavailable for all unused connectors": all but the configured one."""
    count = await number_of_connectors(ctx, step=step)
    for cid in range(1, count + 1):
        if cid != ctx.settings.connector_id:
            await set_connector_unavailable(ctx, cid, step=step)


async def set_charge_point_unavailable(ctx: ChargerRun, *, step: int | None = None) -> None:
    """Reusable state SetChargePointUnavailable (Table 109): every connector and 0 Unavailable."""
    count = await number_of_connectors(ctx, step=step)
    since = ctx.mark()
    reply = await ctx.request(
        "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, step=step
    )
    ctx.require(step, "ChangeAvailability.conf", reply, "status", "Accepted")
    for cid in range(0, count + 1):
        await connector_status(ctx, "Unavailable", since=since, step=step, connector_id=cid)


async def set_connector_faulted(
    ctx: ChargerRun, connector_id: int | None = None, *, step: int | None = None
) -> None:
    """Reusable state SetConnectorFaulted (Table 106)."""
    cid = ctx.settings.connector_id if connector_id is None else connector_id
    since = ctx.mark()
    await physical.fault(ctx, cid, step=step)
    payload = await connector_status(ctx, "Faulted", since=since, step=step, connector_id=cid)
    ctx.check(step, "StatusNotification.req", payload, "connectorId", cid)


async def set_charge_point_faulted(ctx: ChargerRun, *, step: int | None = None) -> None:
    """Reusable state SetChargePointFaulted (Table 107): the whole charge point Faulted."""
    since = ctx.mark()
    await ctx.physical(
        "raise_fault",
        "Put the whole charge point into a Faulted state (a station-wide fault).",
        step=step,
        connector_id=0,
        fault="ground_failure",
    )
    payload = await ctx.station_request(
        "StatusNotification",
        step=step,
        since=since,
        match=lambda p: p.get("status") == "Faulted",
        what="a StatusNotification Faulted",
    )
    ctx.check(step, "StatusNotification.req", payload, "status", "Faulted")


async def set_connector_occupied(
    ctx: ChargerRun, connector_id: int | None = None, *, step: int | None = None
) -> None:
    """Reusable state SetConnectorOccupied (Table 110): the EV plugged in, Preparing."""
    cid = ctx.settings.connector_id if connector_id is None else connector_id
    since = ctx.mark()
    await physical.plug_in(ctx, cid, step=step)
    payload = await connector_status(ctx, "Preparing", since=since, step=step, connector_id=cid)
    ctx.check(step, "StatusNotification.req", payload, "connectorId", cid)


# ---------------------------------------------------------------------------- reservations
async def reserve(
    ctx: ChargerRun,
    *,
    step: int,
    connector_id: int | None = None,
    token: str | None = None,
    parent: str | None = None,
    expires_in: float = 600.0,
    expected: str = "Accepted",
) -> dict[str, Any]:
    """ReserveNow.req (step ``step``) and its status (step ``step + 1``); the request sent."""
    cid = ctx.settings.connector_id if connector_id is None else connector_id
    request: dict[str, Any] = {
        "connectorId": cid,
        "expiryDate": time_text(expires_in),
        "idTag": token or ctx.valid_token,
        "reservationId": new_id(),
    }
    if parent:
        request["parentIdTag"] = parent
    reply = await ctx.request("ReserveNow", request, step=step)
    ctx.require(step + 1, "ReserveNow.conf", reply, "status", expected)
    ctx.memory["reservation"] = request
    return request


async def reserved(
    ctx: ChargerRun,
    *,
    step: int = 1,
    connector_id: int | None = None,
    token: str | None = None,
    parent: str | None = None,
    expires_in: float = 600.0,
) -> dict[str, Any]:
    """Reusable state Reserved (Table 111): ReserveNow Accepted, StatusNotification Reserved.
    Returns the ReserveNow.req."""
    cid = ctx.settings.connector_id if connector_id is None else connector_id
    since = ctx.mark()
    request = await reserve(
        ctx, step=step, connector_id=cid, token=token, parent=parent, expires_in=expires_in
    )
    if cid != 0:
        payload = await connector_status(
            ctx, "Reserved", since=since, step=step + 2, connector_id=cid
        )
    else:
        payload = await ctx.station_request(
            "StatusNotification",
            step=step + 2,
            since=since,
            match=lambda p: p.get("status") == "Reserved",
            what="a StatusNotification Reserved",
        )
    ctx.check(step + 2, "StatusNotification.req", payload, "status", "Reserved")
    return request


# ---------------------------------------------------------------------------- charging
def _start_reply(ctx: ChargerRun, since: int) -> dict[str, Any] | None:
    for rec in ctx.frames[since:]:
        if rec.direction == "tx" and rec.type == "CALLRESULT" and rec.action == "StartTransaction":
            return rec.payload if isinstance(rec.payload, dict) else None
    return None


async def charging_remote(
    ctx: ChargerRun,
    *,
    step: int,
    token: str | None = None,
    reserved: bool = False,
    charging_profile: dict[str, Any] | None = None,
    plug: bool = True,
) -> dict[str, Any]:
    """Reusable state Charging (Table 105): plug in, RemoteStartTransaction (with
    ``charging_profile`` if given), [Authorize], StartTransaction, Charging. All its
    checks carry the case's ``step``. Returns the StartTransaction.req; the
    transaction id the bench handed out is ``ctx.memory["transaction_id"]``."""
    tag = token or ctx.valid_token
    cid = ctx.settings.connector_id
    remote_auth = await get_configuration(ctx, "AuthorizeRemoteTxRequests", step=step)
    since = ctx.mark()
    if plug:
        await physical.plug_in(ctx, cid, step=step)
        if not reserved:
            payload = await connector_status(ctx, "Preparing", since=since, step=step)
            ctx.check(step, "StatusNotification.req", payload, "connectorId", cid)
    remote = ctx.mark()
    request: dict[str, Any] = {"connectorId": cid, "idTag": tag}
    if charging_profile is not None:
        request["chargingProfile"] = charging_profile
    reply = await ctx.request("RemoteStartTransaction", request, step=step)
    ctx.require(step, "RemoteStartTransaction.conf", reply, "status", "Accepted")
    if reserved and plug:
        payload = await connector_status(ctx, "Preparing", since=since, step=step)
        ctx.check(step, "StatusNotification.req", payload, "connectorId", cid)
    if (remote_auth or "").strip().lower() == "true":
        auth = await ctx.station_request("Authorize", step=step, since=remote)
        ctx.check(step, "Authorize.req", auth, "idTag", tag)
    start = await ctx.station_request("StartTransaction", step=step, since=remote)
    ctx.check(step, "StartTransaction.req", start, "connectorId", cid)
    ctx.check(step, "StartTransaction.req", start, "idTag", tag)
    await connector_status(ctx, "Charging", since=remote, step=step)
    answer = _start_reply(ctx, remote)
    if answer is None:
        raise StopCase("the bench did not answer the StartTransaction.req")
    ctx.check(step, "StartTransaction.conf", answer, "idTagInfo.status", "Accepted")
    ctx.memory["transaction_id"] = answer.get("transactionId")
    return start


def check_reservation_used(
    ctx: ChargerRun, step: int, start: dict[str, Any], reservation: dict[str, Any]
) -> None:
    """The StartTransaction.req carries the reservation's idTag and reservationId."""
    ctx.check(step, "StartTransaction.req", start, "reservationId", present())
    ctx.check(step, "StartTransaction.req", start, "reservationId", reservation["reservationId"])
    ctx.check(step, "StartTransaction.req", start, "idTag", present())
    ctx.check(step, "StartTransaction.req", start, "idTag", one_of(reservation["idTag"]))
