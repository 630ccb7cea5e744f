"""2.0.1 block K, Smart charging with an ISO 15118 EV (part 6 §2.11, TC_K_53-58 CS).

These cases need an EV that speaks ISO 15118 (high-level communication) on the
station: plugged in, it states its charging needs, which the station relays in
NotifyEVChargingNeedsRequest, and it answers a TxProfile with its own schedule
(NotifyEVChargingScheduleRequest). The bench's own station simulates such an EV
(the ``iso15118-ev`` template, ``ChargerSettings.extra["iso15118_ev_template"]``);
for a real charger the operator connects one (an EV or an EV simulator).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_smart as sc
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import one_of, present

RENEGOTIATED_A = 10  # the TxProfile limit of RenegotiateChargingLimits


def _hlc_ev(ctx: ChargerRun) -> str:
    return ctx.settings.extra.get("iso15118_ev_template", "iso15118-ev")


async def plug_in_hlc_ev(ctx: ChargerRun, *, step: int | None = None) -> None:
    """Connect an EV that speaks ISO 15118 (the ``plug_in`` physical step with such an EV)."""
    cid = ctx.settings.connector_id
    await ctx.physical(
        "plug_in",
        f"Connect an EV (or EV simulator) that speaks ISO 15118 to connector {cid}; it "
        "starts high-level communication and states its charging needs.",
        step=step,
        connector_id=cid,
        ev_template=_hlc_ev(ctx),
    )


async def renegotiate(ctx: ChargerRun, *, step: int | None = None) -> None:
    """Manual action of RenegotiateChargingLimits: the EV renegotiates its charging needs."""
    cid = ctx.settings.connector_id
    await ctx.physical(
        "ev_renegotiate",
        f"Have the EV on connector {cid} renegotiate its charging limits (ISO 15118 "
        "renegotiation: it states its charging needs again).",
        step=step,
        connector_id=cid,
    )


async def ev_connected_hlc(ctx: ChargerRun, *, step: int = 1) -> dict[str, Any]:
    """Reusable state EVConnectedPreSession with an ISO 15118 EV, after Authorized: the
    connector Occupied and the transaction's TransactionEvent. Returns that event."""
    since = ctx.mark()
    await plug_in_hlc_ev(ctx, step=step)
    await v201.connector_status(ctx, "Occupied", since=since, step=step)
    event = await ctx.station_request(
        "TransactionEvent",
        step=step + 2,
        since=since,
        match=lambda p: (
            (p.get("evse") or {}).get("id", ctx.settings.evse_id) == ctx.settings.evse_id
        ),
        what="the TransactionEvent of the plugged-in EV",
    )
    # The state lists CablePluggedIn, ChargingStateChanged or RemoteStart; after an
    # authorization that did not start the transaction (TxStartPoint PowerPathClosed),
    # E02.FR.01 makes the next event say Authorized, so that is accepted too.
    ctx.check(
        step + 2,
        "TransactionEventRequest",
        event,
        "triggerReason",
        one_of("CablePluggedIn", "ChargingStateChanged", "RemoteStart", "Authorized"),
    )
    ctx.memory["transaction_id"] = (event.get("transactionInfo") or {}).get("transactionId")
    return event


def check_needs(ctx: ChargerRun, step: int, needs: dict[str, Any]) -> None:
    """RenegotiateChargingLimits step 1: evseId, and the parameters of the transfer mode."""
    ctx.check(step, "NotifyEVChargingNeedsRequest", needs, "evseId", ctx.settings.evse_id)
    mode = (needs.get("chargingNeeds") or {}).get("requestedEnergyTransfer", "")
    side = "dcChargingParameters" if str(mode).startswith("DC") else "acChargingParameters"
    ctx.check(step, "NotifyEVChargingNeedsRequest", needs, f"chargingNeeds.{side}", present())


async def optional_schedule(ctx: ChargerRun, *, step: int, since: int) -> None:
    """The EV's schedule, if it returns one (an optional step): evseId is validated."""
    found = await ctx.find_frame(
        lambda r: (
            r.direction == "rx" and r.type == "CALL" and r.action == "NotifyEVChargingSchedule"
        ),
        since=since,
        timeout=ctx.settings.quiet_period,
    )
    if found is None:
        return
    schedule = await ctx.station_request(  # the same frame, with its schema checked
        "NotifyEVChargingSchedule", step=step, since=ctx.frames.index(found)
    )
    ctx.check(step, "NotifyEVChargingScheduleRequest", schedule, "evseId", ctx.settings.evse_id)


async def charging_state_charging(ctx: ChargerRun, *, step: int, since: int) -> dict[str, Any]:
    """TransactionEventRequest: triggerReason ChargingStateChanged, chargingState Charging
    (repeated by the station until it charges)."""
    event = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
        what="a TransactionEvent with chargingState Charging",
    )
    ctx.check(step, "TransactionEventRequest", event, "triggerReason", "ChargingStateChanged")
    return event


async def renegotiate_charging_limits(
    ctx: ChargerRun, *, since: int, step: int = 1, ev_initiated: bool = False
) -> None:
    """Reusable state RenegotiateChargingLimits (§2.18). The needs come when the EV is
    plugged in (``since``) or, ``ev_initiated``, after the EV renegotiates."""
    if ev_initiated:
        since = ctx.mark()
        await renegotiate(ctx, step=step)
    needs = await ctx.station_request("NotifyEVChargingNeeds", step=step, since=since)
    check_needs(ctx, step, needs)  # answered Accepted (the default answer)
    sent = sc.profile(
        sc.configured_id(ctx),
        "TxProfile",
        sc.schedule(ctx, [(0, RENEGOTIATED_A)], duration=300),
        kind="Relative",
        transaction_id=v201.transaction_id(ctx),
    )
    mark = ctx.mark()
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=step + 3)
    await optional_schedule(ctx, step=step + 4, since=mark)
    await charging_state_charging(ctx, step=step + 6, since=since)


@scenario("TC_K_53_CS", physical=("present_token", "plug_in"))
async def load_leveling(ctx: ChargerRun) -> None:
    await v201.authorized(ctx)
    since = ctx.mark()
    await ev_connected_hlc(ctx)
    await renegotiate_charging_limits(ctx, since=since)  # K15.FR.01/06/09/10


@scenario("TC_K_54_CS", physical=("present_token", "plug_in"))
async def needs_rejected(ctx: ChargerRun) -> None:
    ctx.answer("NotifyEVChargingNeeds", {"status": "Rejected"})  # step 2
    await v201.authorized(ctx)
    since = ctx.mark()
    await ev_connected_hlc(ctx)
    needs = await ctx.station_request("NotifyEVChargingNeeds", step=1, since=since)
    ctx.check(1, "NotifyEVChargingNeedsRequest", needs, "evseId", ctx.settings.evse_id)
    await optional_schedule(ctx, step=3, since=since)
    await charging_state_charging(ctx, step=5, since=since)  # K17.FR.04: charging goes on


@scenario("TC_K_57_CS", physical=("present_token", "plug_in", "ev_renegotiate"))
async def renegotiation_by_ev(ctx: ChargerRun) -> None:
    await v201.authorized(ctx)
    since = ctx.mark()
    await ev_connected_hlc(ctx)
    await renegotiate_charging_limits(ctx, since=since)
    # Main: the EV renegotiates (K17.FR.01); the CSMS answers with a new TxProfile.
    mark = ctx.mark()
    await renegotiate(ctx)
    needs = await ctx.station_request("NotifyEVChargingNeeds", step=1, since=mark)
    ctx.check(1, "NotifyEVChargingNeedsRequest", needs, "evseId", ctx.settings.evse_id)
    await _new_tx_profile(ctx, 15, reply_step=4, schedule_step=5, event_step=7)


@scenario("TC_K_58_CS", physical=("present_token", "plug_in"))
async def renegotiation_by_csms(ctx: ChargerRun) -> None:
    await v201.authorized(ctx)
    since = ctx.mark()
    await ev_connected_hlc(ctx)
    await renegotiate_charging_limits(ctx, since=since)
    # K17.FR.06: the CSMS renegotiates with a lower TxProfile.
    await _new_tx_profile(ctx, 8, reply_step=2, schedule_step=3, event_step=5)


async def _new_tx_profile(
    ctx: ChargerRun, amps: float, *, reply_step: int, schedule_step: int, event_step: int
) -> None:
    """A new TxProfile (same id: it replaces the one of RenegotiateChargingLimits),
    Accepted; the EV's schedule (optional) and the TransactionEvent ChargingRateChanged."""
    sent = sc.profile(
        sc.configured_id(ctx),
        "TxProfile",
        sc.schedule(ctx, [(0, amps)]),
        kind="Relative",
        transaction_id=v201.transaction_id(ctx),
    )
    since = ctx.mark()
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=reply_step)
    await optional_schedule(ctx, step=schedule_step, since=since)
    event = await ctx.station_request(
        "TransactionEvent",
        step=event_step,
        since=since,
        match=lambda p: p.get("triggerReason") == "ChargingRateChanged",
        what="a TransactionEvent with triggerReason ChargingRateChanged",
    )
    ctx.check(event_step, "TransactionEventRequest", event, "triggerReason", "ChargingRateChanged")


@scenario("TC_K_56_CS", physical=("present_token", "plug_in", "cut_network", "restore_network"))
async def load_leveling_offline(ctx: ChargerRun) -> None:
    backoff = ctx.settings.extra.get("retry_backoff_wait_minimum", "1")
    await v201.configure(ctx, {"OCPPCommCtrlr/RetryBackOffWaitMinimum": backoff})
    dev = sc.deviation(ctx)
    now = sc.utc_now()
    default = sc.simple_profile(
        ctx,
        sc.configured_id(ctx),
        duration=400,
        start=now - timedelta(seconds=dev),
        valid_from=now - timedelta(seconds=dev),
        valid_to=now + timedelta(seconds=dev + 401),
    )
    await sc.memory_profile(ctx, ctx.settings.evse_id, default)
    await v201.authorized(ctx)  # Authorized (local), while online
    # Step 1: the connection is gone and no reconnect is accepted while the EV connects and
    # states its needs: the station must charge under its TxDefaultProfile (K15.FR.15).
    # The bench cannot refuse a reconnect, so the network is cut instead.
    await physical.cut_network(ctx, step=1)
    await ctx.disconnected()
    offline_from = ctx.mark()
    await plug_in_hlc_ev(ctx)  # EVConnectedPreSession, offline
    await physical.restore_network(ctx, step=2)
    await ctx.connected(step=2)
    await optional_schedule(ctx, step=3, since=offline_from)
    event = await ctx.station_request(
        "TransactionEvent",
        step=5,
        since=offline_from,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
        what="a TransactionEvent with chargingState Charging",
    )
    ctx.check(5, "TransactionEventRequest", event, "triggerReason", "ChargingStateChanged")
    ctx.check(5, "TransactionEventRequest", event, "offline", True)
