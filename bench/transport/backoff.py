"""Reconnect delays: capped exponential backoff with random jitter.

Pure: no clock, no sleeping; the caller waits the returned delay on its own
clock. Jitter spreads a fleet's reconnects after a CSMS restart so 10,000
stations don't knock at the same instant; with a seeded ``random.Random`` the
sequence is reproducible.

The n-th delay (n = 0, 1, ...) is drawn uniformly from
``[base * (1 - jitter), base]`` with ``base = min(maximum, initial * factor**n)``:
``jitter=0`` is plain exponential backoff, ``jitter=1`` is "full jitter"
(anything between 0 and the base), values in between keep a floor.
"""

from __future__ import annotations

import random

__all__ = ["Backoff"]


class Backoff:
    __slots__ = ("_attempt", "_base", "factor", "initial", "jitter", "maximum", "rng")

    def __init__(
        self,
        initial: float = 1.0,
        maximum: float = 60.0,
        factor: float = 2.0,
        jitter: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        if initial <= 0:
            raise ValueError("initial delay must be positive")
        if maximum < initial:
            raise ValueError("maximum delay must be at least the initial delay")
        if factor < 1:
            raise ValueError("factor must be at least 1")
        if not 0 <= jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        # Unseeded only when the caller doesn't care about reproducibility.
        self.rng = rng if rng is not None else random.Random()
        self._attempt = 0
        self._base = initial

    @property
    def attempt(self) -> int:
        """How many delays have been handed out since the last reset."""
        return self._attempt

    def next(self) -> float:
        """The delay before the next attempt, in seconds; grows until ``maximum``."""
        base = self._base
        # Grow by multiplication, not factor**n, so a long outage never overflows.
        self._base = min(self.maximum, base * self.factor)
        self._attempt += 1
        if self.jitter == 0:
            return base
        return base * (1.0 - self.jitter * self.rng.random())

    def reset(self) -> None:
        """Back to the initial delay, e.g. after a connection was accepted."""
        self._attempt = 0
        self._base = self.initial
