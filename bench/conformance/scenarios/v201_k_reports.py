"""2.0.1 block K, SmartCharging: reports and external limits (part 6 §3.12).

TC_K_29-36 and TC_K_52 (K09 GetChargingProfiles: the station reports what it holds),
TC_K_43/44 (K08 GetCompositeSchedule) and TC_K_48/50/51 (K12/K13 external limits:
the bench plays the energy management system, the station tells the CSMS).

OCTT's mock station "has" profiles to report; the bench's station holds them for
real: a profile is put on it at the station (``states_smart.install_at_station``,
chargingLimitSource Other) or by the external system (chargingLimitSource EMS)
before the CSMS asks.
"""

from __future__ import annotations

from typing import Any

from bench.conformance import states, states_smart
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import absent, contains, integer_at_least
from bench.conformance.states_smart import (
    COMPOSITE_S,
    LIMIT_SOURCE,
    RATE_UNIT,
    STACK_LEVEL,
    STATION_MAX_ID,
    TX_DEFAULT_ID,
    smart_case,
)

GET = "GetChargingProfilesRequest"
PURPOSE = "TxDefaultProfile"  # <Configured chargingProfilePurpose>
EXTERNAL_AMPS = 10.0  # the limit the bench's energy management system imposes
GET_KEY = "get_charging_profiles"


def _hold_tx_default(ctx: CaseRun, evse_id: int) -> None:
    profile = states_smart.absolute_profile(ctx, TX_DEFAULT_ID, PURPOSE, 6.0)
    states_smart.install_at_station(ctx, evse_id, profile)


async def _external_limit(ctx: CaseRun, evse_id: int) -> None:
    """The energy management system limits ``evse_id``; the station tells the CSMS (K12)."""
    since = ctx.mark()
    ctx.station.set_external_limit(evse_id, EXTERNAL_AMPS)
    await states_smart.station_call(ctx, "NotifyChargingLimit", step=None, since=since)


async def _get(
    ctx: CaseRun,
    instruction: str,
    criteria: dict[str, Any],
    evse_id: int | None,
    validations: dict[str, Any],
) -> None:
    """Step 1's GetChargingProfilesRequest, checked field by field (``validations``:
    path -> expected), then steps 2-4: the station's answer and its report."""
    request: dict[str, Any] = {"requestId": 1, "chargingProfile": criteria}
    if evse_id is not None:
        request["evseId"] = evse_id
    where = "the whole station" if evse_id is None else f"EVSE {evse_id}"

    def check(sent: dict[str, Any]) -> None:
        for path, expected in validations.items():
            ctx.check(1, GET, sent, path, expected)

    await states_smart.get_profiles(
        ctx,
        f"Request the CSMS to get the charging profiles of {where}: {instruction}",
        request,
        check,
    )


@smart_case("TC_K_29_CSMS", manual=(GET_KEY,))
async def get_profiles_evse_0(ctx: CaseRun) -> None:
    # K09.FR.03: evseId 0 (the station itself), by purpose, while energy flows.
    await states_smart.booted(ctx)
    await states_smart.charging(ctx)
    _hold_tx_default(ctx, 0)
    await _get(
        ctx,
        f"purpose {PURPOSE}",
        {"chargingProfilePurpose": PURPOSE},
        0,
        {"evseId": 0, "chargingProfile.chargingProfilePurpose": PURPOSE},
    )


@smart_case("TC_K_30_CSMS", manual=(GET_KEY,))
async def get_profiles_one_evse(ctx: CaseRun) -> None:
    # K09.FR.03: every profile of one EVSE.
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    _hold_tx_default(ctx, evse_id)
    await _get(ctx, "all of them", {}, evse_id, {"evseId": evse_id})


@smart_case("TC_K_31_CSMS", manual=(GET_KEY,))
async def get_profiles_every_evse(ctx: CaseRun) -> None:
    # K09.FR.03: no evseId; the station reports per EVSE (steps 3-4 for every EVSE).
    await states.booted(ctx)
    # The station's maximum on EVSE 0 beside a TxDefaultProfile on EVSE 1 (two of the
    # same purpose and stackLevel would clash, K01.FR.53).
    peak = states_smart.absolute_profile(ctx, STATION_MAX_ID, "ChargingStationMaxProfile", 16.0)
    states_smart.install_at_station(ctx, 0, peak)
    _hold_tx_default(ctx, states.connector_for(ctx))
    await _get(
        ctx,
        "all of them, on every EVSE (no evseId)",
        {},
        None,
        {"evseId": absent(), "requestId": integer_at_least(0)},
    )


@smart_case("TC_K_32_CSMS", manual=(GET_KEY,))
async def get_profile_by_id(ctx: CaseRun) -> None:
    # K09.FR.03: one profile by its id.
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    _hold_tx_default(ctx, evse_id)
    wanted = TX_DEFAULT_ID
    await _get(
        ctx,
        f"the profile with id {wanted}",
        {"chargingProfileId": [wanted]},
        None,
        {"chargingProfile.chargingProfileId": contains(wanted), "requestId": integer_at_least(0)},
    )


@smart_case("TC_K_33_CSMS", manual=(GET_KEY,))
async def get_profiles_by_stack_level(ctx: CaseRun) -> None:
    # K09.FR.03: one EVSE, one stackLevel.
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    _hold_tx_default(ctx, evse_id)
    await _get(
        ctx,
        f"stackLevel {STACK_LEVEL}",
        {"stackLevel": STACK_LEVEL},
        evse_id,
        {"evseId": evse_id, "chargingProfile.stackLevel": STACK_LEVEL},
    )


@smart_case("TC_K_34_CSMS", manual=(GET_KEY,))
async def get_profiles_by_source(ctx: CaseRun) -> None:
    # K09.FR.03: one EVSE, one chargingLimitSource: the limit the EMS imposed (K12).
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    await _external_limit(ctx, evse_id)
    await _get(
        ctx,
        f"those of chargingLimitSource {LIMIT_SOURCE}",
        {"chargingLimitSource": [LIMIT_SOURCE]},
        evse_id,
        {"evseId": evse_id, "chargingProfile.chargingLimitSource": contains(LIMIT_SOURCE)},
    )


@smart_case("TC_K_35_CSMS", manual=(GET_KEY,))
async def get_profiles_by_purpose(ctx: CaseRun) -> None:
    # K09.FR.03: one EVSE, one purpose.
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    _hold_tx_default(ctx, evse_id)
    await _get(
        ctx,
        f"purpose {PURPOSE}",
        {"chargingProfilePurpose": PURPOSE},
        evse_id,
        {"evseId": evse_id, "chargingProfile.chargingProfilePurpose": PURPOSE},
    )


@smart_case("TC_K_36_CSMS", manual=(GET_KEY,))
async def get_profiles_by_purpose_and_level(ctx: CaseRun) -> None:
    # K09.FR.03: one EVSE, one purpose, one stackLevel.
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    _hold_tx_default(ctx, evse_id)
    criteria = {"chargingProfilePurpose": PURPOSE, "stackLevel": STACK_LEVEL}
    await _get(
        ctx,
        f"purpose {PURPOSE}, stackLevel {STACK_LEVEL}",
        criteria,
        evse_id,
        {
            "evseId": evse_id,
            "chargingProfile.chargingProfilePurpose": PURPOSE,
            "chargingProfile.stackLevel": STACK_LEVEL,
        },
    )


@smart_case("TC_K_52_CSMS", manual=(GET_KEY,))
async def get_profiles_with_external_constraints(ctx: CaseRun) -> None:
    # K12, K09: the report holds the EMS's ChargingStationExternalConstraints profile.
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    await _external_limit(ctx, evse_id)
    purpose = "ChargingStationExternalConstraints"
    await _get(ctx, f"purpose {purpose}", {"chargingProfilePurpose": purpose}, evse_id, {})
    reported = [
        p
        for rec in ctx.frames
        if rec.direction == "tx"
        and rec.type == "CALL"
        and rec.action == "ReportChargingProfiles"
        and isinstance(rec.payload, dict)
        for p in rec.payload.get("chargingProfile", [])
    ]
    if not any(p.get("chargingProfilePurpose") == purpose for p in reported):
        raise RuntimeError("the station's report held no ChargingStationExternalConstraints")


# ------------------------------------------------------------------ K08 composite schedule
async def _composite(ctx: CaseRun, evse_id: int) -> None:
    await states.booted(ctx)
    wanted = {"evseId": evse_id, "duration": COMPOSITE_S, "chargingRateUnit": RATE_UNIT}
    where = "the whole station (evseId 0)" if evse_id == 0 else f"EVSE {evse_id}"
    request = await ctx.request_by_hand(
        "get_composite_schedule",
        f"Request the CSMS to get the composite schedule of {where} for the next "
        f"{COMPOSITE_S} s in {RATE_UNIT}",
        "GetCompositeSchedule",
        wanted,
        step=1,
        evse_id=evse_id,
        duration=COMPOSITE_S,
        charging_rate_unit=RATE_UNIT,
    )
    message = "GetCompositeScheduleRequest"
    ctx.check(1, message, request, "evseId", evse_id)
    ctx.check(1, message, request, "duration", COMPOSITE_S)
    ctx.check(1, message, request, "chargingRateUnit", RATE_UNIT)


@smart_case("TC_K_43_CSMS", manual=("get_composite_schedule",))
async def composite_one_evse(ctx: CaseRun) -> None:
    # K08.FR.01: the composite schedule of EVSE 1.
    await _composite(ctx, 1)


@smart_case("TC_K_44_CSMS", manual=("get_composite_schedule",))
async def composite_station(ctx: CaseRun) -> None:
    # K08.FR.01: the composite schedule of the station (evseId 0).
    await _composite(ctx, 0)


# ------------------------------------------------------------------ K12 / K13 external limits
@smart_case("TC_K_48_CSMS")
async def external_limit_set(ctx: CaseRun) -> None:
    # K12: the EMS limits an idle EVSE; the station sends NotifyChargingLimit (source EMS).
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    since = ctx.mark()
    ctx.station.set_external_limit(evse_id, EXTERNAL_AMPS)
    _, reply = await states_smart.station_call(
        ctx,
        "NotifyChargingLimit",
        step=2,
        since=since,
        matches=lambda p: p["chargingLimit"]["chargingLimitSource"] == LIMIT_SOURCE,
    )
    states_smart.answered(ctx, 2, "NotifyChargingLimitResponse", reply)


async def _release(ctx: CaseRun, evse_id: int) -> int:
    """The EMS releases its limit: ClearedChargingLimit (steps 1-2). Returns a mark."""
    since = ctx.mark()
    ctx.station.set_external_limit(evse_id, None)
    _, reply = await states_smart.station_call(
        ctx,
        "ClearedChargingLimit",
        step=2,
        since=since,
        matches=lambda p: p["chargingLimitSource"] == LIMIT_SOURCE,
    )
    states_smart.answered(ctx, 2, "ClearedChargingLimitResponse", reply)
    return since


@smart_case("TC_K_50_CSMS")
async def external_limit_released(ctx: CaseRun) -> None:
    # K13: the EMS releases the limit it set on an idle EVSE (K13.FR.01).
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    await _external_limit(ctx, evse_id)
    await _release(ctx, evse_id)


@smart_case("TC_K_51_CSMS")
async def external_limit_released_while_charging(ctx: CaseRun) -> None:
    # K13.FR.01-03: released during a transaction; the charging rate rises again.
    await states_smart.booted(ctx)
    evse_id, _ = await states_smart.charging(ctx)
    await _external_limit(ctx, evse_id)
    since = await _release(ctx, evse_id)
    _, reply = await states_smart.station_call(
        ctx,
        "TransactionEvent",
        step=4,
        since=since,
        matches=lambda p: (
            p.get("eventType") == "Updated" and p.get("triggerReason") == "ChargingRateChanged"
        ),
        what="the station's TransactionEvent (Updated, ChargingRateChanged)",
    )
    states_smart.answered(ctx, 4, "TransactionEventResponse", reply)
