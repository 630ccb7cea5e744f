"""The OCPP 1.6 reusable and memory states of the CSMS test cases, played by the real station.

The 1.6 document (OCTT test case document, §3.22) defines three reusable states
for a Central System under test: Booted, Authorized and Charging; §2.26 defines
the memory state IdTagCached, which TC_007 needs. The bench reaches each state
the way a station in the field does (it boots, a driver presents a card, an EV is
plugged in) and checks the tool validations the document attaches to it.

Beside the states, the helpers every 1.6 scenario uses: the station's own
message with given fields (``station_call``), the CSMS's answer to it
(``answered``, which also checks that the answer is a CALLRESULT valid against
the schema), and the pair of both (``exchange``); the station's answer to a
request of the Central System (``station_answered``) and OCTT's scripted refusals
(``answer_with``); the run's security profile (``needs_security_profile``) and a
watch on the station's connection (``LinkWatch``).

<Configured ConnectorId> is the station's first connector; <Configured Valid
IdTag> and <Configured invalid IdTag> are the run's ``valid_id_token`` and
``invalid_id_token``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from bench.conformance.case_run import CaseRun, Inconclusive, StopCase
from bench.kernel.frames import FrameRecord
from bench.model.templates import load_station_template
from bench.ocpp.charge_point_base import CONNECTED, LinkChanged

# A second valid idTag (<Configured Valid IdTag 2>) and the parent idTag the two
# share (<Configured ParentId>), for the cases that need a group of cards.
VALID_ID_TAG_2 = "BENCH-TAG-2"
PARENT_ID_TAG = "BENCH-GROUP"


def connector_of(ctx: CaseRun) -> int:
    """<Configured ConnectorId>: the station's first connector."""
    return ctx.station.connector_ids()[0]


def now_iso(ctx: CaseRun) -> str:
    """The station's time as an OCPP dateTime (UTC, seconds)."""
    return ctx.station.clock.now().isoformat(timespec="seconds").replace("+00:00", "Z")


def _fields_match(payload: Any, fields: dict[str, Any]) -> bool:
    return isinstance(payload, dict) and all(payload.get(k) == v for k, v in fields.items())


async def station_call(
    ctx: CaseRun,
    action: str,
    *,
    since: int,
    timeout: float | None = None,
    **fields: Any,
) -> FrameRecord:
    """The station's next ``action`` CALL from ``since`` on whose payload has ``fields``.

    These are the tool's own messages: the case's "The Charge Point sends ...".
    When it does not come the CSMS may be holding the station up (an unanswered
    earlier CALL), so the case is inconclusive rather than failed.
    """
    shown = ", ".join(f"{k}={v}" for k, v in fields.items())
    return await ctx.wait_frame(
        lambda r: (
            r.direction == "tx"
            and r.type == "CALL"
            and r.action == action
            and _fields_match(r.payload, fields)
        ),
        since=since,
        what=f"the station's {action}.req" + (f" ({shown})" if shown else ""),
        timeout=timeout,
    )


async def answered(
    ctx: CaseRun, request: FrameRecord, step: int | None, *, timeout: float | None = None
) -> dict[str, Any]:
    """The CSMS's answer to the station's ``request``: a CALLRESULT valid against the schema.

    1.6-J §4.2: every CALL gets a CALLRESULT or a CALLERROR; a CALLERROR to a message
    the Central System must accept fails the step.
    """
    action = request.action or ""
    reply = await ctx.wait_frame(
        lambda r: r.direction == "rx" and r.id == request.id and r.type != "CALL",
        since=ctx.frames.index(request),
        what=f"the CSMS's {action}.conf",
        timeout=timeout,
    )
    message = f"{action}.conf"
    if reply.type != "CALLRESULT":
        ctx.check_that(
            step,
            message,
            "(message type)",
            False,
            "CALLRESULT",
            f"{reply.type} {reply.error or ''}".strip(),
        )
        return {}
    if reply.valid is False:
        ctx.check_that(
            step,
            message,
            "(schema)",
            False,
            "valid against the OCPP schema",
            reply.error or "invalid",
        )
    return reply.payload if isinstance(reply.payload, dict) else {}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One message of the station and the CSMS's answer."""

    request: FrameRecord
    reply: dict[str, Any]

    @property
    def sent(self) -> dict[str, Any]:
        payload = self.request.payload
        return payload if isinstance(payload, dict) else {}


async def exchange(
    ctx: CaseRun,
    action: str,
    *,
    step: int | None,
    since: int,
    timeout: float | None = None,
    **fields: Any,
) -> Exchange:
    """The station's ``action`` with ``fields`` (from ``since`` on) and the CSMS's answer."""
    request = await station_call(ctx, action, since=since, timeout=timeout, **fields)
    reply = await answered(ctx, request, step)
    return Exchange(request, reply)


async def status(
    ctx: CaseRun, status_value: str, *, since: int, step: int | None = None, connector: int
) -> Exchange:
    """StatusNotification.req with ``status_value`` for ``connector``, and its answer."""
    return await exchange(
        ctx,
        "StatusNotification",
        step=step,
        since=since,
        connectorId=connector,
        status=status_value,
    )


async def send(ctx: CaseRun, action: str, payload: dict[str, Any], *, step: int | None) -> Exchange:
    """The station sends ``action`` as given (a message it would not send on its own now)
    and the CSMS's answer, judged like ``answered``."""
    since = ctx.mark()
    await ctx.send(action, payload, step=step)
    request = await station_call(ctx, action, since=since, timeout=1.0)
    return Exchange(request, await answered(ctx, request, step, timeout=1.0))


# ------------------------------------------------------------------ reusable states (§3.22)
async def booted(
    ctx: CaseRun, *, step: int | None = None, connect_step: int | None = None
) -> Exchange:
    """Reusable State Booted (Table 192): BootNotification, then every connector's status.

    Step 2: BootNotification.conf status Accepted. Step 3 is sent "per connector and
    connectorId=0" (1.6 errata 3.4); each StatusNotification.conf is awaited. With
    ``connect_step`` (the cases about the connection itself) a connection the Central
    System refuses fails that step, naming why.
    """
    since = ctx.mark()
    await ctx.start_station()
    try:
        boot = await exchange(ctx, "BootNotification", step=step, since=since)
    except Inconclusive:
        problem = ctx.station.network().last_error
        if connect_step is None or not problem:
            raise
        ctx.check_that(
            connect_step,
            "connection",
            "(WebSocket upgrade)",
            False,
            "the Central System accepts the connection",
            problem,
        )
        raise StopCase(ctx.failed_checks[-1].describe()) from None
    ctx.require(step, "BootNotification.conf", boot.reply, "status", "Accepted")
    await ctx.station.wait_accepted(ctx.settings.timeout)
    after = ctx.frames.index(boot.request)
    for cid in (0, *ctx.station.connector_ids()):
        await exchange(ctx, "StatusNotification", step=None, since=after, connectorId=cid)
    return boot


async def authorized(
    ctx: CaseRun,
    *,
    step: int | None = None,
    id_tag: str | None = None,
    connector: int | None = None,
) -> Exchange:
    """Reusable State Authorized (Table 193): Authorize.req with the valid idTag.

    Step 2: Authorize.conf idTagInfo.status Accepted.
    """
    tag = id_tag or ctx.settings.valid_id_token
    cid = connector or connector_of(ctx)
    since = ctx.mark()
    ctx.station.present_id(tag, cid)
    authorize = await exchange(ctx, "Authorize", step=step, since=since, idTag=tag)
    ctx.require(step, "Authorize.conf", authorize.reply, "idTagInfo.status", "Accepted")
    return authorize


@dataclass(frozen=True, slots=True)
class Charging:
    """What the Charging state leaves behind: the transaction and its start."""

    connector: int
    transaction_id: int | None
    start: Exchange


async def charging(
    ctx: CaseRun,
    *,
    step: int | None = None,
    id_tag: str | None = None,
    connector: int | None = None,
    authorize: bool = True,
) -> Charging:
    """Reusable State Charging (Table 194): Authorized, then Preparing, StartTransaction, Charging.

    The driver presents the card before plugging in (the station shows Preparing while
    it waits for the cable), then plugs in. Step 4: StartTransaction.conf
    idTagInfo.status Accepted. StartTransaction and StatusNotification(Charging) may
    come in either order (1.6 document §1.2).
    """
    tag = id_tag or ctx.settings.valid_id_token
    cid = connector or connector_of(ctx)
    since = ctx.mark()
    if authorize:
        await authorized(ctx, step=None, id_tag=tag, connector=cid)
        await status(ctx, "Preparing", since=since, connector=cid)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    start = await exchange(ctx, "StartTransaction", step=step, since=since, connectorId=cid)
    ctx.require(step, "StartTransaction.conf", start.reply, "idTagInfo.status", "Accepted")
    await status(ctx, "Charging", since=since, connector=cid)
    tx_id = start.reply.get("transactionId")
    return Charging(cid, tx_id if isinstance(tx_id, int) else None, start)


# ------------------------------------------------------------------ memory states (§2.26)
async def id_tag_cached(ctx: CaseRun, *, id_tag: str | None = None) -> None:
    """Memory State IdTagCached (Table 112): a whole session leaves the idTag in the cache.

    Charging, the driver presents the card again (StopTransaction, whose conf carries
    the idTagInfo the station caches, 1.6 §3.5.1), Finishing, then the cable is pulled
    (Available). AuthorizationCacheEnabled is true by default on the bench's station.
    """
    tag = id_tag or ctx.settings.valid_id_token
    session = await charging(ctx, id_tag=tag)
    cid = session.connector
    since = ctx.mark()
    ctx.station.present_id(tag, cid)
    stop = await exchange(ctx, "StopTransaction", step=None, since=since)
    ctx.require(None, "StopTransaction.conf", stop.reply, "idTagInfo.status", "Accepted")
    await status(ctx, "Finishing", since=since, connector=cid)
    since = ctx.mark()
    ctx.station.unplug(cid)
    await status(ctx, "Available", since=since, connector=cid)


async def write_settings(ctx: CaseRun, **values: str) -> None:
    """Configuration State(s): set the station's keys the way ChangeConfiguration would."""
    for name, value in values.items():
        outcome = await ctx.station.settings.write(name, value)
        if not outcome.ok:
            raise RuntimeError(
                f"the bench's station refused {name}={value}: {outcome.status} {outcome.reason}"
            )


# ------------------------------------------------------------------ the station's answers
async def station_answer(ctx: CaseRun, action: str, *, since: int) -> dict[str, Any]:
    """The station's answer (``.conf``) to the CSMS's ``action`` request after ``since``."""
    rec = await ctx.wait_frame(
        lambda r: (
            r.direction == "tx" and r.type in ("CALLRESULT", "CALLERROR") and r.action == action
        ),
        since=since,
        what=f"the station's {action}.conf",
    )
    return rec.payload if rec.type == "CALLRESULT" and isinstance(rec.payload, dict) else {}


async def station_answered(
    ctx: CaseRun, action: str, *, since: int, **fields: Any
) -> dict[str, Any]:
    """The station's ``action``.conf, which the case says carries ``fields``.

    When the Central System's request failed a check, a different answer follows from
    that failure, which then decides the case; otherwise a different answer is the
    bench's own failure (an error, never a verdict on the CSMS).
    """
    conf = await station_answer(ctx, action, since=since)
    if not _fields_match(conf, fields):
        if ctx.failed_checks:
            # The request was not the one the case asks for: that failure decides.
            raise StopCase(ctx.failed_checks[0].describe())
        raise RuntimeError(
            f"the bench's station answered {action} with {conf}, the case needs {fields}"
        )
    return conf


def answer_with(ctx: CaseRun, action: str, reply: dict[str, Any]) -> None:
    """The station answers ``action`` with ``reply``, as OCTT's scripted station does.

    For the cases about how the Central System handles a refusal (Rejected,
    NotSupported, Failed) that the bench's station would not give for the request
    the Central System chooses to send.
    """

    async def scripted(_request: dict[str, Any]) -> dict[str, Any]:
        return dict(reply)

    ctx.station.answer_with(action, scripted)


SOCKET_TEMPLATE = "ac-11kw"  # a socket outlet with a cable lock
TETHERED_TEMPLATE = "dc-50kw"  # a fixed (tethered) CCS cable: no lock to open


def with_cable(ctx: CaseRun, *, tethered: bool) -> None:
    """A station whose connector has a fixed cable (or a socket outlet with a lock).

    The run's template is kept when it already is of that kind; otherwise the case's
    station is built from one of the bench's templates that is. Call it before
    anything uses ``ctx.station``.
    """
    current = load_station_template(ctx.settings.station_template)
    if (current.cable_max_a is not None) != tethered:
        template = TETHERED_TEMPLATE if tethered else SOCKET_TEMPLATE
        ctx.settings = replace(ctx.settings, station_template=template)


def station_must(condition: bool, what: str) -> None:
    """A tool validation of the station's own message: failing it is the bench's fault."""
    if not condition:
        raise RuntimeError(f"the bench's station broke the case: {what}")


# ------------------------------------------------------------------ security profiles
def run_security_profile(ctx: CaseRun) -> int:
    """The security profile this run connects with (whitepaper §2): 3 TLS with a client
    certificate, 2 TLS with Basic auth, 1 Basic auth without TLS, 0 none."""
    s = ctx.settings
    if s.csms_url.startswith("wss://"):
        return 3 if s.cert_file else 2
    return 1 if s.password else 0


def needs_security_profile(ctx: CaseRun, *profiles: int) -> None:
    """Not applicable unless the run connects with one of ``profiles`` (the case's
    prerequisite "The Central System supports security profile ...")."""
    used = run_security_profile(ctx)
    if used not in profiles:
        wanted = " or ".join(str(p) for p in profiles)
        how = {
            1: "--password",
            2: "a wss:// URL with --password",
            3: "a wss:// URL with --cert and --key",
        }
        hints = ", ".join(how[p] for p in profiles)
        ctx.not_applicable(
            f"the case needs security profile {wanted} and the run connects with profile "
            f"{used} (connect with {hints})"
        )


class LinkWatch:
    """The station's connection going down and coming back (a reconnect the case asks for)."""

    def __init__(self, ctx: CaseRun) -> None:
        self.changes: list[tuple[str, str]] = []
        self._changed = asyncio.Event()
        self._stop = ctx.station.subscribe(self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, LinkChanged):
            self.changes.append((event.state, event.detail))
            self._changed.set()

    def _reconnected(self) -> bool:
        dropped = False
        for state, _detail in self.changes:
            if state != CONNECTED:
                dropped = True
            elif dropped:
                return True
        return False

    async def reconnected(self, timeout: float) -> bool:
        """True once the link went down and came up again, within ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout):
                for _ in range(10_000):
                    if self._reconnected():
                        return True
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return False
        return self._reconnected()

    def last_problem(self) -> str:
        """The last reason the link gave for being down, if any."""
        details = [d for state, d in self.changes if state != CONNECTED and d]
        return details[-1] if details else ""

    def close(self) -> None:
        self._stop()
