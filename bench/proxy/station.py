"""One proxied station: the charger's leg, the CSMS's leg and the frames between them.

Each leg is a duck-typed link (``send(text)``, ``recv()``, ``close()``, the contract
of ``bench.transport.websocket.WebSocketLink``), so a wrapper can stand on either
leg (the network faults of issue 17 part 2): ``ProxyServer(wrap_leg=...)`` puts one
there as a station connects, and the pumps read ``Leg.link`` afresh for every frame.
The websockets connection under a leg is kept beside it only to drop TCP the way an
outage does.

Directions are the charger's, as in a station's own log: ``tx`` travels toward the
CSMS, ``rx`` toward the charger. Every frame is logged on the leg it was seen on
(``leg`` = "charger" or "csms"): a forwarded frame twice, once per leg, so each
leg's latency and what a rule changed are both on record. Rule applications
(``type`` RULE) and leg events (``type`` LINK) are rows of the same log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from bench.kernel.frames import FrameRecord, FrameSink
from bench.kernel.link_errors import LinkClosed
from bench.model.clock import Clock
from bench.printable import printable
from bench.proxy.frames import Exchange, Exchanges, ParsedFrame, judge, parse_frame, version_of
from bench.proxy.observed import ObservedStation
from bench.proxy.rules import TO_CHARGER, TO_CSMS, Rule, RuleBook, RuleError, set_path

__all__ = ["CHARGER", "CSMS", "Held", "Leg", "ProxiedStation"]

log = logging.getLogger(__name__)

CHARGER, CSMS = "charger", "csms"
_DIRECTION = {TO_CSMS: "tx", TO_CHARGER: "rx"}
_OTHER = {TO_CSMS: TO_CHARGER, TO_CHARGER: TO_CSMS}
# RFC 6455 §7.4.1: codes that say how a connection ended but are never sent; a leg
# that ended so is mirrored by dropping TCP on the other leg.
_UNSENDABLE = {1005, 1006, 1015}
ABNORMAL = 1006


class Link(Protocol):
    async def send(self, text: str) -> None: ...
    async def recv(self) -> str | bytes: ...
    async def close(self, code: int = ..., reason: str = ...) -> None: ...


@dataclass(slots=True)
class Leg:
    name: str  # CHARGER or CSMS
    link: Link
    drop: Callable[[], None]  # end the TCP connection without a closing handshake


@dataclass(slots=True)
class Held:
    """A frame a ``hold`` rule parked until someone releases it."""

    number: int
    frame: ParsedFrame
    toward: str
    rule: str


class ProxiedStation:
    """The two legs of one charger and what passes between them."""

    def __init__(
        self,
        station_id: str,
        charger: Leg,
        csms: Leg,
        subprotocol: str | None,
        *,
        rules: RuleBook,
        sink: FrameSink,
        clock: Clock,
    ) -> None:
        self.station_id = station_id
        self.legs = {TO_CSMS: csms, TO_CHARGER: charger}  # the leg a frame goes out on
        self.subprotocol = subprotocol
        self.version = version_of(subprotocol)
        self.rules = rules
        self.sink = sink
        self.clock = clock
        # CALLs travelling each way that wait for a reply from the other side.
        self._calls = {TO_CSMS: Exchanges(), TO_CHARGER: Exchanges()}
        self._local: dict[str, asyncio.Future[ParsedFrame]] = {}
        self._delayed: set[asyncio.Task[None]] = set()
        self._tasks: asyncio.TaskGroup | None = None
        self._closed: set[str] = set()
        self._numbers = 0
        self.held: list[Held] = []
        self.ended = asyncio.Event()
        # Connector cards and graphs of a charger the bench only sees through its frames.
        self.observed = ObservedStation(station_id)

    # ------------------------------------------------------------------ running
    async def run(self) -> None:
        """Pass frames both ways until either leg ends; then the other ends too."""
        self._link_row(CHARGER, "open", subprotocol=self.subprotocol)
        self._link_row(CSMS, "open", subprotocol=self.subprotocol)
        try:
            async with asyncio.TaskGroup() as tasks:
                self._tasks = tasks
                tasks.create_task(self._pump(TO_CSMS))
                tasks.create_task(self._pump(TO_CHARGER))
        finally:
            self._tasks = None
            for future in self._local.values():
                if not future.done():
                    future.set_exception(LinkClosed(f"{self.station_id}: the proxy leg closed"))
            self._local.clear()
            self.ended.set()

    async def stop(self, code: int = 1001, reason: str = "proxy stopping") -> None:
        """Close both legs (1001 going away) and wait for the pumps to end."""
        for leg in self.legs.values():
            await leg.link.close(code, reason)
        await self.ended.wait()

    async def _pump(self, toward: str) -> None:
        source = self.legs[_OTHER[toward]]
        while True:
            try:
                text = await source.link.recv()
            except LinkClosed as exc:
                await self._leg_ended(source, toward, exc)
                return
            await self._on_frame(text, toward)

    async def _leg_ended(self, source: Leg, toward: str, exc: LinkClosed) -> None:
        """Mirror the end of ``source`` on the other leg, so each side sees what happened.

        A CSMS that vanished closes the charger's leg the same way (a dropped TCP
        connection for a crash, the CSMS's close code otherwise), so the charger's
        offline behaviour is what gets exercised; a charger that left closes the
        CSMS's leg likewise, and its reconnect opens a fresh one.
        """
        code = getattr(exc, "code", ABNORMAL)
        reason = getattr(exc, "reason", "")
        if source.name not in self._closed:
            self._closed.add(source.name)
            self._link_row(source.name, "closed", code=code, reason=reason)
            log.info("%s: %s leg ended: %s", printable(self.station_id), source.name, exc)
        for task in list(self._delayed):
            task.cancel()
        other = self.legs[toward]
        if other.name in self._closed:
            return
        if code in _UNSENDABLE:
            other.drop()
        else:
            await other.link.close(code, reason)

    # ------------------------------------------------------------------ frames
    async def _on_frame(self, text: str | bytes, toward: str) -> None:
        now = self.clock.monotonic()
        frame = parse_frame(text)
        source = self.legs[_OTHER[toward]].name
        latency = None
        exchange = None
        if frame.is_call and frame.msg_id is not None and frame.action is not None:
            self._calls[toward].opened(frame.msg_id, Exchange(frame.action, now))
        elif frame.is_reply:
            exchange = self._calls[_OTHER[toward]].get(frame.msg_id)
            if exchange is not None:
                frame.action = exchange.action
                if exchange.forwarded is not None:
                    latency = (now - exchange.forwarded) * 1000
        judge(frame, self.version)
        self._frame_row(source, toward, frame, latency)
        if exchange is not None and exchange.local:
            # The reply to the bench's own CALL (the console): it stays here.
            self._calls[_OTHER[toward]].closed(frame.msg_id)
            future = self._local.pop(frame.msg_id or "", None)
            if future is not None and not future.done():
                future.set_result(frame)
            return
        rule = self.rules.first_match(frame, toward)
        if rule is None:
            await self._forward(frame, toward)
        else:
            await self._apply(rule, frame, toward)

    async def _forward(self, frame: ParsedFrame, toward: str) -> None:
        """Hand ``frame`` to the leg toward ``toward``, and return without waiting for it.

        Each frame gets its own send task, started in arrival order, so the pump reads
        the next frame at once: under a latency fault on the leg, frames that arrive
        together overlap their delays (frame N+1's starts when it arrives, not when
        frame N has left) while the leg's wrapper keeps their order (its FIFO send;
        ``bench.transport.impair.ImpairedLink``).
        """
        if self._tasks is None:  # not running (a release after the legs ended)
            await self._send(frame, toward)
            return
        self._tasks.create_task(self._send(frame, toward))

    async def _send(self, frame: ParsedFrame, toward: str) -> None:
        leg = self.legs[toward]
        try:
            await leg.link.send(frame.text)  # type: ignore[arg-type]
        except LinkClosed as exc:
            log.info(
                "%s: %s %s not forwarded, the %s leg is closed: %s",
                printable(self.station_id),
                frame.type,
                frame.action,
                leg.name,
                exc,
            )
            return
        now = self.clock.monotonic()
        latency = None
        if frame.is_call:
            exchange = self._calls[toward].get(frame.msg_id)
            if exchange is not None:
                exchange.forwarded = now
        elif frame.is_reply:
            exchange = self._calls[_OTHER[toward]].closed(frame.msg_id)
            if exchange is not None:
                latency = (now - exchange.received) * 1000
        self._frame_row(leg.name, toward, frame, latency)

    async def _apply(self, rule: Rule, frame: ParsedFrame, toward: str) -> None:
        then = rule.then
        if then == "drop":
            self._rule_row(rule, frame, toward)
        elif then == "duplicate":
            self._rule_row(rule, frame, toward)
            await self._forward(frame, toward)
            await self._forward(frame, toward)
        elif then == "delay":
            self._rule_row(rule, frame, toward, seconds=rule.seconds)
            if self._tasks is not None:
                task = self._tasks.create_task(self._forward_later(rule.seconds, frame, toward))
                self._delayed.add(task)
                task.add_done_callback(self._delayed.discard)
        elif then == "replace":
            await self._replace(rule, frame, toward)
        elif then == "answer":
            self._rule_row(rule, frame, toward)
            await self._answer(rule, frame, toward)
        else:  # hold
            self._numbers += 1
            self.held.append(Held(self._numbers, frame, toward, rule.label))
            self._rule_row(rule, frame, toward, held=self._numbers)

    async def _forward_later(self, seconds: float, frame: ParsedFrame, toward: str) -> None:
        await self.clock.sleep(seconds)
        await self._forward(frame, toward)

    async def _replace(self, rule: Rule, frame: ParsedFrame, toward: str) -> None:
        array = frame.array()
        if frame.type == "MALFORMED" or not isinstance(frame.payload, dict):
            self._rule_row(rule, frame, toward, failed="the frame has no payload object")
            await self._forward(frame, toward)
            return
        payload = orjson.loads(orjson.dumps(frame.payload))  # a copy the rule may change
        try:
            for path, value in rule.set.items():
                set_path(payload, path, value)
        except RuleError as exc:
            self._rule_row(rule, frame, toward, failed=str(exc))
            await self._forward(frame, toward)
            return
        array[-1 if frame.type != "CALLERROR" else 4] = payload
        changed = ParsedFrame(
            orjson.dumps(array).decode(), frame.type, frame.msg_id, frame.action, payload
        )
        judge(changed, self.version)
        self._rule_row(rule, frame, toward, set=rule.set)
        await self._forward(changed, toward)

    async def _answer(self, rule: Rule, frame: ParsedFrame, toward: str) -> None:
        """Reply to a CALL on the leg it came from, as the other side would have."""
        back = _OTHER[toward]
        leg = self.legs[back]
        if rule.error is not None:
            error = rule.error
            details = error.get("details", {})
            array: list[Any] = [
                4,
                frame.msg_id,
                error["code"],
                str(error.get("description", "")),
                details,
            ]
            reply = ParsedFrame(
                orjson.dumps(array).decode(),
                "CALLERROR",
                frame.msg_id,
                frame.action,
                {
                    "errorCode": error["code"],
                    "errorDescription": array[3],
                    "errorDetails": details,
                },
            )
        else:
            array = [3, frame.msg_id, rule.result]
            reply = ParsedFrame(
                orjson.dumps(array).decode(), "CALLRESULT", frame.msg_id, frame.action, rule.result
            )
        judge(reply, self.version)
        exchange = self._calls[toward].closed(frame.msg_id)
        try:
            await leg.link.send(reply.text)  # type: ignore[arg-type]
        except LinkClosed as exc:
            log.info("%s: local answer not sent: %s", printable(self.station_id), exc)
            return
        latency = None
        if exchange is not None:
            latency = (self.clock.monotonic() - exchange.received) * 1000
        self._frame_row(leg.name, back, reply, latency)

    # ------------------------------------------------------------------ by hand
    async def release(self, number: int | None = None) -> int:
        """Forward the held frame ``number`` (every held frame with None); how many went."""
        chosen = [h for h in self.held if number is None or h.number == number]
        if number is not None and not chosen:
            raise KeyError(f"no held frame {number} at {self.station_id}")
        for item in chosen:
            self.held.remove(item)
            await self._forward(item.frame, item.toward)
        return len(chosen)

    async def call(
        self, toward: str, action: str, payload: dict[str, Any], timeout: float = 30.0
    ) -> ParsedFrame:
        """Send a CALL of the bench's own to one side; its reply (the console).

        ``toward`` TO_CHARGER speaks to the charger as if from the CSMS, TO_CSMS to
        the CSMS as if from the charger. The reply is logged and not forwarded.
        """
        if toward not in _OTHER:
            raise ValueError(f"toward must be {TO_CSMS!r} or {TO_CHARGER!r}")
        self._numbers += 1
        msg_id = f"bench-{self._numbers}"
        frame = ParsedFrame(
            orjson.dumps([2, msg_id, action, payload]).decode(), "CALL", msg_id, action, payload
        )
        judge(frame, self.version)
        now = self.clock.monotonic()
        self._calls[toward].opened(msg_id, Exchange(action, now, forwarded=now, local=True))
        future: asyncio.Future[ParsedFrame] = asyncio.get_running_loop().create_future()
        self._local[msg_id] = future
        leg = self.legs[toward]
        try:
            await leg.link.send(frame.text)  # type: ignore[arg-type]
            self._frame_row(leg.name, toward, frame, None)
            return await asyncio.wait_for(future, timeout)
        finally:
            self._local.pop(msg_id, None)
            self._calls[toward].closed(msg_id)

    # ------------------------------------------------------------------ the log
    def link_event(self, leg: str, event: str, **detail: Any) -> None:
        """A row about one leg in the message log (its network faults changed, say)."""
        self._link_row(leg, event, **detail)

    def _frame_row(
        self, leg: str, toward: str, frame: ParsedFrame, latency_ms: float | None
    ) -> None:
        raw = frame.text if isinstance(frame.text, str) else None
        self._record(
            FrameRecord(
                self.clock.now().timestamp(),
                self.station_id,
                _DIRECTION[toward],
                frame.type,
                frame.msg_id,
                frame.action,
                frame.payload,
                frame.valid,
                frame.error,
                latency_ms,
                raw,
                leg,
            )
        )

    def _rule_row(self, rule: Rule, frame: ParsedFrame, toward: str, **detail: Any) -> None:
        source = self.legs[_OTHER[toward]].name
        payload = {"rule": rule.label, "then": rule.then, **detail}
        if rule.then == "answer":
            payload["answer"] = rule.result if rule.result is not None else rule.error
        self._record(
            FrameRecord(
                self.clock.now().timestamp(),
                self.station_id,
                _DIRECTION[toward],
                "RULE",
                frame.msg_id,
                frame.action,
                payload,
                None,
                detail.get("failed"),
                leg=source,
            )
        )

    def _link_row(self, leg: str, event: str, **detail: Any) -> None:
        # A leg event reads as coming from that leg's side: the charger's "tx", the CSMS's "rx".
        direction = "tx" if leg == CHARGER else "rx"
        self._record(
            FrameRecord(
                self.clock.now().timestamp(),
                self.station_id,
                direction,
                "LINK",
                None,
                None,
                {"event": event, **detail},
                None,
                leg=leg,
            )
        )

    def _record(self, rec: FrameRecord) -> None:
        try:
            self.observed.record(rec)
            self.sink.record(rec)
        except Exception:
            # Logging must not stop frames passing; the sink reports its own failures.
            log.exception("%s: the message log refused a frame", printable(self.station_id))
