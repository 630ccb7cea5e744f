"""An open WebSocket link keeps only what it reads again (issue 15: 10,000 links in a process)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

import pytest

from bench.ocpp.errors import LinkClosed
from bench.transport.config import LinkConfig
from bench.transport.server import OcppServer, serve_ocpp
from bench.transport.websocket import _FrameList, open_link

BURST = 50  # well past websockets' receive high-water mark (MAX_QUEUE)


async def burst_on_request(station_id: str, link, subprotocol: str) -> None:
    try:
        await link.recv()
        for i in range(BURST):
            await link.send(str(i))
        await link.recv()  # until the client closes
    except LinkClosed:
        pass


@pytest.fixture
async def server() -> AsyncIterator[OcppServer]:
    started = await serve_ocpp(burst_on_request)
    yield started
    await started.close()


async def test_an_open_link_drops_the_handshake_headers_and_reads_a_burst_in_order(
    server: OcppServer,
) -> None:
    link = await open_link(LinkConfig(server.url, "CP1"))
    try:
        conn = link._conn
        assert conn.response is not None and len(conn.response.headers) == 0
        assert not isinstance(conn.recv_messages.frames.queue, deque)
        await link.send("go")
        got = [await asyncio.wait_for(link.recv(), 5) for _ in range(BURST)]
        assert got == [str(i) for i in range(BURST)]  # paused, resumed, nothing lost
    finally:
        await link.close()


def test_the_frame_list_takes_and_puts_back_frames_as_a_deque_does() -> None:
    ours: _FrameList = _FrameList()
    theirs: deque[str] = deque()
    for queue in (ours, theirs):
        queue.extend("abcd")
        first, second = queue.popleft(), queue.popleft()
        queue.extendleft(reversed([first, second]))  # websockets' put_back
        queue.append("e")
        queue.extendleft(["x", "y"])
    assert list(ours) == list(theirs) == ["y", "x", "a", "b", "c", "d", "e"]
