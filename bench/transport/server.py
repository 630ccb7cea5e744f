"""The server end of OCPP-J, for the built-in CSMS and for tests.

``serve_ocpp(handler, ...)`` listens for charge points and calls
``handler(station_id, link, subprotocol)`` for each accepted connection; the
connection closes when the handler returns. The link has the same
``send``/``recv``/``close`` contract as the charge point's (``WebSocketLink``).

Handshake rules, in the order they are applied:

1. The charge point identity is the last non-empty path segment, percent-
   decoded (OCPP-J 1.6 §3.1.1). A path without one is answered with HTTP 404,
   as §3.2 suggests for an unrecognised identity.
2. The identity must pass ``bench.transport.identity`` (the OCPP 2.0.1
   identifierString rule, or the relaxed rule with ``relaxed_ids``); otherwise
   HTTP 400, before the upgrade, so no handler ever sees such an id.
3. With ``basic_auth`` configured, the request must carry HTTP Basic
   credentials whose username is that identity (whitepaper A00.FR.204) and
   which ``basic_auth(station_id, password)`` accepts; otherwise HTTP 401. The
   check runs before the upgrade, as §2.3 of the whitepaper requires. A request
   without credentials whose client certificate TLS verified is admitted as
   security profile 3 (A00.FR.401: the certificate authenticates it).
   Repeated failures per id and per client address are throttled
   (``bench.transport.auth_throttle``): HTTP 429 with Retry-After.
4. With ``admit`` given, the security profile of the request (3: TLS with a client
   certificate the server verified, 2: TLS with checked Basic credentials, 1: Basic
   credentials without TLS, 0: neither) goes to ``admit(station_id, profile)``, which
   may refuse it with a reason: HTTP 403 (the CSMS's A05.FR.07: no lower profile
   than a station already connected with).
5. Subprotocol: the first of ``subprotocols`` that the charge point offers is
   selected. If it offers none of them, OCPP-J 1.6 §3.2 says the server MUST
   complete the handshake without a Sec-WebSocket-Protocol header and then
   immediately close — so that is what happens (close code 1002, protocol
   error), not an HTTP 400, and the handler is not called.
"""

from __future__ import annotations

import http
import inspect
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHeader
from websockets.frames import CloseCode
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic
from websockets.http11 import Request, Response

from bench.printable import printable
from bench.transport.auth_throttle import AuthThrottle
from bench.transport.identity import identity_problem
from bench.transport.websocket import CLOSE_TIMEOUT, MAX_FRAME_BYTES, MAX_QUEUE, WebSocketLink

__all__ = [
    "AdmitCheck",
    "BasicAuthCheck",
    "OcppHandler",
    "OcppServer",
    "serve_ocpp",
    "station_id_from_path",
]

OcppHandler = Callable[[str, WebSocketLink, str], Awaitable[None]]
BasicAuthCheck = Callable[[str, str], "bool | Awaitable[bool]"]

# (station_id, security profile of the request) -> why it is refused, or None.
AdmitCheck = Callable[[str, int], "str | None"]

_REALM = "OCPP"
# Called with (station_id, client address, failures so far) on each refused password.
AuthFailureHook = Callable[[str, str, int], None]

log = logging.getLogger(__name__)


def station_id_from_path(path: str) -> str | None:
    """The last non-empty path segment, percent-decoded; None if there is none."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    segments = [s for s in path.split("/") if s]
    if not segments:
        return None
    return urllib.parse.unquote(segments[-1]) or None


class OcppServer:
    """A listening OCPP-J server. Close it with ``await server.close()``."""

    __slots__ = ("_server", "host", "port", "url")

    def __init__(self, server: Server, host: str, port: int, secure: bool) -> None:
        self._server = server
        self.host = host
        self.port = port
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{'wss' if secure else 'ws'}://{shown}:{port}"

    @property
    def connection_count(self) -> int:
        """Open WebSocket connections right now."""
        return len(self._server.connections)

    async def close(self) -> None:
        """Stop listening, close every connection (1001 going away), wait for the handlers."""
        self._server.close()
        await self._server.wait_closed()

    async def __aenter__(self) -> OcppServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def serve_ocpp(
    handler: OcppHandler,
    host: str = "127.0.0.1",
    port: int = 0,
    subprotocols: Sequence[str] = ("ocpp1.6",),
    ssl_context=None,
    basic_auth: BasicAuthCheck | None = None,
    *,
    ping_interval: float | None = None,
    relaxed_ids: bool = False,
    on_auth_failure: AuthFailureHook | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    admit: AdmitCheck | None = None,
) -> OcppServer:
    """Listen on ``host:port`` (0 = any free port) and serve charge points.

    ``ping_interval`` is off by default: in OCPP-J the charge point pings
    (1.6 WebSocketPingInterval); the server only answers.
    """
    if not subprotocols:
        raise ValueError("an OCPP server needs at least one subprotocol, e.g. 'ocpp1.6'")
    offered_by_us = tuple(subprotocols)

    throttle = AuthThrottle(monotonic) if basic_auth is not None else None
    secure = ssl_context is not None

    def _admitted(conn: ServerConnection, station_id: str, profile: int) -> Response | None:
        why = admit(station_id, profile) if admit is not None else None
        if why is None:
            return None
        log.info("refused %s on security profile %d: %s", printable(station_id), profile, why)
        return conn.respond(http.HTTPStatus.FORBIDDEN, why + "\n")

    async def process_request(conn: ServerConnection, request: Request) -> Response | None:
        station_id = station_id_from_path(request.path)
        if station_id is None:
            return conn.respond(
                http.HTTPStatus.NOT_FOUND, "No charge point identity in the URL path\n"
            )
        problem = identity_problem(station_id, relaxed=relaxed_ids)
        if problem is not None:
            log.info("refused station identity %r: %s", printable(station_id[:80]), problem)
            return conn.respond(
                http.HTTPStatus.BAD_REQUEST, f"Charge point identity refused: {problem}\n"
            )
        if basic_auth is None or throttle is None:
            return _admitted(conn, station_id, _profile_of(conn, secure, password=False))
        if "Authorization" not in request.headers and _verified_client(conn, secure):
            # Security profile 3 (whitepaper A00.FR.401): a station authenticated by a client
            # certificate the TLS layer verified needs no password, also on an endpoint that
            # takes Basic auth from profile 1/2 stations (an upgrade to 3, A05, TC_083_CS).
            return _admitted(conn, station_id, 3)
        address = _client_address(conn)
        wait = throttle.retry_after(station_id, address)
        if wait > 0:
            response = conn.respond(
                http.HTTPStatus.TOO_MANY_REQUESTS, "Too many failed attempts; retry later\n"
            )
            response.headers["Retry-After"] = str(max(1, round(wait)))
            return response
        refused = await _check_basic_auth(conn, request.headers, station_id, basic_auth)
        if refused is None:
            throttle.succeeded(station_id, address)
            return _admitted(conn, station_id, _profile_of(conn, secure, password=True))
        failures = throttle.failed(station_id, address)
        if on_auth_failure is not None:
            on_auth_failure(station_id, address, failures)
        return refused

    def select_subprotocol(conn: ServerConnection, offered: Sequence[str]) -> str | None:
        for name in offered_by_us:
            if name in offered:
                return name
        return None  # OCPP-J 1.6 §3.2: accept without the header, then close

    async def on_connection(conn: ServerConnection) -> None:
        subprotocol = conn.subprotocol
        if subprotocol is None:
            await conn.close(
                CloseCode.PROTOCOL_ERROR,
                f"no supported subprotocol; expected one of {', '.join(offered_by_us)}",
            )
            return
        station_id = station_id_from_path(conn.request.path) if conn.request else None
        assert station_id is not None  # process_request rejected the others
        await handler(station_id, WebSocketLink(conn), subprotocol)

    server = await serve(
        on_connection,
        host,
        port,
        subprotocols=list(offered_by_us),  # type: ignore[arg-type]
        select_subprotocol=select_subprotocol,  # type: ignore[arg-type]
        process_request=process_request,
        compression=None,
        ssl=ssl_context,
        ping_interval=ping_interval,
        ping_timeout=ping_interval,
        close_timeout=CLOSE_TIMEOUT,
        max_queue=MAX_QUEUE,
        max_size=MAX_FRAME_BYTES,
    )
    bound_port = server.sockets[0].getsockname()[1]
    return OcppServer(server, host, bound_port, secure=ssl_context is not None)


async def _check_basic_auth(
    conn: ServerConnection, headers: Headers, station_id: str, check: BasicAuthCheck
) -> Response | None:
    """HTTP 401 unless the Basic credentials are the station id and an accepted password."""
    header = headers.get("Authorization")
    if header is None:
        return _unauthorized(conn, "Missing credentials")
    try:
        username, password = parse_authorization_basic(header)
    except InvalidHeader:
        return _unauthorized(conn, "Unsupported credentials")
    if username != station_id:
        # Whitepaper A00.FR.204: the username SHALL equal the identity in the URL.
        return _unauthorized(conn, "Username is not the charge point identity")
    verdict = check(station_id, password)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    if not verdict:
        return _unauthorized(conn, "Invalid credentials")
    return None


def _verified_client(conn: ServerConnection, secure: bool) -> bool:
    """A client certificate the TLS layer verified (CERT_OPTIONAL or CERT_REQUIRED)."""
    transport = conn.transport if secure else None
    return bool(transport is not None and transport.get_extra_info("peercert"))


def _profile_of(conn: ServerConnection, secure: bool, *, password: bool) -> int:
    """The security profile a request arrived with (checked credentials only)."""
    if secure:
        transport = conn.transport
        # A certificate the TLS layer verified (CERT_OPTIONAL or CERT_REQUIRED); {} if none.
        if transport is not None and transport.get_extra_info("peercert"):
            return 3
        return 2 if password else 0
    return 1 if password else 0


def _client_address(conn: ServerConnection) -> str:
    peer = conn.remote_address
    return str(peer[0]) if peer else "?"


def _unauthorized(conn: ServerConnection, text: str) -> Response:
    response = conn.respond(http.HTTPStatus.UNAUTHORIZED, text + "\n")
    response.headers["WWW-Authenticate"] = build_www_authenticate_basic(_REALM)
    return response
