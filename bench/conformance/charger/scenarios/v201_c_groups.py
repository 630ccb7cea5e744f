"""2.0.1 block C, Authorization: GroupId (C09) and the Master Pass (C16),
TC_C_39-45 and 47-49 (part 6 §2.4).

The tokens of one group are the configured valid token and a second valid one
(``valid2``), the group <Configured groupIdToken>; the Master Pass token belongs to
<Configured MasterPassGroupId>.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_auth as auth
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import absent_or

PHYSICAL = ("present_token", "plug_in", "unplug")
CACHE_ON = {"AuthCacheCtrlr/Enabled": "true", "AuthCtrlr/LocalPreAuthorize": "true"}
LIST_ON = {"LocalAuthListCtrlr/Enabled": "true", "AuthCtrlr/LocalPreAuthorize": "true"}


def _group_answers(ctx: ChargerRun, **statuses: str) -> None:
    """The CSMS answers each token kind with its status and the configured group."""
    group = auth.group_id(ctx)
    auth.answer_tokens(
        ctx,
        {
            auth.token(ctx, kind): auth.info(ctx, status, group=group)
            for kind, status in statuses.items()
        },
    )


async def _stop_by_group_member(
    ctx: ChargerRun, kind: str, *, step: int, decided_locally: bool
) -> dict[str, Any]:
    """C09.FR.03, E07.FR.01b: another token of the group stops the transaction
    (StopAuthorized with that token; eventType Ended when the TxStopPoint makes it end)."""
    stops = await auth.tx_points(ctx, "TxStopPoint")
    tag = auth.token(ctx, kind)
    since = ctx.mark()
    await physical.present(ctx, tag)
    if decided_locally:
        await auth.no_authorize(ctx, kind, step=step, since=since)
    else:
        await auth.authorize_request(ctx, kind, step=step, since=since)
    event = await ctx.station_request(
        "TransactionEvent",
        step=step + 2,
        since=since,
        match=lambda p: p.get("triggerReason") == "StopAuthorized",
        what=f"a TransactionEvent with triggerReason StopAuthorized for {tag}",
    )
    ctx.check(step + 2, "TransactionEventRequest", event, "triggerReason", "StopAuthorized")
    # The case names the configured valid token; the token presented here is the other
    # member of the group, which is the one the station reports.
    auth.check_token(ctx, step + 2, "TransactionEventRequest", event, kind)
    ends = bool(stops & {"Authorized", "PowerPathClosed"})
    ctx.check(
        step + 2, "TransactionEventRequest", event, "eventType", "Ended" if ends else "Updated"
    )
    return event


async def _leave(ctx: ChargerRun, *, step: int) -> None:
    """EVConnectedPostSession, EVDisconnected, ParkingBayUnoccupied: the EV leaves."""
    await v201.ev_disconnected(ctx, step=step)


@scenario("TC_C_39_CS", physical=PHYSICAL)
async def group_success(ctx: ChargerRun) -> None:
    await auth.configure_optional(ctx, {"AuthCtrlr/LocalPreAuthorize": "false"})
    _group_answers(ctx, valid="Accepted", valid2="Accepted")
    await auth.ev_connected(ctx, step=None)
    since = ctx.mark()
    await physical.present(ctx, auth.token(ctx, "valid"))
    await auth.authorize_request(ctx, "valid", step=1, since=since)
    await auth.authorized_event(
        ctx, "valid", step=3, since=since, started=await auth.started_on_plug(ctx)
    )
    await auth.charging(ctx, step=5, since=since)
    await _stop_by_group_member(ctx, "valid2", step=6, decided_locally=False)
    await _leave(ctx, step=11)


@scenario("TC_C_40_CS", physical=PHYSICAL)
async def group_success_local_list(ctx: ChargerRun) -> None:
    await auth.configure_optional(ctx, LIST_ON)
    group = auth.group_id(ctx)
    await auth.listed(
        ctx,
        [
            auth.list_entry(ctx, "valid", "Accepted", group=group),
            auth.list_entry(ctx, "valid2", "Accepted", group=group),
        ],
    )
    _group_answers(ctx, valid="Accepted", valid2="Accepted")
    await auth.ev_connected(ctx, step=None)
    await auth.start_locally(ctx, "valid", step=1, plugged=True, decided_locally=True)
    await _stop_by_group_member(ctx, "valid2", step=2, decided_locally=True)
    await _leave(ctx, step=6)


@scenario("TC_C_41_CS", physical=PHYSICAL)
async def group_success_cache(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-49")
    await auth.configure_optional(ctx, CACHE_ON)
    group = auth.group_id(ctx)
    await auth.cached(ctx, "valid", "Accepted", group=group)
    await auth.cached(ctx, "valid2", "Accepted", group=group)
    _group_answers(ctx, valid="Accepted", valid2="Accepted")
    await auth.ev_connected(ctx, step=None)
    await auth.start_locally(ctx, "valid", step=1, plugged=True, decided_locally=True)
    await _stop_by_group_member(ctx, "valid2", step=2, decided_locally=True)
    await _leave(ctx, step=6)


async def _not_stopped_by_invalid_member(ctx: ChargerRun, *, step: int) -> None:
    """An Invalid token of the same group does not stop the transaction (C09.FR.03 needs
    an Accepted token): no TransactionEvent for it within the quiet period."""
    tag = auth.token(ctx, "invalid")
    since = ctx.mark()
    await physical.present(ctx, tag)
    await auth.authorize_request(ctx, "invalid", step=step, since=since)
    await ctx.no_station_request(
        "TransactionEvent",
        step=step + 1,
        since=since,
        match=lambda p: p.get("triggerReason") == "StopAuthorized" or p.get("eventType") == "Ended",
        why=f"the CSMS answered Invalid for {tag}",
    )


@scenario("TC_C_42_CS", physical=PHYSICAL)
async def group_not_stopped_by_invalid(ctx: ChargerRun) -> None:
    await auth.configure_optional(ctx, {"AuthCtrlr/LocalPreAuthorize": "false"})
    _group_answers(ctx, valid="Accepted", invalid="Invalid")
    await auth.ev_connected(ctx, step=None)
    since = ctx.mark()
    await physical.present(ctx, auth.token(ctx, "valid"))
    await auth.authorize_request(ctx, "valid", step=1, since=since)
    await auth.authorized_event(
        ctx, "valid", step=3, since=since, started=await auth.started_on_plug(ctx)
    )
    await auth.charging(ctx, step=5, since=since)
    await _not_stopped_by_invalid_member(ctx, step=6)


@scenario("TC_C_43_CS", physical=PHYSICAL)
async def group_invalid_local_list(ctx: ChargerRun) -> None:
    await auth.configure_optional(ctx, LIST_ON)
    group = auth.group_id(ctx)
    await auth.listed(
        ctx,
        [
            auth.list_entry(ctx, "valid", "Accepted", group=group),
            auth.list_entry(ctx, "invalid", "Invalid", group=group),
        ],
    )
    _group_answers(ctx, valid="Accepted", invalid="Invalid")
    await auth.ev_connected(ctx, step=None)
    await auth.start_locally(ctx, "valid", step=1, plugged=True, decided_locally=True)
    await _not_stopped_by_invalid_member(ctx, step=4)


@scenario("TC_C_44_CS", physical=PHYSICAL)
async def group_invalid_cache(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-49")
    await auth.configure_optional(ctx, {**CACHE_ON, "AuthCacheCtrlr/DisablePostAuthorize": "false"})
    group = auth.group_id(ctx)
    await auth.cached(ctx, "valid", "Accepted", group=group)
    await auth.cached(ctx, "invalid", "Invalid", group=group)
    _group_answers(ctx, valid="Accepted", invalid="Invalid")
    await auth.ev_connected(ctx, step=None)
    await auth.start_locally(ctx, "valid", step=1, plugged=True, decided_locally=True)
    await _not_stopped_by_invalid_member(ctx, step=4)


# ---------------------------------------------------------------- Master Pass (C16)
def _master_answers(ctx: ChargerRun) -> None:
    master = auth.master_pass_group(ctx)
    auth.answer_tokens(
        ctx,
        {
            auth.token(ctx, "masterpass"): auth.info(ctx, "Accepted", group=master),
            auth.token(ctx, "valid"): auth.info(ctx, "Accepted"),
            auth.token(ctx, "valid2"): auth.info(ctx, "Accepted"),
        },
    )


@scenario("TC_C_45_CS", physical=PHYSICAL)
async def master_pass_cannot_start(ctx: ChargerRun) -> None:
    """C16.FR.03: a Master Pass token may not start a transaction."""
    auth.needs_any(ctx, "C-07", "C-08")
    starts = await auth.tx_points(ctx)
    if not starts & {"Authorized", "PowerPathClosed"} or starts & {
        "ParkingBayOccupancy",
        "EVConnected",
    }:
        await auth.configure_optional(ctx, {"TxCtrlr/TxStartPoint": "PowerPathClosed"})
    await auth.configure_optional(
        ctx,
        {"AuthCtrlr/MasterPassGroupId": auth.master_pass_group(ctx)},
        required=("AuthCtrlr/MasterPassGroupId",),
    )
    _master_answers(ctx)
    since = ctx.mark()
    await physical.present(ctx, auth.token(ctx, "masterpass"))
    await auth.authorize_request(ctx, "masterpass", step=1, since=since)
    await v201.ev_connected(ctx, step=3)
    await ctx.no_station_request(
        "TransactionEvent",
        step=4,
        since=since,
        match=auth.not_authorized,
        why="a Master Pass token may not start a transaction",
    )


def _evse_ids(ctx: ChargerRun) -> list[int]:
    """The station's EVSEs, as its StatusNotifications showed them (or the configured one)."""
    seen = sorted(
        {
            int(r.payload["evseId"])
            for r in ctx.frames
            if r.direction == "rx"
            and r.action == "StatusNotification"
            and isinstance(r.payload, dict)
            and isinstance(r.payload.get("evseId"), int)
            and r.payload["evseId"] > 0
        }
    )
    return seen or [ctx.settings.evse_id]


def _charging_on(evse: int) -> Callable[[dict[str, Any]], bool]:
    def match(p: dict[str, Any]) -> bool:
        info = p.get("transactionInfo") or {}
        return (
            info.get("chargingState") == "Charging"
            and (p.get("evse") or {}).get("id", evse) == evse
        )

    return match


def _stopping(tx: str) -> Callable[[dict[str, Any]], bool]:
    def match(p: dict[str, Any]) -> bool:
        info = p.get("transactionInfo") or {}
        return info.get("stoppedReason") is not None and info.get("transactionId") == tx

    return match


def _available(evse: int) -> Callable[[dict[str, Any]], bool]:
    def match(p: dict[str, Any]) -> bool:
        return p.get("evseId") == evse and p.get("connectorStatus") == "Available"

    return match


async def _charging_everywhere(ctx: ChargerRun, evses: list[int]) -> dict[int, str]:
    """Reusable state EnergyTransferStarted on every EVSE (valid token on the first,
    valid2 on the others); the transaction id per EVSE."""
    out: dict[int, str] = {}
    for index, evse in enumerate(evses):
        kind = "valid" if index == 0 else "valid2"
        since = ctx.mark()
        await physical.present(ctx, auth.token(ctx, kind), evse)
        await physical.plug_in(ctx, evse)
        event = await ctx.station_request(
            "TransactionEvent",
            step=None,
            since=since,
            match=_charging_on(evse),
            what=f"a TransactionEvent Charging on EVSE {evse}",
        )
        out[evse] = str((event.get("transactionInfo") or {}).get("transactionId"))
    return out


async def _present_master_pass(
    ctx: ChargerRun, *, at_evse: int | None, ui: bool, all_evses: bool
) -> None:
    """The Master Pass token at the reader; with a UI the holder then picks the
    transactions to stop (the bench's own station reads a token shown at one EVSE's
    reader as "that EVSE", at its common reader as "all")."""
    tag = auth.token(ctx, "masterpass")
    if not ui:
        await physical.present(ctx, tag)
        return
    choice = "all transactions" if all_evses else f"the transaction on EVSE {at_evse}"
    await ctx.physical(
        "present_token",
        f"Present the Master Pass token {tag} at the card reader and select to stop {choice} "
        "on the station's screen.",
        token=tag,
        connector_id=at_evse,
    )


async def _master_pass_stops(
    ctx: ChargerRun, *, at_evse: int | None, all_evses: bool, ui: bool
) -> None:
    auth.needs_any(ctx, "C-07", "C-08")
    await auth.configure_optional(
        ctx,
        {"AuthCtrlr/MasterPassGroupId": auth.master_pass_group(ctx)},
        required=("AuthCtrlr/MasterPassGroupId",),
    )
    _master_answers(ctx)
    evses = _evse_ids(ctx)
    txs = await _charging_everywhere(ctx, evses)
    stopped = evses if all_evses else [at_evse or evses[0]]
    since = ctx.mark()
    await _present_master_pass(ctx, at_evse=at_evse, ui=ui, all_evses=all_evses)
    await auth.authorize_request(ctx, "masterpass", step=1, since=since)
    for evse in stopped:
        tx = txs[evse]
        event = await ctx.station_request(
            "TransactionEvent",
            step=3,
            since=since,
            match=_stopping(tx),
            what=f"the TransactionEvent that stops the transaction on EVSE {evse}",
        )
        ctx.check(
            3,
            f"TransactionEventRequest (EVSE {evse})",
            event,
            "transactionInfo.stoppedReason",
            "MasterPass",
        )
        ctx.check(
            3,
            f"TransactionEventRequest (EVSE {evse})",
            event,
            "idToken.idToken",
            absent_or(auth.token(ctx, "masterpass")),
        )
        if "idToken" in event:
            ctx.check(
                3,
                f"TransactionEventRequest (EVSE {evse})",
                event,
                "idToken.type",
                ctx.settings.valid_id_token_type,
            )
    others = [txs[e] for e in evses if e not in stopped]
    if others:
        # Post-validation: all other EVSE still transfer energy.
        await ctx.no_station_request(
            "TransactionEvent",
            step=None,
            since=since,
            match=lambda p: (
                (p.get("transactionInfo") or {}).get("transactionId") in others
                and (
                    p.get("eventType") == "Ended"
                    or (p.get("transactionInfo") or {}).get("chargingState", "Charging")
                    != "Charging"
                )
            ),
            why="the Master Pass was used for one EVSE only",
        )
    for evse in stopped:
        mark = ctx.mark()
        await physical.unplug(ctx, evse)
        await ctx.station_request(
            "StatusNotification",
            step=6,
            since=mark,
            match=_available(evse),
            what=f"a StatusNotification Available for EVSE {evse}",
        )


@scenario("TC_C_47_CS", physical=PHYSICAL)
async def master_pass_ui_all(ctx: ChargerRun) -> None:
    """C16.FR.01: with a UI the Master Pass holder picks "all transactions"; the bench's
    own station takes a token shown at its common reader as that choice."""
    ctx.needs_feature("C-07")
    await _master_pass_stops(ctx, at_evse=None, all_evses=True, ui=True)


@scenario("TC_C_48_CS", physical=PHYSICAL)
async def master_pass_ui_one(ctx: ChargerRun) -> None:
    """C16.FR.01: with a UI the Master Pass holder picks EVSE 1; the others go on."""
    ctx.needs_feature("C-07")
    await _master_pass_stops(ctx, at_evse=1, all_evses=False, ui=True)


@scenario("TC_C_49_CS", physical=PHYSICAL)
async def master_pass_without_ui(ctx: ChargerRun) -> None:
    """C16.FR.02: without a UI the Master Pass stops every transaction."""
    ctx.needs_feature("C-08")
    await _master_pass_stops(ctx, at_evse=None, all_evses=True, ui=False)
