"""2.0.1 block C, Authorization: offline authorization (C12, C13, C15 with E05),
TC_C_15-18 and 21-26 (part 6 §2.4).

"The OCTT closes the WebSocket connection AND does not accept a reconnect": the
bench closes the connection and refuses the station's reconnects
(``states_auth.offline``) until the case accepts one again (``online``). What the
station did meanwhile arrives from its queue with ``offline`` true.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_auth as auth
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario

PHYSICAL = ("present_token", "plug_in", "unplug")


def _comm(ctx: ChargerRun) -> dict[str, str]:
    """The reconnect settings of the offline cases: RetryBackOffWaitMinimum the configured
    retry interval, no random range, OfflineThreshold that plus 60 s."""
    wait = ctx.settings.retry_interval
    return {
        "OCPPCommCtrlr/RetryBackOffWaitMinimum": str(wait),
        "OCPPCommCtrlr/RetryBackOffRandomRange": "0",
        "OCPPCommCtrlr/OfflineThreshold": str(wait + 60),
    }


async def _valid_known_locally(ctx: ChargerRun) -> None:
    """Memory state: the valid token in the cache (if implemented) and the list (if
    implemented)."""
    if await auth.has_variable(ctx, "AuthCacheCtrlr/Enabled", value="true"):
        await auth.cached(ctx, "valid")
    if await auth.has_variable(ctx, "LocalAuthListCtrlr/Enabled", value="true"):
        await auth.listed(ctx, [auth.list_entry(ctx, "valid")])


def _events(ctx: ChargerRun, since: int) -> list[dict[str, Any]]:
    out = []
    for rec in ctx.frames[since:]:
        if rec.direction == "rx" and rec.type == "CALL" and rec.action == "TransactionEvent":
            out.append(rec.payload if isinstance(rec.payload, dict) else {})
    return out


async def _offline_start(ctx: ChargerRun, kind: str, *, plugged: bool, invalid_after: bool) -> int:
    """Offline (step 1), the token presented (and the cable, when not ``plugged`` yet),
    a while, online again (step 2). ``invalid_after``: the CSMS then answers the
    queued TransactionEvents with idTokenInfo Invalid. Returns the mark from before
    the reconnect."""
    await auth.offline(ctx, step=1)
    await physical.present(ctx, auth.token(ctx, kind))
    if not plugged:
        await physical.plug_in(ctx)
    await auth.while_offline(ctx)
    if invalid_after:
        auth.answer_tokens(ctx, {auth.token(ctx, kind): auth.info(ctx, "Invalid")})
    since = ctx.mark()
    await auth.online(ctx, step=2)
    return since


async def _queued_start(ctx: ChargerRun, kind: str, *, step: int, since: int) -> dict[str, Any]:
    """The queued TransactionEvents of the offline start: one with the token (triggerReason
    Authorized, optional) and one reporting the energy transfer, both offline true.

    The case names the second "triggerReason ChargingStateChanged"; a station whose
    transaction starts with the energy (TxStartPoint PowerPathClosed) reports Charging
    in the Authorized event itself, so the energy is looked for by its chargingState."""
    charging = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
        what="the queued TransactionEvent that reports chargingState Charging",
    )
    ctx.check(step, "TransactionEventRequest (Charging)", charging, "offline", True)
    for event in _events(ctx, since):
        if event.get("triggerReason") == "Authorized":
            ctx.check(step, "TransactionEventRequest (Authorized)", event, "offline", True)
            auth.check_token(ctx, step, "TransactionEventRequest (Authorized)", event, kind)
            break
    return charging


async def _cache_offline_invalid(ctx: ChargerRun, config: dict[str, str]) -> int:
    """TC_C_15-18: the valid token known locally starts offline; back online the CSMS
    answers the queued events with Invalid. Returns the mark of the reconnect."""
    ctx.needs_feature("C-49")
    await auth.configure_optional(
        ctx,
        {
            "AuthCacheCtrlr/Enabled": "true",
            "AuthCtrlr/LocalPreAuthorize": "true",
            "AuthCtrlr/LocalAuthorizeOffline": "true",
            **config,
            **_comm(ctx),
        },
        required=("AuthCtrlr/LocalAuthorizeOffline", "TxCtrlr/StopTxOnInvalidId"),
    )
    await _valid_known_locally(ctx)
    await auth.ev_connected(ctx, step=None)
    since = await _offline_start(ctx, "valid", plugged=True, invalid_after=True)
    await _queued_start(ctx, "valid", step=3, since=since)
    return since


@scenario("TC_C_15_CS", physical=PHYSICAL)
async def offline_invalid_max_energy(ctx: ChargerRun) -> None:
    """E05.FR.03: StopTxOnInvalidId false and MaxEnergyOnInvalidId left: energy goes on."""
    ctx.needs_feature("C-03")
    since = await _cache_offline_invalid(
        ctx,
        {
            "AuthCtrlr/OfflineTxForUnknownIdEnabled": "true",
            "TxCtrlr/StopTxOnInvalidId": "false",
            "TxCtrlr/MaxEnergyOnInvalidId": ctx.settings.extra.get(
                "max_energy_on_invalid_id", "10000"
            ),
        },
    )
    await ctx.no_station_request(
        "TransactionEvent",
        step=3,
        since=since,
        match=lambda p: (
            p.get("triggerReason") == "Deauthorized"
            or (
                p.get("triggerReason") == "ChargingStateChanged"
                and (p.get("transactionInfo") or {}).get("chargingState") == "SuspendedEVSE"
            )
        ),
        why="MaxEnergyOnInvalidId allows more energy",
    )


@scenario("TC_C_16_CS", physical=PHYSICAL)
async def offline_invalid_stop(ctx: ChargerRun) -> None:
    """E05.FR.09/10: StopTxOnInvalidId true: Deauthorized."""
    since = await _cache_offline_invalid(
        ctx, {"TxCtrlr/StopTxOnInvalidId": "true", "TxCtrlr/MaxEnergyOnInvalidId": "0"}
    )
    event = await auth.transaction_event(
        ctx,
        step=5,
        since=since,
        what="a TransactionEvent with triggerReason Deauthorized",
        triggerReason="Deauthorized",
    )
    ctx.check(5, "TransactionEventRequest", event, "triggerReason", "Deauthorized")


@scenario("TC_C_17_CS", physical=PHYSICAL)
async def offline_invalid_suspend(ctx: ChargerRun) -> None:
    """E05.FR.02: StopTxOnInvalidId false, no MaxEnergyOnInvalidId: SuspendedEVSE."""
    since = await _cache_offline_invalid(
        ctx,
        {
            "AuthCtrlr/OfflineTxForUnknownIdEnabled": "true",
            "TxCtrlr/StopTxOnInvalidId": "false",
            "TxCtrlr/MaxEnergyOnInvalidId": "0",
        },
    )
    event = await auth.transaction_event(
        ctx,
        step=5,
        since=since,
        what="a TransactionEvent with chargingState SuspendedEVSE",
        transactionInfo__chargingState="SuspendedEVSE",
    )
    ctx.check(5, "TransactionEventRequest", event, "transactionInfo.chargingState", "SuspendedEVSE")
    ctx.check(5, "TransactionEventRequest", event, "triggerReason", "ChargingStateChanged")


@scenario("TC_C_18_CS", physical=PHYSICAL)
async def offline_invalid_stop_with_max_energy(ctx: ChargerRun) -> None:
    """E05.FR.09/10: StopTxOnInvalidId true wins over MaxEnergyOnInvalidId: Deauthorized,
    sent online."""
    ctx.needs_feature("C-03")
    since = await _cache_offline_invalid(
        ctx,
        {
            "AuthCtrlr/OfflineTxForUnknownIdEnabled": "true",
            "TxCtrlr/StopTxOnInvalidId": "true",
            "TxCtrlr/MaxEnergyOnInvalidId": "500",
        },
    )
    event = await auth.transaction_event(
        ctx,
        step=5,
        since=since,
        what="a TransactionEvent with triggerReason Deauthorized",
        triggerReason="Deauthorized",
    )
    ctx.check(5, "TransactionEventRequest", event, "triggerReason", "Deauthorized")
    ctx.check(5, "TransactionEventRequest", event, "offline", False)


# ---------------------------------------------------------------- the Local Authorization List
LIST_OFFLINE = {
    "LocalAuthListCtrlr/Enabled": "true",
    "AuthCtrlr/LocalPreAuthorize": "true",
    "AuthCtrlr/OfflineTxForUnknownIdEnabled": "false",
    "AuthCtrlr/LocalAuthorizeOffline": "true",
}


@scenario("TC_C_21_CS", physical=PHYSICAL)
async def offline_list_accepted(ctx: ChargerRun) -> None:
    """C13.FR.02: an Accepted list entry starts offline; stopped online later."""
    await auth.configure_optional(
        ctx, {**LIST_OFFLINE, **_comm(ctx)}, required=("AuthCtrlr/LocalAuthorizeOffline",)
    )
    await auth.listed(ctx, [auth.list_entry(ctx, "valid")])
    tag = auth.token(ctx, "valid")
    auth.answer_tokens(ctx, {tag: auth.info(ctx, "Accepted")})
    # Reusable state StartOfflineTransaction.
    since = await _offline_start(ctx, "valid", plugged=False, invalid_after=False)
    await _queued_start(ctx, "valid", step=1, since=since)
    stop_mark = ctx.mark()
    await physical.present(ctx, tag)
    stop = await auth.transaction_event(
        ctx,
        step=1,
        since=stop_mark,
        what="a TransactionEvent with triggerReason StopAuthorized",
        triggerReason="StopAuthorized",
    )
    ctx.check(1, "TransactionEventRequest", stop, "triggerReason", "StopAuthorized")
    queued = [e for e in _events(ctx, since) if e.get("triggerReason") != "StopAuthorized"]
    queued = [e for e in queued if _sent_before(ctx, e, stop)]
    ctx.check_that(
        1,
        "TransactionEventRequest",
        "offline (before the StopAuthorized)",
        bool(queued) and all(e.get("offline") is True for e in queued),
        "every TransactionEvent before the StopAuthorized with offline true",
        ", ".join(f"{e.get('triggerReason')}:{e.get('offline')}" for e in queued) or "none",
    )
    await v201.ev_disconnected(ctx, step=3)


def _sent_before(ctx: ChargerRun, event: dict[str, Any], stop: dict[str, Any]) -> bool:
    return int(event.get("seqNo", 0)) < int(stop.get("seqNo", 0))


async def _offline_list_refused(ctx: ChargerRun, kind: str, status: str) -> None:
    """C13.FR.02: a list entry that is not Accepted is refused offline; after the
    reconnect only an EVDetected event (TxStartPoint ParkingBayOccupancy) may come."""
    await auth.configure_optional(
        ctx, {**LIST_OFFLINE, **_comm(ctx)}, required=("AuthCtrlr/LocalAuthorizeOffline",)
    )
    await auth.listed(ctx, [auth.list_entry(ctx, kind, status)])
    starts = await auth.tx_points(ctx)
    await auth.offline(ctx, step=1)
    await physical.present(ctx, auth.token(ctx, kind), step=3)
    await auth.while_offline(ctx)
    since = ctx.mark()
    await auth.online(ctx, step=4)
    if "ParkingBayOccupancy" in starts:
        event = await auth.transaction_event(
            ctx,
            step=5,
            since=since,
            what="the queued TransactionEvent EVDetected",
            triggerReason="EVDetected",
        )
        ctx.check(5, "TransactionEventRequest", event, "offline", True)
    await auth.refused(
        ctx, step=5, since=since, why=f"{auth.token(ctx, kind)} is {status} in the list"
    )


@scenario("TC_C_22_CS", physical=PHYSICAL)
async def offline_list_invalid(ctx: ChargerRun) -> None:
    await _offline_list_refused(ctx, "invalid", "Invalid")


@scenario("TC_C_23_CS", physical=PHYSICAL)
async def offline_list_blocked(ctx: ChargerRun) -> None:
    await _offline_list_refused(ctx, "blocked", "Blocked")


@scenario("TC_C_24_CS", physical=PHYSICAL)
async def offline_list_expired(ctx: ChargerRun) -> None:
    await _offline_list_refused(ctx, "expired", "Expired")


@scenario("TC_C_25_CS", physical=PHYSICAL)
async def offline_list_before_cache(ctx: ChargerRun) -> None:
    """C13.FR.01, C14.FR.01: offline the list's Invalid wins over the cache's Accepted."""
    ctx.needs_feature("C-49")
    await auth.configure_optional(
        ctx,
        {
            **LIST_OFFLINE,
            "AuthCtrlr/OfflineTxForUnknownIdEnabled": "true",
            "TxCtrlr/StopTxOnInvalidId": "false",
            **_comm(ctx),
        },
        required=("AuthCtrlr/OfflineTxForUnknownIdEnabled", "AuthCtrlr/LocalAuthorizeOffline"),
    )
    await auth.cached(ctx, "valid")
    await auth.listed(ctx, [auth.list_entry(ctx, "valid", "Invalid")])
    await auth.ev_connected(ctx, step=None)
    await auth.offline(ctx, step=1)
    await physical.present(ctx, auth.token(ctx, "valid"))
    await auth.while_offline(ctx)
    since = ctx.mark()
    await auth.online(ctx, step=2)
    await auth.refused(ctx, step=3, since=since, why="the list says Invalid")


@scenario("TC_C_26_CS", physical=PHYSICAL)
async def offline_unknown_id(ctx: ChargerRun) -> None:
    """C15.FR.02/06/08: offline an unknown token may start; back online the CSMS says
    Invalid and, with StopTxOnInvalidId false, the energy stops (SuspendedEVSE)."""
    ctx.needs_feature("C-02")
    await auth.configure_optional(
        ctx,
        {
            "LocalAuthListCtrlr/Enabled": "true",
            "AuthCtrlr/LocalPreAuthorize": "true",
            "AuthCtrlr/OfflineTxForUnknownIdEnabled": "true",
            "AuthCtrlr/LocalAuthorizeOffline": "true",
            "TxCtrlr/MaxEnergyOnInvalidId": "0",
            "TxCtrlr/StopTxOnInvalidId": "false",
            **_comm(ctx),
        },
        required=("AuthCtrlr/OfflineTxForUnknownIdEnabled", "TxCtrlr/StopTxOnInvalidId"),
    )
    kind = "invalid"  # unknown to the station: in neither the list nor the cache
    since = await _offline_start(ctx, kind, plugged=False, invalid_after=True)
    suspended = await auth.transaction_event(
        ctx,
        step=1,
        since=since,
        what="a TransactionEvent with chargingState SuspendedEVSE",
        transactionInfo__chargingState="SuspendedEVSE",
    )
    ctx.check(
        1, "TransactionEventRequest", suspended, "transactionInfo.chargingState", "SuspendedEVSE"
    )
    queued = [e for e in _events(ctx, since) if _sent_before(ctx, e, suspended)]
    ctx.check_that(
        1,
        "TransactionEventRequest",
        "offline (the queued messages)",
        bool(queued) and all(e.get("offline") is True for e in queued),
        "every queued TransactionEvent with offline true",
        ", ".join(f"{e.get('triggerReason')}:{e.get('offline')}" for e in queued) or "none",
    )
    # "Present valid idToken": the token that started the transaction stops it (E07).
    stop_mark = ctx.mark()
    await physical.present(ctx, auth.token(ctx, kind))
    stop = await auth.transaction_event(
        ctx,
        step=3,
        since=stop_mark,
        what="a TransactionEvent with triggerReason StopAuthorized",
        triggerReason="StopAuthorized",
    )
    ctx.check(3, "TransactionEventRequest", stop, "triggerReason", "StopAuthorized")
    await v201.ev_disconnected(ctx, step=5)
