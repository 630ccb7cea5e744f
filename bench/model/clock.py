"""Injected time for the whole core (ARCHITECTURE rule 7).

Core code never reads the wall clock directly: it asks a ``Clock``. A
``SystemClock`` runs virtual time ``speed`` times faster than real time, so an
hour of charging can pass in a minute at ``speed=60``; ``ManualClock`` only moves
when a test advances it, which makes unit tests of the model deterministic.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the core needs to know about time."""

    speed: float

    def now(self) -> datetime:
        """Current virtual time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Virtual seconds since an arbitrary origin; never goes backwards."""

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of virtual time."""

    def real_seconds(self, virtual_seconds: float) -> float:
        """How many real seconds ``virtual_seconds`` of virtual time take."""

    def resume_at(self, instant: datetime) -> None:
        """Move the time of day forward to ``instant`` if it is behind it, never back.

        A restarted station resumes from the last instant it wrote down, so its
        virtual clock never runs backwards across restarts (issue 11).
        """


class SystemClock:
    """Virtual time derived from the real clock, scaled by ``speed``."""

    __slots__ = ("_origin_mono", "_origin_wall", "speed")

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = float(speed)
        self._origin_mono = time.monotonic()
        self._origin_wall = start or datetime.now(UTC)

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin_mono) * self.speed

    def now(self) -> datetime:
        return self._origin_wall + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    def real_seconds(self, virtual_seconds: float) -> float:
        return virtual_seconds / self.speed

    def resume_at(self, instant: datetime) -> None:
        behind = instant - self.now()
        if behind > timedelta(0):
            self._origin_wall += behind


class ManualClock:
    """A clock that only moves when told to; sleepers wake as time passes them."""

    def __init__(self, start: datetime | None = None) -> None:
        self.speed = 1.0
        self._t = 0.0
        self._start = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._t)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self._t + seconds, fut))
        await fut

    def real_seconds(self, virtual_seconds: float) -> float:
        return virtual_seconds

    def resume_at(self, instant: datetime) -> None:
        behind = instant - self.now()
        if behind > timedelta(0):
            self._start += behind

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has passed."""
        self._t += seconds
        due = [s for s in self._sleepers if s[0] <= self._t]
        self._sleepers = [s for s in self._sleepers if s[0] > self._t]
        for _, fut in due:
            if not fut.done():
                fut.set_result(None)
