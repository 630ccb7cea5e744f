"""The bench listening as a CSMS for one charging station under test.

A conformance run against a charger lasts many cases, and a real charger stays
connected from one case to the next, so the endpoint lives for the whole run: it
accepts the station under test (its identity, the run's OCPP version, HTTP Basic
credentials when a password is set, TLS when a certificate is given), refuses any
other identity with HTTP 403, and keeps the newest connection as *the* session.

Frames go to ``sink`` (the case running now); the station's requests are answered
by ``answer`` (the case's own answer where it set one, else ``DefaultAnswers``).
Connections and disconnections are kept as ``LinkEvent``s for the cases that
check them (a reboot, a reconnect, a station that must close the connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import inspect
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.conformance.charger.answers import STATION_REQUESTS, DefaultAnswers
from bench.kernel.frames import FrameRecord, FrameSink
from bench.ocpp.errors import LinkClosed
from bench.ocpp.flag import Flag
from bench.ocpp.session import Handler, OcppSession, Reply
from bench.transport.server import OcppServer, serve_ocpp

log = logging.getLogger(__name__)

SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}

# A case's own answer to one action: the reply payload (or ``Reply``), or it raises
# ``NoReply`` (leave the request unanswered) or an ``OcppError`` (a CALLERROR).
# A case's answer may also be a coroutine: the bench holds its reply until the case lets it go.
CaseAnswer = Callable[
    [dict[str, Any]], "dict[str, Any] | Reply | Awaitable[dict[str, Any] | Reply]"
]


@dataclass(frozen=True, slots=True)
class LinkEvent:
    at: float  # loop time
    kind: str  # "connected" | "disconnected" | "refused"
    subprotocol: str = ""
    security_profile: int = 0  # of the connection (0: plain, 1: Basic, 2: TLS+Basic, 3: mTLS)
    password: str | None = None  # the Basic auth password the station sent, if any
    # TLS as negotiated (wss only): version, suite, the station's offered suites the
    # endpoint also enables (OpenSSL's shared ciphers), its client certificate (DER).
    tls_version: str = ""
    cipher: str = ""
    offered_ciphers: tuple[str, ...] = ()
    client_certificate: bytes | None = None
    path: str = ""  # the URL path the station connected to (which network profile it used)


class Discard:
    def record(self, rec: FrameRecord) -> None:
        pass


class CsmsEndpoint:
    """One station under test, one OCPP version, one listening socket."""

    def __init__(
        self,
        version: str,
        dut_id: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        password: str | None = None,
        heartbeat_interval: int = 60,
        accepted_tokens: Callable[[], frozenset[str]] = frozenset,
        call_timeout: float = 30.0,
    ) -> None:
        if version not in SUBPROTOCOLS:
            raise ValueError(f"OCPP {version} is not supported; use 1.6 or 2.0.1")
        self.version = version
        self.dut_id = dut_id
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.password = password
        self.call_timeout = call_timeout
        self.defaults = DefaultAnswers(
            version, heartbeat_interval=heartbeat_interval, accepted_tokens=accepted_tokens
        )
        self.sink: FrameSink = Discard()
        self.overrides: dict[str, CaseAnswer] = {}
        self.events: list[LinkEvent] = []
        self.changed = Flag()  # set on every link event and status report
        # Called with every link event as it happens (ChargerRun.link_watch).
        self.listeners: list[Callable[[LinkEvent], None]] = []
        self.session: OcppSession | None = None
        self.boot_info: dict[str, Any] = {}  # the station's last BootNotification
        # (evseId, connectorId) of each StatusNotification since the last connection.
        self.reported: set[tuple[Any, Any]] = set()
        # Set while a case keeps the station offline ("the OCTT closes the WebSocket
        # connection AND does not accept a reconnect"): why connections are refused.
        self.refusing: str | None = None
        # A case that must not accept the station's next connection attempts ("the OCTT
        # does not accept a reconnect"): how many more to refuse (each one a "refused" event).
        self.refuse_connections = 0
        self._link: Any = None
        self._server: OcppServer | None = None
        self._pending_password: dict[str, str] = {}
        self._handlers: dict[str, Handler] = {
            action: self._handler(action) for action in STATION_REQUESTS[version]
        }

    # ------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """Where the station connects, without its identity (it appends ``/<id>``)."""
        scheme = "wss" if self.ssl_context is not None else "ws"
        port = self._server.port if self._server is not None else self.port
        return f"{scheme}://{self.host}:{port}/ocpp"

    @property
    def station_url(self) -> str:
        return f"{self.url}/{self.dut_id}"

    async def start(self) -> str:
        self._server = await serve_ocpp(
            self._serve,
            self.host,
            self.port,
            subprotocols=(SUBPROTOCOLS[self.version],),
            ssl_context=self.ssl_context,
            basic_auth=self._check_password if self.password is not None else None,
            admit=self._admit,
            relaxed_ids=True,
        )
        return self.url

    async def stop(self) -> None:
        await self.disconnect()
        if self._server is not None:
            server, self._server = self._server, None
            await server.close()

    async def __aenter__(self) -> CsmsEndpoint:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ the handshake
    def _admit(self, station_id: str, profile: int) -> str | None:
        if self.refusing is not None:
            return self.refusing
        if station_id != self.dut_id:
            return f"{station_id} is not the station under test ({self.dut_id})"
        if self.refuse_connections > 0:
            self.refuse_connections -= 1
            self._event(LinkEvent(_now(), "refused", security_profile=profile))
            return "the case does not accept this connection attempt"
        return None

    def _check_password(self, station_id: str, password: str) -> bool:
        ok = self.password is not None and hmac.compare_digest(
            password.encode(), self.password.encode()
        )
        if ok:
            self._pending_password[station_id] = password
        return ok

    # ------------------------------------------------------------ a connection
    async def _serve(self, station_id: str, link: Any, subprotocol: str) -> None:
        if self._link is not None:  # the station reconnected: the old link is stale
            with contextlib.suppress(Exception):
                await self._link.close()
        session = OcppSession(
            link,
            version=self.version,
            station_id=station_id,
            handlers=self._handlers,
            sink=self,
            timestamp=time.time,
            call_timeout=self.call_timeout,
        )
        self.session, self._link = session, link
        self.reported = set()
        secure = self.ssl_context is not None
        password = self._pending_password.pop(station_id, None)
        profile = _profile(secure, password is not None, _client_cert(link))
        tls = _tls_details(link)
        self._event(
            LinkEvent(_now(), "connected", subprotocol, profile, password, *tls, path=_path(link))
        )
        try:
            await session.serve()
        finally:
            if self.session is session:
                self.session, self._link = None, None
            self._event(LinkEvent(_now(), "disconnected", subprotocol, profile))

    def _event(self, event: LinkEvent) -> None:
        self.events.append(event)
        for listener in list(self.listeners):
            listener(event)  # at once: a case marks its frame position at the event
        self.changed.set()

    def record(self, rec: FrameRecord) -> None:  # the sessions' FrameSink
        self.sink.record(rec)

    @property
    def connected(self) -> bool:
        return self.session is not None

    async def wait_connected(self, timeout: float) -> bool:
        return await self.wait_for(lambda: self.session is not None, timeout)

    async def wait_disconnected(self, timeout: float) -> bool:
        return await self.wait_for(lambda: self.session is None, timeout)

    async def wait_for(self, done: Callable[[], bool], timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for _ in range(100_000):
            if done():
                return True
            left = deadline - loop.time()
            if left <= 0:
                return False
            self.changed.clear()
            try:
                async with asyncio.timeout(left):
                    await self.changed.wait()
            except TimeoutError:
                return done()
        return done()

    async def disconnect(self) -> None:
        """Close the connection from the CSMS's side (the station should reconnect)."""
        link = self._link
        if link is not None:
            with contextlib.suppress(Exception):
                await link.close()

    # ------------------------------------------------------------ requests both ways
    def _handler(self, action: str) -> Handler:
        async def handle(payload: dict[str, Any]) -> dict[str, Any] | Reply:
            if action == "BootNotification":
                self.boot_info = dict(payload)
            elif action == "StatusNotification":
                self.reported.add((payload.get("evseId"), payload.get("connectorId")))
                self.changed.set()
            own = self.overrides.get(action)
            if own is not None:
                answer = own(payload)
                if inspect.isawaitable(answer):
                    return await answer
                return answer
            return self.defaults.answer(action, payload)

        return handle

    async def call(
        self, action: str, payload: dict[str, Any], *, timeout: float, validate: bool = True
    ) -> dict[str, Any]:
        """Send ``action`` to the station; its CALLRESULT payload (raises as
        ``OcppSession.call`` does, ``LinkClosed`` when the station is not connected)."""
        session = self.session
        if session is None:
            raise LinkClosed(f"{self.dut_id} is not connected")
        return await session.call(action, payload, timeout=timeout, validate=validate)

    async def send_raw(self, text: str, *, action: str | None, message_id: str | None) -> None:
        """Put ``text`` on the wire as it is (a malformed or out-of-state frame a case needs),
        logged as a CALL the schemas were not asked about."""
        link = self._link
        if link is None:
            raise LinkClosed(f"{self.dut_id} is not connected")
        self.record(
            FrameRecord(
                time.time(), self.dut_id, "tx", "CALL", message_id, action, text, None, raw=text
            )
        )
        await link.send(text)


def _now() -> float:
    return asyncio.get_running_loop().time()


def _path(link: Any) -> str:
    conn = getattr(link, "_conn", None)
    request = getattr(conn, "request", None)
    return str(getattr(request, "path", "") or "")


def _ssl_object(link: Any) -> Any:
    conn = getattr(link, "connection", None) or getattr(link, "_conn", None)
    transport = getattr(conn, "transport", None)
    return transport.get_extra_info("ssl_object") if transport is not None else None


def _client_cert(link: Any) -> bool:
    sslobj = _ssl_object(link)
    return bool(sslobj is not None and sslobj.getpeercert())


def _tls_details(link: Any) -> tuple[str, str, tuple[str, ...], bytes | None]:
    """(version, cipher, offered suites, client certificate DER) of a TLS link (1.6 TC_086/087)."""
    sslobj = _ssl_object(link)
    if sslobj is None:
        return "", "", (), None
    chosen = sslobj.cipher()
    shared = tuple(c[0] for c in (sslobj.shared_ciphers() or []))
    return sslobj.version() or "", chosen[0] if chosen else "", shared, sslobj.getpeercert(True)


def _profile(secure: bool, password: bool, client_cert: bool) -> int:
    if secure and client_cert:
        return 3
    if secure and password:
        return 2
    return 1 if password else 0
