"""Backoff: capped exponential reconnect delays with jitter, reproducible with a seed."""

from __future__ import annotations

import random

import pytest

from bench.transport.backoff import Backoff


def test_without_jitter_delays_double_until_the_cap() -> None:
    b = Backoff(initial=1, maximum=10, factor=2, jitter=0)
    assert [b.next() for _ in range(7)] == [1, 2, 4, 8, 10, 10, 10]


def test_every_delay_stays_between_its_jitter_floor_and_its_base() -> None:
    b = Backoff(initial=0.5, maximum=30, factor=3, jitter=0.5, rng=random.Random(7))
    base = 0.5
    for _ in range(200):
        delay = b.next()
        assert base * 0.5 <= delay <= base
        base = min(30, base * 3)


def test_full_jitter_spreads_delays_down_to_zero_but_never_above_the_cap() -> None:
    b = Backoff(initial=1, maximum=8, jitter=1.0, rng=random.Random(1))
    delays = [b.next() for _ in range(300)]
    assert all(0 <= d <= 8 for d in delays)
    assert min(delays[5:]) < 2  # deep into the cap, short delays still occur
    assert max(delays) > 6


def test_the_same_seed_gives_the_same_sequence_and_another_seed_differs() -> None:
    def run(seed: int) -> list[float]:
        b = Backoff(rng=random.Random(seed))
        return [b.next() for _ in range(20)]

    assert run(42) == run(42)
    assert run(42) != run(43)


def test_reset_starts_over_from_the_initial_delay() -> None:
    b = Backoff(initial=2, maximum=60, jitter=0)
    for _ in range(5):
        b.next()
    assert b.attempt == 5
    b.reset()
    assert b.attempt == 0
    assert b.next() == 2


def test_a_very_long_outage_neither_overflows_nor_exceeds_the_cap() -> None:
    b = Backoff(initial=1, maximum=60, factor=10, jitter=0)
    for _ in range(5000):
        delay = b.next()
    assert delay == 60


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": 0},
        {"initial": 5, "maximum": 1},
        {"factor": 0.5},
        {"jitter": -0.1},
        {"jitter": 1.5},
    ],
)
def test_nonsense_parameters_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)
