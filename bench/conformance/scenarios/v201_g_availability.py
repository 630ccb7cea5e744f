"""2.0.1 block G, Availability: CSMS test cases (part 6 §3.8).

The station is the bench's real station: it answers ChangeAvailability itself
(Accepted, or Scheduled while a transaction runs, G03.FR.05/G04.FR.06) and reports
its connectors with StatusNotification; the driver's stop and unplug are played
through the station API. ``<Configured evseId>`` and ``<Configured connectorId>``
are EVSE 1, connector 1.
"""

from __future__ import annotations

from bench.conformance import preconditions, states
from bench.conformance.case_run import CaseRun
from bench.conformance.scenarios import scenario
from bench.conformance.states_availability import (
    change_availability,
    energy_transfer_started,
    status_answered,
    stop_and_unplug,
    unavailable,
)

CONNECTOR = 1  # the connector of an EVSE (the bench's EVSEs have one each)


@scenario("TC_G_03_CSMS", manual=("change_availability",))
async def evse_operative_to_inoperative(ctx: CaseRun) -> None:
    # G03: Reusable State Unavailable for <Configured evseId>.
    await preconditions.booted(ctx)
    await unavailable(ctx, step=1, evse=states.connector_for(ctx))


@scenario("TC_G_04_CSMS", manual=("change_availability",))
async def evse_inoperative_to_operative(ctx: CaseRun) -> None:
    # G03 (Memory State: Unavailable for the EVSE, reached through the CSMS as
    # Reusable State Unavailable), then back to Operative.
    evse = states.connector_for(ctx)
    await preconditions.booted(ctx)
    await unavailable(ctx, evse=evse)
    since = ctx.mark()
    await change_availability(ctx, "Operative", step=1, evse=evse)
    await status_answered(ctx, "Available", since=since, evse=evse, step=4)


@scenario("TC_G_05_CSMS", manual=("change_availability",))
async def station_operative_to_inoperative(ctx: CaseRun) -> None:
    # G04: the whole station Inoperative; every connector reports Unavailable.
    await preconditions.booted(ctx)
    since = ctx.mark()
    await change_availability(ctx, "Inoperative", step=1)
    await _every_connector(ctx, "Unavailable", since, step=4)


@scenario("TC_G_06_CSMS", manual=("change_availability",))
async def station_inoperative_to_operative(ctx: CaseRun) -> None:
    # G04: the station set to Unavailable first (Reusable State), then Operative.
    # (The case's manual action says "Inoperative"; its tool validation and purpose say
    # Operative, which is what is asked for here.)
    await preconditions.booted(ctx)
    await unavailable(ctx)
    since = ctx.mark()
    await change_availability(ctx, "Operative", step=1)
    await _every_connector(ctx, "Available", since, step=4)


@scenario("TC_G_07_CSMS", manual=("change_availability",))
async def connector_operative_to_inoperative(ctx: CaseRun) -> None:
    # G03 for one connector of one EVSE.
    evse = states.connector_for(ctx)
    await preconditions.booted(ctx)
    since = ctx.mark()
    await change_availability(ctx, "Inoperative", step=1, evse=evse, connector=CONNECTOR)
    await status_answered(ctx, "Unavailable", since=since, evse=evse, step=4)


@scenario("TC_G_08_CSMS", manual=("change_availability",))
async def connector_inoperative_to_operative(ctx: CaseRun) -> None:
    # G03 (Memory State: the connector Unavailable, reached through the CSMS).
    evse = states.connector_for(ctx)
    await preconditions.booted(ctx)
    await unavailable(ctx, evse=evse, connector=CONNECTOR)
    since = ctx.mark()
    await change_availability(ctx, "Operative", step=1, evse=evse, connector=CONNECTOR)
    await status_answered(ctx, "Available", since=since, evse=evse, step=4)


async def _with_transaction(
    ctx: CaseRun, evse: int | None, connector: int | None, *, statuses_step: int
) -> None:
    """G03.FR.05 / G04.FR.06: requested during a transaction, applied after it."""
    cid = states.connector_for(ctx)
    await preconditions.booted(ctx)
    await energy_transfer_started(ctx)
    since = ctx.mark()
    await change_availability(ctx, "Inoperative", step=1, evse=evse, connector=connector)
    # The station answers Scheduled itself: its connector is charging.
    await stop_and_unplug(ctx)
    # Post scenario validation: the CSMS answered the report of every connector.
    if evse is None:
        await _every_connector(ctx, "Unavailable", since, step=statuses_step)
    else:
        await status_answered(ctx, "Unavailable", since=since, evse=cid, step=statuses_step)


@scenario("TC_G_11_CSMS", manual=("change_availability",))
async def evse_inoperative_during_transaction(ctx: CaseRun) -> None:
    await _with_transaction(ctx, states.connector_for(ctx), None, statuses_step=7)


@scenario("TC_G_14_CSMS", manual=("change_availability",))
async def station_inoperative_during_transaction(ctx: CaseRun) -> None:
    # Step 3 (unoccupied connectors Unavailable at once) and step 8 (the charging one
    # after the transaction) both come from the station; every one must be answered.
    await _with_transaction(ctx, None, None, statuses_step=9)


@scenario("TC_G_17_CSMS", manual=("change_availability",))
async def connector_inoperative_during_transaction(ctx: CaseRun) -> None:
    await _with_transaction(ctx, states.connector_for(ctx), CONNECTOR, statuses_step=7)


@scenario("TC_G_20_CSMS")
async def lock_failure_notified(ctx: CaseRun) -> None:
    # G05.FR.02/03: the station reports the ConnectorPlugRetentionLock problem; the CSMS
    # answers with a NotifyEventResponse. The bench's station has no
    # ConnectorPlugRetentionLock component (its lock fault is reported on the Connector's
    # Problem variable, trigger Alerting), so the case's message is sent as given.
    await preconditions.booted(ctx)
    evse = states.connector_for(ctx)
    now = ctx.station.clock.now().isoformat(timespec="seconds")
    event = {
        "generatedAt": now,
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 1,
                "timestamp": now,
                "trigger": "Delta",
                "actualValue": "true",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "ConnectorPlugRetentionLock", "evse": {"id": evse}},
                "variable": {"name": "Problem"},
            }
        ],
    }
    reply = await ctx.send("NotifyEvent", event, step=1)
    ctx.check_that(
        2,
        "NotifyEventResponse",
        "(message type)",
        reply.type == "CALLRESULT",
        "CALLRESULT",
        f"{reply.type} {reply.error or ''}".strip(),
    )


async def _every_connector(ctx: CaseRun, status: str, since: int, *, step: int) -> None:
    """Every connector of the station reported ``status`` and the CSMS answered each."""
    for evse in ctx.station.connector_ids():
        await status_answered(ctx, status, since=since, evse=evse, step=step)
