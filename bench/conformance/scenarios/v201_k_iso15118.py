"""2.0.1 block K, SmartCharging: ISO 15118 load levelling and renegotiation (part 6 §3.12).

TC_K_53/55 (K15 charging with load levelling), TC_K_57 (K17 renegotiation by the EV),
TC_K_58/59 (K16 renegotiation by the CSMS). The bench's station and its ISO 15118 EV
play the station's side (``states_iso15118``); where the case needs a message a
well-behaved station would not send, the scenario sends it with ``ctx.send`` and says
so. A CSMS answers charging needs with a TxProfile on its own (K15.FR.07/08); the
manual action ``set_charging_profile`` is for one that does not (the built-in CSMS),
and takes a profile the CSMS already sent as done.
"""

from __future__ import annotations

from bench.conformance import states_smart
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import one_of
from bench.conformance.states_iso15118 import (
    NEEDS_ANSWERS,
    charging_reported,
    ev_schedule,
    iso15118_plugged,
    iso15118_smart_charging,
    processing,
    rate_changed,
    renegotiated_needs,
    schedule_beyond,
    tx_profile_for_ev,
)
from bench.conformance.states_smart import smart_case

MANUAL = (states_smart.SET_PROFILE,)
LOWER_A = 10.0  # the limit a renegotiated TxProfile lowers the EV to
SECOND_A = 12.0  # TC_K_59's first renegotiation


@smart_case("TC_K_53_CSMS", manual=MANUAL)
async def load_levelling(ctx: CaseRun) -> None:
    # K15.FR.02/03/05/07/11: needs answered, a TxProfile for the transaction, the EV's
    # schedule accepted. The case's main scenario is the reusable state itself.
    await states_smart.booted(ctx)
    await iso15118_smart_charging(ctx, label="TC_K_53")


@smart_case("TC_K_55_CSMS", manual=MANUAL)
async def ev_schedule_exceeds_limits(ctx: CaseRun) -> None:
    # K15.FR.12/13, K16.FR.07/08, K17.FR.12/13: the EV's schedule exceeds the TxProfile;
    # the CSMS rejects it and renegotiates with a new TxProfile.
    label = "TC_K_55"
    await states_smart.booted(ctx)
    plug = await iso15118_plugged(
        ctx, step=2, message=f"{label}: NotifyEVChargingNeedsResponse", answers=("Accepted",)
    )
    request, reply = await tx_profile_for_ev(ctx, 3, label, plug, 16.0, since=plug.since)
    # The bench's EV keeps within the TxProfile: the station relays that schedule first
    # (answered, not judged); the schedule beyond the limits of step 5 is sent by the case.
    await states_smart.station_call(
        ctx, "NotifyEVChargingSchedule", step=None, since=ctx.frames.index(reply)
    )
    beyond = await ctx.send(
        "NotifyEVChargingSchedule", schedule_beyond(ctx, plug.evse_id, request, 20.0), step=6
    )
    message = f"{label}: NotifyEVChargingScheduleResponse"
    ctx.check(6, message, beyond.payload, "status", "Rejected")
    await charging_reported(ctx, 8, label, plug.since)
    since = ctx.mark()
    _, reply = await tx_profile_for_ev(ctx, 9, label, plug, LOWER_A, since=since)
    await ev_schedule(ctx, 12, label, ctx.frames.index(reply))
    await rate_changed(ctx, 14, label, ctx.frames.index(reply))


@smart_case("TC_K_57_CSMS", manual=MANUAL)
async def renegotiation_by_ev(ctx: CaseRun) -> None:
    # K17.FR.02/03/05/07/11: the EV renegotiates with new needs; the CSMS answers them
    # and sends a new TxProfile, whose schedule the EV returns.
    label = "TC_K_57"
    await states_smart.booted(ctx)
    plug, _ = await iso15118_smart_charging(ctx)
    since = ctx.mark()
    # Step 1: the bench's simulated EV cannot be asked to renegotiate, so its new needs
    # (at most 13 A now) are sent by the case.
    needs = await ctx.send(
        "NotifyEVChargingNeeds", renegotiated_needs(ctx, plug.evse_id, 13), step=2
    )
    message = f"{label}: NotifyEVChargingNeedsResponse"
    ctx.check(2, message, needs.payload, "status", one_of(*NEEDS_ANSWERS))
    # Step 3: the EV's lower demand changes the charging rate. The simulated EV still
    # draws its old current, so a 13 A local limit on the connector plays it; the
    # station reports ChargingRateChanged itself.
    lowered = ctx.mark()
    ctx.station.set_local_limit(plug.evse_id, 13.0)
    await rate_changed(ctx, 4, label, lowered)
    _, reply = await tx_profile_for_ev(
        ctx, 5, label, plug, LOWER_A, since=since, waited=processing(needs)
    )
    await ev_schedule(ctx, 8, label, ctx.frames.index(reply))
    await rate_changed(ctx, 10, label, ctx.frames.index(reply))


@smart_case("TC_K_58_CSMS", manual=MANUAL)
async def renegotiation_by_csms(ctx: CaseRun) -> None:
    # K16.FR.06: the CSMS lowers the TxProfile; the EV's new schedule is accepted.
    label = "TC_K_58"
    await states_smart.booted(ctx)
    plug, _ = await iso15118_smart_charging(ctx)
    _, reply = await tx_profile_for_ev(ctx, 1, label, plug, LOWER_A, since=ctx.mark())
    await ev_schedule(ctx, 4, label, ctx.frames.index(reply))
    await rate_changed(ctx, 6, label, ctx.frames.index(reply))


@smart_case("TC_K_59_CSMS", manual=MANUAL)
async def renegotiation_by_csms_needs_resent(ctx: CaseRun) -> None:
    # K16.FR.12: a station that sends the EV's needs again after a new TxProfile (not
    # adhering to K16.FR.09) gets a SetChargingProfileRequest again.
    label = "TC_K_59"
    await states_smart.booted(ctx)
    plug, _ = await iso15118_smart_charging(ctx)
    _, reply = await tx_profile_for_ev(ctx, 1, label, plug, SECOND_A, since=ctx.mark())
    # The bench's station follows K16.FR.05: it relays the EV's schedule (answered, not
    # judged). It also follows K16.FR.09 and would not resend the needs: step 3 is sent
    # by the case.
    await states_smart.station_call(
        ctx, "NotifyEVChargingSchedule", step=None, since=ctx.frames.index(reply)
    )
    since = ctx.mark()
    needs = await ctx.send(
        "NotifyEVChargingNeeds", renegotiated_needs(ctx, plug.evse_id, 16), step=4
    )
    message = f"{label}: NotifyEVChargingNeedsResponse"
    ctx.check(4, message, needs.payload, "status", one_of(*NEEDS_ANSWERS))
    _, reply = await tx_profile_for_ev(
        ctx, 5, label, plug, LOWER_A, since=since, waited=processing(needs)
    )
    await ev_schedule(ctx, 8, label, ctx.frames.index(reply))
    await rate_changed(ctx, 10, label, ctx.frames.index(reply))
