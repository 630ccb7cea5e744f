"""All the station timers of one event loop behind a single asyncio timer.

A thousand stations each keep a heartbeat, a sampling, a physics and a call-timeout
timer. On asyncio's own heap every one of them is a ``TimerHandle`` whose ordering
runs a Python ``__lt__`` a dozen times per push and pop, and a cancelled call timeout
stays in that heap for its full 30 s. Here the entries sit in a heap of
``(deadline, sequence, entry)`` tuples, which ``heapq`` orders in C; cancelling one
costs a flag; and the event loop holds one timer, for the earliest deadline.

Semantics kept from ``loop.call_later``: a callback never runs before its deadline,
entries run in deadline order (ties in the order they were scheduled), a callback
scheduled while others run waits for the next turn of the loop, and an exception
goes to the loop's exception handler. What changes: a callback runs up to
``COALESCE_S`` after its deadline, so that deadlines that close together share one
wake-up of the loop (issue 15: a fleet's timers bunch together); a zero delay is
``loop.call_soon``, so the next turn of the loop stays the next turn.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable

# Seconds a callback may run after its deadline, so neighbouring deadlines share a wake-up.
COALESCE_S = 0.002
# Cancelled entries are swept out of the heap once they are more than half of it
# (and the heap is big enough for the sweep to matter).
_SWEEP_MIN = 64


class WheelTimer:
    """One scheduled callback; ``cancel`` is idempotent and safe after it ran."""

    __slots__ = ("callback", "wheel")

    def __init__(self, callback: Callable[[], object], wheel: LoopWheel) -> None:
        self.callback: Callable[[], object] | None = callback
        self.wheel: LoopWheel | None = wheel

    def cancel(self) -> None:
        self.callback = None
        wheel = self.wheel
        if wheel is not None:  # still in the wheel's heap
            self.wheel = None
            wheel.cancelled_one()

    def cancelled(self) -> bool:
        """True once cancelled or run (like a handle that can no longer fire)."""
        return self.callback is None


class LoopWheel:
    """The timers of one event loop (see the module doc); ``wheel_of`` finds it."""

    __slots__ = ("_armed", "_armed_at", "_dead", "_heap", "_loop", "_seq")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._heap: list[tuple[float, int, WheelTimer]] = []
        self._seq = 0
        self._dead = 0  # cancelled entries still in the heap
        self._armed: asyncio.TimerHandle | None = None
        self._armed_at = 0.0

    def __len__(self) -> int:
        """Entries waiting to run (cancelled ones not counted)."""
        return len(self._heap) - self._dead

    def call_later(
        self, delay: float, callback: Callable[[], object]
    ) -> WheelTimer | asyncio.Handle:
        if delay <= 0.0:
            # "At the next turn" stays exactly that: a status read or physics tick asked
            # for at once must not wait for a neighbour's wake-up.
            return self._loop.call_soon(callback)
        when = self._loop.time() + delay
        entry = WheelTimer(callback, self)
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, entry))
        armed = self._armed
        if armed is None or self._armed_at > when + COALESCE_S:
            if armed is not None:
                armed.cancel()
            self._arm(when)
        return entry

    def cancelled_one(self) -> None:
        self._dead += 1
        heap = self._heap
        if self._dead * 2 > len(heap) and len(heap) >= _SWEEP_MIN:
            self._heap = heap = [item for item in heap if item[2].wheel is not None]
            heapq.heapify(heap)
            self._dead = 0

    def _arm(self, when: float) -> None:
        """Wake the loop for the entry due at ``when``, late enough to take its neighbours."""
        self._armed_at = at = when + COALESCE_S
        self._armed = self._loop.call_at(at, self._fire)

    def _fire(self) -> None:
        self._armed = None
        heap = self._heap
        # What is due now runs now; anything these callbacks schedule waits for the
        # next turn, as with call_later(0) (a callback that re-arms itself cannot spin).
        limit = self._loop.time()
        due: list[WheelTimer] = []
        while heap and heap[0][0] <= limit:
            entry = heapq.heappop(heap)[2]
            if entry.wheel is None:
                self._dead -= 1
            else:
                entry.wheel = None  # out of the heap: a cancel now only clears the callback
                due.append(entry)
        if heap:
            self._arm(heap[0][0])
        for entry in due:
            callback = entry.callback
            if callback is None:
                continue  # cancelled by a callback that ran before it in this turn
            entry.callback = None
            try:
                callback()
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._loop.call_exception_handler(
                    {"message": f"Exception in timer callback {callback!r}", "exception": exc}
                )


_last: tuple[asyncio.AbstractEventLoop, LoopWheel] | None = None
_wheels: dict[asyncio.AbstractEventLoop, LoopWheel] = {}


def wheel_of(loop: asyncio.AbstractEventLoop) -> LoopWheel:
    """The wheel of ``loop`` (made on first use, dropped once the loop is closed)."""
    global _last
    last = _last
    if last is not None and last[0] is loop:
        return last[1]
    wheel = _wheels.get(loop)
    if wheel is None:
        for old in [old for old in _wheels if old.is_closed()]:
            del _wheels[old]
        wheel = _wheels[loop] = LoopWheel(loop)
    _last = (loop, wheel)
    return wheel
