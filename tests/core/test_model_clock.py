"""The clocks own their timers (issue 12): virtual delays, a manual clock that fires them."""

from __future__ import annotations

import asyncio

import pytest

from bench.kernel.supervisor import Supervisor
from bench.model.clock import ManualClock, SystemClock, timeout, wait_for
from bench.ocpp.errors import CallTimeout
from bench.ocpp.session import OcppSession
from bench.transport.memory import memory_pair


def test_advancing_a_manual_clock_fires_due_timers_in_order_each_at_its_own_instant() -> None:
    clock = ManualClock()
    fired: list[tuple[str, float]] = []
    clock.call_later(30, lambda: fired.append(("b", clock.monotonic())))
    clock.call_later(10, lambda: fired.append(("a", clock.monotonic())))
    clock.call_at(90, lambda: fired.append(("late", clock.monotonic())))
    clock.advance(60)
    assert fired == [("a", 10.0), ("b", 30.0)]
    assert clock.monotonic() == 60.0
    clock.advance(30)
    assert fired[-1] == ("late", 90.0)


def test_a_timer_scheduled_by_a_timer_fires_in_the_same_advance_when_it_falls_inside() -> None:
    clock = ManualClock()
    fired: list[float] = []

    def tick() -> None:
        fired.append(clock.monotonic())
        clock.call_later(15, tick)

    clock.call_later(15, tick)
    clock.advance(60)
    assert fired == [15.0, 30.0, 45.0, 60.0]
    assert clock.pending == 1  # the one at 75 waits for the next advance


def test_a_cancelled_timer_never_fires() -> None:
    clock = ManualClock()
    fired: list[str] = []
    timer = clock.call_later(5, lambda: fired.append("x"))
    timer.cancel()
    clock.advance(10)
    assert fired == [] and clock.pending == 0


async def test_run_for_lets_woken_coroutines_run_before_the_next_instant() -> None:
    """A coroutine that sleeps an hour at a time wakes 24 times in 24 virtual hours."""
    clock = ManualClock()
    woke: list[float] = []

    async def hourly() -> None:
        for _ in range(100):
            await clock.sleep(3600)
            woke.append(clock.monotonic())

    task = asyncio.create_task(hourly())
    await clock.run_for(24 * 3600)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert woke == [3600.0 * k for k in range(1, 25)]
    assert clock.monotonic() == 24 * 3600


async def test_a_timer_due_now_runs_on_the_next_turn_of_the_loop_without_time_passing() -> None:
    clock = ManualClock()
    fired = asyncio.Event()
    clock.call_later(0, fired.set)
    await asyncio.wait_for(fired.wait(), 5)
    assert clock.monotonic() == 0.0


async def test_wait_for_on_a_manual_clock_times_out_exactly_when_the_clock_passes_it() -> None:
    clock = ManualClock()
    never = asyncio.Event()
    waiting = asyncio.create_task(wait_for(clock, never.wait(), 30))
    await clock.run_for(29.5)
    assert not waiting.done()
    await clock.run_for(0.5)
    assert waiting.done()
    with pytest.raises(TimeoutError):
        waiting.result()


async def test_a_cancel_from_outside_a_clock_timeout_stays_a_cancel() -> None:
    clock = ManualClock()

    async def guarded() -> None:
        async with timeout(clock, 30):
            await asyncio.Event().wait()

    task = asyncio.create_task(guarded())
    await clock.settle()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_system_clock_runs_virtual_delays_speed_times_faster_on_the_loop() -> None:
    """An hour of station time at a million times real time takes 3.6 ms of the loop's."""
    clock = SystemClock(speed=1_000_000)
    done = asyncio.Event()
    clock.call_later(3600, done.set)
    await asyncio.wait_for(done.wait(), 5)  # without the speed it would take an hour


async def test_supervisor_timers_run_on_the_station_clock() -> None:
    clock = ManualClock()
    tasks = Supervisor("CP1", clock=clock)
    fired: list[float] = []
    tasks.later("beat", 300, lambda: fired.append(clock.monotonic()))
    tasks.later("beat", 600, lambda: fired.append(clock.monotonic()))  # replaces the first
    await clock.run_for(599)
    assert fired == [] and tasks.has_timer("beat")
    await clock.run_for(1)
    assert fired == [600.0] and not tasks.has_timer("beat")
    await tasks.aclose()


async def test_a_call_times_out_after_the_call_timeout_of_its_clock() -> None:
    """OCPP-J: a CALL with no reply fails with CallTimeout once the timeout passes on the
    session's timers (a manual clock here: exactly at 30 s, not before)."""
    clock = ManualClock()
    ours, peer = memory_pair()
    session = OcppSession(
        ours, version="1.6", station_id="CP1", handlers={}, call_timeout=30.0, timers=clock
    )
    call = asyncio.create_task(session.call("Heartbeat", {}))
    await clock.run_for(29.9)
    assert not call.done() and peer.pending == 1
    await clock.run_for(0.1)
    with pytest.raises(CallTimeout):
        await call
    await ours.close()
