"""2.0.1 block I, Tariff and cost: charging-station test cases (part 6 §2.10).

The CSMS tells the driver the tariff in the AuthorizeResponse's personalMessage, the
running cost in the TransactionEventResponse's updatedPersonalMessage and, during
charging, the running total in a CostUpdatedRequest (TC_I_01_CS, I02) or in the
TransactionEventResponse's totalCost (TC_I_07_CS, I03); the final total comes in the
response to the Ended event (TC_I_02_CS, I03).
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_tx as tx
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import one_of

TE = "TransactionEventRequest"
CHARGE = ("present_token", "plug_in")
ROUNDS = 2  # "Steps 6, 7, 8 and 9 are repeated n times"


def configured_cost(ctx: ChargerRun) -> str:
    """<Configured Cost>: the tariff text the driver is shown."""
    return ctx.settings.extra.get("cost_message", "0.25 EUR/kWh")


def configured_cost2(ctx: ChargerRun, round_no: int) -> float:
    """<Configured Cost2>: a running total (growing with each round)."""
    return round(float(ctx.settings.extra.get("cost2", "1.50")) * round_no, 2)


def _message(ctx: ChargerRun) -> dict[str, str]:
    return {"format": "ASCII", "content": configured_cost(ctx)}


async def tariff_supported(ctx: ChargerRun, instance: str) -> None:
    """Prerequisite "The Charging Station supports Tariff Information": its
    TariffCostCtrlr.Available[``instance``] says so, or the case is not applicable."""
    value = await v201.get_variable(ctx, f"TariffCostCtrlr/Available/{instance}")
    if value != "true":
        ctx.not_applicable(
            f"the station does not support tariff and cost information "
            f"(TariffCostCtrlr.Available[{instance}] is {value or 'not implemented'})"
        )


async def _authorize_with_tariff(ctx: ChargerRun) -> int:
    """Steps 1-5: the driver presents the token at the connected EV; the AuthorizeResponse
    carries the tariff; the transaction's events, then EnergyTransferStarted."""
    await tx.known_points(ctx)
    await tx.ev_connected_pre_session(ctx, step=None)
    running = tx.in_transaction(ctx)

    def with_tariff(request: dict[str, Any]) -> dict[str, Any]:
        answer = ctx.default_answer("Authorize", request)
        answer["idTokenInfo"]["personalMessage"] = _message(ctx)
        return answer

    ctx.answer("Authorize", with_tariff)
    since = ctx.mark()
    await physical.present(ctx, step=1)
    request = await ctx.station_request("Authorize", step=1, since=since)
    tx.check_token(ctx, 1, "AuthorizeRequest", request)
    tx.authorization_pending(ctx)
    if running or {"Authorized", "PowerPathClosed"} & tx.start_points(ctx):
        event = await tx.tx_event(ctx, since=since, step=3)
        ctx.check(3, TE, event, "triggerReason", "Authorized")
        tx.check_token(ctx, 3, TE, event)
        ctx.check(3, TE, event, "eventType", "Updated" if running else "Started")
    await tx.energy_transfer_started(ctx, step=5, plug=False, since=since)
    return since


async def _running_cost(ctx: ChargerRun, *, cost_updated: bool) -> None:
    rounds = {"n": 0}

    def with_cost(request: dict[str, Any]) -> dict[str, Any]:
        answer = ctx.default_answer("TransactionEvent", request)
        answer["updatedPersonalMessage"] = _message(ctx)
        if not cost_updated and request.get("eventType") != "Started":
            rounds["n"] += 1
            answer["totalCost"] = configured_cost2(ctx, rounds["n"])
        return answer

    ctx.answer("TransactionEvent", with_cost)
    # A short update interval: the station's next TransactionEvent (step 6) comes soon.
    await tx.configure_if_implemented(ctx, {"SampledDataCtrlr/TxUpdatedInterval": "1"})
    tx_id = v201.transaction_id(ctx)
    for n in range(1, ROUNDS + 1):
        since = ctx.mark()
        event = await tx.tx_event(ctx, since=since, step=6)
        ctx.check(6, TE, event, "eventType", one_of("Updated"))
        if cost_updated:
            await ctx.request(
                "CostUpdated",
                {"totalCost": configured_cost2(ctx, n), "transactionId": tx_id},
                step=8,
            )


@scenario("TC_I_01_CS", physical=CHARGE)
async def running_cost_cost_updated(ctx: ChargerRun) -> None:
    await tariff_supported(ctx, "Cost")
    await _authorize_with_tariff(ctx)
    await _running_cost(ctx, cost_updated=True)


@scenario("TC_I_07_CS", physical=CHARGE)
async def running_cost_transaction_response(ctx: ChargerRun) -> None:
    await tariff_supported(ctx, "Cost")
    await _authorize_with_tariff(ctx)
    await _running_cost(ctx, cost_updated=False)


@scenario("TC_I_02_CS", physical=(*CHARGE, "unplug"))
async def final_cost(ctx: ChargerRun) -> None:
    await tariff_supported(ctx, "Cost")
    await tx.known_points(ctx)
    await tx.authorized_local(ctx, step=None)
    await tx.energy_transfer_started(ctx, step=None)

    def total_at_end(request: dict[str, Any]) -> dict[str, Any]:
        answer = ctx.default_answer("TransactionEvent", request)
        if request.get("eventType") == "Ended":
            answer["totalCost"] = configured_cost2(ctx, 1)  # <Generated Cost>
        return answer

    ctx.answer("TransactionEvent", total_at_end)
    await tx.full_stop_local(ctx, step=1)
