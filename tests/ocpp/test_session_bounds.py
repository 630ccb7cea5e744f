"""The session's bound on nesting: exactly ``MAX_DEPTH`` levels pass, one more does not.

2.0.1 DataTransfer carries ``data`` of any shape (AnyType), so a frame can be as
deep as a peer likes; past the bound it is a FormatViolation (part 4 §4.3) with
the CALL's own id. Frames with many containers that are not deep (a MeterValues
with many samples) are handled as usual.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bench.ocpp.errors import InvalidReply
from bench.ocpp.session import MAX_DEPTH, MAX_FRAME_CHARS, OcppSession
from bench.transport.memory import memory_pair


def lists(levels: int) -> list[Any]:
    """Empty lists nested ``levels`` deep (``[]`` is one level)."""
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


def dicts_and_lists(levels: int) -> Any:
    """Dicts and lists alternating, ``levels`` deep."""
    value: Any = {}
    for level in range(levels - 1):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.fixture
async def station():
    """A 2.0.1 station-side session whose DataTransfer handler records what it got."""
    raw, served = memory_pair()
    seen: list[Any] = []

    async def data_transfer(payload: dict[str, Any]) -> dict[str, Any]:
        seen.append(payload["data"])
        return {"status": "Accepted"}

    session = OcppSession(
        served, version="2.0.1", station_id="CS1", handlers={"DataTransfer": data_transfer}
    )
    task = asyncio.get_running_loop().create_task(session.serve())
    yield raw, seen
    await raw.close()
    await asyncio.wait_for(task, 5)


async def send_data(raw: Any, msg_id: str, data: Any) -> list[Any]:
    """Send a DataTransfer whose ``data`` is ``data``; the station's reply frame."""
    await raw.send(json.dumps([2, msg_id, "DataTransfer", {"vendorId": "v", "data": data}]))
    return json.loads(await asyncio.wait_for(raw.recv(), 5))


# The frame array is level 1, the payload object level 2, so ``data`` starts at level 3.
@pytest.mark.parametrize("shape", [lists, dicts_and_lists])
async def test_a_frame_exactly_max_depth_levels_deep_reaches_its_handler(station, shape) -> None:
    raw, seen = station
    reply = await send_data(raw, "ok", shape(MAX_DEPTH - 2))
    assert reply == [3, "ok", {"status": "Accepted"}]
    assert seen == [shape(MAX_DEPTH - 2)]


@pytest.mark.parametrize("shape", [lists, dicts_and_lists])
async def test_one_level_more_is_a_format_violation_with_the_calls_id(station, shape) -> None:
    raw, seen = station
    reply = await send_data(raw, "deep", shape(MAX_DEPTH - 1))
    assert reply[:3] == [4, "deep", "FormatViolation"]
    assert f"deeper than {MAX_DEPTH}" in reply[3]
    assert seen == []


async def test_many_shallow_containers_are_not_mistaken_for_depth(station) -> None:
    """More brackets than MAX_DEPTH, nested only three levels: an ordinary frame."""
    raw, seen = station
    wide = [{"sample": [i, {"unit": "W"}]} for i in range(10 * MAX_DEPTH)]
    reply = await send_data(raw, "wide", wide)
    assert reply == [3, "wide", {"status": "Accepted"}]
    assert seen == [wide]


async def test_the_deep_branch_is_found_after_many_shallow_ones(station) -> None:
    raw, seen = station
    data = [[{"x": 1}] for _ in range(100)] + [lists(MAX_DEPTH)]
    reply = await send_data(raw, "late", data)
    assert reply[:3] == [4, "late", "FormatViolation"]
    assert seen == []


@pytest.fixture
async def caller():
    """A 1.6 station-side session with a patient call timeout; the test is the CSMS."""
    raw, served = memory_pair()
    log: list[Any] = []

    class Sink:
        def record(self, rec: Any) -> None:
            log.append(rec)

    session = OcppSession(
        served, version="1.6", station_id="CP1", handlers={}, sink=Sink(), call_timeout=60.0
    )
    task = asyncio.get_running_loop().create_task(session.serve())
    yield raw, session, log
    await raw.close()
    await asyncio.wait_for(task, 5)


# Replies no session can read, each carrying the pending CALL's id ("ID").
UNREADABLE_REPLIES = {
    "nested too deep": '[3, "ID", {"currentTime": ' + "[" * 100 + "]" * 100 + "}]",
    "too large": '[3, "ID", {"currentTime": "' + "x" * (MAX_FRAME_CHARS + 1) + '"}]',
    "binary": b'[3, "ID", {"currentTime": "2026-01-01T00:00:00Z"}]',
    "too short": '[3, "ID"]',
}


@pytest.mark.parametrize("kind", list(UNREADABLE_REPLIES))
async def test_an_unreadable_reply_to_the_pending_call_fails_it_at_once(caller, kind) -> None:
    """Part 4 §4.1.1: the CALL was responded to. The caller learns it now (InvalidReply),
    as for a reply that fails its schema, not after the 60 s call timeout."""
    raw, session, log = caller
    call = asyncio.get_running_loop().create_task(session.call("Heartbeat", {}))
    sent = json.loads(await asyncio.wait_for(raw.recv(), 5))
    reply = UNREADABLE_REPLIES[kind]
    if isinstance(reply, bytes):
        await raw.send(reply.replace(b"ID", sent[1].encode()))  # type: ignore[arg-type]
    else:
        await raw.send(reply.replace("ID", sent[1]))
    with pytest.raises(InvalidReply) as failed:
        await asyncio.wait_for(call, 5)
    assert failed.value.action == "Heartbeat"
    (malformed,) = [r for r in log if r.type == "MALFORMED"]
    assert (malformed.id, malformed.action, malformed.valid) == (sent[1], "Heartbeat", False)


async def test_an_unreadable_reply_with_another_id_leaves_the_pending_call_waiting(caller) -> None:
    raw, session, log = caller
    call = asyncio.get_running_loop().create_task(session.call("Heartbeat", {}))
    sent = json.loads(await asyncio.wait_for(raw.recv(), 5))
    await raw.send('[3, "someone-else"]')
    await raw.send(json.dumps([3, sent[1], {"currentTime": "2026-01-01T00:00:00Z"}]))
    assert await asyncio.wait_for(call, 5) == {"currentTime": "2026-01-01T00:00:00Z"}
    assert [r.action for r in log if r.type == "MALFORMED"] == [None]
