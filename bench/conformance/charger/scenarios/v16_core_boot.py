"""1.6 Core: cold boot (OCTT 1.6 §2.1, TC_001_CS)."""

from __future__ import annotations

from bench.conformance.charger import physical
from bench.conformance.charger.answers import now_text
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16 import connector_status
from bench.conformance.charger.states_v16_core import configured
from bench.conformance.charger.timing import interval_check
from bench.conformance.expect import present


@scenario("TC_001_CS", physical=("power_cycle",))
async def cold_boot(ctx: ChargerRun) -> None:
    retry = ctx.settings.retry_interval
    ctx.answer(
        "BootNotification",
        {"status": "Rejected", "currentTime": now_text(), "interval": retry},
        once=True,
    )
    since = ctx.mark()
    await physical.power_cycle(ctx)
    first = await ctx.station_frame("BootNotification", step=1, since=since)
    second = await ctx.station_frame("BootNotification", step=3, since=ctx.frames.index(first) + 1)
    interval_check(ctx, 3, "BootNotification.req", first.ts, second.ts, retry)
    after = ctx.frames.index(second)
    await connector_status(ctx, "Available", since=after, step=5)
    await connector_status(ctx, "Available", since=after, step=5, connector_id=0)
    beat = ctx.settings.heartbeat_interval
    one = await ctx.station_frame("Heartbeat", step=7, since=after, timeout=beat * 2 + 5)
    two = await ctx.station_frame(
        "Heartbeat", step=7, since=ctx.frames.index(one) + 1, timeout=beat * 2 + 5
    )
    interval_check(ctx, 7, "Heartbeat.req", one.ts, two.ts, beat)


@scenario("TC_002_CS", physical=("power_cycle",))
async def cold_boot_pending(ctx: ChargerRun) -> None:
    retry = ctx.settings.retry_interval
    interval = configured(ctx, "meter_value_interval")
    ctx.answer(
        "BootNotification",
        {"status": "Pending", "currentTime": now_text(), "interval": retry},
        once=True,
    )
    since = ctx.mark()
    await physical.power_cycle(ctx)
    first = await ctx.station_frame("BootNotification", step=1, since=since)
    # While Pending, the Central System reads and writes the configuration (1.6 §4.2).
    everything = await ctx.request("GetConfiguration", {}, step=3)
    ctx.check(4, "GetConfiguration.conf", everything, "configurationKey", present())
    reply = await ctx.request(
        "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": interval}, step=5
    )
    ctx.check(6, "ChangeConfiguration.conf", reply, "status", "Accepted")
    second = await ctx.station_frame("BootNotification", step=7, since=ctx.frames.index(first) + 1)
    interval_check(ctx, 7, "BootNotification.req", first.ts, second.ts, retry)
    after = ctx.frames.index(second)
    await connector_status(ctx, "Available", since=after, step=9)
    await connector_status(ctx, "Available", since=after, step=9, connector_id=0)
    beat = ctx.settings.heartbeat_interval
    one = await ctx.station_frame("Heartbeat", step=11, since=after, timeout=beat * 2 + 5)
    two = await ctx.station_frame(
        "Heartbeat", step=11, since=ctx.frames.index(one) + 1, timeout=beat * 2 + 5
    )
    interval_check(ctx, 11, "Heartbeat.req", one.ts, two.ts, beat)
