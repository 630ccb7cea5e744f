"""Keeping the cyclic garbage collector off a process that hosts many stations.

A station is thousands of long-lived objects; with hundreds of them every full
collection walks them all, and at 1,000 charging stations the collector was an
eighth of the steady-state CPU (issue 15) besides stopping the loop for 100-200 ms
(benchmarks/bench_ui.py). After stations come or go, once things are quiet, a host
collects once and freezes what survived: later collections only walk objects made
since. Unfreezing first lets the one collection release a removed station's cycles.

The young collections that remain find nothing to free in the steady state: what a
message makes dies by reference counting. Yet each walks the live await chains of
every station that exchanged a message since the last one (coroutines, futures),
scattered over the whole heap: 2-3 ms each at Python's default threshold of 700
allocations, 7-9 % of 1,000 charging stations' CPU. A host of stations therefore
collects the young generation after ``YOUNG_THRESHOLD`` allocations instead: the
live chains are bounded by the number of stations, so each collection costs about
the same and they come fourteen times less often. Cyclic garbage waits a little
longer for its collection; between two collections at most that many objects pile up.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle_garbage() -> None:
    """Collect once, then freeze every surviving object out of later collections."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    collect_young_rarely()


def collect_young_rarely() -> None:
    """Raise the young generation's threshold to ``YOUNG_THRESHOLD`` (never lower it)."""
    young, middle, old = gc.get_threshold()
    if 0 < young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
