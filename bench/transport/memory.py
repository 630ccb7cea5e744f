"""An in-memory duplex link pair with the ``Link`` contract, for tests.

``memory_pair()`` returns two connected ends. What one sends, the other
receives, in order. Closing either end closes the pair: both ends keep
returning the messages already queued to them, then ``recv`` raises
``LinkClosed`` (a ``TransportClosed`` with the close code and reason), and
``send`` on either end raises at once. No tasks, no sockets.
"""

from __future__ import annotations

import asyncio
from collections import deque

from bench.transport.errors import TransportClosed

__all__ = ["MemoryLink", "memory_pair"]

NORMAL_CLOSURE = 1000


class _Shared:
    """Close state common to both ends."""

    __slots__ = ("closed_by", "code", "reason")

    def __init__(self) -> None:
        self.closed_by: MemoryLink | None = None
        self.code: int | None = None
        self.reason = ""


class MemoryLink:
    __slots__ = ("_inbox", "_peer", "_shared", "_waiter", "name")

    def __init__(self, shared: _Shared, name: str) -> None:
        self.name = name
        self._shared = shared
        self._inbox: deque[str | bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._peer: MemoryLink | None = None

    # ------------------------------------------------------------------ Link
    async def send(self, text: str | bytes) -> None:
        if self._shared.closed_by is not None:
            raise self._closed_error()
        peer = self._peer
        assert peer is not None, "use memory_pair() to make linked ends"
        peer._inbox.append(text)
        peer._wake()

    async def recv(self) -> str | bytes:
        while not self._inbox:
            if self._shared.closed_by is not None:
                raise self._closed_error()
            if self._waiter is not None:
                raise RuntimeError("recv() is already waiting on this link")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._inbox.popleft()

    async def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        """Close both ends; idempotent (the first close's code and reason stay)."""
        shared = self._shared
        if shared.closed_by is not None:
            return
        shared.closed_by = self
        shared.code = code
        shared.reason = reason
        self._wake()
        if self._peer is not None:
            self._peer._wake()

    # ------------------------------------------------------------------ state
    @property
    def closed(self) -> bool:
        return self._shared.closed_by is not None

    @property
    def close_code(self) -> int | None:
        return self._shared.code

    @property
    def close_reason(self) -> str:
        shared = self._shared
        if shared.closed_by is None:
            return ""
        who = "us" if shared.closed_by is self else "the peer"
        text = f"closed by {who}: {shared.code}"
        return f"{text} {shared.reason}" if shared.reason else text

    @property
    def pending(self) -> int:
        """Messages queued for this end and not yet received."""
        return len(self._inbox)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _closed_error(self) -> TransportClosed:
        shared = self._shared
        return TransportClosed(self.close_reason, shared.code or NORMAL_CLOSURE, shared.reason)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<MemoryLink {self.name} {state} pending={len(self._inbox)}>"


def memory_pair(names: tuple[str, str] = ("a", "b")) -> tuple[MemoryLink, MemoryLink]:
    """Two connected in-memory link ends (e.g. charge point side, CSMS side)."""
    shared = _Shared()
    a, b = MemoryLink(shared, names[0]), MemoryLink(shared, names[1])
    a._peer, b._peer = b, a
    return a, b
