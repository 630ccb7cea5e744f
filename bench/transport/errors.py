"""Transport failures, each with one human sentence and a machine-readable kind.

``LinkError`` is raised when a connection cannot be opened; ``TransportClosed``
(a ``LinkClosed``, so sessions need not know about it) when an open link ends.
The kind lets callers react without parsing text, e.g. raise the whitepaper's
InvalidCentralSystemCertificate security event on ``TLS`` (A00.FR.309) or
FailedToAuthenticationAtCentralSystem on ``UNAUTHORIZED``.
"""

from __future__ import annotations

from enum import StrEnum

from bench.kernel.link_errors import LinkClosed

__all__ = ["FailureKind", "LinkError", "TransportClosed"]

# RFC 6455 §7.4.1: 1006 is never sent on the wire; it reports a connection
# that ended without a closing handshake.
ABNORMAL_CLOSURE = 1006


class FailureKind(StrEnum):
    REFUSED = "refused"  # nothing listening on the port
    DNS = "dns"  # host name does not resolve
    TIMEOUT = "timeout"  # no complete handshake within open_timeout
    TLS = "tls"  # certificate verification or TLS handshake failed
    UNAUTHORIZED = "unauthorized"  # HTTP 401/403: credentials rejected
    HTTP_STATUS = "http_status"  # any other non-101 HTTP answer
    SUBPROTOCOL = "subprotocol"  # the server did not select our OCPP version
    PROTOCOL = "protocol"  # the server does not speak WebSocket properly
    NETWORK = "network"  # other socket errors (unreachable, reset, ...)
    CONFIG = "config"  # our own settings are unusable (e.g. unreadable cert file)


class LinkError(Exception):
    """A connection could not be opened; ``str(exc)`` is one clear sentence."""

    def __init__(
        self,
        message: str,
        kind: FailureKind = FailureKind.NETWORK,
        *,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status  # the HTTP status for UNAUTHORIZED / HTTP_STATUS


class TransportClosed(LinkClosed):
    """An open link ended; carries the WebSocket close code and reason."""

    def __init__(self, message: str, code: int = ABNORMAL_CLOSURE, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
