"""OCPP 1.6 Reservation (1.6 test case document §3.17).

The bench's station answers ReserveNow from the connector's status (1.6 §5.13):
Faulted, Occupied and Unavailable come from a fault, a plugged cable and
ChangeAvailability; Rejected (a station configured not to take reservations) is
OCTT's scripted answer here. A reservation of connector 0 pins no connector, so the
bench's station reports no Reserved status for it (OCTT's scripted station does).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import present, satisfies
from bench.conformance.scenarios import scenario
from bench.ocpp.common.timestamps import parse_iso

RESERVATION_ID = 1601
# <Configured Expiry Date Offset> (TC_047): short, so the case waits little for the expiry.
EXPIRY_OFFSET_S = 1
# A reservation the case uses before it expires.
LONG_EXPIRY_S = 3600


def _expiry(ctx: CaseRun, seconds: float) -> str:
    when = ctx.station.clock.now() + timedelta(seconds=seconds)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _reserve(
    ctx: CaseRun,
    connector: int,
    *,
    step: int = 1,
    expiry_s: float = LONG_EXPIRY_S,
    parent: str | None = None,
) -> dict[str, Any]:
    tag = ctx.settings.valid_id_token
    request: dict[str, Any] = {
        "connectorId": connector,
        "expiryDate": _expiry(ctx, expiry_s),
        "idTag": tag,
        "reservationId": RESERVATION_ID,
    }
    params: dict[str, Any] = {}
    if parent is not None:
        request["parentIdTag"] = parent
        params["parent_id_token"] = parent
    where = "the Charge Point (connector 0)" if connector == 0 else f"connector {connector}"
    return await ctx.request_by_hand(
        "reserve_now",
        f"Request the Central System to reserve {where} for idTag {tag}, expiring in "
        f"{expiry_s:g} s" + (f", with parent idTag {parent}" if parent else ""),
        "ReserveNow",
        request,
        step=step,
        connector_id=connector,
        id_token=tag,
        expiry_date=request["expiryDate"],
        reservation_id=RESERVATION_ID,
        **params,
    )


def _check_reserve(ctx: CaseRun, step: int, request: dict[str, Any], connector: int) -> None:
    # <Configured ConnectorId> and <Configured Valid IdTag>.
    ctx.check(step, "ReserveNow.req", request, "connectorId", connector)
    ctx.check(step, "ReserveNow.req", request, "idTag", ctx.settings.valid_id_token)


NOT_ZERO = satisfies(lambda v: isinstance(v, int) and v != 0, "not 0")


async def _reserved(ctx: CaseRun, connector: int, *, step: int = 1) -> dict[str, Any]:
    """ReserveNow Accepted and the connector Reserved (steps 1-4 of the reservation cases)."""
    since = ctx.mark()
    request = await _reserve(ctx, connector, step=step)
    await s16.station_answered(ctx, "ReserveNow", since=since, status="Accepted")
    await s16.status(ctx, "Reserved", since=since, step=step + 3, connector=connector)
    return request


@scenario("TC_046_CSMS", manual=("reserve_now",))
async def reservation_transaction(ctx: CaseRun) -> None:
    # 1.6 §5.13: reserve the connector, then the reserved idTag charges on it (the
    # StartTransaction carries the reservationId, tool validation of step 5).
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    request = await _reserve(ctx, cid)
    _check_reserve(ctx, 1, request, cid)
    await s16.station_answered(ctx, "ReserveNow", since=since, status="Accepted")
    await s16.status(ctx, "Reserved", since=since, step=4, connector=cid)
    session = await s16.charging(ctx)
    # Step 5's tool validation is the station's own: its start carries the reservationId.
    s16.station_must(
        session.start.sent.get("reservationId") == request.get("reservationId"),
        f"StartTransaction.req carries reservationId {request.get('reservationId')}",
    )


@scenario("TC_047_CSMS", manual=("reserve_now",))
async def reservation_expires(ctx: CaseRun) -> None:
    # 1.6 §5.13: the reservation is not used before expiryDate; the connector is
    # Available again. expiryDate is now + <Configured Expiry Date Offset>.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    request = await _reserve(ctx, cid, expiry_s=EXPIRY_OFFSET_S)
    asked_at = ctx.station.clock.now()
    _check_reserve(ctx, 1, request, cid)
    tolerance = ctx.settings.timeout
    ctx.check(
        1,
        "ReserveNow.req",
        request,
        "expiryDate",
        satisfies(
            lambda v: _near(v, asked_at + timedelta(seconds=EXPIRY_OFFSET_S), tolerance),
            f"the current time plus {EXPIRY_OFFSET_S} s (within {tolerance:g} s)",
        ),
    )
    await s16.station_answered(ctx, "ReserveNow", since=since, status="Accepted")
    await s16.status(ctx, "Reserved", since=since, step=4, connector=cid)
    expiry = parse_iso(str(request.get("expiryDate")))
    wait = ctx.settings.timeout
    if expiry is not None:
        wait += max(0.0, (expiry - ctx.station.clock.now()).total_seconds())
    await s16.exchange(
        ctx,
        "StatusNotification",
        step=6,
        since=since,
        timeout=wait,
        connectorId=cid,
        status="Available",
    )


def _near(value: Any, wanted: datetime, tolerance: float) -> bool:
    when = parse_iso(value) if isinstance(value, str) else None
    return when is not None and abs((when - wanted).total_seconds()) <= tolerance


@scenario("TC_048_1_CSMS", manual=("reserve_now",))
async def reservation_faulted(ctx: CaseRun) -> None:
    # 1.6 §5.13 Faulted: the connector is faulted (a ground failure on the bench's
    # station, which it reports before the request comes).
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    ctx.station.raise_fault(cid, "ground_failure")
    await s16.status(ctx, "Faulted", since=since, connector=cid)
    since = ctx.mark()
    request = await _reserve(ctx, cid)
    _check_reserve(ctx, 1, request, cid)
    await s16.station_answered(ctx, "ReserveNow", since=since, status="Faulted")


@scenario("TC_048_2_CSMS", manual=("reserve_now",))
async def reservation_occupied(ctx: CaseRun) -> None:
    # 1.6 §5.13 Occupied: an EV is plugged in (Preparing).
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await s16.status(ctx, "Preparing", since=since, step=2, connector=cid)
    since = ctx.mark()
    request = await _reserve(ctx, cid, step=3)
    _check_reserve(ctx, 3, request, cid)
    await s16.station_answered(ctx, "ReserveNow", since=since, status="Occupied")


@scenario("TC_048_3_CSMS", manual=("change_availability", "reserve_now"))
async def reservation_unavailable(ctx: CaseRun) -> None:
    # 1.6 §5.2, §5.13 Unavailable: the connector was made Inoperative first.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    change = await ctx.request_by_hand(
        "change_availability",
        f"Request the Central System to make connector {cid} Inoperative",
        "ChangeAvailability",
        {"connectorId": cid, "type": "Inoperative"},
        step=1,
        connector_id=cid,
        type="Inoperative",
    )
    ctx.check(1, "ChangeAvailability.req", change, "connectorId", cid)
    ctx.check(1, "ChangeAvailability.req", change, "type", "Inoperative")
    await s16.station_answered(ctx, "ChangeAvailability", since=since, status="Accepted")
    await s16.status(ctx, "Unavailable", since=since, step=4, connector=cid)
    since = ctx.mark()
    request = await _reserve(ctx, cid, step=5)
    _check_reserve(ctx, 5, request, cid)
    await s16.station_answered(ctx, "ReserveNow", since=since, status="Unavailable")


@scenario("TC_048_4_CSMS", manual=("reserve_now",))
async def reservation_rejected(ctx: CaseRun) -> None:
    # 1.6 §5.13 Rejected: a station configured not to take reservations (scripted).
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    s16.answer_with(ctx, "ReserveNow", {"status": "Rejected"})
    since = ctx.mark()
    request = await _reserve(ctx, cid)
    _check_reserve(ctx, 1, request, cid)
    await s16.station_answered(ctx, "ReserveNow", since=since, status="Rejected")


@scenario("TC_049_CSMS", manual=("reserve_now",))
async def reserve_charge_point(ctx: CaseRun) -> None:
    # 1.6 §5.13, §9.3.1 ReserveConnectorZeroSupported: connector 0 reserves the Charge
    # Point as a whole. The bench's station keeps one connector free for the idTag
    # without reporting one Reserved (step 3 of OCTT's scripted station).
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _reserve(ctx, 0)
    ctx.check(1, "ReserveNow.req", request, "connectorId", 0)
    ctx.check(1, "ReserveNow.req", request, "reservationId", present())
    ctx.check(1, "ReserveNow.req", request, "idTag", present())
    await s16.station_answered(ctx, "ReserveNow", since=since, status="Accepted")


async def _cancel(ctx: CaseRun, reservation_id: Any, instruction: str) -> dict[str, Any]:
    return await ctx.request_by_hand(
        "cancel_reservation",
        instruction,
        "CancelReservation",
        {"reservationId": reservation_id},
        step=5,
        reservation_id=reservation_id,
    )


@scenario("TC_051_CSMS", manual=("reserve_now", "cancel_reservation"))
async def cancel_reservation(ctx: CaseRun) -> None:
    # 1.6 §5.1: CancelReservation for the reservation just made; Available again.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    request = await _reserved(ctx, cid)
    ctx.check(1, "ReserveNow.req", request, "connectorId", NOT_ZERO)
    reservation_id = request.get("reservationId")
    since = ctx.mark()
    cancel = await _cancel(
        ctx, reservation_id, f"Request the Central System to cancel reservation {reservation_id}"
    )
    ctx.check(5, "CancelReservation.req", cancel, "reservationId", reservation_id)
    await s16.station_answered(ctx, "CancelReservation", since=since, status="Accepted")
    await s16.status(ctx, "Available", since=since, step=8, connector=cid)


@scenario("TC_052_CSMS", manual=("reserve_now", "cancel_reservation"))
async def cancel_reservation_rejected(ctx: CaseRun) -> None:
    # 1.6 §5.1: a reservationId the station does not have: Rejected, nothing cancelled.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    request = await _reserved(ctx, cid)
    reservation_id = request.get("reservationId")
    unknown = (reservation_id if isinstance(reservation_id, int) else RESERVATION_ID) + 1
    since = ctx.mark()
    cancel = await _cancel(
        ctx,
        unknown,
        f"Request the Central System to cancel a reservation that does not exist (e.g. {unknown})",
    )
    ctx.check(
        5,
        "CancelReservation.req",
        cancel,
        "reservationId",
        satisfies(
            lambda v: v != reservation_id, f"not the reservationId of step 1 ({reservation_id})"
        ),
    )
    await s16.station_answered(ctx, "CancelReservation", since=since, status="Rejected")


@scenario("TC_053_CSMS", manual=("configure_id_token", "reserve_now"))
async def reservation_with_parent_id_tag(ctx: CaseRun) -> None:
    # 1.6 §5.13, §3.10: the connector is reserved for an idTag and its parentIdTag;
    # the reserved idTag charges, and another card of the same group (same parent)
    # ends the transaction.
    valid, other, group = ctx.settings.valid_id_token, s16.VALID_ID_TAG_2, s16.PARENT_ID_TAG
    for tag in (valid, other):
        await ctx.manual(
            "configure_id_token",
            f"Make the Central System know idTag {tag} as Accepted with parent idTag {group}",
            id_token=tag,
            status="Accepted",
            group=group,
        )
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    request = await _reserve(ctx, cid, parent=group)
    ctx.check(1, "ReserveNow.req", request, "connectorId", NOT_ZERO)
    ctx.check(1, "ReserveNow.req", request, "parentIdTag", present())
    await s16.station_answered(ctx, "ReserveNow", since=since, status="Accepted")
    await s16.status(ctx, "Reserved", since=since, step=4, connector=cid)
    await s16.charging(ctx)
    since = ctx.mark()
    ctx.station.present_id(other, cid)
    auth = await s16.exchange(ctx, "Authorize", step=7, since=since, idTag=other)
    ctx.require(7, "Authorize.conf", auth.reply, "idTagInfo.status", "Accepted")
    ctx.check(7, "Authorize.conf", auth.reply, "idTagInfo.parentIdTag", request.get("parentIdTag"))
    await s16.exchange(ctx, "StopTransaction", step=9, since=since)
    await s16.status(ctx, "Finishing", since=since, step=11, connector=cid)
