"""2.0.1 block C, Authorization: CSMS test cases (part 6 §3.4).

The station is the bench's own: a driver's card is shown to its reader and the
station decides, as in the field, whether to ask the CSMS (AuthorizeRequest), use
its Authorization Cache or its Local Authorization List. Tokens the CSMS must know
with a given status or group are set up with the manual action ``configure_id_token``
(the case's "Memory State").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.conformance import states
from bench.conformance import states_v201 as v201
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import one_of
from bench.conformance.scenarios import scenario
from bench.conformance.states_auth import (
    CONFIGURE_ID_TOKEN,
    SEND_LOCAL_LIST,
    cached,
    csms_knows,
    list_entry,
    local_list_installed,
)
from bench.conformance.states_v201 import (
    BLOCKED,
    EXPIRED,
    GROUP_ID,
    MASTER_PASS,
    MASTER_PASS_GROUP_ID,
    VALID_2,
    Token,
)

ISO15118_FEATURE = "ISO15118ContractCertificates"


async def _booted(ctx: CaseRun, values: dict[str, str] | None = None) -> None:
    await v201.configure(ctx, values)
    await states.booted(ctx)


async def _authorize(
    ctx: CaseRun, card: Token, *, step: int, connector: int | None = None
) -> dict[str, Any]:
    """The driver shows ``card``; the station asks the CSMS; the AuthorizeResponse."""
    since = ctx.mark()
    v201.present(ctx, card, connector)
    reply = await ctx.reply_to("Authorize", step=step, since=since)
    v201.answered(ctx, step, "AuthorizeResponse", reply)
    return reply.payload if isinstance(reply.payload, dict) else {}


def _check_group(ctx: CaseRun, step: int, message: str, reply: dict[str, Any], group: str) -> None:
    ctx.check(step, message, reply, "idTokenInfo.status", "Accepted")
    ctx.check(step, message, reply, "idTokenInfo.groupIdToken.idToken", group)


# ---------------------------------------------------------------- local start: the verdicts
@scenario("TC_C_02_CSMS")
async def authorize_invalid(ctx: CaseRun) -> None:
    # C01.FR.07 / C04.FR.01 / C06.FR.04: the CSMS reports an unknown idToken as not valid.
    await _booted(ctx)
    card = Token(ctx.settings.invalid_id_token, ctx.settings.valid_id_token_type)
    reply = await _authorize(ctx, card, step=2)
    ctx.check(2, "AuthorizeResponse", reply, "idTokenInfo.status", one_of("Invalid", "Unknown"))


@scenario("TC_C_06_CSMS", manual=(CONFIGURE_ID_TOKEN,))
async def authorize_blocked(ctx: CaseRun) -> None:
    # C01.FR.07: a Blocked idToken. The document's validation reads "Linked or Invalid";
    # Linked is no AuthorizationStatusEnumType value, the case's name says Blocked.
    card = v201.token(ctx, BLOCKED)
    await csms_knows(ctx, card, "Blocked")
    await _booted(ctx)
    reply = await _authorize(ctx, card, step=2)
    ctx.check(2, "AuthorizeResponse", reply, "idTokenInfo.status", one_of("Blocked", "Invalid"))


@scenario("TC_C_07_CSMS", manual=(CONFIGURE_ID_TOKEN,))
async def authorize_expired(ctx: CaseRun) -> None:
    # C01.FR.07: an Expired idToken.
    card = v201.token(ctx, EXPIRED)
    await csms_knows(ctx, card, "Expired")
    await _booted(ctx)
    reply = await _authorize(ctx, card, step=2)
    ctx.check(2, "AuthorizeResponse", reply, "idTokenInfo.status", one_of("Expired", "Invalid"))


# ---------------------------------------------------------------- the authorization cache
@scenario("TC_C_08_CSMS")
async def cache_accepted(ctx: CaseRun) -> None:
    # C12.FR.02/03: a card the station's cache holds as Accepted is not authorized again
    # (LocalPreAuthorize): the TransactionEvent carries it and the CSMS checks it there.
    # TxStartPoint ParkingBayOccupancy (the case's note): the plug-in starts the transaction.
    await _booted(
        ctx, {"TxCtrlr/TxStartPoint": "ParkingBayOccupancy", "AuthCtrlr/LocalPreAuthorize": "true"}
    )
    cid = v201.first_connector(ctx)
    card = v201.valid_token(ctx)
    await cached(ctx, card, connector=cid)
    await v201.ev_connected(ctx, connector=cid)
    since = ctx.mark()
    answer = await v201.authorized(ctx, step=2, connector=cid, asks_csms=False)
    _no_authorize_request(ctx, since)
    ctx.check(2, "TransactionEventResponse", answer, "idTokenInfo.status", "Accepted")


def _no_authorize_request(ctx: CaseRun, since: int) -> None:
    """The bench's own set-up: the cached card must not have been sent to the CSMS."""
    if any(r.direction == "tx" and r.action == "Authorize" for r in ctx.frames[since:]):
        raise RuntimeError("the station asked the CSMS about a card its cache accepts")


@scenario("TC_C_20_CSMS")
async def cache_invalid(ctx: CaseRun) -> None:
    # C12.FR.03: a TransactionEvent with an idToken the CSMS does not accept. A station
    # whose cache holds the card as Invalid asks the CSMS first (C12.FR.05) and would not
    # send this event on its own, so the case sends it through the station's session.
    await _booted(ctx, {"TxCtrlr/TxStartPoint": "ParkingBayOccupancy"})
    cid = v201.first_connector(ctx)
    await v201.ev_connected(ctx, connector=cid)
    tx_id = v201.transaction_id(ctx, cid)
    card = Token(ctx.settings.invalid_id_token, ctx.settings.valid_id_token_type)
    event = {
        "eventType": "Updated",
        "timestamp": ctx.station.clock.now().isoformat(timespec="seconds"),
        "triggerReason": "Authorized",
        "seqNo": v201.next_seq_no(ctx, tx_id),
        "transactionInfo": {"transactionId": tx_id},
        "idToken": card.json(),
    }
    reply = await ctx.send("TransactionEvent", event, step=1)
    v201.answered(ctx, 2, "TransactionEventResponse", reply)
    ctx.check(
        2,
        "TransactionEventResponse",
        reply.payload,
        "idTokenInfo.status",
        one_of("Invalid", "Unknown"),
    )


@scenario("TC_C_37_CSMS", manual=("clear_cache",))
async def clear_cache_accepted(ctx: CaseRun) -> None:
    # C11: the CSMS asks the station to clear its Authorization Cache; it does.
    await _booted(ctx)
    await ctx.request_by_hand(
        "clear_cache",
        "Request the CSMS to clear the Authorization Cache of the Charging Station",
        "ClearCache",
        {},
        step=1,
    )


@scenario("TC_C_38_CSMS", manual=("clear_cache",))
async def clear_cache_rejected(ctx: CaseRun) -> None:
    # C11.FR.04: the station's cache is disabled, so it answers Rejected.
    await _booted(ctx, {"AuthCacheCtrlr/Enabled": "false"})
    await ctx.request_by_hand(
        "clear_cache",
        "Request the CSMS to clear the Authorization Cache of the Charging Station",
        "ClearCache",
        {},
        step=1,
    )
    answer = await ctx.wait_frame(
        lambda r: r.direction == "tx" and r.type == "CALLRESULT" and r.action == "ClearCache",
        since=0,
        what="the station's ClearCacheResponse",
    )
    if not isinstance(answer.payload, dict) or answer.payload.get("status") != "Rejected":
        raise RuntimeError(f"the station answered ClearCache with {answer.payload}, not Rejected")


# ---------------------------------------------------------------- groups (C09)
async def _two_cards_of_one_group(ctx: CaseRun) -> tuple[Token, Token]:
    first, second = v201.valid_token(ctx), v201.token(ctx, VALID_2)
    await csms_knows(ctx, first, group=GROUP_ID)
    await csms_knows(ctx, second, group=GROUP_ID)
    return first, second


@scenario("TC_C_39_CSMS", manual=(CONFIGURE_ID_TOKEN,))
async def group_id_success(ctx: CaseRun) -> None:
    # C09.FR.02/03: two cards of one group; the second stops what the first started.
    first, second = await _two_cards_of_one_group(ctx)
    await _booted(ctx)
    cid = v201.first_connector(ctx)
    await v201.ev_connected(ctx, connector=cid)
    # Steps 1-4. The document's step 1 names valid_idtoken2 and step 3 valid_idtoken: one
    # driver shows one card, so both are the first card here; the second one stops.
    since = ctx.mark()
    reply = await _authorize(ctx, first, step=2, connector=cid)
    _check_group(ctx, 2, "AuthorizeResponse", reply, GROUP_ID)
    _, answer = await v201.tx_event(
        ctx, since, step=4, what="Authorized", match=v201.trigger_is("Authorized")
    )
    _check_group(ctx, 4, "TransactionEventResponse", answer, GROUP_ID)
    v201.note_authorized(ctx, cid, first)
    await v201.energy_transfer_started(ctx, step=5, connector=cid)
    since = ctx.mark()
    reply = await _authorize(ctx, second, step=7, connector=cid)
    _check_group(ctx, 7, "AuthorizeResponse", reply, GROUP_ID)
    _, answer = await v201.tx_event(
        ctx, since, step=9, what="StopAuthorized", match=v201.trigger_is("StopAuthorized")
    )
    _check_group(ctx, 9, "TransactionEventResponse", answer, GROUP_ID)
    v201.note_authorized(ctx, cid, None)
    await v201.ev_connected_post_session(ctx, step=10, connector=cid)
    await v201.ev_disconnected(ctx, step=11, connector=cid)


async def _listed_group_session(ctx: CaseRun, second_listed_as: str) -> tuple[Token, int]:
    """Both cards in the station's list with one group; the first one's Authorized event.

    ``second_listed_as``: the second card's status in the list (the CSMS knows both as
    Accepted). Returns the second card and the EVSE, with charging under way.
    """
    first, second = await _two_cards_of_one_group(ctx)
    await _booted(ctx)
    await local_list_installed(
        ctx,
        [list_entry(first, "Accepted", GROUP_ID), list_entry(second, second_listed_as, GROUP_ID)],
    )
    cid = v201.first_connector(ctx)
    await v201.ev_connected(ctx, connector=cid)
    # Step 1: the first card is in the list as Accepted: no AuthorizeRequest (C14.FR.02).
    since = ctx.mark()
    v201.present(ctx, first, cid)
    _, answer = await v201.tx_event(
        ctx, since, step=2, what="Authorized", match=v201.trigger_is("Authorized")
    )
    _no_authorize_request(ctx, since)
    _check_group(ctx, 2, "TransactionEventResponse", answer, GROUP_ID)
    v201.note_authorized(ctx, cid, first)
    await v201.energy_transfer_started(ctx, step=3, connector=cid)
    return second, cid


@scenario("TC_C_40_CSMS", manual=(CONFIGURE_ID_TOKEN, SEND_LOCAL_LIST))
async def group_id_local_list(ctx: CaseRun) -> None:
    # C09.FR.02/03 with both cards Accepted in the Local Authorization List: the station
    # asks nothing (C14.FR.02); the CSMS still checks each card its events carry.
    second, cid = await _listed_group_session(ctx, "Accepted")
    since = ctx.mark()
    v201.present(ctx, second, cid)
    _, answer = await v201.tx_event(
        ctx, since, step=6, what="StopAuthorized", match=v201.trigger_is("StopAuthorized")
    )
    _no_authorize_request(ctx, since)
    _check_group(ctx, 6, "TransactionEventResponse", answer, GROUP_ID)
    v201.note_authorized(ctx, cid, None)
    await v201.ev_connected_post_session(ctx, step=7, connector=cid)
    await v201.ev_disconnected(ctx, step=8, connector=cid)


@scenario("TC_C_43_CSMS", manual=(CONFIGURE_ID_TOKEN, SEND_LOCAL_LIST))
async def group_id_invalid_in_local_list(ctx: CaseRun) -> None:
    # C09.FR.02/03, C14.FR.03: the second card is in the list as Invalid, so the station
    # asks the CSMS, which knows it as Accepted in the group. (The document labels the
    # first validation "Step 1"; it is the TransactionEventResponse of step 2.)
    second, cid = await _listed_group_session(ctx, "Invalid")
    since = ctx.mark()
    reply = await _authorize(ctx, second, step=5, connector=cid)
    _check_group(ctx, 5, "AuthorizeResponse", reply, GROUP_ID)
    _, answer = await v201.tx_event(
        ctx, since, step=7, what="StopAuthorized", match=v201.trigger_is("StopAuthorized")
    )
    _check_group(ctx, 7, "TransactionEventResponse", answer, GROUP_ID)
    v201.note_authorized(ctx, cid, None)
    await v201.ev_connected_post_session(ctx, step=8, connector=cid)
    await v201.ev_disconnected(ctx, step=9, connector=cid)


# ---------------------------------------------------------------- Master Pass (C16)
async def _master_pass(ctx: CaseRun, *, at: int | None, stopped: tuple[int, ...]) -> None:
    """Both EVSEs charge (the valid card, the second card); the Master Pass is shown
    ``at`` an EVSE's reader (None: the station's common one); ``stopped`` end."""
    v201.use_evses(ctx, 2)
    master = v201.token(ctx, MASTER_PASS)
    second = v201.token(ctx, VALID_2)
    await csms_knows(ctx, master, group=MASTER_PASS_GROUP_ID)
    await csms_knows(ctx, second)
    await _booted(ctx, {"AuthCtrlr/MasterPassGroupId": MASTER_PASS_GROUP_ID})
    one, two = ctx.station.connector_ids()[:2]
    await v201.energy_transfer_started(ctx, connector=one)
    await v201.energy_transfer_started(ctx, connector=two, card=second)
    ids = {cid: v201.transaction_id(ctx, cid) for cid in (one, two)}
    since = ctx.mark()
    reply = await _authorize(ctx, master, step=2, connector=at)
    # C16 step 3: the station knows a Master Pass by this group; without it nothing stops.
    ctx.require(2, "AuthorizeResponse", reply, "idTokenInfo.status", "Accepted")
    ctx.require(
        2, "AuthorizeResponse", reply, "idTokenInfo.groupIdToken.idToken", MASTER_PASS_GROUP_ID
    )
    for cid in stopped:
        _, answer = await v201.tx_event(
            ctx,
            since,
            step=4,
            what=f"Ended MasterPass on EVSE {cid}",
            match=_ended(ids[cid]),
        )
        ctx.check(4, "TransactionEventResponse", answer, "idTokenInfo.status", "Accepted")
        ctx.check(
            4,
            "TransactionEventResponse",
            answer,
            "idTokenInfo.groupIdToken.idToken",
            MASTER_PASS_GROUP_ID,
        )
        v201.note_authorized(ctx, cid, None)


def _ended(transaction_id: str) -> Callable[[dict[str, Any]], bool]:
    def match(p: dict[str, Any]) -> bool:
        info = p.get("transactionInfo") or {}
        return p.get("eventType") == "Ended" and info.get("transactionId") == transaction_id

    return match


@scenario("TC_C_47_CSMS", manual=(CONFIGURE_ID_TOKEN,))
async def master_pass_ui_all(ctx: CaseRun) -> None:
    # C16.FR.01: the Master Pass user stops all transactions (the station's common reader).
    await _master_pass(ctx, at=None, stopped=(1, 2))


@scenario("TC_C_48_CSMS", manual=(CONFIGURE_ID_TOKEN,))
async def master_pass_ui_specific(ctx: CaseRun) -> None:
    # C16.FR.01: one transaction picked: the pass is shown at EVSE 1's reader.
    await _master_pass(ctx, at=1, stopped=(1,))


@scenario("TC_C_49_CSMS", manual=(CONFIGURE_ID_TOKEN,))
async def master_pass_without_ui(ctx: CaseRun) -> None:
    # C16.FR.02: a station without a UI stops every transaction.
    await _master_pass(ctx, at=None, stopped=(1, 2))


# ---------------------------------------------------------------- ISO 15118 contracts (C07)
@scenario("TC_C_50_CSMS", "TC_C_51_CSMS", "TC_C_52_CSMS")
async def contract_certificates(ctx: CaseRun) -> None:
    # C07.FR.04/05/16: the CSMS validates a contract certificate over OCSP against the
    # tool's OCSP responder (ISO 15118 support profile).
    ctx.needs_feature(ISO15118_FEATURE)
    raise NotImplementedError(
        "the bench has no OCSP responder and no contract certificate chain to play "
        "C07's online contract validation"
    )
