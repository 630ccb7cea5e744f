"""2.0.1 block H, Reservation: CSMS test cases (part 6 §3.9).

The bench's station answers ReserveNow and CancelReservation with its own block H
(H01-H04): a specific EVSE reports Reserved, an unspecified reservation holds the
EVSEs it needs (H01.FR.20/24), a reservation ends at its expiry with
ReservationStatusUpdate Expired and on a fault with Removed.

Manual actions: ``reserve_now`` (reservation_id, expiry_date_time, id_token,
id_token_type, and evse_id / connector_type / group_id_token(_type) where the case
names them) and ``cancel_reservation`` (reservation_id). Optional CSMS features
(part 5): ReserveConnectorType (R-1) for TC_H_15, ReserveUnspecifiedEvse (R-2) for
TC_H_08 and TC_H_14.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import absent, present, satisfies
from bench.conformance.scenarios import scenario
from bench.conformance.states_charging import (
    StationDeviation,
    answered,
    evse_of,
    id_token,
    needs_feature,
    prepare,
    station_event,
    station_sent,
    with_evses,
)
from bench.kernel.frames import FrameRecord
from bench.ocpp.common.timestamps import iso, parse_iso

RESERVATION_ID = 1  # what the case asks the CSMS for; the checks follow the id it sends
HOUR_S = 3600  # a reservation that must outlast the case
# <configured transaction duration> of TC_H_07: the reservation expires unused after it.
EXPIRES_S = 1
GROUP_ID_TOKEN = {"idToken": "BENCH-GROUP", "type": "Central"}
MULTI_EVSE_TEMPLATE = "ac-22kw-dual"  # TC_H_14 wants more than one EVSE


async def _reserve(
    ctx: CaseRun,
    *,
    evse: int | None,
    connector_type: str | None = None,
    group: dict[str, str] | None = None,
    expires_s: int = HOUR_S,
    reservation_id: int = RESERVATION_ID,
    step: int = 1,
    check: bool = True,
) -> dict[str, Any]:
    """Manual action: the CSMS sends ReserveNow; step 1's tool validations."""
    token = id_token(ctx)
    now = ctx.station.clock.now()
    expiry = iso(now + timedelta(seconds=expires_s))
    payload: dict[str, Any] = {"id": reservation_id, "expiryDateTime": expiry, "idToken": token}
    params: dict[str, Any] = {
        "reservation_id": reservation_id,
        "expiry_date_time": expiry,
        "id_token": token["idToken"],
        "id_token_type": token["type"],
    }
    what = f"EVSE {evse}" if evse is not None else "an unspecified EVSE"
    if evse is not None:
        payload["evseId"] = params["evse_id"] = evse
    if connector_type is not None:
        payload["connectorType"] = params["connector_type"] = connector_type
        what += f" with a connector of type {connector_type}"
    if group is not None:
        payload["groupIdToken"] = group
        params["group_id_token"] = group["idToken"]
        params["group_id_token_type"] = group["type"]
        what += f" for group {group['idToken']}"
    request = await ctx.request_by_hand(
        "reserve_now",
        f"Trigger the CSMS to send a ReserveNowRequest for {what}, idToken "
        f"{token['idToken']} ({token['type']}), expiring at {expiry}",
        "ReserveNow",
        payload,
        step=step,
        **params,
    )
    if check:
        message = "ReserveNowRequest"
        ctx.check(step, message, request, "evseId", evse if evse is not None else absent())
        ctx.check(
            step,
            message,
            request,
            "connectorType",
            connector_type if connector_type is not None else absent(),
        )
        ctx.check(step, message, request, "idToken.idToken", token["idToken"])
        ctx.check(step, message, request, "idToken.type", token["type"])
        if group is not None:
            ctx.check(step, message, request, "groupIdToken", present())
        # H01: a reservation ends at expiryDateTime, so it has to lie ahead.
        ctx.check(step, message, request, "expiryDateTime", _after(now))
    return request


def _after(now: datetime) -> Any:
    def later(value: Any) -> bool:
        when = parse_iso(value) if isinstance(value, str) else None
        return when is not None and when > now

    return satisfies(later, f"a dateTime after {iso(now)}")


async def _status(
    ctx: CaseRun, status: str, *, since: int, step: int, evse: int | None = None
) -> FrameRecord:
    """The station reports ``status`` for the (configured) EVSE's connector; the CSMS
    answers (step + 1)."""
    wanted = evse_of(ctx) if evse is None else evse
    rec = await station_event(
        ctx,
        "StatusNotification",
        since=since,
        what=f"the station's StatusNotification {status} for EVSE {wanted}",
        test=lambda p: p.get("connectorStatus") == status and p.get("evseId") == wanted,
    )
    await answered(ctx, rec, step=step + 1)
    return rec


async def _reserved(ctx: CaseRun, **reserve: Any) -> tuple[dict[str, Any], FrameRecord]:
    """Reusable State Reserved (§3.18) with the given ReserveNow: steps 1-4."""
    since = ctx.mark()
    request = await _reserve(ctx, **reserve)
    return request, await _status(ctx, "Reserved", since=since, step=3)


async def _status_update(
    ctx: CaseRun,
    request: dict[str, Any],
    how: str,
    *,
    since: int,
    step: int,
    timeout: float | None = None,
) -> None:
    """H04: the station's ReservationStatusUpdate ``how`` for the CSMS's reservation."""
    rec = await station_event(
        ctx,
        "ReservationStatusUpdate",
        since=since,
        what=f"the station's ReservationStatusUpdate {how}",
        timeout=timeout,
    )
    station_sent(rec, "reservationUpdateStatus", how)
    station_sent(rec, "reservationId", request.get("id"))
    await answered(ctx, rec, step=step + 1)


@scenario("TC_H_01_CSMS", manual=("reserve_now",))
async def reserve_specific_evse(ctx: CaseRun) -> None:
    # H01 (S2), H03: Reusable State Reserved for the configured EVSE.
    await prepare(ctx)
    await states.booted(ctx)
    await _reserved(ctx, evse=evse_of(ctx))


@scenario("TC_H_07_CSMS", manual=("reserve_now",))
async def reservation_expires(ctx: CaseRun) -> None:
    # H01 (S2), H04.FR.01-03: not used before expiryDateTime: Available, then Expired.
    await prepare(ctx)
    await states.booted(ctx)
    request, reserved = await _reserved(ctx, evse=evse_of(ctx), expires_s=EXPIRES_S)
    # Step 5 comes after the expiry the CSMS chose: wait that long and the usual limit.
    expiry = parse_iso(str(request.get("expiryDateTime")))
    left = (expiry - ctx.station.clock.now()).total_seconds() if expiry else 0.0
    timeout = ctx.settings.timeout + max(0.0, left)
    since = ctx.frames.index(reserved) + 1
    rec = await station_event(
        ctx,
        "StatusNotification",
        since=since,
        what="the station's StatusNotification Available after the expiry",
        test=lambda p: p.get("connectorStatus") == "Available",
        timeout=timeout,
    )
    await answered(ctx, rec, step=6)
    await _status_update(ctx, request, "Expired", since=since, step=7)


@scenario("TC_H_08_CSMS", manual=("reserve_now",))
async def reserve_unspecified_evse(ctx: CaseRun) -> None:
    # H01 (S1), H03: no evseId; with one EVSE that EVSE is held Reserved (H01.FR.20/24).
    needs_feature(ctx, "ReserveUnspecifiedEvse", "R-2")
    await prepare(ctx)
    await states.booted(ctx)
    since = ctx.mark()
    await _reserve(ctx, evse=None)
    if len(ctx.station.connector_ids()) == 1:
        await _status(ctx, "Reserved", since=since, step=3)


@scenario("TC_H_14_CSMS", manual=("reserve_now",))
async def reserve_unspecified_every_evse(ctx: CaseRun) -> None:
    # H01 (S1), H01.FR.20/24: as many reservations as EVSEs: every EVSE turns Reserved.
    # Part 5: "For CSMS: this will be tested with >1 EVSE".
    needs_feature(ctx, "ReserveUnspecifiedEvse", "R-2")
    with_evses(ctx, 2, MULTI_EVSE_TEMPLATE)
    await prepare(ctx)
    await states.booted(ctx)
    evses = list(ctx.station.connector_ids())
    since = 0
    for n in range(len(evses)):
        since = ctx.mark()
        await _reserve(ctx, evse=None, reservation_id=RESERVATION_ID + n)
    for evse in evses:
        await _status(ctx, "Reserved", since=since, step=3, evse=evse)


@scenario("TC_H_15_CSMS", manual=("reserve_now",))
async def reserve_connector_type(ctx: CaseRun) -> None:
    # H01 (S3), H03: an EVSE with a connector of the configured type.
    needs_feature(ctx, "ReserveConnectorType", "R-1")
    await prepare(ctx)
    await states.booted(ctx)
    evse = evse_of(ctx)
    ctype = ctx.station.settings.read(f"Connector@{evse}.1/ConnectorType")
    if not ctype:
        raise StationDeviation(f"the bench's station has no Connector@{evse}.1/ConnectorType")
    since = ctx.mark()
    await _reserve(ctx, evse=None, connector_type=ctype)
    await _status(ctx, "Reserved", since=since, step=3)


@scenario("TC_H_17_CSMS", manual=("reserve_now", "cancel_reservation"))
async def cancel_reservation(ctx: CaseRun) -> None:
    # H02.FR.02/04: the CSMS cancels the reservation it made; the EVSE is Available again.
    await prepare(ctx)
    await states.booted(ctx)
    request, _ = await _reserved(ctx, evse=evse_of(ctx))
    rid = request.get("id")
    since = ctx.mark()
    cancel = await ctx.request_by_hand(
        "cancel_reservation",
        f"Trigger the CSMS to send a CancelReservationRequest for reservation {rid}",
        "CancelReservation",
        {"reservationId": rid},
        step=5,
        reservation_id=rid,
    )
    ctx.check(5, "CancelReservationRequest", cancel, "reservationId", rid)
    await _status(ctx, "Available", since=since, step=7)


@scenario("TC_H_19_CSMS", manual=("reserve_now",))
async def reserve_for_group(ctx: CaseRun) -> None:
    # H01, H03.FR.02-06: a reservation for a groupIdToken.
    await prepare(ctx)
    await states.booted(ctx)
    await _reserved(ctx, evse=evse_of(ctx), group=GROUP_ID_TOKEN)


@scenario("TC_H_20_CSMS", manual=("reserve_now",))
async def reservation_removed_on_fault(ctx: CaseRun) -> None:
    # H01.FR.16: the reserved EVSE turns Faulted: ReservationStatusUpdate Removed.
    await prepare(ctx)
    await states.booted(ctx)
    evse = evse_of(ctx)
    request, _ = await _reserved(ctx, evse=evse)
    since = ctx.mark()
    ctx.station.raise_fault(evse, "rcd_trip")
    await _status(ctx, "Faulted", since=since, step=5)
    await _status_update(ctx, request, "Removed", since=since, step=7)


@scenario("TC_H_22_CSMS", manual=("reserve_now",))
async def reservation_rejected(ctx: CaseRun) -> None:
    # H01.FR.01: reservations switched off at the station: ReserveNow Rejected.
    await prepare(ctx, {"ReservationCtrlr/Enabled": "false"})
    await states.booted(ctx)
    since = ctx.mark()
    await _reserve(ctx, evse=evse_of(ctx), check=False)
    reply = await ctx.wait_frame(
        lambda r: r.direction == "tx" and r.type == "CALLRESULT" and r.action == "ReserveNow",
        since=since,
        what="the station's ReserveNowResponse",
    )
    station_sent(reply, "status", "Rejected")
