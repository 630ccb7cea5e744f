"""2.0.1 block H, Reservation: charging-station test cases (part 6 §2.10).

Every case first checks the prerequisite ReservationCtrlr.Available and sets
ReservationCtrlr.Enabled true where the station has it. Optional features (part 5):
R-2 (reservation of an unspecified EVSE, ReservationCtrlr.NonEvseSpecific) for
the cases that reserve without evseId; TC_H_13_CS is for a station without it
(read from ReservationCtrlr.NonEvseSpecific); TC_H_22_CS needs
ReservationCtrlr.Enabled (R-3) to switch reservations off.

The second driver's token and the group token are ``states_remote.second_token`` /
``group_token``; the bench accepts both.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_remote as remote
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario

_TX_PHYSICAL = ("present_token", "plug_in")


async def _ready(ctx: ChargerRun, *, group: bool = False) -> None:
    await remote.reservations_enabled(ctx)
    remote.accept_tokens(ctx, group=group)


async def _authorized_then_charging(
    ctx: ChargerRun, *, step: int, token: str | None = None, reservation: int | None = None
) -> None:
    """Reusable states Authorized (``token``) and EnergyTransferStarted; with
    ``reservation`` the transaction's first event that names the token says which
    reservation it ends (F02.FR.06, H03.FR.09)."""
    since = ctx.mark()
    await remote.authorized_local(ctx, step=step, token=token)
    await remote.plugged_and_charging(ctx, step=step + 1)
    if reservation is not None:
        event = await ctx.station_request(
            "TransactionEvent",
            step=step + 1,
            since=since,
            match=lambda p: "reservationId" in p,
            what="the TransactionEvent that ends the reservation",
            timeout=1.0,
        )
        ctx.check(step + 1, "TransactionEventRequest", event, "reservationId", reservation)


async def _unavailable(ctx: ChargerRun, *, evse_id: int | None, step: int = 0) -> None:
    """Memory state: the EVSE (or, without one, the station) is Unavailable."""
    since = ctx.mark()
    request: dict[str, Any] = {"operationalStatus": "Inoperative"}
    if evse_id is not None:
        request["evse"] = {"id": evse_id}
    reply = await ctx.request("ChangeAvailability", request, step=step)
    ctx.require(step, "ChangeAvailabilityResponse", reply, "status", "Accepted")
    await v201.connector_status(ctx, "Unavailable", since=since, step=step)


def _status_of(ctx: ChargerRun, status: str) -> v201.Match:
    mine = v201.for_connector(ctx)
    return lambda p: mine(p) and p.get("connectorStatus") == status


def _reserved_on(evse_id: int) -> v201.Match:
    return lambda p: p.get("evseId") == evse_id and p.get("connectorStatus") == "Reserved"


async def _connector_type(ctx: ChargerRun) -> str:
    """<Configured connectorType>: ``extra["connector_type"]``, else the ConnectorType the
    station's device model gives the configured connector."""
    configured = ctx.settings.extra.get("connector_type")
    if configured:
        return configured
    reply = await ctx.request(
        "GetVariables",
        {
            "getVariableData": [
                {
                    "component": {
                        "name": "Connector",
                        "evse": {
                            "id": ctx.settings.evse_id,
                            "connectorId": ctx.settings.connector_id,
                        },
                    },
                    "variable": {"name": "ConnectorType"},
                }
            ]
        },
        step=0,
    )
    result = (reply.get("getVariableResult") or [{}])[0]
    value = result.get("attributeValue")
    if result.get("attributeStatus") != "Accepted" or not value:
        ctx.not_applicable("no connectorType configured and the station does not report one")
    return str(value)


# ---------------------------------------------------------------- a specific EVSE
@scenario("TC_H_01_CS", physical=_TX_PHYSICAL)
async def reserve_evse_valid_token(ctx: ChargerRun) -> None:
    await _ready(ctx)
    rid = await remote.reserved(ctx, step=1)
    since = ctx.mark()
    await remote.authorized_local(ctx, step=2)
    # Step 2: after authorization the connector goes from Reserved to Available.
    await v201.connector_status(ctx, "Available", since=since, step=2)
    since = ctx.mark()
    await remote.plugged_and_charging(ctx, step=3)
    event = await ctx.station_request(
        "TransactionEvent",
        step=3,
        since=since,
        match=lambda p: "reservationId" in p,
        what="the TransactionEvent that ends the reservation (H03.FR.09)",
        timeout=1.0,
    )
    ctx.check(3, "TransactionEventRequest", event, "reservationId", rid)


@scenario("TC_H_02_CS", physical=_TX_PHYSICAL)
async def reserve_evse_other_token(ctx: ChargerRun) -> None:
    await _ready(ctx)
    await remote.reserved(ctx, step=0)  # for <Configured valid_idtoken1>
    # State is EVConnectedPreSession: on a Reserved connector the status stays Reserved
    # while the driver of the reservation has not come (G03.FR.09), so no Occupied.
    await physical.plug_in(ctx, step=0)
    # Main A: the other driver presents their card: no charging for them (H03.FR.01).
    since = ctx.mark()
    await physical.present(ctx, remote.second_token(ctx), step=0)
    await ctx.no_station_request(
        "TransactionEvent",
        step=0,
        since=since,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
        why="the EVSE is reserved for another idToken",
    )
    # Main B: nor by a remote start for them (F01.FR.21).
    await remote.remote_start(ctx, step=1, token=remote.second_token(ctx), expect="Rejected")


@scenario("TC_H_03_CS")
async def reserve_evse_already_reserved(ctx: ChargerRun) -> None:
    await _ready(ctx)
    await remote.reserved(ctx, step=0)
    await remote.reserve(ctx, step=1, token=remote.second_token(ctx), expect="Occupied")


@scenario("TC_H_04_CS", physical=_TX_PHYSICAL)
async def reserve_evse_occupied(ctx: ChargerRun) -> None:
    await _ready(ctx)
    await v201.energy_transfer_started(ctx, step=0)
    await remote.reserve(ctx, step=1, token=remote.second_token(ctx), expect="Occupied")


@scenario("TC_H_06_CS")
async def reserve_evse_unavailable(ctx: ChargerRun) -> None:
    await _ready(ctx)
    await _unavailable(ctx, evse_id=ctx.settings.evse_id)
    await remote.reserve(ctx, step=1, token=remote.second_token(ctx), expect="Unavailable")


@scenario("TC_H_07_CS", physical=_TX_PHYSICAL)
async def reservation_expires(ctx: ChargerRun) -> None:
    await _ready(ctx)
    seconds = float(ctx.settings.extra.get("reservation_expiry", "5"))
    rid = await remote.reserved(ctx, step=0, expiry_hours=seconds / 3600)
    since = ctx.mark()
    limit = seconds + ctx.settings.timeout
    available = await ctx.station_request(
        "StatusNotification",
        step=1,
        since=since,
        match=_status_of(ctx, "Available"),
        what="a StatusNotification Available after the expiry",
        timeout=limit,
    )
    ctx.check(1, "StatusNotificationRequest", available, "connectorStatus", "Available")
    update = await ctx.station_request(
        "ReservationStatusUpdate", step=3, since=since, timeout=limit
    )
    ctx.check(3, "ReservationStatusUpdateRequest", update, "reservationId", rid)
    ctx.check(3, "ReservationStatusUpdateRequest", update, "reservationUpdateStatus", "Expired")
    await _authorized_then_charging(ctx, step=5, token=remote.second_token(ctx))


@scenario("TC_H_17_CS")
async def cancel_reservation(ctx: ChargerRun) -> None:
    await _ready(ctx)
    rid = await remote.reserved(ctx, step=0)
    since = ctx.mark()
    reply = await ctx.request("CancelReservation", {"reservationId": rid}, step=1)
    ctx.check(2, "CancelReservationResponse", reply, "status", "Accepted")
    await v201.connector_status(ctx, "Available", since=since, step=3)


@scenario("TC_H_18_CS")
async def cancel_unknown_reservation(ctx: ChargerRun) -> None:
    await _ready(ctx)
    reply = await ctx.request("CancelReservation", {"reservationId": 1}, step=1)
    ctx.check(2, "CancelReservationResponse", reply, "status", "Rejected")


@scenario("TC_H_19_CS", physical=_TX_PHYSICAL)
async def reserve_evse_for_group(ctx: ChargerRun) -> None:
    await _ready(ctx, group=True)
    since = ctx.mark()
    await remote.reserve(ctx, step=1, group=remote.group_token(ctx))
    await v201.connector_status(ctx, "Reserved", since=since, step=3)
    # Another driver of the same group may use it (H03.FR.04-06).
    await _authorized_then_charging(
        ctx, step=5, token=remote.second_token(ctx), reservation=int(ctx.memory["reservation_id"])
    )


@scenario("TC_H_21_CS", physical=_TX_PHYSICAL)
async def reservation_removed_when_unavailable(ctx: ChargerRun) -> None:
    await _ready(ctx)
    rid = await remote.reserved(ctx, step=0)
    evse = {"id": ctx.settings.evse_id}
    since = ctx.mark()
    reply = await ctx.request(
        "ChangeAvailability", {"operationalStatus": "Inoperative", "evse": evse}, step=1
    )
    ctx.check(2, "ChangeAvailabilityResponse", reply, "status", "Accepted")
    await v201.connector_status(ctx, "Unavailable", since=since, step=3)
    update = await ctx.station_request("ReservationStatusUpdate", step=5, since=since)
    ctx.check(5, "ReservationStatusUpdateRequest", update, "reservationId", rid)
    ctx.check(5, "ReservationStatusUpdateRequest", update, "reservationUpdateStatus", "Removed")
    since = ctx.mark()
    reply = await ctx.request(
        "ChangeAvailability", {"operationalStatus": "Operative", "evse": evse}, step=7
    )
    ctx.check(8, "ChangeAvailabilityResponse", reply, "status", "Accepted")
    await v201.connector_status(ctx, "Available", since=since, step=9)
    await _authorized_then_charging(ctx, step=11, token=remote.second_token(ctx))


@scenario("TC_H_22_CS")
async def reservations_switched_off(ctx: ChargerRun) -> None:
    await v201.configure(ctx, {"ReservationCtrlr/Enabled": "false"})
    reply = await remote.reserve(ctx, step=1, expect=None)
    ctx.check(2, "ReserveNowResponse", reply, "status", "Rejected")  # H01.FR.01


@scenario("TC_H_23_CS", physical=_TX_PHYSICAL)
async def replace_reservation(ctx: ChargerRun) -> None:
    await _ready(ctx)
    rid = await remote.reserved(ctx, step=0)  # valid on <Configured evseId>, token 1
    # H01.FR.02: the same id replaces the reservation, now for the second token.
    await remote.reserve(ctx, step=1, token=remote.second_token(ctx), reservation_id=rid)
    last = [
        r.payload
        for r in ctx.frames
        if r.direction == "rx"
        and r.action == "StatusNotification"
        and r.type == "CALL"
        and isinstance(r.payload, dict)
        and v201.for_connector(ctx)(r.payload)
    ][-1]
    # Step 3: the connector is still reported Reserved (a replaced reservation changes
    # no status, so no new StatusNotification is due).
    ctx.check(3, "StatusNotificationRequest", last, "connectorStatus", "Reserved")
    await _authorized_then_charging(ctx, step=3, token=remote.second_token(ctx), reservation=rid)


# ---------------------------------------------------------------- an unspecified EVSE
async def _non_evse_specific(ctx: ChargerRun) -> None:
    ctx.needs_feature("R-2")
    await _ready(ctx)


@scenario("TC_H_08_CS", physical=_TX_PHYSICAL)
async def reserve_any_evse(ctx: ChargerRun) -> None:
    await _non_evse_specific(ctx)
    since = ctx.mark()
    await remote.reserve(ctx, step=1, evse_id=None)
    if len(remote.evse_ids(ctx)) == 1:  # the only EVSE is now Reserved
        await v201.connector_status(ctx, "Reserved", since=since, step=3)
    # The reservation's own token: on a station with one EVSE no other may charge.
    await _authorized_then_charging(ctx, step=5, reservation=int(ctx.memory["reservation_id"]))


@scenario("TC_H_09_CS")
async def reserve_any_evse_all_reserved(ctx: ChargerRun) -> None:
    await _non_evse_specific(ctx)
    tokens = [ctx.valid_token, remote.second_token(ctx)]
    evses = remote.evse_ids(ctx)
    for n, evse_id in enumerate(evses):  # All EVSE are Reserved
        await remote.reserved(ctx, step=0, evse_id=evse_id, token=f"{tokens[n % 2]}-{n}")
    await remote.reserve(ctx, step=1, evse_id=None, expect="Occupied")


@scenario("TC_H_10_CS", physical=_TX_PHYSICAL)
async def reserve_any_evse_all_occupied(ctx: ChargerRun) -> None:
    await _non_evse_specific(ctx)
    evses = remote.evse_ids(ctx)
    tokens = [ctx.valid_token, *(f"{remote.second_token(ctx)}-{n}" for n in evses[1:])]
    remote.accept_tokens(ctx, more=tuple(tokens))
    for evse_id, token in zip(evses, tokens, strict=True):  # EnergyTransferStarted, all EVSE
        await remote.charging_on(ctx, evse_id, token, step=0)
    await remote.reserve(ctx, step=1, evse_id=None, expect="Occupied")


@scenario("TC_H_12_CS")
async def reserve_any_evse_unavailable(ctx: ChargerRun) -> None:
    await _non_evse_specific(ctx)
    await _unavailable(ctx, evse_id=None)  # the Charging Station is Unavailable
    await remote.reserve(ctx, step=1, evse_id=None, expect="Unavailable")


@scenario("TC_H_13_CS")
async def reserve_any_evse_not_supported(ctx: ChargerRun) -> None:
    remote.lacks_feature(ctx, "R-2", "reservation of an unspecified EVSE; the case needs none")
    await _ready(ctx)
    value = await v201.get_variable(ctx, "ReservationCtrlr/NonEvseSpecific")
    if value is not None and value.lower() == "true":
        ctx.not_applicable(
            "the station has ReservationCtrlr.NonEvseSpecific true; the case is for one without"
        )
    await remote.reserve(ctx, step=1, evse_id=None, expect="Rejected")


@scenario("TC_H_14_CS")
async def reserve_any_evse_as_many_as_evses(ctx: ChargerRun) -> None:
    await _non_evse_specific(ctx)
    evses = remote.evse_ids(ctx)
    since = ctx.mark()
    for n in range(len(evses)):  # a different idToken for every reservation
        await remote.reserve(ctx, step=1, evse_id=None, token=f"{ctx.valid_token}-{n}")
    for evse_id in evses:
        payload = await ctx.station_request(
            "StatusNotification",
            step=3,
            since=since,
            match=_reserved_on(evse_id),
            what=f"a StatusNotification Reserved for EVSE {evse_id}",
        )
        ctx.check(3, "StatusNotificationRequest", payload, "connectorStatus", "Reserved")


@scenario("TC_H_15_CS", physical=_TX_PHYSICAL)
async def reserve_connector_type(ctx: ChargerRun) -> None:
    await _non_evse_specific(ctx)
    kind = await _connector_type(ctx)
    since = ctx.mark()
    await remote.reserve(ctx, step=1, evse_id=None, connector_type=kind)
    if len(remote.evse_ids(ctx)) == 1:  # the only connector of that type is Reserved
        await v201.connector_status(ctx, "Reserved", since=since, step=3)
    await _authorized_then_charging(ctx, step=5, reservation=int(ctx.memory["reservation_id"]))


@scenario("TC_H_16_CS")
async def reserve_connector_type_all_reserved(ctx: ChargerRun) -> None:
    await _non_evse_specific(ctx)
    kind = await _connector_type(ctx)
    for n, evse_id in enumerate(remote.evse_ids(ctx)):  # All EVSEs should be reserved
        await remote.reserved(ctx, step=0, evse_id=evse_id, token=f"{ctx.valid_token}-{n}")
    await remote.reserve(ctx, step=1, evse_id=None, connector_type=kind, expect="Occupied")


@scenario("TC_H_24_CS", physical=_TX_PHYSICAL)
async def reserve_any_evse_for_group(ctx: ChargerRun) -> None:
    await _non_evse_specific(ctx)
    remote.accept_tokens(ctx, group=True)
    since = ctx.mark()
    await remote.reserve(ctx, step=1, evse_id=None, group=remote.group_token(ctx))
    if len(remote.evse_ids(ctx)) == 1:
        await v201.connector_status(ctx, "Reserved", since=since, step=3)
    await _authorized_then_charging(
        ctx, step=5, token=remote.second_token(ctx), reservation=int(ctx.memory["reservation_id"])
    )
