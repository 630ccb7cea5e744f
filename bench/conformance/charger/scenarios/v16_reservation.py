"""1.6 Reservation: charge point test cases (OCTT 1.6 §2.20, TC_046_1_CS .. TC_053_CS)."""

from __future__ import annotations

from bench.conformance.charger import physical
from bench.conformance.charger import states16_ext as s
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16 import connector_status
from bench.conformance.expect import absent

# <Configured Reservation Expiry Date Offset>: short, so the case does not wait long.
EXPIRY_OFFSET_S = 5.0


def _expiry_offset(ctx: ChargerRun) -> float:
    return float(ctx.settings.extra.get("reservation_expiry_offset", EXPIRY_OFFSET_S))


@scenario("TC_046_1_CS", physical=("present_token", "plug_in"))
async def reserve_connector_local_start(ctx: ChargerRun) -> None:
    await s.unused_connectors_unavailable(ctx)
    since = ctx.mark()
    request = await s.reserve(ctx, step=1)
    ctx.check(1, "ReserveNow.req", request, "connectorId", ctx.settings.connector_id)
    ctx.check(1, "ReserveNow.req", request, "idTag", ctx.valid_token)
    await connector_status(ctx, "Reserved", since=since, step=3)
    # A card that is not the reserved one: it must not start anything here.
    other = ctx.mark()
    await physical.present(ctx, ctx.invalid_token)
    await ctx.no_station_request(
        "StartTransaction", step=None, since=other, why="only the reserved idTag may charge"
    )
    since = ctx.mark()
    await physical.present(ctx, ctx.valid_token, step=5)
    await connector_status(ctx, "Preparing", since=since, step=7)
    auth = [
        r
        for r in ctx.frames[since:]
        if r.direction == "rx" and r.type == "CALL" and r.action == "Authorize"
    ]
    if auth and isinstance(auth[0].payload, dict):  # step 5 is optional
        ctx.check(5, "Authorize.req", auth[0].payload, "idTag", request["idTag"])
    plug = ctx.mark()
    await physical.plug_in(ctx, step=9)
    start = await ctx.station_request("StartTransaction", step=9, since=plug)
    s.check_reservation_used(ctx, 9, start, request)
    await connector_status(ctx, "Charging", since=plug, step=11)


@scenario("TC_046_2_CS", physical=("plug_in",))
async def reserve_connector_remote_start(ctx: ChargerRun) -> None:
    request = await s.reserved(ctx, step=1)
    ctx.check(1, "ReserveNow.req", request, "connectorId", ctx.settings.connector_id)
    start = await s.charging_remote(ctx, step=5, reserved=True)
    s.check_reservation_used(ctx, 5, start, request)


@scenario("TC_047_CS", physical=("plug_in",))
async def reservation_expires(ctx: ChargerRun) -> None:
    await s.unused_connectors_unavailable(ctx)
    offset = _expiry_offset(ctx)
    since = ctx.mark()
    request = await s.reserve(ctx, step=1, expires_in=offset)
    cid = ctx.settings.connector_id
    ctx.check(1, "ReserveNow.req", request, "connectorId", cid)
    reserved = await connector_status(ctx, "Reserved", since=since, step=3)
    ctx.check(3, "StatusNotification.req", reserved, "connectorId", cid)
    after = ctx.mark()
    available = await ctx.station_request(
        "StatusNotification",
        step=5,
        since=after,
        match=lambda p: p.get("connectorId") == cid and p.get("status") == "Available",
        what="a StatusNotification Available after the expiry date",
        timeout=offset + ctx.settings.timeout,
    )
    ctx.check(5, "StatusNotification.req", available, "status", "Available")
    ctx.check(5, "StatusNotification.req", available, "connectorId", cid)
    # The tool starts a transaction with another valid idTag: the reservation is gone.
    other = s.token2(ctx)
    s.accept_tokens(ctx, {other: None})
    start = await s.charging_remote(ctx, step=7, token=other)
    ctx.check(7, "StartTransaction.req", start, "reservationId", absent())


async def _refused(ctx: ChargerRun, connector_id: int, status: str) -> None:
    request = await s.reserve(ctx, step=1, connector_id=connector_id, expected=status)
    ctx.check(1, "ReserveNow.req", request, "connectorId", connector_id)


@scenario("TC_048_1_CS", physical=("raise_fault",))
async def reserve_faulted_connector(ctx: ChargerRun) -> None:
    await s.set_connector_faulted(ctx)
    await _refused(ctx, ctx.settings.connector_id, "Faulted")


@scenario("TC_048_2_CS", physical=("plug_in",))
async def reserve_occupied_connector(ctx: ChargerRun) -> None:
    await s.set_connector_occupied(ctx)
    await _refused(ctx, ctx.settings.connector_id, "Occupied")


@scenario("TC_048_3_CS")
async def reserve_unavailable_connector(ctx: ChargerRun) -> None:
    await s.set_connector_unavailable(ctx)
    await _refused(ctx, ctx.settings.connector_id, "Unavailable")


async def _without_reservation(ctx: ChargerRun) -> None:
    """Prerequisite "The Charge Point does NOT support the Reservation feature profile"."""
    profiles = await s.supported_profiles(ctx)
    if "Reservation" in profiles:
        ctx.not_applicable(
            "the charge point supports the Reservation feature profile (SupportedFeatureProfiles "
            f"{','.join(profiles)}); the case is for one that does not"
        )


@scenario("TC_048_4_CS")
async def reserve_connector_not_supported(ctx: ChargerRun) -> None:
    await _without_reservation(ctx)
    await _refused(ctx, ctx.settings.connector_id, "Rejected")


@scenario("TC_049_CS", physical=("plug_in",))
async def reserve_charge_point(ctx: ChargerRun) -> None:
    await s.reserve_zero_supported(ctx)
    await s.unused_connectors_unavailable(ctx)
    request = await s.reserved(ctx, step=1, connector_id=0)
    ctx.check(1, "ReserveNow.req", request, "connectorId", 0)
    # The tool starts a transaction on the reserved connector.
    start = await s.charging_remote(ctx, step=5, reserved=True)
    s.check_reservation_used(ctx, 5, start, request)


@scenario("TC_050_1_CS", physical=("raise_fault",))
async def reserve_faulted_charge_point(ctx: ChargerRun) -> None:
    await s.reserve_zero_supported(ctx)
    await s.set_charge_point_faulted(ctx)
    await _refused(ctx, 0, "Faulted")


@scenario("TC_050_2_CS", physical=("plug_in",))
async def reserve_occupied_charge_point(ctx: ChargerRun) -> None:
    await s.reserve_zero_supported(ctx)
    count = await s.number_of_connectors(ctx)
    for cid in range(1, count + 1):
        await s.set_connector_occupied(ctx, cid)
    await _refused(ctx, 0, "Occupied")


@scenario("TC_050_3_CS")
async def reserve_unavailable_charge_point(ctx: ChargerRun) -> None:
    await s.reserve_zero_supported(ctx)
    await s.set_charge_point_unavailable(ctx)
    await _refused(ctx, 0, "Unavailable")


@scenario("TC_050_4_CS")
async def reserve_charge_point_not_supported(ctx: ChargerRun) -> None:
    await _without_reservation(ctx)
    await _refused(ctx, 0, "Rejected")


@scenario("TC_051_CS", physical=("plug_in",))
async def cancel_reservation(ctx: ChargerRun) -> None:
    reservation = await s.reserved(ctx, step=0)
    since = ctx.mark()
    request = {"reservationId": reservation["reservationId"]}
    reply = await ctx.request("CancelReservation", request, step=1)
    ctx.require(2, "CancelReservation.conf", reply, "status", "Accepted")
    payload = await connector_status(ctx, "Available", since=since, step=3)
    ctx.check(3, "StatusNotification.req", payload, "connectorId", reservation["connectorId"])
    other = s.token2(ctx)
    s.accept_tokens(ctx, {other: None})
    start = await s.charging_remote(ctx, step=5, token=other)
    ctx.check(5, "StartTransaction.req", start, "reservationId", absent())


@scenario("TC_052_CS")
async def cancel_unknown_reservation(ctx: ChargerRun) -> None:
    reservation = await s.reserved(ctx, step=0)
    since = ctx.mark()
    unknown = reservation["reservationId"] + 1
    reply = await ctx.request("CancelReservation", {"reservationId": unknown}, step=1)
    ctx.check(2, "CancelReservation.conf", reply, "status", "Rejected")
    # The reservation that was not named stays (expected behaviour).
    await ctx.no_station_request(
        "StatusNotification",
        step=2,
        since=since,
        match=lambda p: p.get("connectorId") == reservation["connectorId"],
        why="the reservation that was not named stays",
    )


@scenario("TC_053_CS", physical=("present_token", "plug_in"))
async def reservation_used_by_parent(ctx: ChargerRun) -> None:
    await s.unused_connectors_unavailable(ctx)
    parent = s.parent_tag(ctx)
    other = s.token2(ctx)
    # The CSMS knows <Valid IdTag 2> as a member of the group <ParentId>.
    s.accept_tokens(ctx, {ctx.valid_token: parent, other: parent})
    since = ctx.mark()
    request = await s.reserve(ctx, step=1, parent=parent)
    ctx.check(1, "ReserveNow.req", request, "idTag", ctx.valid_token)
    ctx.check(1, "ReserveNow.req", request, "parentIdTag", parent)
    await connector_status(ctx, "Reserved", since=since, step=3)
    # Step 5: reusable state Authorized with <Valid IdTag 2>.
    auth_since = ctx.mark()
    await physical.present(ctx, other, step=5)
    auth = await ctx.station_request("Authorize", step=5, since=auth_since)
    ctx.check(5, "Authorize.req", auth, "idTag", other)
    await connector_status(ctx, "Preparing", since=auth_since, step=5)
    plug = ctx.mark()
    await physical.plug_in(ctx, step=6)
    start = await ctx.station_request("StartTransaction", step=7, since=plug)
    ctx.check(7, "StartTransaction.req", start, "reservationId", request["reservationId"])
    ctx.check(7, "StartTransaction.req", start, "idTag", other)
    await connector_status(ctx, "Charging", since=auth_since, step=9)
