"""Reconnecting after a connection loss, as 2.0.1-J part 4 §5.3 says (OCPPCommCtrlr).

The first attempt waits RetryBackOffWaitMinimum seconds plus a random part of at most
RetryBackOffRandomRange seconds; every failed attempt doubles the wait, at most
RetryBackOffRepeatTimes times, with a new random part each time; after that the
station keeps the last wait. The variables are read at every attempt, so a
SetVariables applies to the next one (TC_B_57_CS, TC_B_49_CS).

Same interface as ``bench.transport.backoff.Backoff`` (``next``, ``reset``,
``attempt``), which a test may still hand the station instead.
"""

from __future__ import annotations

from typing import Protocol

COMM = "OCPPCommCtrlr"


class Variables(Protocol):
    def number(self, component: str, variable: str, instance: str | None = None) -> float: ...


class Uniform(Protocol):
    def random(self) -> float: ...


class RetryBackOff:
    __slots__ = ("_attempt", "cp", "rng")

    def __init__(self, cp: Variables, rng: Uniform) -> None:
        self.cp = cp
        self.rng = rng
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """How many waits were handed out since the last successful connection."""
        return self._attempt

    def next(self) -> float:
        """The wait before the next reconnection attempt, in seconds."""
        minimum = max(0.0, self.cp.number(COMM, "RetryBackOffWaitMinimum"))
        spread = max(0.0, self.cp.number(COMM, "RetryBackOffRandomRange"))
        doublings = min(self._attempt, max(0, int(self.cp.number(COMM, "RetryBackOffRepeatTimes"))))
        self._attempt += 1
        wait = minimum * 2**doublings + (self.rng.random() * spread if spread else 0.0)
        # Never a hot loop, even when the CSMS configured zero.
        return max(wait, 0.1)

    def reset(self) -> None:
        """Connected: the next connection loss starts again from the minimum."""
        self._attempt = 0
