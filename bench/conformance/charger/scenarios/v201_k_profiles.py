"""2.0.1 block K, Smart charging: setting, replacing, clearing and reporting charging
profiles (part 6 §2.11, TC_K_01-38, 52, 60 CS).

The composite-schedule cases are in ``v201_k_composite``, the ISO 15118 ones in
``v201_k_iso15118``. Configured values and the exchanges the cases repeat are in
``states_smart``.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_smart as sc
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import absent_or, present

UNKNOWN_TX = "UNKNOWN-TRANSACTION-ID"


# ---------------------------------------------------------------- Set Charging Profile (K01)
@scenario("TC_K_01_CS")
async def tx_default_on_evse(ctx: ChargerRun) -> None:
    evse = ctx.settings.evse_id
    sent = sc.simple_profile(ctx, sc.configured_id(ctx), duration=sc.configured_duration(ctx))
    await sc.set_profile(ctx, evse, sent, step=2)
    reports = await sc.reported_profiles(
        ctx, {"chargingProfileId": [sent["id"]]}, reply_step=4, report_step=5
    )
    sc.check_reported(ctx, 5, reports, sent, evse_id=evse)  # post: the same profile


@scenario("TC_K_02_CS")
async def tx_profile_without_transaction(ctx: ChargerRun) -> None:
    sent = sc.simple_profile(
        ctx, sc.configured_id(ctx), "TxProfile", kind="Relative", transaction_id=UNKNOWN_TX
    )
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=2, status="Rejected")


@scenario("TC_K_03_CS")
async def station_max_profile(ctx: ChargerRun) -> None:
    sent = sc.simple_profile(
        ctx,
        sc.configured_id(ctx),
        "ChargingStationMaxProfile",
        duration=sc.configured_duration(ctx),
    )
    await sc.set_profile(ctx, 0, sent, step=2)
    reports = await sc.reported_profiles(
        ctx, {"chargingProfileId": [sent["id"]]}, reply_step=4, report_step=5
    )
    sc.check_reported(ctx, 5, reports, sent, evse_id=0)


@scenario("TC_K_04_CS")
async def replace_by_id(ctx: ChargerRun) -> None:
    evse, pid = ctx.settings.evse_id, sc.configured_id(ctx)
    await sc.memory_profile(ctx, evse, sc.simple_profile(ctx, pid, amps=6))
    sent = sc.simple_profile(ctx, pid, amps=10)  # K01.FR.05: the same id replaces it
    await sc.set_profile(ctx, evse, sent, step=2)
    reports = await sc.reported_profiles(
        ctx, {"chargingProfileId": [pid]}, reply_step=4, report_step=5
    )
    sc.check_reported(ctx, 5, reports, sent, evse_id=evse)


@scenario("TC_K_10_CS")
async def tx_default_on_all_evses(ctx: ChargerRun) -> None:
    sent = sc.simple_profile(ctx, sc.configured_id(ctx), duration=sc.configured_duration(ctx))
    await sc.set_profile(ctx, 0, sent, step=2)
    reports = await sc.reported_profiles(
        ctx, {"chargingProfileId": [sent["id"]]}, reply_step=4, report_step=5
    )
    last = ctx.memory.get("last_report", {})
    ctx.check(5, "ReportChargingProfilesRequest", last, "tbc", absent_or(False))
    sc.check_reported(ctx, 5, reports, sent, evse_id=0)


@scenario("TC_K_11_CS")
async def tx_profile_on_evse_zero(ctx: ChargerRun) -> None:
    sent = sc.simple_profile(ctx, sc.configured_id(ctx), "TxProfile", kind="Relative")
    await sc.set_profile(ctx, 0, sent, step=2, status="Rejected")  # K01.FR.16


@scenario("TC_K_12_CS")
async def rate_unit_rejected(ctx: ChargerRun) -> None:
    unit = await sc.unsupported_unit(ctx)
    sent = sc.simple_profile(ctx, sc.configured_id(ctx))
    sent["chargingSchedule"][0]["chargingRateUnit"] = unit  # K01.FR.26
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=2, status="Rejected")


@scenario("TC_K_13_CS")
async def persistent_over_reboot(ctx: ChargerRun) -> None:
    evse = ctx.settings.evse_id
    sent = sc.simple_profile(ctx, sc.configured_id(ctx), duration=sc.configured_duration(ctx))
    await sc.set_profile(ctx, evse, sent, step=2)
    await v201.booted(ctx, via="reset", step=3)  # K01.FR.27: kept over the reboot
    reports = await sc.reported_profiles(
        ctx, {"chargingProfileId": [sent["id"]]}, reply_step=5, report_step=6
    )
    sc.check_reported(ctx, 6, reports, sent, evse_id=evse)


@scenario("TC_K_14_CS")
async def unknown_evse(ctx: ChargerRun) -> None:
    beyond = await sc.evse_count(ctx) + 1
    sent = sc.simple_profile(ctx, sc.configured_id(ctx))
    await sc.set_profile(ctx, beyond, sent, step=2, status="Rejected")  # K01.FR.28


@scenario("TC_K_15_CS")
async def not_supported(ctx: ChargerRun) -> None:
    if await sc.smart_charging(ctx):
        ctx.not_applicable(
            "the station supports smart charging (SmartChargingCtrlr.Available); the case is "
            "for a station without it"
        )
    sent = sc.simple_profile(ctx, sc.configured_id(ctx))
    rec = await ctx.call(
        "SetChargingProfile", {"evseId": ctx.settings.evse_id, "chargingProfile": sent}, step=1
    )
    ctx.check_that(
        2,
        "SetChargingProfileResponse",
        "(reply)",
        rec.type == "CALLERROR" and rec.error == "NotSupported",
        "CALLERROR NotSupported (K01.FR.29)",
        f"{rec.type} {rec.error or ''}".strip(),
    )


@scenario("TC_K_16_CS", physical=("present_token", "plug_in"))
async def unknown_transaction(ctx: ChargerRun) -> None:
    await v201.energy_transfer_started(ctx)
    sent = sc.simple_profile(
        ctx, sc.configured_id(ctx), "TxProfile", kind="Relative", transaction_id=UNKNOWN_TX
    )
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=2, status="Rejected")


@scenario("TC_K_19_CS")
async def recurring(ctx: ChargerRun) -> None:
    kind = ctx.settings.extra.get("recurrency_kind", "Daily")
    sent = sc.simple_profile(
        ctx, sc.configured_id(ctx), kind="Recurring", recurrency=kind, duration=3600
    )
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=2)  # K01.FR.40


@scenario("TC_K_60_CS", physical=("present_token", "plug_in"))
async def tx_profile_with_transaction(ctx: ChargerRun) -> None:
    await v201.energy_transfer_started(ctx)
    sent = sc.simple_profile(
        ctx,
        sc.configured_id(ctx),
        "TxProfile",
        kind="Relative",
        duration=None,
        transaction_id=v201.transaction_id(ctx),
    )
    await sc.set_profile(ctx, ctx.settings.evse_id, sent, step=2)
    reports = await sc.reported_profiles(
        ctx, {"chargingProfileId": [sent["id"]]}, reply_step=4, report_step=5
    )
    sc.check_reported(ctx, 5, reports, sent, evse_id=ctx.settings.evse_id)


# ---------------------------------------------------------------- Clear Charging Profile (K10)
@scenario("TC_K_05_CS")
async def clear_by_id(ctx: ChargerRun) -> None:
    pid = sc.configured_id(ctx)
    await sc.memory_profile(ctx, ctx.settings.evse_id, sc.simple_profile(ctx, pid))
    reply = await ctx.request("ClearChargingProfile", {"chargingProfileId": pid}, step=1)
    ctx.check(2, "ClearChargingProfileResponse", reply, "status", "Accepted")
    await sc.no_profiles(ctx, {"chargingProfileId": [pid]}, step=4)


@scenario("TC_K_06_CS", physical=("present_token", "plug_in"))
async def clear_by_purpose_and_level(ctx: ChargerRun) -> None:
    # <Configured chargingProfilePurpose> with a transaction running: a TxProfile on it.
    await v201.energy_transfer_started(ctx)
    level = int(ctx.settings.extra.get("stack_level", "0"))
    await sc.memory_profile(
        ctx,
        ctx.settings.evse_id,
        sc.simple_profile(
            ctx,
            sc.configured_id(ctx),
            "TxProfile",
            kind="Relative",
            stack_level=level,
            transaction_id=v201.transaction_id(ctx),
        ),
    )
    criteria = {"chargingProfilePurpose": "TxProfile", "stackLevel": level}
    reply = await ctx.request("ClearChargingProfile", {"chargingProfileCriteria": criteria}, step=1)
    ctx.check(2, "ClearChargingProfileResponse", reply, "status", "Accepted")  # K10.FR.04
    await sc.no_profiles(ctx, criteria, step=4)


@scenario("TC_K_07_CS")
async def clear_unknown_purpose_and_level(ctx: ChargerRun) -> None:
    await sc.memory_profile(
        ctx, ctx.settings.evse_id, sc.simple_profile(ctx, sc.configured_id(ctx), stack_level=1)
    )
    criteria = {"chargingProfilePurpose": "ChargingStationMaxProfile", "stackLevel": 0}
    reply = await ctx.request("ClearChargingProfile", {"chargingProfileCriteria": criteria}, step=1)
    ctx.check(2, "ClearChargingProfileResponse", reply, "status", "Unknown")  # K10.FR.01


@scenario("TC_K_08_CS")
async def clear_without_profiles(ctx: ChargerRun) -> None:
    reply = await ctx.request(
        "ClearChargingProfile", {"chargingProfileId": sc.configured_id(ctx)}, step=1
    )
    ctx.check(2, "ClearChargingProfileResponse", reply, "status", "Unknown")  # K10.FR.01


@scenario("TC_K_24_CS")
async def clear_on_several_evses(ctx: ChargerRun) -> None:
    count = await sc.evse_count(ctx)
    if count < 2:
        ctx.not_applicable(f"the station has {count} EVSE; the case needs two or more (HFS-8 > 1)")
    level = 1
    for evse in (1, 2):
        await sc.memory_profile(
            ctx, evse, sc.simple_profile(ctx, sc.configured_id(ctx) + evse, stack_level=level)
        )
    criteria = {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": level}
    reply = await ctx.request("ClearChargingProfile", {"chargingProfileCriteria": criteria}, step=1)
    ctx.check(2, "ClearChargingProfileResponse", reply, "status", "Accepted")  # K10.FR.04
    await sc.no_profiles(ctx, criteria, step=4)


# ---------------------------------------------------------------- Get Charging Profiles (K09)
async def _two_profiles(
    ctx: ChargerRun, *, max_level: int = 0, default_level: int = 0
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The memory state of TC_K_29-36: a ChargingStationMaxProfile (Id1) on the station and
    a TxDefaultProfile (Id2) on the configured EVSE."""
    first = sc.simple_profile(
        ctx, sc.configured_id(ctx), "ChargingStationMaxProfile", amps=16, stack_level=max_level
    )
    second = sc.simple_profile(ctx, sc.configured_id(ctx) + 1, stack_level=default_level)
    await sc.memory_profile(ctx, 0, first)
    await sc.memory_profile(ctx, ctx.settings.evse_id, second)
    return first, second


def _only(
    ctx: ChargerRun,
    step: int,
    reports: list[tuple[int, dict[str, Any]]],
    wanted: list[dict[str, Any]],
) -> None:
    """Post: every report came, with exactly the wanted profiles (K09.FR.03-06)."""
    got = sorted(int(p.get("id", -1)) for _e, p in reports)
    ctx.check_that(
        step,
        "ReportChargingProfilesRequest",
        "chargingProfile ids",
        got == sorted(p["id"] for p in wanted),
        "ids " + ", ".join(str(p["id"]) for p in wanted),
        ", ".join(str(i) for i in got) or "none",
    )
    for sent in wanted:
        sc.check_reported(ctx, step, reports, sent)


@scenario("TC_K_29_CS")
async def get_for_evse_zero(ctx: ChargerRun) -> None:
    first, _second = await _two_profiles(ctx)
    reports = await sc.reported_profiles(ctx, {}, evse_id=0, reply_step=2, report_step=3)
    _only(ctx, 3, reports, [first])  # K09.FR.05: evseId 0 is the station's own


@scenario("TC_K_30_CS")
async def get_for_evse(ctx: ChargerRun) -> None:
    _first, second = await _two_profiles(ctx)
    reports = await sc.reported_profiles(
        ctx, {}, evse_id=ctx.settings.evse_id, reply_step=2, report_step=3
    )
    _only(ctx, 3, reports, [second])  # K09.FR.04


@scenario("TC_K_31_CS")
async def get_without_evse(ctx: ChargerRun) -> None:
    first, second = await _two_profiles(ctx)
    reports = await sc.reported_profiles(ctx, {}, reply_step=2, report_step=3)
    _only(ctx, 3, reports, [first, second])  # K09.FR.06


@scenario("TC_K_32_CS")
async def get_by_id(ctx: ChargerRun) -> None:
    first, _second = await _two_profiles(ctx)
    reports = await sc.reported_profiles(
        ctx, {"chargingProfileId": [first["id"]]}, reply_step=2, report_step=3
    )
    _only(ctx, 3, reports, [first])  # K09.FR.01


@scenario("TC_K_33_CS")
async def get_by_evse_and_level(ctx: ChargerRun) -> None:
    # <Configured stackLevel> and <Configured stackLevel2>: the same here, so the profile on
    # the EVSE matches (the station's own is on EVSE 0 and is not asked for).
    level = int(ctx.settings.extra.get("stack_level", "1"))
    _first, second = await _two_profiles(ctx, max_level=level, default_level=level)
    reports = await sc.reported_profiles(
        ctx, {"stackLevel": level}, evse_id=ctx.settings.evse_id, reply_step=2, report_step=3
    )
    _only(ctx, 3, reports, [second])


@scenario("TC_K_34_CS")
async def get_by_evse_and_source(ctx: ChargerRun) -> None:
    level = int(ctx.settings.extra.get("stack_level", "0")) + 1
    sent = sc.simple_profile(ctx, sc.configured_id(ctx), stack_level=level)
    evse = ctx.settings.evse_id
    await sc.memory_profile(ctx, evse, sent)
    reports = await sc.reported_profiles(
        ctx, {"chargingLimitSource": ["CSO"]}, evse_id=evse, reply_step=2, report_step=3
    )
    _only(ctx, 3, reports, [sent])
    # <Configured chargingLimitSource2>: one with no profiles.
    await sc.no_profiles(ctx, {"chargingLimitSource": ["EMS"]}, evse_id=evse, step=6)


@scenario("TC_K_35_CS")
async def get_by_evse_and_purpose(ctx: ChargerRun) -> None:
    _first, second = await _two_profiles(ctx)
    reports = await sc.reported_profiles(
        ctx,
        {"chargingProfilePurpose": "TxDefaultProfile"},
        evse_id=ctx.settings.evse_id,
        reply_step=2,
        report_step=3,
    )
    _only(ctx, 3, reports, [second])


@scenario("TC_K_36_CS")
async def get_by_evse_purpose_and_level(ctx: ChargerRun) -> None:
    level = int(ctx.settings.extra.get("stack_level", "1"))
    _first, second = await _two_profiles(ctx, max_level=level, default_level=level)
    reports = await sc.reported_profiles(
        ctx,
        {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": level},
        evse_id=ctx.settings.evse_id,
        reply_step=2,
        report_step=3,
    )
    _only(ctx, 3, reports, [second])


@scenario("TC_K_52_CS", physical=("set_external_limit",))
async def external_limit_in_report(ctx: ChargerRun) -> None:
    await set_external_limit(ctx)
    reports = await sc.reported_profiles(
        ctx,
        {"chargingProfilePurpose": "ChargingStationExternalConstraints"},
        reply_step=2,
        report_step=3,
    )
    purposes = [p.get("chargingProfilePurpose") for _e, p in reports]
    ctx.check_that(
        3,
        "ReportChargingProfilesRequest",
        "chargingProfile.chargingProfilePurpose",
        bool(purposes) and all(p == "ChargingStationExternalConstraints" for p in purposes),
        "ChargingStationExternalConstraints (at least one; K12.FR.05)",
        ", ".join(str(p) for p in purposes) or "none",
    )


async def set_external_limit(ctx: ChargerRun, amps: float = 10.0) -> None:
    """Memory: an external system (an EMS) limits the configured EVSE."""
    cid = ctx.settings.connector_id
    await ctx.physical(
        "set_external_limit",
        f"Have an external system (EMS) impose a charging limit of {amps:g} A on EVSE "
        f"{ctx.settings.evse_id}.",
        connector_id=cid,
        amps=amps,
    )


# ---------------------------------------------------------------- remote start with a profile (K05)
async def _remote_start_with_profile(ctx: ChargerRun) -> dict[str, Any]:
    """TC_K_37/38 steps 1-7 from EVConnectedPreSession: RequestStartTransaction with a
    TxProfile, the authorization, the transaction's RemoteStart event, EnergyTransferStarted."""
    plugged = ctx.mark()
    await v201.ev_connected(ctx)  # EVConnectedPreSession
    early = await ctx.find_frame(  # TxStartPoint EVConnected: the transaction started already
        lambda r: (
            r.direction == "rx"
            and r.type == "CALL"
            and r.action == "TransactionEvent"
            and isinstance(r.payload, dict)
            and r.payload.get("eventType") == "Started"
        ),
        since=plugged,
        timeout=0,
    )
    sent = sc.simple_profile(
        ctx, sc.configured_id(ctx), "TxProfile", kind="Relative", duration=None
    )
    since = ctx.mark()
    remote_id = int(ctx.settings.extra.get("remote_start_id", "4711"))
    reply = await ctx.request(
        "RequestStartTransaction",
        {
            "idToken": ctx.id_token(),
            "evseId": ctx.settings.evse_id,
            "remoteStartId": remote_id,
            "chargingProfile": sent,
        },
        step=1,
    )
    ctx.check(2, "RequestStartTransactionResponse", reply, "status", "Accepted")
    if early is not None and isinstance(early.payload, dict):
        started_id = (early.payload.get("transactionInfo") or {}).get("transactionId")
        ctx.check(2, "RequestStartTransactionResponse", reply, "transactionId", started_id)
    event = await ctx.station_request(
        "TransactionEvent",
        step=5,
        since=since,
        match=lambda p: p.get("triggerReason") == "RemoteStart",
        what="a TransactionEvent with triggerReason RemoteStart",
    )
    ctx.check(5, "TransactionEventRequest", event, "triggerReason", "RemoteStart")
    ctx.check(5, "TransactionEventRequest", event, "transactionInfo.remoteStartId", present())
    authorize = await ctx.find_frame(
        lambda r: r.direction == "rx" and r.type == "CALL" and r.action == "Authorize",
        since=since,
        timeout=0,
    )
    if authorize is not None:  # AuthCtrlr.AuthorizeRemoteStart true: step 3 happened
        request = authorize.payload if isinstance(authorize.payload, dict) else {}
        ctx.check(3, "AuthorizeRequest", request, "idToken.idToken", ctx.valid_token)
        ctx.check(3, "AuthorizeRequest", request, "idToken.type", ctx.settings.valid_id_token_type)
    charging = await ctx.station_request(  # step 7: EnergyTransferStarted
        "TransactionEvent",
        step=7,
        since=since,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
        what="a TransactionEvent with chargingState Charging",
    )
    tx = (event.get("transactionInfo") or {}).get("transactionId")
    ctx.memory["transaction_id"] = tx or (charging.get("transactionInfo") or {}).get(
        "transactionId"
    )
    return sent


@scenario("TC_K_37_CS", physical=("plug_in",))
async def remote_start_with_profile(ctx: ChargerRun) -> None:
    sent = await _remote_start_with_profile(ctx)
    reports = await sc.reported_profiles(
        ctx, {"chargingProfileId": [sent["id"]]}, reply_step=9, report_step=10
    )
    sc.check_reported(ctx, 10, reports, sent, evse_id=ctx.settings.evse_id)  # K05.FR.03


@scenario("TC_K_38_CS", physical=("plug_in",))
async def remote_start_ignoring_profile(ctx: ChargerRun) -> None:
    if await sc.smart_charging(ctx):
        ctx.not_applicable(
            "the station supports smart charging (SmartChargingCtrlr.Available); the case is "
            "for a station without it"
        )
    await _remote_start_with_profile(ctx)  # F01.FR.12: the profile is ignored, the start goes on
