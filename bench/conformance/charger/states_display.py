"""2.0.1 block O (display messages) helpers of the charging-station cases (part 6 §2.15).

The OCTT's "<Configured ...>" values of a display case come from
``ChargerSettings.extra`` (``display_priority``, ``display_format``,
``display_content``, ``display_language``, ``display_window_s``) or, where the case
needs what the station supports or lacks, from its device model
(DisplayMessageCtrlr.SupportedPriorities / SupportedFormats, features UI-1 and UI-2
of part 5). The exchanges the cases repeat are here with their tool validations:
SetDisplayMessage, GetDisplayMessages followed by its NotifyDisplayMessagesRequests
(repeated while ``tbc``), and a charging session run to its end (the reusable states
StopAuthorized .. ParkingBayUnoccupied).
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states201 import get_variable

CTRLR = "DisplayMessageCtrlr"
PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
FORMATS = ("ASCII", "HTML", "URI", "UTF8")
STATES = ("Charging", "Faulted", "Idle", "Unavailable")


# ---------------------------------------------------------------- what the station supports
async def supported(ctx: ChargerRun, variable: str) -> list[str]:
    """DisplayMessageCtrlr.``variable`` (SupportedPriorities, SupportedFormats) as a list."""
    text = await get_variable(ctx, f"{CTRLR}/{variable}")
    return [v.strip() for v in (text or "").split(",") if v.strip()]


async def priorities(ctx: ChargerRun) -> list[str]:
    return await supported(ctx, "SupportedPriorities")


async def formats(ctx: ChargerRun) -> list[str]:
    return await supported(ctx, "SupportedFormats")


async def needs_priority(ctx: ChargerRun, priority: str, feature: str) -> None:
    """Not applicable when the station does not support ``priority`` (part 5 ``feature``)."""
    have = await priorities(ctx)
    if priority not in have:
        ctx.not_applicable(
            f"the station does not support the message priority {priority} ({feature}; "
            f"DisplayMessageCtrlr.SupportedPriorities {','.join(have) or 'empty'})"
        )


async def configured_priority(ctx: ChargerRun) -> str:
    """<Configured priority>: the operator's, else one the station supports (NormalCycle
    first: it hides nothing the driver needs)."""
    chosen = ctx.settings.extra.get("display_priority")
    if chosen:
        return chosen
    have = await priorities(ctx)
    for priority in ("NormalCycle", "InFront", "AlwaysFront"):
        if priority in have:
            return priority
    ctx.not_applicable("the station supports no message priority (UI-1)")
    return ""


async def configured_format(ctx: ChargerRun) -> str:
    chosen = ctx.settings.extra.get("display_format")
    if chosen:
        return chosen
    have = await formats(ctx)
    for fmt in ("UTF8", "ASCII", "HTML", "URI"):
        if fmt in have:
            return fmt
    ctx.not_applicable("the station supports no message format (UI-2)")
    return ""


def content(ctx: ChargerRun) -> str:
    return ctx.settings.extra.get("display_content", "OCTT display message")


def window(ctx: ChargerRun) -> float:
    """How long after "now" a case's startDateTime / endDateTime lies: the case's 60 s, or
    shorter where the operator (a test) sets ``display_window_s``."""
    return float(ctx.settings.extra.get("display_window_s", "60"))


# ---------------------------------------------------------------- messages
async def message(
    ctx: ChargerRun,
    message_id: int,
    *,
    priority: str | None = None,
    fmt: str | None = None,
    text: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """MessageInfoType with the configured priority, format and content unless given."""
    info: dict[str, Any] = {
        "id": message_id,
        "priority": priority or await configured_priority(ctx),
        "message": {"format": fmt or await configured_format(ctx), "content": text or content(ctx)},
    }
    info.update(fields)
    return info


async def set_message(
    ctx: ChargerRun,
    info: dict[str, Any],
    *,
    step: int | None,
    status: str = "Accepted",
    require: bool = True,
) -> dict[str, Any]:
    """SetDisplayMessageRequest; its response's status is the step's validation."""
    reply = await ctx.request("SetDisplayMessage", {"message": info}, step=step)
    if require:
        ctx.require(step, "SetDisplayMessageResponse", reply, "status", status)
    else:
        ctx.check(step, "SetDisplayMessageResponse", reply, "status", status)
    return reply


async def memory_message(ctx: ChargerRun, info: dict[str, Any]) -> None:
    """The case's memory state: the message is configured (Accepted)."""
    await set_message(ctx, info, step=None)


async def displayed(
    ctx: ChargerRun,
    criteria: dict[str, Any],
    *,
    reply_step: int,
    notify_step: int,
    request_id: int = 1,
) -> list[dict[str, Any]]:
    """GetDisplayMessagesRequest, Accepted, then every NotifyDisplayMessagesRequest until
    ``tbc`` is false ("all messages have been received"): their messageInfo."""
    since = ctx.mark()
    reply = await ctx.request(
        "GetDisplayMessages", {"requestId": request_id, **criteria}, step=reply_step - 1
    )
    ctx.require(reply_step, "GetDisplayMessagesResponse", reply, "status", "Accepted")
    found: list[dict[str, Any]] = []
    for _ in range(100):  # bounded: far more parts than any case configures messages
        rec = await ctx.station_frame(
            "NotifyDisplayMessages",
            step=notify_step,
            since=since,
            match=lambda p: p.get("requestId") == request_id,
            what=f"a NotifyDisplayMessagesRequest with requestId {request_id}",
        )
        part = rec.payload if isinstance(rec.payload, dict) else {}
        ctx.check(notify_step, "NotifyDisplayMessagesRequest", part, "requestId", request_id)
        found.extend(part.get("messageInfo") or [])
        if not part.get("tbc"):
            break
        since = ctx.frames.index(rec) + 1
    return found


async def unknown(
    ctx: ChargerRun, criteria: dict[str, Any], *, step: int, request_id: int = 9
) -> None:
    """GetDisplayMessagesRequest whose response must be Unknown."""
    reply = await ctx.request(
        "GetDisplayMessages", {"requestId": request_id, **criteria}, step=step - 1
    )
    ctx.check(step, "GetDisplayMessagesResponse", reply, "status", "Unknown")


def check_info(
    ctx: ChargerRun, step: int, infos: list[dict[str, Any]], sent: dict[str, Any], *paths: str
) -> None:
    """The notified messageInfo with the sent id has each of ``paths`` as sent."""
    mine = [i for i in infos if i.get("id") == sent["id"]]
    ctx.check_that(
        step,
        "NotifyDisplayMessagesRequest",
        "messageInfo.id",
        bool(mine),
        f"a message with id {sent['id']}",
        ", ".join(str(i.get("id")) for i in infos) or "none",
    )
    if not mine:
        return
    for path in paths:
        want: Any = sent
        for key in path.split("."):
            want = want.get(key) if isinstance(want, dict) else None
        ctx.check(step, "NotifyDisplayMessagesRequest", mine[0], path, want)


# ---------------------------------------------------------------- a session to its end
async def session_ended(ctx: ChargerRun, *, step: int) -> None:
    """Reusable states StopAuthorized, EVConnectedPostSession, EVDisconnected and
    ParkingBayUnoccupied after EnergyTransferStarted: the transaction has ended."""
    tx = v201.transaction_id(ctx)
    since = ctx.mark()
    stopped = await v201.stop_authorized(ctx, step=step)
    if stopped.get("eventType") != "Ended":
        # EVConnectedPostSession: the energy transfer stops, the EV stays connected.
        await ctx.station_request(
            "TransactionEvent",
            step=step + 1,
            since=since,
            match=lambda p: (
                (p.get("transactionInfo") or {}).get("chargingState")
                in ("EVConnected", "SuspendedEVSE", "Idle")
                or p.get("eventType") == "Ended"
            ),
            what="the TransactionEvent that the energy transfer stopped",
        )
    await v201.ev_disconnected(ctx, step=step + 2)
    # ParkingBayUnoccupied: the bench has no bay sensor; the transaction must have ended.
    await ctx.station_request(
        "TransactionEvent",
        step=step + 3,
        since=since,
        match=lambda p: (
            p.get("eventType") == "Ended"
            and (p.get("transactionInfo") or {}).get("transactionId") == tx
        ),
        what=f"the TransactionEvent Ended of transaction {tx}",
    )
