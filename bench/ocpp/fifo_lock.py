"""A lean replacement for ``asyncio.Lock`` (see ``bench.ocpp.flag`` for the same idea).

``asyncio.Lock`` makes a deque of waiters the first time a second caller waits and
keeps it for good (760 bytes); every session's call lock is contended at boot, and
10,000 stations share one process. ``FifoLock`` keeps its waiters in a list only
while somebody waits. Same contract: first come, first served, and a waiter that is
cancelled after being woken passes the lock on to the next one.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class FifoLock:
    __slots__ = ("_locked", "_waiters")

    def __init__(self) -> None:
        self._locked = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def locked(self) -> bool:
        return self._locked

    async def acquire(self) -> bool:
        if not self._locked and (
            self._waiters is None or all(w.cancelled() for w in self._waiters)
        ):
            self._locked = True
            return True
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(fut)
        try:
            try:
                await fut
            finally:
                waiters = self._waiters
                assert waiters is not None  # holds ``fut`` until this very line
                waiters.remove(fut)
                if not waiters:
                    self._waiters = None
        except asyncio.CancelledError:
            if not self._locked:
                self._wake_first()  # woken and cancelled at once: the next one gets it
            raise
        self._locked = True
        return True

    def release(self) -> None:
        if not self._locked:
            raise RuntimeError("FifoLock released while not locked")
        self._locked = False
        self._wake_first()

    def _wake_first(self) -> None:
        if self._waiters:
            first = self._waiters[0]
            if not first.done():
                first.set_result(None)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
