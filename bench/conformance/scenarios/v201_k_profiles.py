"""2.0.1 block K, SmartCharging: setting and clearing charging profiles (part 6 §3.12).

TC_K_01/02/03/04/10/15/19/60/70 (K01 SetChargingProfile), TC_K_37 (K05 remote start
with a profile) and TC_K_05/06/08 (K10 ClearChargingProfile). The CSMS is asked to
send a realistic profile built from the bench's <Configured ...> values
(``states_smart``); every chargingProfile it sends is also held to the §3.1 general
tool rules (``states_smart.profile_rules``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.conformance import states, states_smart
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import absent, field_at, satisfies
from bench.conformance.states_smart import (
    NUMBER_PHASES,
    RATE_UNIT,
    RECURRENCY,
    SCHEDULE_S,
    STACK_LEVEL,
    STACK_LEVEL_2,
    START_PERIOD,
    STATION_MAX_ID,
    TX_DEFAULT_ID,
    TX_PROFILE_ID,
    describe,
    near,
    present_time,
    rate,
    smart_case,
)
from bench.kernel.frames import FrameRecord
from bench.ocpp.errors import ErrorKind, OcppError

MESSAGE = "SetChargingProfileRequest"
SCHEDULE = "chargingProfile.chargingSchedule[0]"
PERIOD = f"{SCHEDULE}.chargingSchedulePeriod[0]"


def _payload(frame: FrameRecord) -> dict[str, Any]:
    return frame.payload if isinstance(frame.payload, dict) else {}


async def _ask(
    ctx: CaseRun, step: int, evse_id: int, profile: dict[str, Any], what: str
) -> dict[str, Any]:
    frame = await states_smart.set_profile(
        ctx,
        step,
        f"Request the CSMS to send {what} on EVSE {evse_id}: {describe(profile)}",
        evse_id,
        profile,
    )
    return _payload(frame)


def _check_schedule(
    ctx: CaseRun,
    step: int,
    request: dict[str, Any],
    amps: float,
    *,
    duration: bool = True,
    phases: bool = True,
) -> None:
    """The schedule fields most K01 cases validate: unit, duration, first period."""
    ctx.check(step, MESSAGE, request, f"{SCHEDULE}.chargingRateUnit", RATE_UNIT)
    if duration:
        ctx.check(step, MESSAGE, request, f"{SCHEDULE}.duration", SCHEDULE_S)
    ctx.check(step, MESSAGE, request, f"{PERIOD}.startPeriod", START_PERIOD)
    unit = field_at(request, f"{SCHEDULE}.chargingRateUnit")
    ctx.check(step, MESSAGE, request, f"{PERIOD}.limit", rate(amps)(unit))
    if phases:
        ctx.check(step, MESSAGE, request, f"{PERIOD}.numberPhases", states_smart.number_phases())


def _check_validity_given(ctx: CaseRun, step: int, request: dict[str, Any]) -> None:
    """validFrom, validTo and startSchedule <Not omitted>."""
    ctx.check(step, MESSAGE, request, "chargingProfile.validFrom", present_time())
    ctx.check(step, MESSAGE, request, "chargingProfile.validTo", present_time())
    ctx.check(step, MESSAGE, request, f"{SCHEDULE}.startSchedule", present_time())


# ------------------------------------------------------------------ K01 SetChargingProfile
@smart_case("TC_K_01_CSMS", manual=(states_smart.SET_PROFILE,))
async def tx_default_specific_evse(ctx: CaseRun) -> None:
    # K01.FR.31: a TxDefaultProfile for one EVSE, valid from now, 6 A from startPeriod 0.
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    profile = states_smart.absolute_profile(ctx, TX_DEFAULT_ID, "TxDefaultProfile", 6.0)
    frame = await states_smart.set_profile(
        ctx,
        1,
        f"Request the CSMS to send a TxDefaultProfile on EVSE {evse_id}: {describe(profile)}",
        evse_id,
        profile,
    )
    request = _payload(frame)
    at = states_smart.moment(frame)
    ctx.check(1, MESSAGE, request, "chargingProfile.id", TX_DEFAULT_ID)
    ctx.check(1, MESSAGE, request, "evseId", evse_id)
    ctx.check(1, MESSAGE, request, "chargingProfile.stackLevel", STACK_LEVEL)
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfilePurpose", "TxDefaultProfile")
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfileKind", "Absolute")
    ctx.check(1, MESSAGE, request, "chargingProfile.validFrom", near(at, "now"))
    until = at + timedelta(seconds=SCHEDULE_S)
    ctx.check(1, MESSAGE, request, "chargingProfile.validTo", near(until, f"now + {SCHEDULE_S} s"))
    ctx.check(1, MESSAGE, request, f"{SCHEDULE}.startSchedule", near(at, "now"))
    _check_schedule(ctx, 1, request, 6.0)


@smart_case("TC_K_10_CSMS", manual=(states_smart.SET_PROFILE,))
async def tx_default_all_evses(ctx: CaseRun) -> None:
    # K01.FR.31 on EVSE 0: part 5 makes it conditional on SC-4 (TxDefaultProfile on EVSE #0).
    ctx.needs_feature("TxDefaultProfileOnEvse0")
    await states.booted(ctx)
    profile = states_smart.absolute_profile(ctx, TX_DEFAULT_ID, "TxDefaultProfile", 6.0)
    request = await _ask(ctx, 1, 0, profile, "a TxDefaultProfile for all EVSEs (evseId 0)")
    ctx.check(1, MESSAGE, request, "chargingProfile.id", TX_DEFAULT_ID)
    ctx.check(1, MESSAGE, request, "evseId", 0)
    ctx.check(1, MESSAGE, request, "chargingProfile.stackLevel", STACK_LEVEL)
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfilePurpose", "TxDefaultProfile")
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfileKind", "Absolute")
    _check_validity_given(ctx, 1, request)
    _check_schedule(ctx, 1, request, 6.0)


@smart_case("TC_K_02_CSMS", manual=(states_smart.SET_PROFILE,))
async def tx_profile_without_transaction(ctx: CaseRun) -> None:
    # K01: a TxProfile while no transaction runs; the station answers Rejected (K01.FR.09,
    # TxNotFound). Its prerequisite: the CSMS can send a TxProfile without a transaction.
    ctx.needs_feature("TxProfileWithoutTransaction")
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    # K01.FR.03: a TxProfile names a transaction; there is none on this EVSE.
    profile = states_smart.relative_profile(
        TX_PROFILE_ID, "TxProfile", (0, 7.0), transaction_id="no-transaction-on-this-evse"
    )
    request = await _ask(ctx, 1, evse_id, profile, "a TxProfile (no transaction is running)")
    ctx.check(1, MESSAGE, request, "chargingProfile.id", TX_PROFILE_ID)
    ctx.check(1, MESSAGE, request, "evseId", evse_id)
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfilePurpose", "TxProfile")
    ctx.check(1, MESSAGE, request, "chargingProfile.stackLevel", STACK_LEVEL)
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfileKind", "Relative")
    _check_schedule(ctx, 1, request, 7.0, duration=False)


@smart_case("TC_K_03_CSMS", manual=(states_smart.SET_PROFILE,))
async def charging_station_max_profile(ctx: CaseRun) -> None:
    # K01.FR.31, K01.FR.38: the station's maximum, on EVSE 0, never Relative.
    await states.booted(ctx)
    profile = states_smart.absolute_profile(ctx, STATION_MAX_ID, "ChargingStationMaxProfile", 8.0)
    request = await _ask(ctx, 1, 0, profile, "a ChargingStationMaxProfile (evseId 0)")
    ctx.check(1, MESSAGE, request, "chargingProfile.id", STATION_MAX_ID)
    ctx.check(1, MESSAGE, request, "evseId", 0)
    ctx.check(1, MESSAGE, request, "chargingProfile.stackLevel", STACK_LEVEL)
    purpose = "chargingProfile.chargingProfilePurpose"
    ctx.check(1, MESSAGE, request, purpose, "ChargingStationMaxProfile")
    # The case allows "Absolute OR Relative"; K01.FR.38, which it cites, excludes Relative.
    kind = satisfies(lambda v: v == "Absolute", "Absolute (Absolute OR Relative; K01.FR.38)")
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfileKind", kind)
    _check_schedule(ctx, 1, request, 8.0)
    _check_validity_given(ctx, 1, request)


@smart_case("TC_K_04_CSMS", manual=(states_smart.SET_PROFILE,))
async def replace_profile_by_id(ctx: CaseRun) -> None:
    # K01.FR.05: the same id replaces the installed profile (8 A, then 6 A).
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    first = states_smart.absolute_profile(ctx, TX_DEFAULT_ID, "TxDefaultProfile", 8.0)
    one = await _ask(ctx, 1, evse_id, first, "a TxDefaultProfile")
    unit = field_at(one, f"{SCHEDULE}.chargingRateUnit")
    ctx.check(1, MESSAGE, one, f"{PERIOD}.limit", rate(8.0)(unit))
    second = states_smart.absolute_profile(ctx, TX_DEFAULT_ID, "TxDefaultProfile", 6.0)
    three = await _ask(
        ctx, 3, evse_id, second, "the same TxDefaultProfile again (same id) with a lower limit"
    )
    unit = field_at(three, f"{SCHEDULE}.chargingRateUnit")
    ctx.check(3, MESSAGE, three, f"{PERIOD}.limit", rate(6.0)(unit))
    first_id = field_at(one, "chargingProfile.id")
    ctx.check(3, MESSAGE, three, "chargingProfile.id", first_id)  # the same id for both


@smart_case("TC_K_70_CSMS", manual=(states_smart.SET_PROFILE,))
async def two_profiles_two_stack_levels(ctx: CaseRun) -> None:
    # Same kind, purpose and limit on two stack levels: two ids (part 5: at least two).
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    low = states_smart.absolute_profile(ctx, TX_DEFAULT_ID, "TxDefaultProfile", 6.0)
    one = await _ask(ctx, 1, evse_id, low, f"a TxDefaultProfile on stackLevel {STACK_LEVEL}")
    ctx.check(1, MESSAGE, one, "chargingProfile.stackLevel", STACK_LEVEL)
    high = states_smart.absolute_profile(
        ctx, states_smart.SECOND_ID, "TxDefaultProfile", 6.0, stack_level=STACK_LEVEL_2
    )
    three = await _ask(
        ctx, 3, evse_id, high, f"another TxDefaultProfile on stackLevel {STACK_LEVEL_2}"
    )
    ctx.check(3, MESSAGE, three, "chargingProfile.stackLevel", STACK_LEVEL_2)
    for name in ("id", "stackLevel"):
        before = field_at(one, f"chargingProfile.{name}")
        after = field_at(three, f"chargingProfile.{name}")
        ctx.check_that(
            3,
            MESSAGE,
            f"chargingProfile.{name}",
            before != after,
            f"different from step 1's ({before})",
            str(after),
        )


@smart_case("TC_K_15_CSMS", manual=(states_smart.SET_PROFILE,))
async def profile_to_station_without_smart_charging(ctx: CaseRun) -> None:
    # K01: the station does not support smart charging and answers CALLERROR NotSupported.
    # The bench's station always has block K: the case scripts that one answer.
    await states.booted(ctx)

    async def not_supported(payload: dict[str, Any]) -> dict[str, Any]:
        raise OcppError(ErrorKind.NOT_SUPPORTED, "this station has no smart charging")

    ctx.station.answer_with("SetChargingProfile", not_supported)
    evse_id = states.connector_for(ctx)
    profile = states_smart.absolute_profile(ctx, TX_DEFAULT_ID, "TxDefaultProfile", 6.0)
    request = await _ask(ctx, 1, evse_id, profile, "a TxDefaultProfile")
    ctx.check(1, MESSAGE, request, "evseId", evse_id)
    ctx.check(1, MESSAGE, request, "chargingProfile.stackLevel", STACK_LEVEL)
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfilePurpose", "TxDefaultProfile")
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfileKind", "Absolute")
    _check_validity_given(ctx, 1, request)
    _check_schedule(ctx, 1, request, 6.0, phases=False)
    # Step 1 names numberPhases <Configured numberPhases> here, without "or omit".
    ctx.check(1, MESSAGE, request, f"{PERIOD}.numberPhases", NUMBER_PHASES)


@smart_case("TC_K_19_CSMS", manual=(states_smart.SET_PROFILE,))
async def recurring_profile(ctx: CaseRun) -> None:
    # K01: a Recurring TxDefaultProfile (part 5: Daily and Weekly mandatory; the bench
    # configures Daily). K01.FR.40: a Recurring schedule has a startSchedule.
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    profile = states_smart.absolute_profile(
        ctx, TX_DEFAULT_ID, "TxDefaultProfile", 6.0, kind="Recurring"
    )
    request = await _ask(ctx, 1, evse_id, profile, f"a {RECURRENCY} recurring TxDefaultProfile")
    ctx.check(1, MESSAGE, request, "evseId", evse_id)
    ctx.check(1, MESSAGE, request, "chargingProfile.stackLevel", STACK_LEVEL)
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfilePurpose", "TxDefaultProfile")
    ctx.check(1, MESSAGE, request, f"{PERIOD}.startPeriod", 0)
    ctx.check(1, MESSAGE, request, "chargingProfile.chargingProfileKind", "Recurring")
    ctx.check(1, MESSAGE, request, "chargingProfile.recurrencyKind", RECURRENCY)


@smart_case("TC_K_60_CSMS", manual=(states_smart.SET_PROFILE,))
async def tx_profile_on_running_transaction(ctx: CaseRun) -> None:
    # K01.FR.03, K01.FR.31: a TxProfile for the transaction running on the EVSE
    # (part 5: TxProfile with Relative is mandatory for a CSMS).
    await states_smart.booted(ctx)
    evse_id, _ = await states_smart.charging(ctx)
    tx_id = states_smart.transaction_id(ctx, evse_id)
    profile = states_smart.tx_profile(tx_id, 10.0)
    request = await _ask(ctx, 1, evse_id, profile, f"a TxProfile for transaction {tx_id}")
    states_smart.check_tx_profile(ctx, 1, MESSAGE, request, evse_id, tx_id)


# ------------------------------------------------------------------ K05 remote start
@smart_case("TC_K_37_CSMS", manual=("request_start_transaction",))
async def remote_start_with_profile(ctx: CaseRun) -> None:
    # K05.FR.02, F01.FR.08/09/11: a TxProfile without transactionId in the remote start.
    await states_smart.booted(ctx)
    evse_id = states.connector_for(ctx)
    token = {"idToken": ctx.settings.valid_id_token, "type": ctx.settings.valid_id_token_type}
    profile = states_smart.relative_profile(TX_PROFILE_ID, "TxProfile", (0, 10.0))
    wanted = {"idToken": token, "remoteStartId": 1, "evseId": evse_id, "chargingProfile": profile}
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "request_start_transaction",
        f"Request the CSMS to start a transaction on EVSE {evse_id} for "
        f"{token['idToken']} ({token['type']}) with a charging profile: {describe(profile)}",
        "RequestStartTransaction",
        wanted,
        step=1,
        evse_id=evse_id,
        id_token=token["idToken"],
        id_token_type=token["type"],
        remote_start_id=1,
        profile=profile,
    )
    message = "RequestStartTransactionRequest"
    ctx.check(1, message, request, "idToken.idToken", token["idToken"])
    ctx.check(1, message, request, "idToken.type", token["type"])
    ctx.check(1, message, request, "evseId", evse_id)
    ctx.check(1, message, request, "chargingProfile.chargingProfilePurpose", "TxProfile")
    ctx.check(1, message, request, "chargingProfile.transactionId", absent())
    ctx.check(1, message, request, "chargingProfile.chargingProfileKind", "Relative")
    states_smart.profile_rules(ctx, 1, message, request.get("chargingProfile"))
    _, reply = await states_smart.station_call(
        ctx,
        "TransactionEvent",
        step=4,
        since=since,
        matches=lambda p: p.get("triggerReason") == "RemoteStart",
        what="the station's TransactionEvent (RemoteStart)",
    )
    states_smart.answered(ctx, 4, "TransactionEventResponse", reply)


# ------------------------------------------------------------------ K10 ClearChargingProfile
CLEAR = "ClearChargingProfileRequest"


async def _clear(
    ctx: CaseRun, request: dict[str, Any], instruction: str, **params: Any
) -> dict[str, Any]:
    return await ctx.request_by_hand(
        "clear_charging_profile", instruction, "ClearChargingProfile", request, step=1, **params
    )


@smart_case("TC_K_05_CSMS", manual=("get_charging_profiles", "clear_charging_profile"))
async def clear_by_id(ctx: CaseRun) -> None:
    # K10.FR.02: clear one profile (not a TxDefaultProfile) by its id alone.
    await states.booted(ctx)
    profile = states_smart.absolute_profile(ctx, STATION_MAX_ID, "ChargingStationMaxProfile", 16.0)
    states_smart.install_at_station(ctx, 0, profile)
    # Memory state: the CSMS learns the station's profiles from a report.
    await states_smart.get_profiles(
        ctx,
        "Request the CSMS to get the station's ChargingStationMaxProfiles (evseId 0)",
        {
            "requestId": 1,
            "evseId": 0,
            "chargingProfile": {"chargingProfilePurpose": "ChargingStationMaxProfile"},
        },
        step=None,
        report_step=None,
        judged=False,
    )
    request = await _clear(
        ctx,
        {"chargingProfileId": STATION_MAX_ID},
        f"Request the CSMS to clear the charging profile with id {STATION_MAX_ID} (reported "
        "by the station), by its id only",
        charging_profile_id=STATION_MAX_ID,
    )
    ctx.check(1, CLEAR, request, "chargingProfileId", STATION_MAX_ID)
    ctx.check(1, CLEAR, request, "chargingProfileCriteria", absent())


def _check_criteria(ctx: CaseRun, request: dict[str, Any], evse_id: int) -> None:
    criteria = "chargingProfileCriteria"
    ctx.check(1, CLEAR, request, f"{criteria}.chargingProfilePurpose", "TxDefaultProfile")
    ctx.check(1, CLEAR, request, f"{criteria}.stackLevel", STACK_LEVEL)
    ctx.check(1, CLEAR, request, f"{criteria}.evseId", evse_id)


async def _clear_tx_default(ctx: CaseRun, evse_id: int) -> dict[str, Any]:
    criteria = {
        "evseId": evse_id,
        "chargingProfilePurpose": "TxDefaultProfile",
        "stackLevel": STACK_LEVEL,
    }
    return await _clear(
        ctx,
        {"chargingProfileCriteria": criteria},
        f"Request the CSMS to clear the TxDefaultProfile of stackLevel {STACK_LEVEL} on "
        f"EVSE {evse_id} (by purpose and stackLevel, no id)",
        evse_id=evse_id,
        purpose="TxDefaultProfile",
        stack_level=STACK_LEVEL,
    )


@smart_case("TC_K_06_CSMS", manual=("clear_charging_profile",))
async def clear_by_purpose_and_level(ctx: CaseRun) -> None:
    # K10.FR.02: clear by stackLevel/purpose; the station holds one such profile.
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    profile = states_smart.absolute_profile(ctx, TX_DEFAULT_ID, "TxDefaultProfile", 6.0)
    states_smart.install_at_station(ctx, evse_id, profile)
    request = await _clear_tx_default(ctx, evse_id)
    _check_criteria(ctx, request, evse_id)


@smart_case("TC_K_08_CSMS", manual=("clear_charging_profile",))
async def clear_without_profiles(ctx: CaseRun) -> None:
    # K10: the station holds no profile and answers Unknown (K10.FR.01).
    await states.booted(ctx)
    evse_id = states.connector_for(ctx)
    request = await _clear_tx_default(ctx, evse_id)
    _check_criteria(ctx, request, evse_id)
