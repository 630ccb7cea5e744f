"""Memory states of the 2.0.1 authorization cases: what the CSMS and the station know first.

OCTT configures these before a case ("Memory State: Two valid idTokens with the
same GroupId are configured"). The bench gets there the way a lab would: the CSMS
is told about a token by a manual action (``configure_id_token``, as in 1.6), the station's Local
Authorization List comes from the CSMS (``send_local_list``), and a token reaches
the station's Authorization Cache because a driver showed it once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.conformance import states_v201 as v201
from bench.conformance.case_run import CaseRun
from bench.conformance.states_v201 import Token

CONFIGURE_ID_TOKEN = "configure_id_token"
SEND_LOCAL_LIST = "send_local_list"


async def csms_knows(
    ctx: CaseRun, card: Token, status: str = "Accepted", *, group: str | None = None
) -> None:
    """Manual action ``configure_id_token``: the CSMS answers ``card`` with ``status``
    (and ``group`` as its groupIdToken) from now on."""
    grouped = f" and groupIdToken {group}" if group else ""
    await ctx.manual(
        CONFIGURE_ID_TOKEN,
        f"Configure the CSMS so that idToken {card.id} (type {card.type}) is {status}{grouped}",
        id_token=card.id,
        type=card.type,
        status=status,
        group=group,
    )


def list_entry(card: Token, status: str | None = "Accepted", group: str | None = None) -> dict:
    """One AuthorizationData; ``status`` None: without idTokenInfo (a removal, D01.FR.17)."""
    entry: dict[str, Any] = {"idToken": card.json()}
    if status is not None:
        info: dict[str, Any] = {"status": status}
        if group is not None:
            info["groupIdToken"] = {"idToken": group, "type": "Central"}
        entry["idTokenInfo"] = info
    return entry


async def send_local_list(
    ctx: CaseRun,
    instruction: str,
    update_type: str,
    version: int,
    entries: list[dict[str, Any]],
    *,
    step: int | None,
) -> dict[str, Any]:
    """Manual action ``send_local_list``: the CSMS sends a SendLocalListRequest; returns it."""
    request: dict[str, Any] = {"versionNumber": version, "updateType": update_type}
    if entries:
        request["localAuthorizationList"] = entries
    return await ctx.request_by_hand(
        SEND_LOCAL_LIST,
        instruction,
        "SendLocalList",
        request,
        step=step,
        update_type=update_type,
        list_version=version,
        id_tokens=",".join(e["idToken"]["idToken"] for e in entries),
    )


async def local_list_installed(
    ctx: CaseRun, entries: list[dict[str, Any]], *, version: int = 1
) -> int:
    """Memory state: the station holds a Local Authorization List the CSMS sent (Full).

    Returns the version the station holds; the station must have accepted the list,
    else the case cannot be played (an error of the set-up, not a validation).
    """
    since = ctx.mark()
    tokens = ", ".join(e["idToken"]["idToken"] for e in entries) or "no idTokens"
    sent = await send_local_list(
        ctx,
        f"Request the CSMS to send a Full Local Authorization List (version {version}) "
        f"with {tokens}",
        "Full",
        version,
        entries,
        step=None,
    )
    answer = await ctx.wait_frame(
        lambda r: r.direction == "tx" and r.type == "CALLRESULT" and r.action == "SendLocalList",
        since=since,
        what="the station's SendLocalListResponse",
    )
    ctx.require(None, "SendLocalListResponse (set-up)", answer.payload, "status", "Accepted")
    return int(sent.get("versionNumber") or version)


async def settle() -> None:
    """Let the station finish what a card shown to it set off.

    The station handles a card in a task of its own, created while ``present_id``
    ran; tasks start in the order they were made, so one turn of the event loop
    has run that task's first step before the case goes on.
    """
    await asyncio.sleep(0)


async def cached(ctx: CaseRun, card: Token, *, connector: int) -> None:
    """Memory state: ``card`` is in the station's Authorization Cache as Accepted.

    A driver shows it once (AuthorizeRequest, the CSMS accepts, the station caches
    the answer, C10.FR.04) and again to withdraw, before any EV is plugged in: with
    a TxStartPoint without Authorized neither makes a transaction.
    """
    if "Authorized" in v201.start_points(ctx):
        raise RuntimeError("caching a card needs a TxStartPoint without Authorized")
    decided = asyncio.Event()

    def on_event(event: object) -> None:
        # Emitted from the task that handles the card, which then runs on to the end
        # of its work before this case's task resumes.
        # The station's verdict on the card (2.0.1 ``TokenAuthorized``), recognised by
        # its fields: cases reach stations through the API, never a version's package.
        if getattr(event, "id_token", None) == card.id and hasattr(event, "source"):
            decided.set()

    unsubscribe = ctx.station.subscribe(on_event)
    try:
        since = ctx.mark()
        v201.present(ctx, card, connector)
        reply = await ctx.reply_to("Authorize", step=None, since=since)
        ctx.require(
            None, "AuthorizeResponse (set-up)", reply.payload, "idTokenInfo.status", "Accepted"
        )
        await asyncio.wait_for(decided.wait(), ctx.settings.timeout)
    finally:
        unsubscribe()
    v201.present(ctx, card, connector)  # the same card again withdraws it (E07.FR.01a)
    await settle()
