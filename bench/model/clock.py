"""Injected time for the whole core (ARCHITECTURE rule 7).

Core code never reads the wall clock directly: it asks a ``Clock``. A
``SystemClock`` runs virtual time ``speed`` times faster than real time, so an
hour of charging can pass in a minute at ``speed=60``; ``ManualClock`` only moves
when a test advances it, which makes unit tests of the model deterministic.

The clock also owns the core's timers. ``call_later``/``call_at``/``sleep`` and
``wait_for(clock, ...)`` count virtual seconds: protocol time (heartbeats, meter
intervals, reservations, ConnectionTimeOut, profile boundaries). ``clock.wall``
holds the timers that keep the pace of the world outside the simulation (how long
a peer may take to reply, reconnect pauses, the physics refresh rate, disk
retries): a real peer does not answer faster because the simulation runs at
``speed=60``, so on a ``SystemClock`` they are real seconds; a ``ManualClock``'s
world is in memory and has no other time, so there they are its own seconds and
a test decides when they pass too.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, TypeVar

from bench.model.loop_wheel import wheel_of

T = TypeVar("T")

Callback = Callable[[], object]


class Timer(Protocol):
    """A scheduled callback; ``cancel`` is idempotent and safe after it fired."""

    def cancel(self) -> None: ...


class Timers(Protocol):
    """Something that runs a callback after a delay in its own seconds."""

    def call_later(self, delay: float, callback: Callback) -> Timer: ...


class Clock(Protocol):
    """What the core needs to know about time."""

    speed: float

    def now(self) -> datetime:
        """Current virtual time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Virtual seconds since an arbitrary origin; never goes backwards."""

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of virtual time."""

    def call_later(self, delay: float, callback: Callback) -> Timer:
        """Run ``callback`` once ``delay`` virtual seconds have passed."""

    def call_at(self, when: float, callback: Callback) -> Timer:
        """Run ``callback`` once ``monotonic()`` reaches ``when``."""

    @property
    def wall(self) -> Timers:
        """Timers at the pace of the world outside the simulation (see the module doc)."""

    def resume_at(self, instant: datetime) -> None:
        """Move the time of day forward to ``instant`` if it is behind it, never back.

        A restarted station resumes from the last instant it wrote down, so its
        virtual clock never runs backwards across restarts (issue 11).
        """


class LoopTimers:
    """Real seconds on the running event loop."""

    __slots__ = ()

    def call_later(self, delay: float, callback: Callback) -> Timer:
        return wheel_of(asyncio.get_running_loop()).call_later(delay, callback)


# The real-time timers: a SystemClock's ``wall`` and the timers of anything with no clock.
LOOP_TIMERS = LoopTimers()


class SystemClock:
    """Virtual time derived from the real clock, scaled by ``speed``."""

    __slots__ = ("_origin_epoch", "_origin_mono", "_origin_wall", "speed")

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = float(speed)
        self._origin_mono = time.monotonic()
        self._set_origin(start or datetime.now(UTC))

    def _set_origin(self, wall: datetime) -> None:
        self._origin_wall = wall
        # None: an origin in another zone, whose times keep that zone (see now).
        self._origin_epoch = wall.timestamp() if wall.tzinfo is UTC else None

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin_mono) * self.speed

    def now(self) -> datetime:
        epoch = self._origin_epoch
        if epoch is not None:
            # From an epoch number: 40 % cheaper than adding a timedelta, and every
            # sample and logged frame asks (issue 15). Float epoch seconds keep
            # microseconds for centuries.
            seconds = (time.monotonic() - self._origin_mono) * self.speed
            return datetime.fromtimestamp(epoch + seconds, UTC)
        return self._origin_wall + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    def call_later(self, delay: float, callback: Callback) -> Timer:
        # The event loop keeps real time: a virtual delay takes delay / speed of it.
        return wheel_of(asyncio.get_running_loop()).call_later(delay / self.speed, callback)

    def call_at(self, when: float, callback: Callback) -> Timer:
        return self.call_later(when - self.monotonic(), callback)

    @property
    def wall(self) -> Timers:
        return LOOP_TIMERS

    def resume_at(self, instant: datetime) -> None:
        behind = instant - self.now()
        if behind > timedelta(0):
            self._set_origin(self._origin_wall + behind)


class _ManualTimer:
    """One entry of a ``ManualClock``'s heap; cancelled entries are dropped lazily."""

    __slots__ = ("_clock", "callback", "when")

    def __init__(self, clock: ManualClock, when: float, callback: Callback) -> None:
        self._clock = clock
        self.when = when
        self.callback: Callback | None = callback

    @property
    def cancelled(self) -> bool:
        return self.callback is None

    def cancel(self) -> None:
        if self.callback is not None:
            self.callback = None
            self._clock._note_cancelled()


# Bounds that turn a runaway (a timer rescheduling itself at the same instant, a task
# that never stops making work) into an error instead of a hung test.
MAX_FIRINGS_PER_ADVANCE = 1_000_000
MAX_SETTLE_TURNS = 10_000
# Without a readable ready queue (an event loop other than asyncio's own) settling
# gives the loop this many turns per instant.
FALLBACK_SETTLE_TURNS = 64


class ManualClock:
    """A clock that only moves when told to; timers and sleepers fire as time passes them.

    ``advance(seconds)`` fires every due timer in time order, each at its own instant
    (``monotonic()`` reads the timer's due time while its callback runs), including
    timers those callbacks schedule inside the window. ``await run_for(seconds)`` does
    the same and lets the event loop run everything the timers woke (a Heartbeat call
    and its reply, the next timer it schedules) before it moves to the next instant,
    so a test can run a day of station time in a fraction of a real second.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.speed = 1.0
        self._t = 0.0
        self._start = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._heap: list[tuple[float, int, _ManualTimer]] = []
        self._seq = 0
        self._cancelled = 0
        self._advancing = False

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._t)

    @property
    def wall(self) -> Timers:
        return self

    def resume_at(self, instant: datetime) -> None:
        behind = instant - self.now()
        if behind > timedelta(0):
            self._start += behind

    # ------------------------------------------------------------------ timers
    def call_later(self, delay: float, callback: Callback) -> Timer:
        return self.call_at(self._t + max(0.0, delay), callback)

    def call_at(self, when: float, callback: Callback) -> Timer:
        timer = _ManualTimer(self, max(when, self._t), callback)
        if timer.when <= self._t and not self._advancing:
            # Due now: it runs on the loop's next turn, as a real loop would run it.
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                pass  # no loop (a synchronous model test): the next advance fires it
            else:
                loop.call_soon(self._fire, timer)
                return timer
        self._seq += 1
        heapq.heappush(self._heap, (timer.when, self._seq, timer))
        return timer

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not fut.done():
                fut.set_result(None)

        timer = self.call_later(seconds, wake)
        try:
            await fut
        finally:
            timer.cancel()

    @property
    def pending(self) -> int:
        """Timers scheduled and not yet fired or cancelled (sleepers included)."""
        return sum(1 for _, _, timer in self._heap if not timer.cancelled)

    def next_due(self) -> float | None:
        """The instant (``monotonic()`` reading) the next timer is due, if any."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
            self._cancelled -= 1
        return heap[0][0] if heap else None

    # ------------------------------------------------------------------ moving time
    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer due on the way at its own instant."""
        if seconds < 0:
            raise ValueError("a clock never goes backwards")
        target = self._t + seconds
        self._fire_until(target)
        self._t = max(self._t, target)

    async def run_for(self, seconds: float) -> None:
        """Move time forward like ``advance``, letting the loop run between instants.

        At each instant a timer is due, the due timers fire and then the event loop
        runs until it has nothing left to do (what the timers woke, the messages
        they sent over an in-memory link and the replies), so work scheduled for a
        later instant inside the window fires there too.
        """
        if seconds < 0:
            raise ValueError("a clock never goes backwards")
        target = self._t + seconds
        await self.settle()
        for _ in range(MAX_FIRINGS_PER_ADVANCE):
            when = self.next_due()
            if when is None or when > target:
                break
            self._fire_until(when)
            await self.settle()
        else:
            raise RuntimeError(f"timers kept firing: more than {MAX_FIRINGS_PER_ADVANCE} instants")
        self._t = max(self._t, target)
        await self.settle()

    async def run_until(self, instant: datetime) -> None:
        """``run_for`` up to the time of day ``instant`` (no-op if it is not ahead)."""
        await self.run_for(max(0.0, (instant - self.now()).total_seconds()))

    async def settle(self) -> None:
        """Let the event loop run until nothing is ready to run (bounded).

        asyncio's loop keeps the callbacks due on its next turn in ``_ready``; once it
        is empty while this coroutine runs, every task is waiting on something that
        only time (this clock) or real I/O can bring. Other loops get a fixed number
        of turns.
        """
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None)
        if ready is None:
            for _ in range(FALLBACK_SETTLE_TURNS):
                await asyncio.sleep(0)
            return
        for _ in range(MAX_SETTLE_TURNS):
            await asyncio.sleep(0)
            if not ready:
                return
        raise RuntimeError(f"the event loop stayed busy for {MAX_SETTLE_TURNS} turns")

    def _fire_until(self, target: float) -> None:
        heap = self._heap
        self._advancing = True
        try:
            for _ in range(MAX_FIRINGS_PER_ADVANCE):
                if not heap or heap[0][0] > target:
                    return
                when, _seq, timer = heapq.heappop(heap)
                if timer.cancelled:
                    self._cancelled -= 1
                    continue
                self._t = max(self._t, when)
                self._fire(timer)
            raise RuntimeError(f"timers kept firing: more than {MAX_FIRINGS_PER_ADVANCE} timers")
        finally:
            self._advancing = False

    def _fire(self, timer: _ManualTimer) -> None:
        callback = timer.callback
        if callback is None:
            return  # cancelled after it was handed to the loop
        timer.callback = None
        try:
            callback()
        except Exception as exc:
            # As on a real loop: a failing timer is reported and the others still run;
            # with no loop to report to (a synchronous model test) it propagates.
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise exc from None
            loop.call_exception_handler(
                {"message": "ManualClock timer callback failed", "exception": exc}
            )

    def _note_cancelled(self) -> None:
        # Heartbeats and status timers are replaced often: drop dead entries in bulk
        # so the heap does not grow with them over a long run.
        self._cancelled += 1
        if self._cancelled > 64 and self._cancelled * 2 > len(self._heap):
            self._heap = [entry for entry in self._heap if not entry[2].cancelled]
            heapq.heapify(self._heap)
            self._cancelled = 0


class _Deadline:
    """An async context that cancels the task when a clock's timer fires first."""

    __slots__ = ("_cancelling", "_expired", "_handle", "_seconds", "_task", "_timers")

    def __init__(self, timers: Timers, seconds: float | None) -> None:
        self._timers = timers
        self._seconds = seconds
        self._expired = False
        self._handle: Timer | None = None
        self._task: asyncio.Task[Any] | None = None
        self._cancelling = 0

    async def __aenter__(self) -> _Deadline:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a clock timeout needs a running task")
        self._task = task
        self._cancelling = task.cancelling()
        if self._seconds is not None:
            self._handle = self._timers.call_later(self._seconds, self._expire)
        return self

    def _expire(self) -> None:
        task = self._task
        if task is not None and not task.done():
            self._expired = True
            task.cancel()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
        task = self._task
        if (
            self._expired
            and exc_type is asyncio.CancelledError
            and task is not None
            # Only our own cancel becomes a timeout; one from outside stays a cancel.
            and task.uncancel() <= self._cancelling
        ):
            raise TimeoutError from exc


def timeout(timers: Timers, seconds: float | None) -> _Deadline:
    """``async with timeout(clock, 30):`` — ``asyncio.timeout`` in the clock's seconds."""
    return _Deadline(timers, seconds)


async def wait_for(timers: Timers, aw: Awaitable[T], seconds: float | None) -> T:
    """``asyncio.wait_for`` with ``seconds`` counted by ``timers`` (a clock or its wall)."""
    async with _Deadline(timers, seconds):
        return await aw
