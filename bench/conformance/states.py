"""The reusable states of the CSMS test cases, played by the bench's real station.

OCTT reaches a state by sending scripted messages; the bench reaches it the way a
station in the field does — it boots, a driver presents a card, an EV is plugged
in — so the messages, their order and their timing are the station's own. Each
state checks the tool validations the documents attach to it (2.0.1 part 6 §3.18,
the 1.6 document's reusable states). Connector 1 (EVSE 1) unless told otherwise.
The 2.0.1 transaction states live in ``states_v201`` (they build on each other and
remember which card authorized which EVSE); the functions here hand over to them.
"""

from __future__ import annotations

from bench.conformance import states_v201 as v201
from bench.conformance.case_run import CaseRun, Inconclusive

V201 = "2.0.1"


async def booted(ctx: CaseRun, *, step: int | None = None, status: str = "Accepted") -> None:
    """Reusable State Booted: power up, BootNotification, the status of every connector.

    2.0.1 §3.18 Booted step 2: BootNotificationResponse status Accepted; 1.6 the same
    for the BootNotification.conf. A 2.0.1 station boots with §3.1's general
    pre-conditions (TxStartPoint, TxStopPoint, AuthCtrlr ...) in force.
    """
    if ctx.version == V201:
        await v201.configure(ctx)
    since = ctx.mark()
    await ctx.start_station()
    reply = await ctx.reply_to("BootNotification", step=step, since=since)
    ctx.require(step, "BootNotificationResponse", reply.payload, "status", status)
    if status == "Accepted":
        await ctx.station.wait_accepted(ctx.settings.timeout)
        await statuses_reported(ctx, since)


async def statuses_reported(ctx: CaseRun, since: int) -> None:
    """Wait until the CSMS answered the StatusNotification of every connector."""
    for _ in ctx.station.connector_ids():  # reply_to raises Inconclusive when one is missing
        rec = await ctx.reply_to("StatusNotification", step=None, since=since)
        since = ctx.frames.index(rec) + 1


def connector_for(ctx: CaseRun) -> int:
    return ctx.station.connector_ids()[0]


async def authorized(
    ctx: CaseRun, *, step: int | None = None, connector: int | None = None
) -> None:
    """Reusable State Authorized: a driver presents the configured valid card.

    2.0.1: AuthorizeResponse and TransactionEventResponse idTokenInfo.status Accepted
    (the station sends Authorize and a TransactionEvent with triggerReason Authorized).
    1.6: Authorize.conf idTagInfo.status Accepted.
    """
    cid = connector or connector_for(ctx)
    if ctx.version == V201:
        await v201.authorized(ctx, step=step, connector=cid)
        return
    since = ctx.mark()
    ctx.station.present_id(ctx.settings.valid_id_token, cid)
    reply = await ctx.reply_to("Authorize", step=step, since=since)
    ctx.require(step, "Authorize.conf", reply.payload, "idTagInfo.status", "Accepted")


async def transaction_event(ctx: CaseRun, since: int, trigger: str) -> dict:
    """The CSMS's reply to the station's next TransactionEvent with ``trigger``.

    A reply that is no valid TransactionEventResponse fails a check (and gives {})."""
    _, reply = await v201.tx_event(
        ctx, since, step=None, what=trigger, match=v201.trigger_is(trigger)
    )
    return reply


async def ev_connected(ctx: CaseRun, *, connector: int | None = None) -> None:
    """Reusable State EVConnectedPreSession (2.0.1) / the cable plugged in (1.6)."""
    cid = connector or connector_for(ctx)
    if ctx.version == V201:
        await v201.ev_connected(ctx, connector=cid)
        return
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await ctx.reply_to("StatusNotification", step=None, since=since)


async def energy_transfer_started(
    ctx: CaseRun, *, step: int | None = None, connector: int | None = None
) -> None:
    """Reusable State EnergyTransferStarted: authorized, plugged in, charging."""
    cid = connector or connector_for(ctx)
    if ctx.version == V201:
        await v201.energy_transfer_started(ctx, step=step, connector=cid)
        return
    await authorized(ctx, step=step, connector=cid)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    reply = await ctx.reply_to("StartTransaction", step=step, since=since)
    ctx.require(step, "StartTransaction.conf", reply.payload, "idTagInfo.status", "Accepted")
    if not await ctx.station.wait_status(cid, "Charging", ctx.settings.timeout):
        raise Inconclusive(f"connector {cid} did not start charging")


async def stop_authorized(
    ctx: CaseRun, *, step: int | None = None, connector: int | None = None
) -> None:
    """Reusable State StopAuthorized: the driver presents the card again to stop."""
    cid = connector or connector_for(ctx)
    if ctx.version == V201:
        await v201.stop_authorized(ctx, step=step, connector=cid)
        return
    since = ctx.mark()
    ctx.station.present_id(ctx.settings.valid_id_token, cid)
    await ctx.reply_to("StopTransaction", step=step, since=since)


async def ev_disconnected(ctx: CaseRun, *, connector: int | None = None) -> None:
    """Reusable State EVDisconnected: the cable is unplugged (the transaction ends)."""
    cid = connector or connector_for(ctx)
    if ctx.version == V201:
        await v201.ev_disconnected(ctx, connector=cid)
        return
    since = ctx.mark()
    ctx.station.unplug(cid)
    await ctx.reply_to("StatusNotification", step=None, since=since)
