"""2.0.1 block K, Smart charging: profiles as the composite schedule shows them (part 6
§2.11, TC_K_09, 21-23, 28, 39-42, 47 CS).

The case's "startPeriod (T - x), limit L" lines are checked against the times the
profiles were written with (``states_smart.check_periods``): x is the time from
sending the profile to the composite's scheduleStart.
"""

from __future__ import annotations

from datetime import timedelta

from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_smart as sc
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import absent

SIGNIFICANCE = {"SmartChargingCtrlr/LimitChangeSignificance": "1.0"}


@scenario("TC_K_09_CS", physical=("present_token", "plug_in"))
async def clear_default_during_transaction(ctx: ChargerRun) -> None:
    await v201.configure(ctx, SIGNIFICANCE)
    dev = sc.deviation(ctx)
    now = sc.utc_now()
    sent = sc.simple_profile(
        ctx,
        sc.configured_id(ctx),
        duration=int(400 + dev),
        start=now,
        valid_from=now - timedelta(seconds=dev),
        valid_to=now + timedelta(seconds=dev + 401),
    )
    await sc.memory_profile(ctx, ctx.settings.evse_id, sent)
    await v201.energy_transfer_started(ctx)
    before = await sc.composite(ctx, ctx.settings.evse_id, 300, step=2)
    sc.check_periods(ctx, 2, before, [(None, 6)])
    reply = await ctx.request(
        "ClearChargingProfile",
        {"chargingProfileCriteria": {"chargingProfilePurpose": "TxDefaultProfile"}},
        step=3,
    )
    ctx.check(4, "ClearChargingProfileResponse", reply, "status", "Accepted")
    after = await sc.composite(ctx, ctx.settings.evse_id, 300, step=5)  # K10.FR.07
    first = sc.first_limit(after)
    ctx.check_that(
        5,
        "GetCompositeScheduleResponse",
        "chargingSchedulePeriod[0].limit",
        first is not None and abs(first - sc.limit(ctx, 6)) >= 0.05,
        f"not {sc.limit(ctx, 6):g} (the TxDefaultProfile is cleared)",
        str(first),
    )


@scenario("TC_K_21_CS")
async def valid_from(ctx: ChargerRun) -> None:
    start = sc.utc_now() + timedelta(seconds=300)
    sent = sc.simple_profile(
        ctx, sc.configured_id(ctx), kind="Relative", duration=None, valid_from=start
    )
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=2)
    sched = await sc.composite(ctx, ctx.settings.evse_id, 400, step=4)
    sc.check_periods(ctx, 4, sched, [(None, None), (start, 6)])  # K01.FR.36


@scenario("TC_K_22_CS")
async def valid_to(ctx: ChargerRun) -> None:
    now = sc.utc_now()
    end = now + timedelta(seconds=300)
    sent = sc.simple_profile(
        ctx,
        sc.configured_id(ctx),
        duration=None,
        start=now,
        valid_from=now - timedelta(seconds=sc.deviation(ctx)),
        valid_to=end,
    )
    await sc.set_profile(ctx, 0, sent, step=2)
    count = await sc.evse_count(ctx)
    for evse in range(count + 1):  # steps 3 and 4 for every EVSE, the station's own first
        sched = await sc.composite(ctx, evse, 400, step=4)
        # K01.FR.37: 6 until validTo (for EVSE 0, 6 on each EVSE), then the local limit.
        sc.check_periods(ctx, 4, sched, [(None, 6 * (count if evse == 0 else 1)), (end, None)])


@scenario("TC_K_23_CS")
async def start_schedule(ctx: ChargerRun) -> None:
    dev = sc.deviation(ctx)
    now = sc.utc_now()
    begins = now + timedelta(seconds=60 - dev)
    sent = sc.simple_profile(
        ctx,
        sc.configured_id(ctx),
        duration=None,
        start=begins,
        valid_from=now + timedelta(seconds=50 - dev),
        valid_to=now + timedelta(seconds=400 + dev),
    )
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=2)
    sched = await sc.composite(ctx, ctx.settings.evse_id, 300, step=4)
    sc.check_periods(ctx, 4, sched, [(None, None), (begins, 6)])  # K01.FR.30


@scenario("TC_K_28_CS", physical=("present_token", "plug_in"))
async def default_during_transaction(ctx: ChargerRun) -> None:
    await v201.configure(ctx, SIGNIFICANCE)
    await v201.energy_transfer_started(ctx)
    dev = sc.deviation(ctx)
    now = sc.utc_now()
    sent = sc.simple_profile(
        ctx,
        sc.configured_id(ctx),
        duration=300,
        start=now - timedelta(seconds=dev),
        valid_from=now - timedelta(seconds=dev),
        valid_to=now + timedelta(seconds=dev + 300),
    )
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=2)
    sched = await sc.composite(ctx, ctx.settings.evse_id, 300, step=4)
    sc.check_periods(ctx, 4, sched, [(None, 6)])  # K01.FR.32: it holds on the running one


@scenario("TC_K_39_CS")
async def composite_without_profiles(ctx: ChargerRun) -> None:
    sched = await sc.composite(ctx, 0, 300, step=2)
    periods = sched.get("chargingSchedulePeriod") or [{}]
    ctx.check(2, "GetCompositeScheduleResponse", periods[0], "startPeriod", 0)  # K08.FR.06


@scenario("TC_K_40_CS")
async def stacking(ctx: ChargerRun) -> None:
    dev = sc.deviation(ctx)
    now = sc.utc_now()
    begins = now - timedelta(seconds=dev)
    until = now + timedelta(seconds=dev + 401)
    evse = ctx.settings.evse_id
    low = sc.profile(
        sc.configured_id(ctx),
        "TxDefaultProfile",
        sc.schedule(ctx, [(0, 6), (100, 8), (200, 10)], duration=int(400 + dev), start=begins),
        stack_level=0,
        valid_from=begins,
        valid_to=until,
    )
    high = sc.profile(
        sc.configured_id(ctx) + 1,
        "TxDefaultProfile",
        sc.schedule(ctx, [(0, 7), (100, 9)], duration=int(150 + dev), start=begins),
        stack_level=1,
        valid_from=begins,
        valid_to=until,
    )
    await sc.memory_profile(ctx, evse, low)
    await sc.memory_profile(ctx, evse, high)
    sched = await sc.composite(ctx, evse, 350, step=2)
    at = lambda s: begins + timedelta(seconds=s)  # noqa: E731
    # K08.FR.02: the higher stack level wins while it lasts (150 + deviation), then the lower.
    sc.check_periods(ctx, 2, sched, [(None, 7), (at(100), 9), (at(150 + dev), 8), (at(200), 10)])


@scenario("TC_K_41_CS", physical=("present_token", "plug_in"))
async def combining_purposes(ctx: ChargerRun) -> None:
    # The TxProfile of the memory state needs a transaction to be accepted (K01.FR.09).
    await v201.energy_transfer_started(ctx)
    dev = sc.deviation(ctx)
    now = sc.utc_now()
    begins = now - timedelta(seconds=dev)
    until = now + timedelta(seconds=dev + 401)
    evse, pid = ctx.settings.evse_id, sc.configured_id(ctx)
    station_max = sc.profile(
        pid,
        "ChargingStationMaxProfile",
        sc.schedule(ctx, [(0, 10)], duration=86400, start=begins),
    )
    default = sc.profile(
        pid + 1,
        "TxDefaultProfile",
        sc.schedule(
            ctx, [(0, 6), (60, 10), (120, 8), (180, 15), (260, 8)], duration=300, start=begins
        ),
        valid_from=begins,
        valid_to=until,
    )
    tx = sc.profile(
        pid + 2,
        "TxProfile",
        sc.schedule(
            ctx, [(0, 8), (50, 11), (140, 16), (200, 6), (240, 12)], duration=260, start=begins
        ),
        transaction_id=v201.transaction_id(ctx),
        valid_from=begins,
        valid_to=until,
    )
    await sc.memory_profile(ctx, 0, station_max)
    await sc.memory_profile(ctx, evse, default)
    await sc.memory_profile(ctx, evse, tx)
    sched = await sc.composite(ctx, evse, 400, step=2)
    at = lambda s: begins + timedelta(seconds=s)  # noqa: E731
    # K08.FR.04: the TxProfile overrides the TxDefaultProfile, capped by the station's maximum.
    sc.check_periods(ctx, 2, sched, [(None, 8), (at(50), 10), (at(200), 6), (at(240), 10)])


@scenario("TC_K_42_CS")
async def composite_unit_not_supported(ctx: ChargerRun) -> None:
    unit = await sc.unsupported_unit(ctx)
    reply = await ctx.request(
        "GetCompositeSchedule", {"evseId": 0, "duration": 300, "chargingRateUnit": unit}, step=1
    )
    ctx.check(2, "GetCompositeScheduleResponse", reply, "status", "Rejected")  # K08.FR.07
    ctx.check(2, "GetCompositeScheduleResponse", reply, "schedule", absent())


@scenario("TC_K_47_CS")
async def composite_unknown_evse(ctx: ChargerRun) -> None:
    beyond = await sc.evse_count(ctx) + 1
    reply = await ctx.request(
        "GetCompositeSchedule",
        {"evseId": beyond, "duration": 300, "chargingRateUnit": sc.rate_unit(ctx)},
        step=1,
    )
    ctx.check(2, "GetCompositeScheduleResponse", reply, "status", "Rejected")  # K08.FR.05
    ctx.check(2, "GetCompositeScheduleResponse", reply, "schedule", absent())
