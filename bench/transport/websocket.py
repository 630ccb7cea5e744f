"""The charge point's WebSocket link to a CSMS (OCPP-J over ``websockets``).

``open_link(cfg)`` performs the opening handshake of OCPP-J 1.6 §3 with the
security profile of ``cfg`` and returns a ``WebSocketLink`` with the duck-typed
``send``/``recv``/``close`` contract of ``bench.ocpp.session.Link``. Every
failure to connect becomes one ``LinkError`` whose message is a single human
sentence (the original exception is kept as ``__cause__`` for logs).

Memory matters: a fleet run holds 10,000 links in one process. So we disable
permessage-deflate (its zlib state costs ~40 KiB per connection), keep the
receive queue short (OCPP-J allows one outstanding CALL per direction, 1.6-J
§4.1.1, so a handful of frames is plenty), start no task of our own per link
(``recv`` reads the connection directly), and share one ``SSLContext`` between
links with the same certificate files. The only per-link task is websockets'
keepalive task, and only while pings are enabled.
"""

from __future__ import annotations

import collections
import errno
import functools
import logging
import os
import socket
import ssl
import urllib.parse
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.connection import Connection
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
    NegotiationError,
)
from websockets.frames import CLOSE_CODE_EXPLANATIONS, CloseCode
from websockets.headers import build_authorization_basic
from websockets.protocol import State

from bench.transport.config import LinkConfig
from bench.transport.errors import ABNORMAL_CLOSURE, FailureKind, LinkError, TransportClosed

__all__ = ["CLOSE_TIMEOUT", "MAX_FRAME_BYTES", "MAX_QUEUE", "WebSocketLink", "open_link"]

# High-water mark of websockets' receive buffer, in frames (default 16).
MAX_QUEUE = 4
# The largest message the transport accepts; a bigger one closes the connection
# with 1009. Above the session's own limit (bench/ocpp/session.py MAX_FRAME_CHARS),
# so a merely oversized frame gets a CALLERROR and the connection stays up.
MAX_FRAME_BYTES = 8 * 1024 * 1024
# Server side: seconds to wait for the peer's close frame before dropping TCP
# (websockets' default is 10). The client takes LinkConfig.close_timeout (5 s).
CLOSE_TIMEOUT = 5.0
USER_AGENT = "ocpp-bench"


class WebSocketLink:
    """One open WebSocket connection (client or server side) as a ``Link``.

    ``recv`` returns text frames as ``str``; a binary frame (not allowed by
    OCPP-J) is returned as ``bytes`` so the session can log and reject it.
    """

    __slots__ = ("_conn", "_ping_timeout")

    def __init__(self, conn: Connection, *, ping_timeout: float | None = None) -> None:
        self._conn = conn
        # None: wait one ping interval for the pong (see set_ping_interval).
        self._ping_timeout = ping_timeout

    # ------------------------------------------------------------------ Link
    async def send(self, text: str) -> None:
        conn = self._conn
        if (
            conn.send_in_progress is None
            and not conn.paused
            and conn.protocol.state is State.OPEN
            and not conn.transport.is_closing()
        ):
            # The common case, an open link with room in its write buffer, without
            # websockets' async context manager around it: what that adds is for the
            # cases this excludes (a closing link, a full buffer, a fragmented send)
            # and cost about 5 % of a charging fleet's CPU (issue 15).
            conn.protocol.send_text(text.encode())
            conn.send_data()
            return
        try:
            await conn.send(text)
        except ConnectionClosed:
            raise self._closed_error() from None

    async def recv(self) -> str | bytes:
        """The next message; raises ``TransportClosed`` (a ``LinkClosed``) once the link ends.

        Messages that arrived before the close are still returned first.
        """
        try:
            return await self._conn.recv()
        except ConnectionClosed:
            raise self._closed_error() from None

    def frames_waiting(self) -> bool:
        """Whether a received frame waits to be read (True when that cannot be told)."""
        frames = getattr(getattr(self._conn, "recv_messages", None), "frames", None)
        return True if frames is None else len(frames) > 0

    async def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start the closing handshake and wait for it (at most the close timeout)."""
        await self._conn.close(code, reason)

    # ------------------------------------------------------------------ network faults
    def stall(self, stalled: bool) -> None:
        """Stop (or resume) reading the socket: no frame and no pong arrives, TCP stays up.

        The half-open link of ``bench.transport.impair``: the keepalive ping then
        times out as it would on a dead connection.
        """
        transport = self._conn.transport
        if stalled:
            transport.pause_reading()
        elif not transport.is_closing():
            transport.resume_reading()

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (the peer sees a reset)."""
        self._conn.transport.abort()

    # ------------------------------------------------------------------ state
    @property
    def closed(self) -> bool:
        """True once the closing handshake has started or the connection is gone."""
        return self._conn.state is not State.OPEN

    @property
    def close_code(self) -> int | None:
        """The close code of whichever side closed first; 1006 if TCP just dropped."""
        if not self.closed:
            return None
        return _close_details(self._conn)[0]

    @property
    def close_reason(self) -> str:
        """A human description of how the link ended ("" while it is open)."""
        if not self.closed:
            return ""
        return _close_details(self._conn)[2]

    @property
    def subprotocol(self) -> str | None:
        return self._conn.subprotocol

    @property
    def remote_address(self) -> tuple | None:
        return self._conn.remote_address

    @property
    def latency(self) -> float:
        """Round trip of the last keepalive ping in seconds (0.0 before the first pong)."""
        return self._conn.latency

    @property
    def ping_interval(self) -> float | None:
        return self._conn.ping_interval

    def set_ping_interval(self, seconds: float | None) -> None:
        """Change the WebSocket ping interval now (1.6 WebSocketPingInterval).

        ``None`` or ``0`` disables pings. The keepalive timer restarts, so the
        next ping goes out ``seconds`` from now. This reaches into websockets'
        keepalive (its documented ``ping_interval`` attribute, ``keepalive_task``
        and ``start_keepalive()``): websockets has no public setter.
        """
        if seconds is not None and seconds < 0:
            raise ValueError("ping interval must be 0 (disabled) or positive")
        conn = self._conn
        task = conn.keepalive_task
        if task is not None:
            task.cancel()
            conn.keepalive_task = None
        interval = seconds or None
        conn.ping_interval = interval
        conn.ping_timeout = self._ping_timeout or interval
        if interval is not None and conn.state is State.OPEN:
            conn.start_keepalive()

    def _closed_error(self) -> TransportClosed:
        code, reason, text = _close_details(self._conn)
        return TransportClosed(text, code, reason)


# ---------------------------------------------------------------------- opening
async def open_link(cfg: LinkConfig) -> WebSocketLink:
    """Connect to the CSMS as charge point ``cfg.station_id``.

    Raises ``LinkError`` for every kind of failure: refused, DNS, timeout, TLS
    verification, HTTP rejection (401, 404, ...) and a server that does not
    select our subprotocol (OCPP-J 1.6 §3.2: it answers without a
    Sec-WebSocket-Protocol header and closes).
    """
    url = cfg.endpoint()
    kwargs: dict = {}
    if cfg.secure:
        kwargs["ssl"] = _ssl_context_for(cfg)
    headers = []
    if cfg.sends_basic_auth:
        # Whitepaper A00.FR.203/204: username = charge point identity, password = AuthorizationKey.
        assert cfg.password is not None
        headers.append(("Authorization", build_authorization_basic(cfg.station_id, cfg.password)))
    interval = cfg.ping_interval or None
    try:
        conn = await connect(
            url,
            subprotocols=[cfg.subprotocol],  # type: ignore[list-item]
            compression=None,
            additional_headers=headers,
            user_agent_header=USER_AGENT,
            # A charge point talks to its CSMS directly; ignoring *_PROXY variables
            # keeps failures attributable to the CSMS and loopback tests hermetic.
            proxy=None,
            open_timeout=cfg.open_timeout,
            ping_interval=interval,
            ping_timeout=cfg.ping_timeout or interval,
            close_timeout=cfg.close_timeout,
            max_queue=MAX_QUEUE,
            max_size=MAX_FRAME_BYTES,
            **kwargs,
        )
    except Exception as exc:
        raise _failure(exc, cfg, url) from exc
    if conn.subprotocol != cfg.subprotocol:
        await conn.close(CloseCode.PROTOCOL_ERROR, f"subprotocol {cfg.subprotocol} required")
        raise LinkError(
            f"the server at {_where(url)} did not accept WebSocket subprotocol "
            f"{cfg.subprotocol} (it selected {conn.subprotocol or 'none'})",
            FailureKind.SUBPROTOCOL,
        )
    _shed_handshake(conn)
    return WebSocketLink(conn, ping_timeout=cfg.ping_timeout)


def _shed_handshake(conn: Connection) -> None:
    """Let go of what an open connection never reads again (10,000 links in a process).

    The handshake's request and response headers (~2-4 KiB) are emptied in place: the
    response object must stay (the connection takes its presence as the sign that the
    handshake is over), and websockets' frame parser keeps the very same object for
    the connection's life, so a copy would leave the original headers held there.
    The connection's own logger adapter gives way to the logger it wraps. The empty
    deques of drain waiters and of received frames (760 bytes each) become
    lists offering the operations websockets uses on them, in 56 bytes: the frame
    queue holds a few frames at most (``MAX_QUEUE``), so taking from a list's front
    costs nothing that matters.
    """
    conn.request = None
    response = conn.response
    if response is not None:
        response.headers.clear()
        response.body = b""
    waiters = getattr(conn, "drain_waiters", None)
    if isinstance(waiters, collections.deque) and not waiters:
        conn.drain_waiters = []  # type: ignore[assignment]
    # websockets wraps the logger in an adapter naming the connection (an adapter, its
    # dict and a proxy per link); nothing of ours reads that name, so the plain logger
    # it wraps serves every link.
    adapter = conn.logger
    if isinstance(adapter, logging.LoggerAdapter) and isinstance(adapter.logger, logging.Logger):
        conn.logger = conn.protocol.logger = adapter.logger
    frames: Any = getattr(getattr(conn, "recv_messages", None), "frames", None)
    queue = getattr(frames, "queue", None)
    if isinstance(queue, collections.deque) and not queue:
        frames.queue = _FrameList()


class _FrameList(list):  # type: ignore[type-arg]
    """The deque operations of websockets' frame queue (``SimpleQueue``), on a list."""

    __slots__ = ()

    def popleft(self) -> object:
        return self.pop(0)

    def extendleft(self, items: Iterable[object]) -> None:
        for item in items:  # one by one at the front, as a deque does (reversing them)
            self.insert(0, item)


def _ssl_context_for(cfg: LinkConfig) -> ssl.SSLContext:
    return _client_context(
        cfg.ca_file,
        cfg.extra_ca_file,
        cfg.cert_file,
        cfg.key_file,
        (_mtime(cfg.ca_file), _mtime(cfg.extra_ca_file)),
        _mtime(cfg.cert_file),
        _mtime(cfg.key_file),
    )


def _mtime(path: str | None) -> int | None:
    # Part of the cache key, so a certificate replaced on disk (InstallCertificate,
    # SignCertificate) is picked up by the next connect.
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None  # _client_context raises the clear error


@functools.lru_cache(maxsize=256)
def _client_context(
    ca_file: str | None,
    extra_ca_file: str | None,
    cert_file: str | None,
    key_file: str | None,
    _ca_mtimes: tuple[int | None, int | None],
    _cert_mtime: int | None,
    _key_mtime: int | None,
) -> ssl.SSLContext:
    """A verifying client context, shared by every link with the same files.

    Verifies the server's chain and host name (A00.FR.307/308) against
    ``ca_file`` or, without one, the system store, plus ``extra_ca_file``'s
    anchors; TLS 1.2 or above (A00.FR.312); TLS compression stays off (OpenSSL
    default, A00.FR.320). Failures are not cached (lru_cache only caches return values).
    """
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise LinkError(
            f"cannot load the CA file {ca_file}: {_os_detail(exc)}", FailureKind.CONFIG
        ) from exc
    if extra_ca_file is not None:
        try:
            ctx.load_verify_locations(cafile=extra_ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise LinkError(
                f"cannot load the CA file {extra_ca_file}: {_os_detail(exc)}", FailureKind.CONFIG
            ) from exc
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # Every certificate given is a trust anchor, self-signed or not: a 2.0.1 CSMS root
    # installed over OCPP may be signed by the root it replaced (M05.FR.10), and the
    # chain the server sends ends below it.
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    if cert_file is not None:
        try:
            ctx.load_cert_chain(cert_file, key_file)  # A00.FR.402
        except (OSError, ssl.SSLError) as exc:
            raise LinkError(
                f"cannot load the client certificate {cert_file} with key {key_file}: "
                f"{_os_detail(exc)}",
                FailureKind.CONFIG,
            ) from exc
    return ctx


def _os_detail(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc)
    return exc.strerror or str(exc)


# ---------------------------------------------------------------------- failures
def _where(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    port: int | str
    try:
        port = parts.port or (443 if parts.scheme == "wss" else 80)
    except ValueError:
        port = "?"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _failure(exc: Exception, cfg: LinkConfig, url: str) -> LinkError:
    """Turn whatever ``connect`` raised into one sentence a bench user can act on."""
    where = _where(url)
    if isinstance(exc, LinkError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        store = f"CA file {cfg.ca_file}" if cfg.ca_file else "the system CA store"
        if cfg.extra_ca_file:
            store += f" and the roots in {cfg.extra_ca_file}"
        return LinkError(
            f"TLS verification of the server at {where} failed against {store}: "
            f"{exc.verify_message}",
            FailureKind.TLS,
        )
    if isinstance(exc, ssl.SSLError):
        return LinkError(
            f"the TLS handshake with {where} failed: {exc.reason or exc}", FailureKind.TLS
        )
    if isinstance(exc, InvalidStatus):
        return _status_failure(exc, cfg, where)
    if isinstance(exc, NegotiationError):
        return LinkError(
            f"the server at {where} failed WebSocket negotiation: {exc}", FailureKind.SUBPROTOCOL
        )
    if isinstance(exc, InvalidMessage):
        if isinstance(exc.__cause__, EOFError):
            return _eof_failure(cfg, where)
        return LinkError(
            f"the server at {where} did not answer with a valid HTTP response "
            f"({exc.__cause__ or exc}); is it a WebSocket server?",
            FailureKind.PROTOCOL,
        )
    if isinstance(exc, InvalidHandshake):
        return LinkError(
            f"the server at {where} sent an invalid WebSocket handshake: {exc}",
            FailureKind.PROTOCOL,
        )
    if isinstance(exc, TimeoutError):
        return LinkError(
            f"no WebSocket connection to {where} within {cfg.open_timeout:g} s "
            "(the server did not complete the handshake)",
            FailureKind.TIMEOUT,
        )
    if isinstance(exc, socket.gaierror):
        host = urllib.parse.urlsplit(url).hostname
        return LinkError(f"cannot resolve host name {host!r}: {exc.strerror}", FailureKind.DNS)
    if _is_refused(exc):
        return LinkError(f"connection refused by {where}", FailureKind.REFUSED)
    if isinstance(exc, ConnectionResetError | BrokenPipeError) and cfg.secure:
        return _eof_failure(cfg, where)
    if isinstance(exc, InvalidURI | ValueError):
        return LinkError(f"invalid CSMS URL {url!r}: {exc}", FailureKind.CONFIG)
    if isinstance(exc, OSError):
        return LinkError(f"cannot connect to {where}: {exc.strerror or exc}", FailureKind.NETWORK)
    return LinkError(f"cannot connect to {where}: {type(exc).__name__}: {exc}", FailureKind.NETWORK)


def _is_refused(exc: Exception) -> bool:
    if isinstance(exc, ConnectionRefusedError):
        return True
    # A host with several addresses (localhost: ::1 and 127.0.0.1) fails with
    # one OSError("Multiple exceptions: ...") listing each attempt.
    text = str(exc)
    return (
        isinstance(exc, OSError)
        and exc.errno is None
        and text.startswith("Multiple exceptions")
        and text.count(f"[Errno {errno.ECONNREFUSED}]") == text.count("[Errno ")
    )


def _eof_failure(cfg: LinkConfig, where: str) -> LinkError:
    if not cfg.secure:
        return LinkError(
            f"the server at {where} closed the connection before answering the WebSocket "
            "handshake (is it a TLS port that needs wss://?)",
            FailureKind.PROTOCOL,
        )
    # With TLS 1.3 the server checks our certificate after the client considers the
    # TLS handshake done; a rejection shows up as the server hanging up on our HTTP request.
    if cfg.cert_file is not None:
        hint = "it may have rejected our client certificate"
    else:
        hint = "it may require a client certificate (security profile 3)"
    return LinkError(
        f"the server at {where} closed the TLS connection during the handshake; {hint}",
        FailureKind.TLS,
    )


_STATUS_HINTS = {
    404: "check the URL path and the station id",
    400: "the server did not accept the WebSocket upgrade request",
}


def _status_failure(exc: InvalidStatus, cfg: LinkConfig, where: str) -> LinkError:
    response = exc.response
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = response.reason_phrase
    body = (response.body or b"").decode("utf-8", "replace").strip().splitlines()
    said = f" ({body[0][:160]})" if body else ""
    head = f"the server at {where} rejected the connection with HTTP {status} {phrase}"
    if status in (401, 403):
        if cfg.sends_basic_auth:
            hint = f"check the password (AuthorizationKey) for station id {cfg.station_id!r}"
        else:
            hint = "it wants credentials: configure a password (security profile 1 or 2)"
        return LinkError(f"{head}{said}: {hint}", FailureKind.UNAUTHORIZED, status=status)
    if "subprotocol" in said.lower():
        return LinkError(
            f"{head}{said}: it does not accept WebSocket subprotocol {cfg.subprotocol}",
            FailureKind.SUBPROTOCOL,
            status=status,
        )
    known = _STATUS_HINTS.get(status)
    return LinkError(
        f"{head}{said}: {known}" if known else f"{head}{said}",
        FailureKind.HTTP_STATUS,
        status=status,
    )


# ---------------------------------------------------------------------- closing
def _close_details(conn: Connection) -> tuple[int, str, str]:
    """(code, reason, human text) of a closed connection, from whoever closed first."""
    protocol = conn.protocol
    rcvd, sent = protocol.close_rcvd, protocol.close_sent
    if rcvd is not None and (sent is None or protocol.close_rcvd_then_sent):
        who, frame = "the peer", rcvd
    elif sent is not None:
        who, frame = "us", sent
    else:
        return (
            ABNORMAL_CLOSURE,
            "",
            f"connection lost without a closing handshake ({ABNORMAL_CLOSURE})",
        )
    code, reason = int(frame.code), frame.reason
    meaning = CLOSE_CODE_EXPLANATIONS.get(frame.code) or _code_range(code)
    text = f"closed by {who}: {code} ({meaning})"
    if reason:
        text += f" {reason}"
    return code, reason, text


def _code_range(code: int) -> str:
    # RFC 6455 §7.4.2: 3000-3999 are registered with IANA, 4000-4999 are private.
    if 3000 <= code < 4000:
        return "registered"
    if 4000 <= code < 5000:
        return "private use"
    return "unknown"
