"""``FifoLock``: the session's call lock, which keeps nothing once nobody waits (issue 15)."""

from __future__ import annotations

import asyncio

import pytest

from bench.ocpp.fifo_lock import FifoLock


async def _hold(lock: FifoLock, name: str, order: list[str], gate: asyncio.Event) -> None:
    async with lock:
        order.append(name)
        await gate.wait()


async def test_waiters_get_the_lock_in_the_order_they_asked_and_nothing_is_kept_after() -> None:
    lock = FifoLock()
    order: list[str] = []
    gate = asyncio.Event()
    tasks = [asyncio.create_task(_hold(lock, name, order, gate)) for name in "abc"]
    for _ in range(100):  # bounded: until the first holds it and the others wait
        if order == ["a"] and lock._waiters is not None and len(lock._waiters) == 2:
            break
        await asyncio.sleep(0)
    assert lock.locked() and order == ["a"]
    gate.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert order == ["a", "b", "c"]
    assert not lock.locked()
    assert lock._waiters is None  # no list (let alone a deque) left behind


async def test_a_waiter_cancelled_while_waiting_lets_the_next_one_in() -> None:
    lock = FifoLock()
    await lock.acquire()
    second = asyncio.create_task(lock.acquire())
    third = asyncio.create_task(lock.acquire())
    for _ in range(100):
        if lock._waiters is not None and len(lock._waiters) == 2:
            break
        await asyncio.sleep(0)
    lock.release()  # wakes the second ...
    second.cancel()  # ... which is cancelled before it runs: the third gets the lock
    with pytest.raises(asyncio.CancelledError):
        await second
    assert await asyncio.wait_for(third, 5) is True
    assert lock.locked()
    lock.release()
    assert not lock.locked() and lock._waiters is None


async def test_releasing_a_lock_nobody_holds_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        FifoLock().release()
