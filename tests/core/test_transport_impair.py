"""The impaired link on its own: an in-memory pair and a manual clock (issue 17, part 2).

What each fault does to frames, independent of any charge point: the proxy puts
the same wrapper around its legs.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.model.clock import ManualClock
from bench.transport.errors import TransportClosed
from bench.transport.impair import ImpairmentChanged, NetworkFaults
from bench.transport.impair_spec import (
    NO_IMPAIRMENT,
    Impairment,
    ImpairmentError,
    parse_impairment,
)
from bench.transport.memory import memory_pair


def impaired(spec: str, seed: int = 1) -> tuple[ManualClock, NetworkFaults, object, object]:
    clock = ManualClock()
    faults = NetworkFaults(clock, seed=seed)
    faults.apply(spec)
    station_end, csms_end = memory_pair()
    return clock, faults, faults.wrap(station_end), csms_end


# ---------------------------------------------------------------------- the words
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("latency 800ms jitter 200ms", Impairment(latency_s=0.8, jitter_s=0.2)),
        ("loss 5%", Impairment(loss=0.05)),
        ("halfopen", Impairment(halfopen=True)),
        ("flap 30s", Impairment(flap_s=30.0)),
        ("off", NO_IMPAIRMENT),
        ("duplicate 2%, reorder 10%", Impairment(duplicate=0.02, reorder=0.1)),
        ("bandwidth 64kbit", Impairment(bandwidth_bps=64_000)),
        ("tlsfail dnsfail", Impairment(tls_fail=True, dns_fail=True)),
        ("latency 1.5s", Impairment(latency_s=1.5)),
    ],
)
def test_each_spec_string_reads_as_the_fault_it_names(text: str, expected: Impairment) -> None:
    assert parse_impairment(text) == expected


def test_a_clause_changes_only_what_it_names_and_off_clears_everything() -> None:
    slow = parse_impairment("latency 800ms")
    slow_and_lossy = parse_impairment("loss 5%", slow)
    assert slow_and_lossy == Impairment(latency_s=0.8, loss=0.05)
    assert parse_impairment("loss 0%", slow_and_lossy) == slow
    assert parse_impairment("off", slow_and_lossy) == NO_IMPAIRMENT


def test_describe_gives_back_a_spec_string_that_reads_the_same() -> None:
    fault = parse_impairment("latency 800ms jitter 200ms loss 5% flap 30s bandwidth 1mbit")
    assert fault.describe() == "latency 800ms jitter 200ms, loss 5%, bandwidth 1mbit, flap 30s"
    assert parse_impairment(fault.describe()) == fault
    assert NO_IMPAIRMENT.describe() == "off"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("latency 800", "expected a duration such as 800ms"),
        ("loss 5", "expected a percentage"),
        ("loss 150%", "at most 100%"),
        ("latency 100ms jitter 200ms", "wider than latency"),
        ("bandwidth fast", "expected a positive rate"),
        ("flap 100ms", "at least 1s"),
        ("wobble 3", "unknown fault 'wobble'"),
        ("latency", "missing its value"),
        ("", "no fault given"),
    ],
)
def test_a_bad_spec_string_says_what_is_wrong_with_it(text: str, says: str) -> None:
    with pytest.raises(ImpairmentError, match=says):
        parse_impairment(text)


def test_a_bad_spec_leaves_the_faults_as_they_were_and_a_good_one_is_announced() -> None:
    seen: list[ImpairmentChanged] = []
    faults = NetworkFaults(ManualClock(), seed=1, on_change=seen.append)
    faults.apply("loss 5%")
    with pytest.raises(ValueError):
        faults.apply("loss lots")
    assert faults.current == Impairment(loss=0.05)
    assert [event.text for event in seen] == ["loss 5%"]


# ---------------------------------------------------------------------- on a link
async def test_latency_holds_a_frame_until_its_time_has_passed() -> None:
    clock, _faults, link, peer = impaired("latency 1s")
    sending = asyncio.ensure_future(link.send("one"))
    await clock.run_for(0.9)
    assert peer.pending == 0
    await clock.run_for(0.2)
    await sending
    assert await peer.recv() == "one"


async def test_jitter_varies_the_delay_but_never_lets_a_frame_overtake_another() -> None:
    clock, _faults, link, peer = impaired("latency 1s jitter 900ms")
    sends = [asyncio.ensure_future(link.send(str(n))) for n in range(20)]
    await clock.run_for(3.0)
    await asyncio.gather(*sends)
    assert [await peer.recv() for _ in range(20)] == [str(n) for n in range(20)]


async def test_frames_behind_a_delayed_one_are_not_held_up_longer_than_their_own_delay() -> None:
    clock, _faults, link, peer = impaired("latency 1s")
    first = asyncio.ensure_future(link.send("one"))
    await clock.run_for(0.5)
    second = asyncio.ensure_future(link.send("two"))
    await clock.run_for(0.6)  # 1.1 s: the first is due, the second not yet (1.5 s)
    await first
    assert peer.pending == 1
    await clock.run_for(0.5)
    await second
    assert peer.pending == 2


async def test_a_bandwidth_limit_spaces_frames_by_their_size() -> None:
    clock, _faults, link, peer = impaired("bandwidth 8kbit")  # 1000 bytes a second
    sends = [asyncio.ensure_future(link.send("x" * 500)) for _ in range(2)]
    await clock.run_for(0.55)
    assert peer.pending == 1
    await clock.run_for(0.5)
    await asyncio.gather(*sends)
    assert peer.pending == 2


async def test_loss_drops_a_share_of_the_frames_in_each_direction() -> None:
    _clock, faults, link, peer = impaired("loss 50%")
    for n in range(200):
        await link.send(str(n))
        await peer.send(str(n))
    await peer.close()
    got_there = peer.pending
    came_back = 0
    with pytest.raises(TransportClosed):
        for _ in range(201):
            await link.recv()
            came_back += 1
    assert 60 < got_there < 140 and 60 < came_back < 140
    assert faults.counters.dropped == 400 - got_there - came_back


async def test_a_duplicated_frame_arrives_twice_in_each_direction() -> None:
    _clock, faults, link, peer = impaired("duplicate 100%")
    await link.send("out")
    await peer.send("in")
    assert [await peer.recv(), await peer.recv()] == ["out", "out"]
    assert [await link.recv(), await link.recv()] == ["in", "in"]
    assert faults.counters.duplicated == 2


async def test_a_reordered_frame_is_overtaken_by_the_next_one() -> None:
    clock, faults, link, peer = impaired("reorder 100%")
    held = asyncio.ensure_future(link.send("first"))
    await clock.settle()
    faults.apply("reorder 0%")
    await link.send("second")
    await clock.settle()
    await held
    assert [await peer.recv(), await peer.recv()] == ["second", "first"]


async def test_a_reordered_frame_with_nothing_behind_it_still_leaves_within_a_second() -> None:
    clock, _faults, link, peer = impaired("reorder 100%")
    held = asyncio.ensure_future(link.send("alone"))
    await clock.run_for(0.9)
    assert peer.pending == 0
    await clock.run_for(0.2)
    await held
    assert await peer.recv() == "alone"


async def test_a_half_open_link_carries_nothing_either_way_until_it_is_cleared() -> None:
    clock, faults, link, peer = impaired("halfopen")
    await link.send("lost out")
    await peer.send("lost in")
    receiving = asyncio.ensure_future(link.recv())
    await clock.run_for(60)
    assert not receiving.done() and peer.pending == 0 and not link.closed
    faults.apply("off")
    await link.send("out")
    await peer.send("in")
    assert await receiving == "in"
    assert await peer.recv() == "out"
    assert faults.counters.blackholed == 2


async def test_a_flapping_link_drops_without_a_closing_handshake_after_its_time() -> None:
    clock, faults, link, peer = impaired("flap 5s")
    receiving = asyncio.ensure_future(link.recv())
    await clock.run_for(4.9)
    assert not receiving.done()
    await clock.run_for(0.2)
    with pytest.raises(TransportClosed) as closed:
        await receiving
    assert closed.value.code == 1006
    assert peer.closed and peer.close_code == 1006
    assert faults.counters.flaps == 1
    with pytest.raises(TransportClosed):
        await link.send("too late")


async def test_flap_set_on_an_open_link_counts_from_when_it_was_set() -> None:
    clock, faults, link, _peer = impaired("off")
    receiving = asyncio.ensure_future(link.recv())
    await clock.run_for(100)
    faults.apply("flap 10s")
    await clock.run_for(9.9)
    assert not receiving.done()
    await clock.run_for(0.2)
    with pytest.raises(TransportClosed):
        await receiving


async def test_a_received_frame_is_overtaken_by_the_next_one_too() -> None:
    clock, faults, link, peer = impaired("reorder 100%")
    await peer.send("first")
    receiving = asyncio.ensure_future(link.recv())
    await clock.settle()
    faults.apply("reorder 0%")
    await peer.send("second")
    assert await receiving == "second"
    assert await link.recv() == "first"
    assert faults.counters.reordered == 1


async def test_a_received_frame_with_nothing_behind_it_arrives_after_the_hold() -> None:
    clock, _faults, link, peer = impaired("reorder 100%")
    await peer.send("alone")
    receiving = asyncio.ensure_future(link.recv())
    await clock.run_for(0.9)
    assert not receiving.done()
    await clock.run_for(0.2)
    assert await receiving == "alone"


async def test_a_flap_found_by_a_send_ends_the_waiting_recv_as_a_closed_link() -> None:
    """The reader must see the link closed, never a cancellation: a cancelled reader
    would end the station's connection loop instead of letting it reconnect."""
    clock, faults, link, _peer = impaired("flap 5s")
    receiving = asyncio.ensure_future(link.recv())
    await clock.settle()
    clock.advance(5.1)  # the flap is due; the waiting reader has not run yet
    with pytest.raises(TransportClosed):
        await link.send("too late")
    with pytest.raises(TransportClosed):
        await receiving
    assert faults.counters.flaps == 1


async def _collect(link: object, into: list[str], n: int) -> None:
    for _ in range(n):  # one frame at a time, as a session or the proxy's pump reads
        into.append(await link.recv())  # type: ignore[attr-defined]


async def test_frames_received_together_each_wait_the_latency_from_their_own_arrival() -> None:
    """A reader taking one frame at a time does not make the next wait behind it."""
    clock, _faults, link, peer = impaired("latency 1s")
    for name in ("a", "b", "c"):
        await peer.send(name)
    got: list[str] = []
    reader = asyncio.ensure_future(_collect(link, got, 3))
    await clock.run_for(0.9)
    assert got == []
    await clock.run_for(0.2)  # 1.1 s: all three are due, not 1, 2 and 3 s
    assert got == ["a", "b", "c"]
    await reader


async def test_a_frame_read_ahead_overtakes_a_reordered_one_before_later_frames_do() -> None:
    clock, faults, link, peer = impaired("latency 1s")
    for name in ("a", "b", "c"):
        await peer.send(name)
    got: list[str] = []
    reader = asyncio.ensure_future(_collect(link, got, 3))
    await clock.run_for(0.5)  # "b" and "c" read behind "a" while it is on its way
    faults.apply("reorder 100%")
    await clock.run_for(2.0)
    assert got[:2] == ["b", "a"]  # its neighbour passed it, not a later frame
    assert sorted(got) == ["a", "b", "c"]
    await reader
