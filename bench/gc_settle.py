"""Keeping the cyclic garbage collector off a process that hosts many stations.

A station is thousands of long-lived objects; with hundreds of them every full
collection walks them all, and at 1,000 charging stations the collector was an
eighth of the steady-state CPU (issue 15) besides stopping the loop for 100-200 ms
(benchmarks/bench_ui.py). After stations come or go, once things are quiet, a host
collects once and freezes what survived: later collections only walk objects made
since. Unfreezing first lets the one collection release a removed station's cycles.
"""

from __future__ import annotations

import gc


def settle_garbage() -> None:
    """Collect once, then freeze every surviving object out of later collections."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
