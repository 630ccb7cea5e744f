"""The station's side of the 2.0.1 blocks N (diagnostics) and O (display messages).

The bench's station answers the CSMS's requests with its real handlers and sends
its own reports (NotifyMonitoringReport, LogStatusNotification,
NotifyCustomerInformation, NotifyDisplayMessages), so a case mostly waits for
those and judges the CSMS's replies. Two tools cover what the station would not
do on its own in the state a case describes:

- ``scripted_reply``: while it is open, one action is answered with the reply
  the case's OCTT station gives (``ChargePointApi.answer_with``), where the
  bench's station, configured as it ships, would answer otherwise (it supports
  every message priority, so it never says NotSupportedPriority).
- ``expect_station``: where the station's real answer depends on what the CSMS
  sent (the monitor id it clears, the location it uploads to), the case goes on
  only when the answer is the one the case needs; otherwise it is inconclusive,
  with the reason, since the case could not be played as written.

``UploadSink`` is an upload location on 127.0.0.1 for log files (N01), offered to
the operator in the instructions; it can hold uploads open so a second GetLogRequest
arrives while the first one is still uploading (TC_N_36_CSMS).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bench.conformance import states, states_v201
from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.expect import Expectation, field_at, shown
from bench.kernel.frames import FrameRecord

MAX_PARTS = 100  # report parts (tbc) one request may bring before the case gives up


# --------------------------------------------------------------------------- §3.1
async def configure(ctx: CaseRun, *values: tuple[str, str]) -> None:
    """§3.1's general pre-conditions (once), then ``values`` (``Component/Variable``),
    written before the station starts (``states_v201.configure``)."""
    await states_v201.configure(ctx, dict(values))


async def booted(ctx: CaseRun, *values: tuple[str, str]) -> None:
    """§3.1's configuration (and ``values``), then Reusable State Booted."""
    await configure(ctx, *values)
    await states.booted(ctx)


# --------------------------------------------------------------------------- frames
def is_call(rec: FrameRecord, direction: str, action: str) -> bool:
    return rec.direction == direction and rec.type == "CALL" and rec.action == action


async def station_reply(ctx: CaseRun, action: str, *, since: int) -> FrameRecord:
    """The station's reply (CALLRESULT or CALLERROR) to the CSMS's next ``action``."""
    return await ctx.wait_frame(
        lambda r: (
            r.direction == "tx" and r.type in ("CALLRESULT", "CALLERROR") and r.action == action
        ),
        since=since,
        what=f"the station's {action}Response",
    )


def expect_station(ctx: CaseRun, rec: FrameRecord, path: str, expected: Any, why: str) -> None:
    """The case goes on only if the station answered ``path`` = ``expected``.

    Not a check of the CSMS: the station's real answer followed from what the CSMS
    sent, and an answer other than the case's means the case was not played.
    """
    actual = field_at(rec.payload, path) if rec.type == "CALLRESULT" else None
    if actual != expected:
        got = shown(actual) if rec.type == "CALLRESULT" else f"CALLERROR {rec.error}"
        raise Inconclusive(
            f"the station answered {rec.action} with {path} {got}, not {shown(expected)} "
            f"as the case needs: {why}"
        )


def reply_accepted(ctx: CaseRun, step: int | None, message: str, rec: FrameRecord) -> bool:
    """The CSMS answered the station's request with a CALLRESULT valid against its schema."""
    if rec.type != "CALLRESULT":
        return ctx.check_that(
            step,
            message,
            "(message type)",
            False,
            "CALLRESULT",
            f"{rec.type} {rec.error or ''}".strip(),
        )
    return ctx.check_that(
        step,
        message,
        "(schema)",
        rec.valid is not False,
        "valid against the OCPP schema",
        rec.error or "valid",
    )


def empty_body(ctx: CaseRun, step: int | None, message: str, rec: FrameRecord) -> bool:
    """The reply carries nothing (customData, which every message may carry, aside)."""
    if rec.type != "CALLRESULT":
        return False
    body = rec.payload if isinstance(rec.payload, dict) else {}
    extra = {k: v for k, v in body.items() if k != "customData"}
    return ctx.check_that(step, message, "(body)", not extra, "empty", shown(extra))


async def csms_call(
    ctx: CaseRun, action: str, *, step: int | None, since: int, timeout: float | None = None
) -> FrameRecord:
    """The CSMS's next ``action`` request as a frame; its schema verdict is a check
    (recorded when it passes too: some cases validate nothing else)."""
    rec = await ctx.wait_frame(
        lambda r: is_call(r, "rx", action),
        since=since,
        what=f"the CSMS's {action}Request",
        timeout=timeout,
    )
    ctx.check_that(
        step,
        f"{action}Request",
        "(schema)",
        rec.valid is not False,
        "valid against the OCPP schema",
        rec.error or "valid",
    )
    return rec


async def csms_answer(ctx: CaseRun, request: FrameRecord) -> FrameRecord:
    """The CSMS's reply to the station's ``request`` frame (matched by message id)."""
    return await ctx.wait_frame(
        lambda r: r.direction == "rx" and r.id == request.id and r.type != "CALL",
        since=ctx.frames.index(request) + 1,
        what=f"the CSMS's reply to the station's {request.action}",
    )


async def reports_answered(
    ctx: CaseRun,
    action: str,
    *,
    since: int,
    step: int | None,
    request_id: Any = None,
) -> list[tuple[FrameRecord, FrameRecord]]:
    """The station's ``action`` parts (until one without tbc) and the CSMS's reply to each.

    ``request_id``: only parts of that request count. Each reply must be a valid
    CALLRESULT (the case's "CSMS responds with ...Response" step).
    """
    pairs: list[tuple[FrameRecord, FrameRecord]] = []
    for _ in range(MAX_PARTS):
        sent = await ctx.wait_frame(
            lambda r: (
                is_call(r, "tx", action)
                and (request_id is None or field_at(r.payload, "requestId") == request_id)
            ),
            since=since,
            what=f"the station's {action}Request",
        )
        reply = await csms_answer(ctx, sent)
        reply_accepted(ctx, step, f"{action}Response", reply)
        pairs.append((sent, reply))
        since = ctx.frames.index(sent) + 1
        if field_at(sent.payload, "tbc") is not True:
            return pairs
    raise Inconclusive(f"the station sent more than {MAX_PARTS} {action} parts")


# --------------------------------------------------------------------------- scripted replies
@contextmanager
def scripted_reply(
    ctx: CaseRun, action: str, answer: Callable[[dict[str, Any]], dict[str, Any]]
) -> Iterator[None]:
    """While open, the station answers ``action`` with ``answer(request)``.

    Close it only after the station's reply went out (``station_reply``): the
    handler is looked up when the request arrives, after the case saw the frame.
    """

    async def handler(request: dict[str, Any]) -> dict[str, Any]:
        return answer(request)

    restore = ctx.station.answer_with(action, handler)
    try:
        yield
    finally:
        restore()


def now_iso(ctx: CaseRun) -> str:
    """The station's clock now, as the station writes timestamps."""
    return ctx.station.clock.now().isoformat(timespec="seconds").replace("+00:00", "Z")


def transaction_id(ctx: CaseRun) -> str:
    """The id of the transaction the station reported last (its TransactionEvents)."""
    for rec in reversed(ctx.frames):
        if is_call(rec, "tx", "TransactionEvent"):
            found = field_at(rec.payload, "transactionInfo.transactionId")
            if isinstance(found, str):
                return found
    raise Inconclusive("the station has reported no transaction")


# --------------------------------------------------------------------------- expectations
def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def same_instant(text: str) -> Expectation:
    """A date-time naming the same instant as ``text`` (any ISO 8601 spelling, with zone)."""
    want = _instant(text)
    return Expectation(lambda v: want is not None and _instant(v) == want, f"the instant {text}")


def component_variable(
    component: str, variable: str, evse: int | None = None
) -> Callable[[Any], bool]:
    """Matches a ComponentVariableType (or SetMonitoringDataType) naming that variable."""

    def test(item: Any) -> bool:
        return (
            field_at(item, "component.name") == component
            and field_at(item, "variable.name") == variable
            and (evse is None or field_at(item, "component.evse.id") == evse)
        )

    return test


def cv(component: str, variable: str, evse: int | None = None) -> dict[str, Any]:
    """A ComponentVariableType: the component (on ``evse``) and the variable."""
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    return {"component": comp, "variable": {"name": variable}}


def named(component: str, variable: str, evse: int | None = None) -> str:
    where = f"{component} (EVSE {evse})" if evse is not None else component
    return f"{where}.{variable}"


# --------------------------------------------------------------------------- uploads
@dataclass(frozen=True, slots=True)
class Upload:
    method: str
    path: str
    size: int


class UploadSink:
    """An HTTP upload location on 127.0.0.1 (PUT or POST of any path) for log files.

    With ``hold``, uploads wait for their answer until ``release`` (or the end), so
    the station stays in Uploading meanwhile.
    """

    def __init__(self, *, hold: bool = False) -> None:
        self.uploads: list[Upload] = []
        self._release = asyncio.Event()
        if not hold:
            self._release.set()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> UploadSink:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._receive)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        port = int(runner.addresses[0][1])
        self.url = f"http://127.0.0.1:{port}/logs/"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._release.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        if request.method not in ("PUT", "POST"):
            return web.Response(status=405)
        body = await request.read()
        self.uploads.append(Upload(request.method, request.path, len(body)))
        await self._release.wait()
        return web.Response(status=201)

    def release(self) -> None:
        """Answer the held uploads and every later one at once."""
        self._release.set()
