"""1.6 Core: offline behaviour (OCTT 1.6 §2.14; TC_036, TC_037_x, TC_038, TC_039_CS).

The connectivity is cut and restored as physical steps (``cut_network`` /
``restore_network``); the bench sees the station go and come back on its endpoint.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from itertools import pairwise
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states_v16_core as s
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16 import configure

PLUG = ("plug_in", "present_token")
NETWORK = ("cut_network", "restore_network")
OFFLINE_DWELL_S = 1.0  # how long an offline action lasts before the network is back


async def _offline(ctx: ChargerRun) -> None:
    await physical.cut_network(ctx)
    if not await ctx.disconnected():
        ctx.check_that(None, "(connection)", "offline", False, "the station offline", "connected")


async def _online(ctx: ChargerRun) -> None:
    await physical.restore_network(ctx)
    await ctx.connected()


@scenario("TC_036_CS", physical=(*PLUG, *NETWORK))
async def connection_loss_during_transaction(ctx: ChargerRun) -> None:
    interval = s.configured_int(ctx, "meter_value_interval")
    await configure(ctx, {"MeterValueSampleInterval": str(interval)})
    await s.charging(ctx)
    await _offline(ctx)
    # [Wait till the charge point has taken a few meter values (at least 3).]
    await asyncio.sleep(interval * 3 + 1)
    since = ctx.mark()
    await _online(ctx)
    stamps: list[float] = []
    seen = since
    for _ in range(3):
        rec = await ctx.station_frame(
            "MeterValues",
            step=1,
            since=seen,
            match=lambda p: p.get("transactionId") == s.transaction_id(ctx),
            what="a queued MeterValues.req of the transaction",
        )
        seen = s.after(ctx, rec)
        for mv in s.payload(rec).get("meterValue") or []:
            when = _stamp(mv.get("timestamp"))
            if when is not None:
                stamps.append(when)
    ordered = stamps == sorted(stamps)
    ctx.check_that(1, "MeterValues.req", "(order)", ordered, "chronological order", _shown(stamps))
    gaps = [b - a for a, b in pairwise(stamps)]
    ctx.check_that(
        1,
        "MeterValues.req",
        "meterValue.timestamp (interval)",
        bool(gaps) and all(abs(g - interval) <= 1.0 for g in gaps),
        f"{interval} s apart (MeterValueSampleInterval)",
        ", ".join(f"{g:.1f} s" for g in gaps),
    )


def _stamp(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _shown(stamps: list[float]) -> str:
    return ", ".join(datetime.fromtimestamp(t).strftime("%H:%M:%S") for t in stamps)


async def _offline_authorization(ctx: ChargerRun, token: str, extra: dict[str, str]) -> None:
    """The configuration and memory states of the offline start cases, the "(If
    implemented)" ones only where the charge point has the key."""
    await configure(ctx, {"LocalAuthorizeOffline": "true"})
    has = await s.configure_if_implemented(
        ctx,
        {
            "LocalAuthListEnabled": "true",
            "AuthorizationCacheEnabled": "true",
            "AllowOfflineTxForUnknownId": "true",
        },
    )
    await configure(ctx, extra)
    if has["LocalAuthListEnabled"]:
        await s.id_tag_local_list(ctx, token)
    if has["AuthorizationCacheEnabled"]:
        await s.id_tag_cached(ctx, token)


async def _start_offline(ctx: ChargerRun, token: str) -> int:
    since = ctx.mark()
    await _offline(ctx)
    # [EV driver starts offline a transaction.]
    await physical.present(ctx, token)
    await physical.plug_in(ctx)
    # The session runs offline for a moment before the connectivity comes back (the
    # bench cannot see it start: the station is offline).
    await asyncio.sleep(OFFLINE_DWELL_S)
    return since


@scenario("TC_037_1_CS", physical=(*PLUG, "unplug", *NETWORK))
async def offline_start_valid(ctx: ChargerRun) -> None:
    await _offline_authorization(ctx, ctx.valid_token, {})
    since = await _start_offline(ctx, ctx.valid_token)
    await _online(ctx)
    _, reply = await s.exchange(ctx, "StartTransaction", step=1, since=since)
    ctx.check(2, "StartTransaction.conf", reply, "idTagInfo.status", "Accepted")
    await s.status(ctx, "Charging", since=since, step=3)


async def _offline_start_invalid(ctx: ChargerRun, stop_on_invalid: bool) -> int:
    token = ctx.invalid_token
    extra = {"StopTransactionOnInvalidId": str(stop_on_invalid).lower()}
    await _offline_authorization(ctx, token, extra)
    await s.configure_if_implemented(ctx, {"MaxEnergyOnInvalidId": "0"})
    since = await _start_offline(ctx, token)
    await _online(ctx)
    rec, reply = await s.exchange(ctx, "StartTransaction", step=1, since=since)
    ctx.check(1, "StartTransaction.req", rec.payload, "idTag", token)
    ctx.check(2, "StartTransaction.conf", reply, "idTagInfo.status", "Invalid")
    ctx.memory["transaction_id"] = reply.get("transactionId")
    charging = await s.status(ctx, "Charging", since=since, step=3)
    return s.after(ctx, charging)


@scenario("TC_037_2_CS", physical=(*PLUG, "unplug", *NETWORK))
async def offline_start_invalid_keeps_going(ctx: ChargerRun) -> None:
    later = await _offline_start_invalid(ctx, False)
    await s.status(ctx, "SuspendedEVSE", since=later, step=5)


@scenario("TC_037_3_CS", physical=(*PLUG, "unplug", *NETWORK))
async def offline_start_invalid_stops(ctx: ChargerRun) -> None:
    since = await _offline_start_invalid(ctx, True)
    await s.stop(ctx, ("DeAuthorized",), step=5, since=since)
    await s.status(ctx, "Finishing", since=since, step=7)


@scenario("TC_038_CS", physical=(*PLUG, *NETWORK))
async def offline_stop(ctx: ChargerRun) -> None:
    await s.charging(ctx)
    since = ctx.mark()
    await _offline(ctx)
    # [The EV driver stops the transaction, while still offline.]
    await physical.present(ctx, ctx.valid_token)
    await asyncio.sleep(OFFLINE_DWELL_S)
    await _online(ctx)
    await s.stop(ctx, ("Local", None), step=1, since=since)
    await s.status(ctx, "Finishing", since=since, step=3)


@scenario("TC_039_CS", physical=(*PLUG, "unplug", *NETWORK))
async def offline_transaction(ctx: ChargerRun) -> None:
    await _offline_authorization(ctx, ctx.valid_token, {})
    since = await _start_offline(ctx, ctx.valid_token)
    # [EV driver stops offline a transaction.] [EV driver unplugs the cable.]
    await physical.present(ctx, ctx.valid_token)
    await asyncio.sleep(OFFLINE_DWELL_S)
    await physical.unplug(ctx)
    await asyncio.sleep(OFFLINE_DWELL_S)
    await _online(ctx)
    _, reply = await s.exchange(ctx, "StartTransaction", step=1, since=since)
    ctx.check(2, "StartTransaction.conf", reply, "idTagInfo.status", "Accepted")
    ctx.memory["transaction_id"] = reply.get("transactionId")
    await s.stop(ctx, ("Local", None), step=3, since=since)
