"""The loop wheel: the station timers of one event loop behind one asyncio timer."""

from __future__ import annotations

import asyncio

from bench.model.clock import LOOP_TIMERS, SystemClock
from bench.model.loop_wheel import COALESCE_S, wheel_of
from tests.waiting import wait_until


async def test_callbacks_run_in_deadline_order_and_never_early() -> None:
    loop = asyncio.get_running_loop()
    ran: list[tuple[str, float]] = []
    start = loop.time()
    for name, delay in (("c", 0.06), ("a", 0.02), ("b", 0.04), ("a2", 0.02)):
        LOOP_TIMERS.call_later(delay, lambda n=name, d=delay: ran.append((n, d)))
    assert ran == []  # nothing runs before its deadline
    await wait_until(lambda: len(ran) == 4)
    # Ties keep the order they were scheduled in, like loop.call_later.
    assert [name for name, _ in ran] == ["a", "a2", "b", "c"]
    assert loop.time() - start >= 0.06


async def test_a_callback_runs_no_earlier_than_its_delay() -> None:
    loop = asyncio.get_running_loop()
    when: list[float] = []
    start = loop.time()
    LOOP_TIMERS.call_later(0.05, lambda: when.append(loop.time()))
    await wait_until(lambda: when)
    assert when[0] - start >= 0.05


async def test_a_cancelled_timer_never_runs_and_is_swept_from_the_heap() -> None:
    loop = asyncio.get_running_loop()
    wheel = wheel_of(loop)
    ran: list[int] = []
    timers = [LOOP_TIMERS.call_later(30.0, lambda i=i: ran.append(i)) for i in range(200)]
    assert len(wheel) >= 200
    for timer in timers:
        timer.cancel()
        timer.cancel()  # idempotent
    # Call timeouts are cancelled by the thousand: they must not pile up for 30 s.
    assert len(wheel._heap) < 64
    done = asyncio.Event()
    LOOP_TIMERS.call_later(0.01, done.set)
    await asyncio.wait_for(done.wait(), 5)
    assert ran == []


async def test_a_timer_scheduled_by_a_callback_waits_for_the_next_turn() -> None:
    # A physics tick that re-arms itself at delay 0 must not spin inside one turn.
    turn = 0
    ran_in_turn: list[int] = []

    def again() -> None:
        ran_in_turn.append(turn)
        if len(ran_in_turn) < 3:
            LOOP_TIMERS.call_later(0.0, again)

    async def count_turns() -> None:
        nonlocal turn
        for _ in range(10_000_000):
            if len(ran_in_turn) == 3:
                return
            turn += 1
            await asyncio.sleep(0)

    LOOP_TIMERS.call_later(0.0, again)
    await asyncio.wait_for(count_turns(), 5)
    assert len(ran_in_turn) == 3
    # Each ran in a later turn of the loop than the one that scheduled it.
    assert ran_in_turn[0] < ran_in_turn[1] < ran_in_turn[2]


async def test_a_timer_cancelled_by_an_earlier_callback_of_the_same_turn_does_not_run() -> None:
    ran: list[str] = []
    second = None

    def first() -> None:
        ran.append("first")
        assert second is not None
        second.cancel()

    LOOP_TIMERS.call_later(0.01, first)
    second = LOOP_TIMERS.call_later(0.01, lambda: ran.append("second"))
    done = asyncio.Event()
    LOOP_TIMERS.call_later(0.01 + 2 * COALESCE_S, done.set)
    await asyncio.wait_for(done.wait(), 5)
    assert ran == ["first"]


async def test_an_exception_goes_to_the_loop_handler_and_later_timers_still_run() -> None:
    loop = asyncio.get_running_loop()
    seen: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        ran: list[str] = []

        def boom() -> None:
            raise RuntimeError("sampling failed")

        LOOP_TIMERS.call_later(0.01, boom)
        LOOP_TIMERS.call_later(0.01, lambda: ran.append("after"))
        await wait_until(lambda: ran)
        assert ran == ["after"]
        assert isinstance(seen[0]["exception"], RuntimeError)
    finally:
        loop.set_exception_handler(None)


async def test_a_system_clock_at_speed_runs_virtual_delays_on_the_wheel() -> None:
    loop = asyncio.get_running_loop()
    clock = SystemClock(speed=10.0)
    start = loop.time()
    when: list[float] = []
    clock.call_later(0.5, lambda: when.append(loop.time()))  # 0.05 real seconds
    await wait_until(lambda: when)
    assert when[0] - start >= 0.05


def test_each_event_loop_has_its_own_wheel() -> None:
    ran: list[str] = []

    async def one(name: str) -> None:
        done = asyncio.Event()
        LOOP_TIMERS.call_later(0.01, lambda: (ran.append(name), done.set()))
        await asyncio.wait_for(done.wait(), 5)

    asyncio.run(one("first"))
    asyncio.run(one("second"))
    assert ran == ["first", "second"]
