"""The one error every link raises when it closes, whatever carries it.

A link is duck-typed (``send``, ``recv``, ``close``: ARCHITECTURE rule 9); the
WebSocket transport and the in-memory pair both end with a ``LinkClosed``
subclass, and the OCPP session reports a pending CALL whose link went away with
it. It lives here, below both, so the transport never needs the OCPP layer to
say that a link closed; ``bench.ocpp.errors`` re-exports it with its own errors.
"""

from __future__ import annotations

__all__ = ["LinkClosed"]


class LinkClosed(Exception):
    """The link closed before the reply arrived."""
