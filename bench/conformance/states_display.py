"""The station's side of the 2.0.1 block O (display messages): the OCTT's configured
values, the memory state "a display message is configured", a charging session.

The OCTT's <Configured ...> values (id, priority, format, state, start and end) are
the bench's constants here: the operator is told them in each instruction and the
checks compare the CSMS's request with them. A message is configured on the station
the way a CSMS configures one, with its SetDisplayMessageRequest, so the station
holds it for real (and the id a later request names is the one the CSMS set).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.expect import field_at
from bench.conformance.states_diagnostics import (
    booted,
    csms_answer,
    csms_call,
    expect_station,
    is_call,
    reply_accepted,
    station_reply,
    transaction_id,
)
from bench.kernel.frames import FrameRecord

SET = "set_display_message"
GET = "get_display_messages"
CLEAR = "clear_display_message"

MESSAGE_ID = 1  # <Configured_Id>
PRIORITY = "NormalCycle"  # <Configured Priority>
FORMAT = "UTF8"  # <Configured Format>
STATE = "Charging"  # <Configured State>
CONTENT = "Welcome to OCPP Bench"
LANGUAGE = "en"


def when(ctx: CaseRun, hours: int) -> str:
    """A configured date-time ``hours`` from the station's now, to the second, in UTC."""
    moment = ctx.station.clock.now().replace(microsecond=0) + timedelta(hours=hours)
    return moment.isoformat().replace("+00:00", "Z")


def message(
    message_id: int = MESSAGE_ID,
    *,
    priority: str = PRIORITY,
    fmt: str = FORMAT,
    content: str = CONTENT,
    **extra: Any,
) -> dict[str, Any]:
    """A MessageInfoType (``extra``: state, startDateTime, endDateTime, transactionId)."""
    return {
        "id": message_id,
        "priority": priority,
        "message": {"format": fmt, "language": LANGUAGE, "content": content},
        **extra,
    }


def describe(info: dict[str, Any]) -> str:
    """The message as the operator enters it: every field the case configures."""
    parts = [
        f"id {info['id']}",
        f"priority {info['priority']}",
        f"format {info['message']['format']}",
        f'content "{info["message"]["content"]}"',
    ]
    for key, words in (
        ("state", "state"),
        ("startDateTime", "start"),
        ("endDateTime", "end"),
        ("transactionId", "transaction"),
    ):
        if key in info:
            parts.append(f"{words} {info[key]}")
    return ", ".join(parts)


async def ask_set(
    ctx: CaseRun, step: int | None, info: dict[str, Any], text: str = ""
) -> tuple[dict[str, Any], FrameRecord]:
    """The CSMS's SetDisplayMessageRequest for ``info``; returns it and the station's reply."""
    since = ctx.mark()
    await ctx.manual(
        SET,
        f"Request the CSMS to send a display message{text}: {describe(info)}",
        step=step,
        action="SetDisplayMessage",
        request={"message": info},
        message_id=info["id"],
        priority=info["priority"],
        format=info["message"]["format"],
        content=info["message"]["content"],
        state=info.get("state"),
        start_date_time=info.get("startDateTime"),
        end_date_time=info.get("endDateTime"),
        transaction_id=info.get("transactionId"),
    )
    request = await csms_call(ctx, "SetDisplayMessage", step=step, since=since)
    reply = await station_reply(ctx, "SetDisplayMessage", since=since)
    return (request.payload if isinstance(request.payload, dict) else {}), reply


async def configured(ctx: CaseRun, **extra: Any) -> dict[str, Any]:
    """Memory state "a display message is configured": the CSMS sets one, the station
    takes it. Returns the MessageInfoType the CSMS sent (its id is the one to use)."""
    request, reply = await ask_set(ctx, None, message(**extra), " (the case's memory state)")
    expect_station(ctx, reply, "status", "Accepted", "the case starts with a message configured")
    sent = request.get("message")
    return sent if isinstance(sent, dict) else {}


async def charging(ctx: CaseRun) -> str:
    """§3.1's configuration, Booted, then EnergyTransferStarted; the transaction's id.

    The driver is authorized (the transaction starts: TxStartPoint Authorized), then
    plugs in. The station reports the EV connected and charging in one
    TransactionEvent (CablePluggedIn, chargingState Charging) where the OCTT sends two
    (EVConnected, then ChargingStateChanged): the state is reached when one says
    Charging and the CSMS answered it.
    """
    await booted(ctx)
    await states.authorized(ctx)
    cid = states.connector_for(ctx)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    sent = await ctx.wait_frame(
        lambda r: (
            is_call(r, "tx", "TransactionEvent")
            and field_at(r.payload, "transactionInfo.chargingState") == "Charging"
        ),
        since=since,
        what="the station's TransactionEvent with chargingState Charging",
    )
    reply_accepted(ctx, None, "TransactionEventResponse", await csms_answer(ctx, sent))
    if not await ctx.station.wait_status(cid, "Charging", ctx.settings.timeout):
        raise Inconclusive(f"connector {cid} did not start charging")
    return transaction_id(ctx)


async def ask_get(
    ctx: CaseRun, request: dict[str, Any], text: str, **params: Any
) -> tuple[dict[str, Any], FrameRecord]:
    """Step 1: the CSMS's GetDisplayMessagesRequest; returns it and the station's reply."""
    since = ctx.mark()
    await ctx.manual(
        GET,
        f"Request the CSMS to get {text}",
        step=1,
        action="GetDisplayMessages",
        request=request,
        **params,
    )
    sent = await csms_call(ctx, "GetDisplayMessages", step=1, since=since)
    reply = await station_reply(ctx, "GetDisplayMessages", since=since)
    return (sent.payload if isinstance(sent.payload, dict) else {}), reply
