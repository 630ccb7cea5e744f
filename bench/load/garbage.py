"""The garbage collector in a process that hosts thousands of stations.

Measured at 5,000 stations (benchmarks/bench_load.py): one full collection walks
every object of every station and held the GIL for about 3 s on a busy machine.
That stopped the stations' loop (the lag p99 of a whole window) and, with it,
Locust's side of the process, whose heartbeats to the master then went missing.
The collect-then-freeze that ``bench.gc_settle`` does once spawning pauses was
itself such a collection.

So a load process never walks its stations in a full collection:

- ``freeze_young`` collects only the two young generations (objects made since
  the last freeze: a second's worth of new stations) and freezes the survivors
  (``gc.freeze``, which costs nothing per object). ``Fleet`` calls it every
  second while stations arrive; later automatic collections walk only what was
  made after that. The price: cyclic garbage already in the old generation at a
  freeze stays until the next test in the process starts (``release_frozen``)
  or the process ends; a station's structure is what survives spawning, so that
  is little. Once every station is up nothing is frozen any more: the old
  generation's walks then cover only what the steady state made.
- ``GcWatch`` times every collection (``gc.callbacks``) so that a pause is seen,
  in the worker statistics (``gc pause``), rather than guessed.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from bench.gc_settle import collect_young_rarely


def freeze_young() -> None:
    """Collect the young generations, then move every survivor out of later walks."""
    gc.collect(1)
    gc.freeze()
    collect_young_rarely()  # and the young walks of the steady state (bench.gc_settle)


def release_frozen() -> None:
    """After stations stopped: give the collector back what was frozen, collect once.
    (A full walk, but of what is left once the stations are gone.)"""
    gc.unfreeze()
    gc.collect()


MIN_PAUSE_MS = 1.0  # shorter collections (most young ones) are not worth a sample


class GcWatch:
    """Reports every garbage collection of the process that lasts ``MIN_PAUSE_MS`` or
    more, in ms. ``report`` runs inside the collector: it must not take a lock."""

    def __init__(self, report: Callable[[float], None], monotonic: Callable[[], float]) -> None:
        self.report = report
        self.monotonic = monotonic
        self._started: float | None = None

    def install(self) -> None:
        gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, _info: dict[str, Any]) -> None:
        # Collections never nest (the GIL is held throughout), so one start is enough.
        if phase == "start":
            self._started = self.monotonic()
        elif self._started is not None:
            ms = (self.monotonic() - self._started) * 1000
            self._started = None
            if ms >= MIN_PAUSE_MS:
                self.report(ms)
