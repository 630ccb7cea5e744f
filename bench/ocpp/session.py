"""One OCPP-J RPC session over a link: CALL/CALLRESULT/CALLERROR framing.

Used by both sides (charge point and the built-in CSMS), for both versions.
Every frame in either direction is validated against its schema and recorded
in the message log with its verdict (ARCHITECTURE rule 4). A request and its
reply are handled in one place: ``reply = await session.call(action, payload)``.

Incoming CALLs are dispatched inline, in arrival order, to handlers that must
not wait for the peer (that would deadlock the read loop). A handler that has
follow-up work to do *after* its reply is on the wire (e.g. 1.6 §5.11: the
RemoteStartTransaction.conf precedes StartTransaction.req) returns
``Reply(payload, then=callback)``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from bench.kernel.frames import FrameRecord, FrameSink
from bench.model.clock import LOOP_TIMERS, Timers
from bench.ocpp import schemas
from bench.ocpp.errors import (
    CallError,
    CallTimeout,
    ErrorKind,
    InvalidOutgoing,
    InvalidReply,
    LinkClosed,
    OcppError,
    code_for,
)
from bench.ocpp.fifo_lock import FifoLock
from bench.ocpp.frame_bounds import (
    LOGGED_PREFIX_CHARS,
    MAX_DEPTH,
    MAX_FRAME_CHARS,
    read_head,
    too_deep,
)
from bench.ocpp.log import CALL, CALLERROR, CALLRESULT

log = logging.getLogger(__name__)


class Link(Protocol):
    """A bidirectional text-message link (WebSocket or in-memory)."""

    async def send(self, text: str) -> None: ...

    async def recv(self) -> str | bytes:
        """Next message (bytes for a binary frame, which ``feed`` refuses); raises
        ``LinkClosed`` once the link is closed."""

    async def close(self) -> None: ...


@dataclass(slots=True)
class Reply:
    payload: dict[str, Any]
    then: Callable[[], None] | None = None
    # A deliberately broken reply (the built-in CSMS's fault injection): it goes out
    # even when it fails its schema, logged as invalid.
    deliberate: bool = False


Handler = Callable[[dict[str, Any]], Awaitable["dict[str, Any] | Reply"]]


class NoReply(Exception):
    """Raised by a handler that deliberately leaves a request unanswered (a conformance
    case whose CSMS does not respond): the request stays logged, nothing goes back."""


# A CALL's message id must differ from every id the sender used before under the same
# station identity, on any connection, and fit 36 characters (1.6-J §4.1.4 as amended
# by its errata, 2.0.1 part 4 §4.1.4): a random prefix per process and a counter
# are, at a tenth of the cost of a uuid4 per CALL (issue 15); the prefix keeps the ids
# of a restarted process new.
_ID_PREFIX = uuid.uuid4().hex[:12]
_ID_COUNTER = itertools.count(1)


def _next_message_id() -> str:
    return f"{_ID_PREFIX}-{next(_ID_COUNTER)}"


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


class _Expired(Exception):
    """The call timeout passed before the reply came (set on the pending future)."""


class _Pending:
    __slots__ = ("action", "future", "id", "started")

    def __init__(self, msg_id: str, action: str, future: asyncio.Future, started: float):
        self.id = msg_id
        self.action = action
        self.future = future
        self.started = started

    def expire(self) -> None:
        if not self.future.done():
            self.future.set_exception(_Expired())


class OcppSession:
    """The RPC layer of one connection, as seen from one side."""

    __slots__ = (
        "_call_lock",
        "_closed",
        "_pending",
        "answer_calls",
        "call_timeout",
        "handlers",
        "link",
        "on_unhandled_error",
        "refuse_unanswered",
        "sink",
        "station_id",
        "timers",
        "timestamp",
        "validate",
        "version",
    )

    def __init__(
        self,
        link: Link,
        *,
        version: str,
        station_id: str,
        handlers: Mapping[str, Handler],
        sink: FrameSink | None = None,
        timestamp: Callable[[], float] = time.time,
        call_timeout: float = 30.0,
        validate: bool = True,
        timers: Timers = LOOP_TIMERS,
    ) -> None:
        self.link = link
        self.version = version
        self.station_id = station_id
        self.handlers = handlers
        self.sink = sink
        self.timestamp = timestamp
        self.call_timeout = call_timeout
        # What counts the call timeout: a wait on the peer, so a charge point passes its
        # clock's wall timers (real seconds on a system clock: a real CSMS does not reply
        # faster at speed 60; a manual clock's own seconds, so a test decides when a call
        # times out). The built-in CSMS keeps the event loop's real seconds.
        self.timers = timers
        self.validate = validate
        self._call_lock = FifoLock()  # no deque kept after the boot's contention
        self._pending: _Pending | None = None
        self._closed = False
        self.on_unhandled_error: Callable[[BaseException], None] | None = None
        # False while a 1.6 charge point is Rejected: it SHALL NOT respond (1.6 §4.2).
        self.answer_calls = True
        # What a request gets while answer_calls is off: silence (1.6 §4.2, a Rejected
        # charge point does not answer) or CALLERROR SecurityError (2.0.1 B03.FR.08).
        self.refuse_unanswered = False

    # ------------------------------------------------------------------ calls out
    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout: float | None = None,
        validate: bool | None = None,
    ) -> dict[str, Any]:
        """Send a CALL and return the CALLRESULT payload.

        Raises ``CallError`` for a CALLERROR, ``CallTimeout``, ``InvalidReply``
        when the reply fails its schema, ``LinkClosed`` when the link drops.
        OCPP-J allows one outstanding CALL per direction (1.6-J §4.1.1), so
        concurrent callers queue here.
        """
        check = self.validate if validate is None else validate
        verdict: bool | None = True if check else None
        problem: str | None = None
        if check:
            try:
                schemas.validate_own(self.version, action, payload, response=False)
            except schemas.SchemaViolation as exc:
                raise InvalidOutgoing(f"{action}: {exc.message}") from None
        elif self.validate:
            # Sent unchecked on purpose (a conformance case's malformed request): the
            # log still says whether it meets its schema, and why not.
            try:
                schemas.validate_own(self.version, action, payload, response=False)
                verdict = True
            except schemas.SchemaViolation as exc:
                verdict, problem = False, exc.message
        async with self._call_lock:
            if self._closed:
                raise LinkClosed("session closed")
            msg_id = _next_message_id()
            raw = _dumps([CALL, msg_id, action, payload])
            loop = asyncio.get_running_loop()
            pending = _Pending(msg_id, action, loop.create_future(), time.perf_counter())
            self._pending = pending
            try:
                self._record("tx", "CALL", msg_id, action, payload, verdict, error=problem, raw=raw)
                await self.link.send(raw)
                wait = self.call_timeout if timeout is None else timeout
                timer = self.timers.call_later(wait, pending.expire)
                try:
                    return await pending.future
                except _Expired:
                    raise CallTimeout(f"{action}: no reply within {wait:g} s") from None
                finally:
                    timer.cancel()
            finally:
                self._pending = None
                fut = pending.future
                if fut.done() and not fut.cancelled():
                    fut.exception()  # retrieved: a close racing a cancel is not an error

    # ------------------------------------------------------------------ frames in
    async def serve(self) -> None:
        """Read and handle frames until the link closes; then fail any pending call."""
        try:
            while True:
                text = await self.link.recv()
                try:
                    await self.feed(text)
                except (LinkClosed, asyncio.CancelledError):
                    raise
                except Exception:
                    # A bench bug in one frame's handling must not end the session:
                    # the peer keeps being served (issue 11, hostile peers).
                    log.exception("%s: handling one incoming frame failed", self.station_id)
        except LinkClosed:
            pass
        finally:
            self.close_pending()

    @property
    def awaiting_reply(self) -> bool:
        """Whether a call of ours is out (or queued behind one) and its reply not in yet."""
        return self._pending is not None or self._call_lock.locked()

    def close_pending(self) -> None:
        self._closed = True
        pending = self._pending
        if pending is not None and not pending.future.done():
            pending.future.set_exception(LinkClosed("link closed before the reply"))

    def reopen(self, link: Link) -> None:
        """Continue on a new link (after a reconnect)."""
        self.link = link
        self._closed = False

    async def feed(self, text: str | bytes) -> None:
        """Handle one incoming frame."""
        if isinstance(text, bytes):
            # OCPP-J uses text frames only (1.6-J §4, 2.0.1-J §4.1.1): a binary frame is
            # logged and refused, with the message id when its bytes let us read one.
            shown = text[:LOGGED_PREFIX_CHARS].decode("utf-8", "backslashreplace")
            await self._reject_malformed(
                shown, "binary WebSocket frame: OCPP-J allows text frames only", msg_id=shown
            )
            return
        if len(text) > MAX_FRAME_CHARS:
            await self._reject_malformed(
                text[:LOGGED_PREFIX_CHARS] + "…",
                f"frame of {len(text)} characters exceeds the limit of {MAX_FRAME_CHARS}",
                msg_id=text[:200],
                kind=ErrorKind.FORMAT_VIOLATION,
            )
            return
        try:
            frame = orjson.loads(text)
        except orjson.JSONDecodeError:
            await self._reject_malformed(text, "not valid JSON")
            return
        if too_deep(text, frame):
            # Only the head of the frame is logged: the parsed payload is what broke
            # the log's serialiser before these bounds existed.
            await self._reject_malformed(
                text[:LOGGED_PREFIX_CHARS],
                f"payload nested deeper than {MAX_DEPTH} levels",
                msg_id=text[:200],
                kind=ErrorKind.FORMAT_VIOLATION,
            )
            return
        if not isinstance(frame, list) or len(frame) < 3 or not isinstance(frame[1], str):
            await self._reject_malformed(text, "not an OCPP-J message array", frame)
            return
        kind = frame[0]
        if kind == CALL and len(frame) == 4:
            await self._on_call(frame[1], frame[2], frame[3], text)
        elif kind == CALLRESULT and len(frame) == 3:
            self._on_result(frame[1], frame[2], text)
            await self._let_caller_act(self.link)
        elif kind == CALLERROR and len(frame) in (4, 5):
            details = frame[4] if len(frame) == 5 else {}
            self._on_error(frame[1], frame[2], frame[3], details, text)
            await self._let_caller_act(self.link)
        elif kind in (CALL, CALLRESULT, CALLERROR):
            await self._reject_malformed(text, "wrong number of elements", frame)
        else:
            self._record(
                "rx",
                "MALFORMED",
                frame[1],
                None,
                text,
                False,
                error=f"unknown message type {kind!r}",
                raw=text,
            )
            await self._send_error(
                frame[1],
                None,
                ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED,
                f"message type {kind!r} is not supported",
            )

    async def _reject_malformed(
        self,
        text: str,
        why: str,
        frame: Any = None,
        *,
        msg_id: str | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        """Log a frame that cannot be handled and answer it with a CALLERROR.

        ``msg_id``: the start of the raw text, for frames that were not parsed (or
        must not be trusted), to read a CALL's message id from.
        """
        # OCPP 2.0.1-J §4.2.3: when even the message id cannot be read, answer with "-1".
        if msg_id is not None:
            head = read_head(msg_id)
            if head is not None and head[0] in (CALLRESULT, CALLERROR):
                self._malformed_reply(head[1], text, why)
                return
            msg_id = head[1] if head is not None else "-1"
        else:
            msg_id = "-1"
        if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str):
            msg_id = frame[1]
        if isinstance(frame, list) and frame and frame[0] in (CALLRESULT, CALLERROR):
            self._malformed_reply(msg_id, text, why)
            return
        self._record("rx", "MALFORMED", msg_id, None, text, False, error=why, raw=text)
        if kind is None:
            kind = (
                ErrorKind.FORMAT_VIOLATION
                if self.version == "1.6"
                else ErrorKind.RPC_FRAMEWORK_ERROR
            )
        await self._send_error(msg_id, None, kind, why)

    def _malformed_reply(self, msg_id: str, text: str, why: str) -> None:
        """Log a reply that cannot be read; fail the pending call it answers, if any.

        A reply is never answered with an error. One that carries the pending
        call's id is that call's answer, unreadable: the caller gets InvalidReply
        now, as for a reply that fails its schema, instead of waiting out the call
        timeout with the CALL slot blocked (part 4 §4.1.1: the CALL was responded to).
        """
        pending = self._pending
        matched = pending is not None and pending.id == msg_id and not pending.future.done()
        action = pending.action if matched and pending is not None else None
        self._record("rx", "MALFORMED", msg_id, action, text, False, error=why, raw=text)
        if matched and pending is not None:
            pending.future.set_exception(InvalidReply(pending.action, why, None))

    async def _on_call(self, msg_id: str, action: Any, payload: Any, raw: str) -> None:
        started = time.perf_counter()
        if not isinstance(action, str):
            self._record(
                "rx", "CALL", msg_id, None, payload, False, error="action is not a string", raw=raw
            )
            # Not a valid RPC request: 2.0.1 has RpcFrameworkError for that (part 4 §4.3;
            # its FormatViolation is about the payload); 1.6 only FormationViolation.
            kind = (
                ErrorKind.FORMAT_VIOLATION
                if self.version == "1.6"
                else ErrorKind.RPC_FRAMEWORK_ERROR
            )
            await self._send_error(msg_id, None, kind, "action must be a string")
            return
        handler = self.handlers.get(action)
        if action not in schemas.actions(self.version):
            self._record(
                "rx", "CALL", msg_id, action, payload, False, error="unknown action", raw=raw
            )
            await self._send_error(
                msg_id,
                action,
                ErrorKind.NOT_IMPLEMENTED,
                f"{action} is not an OCPP {self.version} action",
            )
            return
        if self.validate:
            try:
                schemas.validate(self.version, action, payload, response=False)
            except schemas.SchemaViolation as exc:
                self._record(
                    "rx", "CALL", msg_id, action, payload, False, error=exc.message, raw=raw
                )
                await self._send_error(msg_id, action, exc.kind, exc.message)
                return
        self._record(
            "rx", "CALL", msg_id, action, payload, True if self.validate else None, raw=raw
        )
        if not self.answer_calls:
            log.info("%s: %s refused: registration Rejected", self.station_id, action)
            if self.refuse_unanswered:
                await self._send_error(
                    msg_id,
                    action,
                    ErrorKind.SECURITY_ERROR,
                    "the CSMS rejected this station's BootNotification",
                )
            return
        if handler is None:
            await self._send_error(
                msg_id,
                action,
                ErrorKind.NOT_SUPPORTED,
                f"{action} is not supported by this endpoint",
            )
            return
        try:
            result = await handler(payload)
        except NoReply:
            log.info("%s: %s left unanswered on purpose", self.station_id, action)
            return
        except OcppError as exc:
            await self._send_error(msg_id, action, exc.kind, exc.description, exc.details)
            return
        except Exception as exc:  # a bench bug: answer per spec, log loudly, keep running
            log.exception("%s: handler for %s failed", self.station_id, action)
            await self._send_error(
                msg_id, action, ErrorKind.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"[:200]
            )
            if self.on_unhandled_error is not None:
                self.on_unhandled_error(exc)
            return
        then, deliberate = None, False
        if isinstance(result, Reply):
            then, deliberate, result = result.then, result.deliberate, result.payload
        valid: bool | None = None
        invalid: str | None = None
        if self.validate:
            try:
                schemas.validate_own(self.version, action, result, response=True)
                valid = True
            except schemas.SchemaViolation as exc:
                valid, invalid = False, exc.message
        if invalid is not None and not deliberate:
            log.error("%s: our %s reply is invalid: %s", self.station_id, action, invalid)
            await self._send_error(
                msg_id,
                action,
                ErrorKind.INTERNAL_ERROR,
                f"reply failed its schema: {invalid}"[:200],
            )
            return
        raw_out = _dumps([CALLRESULT, msg_id, result])
        self._record(
            "tx",
            "CALLRESULT",
            msg_id,
            action,
            result,
            valid,
            error=invalid,
            latency_ms=(time.perf_counter() - started) * 1000,
            raw=raw_out,
        )
        await self._send(raw_out)
        if then is not None:
            then()

    def _on_result(self, msg_id: str, payload: Any, raw: str) -> None:
        pending = self._pending
        if pending is None or pending.id != msg_id or pending.future.done():
            # 1.6-J §4.1.2: a reply we did not ask for is ignored (but logged).
            self._record(
                "rx",
                "CALLRESULT",
                msg_id,
                None,
                payload,
                None,
                error="unexpected reply: no CALL with this id is pending",
                raw=raw,
            )
            return
        latency = (time.perf_counter() - pending.started) * 1000
        if self.validate:
            try:
                schemas.validate(self.version, pending.action, payload, response=True)
            except schemas.SchemaViolation as exc:
                self._record(
                    "rx",
                    "CALLRESULT",
                    msg_id,
                    pending.action,
                    payload,
                    False,
                    error=exc.message,
                    latency_ms=latency,
                    raw=raw,
                )
                pending.future.set_exception(InvalidReply(pending.action, exc.message, payload))
                return
        self._record(
            "rx",
            "CALLRESULT",
            msg_id,
            pending.action,
            payload,
            True if self.validate else None,
            latency_ms=latency,
            raw=raw,
        )
        pending.future.set_result(payload)

    @staticmethod
    async def _let_caller_act(link: Link) -> None:
        """Frames are handled in the order they arrive: the caller of the request this
        reply answers runs on before the next frame (a request right behind it) is
        handled. B03.FR.08: a station Rejected by a BootNotificationResponse refuses the
        request that follows it. The caller's wake-up is queued already, so unless the
        next frame is already here the ``recv`` that waits for it lets the caller run
        first, and the extra loop turn is saved (one per exchange: issue 15)."""
        waiting = getattr(link, "frames_waiting", None)
        if waiting is None or waiting():
            await asyncio.sleep(0)

    def _on_error(self, msg_id: str, code: Any, description: Any, details: Any, raw: str) -> None:
        pending = self._pending
        if pending is not None and (pending.id != msg_id or pending.future.done()):
            pending = None  # an error reply to no CALL of ours that is still waiting
        matched = pending is not None
        body = {"errorCode": code, "errorDescription": description, "errorDetails": details}
        latency = (time.perf_counter() - pending.started) * 1000 if pending is not None else None
        well_formed = (
            isinstance(code, str) and isinstance(description, str) and isinstance(details, dict)
        )
        self._record(
            "rx",
            "CALLERROR",
            msg_id,
            pending.action if pending is not None else None,
            body,
            well_formed,
            error=str(code) if matched else f"unexpected error reply {code}",
            latency_ms=latency,
            raw=raw,
        )
        if pending is not None:
            pending.future.set_exception(
                CallError(
                    pending.action,
                    str(code),
                    str(description),
                    details if isinstance(details, dict) else {},
                )
            )

    async def _send_error(
        self,
        msg_id: str,
        action: str | None,
        kind: ErrorKind,
        description: str,
        details: dict | None = None,
    ) -> None:
        code = code_for(kind, self.version)
        body = [CALLERROR, msg_id, code, description[:255], details or {}]
        raw = _dumps(body)
        self._record(
            "tx",
            "CALLERROR",
            msg_id,
            action,
            {"errorCode": code, "errorDescription": body[3], "errorDetails": body[4]},
            True,
            error=code,
            raw=raw,
        )
        await self._send(raw)

    async def _send(self, raw: str) -> None:
        try:
            await self.link.send(raw)
        except LinkClosed:
            log.info("%s: link closed while replying", self.station_id)

    def _record(
        self,
        direction: str,
        type_: str,
        msg_id: str | None,
        action: str | None,
        payload: Any,
        valid: bool | None,
        *,
        error: str | None = None,
        latency_ms: float | None = None,
        raw: str | None = None,
    ) -> None:
        sink = self.sink
        if sink is None:
            return
        try:
            sink.record(
                FrameRecord(
                    self.timestamp(),
                    self.station_id,
                    direction,
                    type_,
                    msg_id,
                    action,
                    payload,
                    valid,
                    error,
                    latency_ms,
                    raw,
                )
            )
        except Exception:
            # Logging a frame must never stop the session from answering it; the sink
            # reports its own failures (a full disk raises its fault there).
            log.exception("%s: the message log refused a frame", self.station_id)
