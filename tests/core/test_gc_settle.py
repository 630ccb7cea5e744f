"""A host of many stations keeps the cyclic garbage collector off its steady state (issue 15)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bench.gc_settle import YOUNG_THRESHOLD, collect_young_rarely, settle_garbage


@pytest.fixture(autouse=True)
def _restore_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()


def test_settling_freezes_what_lives_and_collects_the_young_generation_rarely():
    gc.set_threshold(700, 10, 10)
    kept = [[index] for index in range(1000)]
    settle_garbage()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)


def test_cyclic_garbage_made_after_settling_is_still_collected_automatically():
    gc.set_threshold(700, 10, 10)
    settle_garbage()
    cycle = _Node()
    cycle.peer = cycle
    gone = weakref.ref(cycle)
    del cycle
    # No gc.collect(): the allocations alone must trigger a young collection.
    allocated = [[index] for index in range(2 * YOUNG_THRESHOLD)]
    assert gone() is None, "a young collection never ran"
    assert len(allocated) == 2 * YOUNG_THRESHOLD


class _Node:
    peer: object = None


def test_a_higher_threshold_or_a_disabled_collector_is_left_as_it_was():
    gc.set_threshold(50_000, 10, 10)
    collect_young_rarely()
    assert gc.get_threshold() == (50_000, 10, 10)
    gc.set_threshold(0, 10, 10)  # 0: automatic collection is off
    collect_young_rarely()
    assert gc.get_threshold() == (0, 10, 10)
