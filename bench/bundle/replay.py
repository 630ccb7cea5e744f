"""Replay the station side of a bundle against a CSMS and say where its answers changed.

The station's recorded CALLs go out in order, spaced as recorded divided by
``speed``; each is sent only once the CSMS requests recorded before it have come
(so a StartTransaction still follows the RemoteStartTransaction that caused
it), or a wait of ``wait`` seconds has passed and the missing request is a
difference. Fields that change on every run are handled as ``bench.bundle.compare``
describes: ids the CSMS assigns now are carried into later frames, ``timestamp``
fields move to today.

A recording that lost its connection and came back (the charger leg's LINK
"closed" rows of a session recorded through the proxy) replays with a reconnect
at the same point: between the same two station requests, once the CSMS requests
recorded before it have come, the link is closed and a fresh one opened.

Requests the CSMS sends are answered with the recorded reply of the first
recorded request of the same action not yet used; a request the recording
never saw is a difference and gets CALLERROR NotSupported.

Every difference is collected in the ``ReplayReport``; nothing stops the replay
but a closed link.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.bundle.compare import Difference, IdMap, compare_payloads, shift_timestamps
from bench.bundle.format import Bundle
from bench.kernel.frames import FrameRecord
from bench.model.clock import Clock
from bench.ocpp import schemas
from bench.ocpp.errors import CallError, CallTimeout, ErrorKind, LinkClosed, OcppError
from bench.ocpp.session import NoReply, OcppSession
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError
from bench.transport.websocket import open_link

log = logging.getLogger(__name__)

_SUBPROTOCOL = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
# The codes of either version's spelling (1.6 keeps two misspellings on the wire).
_KINDS: dict[str, ErrorKind] = {kind.value: kind for kind in ErrorKind} | {
    "FormationViolation": ErrorKind.FORMAT_VIOLATION,
    "OccurenceConstraintViolation": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
}


class ReplayError(Exception):
    """The bundle cannot be replayed at all (no version, no station CALL)."""


@dataclass(slots=True)
class ReplayOptions:
    csms_url: str
    station_id: str | None = None  # None: the bundle's station
    speed: float = 1.0  # recorded gaps are divided by this
    tolerance_s: float = 2.0  # a reply this much slower or faster than recorded differs
    call_timeout: float = 30.0
    wait: float = 30.0  # how long a recorded CSMS request is waited for
    password: str | None = None
    ca_file: str | None = None


@dataclass(slots=True)
class ReplayReport:
    station: str
    calls: int = 0  # station CALLs sent
    answered: int = 0  # CSMS requests answered from the recording
    reconnects: int = 0  # connections closed and opened again, as recorded
    differences: list[Difference] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        n = len(self.differences)
        verdict = "no differences" if not n else f"{n} difference{'s' if n > 1 else ''}"
        over = f" over {self.reconnects + 1} connections" if self.reconnects else ""
        return (
            f"replayed {self.calls} station requests and answered {self.answered} CSMS "
            f"requests for {self.station}{over}: {verdict}"
        )


class _Frames:
    """The replay's own log sink: the latency of each reply, by message id."""

    def __init__(self) -> None:
        self.last_call_id: str | None = None
        self.replies: dict[str, FrameRecord] = {}

    def record(self, rec: FrameRecord) -> None:
        if rec.direction == "tx" and rec.type == "CALL":
            self.last_call_id = rec.id
        elif rec.direction == "rx" and rec.type in ("CALLRESULT", "CALLERROR") and rec.id:
            self.replies[rec.id] = rec


@dataclass(slots=True)
class _Exchange:
    index: int  # position in the bundle's frames (1-based in messages)
    request: FrameRecord
    reply: FrameRecord | None


def _without_retried(calls: list[_Exchange]) -> list[_Exchange]:
    """The station's requests less those that went unanswered and were sent again.

    A station that lost its link sends a transaction message again once it is back
    (1.6 §3.7, 2.0.1 E13): the first try, with no reply in the
    recording, never reached the CSMS or was not answered, so only the retry is played.
    """
    kept: list[_Exchange] = []
    for n, exchange in enumerate(calls):
        request = exchange.request
        if exchange.reply is None and any(
            later.request.action == request.action and later.request.payload == request.payload
            for later in calls[n + 1 :]
        ):
            continue
        kept.append(exchange)
    return kept


class Replay:
    """One replay of ``bundle``; ``run()`` once."""

    def __init__(
        self,
        bundle: Bundle,
        options: ReplayOptions,
        clock: Clock,
        open_link_fn: Callable[[LinkConfig], Awaitable[Any]] = open_link,
    ) -> None:
        if bundle.ocpp not in _SUBPROTOCOL:
            raise ReplayError(f"the bundle of {bundle.station} names no OCPP version to replay")
        self.bundle = bundle
        self.version: str = bundle.ocpp
        self.options = options
        self.clock = clock
        self._open_link = open_link_fn
        self.report = ReplayReport(options.station_id or bundle.station)
        self.ids = IdMap()
        self._frames = _Frames()
        replies = {
            (rec.id, rec.direction): rec
            for rec in bundle.frames
            if rec.type in ("CALLRESULT", "CALLERROR")
        }
        # The station's requests (answered by the CSMS: rx replies) and the CSMS's
        # (answered by the station: tx replies), each in recorded order.
        self.calls: list[_Exchange] = []
        self.requests: list[_Exchange] = []
        for index, rec in enumerate(bundle.frames, 1):
            if rec.type != "CALL" or not isinstance(rec.action, str):
                continue
            if rec.direction == "tx":
                self.calls.append(_Exchange(index, rec, replies.get((rec.id, "rx"))))
            elif rec.direction == "rx":
                self.requests.append(_Exchange(index, rec, replies.get((rec.id, "tx"))))
        self.calls = _without_retried(self.calls)
        # Where the station's connection ended in the recording (a station-side log, or
        # the proxy's charger leg: bench.bundle.sides keeps that leg only).
        self.drops: list[int] = [
            index
            for index, rec in enumerate(bundle.frames, 1)
            if rec.type == "LINK"
            and isinstance(rec.payload, dict)
            and rec.payload.get("event") == "closed"
        ]
        if not self.calls:
            raise ReplayError(f"the bundle of {bundle.station} holds no request of the station")
        self._used: set[int] = set()  # indexes of recorded CSMS requests met (or given up)
        self._arrived = asyncio.Event()

    # ------------------------------------------------------------ the run
    async def run(self) -> ReplayReport:
        """Connect, replay, disconnect. ``LinkError`` when the CSMS cannot be reached."""
        config = LinkConfig(
            url=self.options.csms_url,
            station_id=self.report.station,
            subprotocol=_SUBPROTOCOL[self.version],
            password=self.options.password,
            ca_file=self.options.ca_file,
        )
        self._config = config
        self._link = await self._open_link(config)
        session = OcppSession(
            self._link,
            version=self.version,
            station_id=self.report.station,
            handlers={action: self._handler(action) for action in schemas.actions(self.version)},
            sink=self._frames,
            timestamp=lambda: self.clock.now().timestamp(),
            call_timeout=self.options.call_timeout,
            # Frames go out as recorded, valid or not; replies are checked here instead,
            # so an invalid answer is a difference with its payload, not an exception.
            validate=False,
        )
        self._reader = asyncio.create_task(
            session.serve(), name=f"replay {self.report.station} reader"
        )
        try:
            await self._play(session)
            await self._wait_for_requests(len(self.bundle.frames) + 1)
        finally:
            await self._link.close()
            await asyncio.wait_for(self._reader, 10.0)
        return self.report

    async def _reconnect(self, session: OcppSession, at: int) -> bool:
        """Close the link and open a fresh one, as the recording did at frame ``at``.

        False (and a difference) when the CSMS cannot be reached again.
        """
        await self._wait_for_requests(at)
        await self._link.close()
        await asyncio.wait_for(self._reader, 10.0)
        try:
            self._link = await self._open_link(self._config)
        except LinkError as exc:
            self._differ(f"frame {at}: reconnect", "(connection)", "opened again", str(exc))
            return False
        session.reopen(self._link)
        self._reader = asyncio.create_task(
            session.serve(), name=f"replay {self.report.station} reader"
        )
        self.report.reconnects += 1
        return True

    async def _play(self, session: OcppSession) -> None:
        loop = asyncio.get_running_loop()
        first = self.calls[0].request.ts
        started = loop.time()
        recorded_start = datetime.fromtimestamp(self.bundle.frames[0].ts, UTC)
        shift = self.clock.now() - recorded_start
        drops = list(self.drops)
        for number, exchange in enumerate(self.calls):
            while drops and drops[0] < exchange.index:
                at = drops.pop(0)
                if at < self.calls[0].index:
                    continue  # a connection that ended before the first request: not played
                # At its recorded time, as the requests are paced.
                recorded = self.bundle.frames[at - 1].ts
                delay = started + max(0.0, recorded - first) / self.options.speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if not await self._reconnect(session, at):
                    return
            await self._wait_for_requests(exchange.index)
            due = started + max(0.0, exchange.request.ts - first) / self.options.speed
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            request = exchange.request
            assert isinstance(request.action, str)  # only CALLs with an action are kept
            payload = shift_timestamps(self.ids.apply(request.payload), shift)
            where = f"frame {exchange.index}: {request.action} reply"
            try:
                reply: Any = await session.call(request.action, payload, validate=False)
            except CallError as exc:
                reply = exc
            except CallTimeout:
                reply = None
            except LinkClosed:
                left = len(self.calls) - number
                self._differ(where, "(connection)", "open", f"closed; {left} requests not sent")
                return
            self.report.calls += 1
            self._compare_reply(exchange, reply, where)

    async def _wait_for_requests(self, before: int) -> None:
        """Wait until each recorded CSMS request before frame ``before`` has come."""
        wanted = {e.index for e in self.requests if e.index < before}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.wait
        while not wanted <= self._used:
            self._arrived.clear()
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                break
        for exchange in self.requests:
            if exchange.index in wanted and exchange.index not in self._used:
                self._used.add(exchange.index)  # said once, not waited for again
                self._differ(
                    f"frame {exchange.index}: {exchange.request.action} from the CSMS",
                    "(request)",
                    "sent",
                    f"not sent within {self.options.wait:g} s",
                )

    # ------------------------------------------------------------ comparing
    def _compare_reply(self, exchange: _Exchange, reply: Any, where: str) -> None:
        recorded = exchange.reply
        now_kind = (
            "no reply"
            if reply is None
            else ("CALLERROR " + reply.code if isinstance(reply, CallError) else "CALLRESULT")
        )
        was_kind = "no reply" if recorded is None else recorded.type
        if recorded is not None and recorded.type == "CALLERROR":
            was_kind = f"CALLERROR {recorded.error}"
        if was_kind != now_kind:
            self._differ(where, "(reply)", was_kind, now_kind)
            return
        if recorded is None or reply is None or isinstance(reply, CallError):
            return
        self.report.differences += compare_payloads(recorded.payload, reply, where, self.ids)
        assert isinstance(exchange.request.action, str)
        try:
            schemas.validate(self.version, exchange.request.action, reply, response=True)
        except schemas.SchemaViolation as exc:
            if recorded.valid is not False:
                self._differ(where, "(schema)", "valid", f"invalid: {exc.message}")
        self._compare_latency(recorded, where)

    def _compare_latency(self, recorded: FrameRecord, where: str) -> None:
        call_id = self._frames.last_call_id
        now = self._frames.replies.get(call_id) if call_id else None
        if now is None or now.latency_ms is None or recorded.latency_ms is None:
            return
        if abs(now.latency_ms - recorded.latency_ms) > self.options.tolerance_s * 1000:
            self._differ(
                where,
                "(latency)",
                f"{recorded.latency_ms / 1000:.2f} s",
                f"{now.latency_ms / 1000:.2f} s (tolerance {self.options.tolerance_s:g} s)",
            )

    def _differ(self, where: str, field_name: str, recorded: str, now: str) -> None:
        self.report.differences.append(Difference(where, field_name, recorded, now))

    # ------------------------------------------------------------ the CSMS's requests
    def _handler(self, action: str) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
        async def handle(payload: dict[str, Any]) -> dict[str, Any]:
            return self._answer(action, payload)

        return handle

    def _answer(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        exchange = next(
            (e for e in self.requests if e.request.action == action and e.index not in self._used),
            None,
        )
        if exchange is None:
            self._differ(f"{action} from the CSMS", "(request)", "not sent", "sent")
            raise OcppError(ErrorKind.NOT_SUPPORTED, "the recording has no answer to this")
        self._used.add(exchange.index)
        self._arrived.set()
        self.report.answered += 1
        where = f"frame {exchange.index}: {action} from the CSMS"
        self.report.differences += compare_payloads(
            exchange.request.payload, payload, where, self.ids
        )
        reply = exchange.reply
        if reply is None:
            raise NoReply  # the station did not answer in the recording either
        if reply.type == "CALLERROR":
            code = str(reply.error or "")
            body = reply.payload if isinstance(reply.payload, dict) else {}
            raise OcppError(
                _KINDS.get(code, ErrorKind.GENERIC_ERROR), str(body.get("errorDescription", ""))
            )
        answer: dict[str, Any] = self.ids.apply(reply.payload)
        return answer
