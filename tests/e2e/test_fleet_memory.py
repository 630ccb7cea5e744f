"""What one booted, idle station holds in memory: a fleet keeps 10,000 in a process (issue 15).

A station is built the way ``benchmarks/bench_fleet.py`` builds its fleet (the
``ac-11kw`` template, no frame sink, one shared database) and boots against the
built-in CSMS on loopback. Its memory is what only it reaches: every object found
from the charge point, less what the other stations of the same process reach too
(templates, device-model definitions, schemas, the event loop). The budgets sit
between what a station held before this work (about 30 KB for 2.0.1, 22.5 KB for 1.6,
``sys.getsizeof`` summed) and after it (about 22 KB and 16 KB).
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import sys
import types
from collections import deque
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from bench.model.clock import SystemClock
from bench.model.loop_wheel import LoopWheel
from bench.model.templates import build_station, load_station_template
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.ocpp.v201.charge_point import ChargePoint201
from bench.store.db import open_database
from bench.store.group_commit import GroupCommit
from bench.transport.config import LinkConfig
from tests.e2e.conftest import WAIT, CpFactory
from tests.e2e.wire import WireCsms
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)

# Bytes of objects (sys.getsizeof) only one booted, idle station may hold.
BUDGET = {"1.6": 19_000, "2.0.1": 26_000}
KINDS = {"1.6": (ChargePoint16, "ocpp1.6"), "2.0.1": (ChargePoint201, "ocpp2.0.1")}
# Shared by construction, never a station's own: the walk does not go through them.
_SHARED = (type, types.ModuleType, types.FunctionType, types.CodeType, types.BuiltinFunctionType)


def _reach(roots: Iterable[Any]) -> dict[int, Any]:
    """Every object reachable from ``roots`` (by id), short of types, code and the loop."""
    seen: dict[int, Any] = {}
    todo = deque(roots)
    for obj in todo:
        seen[id(obj)] = obj
    for _ in range(10_000_000):  # bounded: the graph of a few stations is far smaller
        if not todo:
            return seen
        for ref in gc.get_referents(todo.popleft()):
            if id(ref) in seen or isinstance(ref, _SHARED):
                continue
            if isinstance(ref, asyncio.AbstractEventLoop | LoopWheel | GroupCommit):
                continue  # the loop, its timer wheel and the database's writer reach all
            seen[id(ref)] = ref
            todo.append(ref)
    raise AssertionError("object graph walk did not end")


def owned_bytes(station: Any, others: list[Any]) -> int:
    """``sys.getsizeof`` summed over what ``station`` reaches and no other station does."""
    gc.collect()
    shared = _reach(others)
    own = _reach([station])
    return sum(sys.getsizeof(obj) for key, obj in own.items() if key not in shared)


@pytest.fixture
async def fleet_db(tmp_path: Path) -> AsyncIterator[sqlite3.Connection]:
    db = open_database(tmp_path / "fleet.db")
    yield db
    db.close()


async def boot_idle_fleet(version: str, csms: CentralSystem, db: sqlite3.Connection) -> list[Any]:
    kind, subprotocol = KINDS[version]
    template = load_station_template("ac-11kw")
    clock = SystemClock()
    cps = []
    for i in range(4):
        station = build_station(f"FLEET{i}", template, clock, seed=i)
        link = LinkConfig(url=csms.url, station_id=station.id, subprotocol=subprotocol)
        cp = kind(station, link, db=db)
        cps.append(cp)
        await cp.start()
    for cp in cps:
        await cp.wait_accepted(WAIT)
    # Idle: the boot's statuses and events are answered and their senders gone, so
    # only the connection loop runs, reading the link.
    await wait_until(
        lambda: all(len(cp.tasks.tasks) == 1 and not cp.session.awaiting_reply for cp in cps),
        WAIT,
        "every station idle after its boot",
    )
    return cps


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_booted_idle_station_holds_only_a_small_budget_of_memory_of_its_own(
    version: str, csms: CentralSystem, fleet_db: sqlite3.Connection
) -> None:
    cps = await boot_idle_fleet(version, csms, fleet_db)
    try:
        owned = owned_bytes(cps[1], [cps[0], cps[2], cps[3]])
        assert owned < BUDGET[version], f"{version}: one station holds {owned} bytes"
    finally:
        for cp in cps:
            await cp.stop(drain_timeout=1.0)


@pytest.fixture
async def wire() -> AsyncIterator[WireCsms]:
    server = WireCsms()
    await server.start()
    yield server
    await server.stop()


async def test_a_station_has_no_fault_wrapper_until_a_fault_is_set_then_it_applies_to_the_open_link(
    wire: WireCsms, make_cp: CpFactory
) -> None:
    cp = await make_cp(wire.url, call_timeout=0.5)
    assert type(cp._link).__name__ == "WebSocketLink"  # nothing between session and socket
    assert cp.impairment().describe() == "off"
    await cp.send_heartbeat()
    heard = len(wire.arrived("Heartbeat"))
    assert heard >= 1

    cp.impair("loss 100%")  # set on the link already open: it applies there as well
    assert type(cp._link).__name__ == "ImpairedLink"
    await cp.send_heartbeat()  # lost on the way out: no reply (a failure, logged)

    assert cp.network_faults.counters.dropped >= 1
    assert len(wire.arrived("Heartbeat")) == heard
    cp.impair("off")
    await cp.send_heartbeat()
    assert len(wire.arrived("Heartbeat")) > heard
