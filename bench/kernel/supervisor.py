"""Task ownership for one station (ARCHITECTURE rule 4: no fire-and-forget tasks).

Each station owns a ``Supervisor``. Every background task and timer it starts
is tracked here, failures are logged and reported (never silently lost), and
``aclose`` cancels everything and waits for it, in order. Timers run on the
station's clock (``bench.model.clock``): their delays are virtual seconds, so a
manual clock drives them in tests; ``wall=True`` puts one on the clock's wall
timers instead (real seconds on a system clock).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from bench.model.clock import LOOP_TIMERS, Clock, Timer, Timers

log = logging.getLogger(__name__)


class Supervisor:
    __slots__ = ("_closed", "_tasks", "_timers", "clock", "name", "on_error")

    def __init__(
        self,
        name: str,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self.on_error = on_error
        # None (a device driver, which has no station clock): timers in real seconds.
        self.clock = clock
        # Running tasks, as the keys of a dict: an empty dict is 64 bytes, an empty set 216.
        self._tasks: dict[asyncio.Task[Any], None] = {}
        self._timers: dict[str, Timer] = {}
        self._closed = False

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        if self._closed:
            coro.close()
            raise RuntimeError(f"{self.name}: supervisor is closed")
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks[task] = None
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.pop(task, None)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s: task %s failed", self.name, task.get_name(), exc_info=exc)
            if self.on_error is not None:
                self.on_error(exc)

    def later(
        self, key: str, delay: float, callback: Callable[[], None], *, wall: bool = False
    ) -> None:
        """(Re)schedule a named timer ``delay`` virtual seconds ahead (``wall``: on the
        clock's wall timers); a timer with the same key is replaced."""
        self.cancel_timer(key)
        if self._closed:
            return
        clock = self.clock
        timers: Timers = LOOP_TIMERS if clock is None else clock.wall if wall else clock

        # A partial, not a closure: a third of the size, and every station keeps a few.
        self._timers[key] = timers.call_later(max(0.0, delay), partial(self._fire, key, callback))

    def _fire(self, key: str, callback: Callable[[], None]) -> None:
        self._timers.pop(key, None)
        callback()

    def cancel_timer(self, key: str) -> None:
        handle = self._timers.pop(key, None)
        if handle is not None:
            handle.cancel()

    def has_timer(self, key: str) -> bool:
        return key in self._timers

    def cancel_timers(self, prefix: str = "") -> None:
        for key in [k for k in self._timers if k.startswith(prefix)]:
            self.cancel_timer(key)

    @property
    def tasks(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(self._tasks)

    async def aclose(self) -> None:
        self._closed = True
        self.cancel_timers()
        current = asyncio.current_task()
        pending = [t for t in self._tasks if t is not current]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
