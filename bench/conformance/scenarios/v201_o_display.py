"""2.0.1 block O, Display Message: CSMS test cases (part 6 §3.16; O01-O06).

The station keeps the messages the CSMS sets (DisplayMessageCtrlr: every priority,
the formats ASCII, HTML and UTF8, at most 10 messages), answers
GetDisplayMessages from them with NotifyDisplayMessages, and refuses what it cannot
show for its own reasons: a URI message (NotSupportedMessageFormat), an unknown
transaction, any message while DisplayMessageCtrlr.Enabled is false (Rejected).
Only NotSupportedPriority and NotSupportedState, which the bench's station never
says, are scripted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import absent, integer_at_least, present, satisfies
from bench.conformance.scenarios import scenario
from bench.conformance.states_diagnostics import (
    booted,
    csms_call,
    expect_station,
    reports_answered,
    same_instant,
    scripted_reply,
    station_reply,
)
from bench.conformance.states_display import (
    CLEAR,
    FORMAT,
    GET,
    MESSAGE_ID,
    PRIORITY,
    SET,
    STATE,
    ask_get,
    ask_set,
    charging,
    configured,
    message,
    when,
)
from bench.kernel.frames import FrameRecord

SET_REQUEST = "SetDisplayMessageRequest"
GET_REQUEST = "GetDisplayMessagesRequest"
AN_ID = integer_at_least(0)  # <Generated Id>: the CSMS picks it


def _accepted(ctx: CaseRun, reply: FrameRecord) -> None:
    expect_station(ctx, reply, "status", "Accepted", "the station shows such messages")


# --------------------------------------------------------------------------- O01 set
@scenario("TC_O_01_CSMS", manual=(SET,))
async def set_message(ctx: CaseRun) -> None:
    # O01.FR.04 (part 6: 001_FR_04): a message with the configured priority, format, state.
    await booted(ctx)
    request, reply = await ask_set(ctx, 1, message(state=STATE))
    ctx.check(1, SET_REQUEST, request, "message.id", AN_ID)
    ctx.check(1, SET_REQUEST, request, "message.priority", PRIORITY)
    ctx.check(1, SET_REQUEST, request, "message.message.format", FORMAT)
    ctx.check(1, SET_REQUEST, request, "message.state", STATE)
    _accepted(ctx, reply)


@scenario("TC_O_13_CSMS", manual=(SET,))
async def set_message_with_start(ctx: CaseRun) -> None:
    # O01.FR.05/06: shown from startDateTime on.
    await booted(ctx)
    start = when(ctx, 1)
    request, reply = await ask_set(ctx, 1, message(startDateTime=start))
    ctx.check(1, SET_REQUEST, request, "message.id", AN_ID)
    ctx.check(1, SET_REQUEST, request, "message.startDateTime", same_instant(start))
    _accepted(ctx, reply)


@scenario("TC_O_14_CSMS", manual=(SET,))
async def set_message_with_end(ctx: CaseRun) -> None:
    # O01.FR.05/07: removed at endDateTime.
    await booted(ctx)
    end = when(ctx, 2)
    request, reply = await ask_set(ctx, 1, message(endDateTime=end))
    ctx.check(1, SET_REQUEST, request, "message.id", AN_ID)
    ctx.check(1, SET_REQUEST, request, "message.endDateTime", same_instant(end))
    _accepted(ctx, reply)


@scenario("TC_O_25_CSMS", manual=(SET,))
async def set_message_for_state(ctx: CaseRun) -> None:
    # O01.FR.02: a message for the Charging state, with the configured id.
    await booted(ctx)
    request, reply = await ask_set(ctx, 1, message(state=STATE))
    ctx.check(1, SET_REQUEST, request, "message.id", MESSAGE_ID)
    ctx.check(1, SET_REQUEST, request, "message.state", STATE)
    _accepted(ctx, reply)


@scenario("TC_O_26_CSMS", manual=(SET,))
async def set_message_rejected(ctx: CaseRun) -> None:
    # O01: the station refuses every message while its display messages are disabled
    # (DisplayMessageCtrlr.Enabled false, written before it boots): Rejected.
    await booted(ctx, ("DisplayMessageCtrlr/Enabled", "false"))
    request, reply = await ask_set(ctx, 1, message(priority="NormalCycle"))
    ctx.check(1, SET_REQUEST, request, "message.id", AN_ID)
    ctx.check(1, SET_REQUEST, request, "message.priority", "NormalCycle")
    expect_station(ctx, reply, "status", "Rejected", "display messages are disabled")


@scenario("TC_O_17_CSMS", manual=(SET,))
async def set_message_unsupported_priority(ctx: CaseRun) -> None:
    # O01.FR.01: the case's station does not support the priority (here AlwaysFront);
    # the bench's supports all three, so NotSupportedPriority is scripted.
    await booted(ctx)
    with scripted_reply(ctx, "SetDisplayMessage", lambda _r: {"status": "NotSupportedPriority"}):
        request, _reply = await ask_set(
            ctx, 1, message(priority="AlwaysFront"), " with a priority the station does not support"
        )
    ctx.check(1, SET_REQUEST, request, "message.id", AN_ID)
    ctx.check(1, SET_REQUEST, request, "message.priority", "AlwaysFront")


@scenario("TC_O_18_CSMS", manual=(SET,))
async def set_message_unsupported_state(ctx: CaseRun) -> None:
    # O01.FR.02: the case's station does not support the state (here Unavailable); the
    # bench's supports every MessageStateEnumType value, so NotSupportedState is scripted.
    await booted(ctx)
    with scripted_reply(ctx, "SetDisplayMessage", lambda _r: {"status": "NotSupportedState"}):
        request, _reply = await ask_set(
            ctx, 1, message(state="Unavailable"), " for a state the station does not support"
        )
    ctx.check(1, SET_REQUEST, request, "message.id", AN_ID)
    ctx.check(1, SET_REQUEST, request, "message.state", "Unavailable")


@scenario("TC_O_19_CSMS", manual=(SET,))
async def set_message_unsupported_format(ctx: CaseRun) -> None:
    # O01.FR.03: the station shows text, not URIs: NotSupportedMessageFormat.
    await booted(ctx)
    request, reply = await ask_set(
        ctx,
        1,
        message(fmt="URI", content="https://example.org/welcome"),
        " in a format the station does not support",
    )
    ctx.check(1, SET_REQUEST, request, "message.id", AN_ID)
    expect_station(
        ctx, reply, "status", "NotSupportedMessageFormat", "the station does not show URIs"
    )


# --------------------------------------------------------------------------- O02 transactions
@scenario("TC_O_06_CSMS", manual=(SET,))
async def set_message_for_transaction(ctx: CaseRun) -> None:
    # O02.FR.01/02: a message for the running transaction, removed when it ends.
    tx = await charging(ctx)
    request, reply = await ask_set(ctx, 1, message(transactionId=tx), " for the transaction")
    ctx.check(1, SET_REQUEST, request, "message.transactionId", tx)
    ctx.check(1, SET_REQUEST, request, "message.priority", PRIORITY)
    _accepted(ctx, reply)
    await states.ev_disconnected(ctx)  # step 3


@scenario("TC_O_10_CSMS", manual=(SET,))
async def set_message_for_unknown_transaction(ctx: CaseRun) -> None:
    # O02.FR.01: a transactionId the station does not know: UnknownTransaction.
    tx = await charging(ctx)
    unknown = "UNKNOWN-TRANSACTION" if tx != "UNKNOWN-TRANSACTION" else "UNKNOWN-TRANSACTION-2"
    request, reply = await ask_set(
        ctx,
        1,
        message(transactionId=unknown),
        f" for a transaction that does not exist on the station (not {tx})",
    )
    ctx.check(1, SET_REQUEST, request, "message.transactionId", present())
    ctx.check(1, SET_REQUEST, request, "message.priority", PRIORITY)
    expect_station(
        ctx, reply, "status", "UnknownTransaction", "the CSMS must name an unknown transaction"
    )


@scenario("TC_O_27_CSMS", manual=(SET,))
async def set_transaction_message_with_start(ctx: CaseRun) -> None:
    # O02, O01.FR.06: for the transaction, shown from startDateTime on.
    tx = await charging(ctx)
    start = when(ctx, 1)
    request, reply = await ask_set(
        ctx, 1, message(transactionId=tx, startDateTime=start), " for the transaction"
    )
    ctx.check(1, SET_REQUEST, request, "message.id", AN_ID)
    ctx.check(1, SET_REQUEST, request, "message.startDateTime", same_instant(start))
    ctx.check(1, SET_REQUEST, request, "message.transactionId", present())
    _accepted(ctx, reply)


@scenario("TC_O_28_CSMS", manual=(SET,))
async def set_transaction_message_with_end(ctx: CaseRun) -> None:
    # O02, O01.FR.07: for the transaction, removed at endDateTime. The document names
    # no charging state, but a transactionId needs a transaction the station knows.
    tx = await charging(ctx)
    end = when(ctx, 2)
    request, reply = await ask_set(
        ctx, 1, message(transactionId=tx, endDateTime=end, state=STATE), " for the transaction"
    )
    ctx.check(1, SET_REQUEST, request, "message.id", AN_ID)
    ctx.check(1, SET_REQUEST, request, "message.priority", PRIORITY)
    ctx.check(1, SET_REQUEST, request, "message.endDateTime", same_instant(end))
    ctx.check(1, SET_REQUEST, request, "message.state", STATE)
    ctx.check(1, SET_REQUEST, request, "message.transactionId", present())
    _accepted(ctx, reply)


# --------------------------------------------------------------------------- O06 replace
@scenario("TC_O_12_CSMS", manual=(SET,))
async def replace_message(ctx: CaseRun) -> None:
    # O06.FR.01: a message with the id of a configured one replaces it.
    await booted(ctx)
    old = await configured(ctx)
    same = old.get("id", MESSAGE_ID)
    request, reply = await ask_set(
        ctx,
        1,
        message(same, content="Replaced welcome"),
        " with the same id as the configured one, replacing it",
    )
    # The document numbers this validation step 2; the request is step 1.
    ctx.check(1, SET_REQUEST, request, "message.id", same)
    ctx.check(1, SET_REQUEST, request, "message.priority", PRIORITY)
    _accepted(ctx, reply)


# --------------------------------------------------------------------------- O03, O04 get
async def _get_reported(
    ctx: CaseRun,
    request: dict[str, Any],
    text: str,
    judge: Callable[[dict[str, Any]], None],
    **params: Any,
) -> None:
    """Steps 1-4: the request (``judge``d), Accepted, the station's
    NotifyDisplayMessages, answered."""
    sent, reply = await ask_get(ctx, request, text, **params)
    judge(sent)
    expect_station(ctx, reply, "status", "Accepted", "the station holds a matching message")
    await reports_answered(
        ctx,
        "NotifyDisplayMessages",
        since=ctx.frames.index(reply),
        step=4,
        request_id=sent.get("requestId"),
    )


@scenario("TC_O_02_CSMS", manual=(SET, GET))
async def get_all_messages(ctx: CaseRun) -> None:
    # O03.FR.01-05: every message, no filter.
    await booted(ctx)
    await configured(ctx)

    def judge(sent: dict[str, Any]) -> None:
        ctx.check(1, GET_REQUEST, sent, "requestId", AN_ID)
        ctx.check(1, GET_REQUEST, sent, "id", absent())
        ctx.check(1, GET_REQUEST, sent, "priority", absent())
        ctx.check(1, GET_REQUEST, sent, "state", absent())

    await _get_reported(
        ctx, {"requestId": 1}, "all display messages of the station", judge, request_id=1
    )


@scenario("TC_O_03_CSMS", manual=(GET,))
async def get_all_messages_none(ctx: CaseRun) -> None:
    # O03.FR.06: no message configured: Unknown.
    await booted(ctx)
    sent, reply = await ask_get(
        ctx, {"requestId": 1}, "all display messages of the station", request_id=1
    )
    ctx.check(1, GET_REQUEST, sent, "requestId", AN_ID)
    expect_station(ctx, reply, "status", "Unknown", "the station holds no message")


@scenario("TC_O_07_CSMS", manual=(SET, GET))
async def get_message_by_id(ctx: CaseRun) -> None:
    # O04.FR.01-06: the message with the configured id.
    await booted(ctx)
    wanted = (await configured(ctx)).get("id", MESSAGE_ID)

    def judge(sent: dict[str, Any]) -> None:
        ctx.check(1, GET_REQUEST, sent, "id", [wanted])
        ctx.check(1, GET_REQUEST, sent, "priority", absent())
        ctx.check(1, GET_REQUEST, sent, "state", absent())
        ctx.check(1, GET_REQUEST, sent, "requestId", AN_ID)

    await _get_reported(
        ctx,
        {"requestId": 1, "id": [wanted]},
        f"the display message with id {wanted}",
        judge,
        request_id=1,
        ids=[wanted],
    )


@scenario("TC_O_08_CSMS", manual=(SET, GET))
async def get_messages_by_priority(ctx: CaseRun) -> None:
    # O04.FR.01-06: the messages with the configured priority.
    await booted(ctx)
    await configured(ctx)

    def judge(sent: dict[str, Any]) -> None:
        ctx.check(1, GET_REQUEST, sent, "priority", PRIORITY)
        ctx.check(1, GET_REQUEST, sent, "id", absent())
        ctx.check(1, GET_REQUEST, sent, "state", absent())
        ctx.check(1, GET_REQUEST, sent, "requestId", AN_ID)

    await _get_reported(
        ctx,
        {"requestId": 1, "priority": PRIORITY},
        f"the display messages with priority {PRIORITY}",
        judge,
        request_id=1,
        priority=PRIORITY,
    )


@scenario("TC_O_09_CSMS", manual=(SET, GET))
async def get_messages_by_state(ctx: CaseRun) -> None:
    # O04.FR.01-06: the messages for the configured state.
    await booted(ctx)
    await configured(ctx, state=STATE)

    def judge(sent: dict[str, Any]) -> None:
        ctx.check(1, GET_REQUEST, sent, "state", STATE)
        ctx.check(1, GET_REQUEST, sent, "priority", absent())
        ctx.check(1, GET_REQUEST, sent, "id", absent())
        ctx.check(1, GET_REQUEST, sent, "requestId", AN_ID)

    await _get_reported(
        ctx,
        {"requestId": 1, "state": STATE},
        f"the display messages for the state {STATE}",
        judge,
        request_id=1,
        state=STATE,
    )


@scenario("TC_O_11_CSMS", manual=(SET, GET))
async def get_message_unknown_id(ctx: CaseRun) -> None:
    # O04.FR.02: an id the station does not hold: Unknown.
    await booted(ctx)
    known = (await configured(ctx)).get("id", MESSAGE_ID)
    other = known + 1 if isinstance(known, int) else MESSAGE_ID + 1
    sent, reply = await ask_get(
        ctx,
        {"requestId": 1, "id": [other]},
        f"the display message with id {other} (not the configured {known})",
        request_id=1,
        ids=[other],
    )
    ctx.check(
        1,
        GET_REQUEST,
        sent,
        "id",
        satisfies(
            lambda v: isinstance(v, list) and bool(v) and known not in v,
            f"a different id than {known}",
        ),
    )
    ctx.check(1, GET_REQUEST, sent, "requestId", AN_ID)
    expect_station(ctx, reply, "status", "Unknown", "the CSMS must ask for another id")


# --------------------------------------------------------------------------- O05 clear
async def _ask_clear(ctx: CaseRun, message_id: int, text: str) -> tuple[dict[str, Any], Any]:
    since = ctx.mark()
    await ctx.manual(
        CLEAR,
        f"Request the CSMS to clear the display message with id {message_id}{text}",
        step=1,
        action="ClearDisplayMessage",
        request={"id": message_id},
        message_id=message_id,
    )
    sent = await csms_call(ctx, "ClearDisplayMessage", step=1, since=since)
    reply = await station_reply(ctx, "ClearDisplayMessage", since=since)
    return (sent.payload if isinstance(sent.payload, dict) else {}), reply


@scenario("TC_O_04_CSMS", manual=(SET, CLEAR))
async def clear_message(ctx: CaseRun) -> None:
    # O05.FR.01: the configured message is cleared. A CSMS may ask GetDisplayMessages
    # first (the document's "help method"); the station answers it as it would.
    await booted(ctx)
    set_id = (await configured(ctx)).get("id", MESSAGE_ID)
    sent, reply = await _ask_clear(ctx, set_id, "")
    ctx.check(1, "ClearDisplayMessageRequest", sent, "id", set_id)
    expect_station(ctx, reply, "status", "Accepted", "the CSMS must clear the message it set")


@scenario("TC_O_05_CSMS", manual=(CLEAR,))
async def clear_unknown_message(ctx: CaseRun) -> None:
    # O05.FR.02: an id the station does not hold: Unknown. No tool validation beyond
    # the schema.
    await booted(ctx)
    unknown = 999
    _sent, reply = await _ask_clear(ctx, unknown, " (the station holds no such message)")
    expect_station(ctx, reply, "status", "Unknown", "the CSMS must name an unknown id")
