"""1.6 Smart Charging: charge point test cases (OCTT 1.6 §2.22, TC_056_CS .. TC_082_CS)."""

from __future__ import annotations

from datetime import timedelta

from bench.conformance.charger import smart16 as sm
from bench.conformance.charger import states16_ext as s
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16 import get_configuration, transaction_id

SIX_AMPS = [(0, 6.0)]  # "limit if unit is A then 6(A) else 6000(W)"


async def _profile_and_composite(ctx: ChargerRun, purpose: str, *, with_tx: bool) -> None:
    """Steps 1-4 of TC_056/057/082: one profile of ``purpose``, then its composite."""
    conf = sm.smart_settings(ctx)
    cid = ctx.settings.connector_id
    body = sm.profile(
        conf,
        purpose,
        SIX_AMPS,
        duration=conf.duration,
        start=sm.now(),
        transaction_id=transaction_id(ctx) if with_tx else None,
    )
    reply = await ctx.request(
        "SetChargingProfile", {"connectorId": cid, "csChargingProfiles": body}, step=1
    )
    ctx.check(2, "SetChargingProfile.conf", reply, "status", "Accepted")
    composite, asked = await sm.composite(ctx, conf, conf.duration, step=3)
    sm.check_start_near(ctx, 4, composite, asked, conf)
    sm.check_periods(ctx, 4, composite, [(0, conf.limit(6))], duration=conf.duration)


@scenario("TC_056_CS")
async def tx_default_profile(ctx: ChargerRun) -> None:
    await _profile_and_composite(ctx, "TxDefaultProfile", with_tx=False)


@scenario("TC_057_CS", physical=("plug_in",))
async def tx_profile(ctx: ChargerRun) -> None:
    await s.charging_remote(ctx, step=0)
    await _profile_and_composite(ctx, "TxProfile", with_tx=True)


@scenario("TC_082_CS", physical=("plug_in",))
async def tx_default_profile_during_transaction(ctx: ChargerRun) -> None:
    await s.charging_remote(ctx, step=0)
    await _profile_and_composite(ctx, "TxDefaultProfile", with_tx=False)


@scenario("TC_058_1_CS")
async def tx_profile_without_transaction(ctx: ChargerRun) -> None:
    conf = sm.smart_settings(ctx)
    body = sm.profile(
        conf,
        "TxProfile",
        SIX_AMPS,
        duration=conf.duration,
        start=sm.now(),
        transaction_id=s.new_id(),
    )
    request = {"connectorId": ctx.settings.connector_id, "csChargingProfiles": body}
    rec = await ctx.call("SetChargingProfile", request, step=1)
    sm.rejected_or_constraint(ctx, 2, "SetChargingProfile.conf", rec)


@scenario("TC_058_2_CS", physical=("plug_in",))
async def tx_profile_wrong_transaction(ctx: ChargerRun) -> None:
    await s.charging_remote(ctx, step=0)
    conf = sm.smart_settings(ctx)
    wrong = transaction_id(ctx) + 1
    body = sm.profile(
        conf, "TxProfile", SIX_AMPS, duration=conf.duration, start=sm.now(), transaction_id=wrong
    )
    request = {"connectorId": ctx.settings.connector_id, "csChargingProfiles": body}
    reply = await ctx.request("SetChargingProfile", request, step=1)
    ctx.check(2, "SetChargingProfile.conf", reply, "status", "Rejected")


async def _prerequisite_at_least(ctx: ChargerRun, key: str, minimum: int) -> None:
    value = await get_configuration(ctx, key)
    try:
        ok = value is not None and int(value) >= minimum
    except ValueError:
        ok = False
    if not ok:
        ctx.not_applicable(f"{key} is {value or 'not reported'}; the case needs {minimum} or more")


@scenario("TC_066_CS", physical=("plug_in",))
async def get_composite_schedule(ctx: ChargerRun) -> None:
    await _prerequisite_at_least(ctx, "MaxChargingProfilesInstalled", 3)
    await _prerequisite_at_least(ctx, "ChargingScheduleMaxPeriods", 5)
    await s.charging_remote(ctx, step=0)  # before the memory states (the case's note)
    conf = sm.smart_settings(ctx)
    cid = ctx.settings.connector_id
    start = sm.now() - timedelta(seconds=conf.max_deviation)
    station_max = sm.profile(
        conf,
        "ChargePointMaxProfile",
        [(0, 10.0)],
        duration=86400,
        start=start,
        stack_level=0,
    )
    default_periods = [(0, 6.0), (60, 10.0), (120, 8.0), (180, 15.0), (260, 8.0)]
    default = sm.profile(
        conf,
        "TxDefaultProfile",
        default_periods,
        duration=300,
        start=start,
        stack_level=0,
        valid_for=401,
    )
    tx_periods = [(0, 8.0), (50, 11.0), (140, 16.0), (200, 6.0), (240, 12.0)]
    tx = sm.profile(
        conf,
        "TxProfile",
        tx_periods,
        duration=260,
        start=start,
        stack_level=0,
        valid_for=401,
        transaction_id=transaction_id(ctx),
    )
    await sm.set_profile(ctx, 0, station_max, step=None)
    await sm.set_profile(ctx, cid, default, step=None)
    await sm.set_profile(ctx, cid, tx, step=None)
    reply, _asked = await sm.composite(ctx, conf, 400, step=1)
    offset = _offset(reply, start)
    expected = [(0, 8.0), (50, 10.0), (200, 6.0), (240, 10.0)]
    sm.check_periods(ctx, 2, reply, sm.shifted(conf, expected, offset), duration=400)


def _offset(reply: dict, start: object) -> float:
    """The case's "x": seconds from the profiles' startSchedule to the composite's start."""
    begun = sm.schedule_start(reply)
    if begun is None:
        return 0.0
    return max(0.0, (begun - start).total_seconds())  # type: ignore[operator]


@scenario("TC_067_CS")
async def clear_charging_profile(ctx: ChargerRun) -> None:
    conf = sm.smart_settings(ctx)
    cid = ctx.settings.connector_id
    start = sm.now() - timedelta(seconds=conf.max_deviation)
    first = sm.profile(
        conf,
        "TxDefaultProfile",
        [(0, 6.0), (60, 8.0), (200, 10.0)],
        duration=400,
        start=start,
        stack_level=1,
    )
    second = sm.profile(
        conf,
        "TxDefaultProfile",
        [(0, 7.0), (100, 9.0)],
        duration=400,
        start=start,
        stack_level=0,
        valid_for=401,
    )
    third = sm.profile(
        conf,
        "ChargePointMaxProfile",
        [(0, 11.0), (200, 12.0)],
        duration=86400,
        start=start,
        stack_level=0,
        valid_for=401,
    )
    await sm.set_profile(ctx, cid, first, step=None)
    await sm.set_profile(ctx, cid, second, step=None)
    await sm.set_profile(ctx, 0, third, step=None)

    reply = await ctx.request("ClearChargingProfile", {"id": first["chargingProfileId"]}, step=1)
    ctx.check(2, "ClearChargingProfile.conf", reply, "status", "Accepted")
    composite, _ = await sm.composite(ctx, conf, 350, step=3)
    offset = _offset(composite, start)
    expected = sm.shifted(conf, [(0, 7.0), (100, 9.0)], offset)
    sm.check_periods(ctx, 4, composite, expected, duration=350)

    by_purpose = {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0}
    reply = await ctx.request("ClearChargingProfile", by_purpose, step=5)
    ctx.check(6, "ClearChargingProfile.conf", reply, "status", "Accepted")
    composite, _ = await sm.composite(ctx, conf, 350, step=7)
    offset = _offset(composite, start)
    expected = sm.shifted(conf, [(0, 11.0), (200, 12.0)], offset)
    sm.check_periods(ctx, 8, composite, expected, duration=350)

    reply = await ctx.request("ClearChargingProfile", {}, step=9)
    ctx.check(10, "ClearChargingProfile.conf", reply, "status", "Accepted")
    composite, _ = await sm.composite(ctx, conf, 350, step=11)
    _local_limit_only(ctx, 12, composite)


def _local_limit_only(ctx: ChargerRun, step: int, reply: dict) -> None:
    """ "startPeriod 0, limit <The local limit of the Charging Station>": one period from 0,
    at <Configured local limit> (``extra["local_limit"]``) when the operator gave one."""
    periods = (reply.get("chargingSchedule") or {}).get("chargingSchedulePeriod") or []
    first = periods[0] if periods else {}
    ctx.check_that(
        step,
        "GetCompositeSchedule.conf",
        "chargingSchedule.chargingSchedulePeriod",
        len(periods) == 1 and first.get("startPeriod") == 0,
        "one period from startPeriod 0 (the local limit)",
        f"{len(periods)} periods: "
        + "; ".join(f"{p.get('startPeriod')} s: {p.get('limit')}" for p in periods),
    )
    configured = ctx.settings.extra.get("local_limit")
    if configured is not None:
        ctx.check(step, "GetCompositeSchedule.conf", first, "limit", float(configured))


@scenario("TC_072_CS")
async def stacking_charging_profiles(ctx: ChargerRun) -> None:
    conf = sm.smart_settings(ctx)
    cid = ctx.settings.connector_id
    start = sm.now() - timedelta(seconds=conf.max_deviation)
    lower = sm.profile(
        conf,
        "TxDefaultProfile",
        [(0, 6.0), (100, 8.0), (200, 10.0)],
        duration=400,
        start=start,
        stack_level=0,
        valid_for=401,
    )
    upper = sm.profile(
        conf,
        "TxDefaultProfile",
        [(0, 7.0), (100, 9.0)],
        duration=150,
        start=start,
        stack_level=1,
        valid_for=401,
    )
    await sm.set_profile(ctx, cid, lower, step=None)
    await sm.set_profile(ctx, cid, upper, step=None)
    reply, _ = await sm.composite(ctx, conf, 350, step=1)
    offset = _offset(reply, start)
    expected = [(0, 7.0), (100, 9.0), (150, 8.0), (200, 10.0)]
    sm.check_periods(ctx, 2, reply, sm.shifted(conf, expected, offset), duration=350)


@scenario("TC_059_CS", physical=("plug_in",))
async def remote_start_with_profile(ctx: ChargerRun) -> None:
    conf = sm.smart_settings(ctx)
    body = sm.profile(conf, "TxProfile", SIX_AMPS, duration=conf.duration, start=sm.now())
    await s.charging_remote(ctx, step=1, charging_profile=body)
    reply, asked = await sm.composite(ctx, conf, conf.duration, step=2)
    sm.check_start_near(ctx, 3, reply, asked, conf)
    sm.check_periods(ctx, 3, reply, [(0, conf.limit(6))], duration=conf.duration)


@scenario("TC_060_CS")
async def remote_start_with_wrong_profile(ctx: ChargerRun) -> None:
    conf = sm.smart_settings(ctx)
    body = sm.profile(conf, "TxDefaultProfile", SIX_AMPS, duration=conf.duration, start=sm.now())
    request = {
        "connectorId": ctx.settings.connector_id,
        "idTag": ctx.valid_token,
        "chargingProfile": body,
    }
    rec = await ctx.call("RemoteStartTransaction", request, step=1)
    sm.rejected_or_constraint(ctx, 2, "RemoteStartTransaction.conf", rec)
