"""1.6 Core: cold boot (OCTT 1.6 §2.1, TC_001_CS)."""

from __future__ import annotations

from bench.conformance.charger import physical
from bench.conformance.charger.answers import now_text
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16 import connector_status
from bench.conformance.charger.timing import interval_check


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
