"""OCPP 1.6 Smart Charging (1.6 test case document §3.19).

The case's "<Configured ...>" values of a profile (stack level, rate unit,
duration, start period, number of phases) are the constants below; the request
each case proposes carries them, and the checks compare the Central System's
request with them field by field.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import ABSENT, absent, absent_or, one_of, present
from bench.conformance.scenarios import scenario

STACK_LEVEL = 1  # <Configured Stack Level> (TC_067 uses it, +1 and +2)
RATE_UNIT = "A"  # <Configured chargingRateUnit>
DURATION_S = 3600  # <Configured duration> / <Configured Charging Schedule Duration>
START_PERIOD = 0  # <Configured startPeriod>
NUMBER_PHASES = 3  # <Configured numberPhases>
LIMIT = 6.0  # TC_056: "limit 6.0 or 6000.0" (A or W)
PROFILE_ID = 1601


def _iso(ctx: CaseRun, offset_s: float = 0.0) -> str:
    when = ctx.station.clock.now() + timedelta(seconds=offset_s)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def default_profile(ctx: CaseRun, profile_id: int, stack_level: int) -> dict[str, Any]:
    """A TxDefaultProfile with the configured values (TC_056, TC_067)."""
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "validFrom": _iso(ctx),
        "validTo": _iso(ctx, 24 * 3600),
        "chargingSchedule": {
            "duration": DURATION_S,
            "startSchedule": _iso(ctx),
            "chargingRateUnit": RATE_UNIT,
            "chargingSchedulePeriod": [
                {"startPeriod": START_PERIOD, "limit": LIMIT, "numberPhases": NUMBER_PHASES}
            ],
        },
    }


def tx_profile(profile_id: int, transaction_id: int | None = None) -> dict[str, Any]:
    """A TxProfile (for a running transaction, or without transactionId for a remote start)."""
    profile: dict[str, Any] = {
        "chargingProfileId": profile_id,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": RATE_UNIT,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
    }
    if transaction_id is not None:
        profile["transactionId"] = transaction_id
    return profile


async def _set_profile(
    ctx: CaseRun, cid: int, profile: dict[str, Any], *, step: int, what: str
) -> dict[str, Any]:
    return await ctx.request_by_hand(
        "set_charging_profile",
        f"Request the Central System to set {what} on connector {cid}",
        "SetChargingProfile",
        {"connectorId": cid, "csChargingProfiles": profile},
        step=step,
        connector_id=cid,
        profile=profile,
    )


@scenario("TC_056_CSMS", manual=("set_charging_profile",))
async def tx_default_profile(ctx: CaseRun) -> None:
    # 1.6 §3.13.2, §5.16: a TxDefaultProfile with every field the case lists.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    profile = default_profile(ctx, PROFILE_ID, STACK_LEVEL)
    request = await _set_profile(
        ctx,
        cid,
        profile,
        step=1,
        what=f"a TxDefaultProfile (stack level {STACK_LEVEL}, {LIMIT:g} {RATE_UNIT} from "
        f"{START_PERIOD} s, {DURATION_S} s, {NUMBER_PHASES} phases, valid from now for a day)",
    )
    m = "SetChargingProfile.req"
    p = "csChargingProfiles"
    sched = f"{p}.chargingSchedule"
    period = f"{sched}.chargingSchedulePeriod[0]"
    ctx.check(1, m, request, "connectorId", cid)
    ctx.check(1, m, request, f"{p}.stackLevel", STACK_LEVEL)
    ctx.check(1, m, request, f"{p}.chargingProfilePurpose", "TxDefaultProfile")
    ctx.check(1, m, request, f"{p}.chargingProfileKind", "Absolute")
    ctx.check(1, m, request, f"{p}.validFrom", present())
    ctx.check(1, m, request, f"{p}.validTo", present())
    ctx.check(1, m, request, f"{sched}.startSchedule", present())
    ctx.check(1, m, request, f"{sched}.chargingRateUnit", RATE_UNIT)
    ctx.check(1, m, request, f"{sched}.duration", DURATION_S)
    ctx.check(1, m, request, f"{period}.startPeriod", START_PERIOD)
    ctx.check(1, m, request, f"{period}.limit", one_of(6.0, 6000.0))
    # <Configured numberPhases> is 3: the field may be left out (3 is the default, §7.13).
    ctx.check(1, m, request, f"{period}.numberPhases", absent_or(NUMBER_PHASES))
    await s16.station_answered(ctx, "SetChargingProfile", since=since, status="Accepted")


@scenario("TC_057_CSMS", manual=("set_charging_profile",))
async def tx_profile_for_running_transaction(ctx: CaseRun) -> None:
    # 1.6 §3.13.3, §5.16: a TxProfile for the transaction the Charging state started.
    await s16.booted(ctx)
    session = await s16.charging(ctx)
    cid = session.connector
    since = ctx.mark()
    request = await _set_profile(
        ctx,
        cid,
        tx_profile(PROFILE_ID, session.transaction_id),
        step=1,
        what=f"a TxProfile for transaction {session.transaction_id}",
    )
    m = "SetChargingProfile.req"
    ctx.check(1, m, request, "connectorId", cid)
    ctx.check(1, m, request, "csChargingProfiles.chargingProfilePurpose", "TxProfile")
    ctx.check(1, m, request, "csChargingProfiles.transactionId", session.transaction_id)
    await s16.station_answered(ctx, "SetChargingProfile", since=since, status="Accepted")


@scenario("TC_066_CSMS", manual=("get_composite_schedule",))
async def composite_schedule(ctx: CaseRun) -> None:
    # 1.6 §5.7: GetCompositeSchedule for the configured connector, duration and unit.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "get_composite_schedule",
        f"Request the Central System to get the composite schedule of connector {cid} "
        f"for {DURATION_S} s in {RATE_UNIT}",
        "GetCompositeSchedule",
        {"connectorId": cid, "duration": DURATION_S, "chargingRateUnit": RATE_UNIT},
        step=1,
        connector_id=cid,
        duration=DURATION_S,
        unit=RATE_UNIT,
    )
    m = "GetCompositeSchedule.req"
    ctx.check(1, m, request, "connectorId", cid)
    ctx.check(1, m, request, "duration", DURATION_S)
    ctx.check(1, m, request, "chargingRateUnit", RATE_UNIT)
    await s16.station_answer(ctx, "GetCompositeSchedule", since=since)


async def _clear(ctx: CaseRun, criteria: dict[str, Any], *, step: int, what: str) -> dict[str, Any]:
    params = {
        name: criteria.get(field)  # None: the field is left out
        for name, field in (
            ("id", "id"),
            ("connector_id", "connectorId"),
            ("purpose", "chargingProfilePurpose"),
            ("stack_level", "stackLevel"),
        )
    }
    return await ctx.request_by_hand(
        "clear_charging_profile",
        f"Request the Central System to clear {what}",
        "ClearChargingProfile",
        criteria,
        step=step,
        **params,
    )


@scenario("TC_067_CSMS", manual=("set_charging_profile", "clear_charging_profile"))
async def clear_charging_profile(ctx: CaseRun) -> None:
    # 1.6 §5.5: three TxDefaultProfiles (stack levels L, L+1, L+2), then cleared by id,
    # by criteria and all at once.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    m = "SetChargingProfile.req"
    p = "csChargingProfiles"
    ids: list[Any] = []
    for n in range(3):
        since = ctx.mark()
        level = STACK_LEVEL + n
        request = await _set_profile(
            ctx,
            cid,
            default_profile(ctx, PROFILE_ID + n, level),
            step=1,
            what=f"TxDefaultProfile {n + 1} of 3 (stack level {level})",
        )
        ctx.check(1, m, request, "connectorId", cid)
        ctx.check(1, m, request, f"{p}.chargingProfilePurpose", "TxDefaultProfile")
        ctx.check(1, m, request, f"{p}.stackLevel", level)
        ids.append(request.get(p, {}).get("chargingProfileId", ABSENT))
        await s16.station_answered(ctx, "SetChargingProfile", since=since, status="Accepted")

    m = "ClearChargingProfile.req"
    since = ctx.mark()
    by_id = await _clear(ctx, {"id": ids[0]}, step=3, what=f"charging profile {ids[0]}")
    ctx.check(3, m, by_id, "id", ids[0])
    for field in ("connectorId", "chargingProfilePurpose", "stackLevel"):
        ctx.check(3, m, by_id, field, absent())
    await s16.station_answered(ctx, "ClearChargingProfile", since=since, status="Accepted")

    since = ctx.mark()
    level = STACK_LEVEL + 1
    criteria = {
        "connectorId": cid,
        "chargingProfilePurpose": "TxDefaultProfile",
        "stackLevel": level,
    }
    by_criteria = await _clear(
        ctx,
        criteria,
        step=5,
        what=f"the TxDefaultProfile of stack level {level} on connector {cid} (by criteria)",
    )
    ctx.check(5, m, by_criteria, "id", absent())
    ctx.check(5, m, by_criteria, "connectorId", cid)
    ctx.check(5, m, by_criteria, "chargingProfilePurpose", "TxDefaultProfile")
    ctx.check(5, m, by_criteria, "stackLevel", level)
    await s16.station_answered(ctx, "ClearChargingProfile", since=since, status="Accepted")

    since = ctx.mark()
    everything = await _clear(ctx, {}, step=7, what="all remaining charging profiles")
    ctx.check_that(
        7,
        m,
        "(fields)",
        everything == {},
        "all fields omitted",
        ", ".join(sorted(everything)) or "(none)",
    )
    await s16.station_answered(ctx, "ClearChargingProfile", since=since, status="Accepted")


@scenario("TC_059_CSMS", manual=("request_start_transaction",))
async def remote_start_with_profile(ctx: CaseRun) -> None:
    # 1.6 §5.11, §3.13.3: RemoteStartTransaction carrying a TxProfile without
    # transactionId, Relative, from startPeriod 0.
    await s16.booted(ctx)
    cid = s16.connector_of(ctx)
    tag = ctx.settings.valid_id_token
    profile = tx_profile(PROFILE_ID)
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "request_start_transaction",
        f"Request the Central System to start a transaction remotely for idTag {tag} on "
        f"connector {cid} with a Relative TxProfile",
        "RemoteStartTransaction",
        {"connectorId": cid, "idTag": tag, "chargingProfile": profile},
        step=1,
        id_token=tag,
        connector_id=cid,
        profile=profile,
    )
    m = "RemoteStartTransaction.req"
    ctx.check(1, m, request, "idTag", tag)
    ctx.check(1, m, request, "connectorId", cid)
    ctx.check(1, m, request, "chargingProfile.chargingProfilePurpose", "TxProfile")
    ctx.check(1, m, request, "chargingProfile.transactionId", absent())
    ctx.check(1, m, request, "chargingProfile.chargingProfileKind", "Relative")
    ctx.check(
        1, m, request, "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].startPeriod", 0
    )
    await s16.station_answered(ctx, "RemoteStartTransaction", since=since, status="Accepted")
    auth = await s16.exchange(ctx, "Authorize", step=4, since=since, idTag=request.get("idTag"))
    ctx.require(4, "Authorize.conf", auth.reply, "idTagInfo.status", "Accepted")
    await s16.status(ctx, "Preparing", since=since, step=6, connector=cid)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    start = await s16.exchange(ctx, "StartTransaction", step=8, since=since, connectorId=cid)
    ctx.require(8, "StartTransaction.conf", start.reply, "idTagInfo.status", "Accepted")
    await s16.status(ctx, "Charging", since=since, step=10, connector=cid)
