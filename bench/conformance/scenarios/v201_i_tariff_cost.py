"""2.0.1 block I, Tariff and Cost: CSMS test cases (part 6 §3.10).

The CSMS must know what energy costs: the cases start with the manual action
``set_price`` (price_per_kwh, currency) — on the built-in CSMS its flat price
(``CsmsConfig.price_per_kwh``). Part 6 prints the running-cost case's id as
"TC_L_01_CSMS" / "TC_1_01_CSMS"; it is block I's first case, TC_I_01_CSMS.
"""

from __future__ import annotations

from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.expect import present
from bench.conformance.scenarios import scenario
from bench.conformance.states_charging import (
    answered,
    charging,
    energy_transfer_started,
    ev_connected_post_session,
    evse_of,
    prepare,
    station_event,
    transaction_id,
)
from bench.kernel.frames import FrameRecord

PRICE_PER_KWH = 0.25
CURRENCY = "EUR"
INTERVAL_S = 1  # <Configured sampled Meter Values interval>


async def _priced(ctx: CaseRun) -> None:
    await ctx.manual(
        "set_price",
        f"Configure the CSMS with a tariff for this station, e.g. {PRICE_PER_KWH} {CURRENCY} "
        "per kWh, so it knows the cost of a transaction",
        price_per_kwh=PRICE_PER_KWH,
        currency=CURRENCY,
    )


async def _cost_reported(ctx: CaseRun, event: FrameRecord, reply: dict[str, Any]) -> None:
    """I02.FR.01: the running cost in the TransactionEventResponse, or else a
    CostUpdatedRequest (step 9) for the transaction."""
    if "totalCost" in reply:
        return
    try:
        # Its transactionId is checked with every other CostUpdatedRequest at the end.
        await ctx.csms_request("CostUpdated", step=9, since=ctx.frames.index(event) + 1)
    except Inconclusive:
        ctx.check_that(
            9,
            "CostUpdatedRequest",
            "(running cost)",
            False,
            "totalCost in the TransactionEventResponse or a CostUpdatedRequest (I02.FR.01)",
            f"neither within {ctx.settings.timeout:g} s",
        )


@scenario("TC_I_01_CSMS", manual=("set_price",))
async def running_cost(ctx: CaseRun) -> None:
    # I02.FR.01: while charging, the CSMS reports the running total cost.
    await _priced(ctx)
    await prepare(ctx, {"SampledDataCtrlr/TxUpdatedInterval": str(INTERVAL_S)})
    await states.booted(ctx)
    evse = evse_of(ctx)
    since = ctx.mark()
    ctx.station.present_id(ctx.settings.valid_id_token, evse)
    authorize = await station_event(ctx, "Authorize", since=since, what="the station's Authorize")
    reply = await answered(ctx, authorize, step=2)
    ctx.check(2, "AuthorizeResponse", reply, "idTokenInfo.status", "Accepted")
    authorized = await station_event(
        ctx,
        "TransactionEvent",
        since=since,
        what="the station's TransactionEvent (Authorized)",
        test=lambda p: p.get("triggerReason") == "Authorized",
    )
    reply = await answered(ctx, authorized, step=4)
    ctx.check(4, "TransactionEventResponse", reply, "idTokenInfo.status", "Accepted")
    tx_id = transaction_id(authorized)
    # Steps 5-6: EVConnectedPreSession and EnergyTransferStarted.
    plugged = ctx.mark()
    ctx.station.plug_in(evse, ctx.settings.ev_template)
    await charging(ctx, since=plugged, step=6)
    # Steps 7-10, twice: a periodic update, its cost.
    since = ctx.mark()
    for _ in range(2):
        event = await station_event(
            ctx,
            "TransactionEvent",
            since=since,
            what="the station's TransactionEvent (MeterValuePeriodic)",
            test=lambda p: p.get("triggerReason") == "MeterValuePeriodic",
            timeout=ctx.settings.timeout + INTERVAL_S,
        )
        since = ctx.frames.index(event) + 1
        reply = await answered(ctx, event, step=8)
        await _cost_reported(ctx, event, reply)
    # Step 7's tool validation: every CostUpdatedRequest names this transaction.
    for rec in ctx.frames:
        if rec.direction == "rx" and rec.type == "CALL" and rec.action == "CostUpdated":
            ctx.check(9, "CostUpdatedRequest", rec.payload, "transactionId", tx_id)


@scenario("TC_I_02_CSMS", manual=("set_price",))
async def final_cost(ctx: CaseRun) -> None:
    # I03.FR.02: the reply to the Ended event carries the transaction's total cost.
    await _priced(ctx)
    await prepare(ctx)
    await states.booted(ctx)
    await energy_transfer_started(ctx)
    await ev_connected_post_session(ctx)
    since = ctx.mark()
    ctx.station.unplug(evse_of(ctx))
    available = await station_event(
        ctx,
        "StatusNotification",
        since=since,
        what="the station's StatusNotification Available",
        test=lambda p: p.get("connectorStatus") == "Available",
    )
    await answered(ctx, available, step=2)
    ended = await station_event(
        ctx,
        "TransactionEvent",
        since=since,
        what="the station's TransactionEvent Ended",
        test=lambda p: p.get("eventType") == "Ended",
    )
    reply = await answered(ctx, ended, step=4)
    ctx.check(4, "TransactionEventResponse", reply, "totalCost", present())
