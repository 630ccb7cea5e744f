"""OCPP 1.6 Core: what the Central System asks of the station - clear the cache, start
and stop remotely, reset, unlock - happy and non-happy (1.6 test case document
§3.3.2, 3.4, 3.5, 3.6, 3.9, 3.10).

Each case asks the operator (or the adapter) to make the Central System send the
request; the request the case expects is passed along (``request``), so a
console-driven CSMS can send it as it is. Where a case needs the station to refuse
(Rejected, NotSupported) what a well-behaved station would accept, the station
answers as OCTT's scripted station does (``states_v16.answer_with``).
"""

from __future__ import annotations

from typing import Any

from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import present
from bench.conformance.scenarios import scenario


def _remote_start(ctx: CaseRun, cid: int, step: int) -> Any:
    tag = ctx.settings.valid_id_token
    return ctx.request_by_hand(
        "request_start_transaction",
        f"Request the Central System to start a transaction remotely for idTag {tag} "
        f"on connector {cid}",
        "RemoteStartTransaction",
        {"connectorId": cid, "idTag": tag},
        step=step,
        id_token=tag,
        connector_id=cid,
    )


def _check_remote_start(ctx: CaseRun, step: int, request: dict[str, Any]) -> None:
    # 1.6 §5.11, §6.33: idTag is required (the schema says so too).
    ctx.check(step, "RemoteStartTransaction.req", request, "idTag", present())


@scenario("TC_061_CSMS", manual=("clear_cache",))
async def clear_cache(ctx: CaseRun) -> None:
    # 1.6 §5.4: ClearCache.req; the station clears its Authorization Cache.
    await s16.booted(ctx)
    since = ctx.mark()
    await ctx.request_by_hand(
        "clear_cache",
        "Request the Central System to clear the Charge Point's Authorization Cache",
        "ClearCache",
        {},
        step=1,
    )
    await s16.station_answered(ctx, "ClearCache", since=since, status="Accepted")


@scenario("TC_010_CSMS", manual=("request_start_transaction",))
async def remote_start_cable_first(ctx: CaseRun) -> None:
    # 1.6 §5.11: cable plugged in, then RemoteStartTransaction; AuthorizeRemoteTxRequests
    # is true, so the station authorizes the idTag before it starts.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await s16.status(ctx, "Preparing", since=since, step=2, connector=cid)
    since = ctx.mark()
    request = await _remote_start(ctx, cid, 3)
    _check_remote_start(ctx, 3, request)
    await s16.station_answered(ctx, "RemoteStartTransaction", since=since, status="Accepted")
    tag = request.get("idTag")
    auth = await s16.exchange(ctx, "Authorize", step=6, since=since, idTag=tag)
    ctx.require(6, "Authorize.conf", auth.reply, "idTagInfo.status", "Accepted")
    start = await s16.exchange(ctx, "StartTransaction", step=8, since=since, connectorId=cid)
    ctx.require(8, "StartTransaction.conf", start.reply, "idTagInfo.status", "Accepted")
    await s16.status(ctx, "Charging", since=since, step=10, connector=cid)


@scenario("TC_011_1_CSMS", manual=("request_start_transaction",))
async def remote_start_first(ctx: CaseRun) -> None:
    # 1.6 §5.11: RemoteStartTransaction first; Preparing until the cable comes.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    request = await _remote_start(ctx, cid, 1)
    _check_remote_start(ctx, 1, request)
    await s16.station_answered(ctx, "RemoteStartTransaction", since=since, status="Accepted")
    auth = await s16.exchange(ctx, "Authorize", step=4, since=since, idTag=request.get("idTag"))
    ctx.require(4, "Authorize.conf", auth.reply, "idTagInfo.status", "Accepted")
    await s16.status(ctx, "Preparing", since=since, step=6, connector=cid)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    start = await s16.exchange(ctx, "StartTransaction", step=8, since=since, connectorId=cid)
    ctx.require(8, "StartTransaction.conf", start.reply, "idTagInfo.status", "Accepted")
    await s16.status(ctx, "Charging", since=since, step=10, connector=cid)


@scenario("TC_011_2_CSMS", manual=("request_start_transaction",))
async def remote_start_time_out(ctx: CaseRun) -> None:
    # 1.6 §5.11, §9.1.6: no cable within ConnectionTimeOut: Available again.
    await s16.write_settings(ctx, ConnectionTimeOut="1")
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    request = await _remote_start(ctx, cid, 1)
    _check_remote_start(ctx, 1, request)
    await s16.station_answered(ctx, "RemoteStartTransaction", since=since, status="Accepted")
    auth = await s16.exchange(ctx, "Authorize", step=4, since=since, idTag=request.get("idTag"))
    ctx.require(4, "Authorize.conf", auth.reply, "idTagInfo.status", "Accepted")
    await s16.status(ctx, "Preparing", since=since, step=6, connector=cid)
    await s16.status(ctx, "Available", since=since, step=8, connector=cid)


async def _remote_stop(ctx: CaseRun, session: s16.Charging) -> dict[str, Any]:
    tx_id = session.transaction_id
    request = await ctx.request_by_hand(
        "request_stop_transaction",
        f"Request the Central System to stop transaction {tx_id} remotely",
        "RemoteStopTransaction",
        {"transactionId": tx_id},
        step=1,
        transaction_id=tx_id,
    )
    return request


@scenario("TC_012_CSMS", manual=("request_stop_transaction",))
async def remote_stop(ctx: CaseRun) -> None:
    # 1.6 §5.12: RemoteStopTransaction for the running transaction; StopTransaction
    # reason Remote, Finishing, then the driver unplugs (Available).
    await s16.booted(ctx)
    session = await s16.charging(ctx)
    cid = session.connector
    since = ctx.mark()
    request = await _remote_stop(ctx, session)
    ctx.require(1, "RemoteStopTransaction.req", request, "transactionId", session.transaction_id)
    await s16.station_answered(ctx, "RemoteStopTransaction", since=since, status="Accepted")
    await s16.exchange(ctx, "StopTransaction", step=4, since=since, reason="Remote")
    await s16.status(ctx, "Finishing", since=since, step=6, connector=cid)
    since = ctx.mark()
    ctx.station.unplug(cid)
    await s16.status(ctx, "Available", since=since, step=8, connector=cid)


def _reset(case_id: str, kind: str) -> None:
    @scenario(case_id, manual=("reset_station",))
    async def run(ctx: CaseRun) -> None:
        # 1.6 §5.14: Reset.req, the station reboots, boots again and reports every
        # connector (and connector 0) Available.
        await s16.booted(ctx)
        since = ctx.mark()
        request = await ctx.request_by_hand(
            "reset_station",
            f"Request the Central System to reset the Charge Point ({kind} reset)",
            "Reset",
            {"type": kind},
            step=1,
            type=kind,
        )
        ctx.check(1, "Reset.req", request, "type", kind)
        await s16.station_answered(ctx, "Reset", since=since, status="Accepted")
        boot = await s16.exchange(ctx, "BootNotification", step=4, since=since)
        ctx.require(4, "BootNotification.conf", boot.reply, "status", "Accepted")
        after = ctx.frames.index(boot.request)
        for cid in (0, *ctx.station.connector_ids()):
            await s16.status(ctx, "Available", since=after, step=6, connector=cid)

    run.__doc__ = f"{case_id}: Reset {kind}."


_reset("TC_013_CSMS", "Hard")
_reset("TC_014_CSMS", "Soft")


async def _unlock(ctx: CaseRun, cid: int, *, step: int = 1) -> dict[str, Any]:
    return await ctx.request_by_hand(
        "unlock_connector",
        f"Request the Central System to unlock connector {cid}",
        "UnlockConnector",
        {"connectorId": cid},
        step=step,
        connector_id=cid,
    )


@scenario("TC_017_1_CSMS", manual=("unlock_connector",))
async def unlock_without_session(ctx: CaseRun) -> None:
    # 1.6 §5.18: a socket outlet with no session unlocks (Unlocked).
    s16.with_cable(ctx, tethered=False)
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    request = await _unlock(ctx, cid)
    ctx.require(1, "UnlockConnector.req", request, "connectorId", cid)
    await s16.station_answered(ctx, "UnlockConnector", since=since, status="Unlocked")


@scenario("TC_017_2_CSMS", manual=("unlock_connector",))
async def unlock_fixed_cable(ctx: CaseRun) -> None:
    # 1.6 §7.46 NotSupported: a tethered cable has no connector lock (the bench's DC
    # template has one, when the run's template has a socket outlet).
    s16.with_cable(ctx, tethered=True)
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    request = await _unlock(ctx, cid)
    ctx.require(1, "UnlockConnector.req", request, "connectorId", cid)
    await s16.station_answered(ctx, "UnlockConnector", since=since, status="NotSupported")


@scenario("TC_018_1_CSMS", manual=("unlock_connector",))
async def unlock_with_session(ctx: CaseRun) -> None:
    # 1.6 §5.18: the transaction is stopped first (reason UnlockCommand), then unlocked.
    s16.with_cable(ctx, tethered=False)
    await s16.booted(ctx)
    session = await s16.charging(ctx)
    cid = session.connector
    since = ctx.mark()
    request = await _unlock(ctx, cid)
    ctx.require(1, "UnlockConnector.req", request, "connectorId", cid)
    await s16.station_answered(ctx, "UnlockConnector", since=since, status="Unlocked")
    await s16.status(ctx, "Finishing", since=since, step=4, connector=cid)
    await s16.exchange(ctx, "StopTransaction", step=6, since=since, reason="UnlockCommand")
    since = ctx.mark()
    ctx.station.unplug(cid)
    await s16.status(ctx, "Available", since=since, step=8, connector=cid)


@scenario("TC_026_CSMS", manual=("request_start_transaction",))
async def remote_start_rejected(ctx: CaseRun) -> None:
    # 1.6 §5.11: the station rejects the remote start (OCTT's station always does).
    await s16.booted(ctx)
    s16.answer_with(ctx, "RemoteStartTransaction", {"status": "Rejected"})
    since = ctx.mark()
    request = await _remote_start(ctx, s16.connector_of(ctx), 1)
    _check_remote_start(ctx, 1, request)
    await s16.station_answered(ctx, "RemoteStartTransaction", since=since, status="Rejected")


@scenario("TC_028_CSMS", manual=("request_stop_transaction",))
async def remote_stop_rejected(ctx: CaseRun) -> None:
    # 1.6 §5.12: the station rejects the remote stop (as for an unknown transactionId).
    await s16.booted(ctx)
    session = await s16.charging(ctx)
    s16.answer_with(ctx, "RemoteStopTransaction", {"status": "Rejected"})
    since = ctx.mark()
    request = await _remote_stop(ctx, session)
    ctx.check(1, "RemoteStopTransaction.req", request, "transactionId", present())
    await s16.station_answered(ctx, "RemoteStopTransaction", since=since, status="Rejected")


@scenario("TC_030_CSMS", manual=("unlock_connector",))
async def unlock_failure(ctx: CaseRun) -> None:
    # 1.6 §7.46 UnlockFailed: the lock is jammed (a ConnectorLockFailure fault on the
    # bench's station, which it reports as Faulted before the request comes).
    s16.with_cable(ctx, tethered=False)
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    ctx.station.raise_fault(cid, "connector_lock_failure")
    await s16.status(ctx, "Faulted", since=since, connector=cid)
    since = ctx.mark()
    request = await _unlock(ctx, cid)
    ctx.require(1, "UnlockConnector.req", request, "connectorId", cid)
    await s16.station_answered(ctx, "UnlockConnector", since=since, status="UnlockFailed")


@scenario("TC_031_CSMS", manual=("unlock_connector",))
async def unlock_unknown_connector(ctx: CaseRun) -> None:
    # 1.6 §7.46 NotSupported: the request names a connector the station does not have
    # (the bench's station answers so for one; OCTT's for any).
    await s16.booted(ctx)
    unknown = len(ctx.station.connector_ids()) + 1
    s16.answer_with(ctx, "UnlockConnector", {"status": "NotSupported"})
    since = ctx.mark()
    await _unlock(ctx, unknown)
    await s16.station_answered(ctx, "UnlockConnector", since=since, status="NotSupported")
