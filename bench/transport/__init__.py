"""The link between a charge point and its CSMS.

``open_link(LinkConfig(...))`` opens the charge point's WebSocket (security
profiles 0-3 of the 1.6 security whitepaper); ``serve_ocpp`` is the CSMS end;
``memory_pair`` is an in-memory link for tests; ``Backoff`` paces reconnects.
All links share the ``send``/``recv``/``close`` contract of
``bench.ocpp.session.Link`` and end with ``LinkClosed``.
"""

from bench.transport.backoff import Backoff
from bench.transport.config import LinkConfig
from bench.transport.errors import FailureKind, LinkError, TransportClosed
from bench.transport.memory import MemoryLink, memory_pair
from bench.transport.server import OcppServer, serve_ocpp
from bench.transport.websocket import WebSocketLink, open_link

__all__ = [
    "Backoff",
    "FailureKind",
    "LinkConfig",
    "LinkError",
    "MemoryLink",
    "OcppServer",
    "TransportClosed",
    "WebSocketLink",
    "memory_pair",
    "open_link",
    "serve_ocpp",
]
