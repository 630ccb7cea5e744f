"""OCPP 1.6 Core: boot, charging sessions the station starts, authorization, power and
offline behaviour (1.6 test case document §3.1-3.3, 3.8, 3.11, 3.12).

In these cases the Central System only answers: the checks are its confs (schema,
the listed idTagInfo.status, the BootNotification status). The station's own
messages are what the bench's station sends for the physical events the case
names; where its model differs from OCTT's scripted messages the scenario says so.
"""

from __future__ import annotations

from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.scenarios import scenario


@scenario("TC_001_CSMS")
async def cold_boot(ctx: CaseRun) -> None:
    # 1.6 §4.2, §4.6: BootNotification Accepted, a status per connector and connector 0,
    # then heartbeats at the interval the Central System gave.
    boot = await s16.booted(ctx, step=2)
    interval = boot.reply.get("interval")
    since = ctx.mark()
    if isinstance(interval, int) and 0 < interval <= ctx.settings.timeout:
        # Step 5: the station's own heartbeat, one interval after the boot.
        await s16.exchange(
            ctx, "Heartbeat", step=6, since=since, timeout=interval + ctx.settings.timeout
        )
    else:
        # An interval longer than the case's time limit (or 0, no heartbeat): the
        # station sends its heartbeat now rather than the case waiting for it.
        await s16.send(ctx, "Heartbeat", {}, step=6)


@scenario("TC_003_CSMS")
async def plugin_first(ctx: CaseRun) -> None:
    # 1.6 §4.1, §4.8, §4.9: plug in, present the card, the transaction starts.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await s16.status(ctx, "Preparing", since=since, step=2, connector=cid)
    since = ctx.mark()
    tag = ctx.settings.valid_id_token
    ctx.station.present_id(tag, cid)
    auth = await s16.exchange(ctx, "Authorize", step=4, since=since, idTag=tag)
    ctx.require(4, "Authorize.conf", auth.reply, "idTagInfo.status", "Accepted")
    start = await s16.exchange(ctx, "StartTransaction", step=6, since=since, connectorId=cid)
    ctx.require(6, "StartTransaction.conf", start.reply, "idTagInfo.status", "Accepted")
    await s16.status(ctx, "Charging", since=since, step=8, connector=cid)


@scenario("TC_004_1_CSMS")
async def identification_first(ctx: CaseRun) -> None:
    # The case is the Reusable State Charging: authorize first, then plug in.
    await s16.booted(ctx)
    await s16.charging(ctx, step=4)


@scenario("TC_004_2_CSMS")
async def identification_first_connection_timeout(ctx: CaseRun) -> None:
    # 1.6 §9.1.6 ConnectionTimeOut: authorized, no cable, back to Available.
    await s16.write_settings(ctx, ConnectionTimeOut="1")
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    await s16.authorized(ctx)
    await s16.status(ctx, "Preparing", since=since, step=2, connector=cid)
    await s16.status(ctx, "Available", since=since, step=4, connector=cid)


@scenario("TC_005_1_CSMS")
async def ev_side_disconnected(ctx: CaseRun) -> None:
    # 1.6 §3.6 / §9.1.33: StopTransactionOnEVSideDisconnect and
    # UnlockConnectorOnEVSideDisconnect true (the station's defaults). The bench's
    # model has one cable event for the EV side: the transaction stops with
    # EVDisconnected and the connector reports Available, without OCTT's
    # SuspendedEV/Finishing in between (the Central System answers whatever comes).
    await s16.write_settings(
        ctx, StopTransactionOnEVSideDisconnect="true", UnlockConnectorOnEVSideDisconnect="true"
    )
    await s16.booted(ctx)
    session = await s16.charging(ctx)
    since = ctx.mark()
    ctx.station.unplug(session.connector)
    await s16.exchange(ctx, "StopTransaction", step=4, since=since, reason="EVDisconnected")
    await s16.status(ctx, "Available", since=since, step=8, connector=session.connector)


@scenario("TC_007_CSMS")
async def cached_id(ctx: CaseRun) -> None:
    # 1.6 §3.5.1: the idTag is in the Authorization Cache (Memory State IdTagCached,
    # Table 112: a whole session caches it) and LocalPreAuthorize lets the station
    # start without Authorize.req.
    await s16.booted(ctx)
    await s16.id_tag_cached(ctx)
    await s16.write_settings(ctx, AuthorizationCacheEnabled="true", LocalPreAuthorize="true")
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await s16.status(ctx, "Preparing", since=since, step=2, connector=cid)
    since = ctx.mark()
    ctx.station.present_id(ctx.settings.valid_id_token, cid)
    start = await s16.exchange(ctx, "StartTransaction", step=4, since=since, connectorId=cid)
    ctx.require(4, "StartTransaction.conf", start.reply, "idTagInfo.status", "Accepted")
    await s16.status(ctx, "Charging", since=since, step=6, connector=cid)


def _authorize_refused(case_id: str, status: str, tag_kind: str) -> None:
    @scenario(case_id, manual=("configure_id_token",) if tag_kind != "unknown" else ())
    async def run(ctx: CaseRun) -> None:
        # 1.6 §4.1, §7.28: the Central System answers an idTag it does not accept.
        if tag_kind == "unknown":
            tag = ctx.settings.invalid_id_token  # a tag the Central System does not know
        else:
            tag = EXPIRED_TAG if status == "Expired" else BLOCKED_TAG
            await ctx.manual(
                "configure_id_token",
                f"Make the Central System know idTag {tag} with status {status}",
                id_token=tag,
                status=status,
                group=None,  # no parent idTag
            )
        await s16.booted(ctx)
        since = ctx.mark()
        ctx.station.present_id(tag, s16.connector_of(ctx))
        auth = await s16.exchange(ctx, "Authorize", step=2, since=since, idTag=tag)
        ctx.check(2, "Authorize.conf", auth.reply, "idTagInfo.status", status)

    run.__doc__ = f"{case_id}: Authorize.conf idTagInfo.status {status}."


# Prerequisite of TC_023_2/3: "The Central System has an idTag in memory with status ...".
EXPIRED_TAG = "BENCH-EXPIRED"
BLOCKED_TAG = "BENCH-BLOCKED"

_authorize_refused("TC_023_1_CSMS", "Invalid", "unknown")
_authorize_refused("TC_023_2_CSMS", "Expired", "configured")
_authorize_refused("TC_023_3_CSMS", "Blocked", "configured")


@scenario("TC_024_CSMS")
async def lock_failure(ctx: CaseRun) -> None:
    # 1.6 §4.9, §7.6: the plug does not lock when the cable goes in: Faulted with
    # ConnectorLockFailure (the fault raised with the plug-in, so no transaction starts).
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    await s16.authorized(ctx)
    await s16.status(ctx, "Preparing", since=since, step=2, connector=cid)
    since = ctx.mark()
    ctx.station.raise_fault(cid, "connector_lock_failure")
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await s16.exchange(
        ctx,
        "StatusNotification",
        step=4,
        since=since,
        connectorId=cid,
        status="Faulted",
        errorCode="ConnectorLockFailure",
    )


@scenario("TC_032_1_CSMS")
async def power_failure_stops_transactions(ctx: CaseRun) -> None:
    # 1.6 §4.2, §4.10, §7.36 PowerLoss: the station loses power while charging, boots
    # again, reports its connectors (the one with the transaction Finishing, the
    # others Available) and delivers the queued StopTransaction.
    await s16.booted(ctx)
    session = await s16.charging(ctx)
    cid = session.connector
    await ctx.station.power_cut()
    since = ctx.mark()
    await ctx.station.power_restore()
    boot = await s16.exchange(ctx, "BootNotification", step=2, since=since)
    ctx.require(2, "BootNotification.conf", boot.reply, "status", "Accepted")
    for other in (0, *ctx.station.connector_ids()):
        if other != cid:
            await s16.status(ctx, "Available", since=since, step=4, connector=other)
    await s16.status(ctx, "Finishing", since=since, step=4, connector=cid)
    await s16.exchange(
        ctx,
        "StopTransaction",
        step=6,
        since=since,
        reason="PowerLoss",
        transactionId=session.transaction_id,
    )


async def _offline_start(ctx: CaseRun, tag: str) -> int:
    """Connectivity removed, the driver starts a transaction, connectivity restored."""
    await s16.write_settings(ctx, LocalAuthorizeOffline="true", AllowOfflineTxForUnknownId="true")
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    ctx.station.cut_network()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    ctx.station.present_id(tag, cid)
    if not await ctx.station.wait_status(cid, "Charging", ctx.settings.timeout):
        raise RuntimeError("the bench's station did not start the transaction offline")
    return cid


@scenario("TC_037_1_CSMS")
async def offline_start_valid_id(ctx: CaseRun) -> None:
    # 1.6 §3.5.4 (AllowOfflineTxForUnknownId), §4.8: the queued StartTransaction
    # goes out when the connection is back.
    cid = await _offline_start(ctx, ctx.settings.valid_id_token)
    since = ctx.mark()
    ctx.station.restore_network()
    start = await s16.exchange(ctx, "StartTransaction", step=2, since=since, connectorId=cid)
    ctx.require(2, "StartTransaction.conf", start.reply, "idTagInfo.status", "Accepted")
    await s16.status(ctx, "Charging", since=since, step=4, connector=cid)


@scenario("TC_037_3_CSMS")
async def offline_start_invalid_id(ctx: CaseRun) -> None:
    # 1.6 §3.5.4, §9.1.27 StopTransactionOnInvalidId: the Central System refuses the
    # idTag of the queued start; the station stops the transaction (DeAuthorized).
    await s16.write_settings(ctx, StopTransactionOnInvalidId="true")
    tag = ctx.settings.invalid_id_token
    cid = await _offline_start(ctx, tag)
    since = ctx.mark()
    ctx.station.restore_network()
    start = await s16.exchange(ctx, "StartTransaction", step=2, since=since, connectorId=cid)
    ctx.require(2, "StartTransaction.conf", start.reply, "idTagInfo.status", "Invalid")
    # Step 3 (Charging) is skipped by the bench's station: the transaction ends before
    # it reports the status it had while offline, so the next status is Finishing.
    await s16.exchange(ctx, "StopTransaction", step=6, since=since, reason="DeAuthorized")
    await s16.status(ctx, "Finishing", since=since, step=8, connector=cid)


@scenario("TC_039_CSMS")
async def offline_transaction(ctx: CaseRun) -> None:
    # 1.6 §4.8, §4.10: a whole transaction while offline; both messages are queued
    # and delivered in order once the connection is back (reason Local: the card).
    tag = ctx.settings.valid_id_token
    cid = await _offline_start(ctx, tag)
    ctx.station.present_id(tag, cid)
    if not await ctx.station.wait_status(cid, "Finishing", ctx.settings.timeout):
        raise RuntimeError("the bench's station did not stop the transaction offline")
    ctx.station.unplug(cid)
    since = ctx.mark()
    ctx.station.restore_network()
    start = await s16.exchange(ctx, "StartTransaction", step=2, since=since, connectorId=cid)
    ctx.require(2, "StartTransaction.conf", start.reply, "idTagInfo.status", "Accepted")
    await s16.exchange(ctx, "StopTransaction", step=4, since=since, reason="Local")
