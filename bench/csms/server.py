"""The built-in CSMS: a WebSocket server, one ``OcppSession`` per station, a registry.

Version-neutral. Each connection's subprotocol picks a protocol module
(``v16`` or ``v201``) that supplies the handlers for the station-initiated
messages and the rules for CSMS-initiated ones. Framing, validation and the
message log are the shared ``OcppSession``'s job.

CSMS-initiated requests: ``call(station_id, action, payload)`` sends any of
either version; typed helpers build the payloads: the 1.6 ones are methods
(``csms.reset(...)``, from ``V16Commands``), the 2.0.1 ones live under
``csms.v201`` (``csms.v201.reset(...)``, ``V201Commands``) because many names
are the same with other fields. Multi-part 2.0.1 reports are read back with
``report(station_id, request_id)`` / ``wait_for_report``.

Behaviour before a station is accepted (1.6 §4.2), with
``pre_accept_policy="strict"`` (the default): the station may send
BootNotification, and whatever the CSMS asked for with TriggerMessage (2.0.1:
also every NotifyReport part of a GetBaseReport/GetReport, B01.FR.10); any
other request is answered with CALLERROR ``SecurityError``. 1.6 forbids the
station to send those requests but names no answer; 2.0.1 (B02.FR.09,
B03.FR.08) names SecurityError, and we use it for both versions. The
registration survives reconnects and restarts (it is in the database), so a
station that reconnects without rebooting, as 1.6 allows, stays accepted.
In the other direction ``call`` refuses what §4.2 forbids the CSMS to send
(``NotAllowed``) unless ``force=True``.

``config.faults`` (off by default) makes the CSMS misbehave on purpose, to show
conformance checks failing: ``faults.FaultInjector`` wraps every handler's reply
and every ``call``. ``control.ControlServer`` puts all of this behind HTTP.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from bench.csms import v16, v201
from bench.csms.certificates import CertificateAuthority
from bench.csms.config import REGISTRATION_STATUSES, ConfigError, CsmsConfig
from bench.csms.context import StationContext
from bench.csms.faults import FaultInjector
from bench.csms.files import FileServer
from bench.csms.limits import check_storable
from bench.csms.registry import (
    IncomingMessage,
    NotAllowed,
    StationInfo,
    StationState,
    UnknownStation,
    snapshot,
)
from bench.csms.report_store import Report
from bench.csms.storage import CsmsStore, MeterValueRow, StatusRow, Transaction
from bench.csms.v16_commands import V16Commands
from bench.csms.v201_commands import V201Commands
from bench.kernel.frames import FrameSink
from bench.model.events import Emitter
from bench.ocpp import schemas
from bench.ocpp.errors import ErrorKind, OcppError
from bench.ocpp.session import Handler, OcppSession, Reply
from bench.printable import printable
from bench.transport.server import OcppServer, serve_ocpp

log = logging.getLogger(__name__)

# subprotocol -> the module that speaks it (see v16's docstring for the shape).
PROTOCOLS: dict[str, ModuleType] = {v16.SUBPROTOCOL: v16, v201.SUBPROTOCOL: v201}

_STOP_TIMEOUT = 10.0  # s to wait for connection handlers to finish on stop()


@dataclass(slots=True, frozen=True)
class StationEvent:
    """Emitted on ``CentralSystem.events`` when a station connects, disconnects or sends a CALL."""

    station: str
    kind: str  # "connected" | "disconnected" | "message"
    message: IncomingMessage | None = None


@dataclass(slots=True, eq=False)
class _Connection:
    station_id: str
    link: Any
    subprotocol: str
    protocol: ModuleType
    session: OcppSession
    done: asyncio.Event = field(default_factory=asyncio.Event)


class CentralSystem(V16Commands):
    """An OCPP central system on 127.0.0.1 (by default), for demos, tests and the console."""

    def __init__(self, config: CsmsConfig | None = None, sink: FrameSink | None = None) -> None:
        self.config = config or CsmsConfig()
        self.sink = sink
        self.clock = self.config.clock
        self.events = Emitter()
        self.store: CsmsStore | None = None
        self._server: OcppServer | None = None
        self._connections: dict[str, _Connection] = {}
        self._states: dict[str, StationState] = {}
        self._seq = 0
        self._tick = asyncio.Event()  # replaced on every change; waiters wake on set()
        self._stopping = False
        self.files: FileServer | None = None  # config.files: the HTTP file server
        self.v201 = V201Commands(self)  # typed 2.0.1 requests: csms.v201.get_variables(...)
        # Deliberate misbehaviour (config.faults, read at every message; off when empty).
        self.faults = FaultInjector(lambda: self.config.faults, self.clock.wall)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> str:
        """Open the database, start listening; returns the ws:// URL."""
        if self._server is not None:
            raise RuntimeError("the CSMS is already running")
        for sub in self.config.subprotocols:
            if sub not in PROTOCOLS:
                raise ConfigError(f"subprotocol {sub!r} is not supported by the built-in CSMS")
        schemas.preload(*(PROTOCOLS[sub].VERSION for sub in self.config.subprotocols))
        self.store = CsmsStore(self.config.db_path)
        self.store.sessions.changes.subscribe(self.events.emit)  # SessionChanged, for views
        self._stopping = False
        self._attach_certificate_authority()
        try:
            self._server = await serve_ocpp(
                self._on_connection,
                host=self.config.host,
                port=self.config.port,
                subprotocols=self.config.subprotocols,
                ssl_context=self.config.ssl_context,
                basic_auth=self._check_password if self.config.basic_auth is not None else None,
                relaxed_ids=self.config.relaxed_station_ids,
                on_auth_failure=self._on_auth_failure,
                monotonic=self.clock.monotonic,  # password locks run on the CSMS's clock
                admit=self._admit,
            )
        except BaseException:
            self.store.close()
            self.store = None
            raise
        if self.config.files is not None:
            self.files = FileServer(self.config.files, host=self.config.host)
            try:
                await self.files.start()
            except BaseException:
                await self.stop()
                raise
        log.info("CSMS listening on %s", self._server.url)
        if self.config.faults:
            log.warning("fault injection is on: %s", ", ".join(map(str, self.config.faults)))
        return self._server.url

    def _attach_certificate_authority(self) -> None:
        # Every built-in CSMS can sign SignCertificate CSRs (whitepaper A02): its own
        # generated root unless one is configured.
        ca = self.config.certificate_authority
        if ca is False:  # explicitly without a CA: SignCertificate is Rejected (A02.FR.12)
            return
        if ca is None:
            ca = CertificateAuthority.generate(now=self.clock.now())
        ca.attach(self)

    async def stop(self) -> None:
        """Close every connection cleanly (WebSocket close), then stop listening."""
        server = self._server
        if server is None:
            return
        self._stopping = True
        ca = self.config.certificate_authority
        if ca:
            try:
                await ca.wait_idle(_STOP_TIMEOUT)
            except TimeoutError:
                log.warning("CertificateSigned deliveries still running at stop")
        connections = list(self._connections.values())
        for conn in connections:
            try:
                await conn.link.close()
            except Exception:  # a half-dead link must not keep the others open
                log.exception("%s: closing the link failed", conn.station_id)
        await server.close()
        if connections:
            await asyncio.wait_for(
                asyncio.gather(*(c.done.wait() for c in connections)), _STOP_TIMEOUT
            )
        self._server = None
        if self.files is not None:
            await self.files.stop()
            self.files = None
        if self.store is not None:
            self.store.close()
            self.store = None

    async def __aenter__(self) -> CentralSystem:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the CSMS is not running")
        return self._server.url

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the CSMS is not running")
        return self._server.port

    # ------------------------------------------------------------------ queries
    def connected_stations(self) -> list[str]:
        return sorted(self._connections)

    def station(self, station_id: str) -> StationInfo:
        """A snapshot of what the CSMS knows about ``station_id``."""
        store = self._require_store()
        state = self._states.get(station_id)
        if state is None:
            if store.station(station_id) is None:
                raise UnknownStation(f"station {station_id!r} is unknown to this CSMS")
            state = self._state(station_id)
        return snapshot(state, store.transactions(station_id, active=True))

    def transactions(self, station: str | None = None) -> list[Transaction]:
        return self._require_store().transactions(station)

    def meter_values(self, transaction_id: int) -> list[MeterValueRow]:
        return self._require_store().meter_values(transaction_id)

    def statuses(self, station: str) -> dict[int, StatusRow]:
        return self._require_store().statuses(station)

    def protocol_version(self, station_id: str) -> str | None:
        """The OCPP version ("1.6", "2.0.1") the station speaks now, None if not connected."""
        conn = self._connections.get(station_id)
        return conn.protocol.VERSION if conn is not None else None

    def report(self, station_id: str, request_id: int, kind: str = "NotifyReport") -> Report | None:
        """The parts of a multi-part report received so far (see ``Report.complete``).

        ``kind`` is the action that carries the parts: NotifyReport (B07/B08) by
        default; block handlers may keep others the same way.
        """
        return self._require_store().report(station_id, request_id, kind)

    def report_ids(self, station_id: str, kind: str = "NotifyReport") -> list[int]:
        return self._require_store().report_ids(station_id, kind)

    async def wait_for_report(
        self,
        station_id: str,
        request_id: int,
        timeout: float = 10.0,
        kind: str = "NotifyReport",
    ) -> Report:
        """Wait until every part of the report has arrived; raises ``TimeoutError``."""

        def done() -> Report | None:
            report = self._require_store().report(station_id, request_id, kind)
            return report if report is not None and report.complete else None

        return await self._wait_until(done, timeout)

    def set_boot_responses(self, station_id: str, statuses: list[str]) -> None:
        """Override the boot sequence for one station from its next BootNotification on."""
        for status in statuses:
            if status not in REGISTRATION_STATUSES:
                raise ConfigError(f"boot response {status!r} is not a registration status")
        if not statuses:
            raise ConfigError("at least one boot response is needed")
        state = self._state(station_id)
        state.boot_responses = list(statuses)
        state.boot_index = 0

    # ------------------------------------------------------------------ CSMS-initiated
    async def call(
        self,
        station_id: str,
        action: str,
        payload: dict[str, Any],
        timeout: float = 30.0,
        *,
        force: bool = False,
    ) -> dict[str, Any]:
        """Send ``action`` to a connected station and return its reply payload.

        Raises ``UnknownStation`` if it is not connected, ``NotAllowed`` if 1.6 §4.2
        forbids the request in the station's registration state (unless ``force``),
        and whatever ``OcppSession.call`` raises (``CallError``, ``CallTimeout``,
        ``InvalidOutgoing``, ``InvalidReply``, ``LinkClosed``).
        """
        conn = self._connections.get(station_id)
        if conn is None:
            raise UnknownStation(f"station {station_id!r} is not connected")
        state = self._state(station_id)
        if not force:
            why = conn.protocol.outgoing_refusal(state.registration, action)
            if why is not None:
                raise NotAllowed(why)
        split = getattr(conn.protocol, "split_request", None)
        parts = split(state, action, payload) if split is not None else None
        if parts is not None:
            # B05.FR.11, B06.FR.05: no more items per request than the station reported.
            replies = [await self.call(station_id, action, p, timeout, force=force) for p in parts]
            return conn.protocol.merge_replies(action, replies)  # type: ignore[no-any-return]
        # Injected faults may hold the request (order) or break it (request, drop); a
        # broken one goes out unvalidated. The CSMS's own bookkeeping keeps the intended one.
        sent, broken = await self.faults.outgoing(station_id, action, payload, timeout)
        conn = self._connections.get(station_id)  # it may have reconnected while held
        if conn is None:
            raise UnknownStation(f"station {station_id!r} is not connected")
        opened = conn.protocol.expected_trigger(action, payload)
        if opened is not None:
            state.triggered.add(opened)
        try:
            reply = await conn.session.call(
                action, sent, timeout=timeout, validate=False if broken else None
            )
        except BaseException:
            if opened is not None:
                state.triggered.discard(opened)
            raise
        finally:
            self.faults.answered(station_id, action)
        if opened is not None and reply.get("status") != "Accepted":
            state.triggered.discard(opened)
        conn.protocol.note_reply(state, action, payload, reply, self._require_store())
        if action in ("ChangeConfiguration", "SetVariables") and self.config.basic_auth is not None:
            changed = getattr(conn.protocol, "new_password", None)
            password = changed(payload, reply) if changed is not None else None
            if password is not None:
                # A01.FR.03: the station took the new password; the old one is no longer
                # accepted. (A01.FR.04: a refusal leaves the old one in force.)
                self.config.basic_auth[station_id] = password
        return reply

    # ------------------------------------------------------------------ waiting (tests)
    def mark(self) -> int:
        """A position in the message stream; pass it as ``since`` to ignore older messages."""
        return self._seq

    async def wait_for_message(
        self,
        station_id: str,
        action: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int | None = None,
    ) -> dict[str, Any]:
        """The payload of the oldest CALL ``action`` from the station not yet returned here.

        Messages that arrived before this call count (so a test cannot miss one
        that raced ahead of it) unless they are older than ``since``; each message
        is returned at most once. Raises ``TimeoutError``.
        """
        msg = await self.wait_for_exchange(station_id, action, predicate, timeout, since=since)
        return msg.payload

    async def wait_for_exchange(
        self,
        station_id: str,
        action: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int | None = None,
    ) -> IncomingMessage:
        """Like ``wait_for_message`` but returns the whole exchange, with our reply."""
        floor = since if since is not None else 0

        def find() -> IncomingMessage | None:
            state = self._states.get(station_id)
            if state is None:
                return None
            for msg in state.history:
                if msg.consumed or msg.seq <= floor or msg.action != action:
                    continue
                if predicate is None or predicate(msg.payload):
                    msg.consumed = True
                    return msg
            return None

        return await self._wait_until(find, timeout)

    async def wait_for_station(
        self, station_id: str, timeout: float = 10.0, *, accepted: bool = False
    ) -> StationInfo:
        """Wait until the station is connected (and, with ``accepted``, registered)."""

        def ready() -> StationInfo | None:
            state = self._states.get(station_id)
            if state is None or station_id not in self._connections:
                return None
            if accepted and state.registration != "Accepted":
                return None
            return self.station(station_id)

        return await self._wait_until(ready, timeout)

    async def wait_for_disconnect(self, station_id: str, timeout: float = 10.0) -> None:
        await self._wait_until(
            lambda: True if station_id not in self._connections else None, timeout
        )

    async def _wait_until(self, check: Callable[[], Any], timeout: float) -> Any:
        async with asyncio.timeout(timeout):
            while True:  # each pass waits for a change; bounded by the timeout
                result = check()
                if result is not None:
                    return result
                await self._tick.wait()

    def _notify(self) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    # ------------------------------------------------------------------ connections
    def _state(self, station_id: str) -> StationState:
        state = self._states.get(station_id)
        if state is None:
            state = StationState(station_id)
            record = self._require_store().station(station_id)
            if record is not None:
                state.registration = record.registration
                state.boot = record.boot_payload
            self._states[station_id] = state
        return state

    def _on_auth_failure(self, station_id: str, address: str, failures: int) -> None:
        # Kept as a security event of the CSMS (whitepaper §2.3); the first failure and
        # then every tenth are logged, so a guessing run cannot flood the terminal.
        self._require_store().add_event(
            station_id,
            self.clock.now().isoformat(),
            "InvalidBasicAuthCredentials",
            {"address": address, "failures": failures},
        )
        if failures == 1 or failures % 10 == 0:
            log.warning(
                "refused Basic auth for %s from %s (%d failures)",
                printable(station_id),
                address,
                failures,
            )

    def _check_password(self, station_id: str, password: str) -> bool:
        expected = (self.config.basic_auth or {}).get(station_id)
        if expected is None:
            return False
        return hmac.compare_digest(expected.encode(), password.encode())

    def _admit(self, station_id: str, profile: int) -> str | None:
        """A05.FR.07: once a station connected with a security profile, no lower one."""
        state = self._state(station_id)
        if profile < state.security_floor:
            return (
                f"security profile {profile} refused: this station already connected "
                f"with security profile {state.security_floor} (A05.FR.07)"
            )
        state.security_floor = profile
        return None

    def _timestamp(self) -> float:
        return self.clock.now().timestamp()

    async def _on_connection(self, station_id: str, link: Any, subprotocol: str) -> None:
        protocol = PROTOCOLS.get(subprotocol)
        if protocol is None or self._stopping:
            await link.close()
            return
        store = self._require_store()
        state = self._state(station_id)
        ctx = StationContext(state, store, self.config)
        handlers = {
            action: self._guarded(state, protocol, action, handler)
            for action, handler in protocol.handlers(ctx).items()
        }
        session = OcppSession(
            link,
            version=protocol.VERSION,
            station_id=station_id,
            handlers=handlers,
            sink=self.sink,
            timestamp=self._timestamp,
        )
        conn = _Connection(station_id, link, subprotocol, protocol, session)
        old = self._connections.get(station_id)
        self._connections[station_id] = conn
        store.touch_station(station_id, ctx.now_iso())
        state.connected = True
        state.subprotocol = subprotocol
        if old is not None:
            # The same identity connected again (e.g. after a network glitch the old
            # socket is half-open): the newest connection wins.
            log.info("%s: new connection replaces the old one", station_id)
            await old.link.close()
        self.events.emit(StationEvent(station_id, "connected"))
        self._notify()
        try:
            await session.serve()
        finally:
            if self._connections.get(station_id) is conn:
                del self._connections[station_id]
                state.connected = False
                self.events.emit(StationEvent(station_id, "disconnected"))
            conn.done.set()
            self._notify()

    def _guarded(
        self, state: StationState, protocol: ModuleType, action: str, handler: Handler
    ) -> Handler:
        """Wrap a handler: registration check (1.6 §4.2), history, change notification."""

        async def run(payload: dict[str, Any]) -> dict[str, Any] | Reply:
            self._seq += 1
            msg = IncomingMessage(self._seq, state.id, action, payload, self.clock.now())
            try:
                self._check_registration(state, protocol, action, payload)
                check_storable(protocol.VERSION, payload)
                result = await self.faults.answer(state.id, action, handler, payload)
                msg.reply = result.payload if isinstance(result, Reply) else result
                return result
            except OcppError as exc:
                msg.error = exc.kind.value
                raise
            except Exception as exc:
                msg.error = f"InternalError: {type(exc).__name__}"
                raise
            finally:
                state.history.append(msg)
                self.events.emit(StationEvent(state.id, "message", msg))
                self._notify()

        return run

    def _check_registration(
        self, state: StationState, protocol: ModuleType, action: str, payload: dict[str, Any]
    ) -> None:
        if self.config.pre_accept_policy == "lenient" or action in protocol.ALWAYS_ALLOWED:
            return
        if state.registration == "Accepted":
            return
        # A protocol may let several messages through one request (2.0.1: every
        # NotifyReport part, B01.FR.10); otherwise a trigger admits one message.
        consume = getattr(protocol, "consume_trigger", None)
        if consume is not None:
            if consume(state, action, payload):
                return
        elif action in state.triggered:
            state.triggered.discard(action)
            return
        shown = state.registration or "unknown (no BootNotification seen)"
        rule = "B01.FR.10" if protocol.VERSION == "2.0.1" else "1.6 §4.2"
        raise OcppError(
            ErrorKind.SECURITY_ERROR,
            f"station is not accepted (registration {shown}); only BootNotification "
            f"and triggered messages are allowed ({rule})",
        )

    def _require_store(self) -> CsmsStore:
        if self.store is None:
            raise RuntimeError("the CSMS is not running (call start() first)")
        return self.store
