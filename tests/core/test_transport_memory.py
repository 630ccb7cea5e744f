"""memory_pair: the in-memory link honours the same contract as the WebSocket link."""

from __future__ import annotations

import asyncio

import pytest

from bench.ocpp.errors import LinkClosed
from bench.transport.errors import TransportClosed
from bench.transport.memory import memory_pair


async def test_messages_arrive_in_order_in_both_directions() -> None:
    cp, csms = memory_pair()
    for text in ("one", "two", "three"):
        await cp.send(text)
    await csms.send("back")
    assert [await csms.recv() for _ in range(3)] == ["one", "two", "three"]
    assert await cp.recv() == "back"


async def test_recv_waits_until_the_peer_sends() -> None:
    cp, csms = memory_pair()
    waiting = asyncio.create_task(csms.recv())
    await asyncio.sleep(0)
    assert not waiting.done()
    await cp.send("hello")
    assert await asyncio.wait_for(waiting, 1) == "hello"


async def test_closing_one_end_drains_queued_messages_then_both_ends_raise_link_closed() -> None:
    cp, csms = memory_pair()
    await cp.send("queued for csms")
    await csms.send("queued for cp")
    await cp.close(1001, "rebooting")
    assert cp.closed and csms.closed
    assert await csms.recv() == "queued for csms"
    assert await cp.recv() == "queued for cp"
    with pytest.raises(LinkClosed) as on_csms:
        await csms.recv()
    with pytest.raises(LinkClosed):
        await cp.recv()
    assert isinstance(on_csms.value, TransportClosed)
    assert on_csms.value.code == 1001
    assert on_csms.value.reason == "rebooting"
    assert csms.close_reason == "closed by the peer: 1001 rebooting"
    assert cp.close_reason == "closed by us: 1001 rebooting"


async def test_a_waiting_recv_is_woken_by_a_close_from_the_other_end() -> None:
    cp, csms = memory_pair()
    waiting = asyncio.create_task(cp.recv())
    await asyncio.sleep(0)
    await csms.close()
    with pytest.raises(LinkClosed):
        await asyncio.wait_for(waiting, 1)


async def test_send_on_a_closed_link_raises_link_closed_on_either_end() -> None:
    cp, csms = memory_pair()
    await csms.close()
    with pytest.raises(LinkClosed):
        await cp.send("too late")
    with pytest.raises(LinkClosed):
        await csms.send("too late")


async def test_close_is_idempotent_and_keeps_the_first_code() -> None:
    cp, csms = memory_pair()
    assert cp.close_code is None and cp.close_reason == ""
    await cp.close(4000, "first")
    await csms.close(1000, "second")
    assert csms.close_code == 4000
    assert cp.close_reason.endswith("first")


async def test_two_concurrent_receivers_on_one_end_are_a_usage_error() -> None:
    cp, _csms = memory_pair()
    first = asyncio.create_task(cp.recv())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="already waiting"):
        await cp.recv()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
