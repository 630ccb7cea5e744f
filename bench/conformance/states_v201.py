"""The 2.0.1 reusable states of the CSMS test cases (part 6 §3.18), played by the real station.

``bench.conformance.states`` hands its 2.0.1 branch to the functions here. The
station reaches each state the way one in the field does — a card, a plug, an EV
that stops drawing — so its messages are its own: where OCTT sends a StatusNotification,
a NotifyEvent and a TransactionEvent one after the other, the bench's station may
fold two steps into one message (the CablePluggedIn event already says Charging;
StopAuthorized already says EVConnected). A state therefore waits for what the
station reports, not for a fixed script, and checks the tool validations the
document attaches to it.

The states build on each other as §3.18 says ("If State is NOT Authorized then
execute Reusable State Authorized"). What cannot be read back from the station —
which card authorized which EVSE — is remembered per case here (``_Played``).

§3.1's general pre-conditions (TxStartPoint, TxStopPoint, AuthCtrlr, ...) are the
station's configuration for every case: ``configure`` writes them, then the case's
own values, before the station boots.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from weakref import WeakKeyDictionary

from bench.conformance.case_run import CaseRun, Inconclusive
from bench.kernel.frames import FrameRecord
from bench.model.templates import load_station_template
from bench.ocpp.api import LinkState, Registration

# §3.1 General pre conditions, in the station's setting names (Component/Variable).
GENERAL_PRECONDITIONS: tuple[tuple[str, str], ...] = (
    ("TxCtrlr/TxStartPoint", "EVConnected,Authorized"),
    ("TxCtrlr/TxStopPoint", "EVConnected"),
    ("AuthCtrlr/Enabled", "true"),
    ("AuthCtrlr/AuthorizeRemoteStart", "false"),
    ("SecurityCtrlr/AdditionalRootCertificateCheck", "false"),
    ("ChargingStation/AllowNewSessionsPendingFirmwareUpdate", "false"),
    ("AlignedDataCtrlr/SendDuringIdle", "false"),
)

# Tokens the cases name besides the configured valid and invalid ones. The CSMS learns
# them through the manual action ``configure_id_token`` (a case's "Memory State").
VALID_2 = "BENCH-VALID-2"
BLOCKED = "BENCH-BLOCKED"
EXPIRED = "BENCH-EXPIRED"
MASTER_PASS = "BENCH-MASTER"
GROUP_ID = "BENCH-GROUP"  # <Configured groupIdToken>
MASTER_PASS_GROUP_ID = "BENCH-MASTERPASS"  # <Configured masterPassGroupId>
DUAL_TEMPLATE = "ac-22kw-dual"  # for cases that need two EVSEs

_DEFAULT_TYPE = "ISO14443"  # what the station takes a bare badge for


@dataclass(frozen=True, slots=True)
class Token:
    """An idToken as the case names it: its value and IdTokenEnumType."""

    id: str
    type: str

    def json(self) -> dict[str, str]:
        return {"idToken": self.id, "type": self.type}

    @property
    def badge(self) -> str:
        """What the station's reader is shown (``TYPE:value`` picks another type)."""
        return self.id if self.type == _DEFAULT_TYPE else f"{self.type}:{self.id}"


def valid_token(ctx: CaseRun) -> Token:
    return Token(ctx.settings.valid_id_token, ctx.settings.valid_id_token_type)


def token(ctx: CaseRun, value: str) -> Token:
    """A token of the case's own (second valid, blocked, ...), typed like the valid one."""
    return Token(value, ctx.settings.valid_id_token_type)


@dataclass(slots=True)
class _Played:
    configured: bool = False
    authorized: dict[int, Token] = field(default_factory=dict)  # EVSE -> the card on it


_PLAYED: WeakKeyDictionary[CaseRun, _Played] = WeakKeyDictionary()


def _played(ctx: CaseRun) -> _Played:
    played = _PLAYED.get(ctx)
    if played is None:
        played = _PLAYED[ctx] = _Played()
    return played


def authorized_token(ctx: CaseRun, connector: int) -> Token | None:
    """The card whose authorization is active on ``connector``, as the states played it."""
    return _played(ctx).authorized.get(connector)


def note_authorized(ctx: CaseRun, connector: int, card: Token | None) -> None:
    """Tell the states that a case's own steps authorized (or ended) ``connector``."""
    if card is None:
        _played(ctx).authorized.pop(connector, None)
    else:
        _played(ctx).authorized[connector] = card


# ---------------------------------------------------------------- configuration
async def configure(ctx: CaseRun, values: Mapping[str, str] | None = None) -> None:
    """§3.1's general pre-conditions (once), then ``values`` (Component/Variable -> value).

    A write takes the path a SetVariablesRequest takes; a refusal is the bench's
    fault (its station cannot be configured as the case needs) and raises.
    """
    played = _played(ctx)
    todo = [] if played.configured else list(GENERAL_PRECONDITIONS)
    played.configured = True
    todo += list((values or {}).items())
    settings = ctx.station.settings
    for name, value in todo:
        now = settings.read(name)
        if now == value or (now is None and value == "false"):
            continue  # already so, or a feature the station lacks is off by definition
        outcome = await settings.write(name, value)
        if not outcome.ok:
            raise RuntimeError(
                f"the bench's station refused {name} = {value!r}: {outcome.status} "
                f"{outcome.reason}".strip()
            )


def use_evses(ctx: CaseRun, count: int) -> None:
    """A case that needs ``count`` EVSEs runs on a station template that has them.

    Call before anything touches ``ctx.station`` (the station is built on first use).
    """
    if load_station_template(ctx.settings.station_template).connectors >= count:
        return
    if load_station_template(DUAL_TEMPLATE).connectors < count:
        raise RuntimeError(f"no station template of the bench has {count} EVSEs")
    ctx.settings = replace(ctx.settings, station_template=DUAL_TEMPLATE)


def start_points(ctx: CaseRun) -> set[str]:
    return _points(ctx.station.settings.read("TxCtrlr/TxStartPoint"))


def stop_points(ctx: CaseRun) -> set[str]:
    return _points(ctx.station.settings.read("TxCtrlr/TxStopPoint"))


def _points(text: str | None) -> set[str]:
    return {p.strip() for p in (text or "").split(",") if p.strip()}


# ---------------------------------------------------------------- waiting for messages
def first_connector(ctx: CaseRun) -> int:
    return ctx.station.connector_ids()[0]


def present(ctx: CaseRun, card: Token, connector: int | None) -> None:
    """A driver shows ``card`` at ``connector``'s reader (None: the station's common one)."""
    if not ctx.station.present_id(card.badge, connector):
        raise RuntimeError(f"the station's reader did not take {card.id!r}")


def answered(ctx: CaseRun, step: int | None, message: str, reply: FrameRecord) -> bool:
    """The case's "The CSMS responds with a <message>": a valid CALLRESULT, no CALLERROR."""
    if reply.type != "CALLRESULT":
        actual = f"CALLERROR {reply.error or ''}".strip()
    elif reply.valid is False:
        actual = f"invalid: {reply.error or 'schema'}"
    else:
        actual = "CALLRESULT"
    return ctx.check_that(
        step, message, "(reply)", actual == "CALLRESULT", "a valid CALLRESULT", actual
    )


def _index(ctx: CaseRun, rec: FrameRecord) -> int:
    for i in range(len(ctx.frames) - 1, -1, -1):
        if ctx.frames[i] is rec:
            return i
    raise ValueError("frame not in this case's frames")


async def tx_event(
    ctx: CaseRun,
    since: int,
    *,
    step: int | None,
    what: str,
    match: Callable[[dict[str, Any]], bool],
    timeout: float | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The station's next TransactionEventRequest from ``since`` that ``match``es, and
    the CSMS's reply payload ({} for a CALLERROR, which fails the case's check)."""
    request = await ctx.wait_frame(
        lambda r: (
            r.direction == "tx"
            and r.type == "CALL"
            and r.action == "TransactionEvent"
            and isinstance(r.payload, dict)
            and match(r.payload)
        ),
        since=since,
        what=f"the station's TransactionEvent ({what})",
        timeout=timeout,
    )
    reply = await ctx.wait_frame(
        lambda r: r.direction == "rx" and r.id == request.id and r.type != "CALL",
        since=_index(ctx, request),
        what=f"the CSMS's reply to TransactionEvent ({what})",
        timeout=timeout,
    )
    answered(ctx, step, "TransactionEventResponse", reply)
    payload = (
        reply.payload if reply.type == "CALLRESULT" and isinstance(reply.payload, dict) else {}
    )
    return request.payload, payload


def trigger_is(*triggers: str) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p.get("triggerReason") in triggers


def charging_state_is(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda p: (p.get("transactionInfo") or {}).get("chargingState") == state


def transaction_id(ctx: CaseRun, connector: int) -> str:
    """The id of the transaction running on ``connector`` (the case needs one)."""
    view = ctx.station.connector(connector).transaction
    if view is None or view.id is None:
        raise Inconclusive(f"no transaction runs on EVSE {connector}")
    return view.id


def next_seq_no(ctx: CaseRun, transaction_id: str) -> int:
    """The seqNo after the last one the station sent for ``transaction_id`` (E01.FR.07)."""
    seen = [
        r.payload["seqNo"]
        for r in ctx.frames
        if r.direction == "tx"
        and r.type == "CALL"
        and r.action == "TransactionEvent"
        and isinstance(r.payload, dict)
        and r.payload.get("transactionInfo", {}).get("transactionId") == transaction_id
    ]
    return max(seen, default=-1) + 1


def _charging_state(ctx: CaseRun, connector: int) -> str | None:
    view = ctx.station.connector(connector).transaction
    return None if view is None else view.charging_state


# ---------------------------------------------------------------- the states
async def authorized(
    ctx: CaseRun,
    *,
    step: int | None = None,
    connector: int | None = None,
    card: Token | None = None,
    asks_csms: bool = True,
) -> dict[str, Any]:
    """Reusable State Authorized (table 702); returns the TransactionEventResponse.

    Step 2: AuthorizeResponse idTokenInfo.status Accepted; step 4:
    TransactionEventResponse idTokenInfo.status Accepted. The station sends the
    TransactionEvent (Started, or Updated when a transaction already runs) only
    where the authorization is a transaction event for it: a running transaction,
    TxStartPoint Authorized, or PowerPathClosed with the EV plugged in.
    ``asks_csms=False``: the card is in the station's Local Authorization List or
    cache, so no AuthorizeRequest goes out (C12.FR.02, C14.FR.02).
    """
    cid = connector or first_connector(ctx)
    card = card or valid_token(ctx)
    view = ctx.station.connector(cid)
    points = start_points(ctx)
    reports = (
        view.transaction is not None
        or "Authorized" in points
        or (view.plugged and "PowerPathClosed" in points)
    )
    since = ctx.mark()
    present(ctx, card, cid)
    if asks_csms:
        reply = await ctx.reply_to("Authorize", step=step, since=since)
        ctx.require(step, "AuthorizeResponse", reply.payload, "idTokenInfo.status", "Accepted")
    answer: dict[str, Any] = {}
    if reports:
        _, answer = await tx_event(
            ctx, since, step=step, what="Authorized", match=trigger_is("Authorized")
        )
        ctx.check(step, "TransactionEventResponse", answer, "idTokenInfo.status", "Accepted")
    note_authorized(ctx, cid, card)
    return answer


def _reports_plug(ctx: CaseRun, connector: int) -> bool:
    """Does plugging in make a transaction event (a running one, or a start point)?"""
    if ctx.station.connector(connector).transaction is not None:
        return True
    points = start_points(ctx)
    if points & {"EVConnected", "ParkingBayOccupancy"}:
        return True
    return authorized_token(ctx, connector) is not None and "PowerPathClosed" in points


async def ev_connected(
    ctx: CaseRun,
    *,
    step: int | None = None,
    connector: int | None = None,
    soc: float | None = None,
) -> dict[str, Any]:
    """Reusable State EVConnectedPreSession (table 701); returns the transaction event sent.

    StatusNotification Occupied (answered), and the TransactionEvent of the plug-in
    (CablePluggedIn, EVDetected with a parking-bay start, or the Authorized a pending
    authorization turns it into), answered. ``soc`` 100 plugs in an EV that wants no
    energy (E03: "EV not ready").
    """
    cid = connector or first_connector(ctx)
    reports = _reports_plug(ctx, cid)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template, soc)
    status = await ctx.reply_to("StatusNotification", step=step, since=since)
    answered(ctx, step, "StatusNotificationResponse", status)
    event: dict[str, Any] = {}
    if reports:
        event, _ = await tx_event(
            ctx,
            since,
            step=step,
            what="the EV plugged in",
            match=trigger_is("CablePluggedIn", "EVDetected", "Authorized"),
        )
    return event


async def energy_transfer_started(
    ctx: CaseRun,
    *,
    step: int | None = None,
    connector: int | None = None,
    card: Token | None = None,
) -> None:
    """Reusable State EnergyTransferStarted (table 703): authorized, plugged in, charging.

    Authorized first unless it is; plugged in unless it is; then the transaction
    event that reports chargingState Charging, answered.
    """
    cid = connector or first_connector(ctx)
    if (
        authorized_token(ctx, cid) is not None
        and ctx.station.connector(cid).plugged
        and _charging_state(ctx, cid) == "Charging"
    ):
        return  # already there
    since = ctx.mark()
    if authorized_token(ctx, cid) is None:
        await authorized(ctx, step=step, connector=cid, card=card)
    if not ctx.station.connector(cid).plugged:
        await ev_connected(ctx, step=step, connector=cid)
    await tx_event(
        ctx, since, step=step, what="charging started", match=charging_state_is("Charging")
    )
    if not await ctx.station.wait_status(cid, "Charging", ctx.settings.timeout):
        raise Inconclusive(f"EVSE {cid} did not start charging")


async def energy_transfer_suspended(
    ctx: CaseRun, *, step: int | None = None, connector: int | None = None
) -> None:
    """Reusable State EnergyTransferSuspended (table 704): the EV stops drawing energy."""
    cid = connector or first_connector(ctx)
    await energy_transfer_started(ctx, step=step, connector=cid)
    since = ctx.mark()
    ctx.station.suspend_ev(cid)
    await tx_event(
        ctx, since, step=step, what="the EV suspended", match=charging_state_is("SuspendedEV")
    )


async def stop_authorized(
    ctx: CaseRun,
    *,
    step: int | None = None,
    connector: int | None = None,
    card: Token | None = None,
) -> dict[str, Any]:
    """Reusable State StopAuthorized (table 705); returns the TransactionEventResponse.

    The driver shows the card again (``card``: another one that may stop it, C09);
    step 2: TransactionEventResponse idTokenInfo.status Accepted. With TxStopPoint
    Authorized (or PowerPathClosed, EnergyTransfer) that event is the Ended one.
    """
    cid = connector or first_connector(ctx)
    if authorized_token(ctx, cid) is None or not ctx.station.connector(cid).plugged:
        await energy_transfer_started(ctx, step=step, connector=cid)
    card = card or authorized_token(ctx, cid) or valid_token(ctx)
    since = ctx.mark()
    present(ctx, card, cid)
    _, answer = await tx_event(
        ctx, since, step=step, what="StopAuthorized", match=trigger_is("StopAuthorized")
    )
    note_authorized(ctx, cid, None)
    ctx.check(step, "TransactionEventResponse", answer, "idTokenInfo.status", "Accepted")
    return answer


async def ev_connected_post_session(
    ctx: CaseRun, *, step: int | None = None, connector: int | None = None
) -> None:
    """Reusable State EVConnectedPostSession (table 706): no energy, EV still plugged in.

    The bench's station reports chargingState EVConnected in the StopAuthorized
    event itself; a state already there (or a transaction that ended) needs no more.
    """
    cid = connector or first_connector(ctx)
    since = ctx.mark()
    if authorized_token(ctx, cid) is not None or not ctx.station.connector(cid).plugged:
        await stop_authorized(ctx, step=step, connector=cid)
    state = _charging_state(ctx, cid)
    if state is None or state == "EVConnected":
        return
    await tx_event(
        ctx, since, step=step, what="energy stopped", match=charging_state_is("EVConnected")
    )


async def ev_disconnected(
    ctx: CaseRun, *, step: int | None = None, connector: int | None = None
) -> dict[str, Any]:
    """Reusable State EVDisconnected (table 707); returns the transaction event sent.

    From a running authorization it first goes through EVConnectedPostSession, as
    the table says. Then the cable is unplugged: StatusNotification Available and,
    while a transaction runs, its event (Ended EVCommunicationLost with TxStopPoint
    EVConnected; EVDeparted with ParkingBayOccupancy only), both answered.
    """
    cid = connector or first_connector(ctx)
    if authorized_token(ctx, cid) is not None and ctx.station.connector(cid).plugged:
        await ev_connected_post_session(ctx, step=step, connector=cid)
    running = ctx.station.connector(cid).transaction is not None
    since = ctx.mark()
    ctx.station.unplug(cid)
    event: dict[str, Any] = {}
    if running:
        event, _ = await tx_event(ctx, since, step=step, what="the EV left", match=lambda p: True)
    status = await ctx.reply_to("StatusNotification", step=step, since=since)
    answered(ctx, step, "StatusNotificationResponse", status)
    note_authorized(ctx, cid, None)
    return event


# ---------------------------------------------------------------- the station's link
async def until(ctx: CaseRun, test: Callable[[], bool], what: str) -> None:
    """Wait (up to the step time limit) until ``test()`` holds for the bench's station.

    For the station's own state (its link, its queue), which no frame announces:
    looked at every 20 ms. Not reaching it is the bench's failure, not the CSMS's.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.settings.timeout
    while not test():
        if loop.time() >= deadline:
            raise RuntimeError(f"the bench's station: {what} did not happen")
        await asyncio.sleep(0.02)


def online(ctx: CaseRun) -> bool:
    station = ctx.station
    return (
        station.network().link == LinkState.CONNECTED
        and station.registration_state() == Registration.ACCEPTED
    )


async def connection_lost(ctx: CaseRun) -> None:
    """The station's WebSocket connection closes and stays closed (OCTT's "closes the
    WebSocket connection")."""
    ctx.station.cut_network()
    await until(ctx, lambda: ctx.station.network().link != LinkState.CONNECTED, "going offline")


async def connection_back(ctx: CaseRun) -> None:
    """The station connects again (no reboot) and is accepted as before."""
    ctx.station.restore_network()
    await until(ctx, lambda: online(ctx), "connecting again")
