"""1.6 Core: starting and stopping charging sessions, locally and remotely, and the
authorization cache (OCTT 1.6 §2.2-2.5, §2.10, §2.11; TC_003 ... TC_028_CS)."""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states_v16_core as s
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16 import configure
from bench.conformance.expect import one_of

PLUG = ("plug_in", "present_token")


@scenario("TC_003_CS", physical=PLUG)
async def plugin_first(ctx: ChargerRun) -> None:
    since = ctx.mark()
    await physical.plug_in(ctx)
    await s.status(ctx, "Preparing", since=since, step=1)
    since = ctx.mark()
    await physical.present(ctx)
    rec, reply = await s.exchange(ctx, "Authorize", step=3, since=since)
    ctx.check(3, "Authorize.req", rec.payload, "idTag", ctx.valid_token)
    ctx.check(4, "Authorize.conf", reply, "idTagInfo.status", "Accepted")
    await s.started(ctx, step=5, since=since)


@scenario("TC_004_1_CS", physical=PLUG)
async def identification_first(ctx: ChargerRun) -> None:
    await configure(ctx, {"MeterValueSampleInterval": s.configured(ctx, "meter_value_interval")})
    await s.authorized(ctx, step=1)
    since = ctx.mark()
    await physical.plug_in(ctx, step=2)
    await s.started(ctx, step=3, since=since)


@scenario("TC_004_2_CS", physical=PLUG)
async def identification_first_timeout(ctx: ChargerRun) -> None:
    timeout = s.configured_int(ctx, "connection_timeout")
    await configure(ctx, {"ConnectionTimeOut": str(timeout)})
    authorize = await s.authorized(ctx, step=1)
    rec = await s.status(
        ctx, "Available", since=s.after(ctx, authorize), step=2, timeout=timeout * 2 + 10
    )
    _timeout_check(ctx, 2, authorize.ts, rec.ts, timeout)


def _timeout_check(ctx: ChargerRun, step: int, start: float, end: float, timeout: int) -> None:
    gap = end - start
    ctx.check_that(
        step,
        "StatusNotification.req",
        "(after the connection timeout)",
        timeout - 0.5 <= gap <= timeout * 1.5 + 5,
        f"about {timeout} s (ConnectionTimeOut) after the authorization",
        f"{gap:.1f} s after",
    )


@scenario("TC_068_CS", physical=PLUG)
async def stop_with_same_id_tag(ctx: ChargerRun) -> None:
    await s.charging(ctx)
    other = s.configured(ctx, "valid_id_token_2")
    since = ctx.mark()
    await physical.present(ctx, other, step=1)
    await ctx.no_station_request(
        "Authorize", step=1, since=since, why="an idTag other than the one that started it"
    )
    await ctx.no_station_request("StopTransaction", step=1, since=since, within=0.0)
    since = ctx.mark()
    await physical.present(ctx, ctx.valid_token, step=3)
    rec, _ = await s.stop(ctx, ("Local", None), step=3, since=since)
    ctx.check(3, "StopTransaction.req", rec.payload, "idTag", ctx.valid_token)
    await s.status(ctx, "Finishing", since=since, step=5)


@scenario("TC_069_CS", physical=PLUG)
async def stop_with_same_parent_id_tag(ctx: ChargerRun) -> None:
    parent = s.configured(ctx, "parent_id_tag")
    other = s.configured(ctx, "valid_id_token_2")
    tags = {ctx.valid_token, other}

    def with_parent(action: str) -> Any:
        def reply(p: dict[str, Any]) -> dict[str, Any]:
            answer = ctx.default_answer(action, p)
            if p.get("idTag") in tags:
                answer["idTagInfo"] = {"status": "Accepted", "parentIdTag": parent}
            return answer

        return reply

    for action in ("Authorize", "StartTransaction"):
        ctx.answer(action, with_parent(action))
    await s.charging(ctx)
    since = ctx.mark()
    await physical.present(ctx, other, step=1)
    rec, reply = await s.exchange(ctx, "Authorize", step=1, since=since)
    ctx.check(1, "Authorize.req", rec.payload, "idTag", one_of(other))
    ctx.check(2, "Authorize.conf", reply, "idTagInfo.status", "Accepted")
    ctx.check(2, "Authorize.conf", reply, "idTagInfo.parentIdTag", parent)
    stop, _ = await s.stop(ctx, ("Local", None), step=3, since=since)
    ctx.check(3, "StopTransaction.req", stop.payload, "idTag", other)
    await s.status(ctx, "Finishing", since=since, step=5)


async def _ev_side_configuration(ctx: ChargerRun, stop: bool, unlock: bool) -> None:
    # Prerequisite: StopTransactionOnEVSideDisconnect can have this value (TC_005_3: is
    # read-write); UnlockConnectorOnEVSideDisconnect may be read-only (TC_019_CS).
    # MinimumStatusDuration is optional (OCTT 1.6 §1.3): set where the charge point has it.
    await s.configure_if_implemented(ctx, {"MinimumStatusDuration": "0"})
    await s.configure_writable(
        ctx,
        {
            "StopTransactionOnEVSideDisconnect": str(stop).lower(),
            "UnlockConnectorOnEVSideDisconnect": str(unlock).lower(),
        },
    )


def _no_fixed_cable(ctx: ChargerRun) -> None:
    if "FixedCable" in ctx.settings.features:
        ctx.not_applicable("the charge point has a fixed cable (declared feature FixedCable)")


@scenario("TC_005_1_CS", physical=(*PLUG, "unplug_ev_side"))
async def ev_side_disconnect_stop_unlock(ctx: ChargerRun) -> None:
    _no_fixed_cable(ctx)
    await _ev_side_configuration(ctx, True, True)
    await s.charging(ctx)
    since = ctx.mark()
    await s.unplug_ev_side(ctx)
    await s.stop(ctx, ("EVDisconnected",), step=1, since=since)
    await s.status(ctx, "Finishing", since=since, step=3)


@scenario("TC_005_2_CS", physical=(*PLUG, "unplug_ev_side"))
async def ev_side_disconnect_stop_no_unlock(ctx: ChargerRun) -> None:
    await _ev_side_configuration(ctx, True, False)
    await s.charging(ctx)
    since = ctx.mark()
    await s.unplug_ev_side(ctx)
    await s.stop(ctx, ("EVDisconnected",), step=1, since=since)
    await s.status(ctx, ("Finishing", "Available"), since=since, step=3)
    reply = await ctx.request("UnlockConnector", {"connectorId": s.cid(ctx)}, step=5)
    ctx.check(6, "UnlockConnector.conf", reply, "status", one_of("Unlocked", "NotSupported"))


@scenario("TC_005_3_CS", physical=(*PLUG, "unplug_ev_side"))
async def ev_side_disconnect_keeps_transaction(ctx: ChargerRun) -> None:
    await _ev_side_configuration(ctx, False, False)
    await s.charging(ctx)
    since = ctx.mark()
    await s.unplug_ev_side(ctx)
    rec = await s.status(ctx, ("SuspendedEV", "SuspendedEVSE"), since=since, step=1)
    ctx.check(1, "StatusNotification.req", rec.payload, "info", "EV side disconnected")
    since = ctx.mark()
    reply = await ctx.request(
        "RemoteStopTransaction", {"transactionId": s.transaction_id(ctx)}, step=3
    )
    ctx.check(4, "RemoteStopTransaction.conf", reply, "status", "Accepted")
    finishing = (
        ("Finishing", "Available") if "FixedCable" in ctx.settings.features else ("Finishing",)
    )
    await s.status(ctx, finishing, since=since, step=5)
    await s.stop(ctx, ("Remote",), step=7, since=since)


@scenario("TC_007_CS", physical=(*PLUG, "unplug"))
async def cached_id(ctx: ChargerRun) -> None:
    await configure(ctx, {"AuthorizationCacheEnabled": "true"})
    # Prerequisite: AuthorizeRemoteTxRequests is not read-only false.
    await s.configure_writable(ctx, {"AuthorizeRemoteTxRequests": "true"})
    await configure(ctx, {"LocalPreAuthorize": "true"})
    await s.id_tag_cached(ctx)
    since = ctx.mark()
    await physical.plug_in(ctx)
    await s.status(ctx, "Preparing", since=since, step=1)
    reply = await s.remote_start(ctx, step=3)
    ctx.check(4, "RemoteStartTransaction.conf", reply, "status", "Accepted")
    _, answer = await s.exchange(ctx, "StartTransaction", step=5, since=since)
    ctx.check(6, "StartTransaction.conf", answer, "idTagInfo.status", "Accepted")
    await s.status(ctx, "Charging", since=since, step=7)


@scenario("TC_061_CS", physical=PLUG)
async def clear_cache(ctx: ChargerRun) -> None:
    timeout = s.configured_int(ctx, "connection_timeout")
    await configure(
        ctx,
        {
            "AuthorizationCacheEnabled": "true",
            "LocalPreAuthorize": "true",
            "ConnectionTimeOut": str(timeout),
        },
    )
    authorize = await s.authorized(ctx, step=1)
    # [swipe again OR wait for the connection timeout]: the bench waits.
    await s.status(
        ctx, "Available", since=s.after(ctx, authorize), step=3, timeout=timeout * 2 + 10
    )
    reply = await ctx.request("ClearCache", {}, step=5)
    ctx.check(6, "ClearCache.conf", reply, "status", "Accepted")
    since = ctx.mark()
    await physical.present(ctx, step=7)
    rec, answer = await s.exchange(ctx, "Authorize", step=7, since=since)
    ctx.check(7, "Authorize.req", rec.payload, "idTag", ctx.valid_token)
    ctx.check(8, "Authorize.conf", answer, "idTagInfo.status", "Accepted")


@scenario("TC_010_CS", physical=PLUG)
async def remote_start_plugged_first(ctx: ChargerRun) -> None:
    await s.charging(ctx)


async def _remote_start_first(ctx: ChargerRun) -> int:
    remote = await s.authorize_remote(ctx, step=1)
    since = ctx.mark()
    reply = await s.remote_start(ctx, step=3)
    ctx.require(4, "RemoteStartTransaction.conf", reply, "status", "Accepted")
    await s.remote_authorize(ctx, remote, step=5, since=since)
    await s.status(ctx, "Preparing", since=since, step=7)
    return since


@scenario("TC_011_1_CS", physical=PLUG)
async def remote_start_first(ctx: ChargerRun) -> None:
    await _remote_start_first(ctx)
    since = ctx.mark()
    await physical.plug_in(ctx)
    await s.started(ctx, step=9, since=since)


@scenario("TC_011_2_CS", physical=PLUG)
async def remote_start_timeout(ctx: ChargerRun) -> None:
    timeout = s.configured_int(ctx, "connection_timeout")
    await configure(ctx, {"ConnectionTimeOut": str(timeout)})
    since = await _remote_start_first(ctx)
    preparing = await s.status(ctx, "Preparing", since=since, step=7)
    rec = await s.status(
        ctx, "Available", since=s.after(ctx, preparing), step=9, timeout=timeout * 2 + 10
    )
    _timeout_check(ctx, 9, preparing.ts, rec.ts, timeout)


@scenario("TC_012_CS", physical=PLUG)
async def remote_stop(ctx: ChargerRun) -> None:
    await s.charging(ctx)
    since = ctx.mark()
    reply = await ctx.request(
        "RemoteStopTransaction", {"transactionId": s.transaction_id(ctx)}, step=1
    )
    ctx.check(2, "RemoteStopTransaction.conf", reply, "status", "Accepted")
    await s.stop(ctx, ("Remote",), step=3, since=since)
    await s.status(ctx, "Finishing", since=since, step=5)


@scenario("TC_023_CS", physical=PLUG)
async def authorize_invalid(ctx: ChargerRun) -> None:
    await s.configure_if_implemented(ctx, {"MinimumStatusDuration": "10"})
    await configure(ctx, {"LocalPreAuthorize": "true"})
    since = ctx.mark()
    await physical.plug_in(ctx)
    await s.status(ctx, "Preparing", since=since, step=1, timeout=ctx.settings.timeout + 10)
    since = ctx.mark()
    await physical.present(ctx, ctx.invalid_token)
    rec, reply = await s.exchange(ctx, "Authorize", step=3, since=since)
    ctx.check(3, "Authorize.req", rec.payload, "idTag", ctx.invalid_token)
    ctx.check(4, "Authorize.conf", reply, "idTagInfo.status", "Invalid")
    await ctx.no_station_request(
        "StartTransaction", step=None, since=since, why="the idTag is Invalid"
    )


async def plug_in_halfway(ctx: ChargerRun, *, step: int | None = None) -> None:
    await ctx.physical(
        "plug_in_halfway",
        f"Plug the cable into connector {s.cid(ctx)} only halfway, so the connector "
        "lock cannot lock it.",
        step=step,
        connector_id=s.cid(ctx),
        ev_template=ctx.settings.ev_template,
    )


@scenario("TC_024_CS", physical=("plug_in_halfway",))
async def lock_failure(ctx: ChargerRun) -> None:
    _no_fixed_cable(ctx)
    since = await _remote_start_first(ctx)
    since = ctx.mark()
    await plug_in_halfway(ctx, step=9)
    rec = await s.status(ctx, "Faulted", since=since, step=9)
    ctx.check(9, "StatusNotification.req", rec.payload, "errorCode", "ConnectorLockFailure")
    await ctx.no_station_request(
        "StartTransaction", step=None, since=since, why="the connector did not lock"
    )


@scenario("TC_026_CS", physical=PLUG)
async def remote_start_rejected(ctx: ChargerRun) -> None:
    await configure(ctx, {"LocalPreAuthorize": "false"})
    await s.charging(ctx)
    reply = await s.remote_start(ctx, step=1)
    ctx.check(2, "RemoteStartTransaction.conf", reply, "status", "Rejected")


@scenario("TC_027_CS")
async def remote_start_connector_zero(ctx: ChargerRun) -> None:
    rec = await ctx.call(
        "RemoteStartTransaction", {"connectorId": 0, "idTag": ctx.valid_token}, step=1
    )
    if rec.type == "CALLRESULT":
        ctx.check(2, "RemoteStartTransaction.conf", rec.payload, "status", "Rejected")
    else:
        ctx.check_that(2, "CALLERROR", "(reply)", True, "Rejected or a CallError", rec.error or "")


@scenario("TC_028_CS", physical=PLUG)
async def remote_stop_rejected(ctx: ChargerRun) -> None:
    await s.charging(ctx)
    unknown = s.transaction_id(ctx) + 1000
    reply = await ctx.request("RemoteStopTransaction", {"transactionId": unknown}, step=1)
    ctx.check(2, "RemoteStopTransaction.conf", reply, "status", "Rejected")
