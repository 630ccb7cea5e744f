"""kill -9 during steady charging loses no transaction message the station produced more
than one group-commit interval earlier (issue 15; 1.6 §3.7: queued transaction messages
are delivered, in order, once the station is back).

Each round runs the station of ``tests/e2e/durable_station.py`` in its own process:
it charges with its network cut, so every MeterValues waits in the offline queue, and
witnesses each message it queues on stdout. The test kills it with SIGKILL at a random
moment (seeded), starts it again on the same database with the network up, and
compares what the CSMS received with what was produced before the cutoff.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.csms.config import CsmsConfig
from bench.csms.server import CentralSystem
from bench.kernel.frames import FrameRecord
from bench.store.group_commit import FLUSH_INTERVAL_S
from tests.e2e.conftest import TAGS
from tests.e2e.durable_station import key_of

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 20
TRANSACTION_ACTIONS = ("StartTransaction", "MeterValues", "StopTransaction")
# Real seconds the station's event loop may run late on a loaded machine: the flush is
# due one interval after a change by the loop's clock, and a starved process runs its
# timers late by as much as it is starved.
SCHEDULING_SLACK_S = 1.0
PATIENCE = 60.0  # real seconds for a process to say what it must


class Received:
    """The transaction messages the CSMS received, per station, in arrival order."""

    def __init__(self) -> None:
        self.keys: dict[str, list[str]] = {}

    def record(self, rec: FrameRecord) -> None:
        if rec.direction == "rx" and rec.type == "CALL" and rec.action in TRANSACTION_ACTIONS:
            assert isinstance(rec.payload, dict)
            self.keys.setdefault(rec.station, []).append(key_of(rec.action, rec.payload))


async def line_of(proc: asyncio.subprocess.Process, timeout: float) -> list[Any] | None:
    assert proc.stdout is not None
    raw = await asyncio.wait_for(proc.stdout.readline(), timeout)
    return json.loads(raw) if raw else None


async def station(url: str, db: Path, station_id: str, phase: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.durable_station",
        url,
        str(db),
        station_id,
        phase,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def stderr_of(proc: asyncio.subprocess.Process) -> str:
    assert proc.stderr is not None
    return (await proc.stderr.read()).decode(errors="replace")[-3000:]


async def one_round(url: str, tmp: Path, seed: int) -> tuple[int, int, list[tuple[str, str]]]:
    """Kill, then restart. Returns (produced, owed while offline, the owed messages)."""
    rng = random.Random(seed)
    station_id = f"KILL{seed:02d}"
    db = tmp / f"{station_id}.db"
    first = await station(url, db, station_id, "first")
    produced: list[tuple[str, str, float]] = []
    offline_at: float | None = None
    try:
        for _ in range(10_000):  # bounded: a handful of lines before "offline"
            fields = await line_of(first, PATIENCE)
            assert fields is not None, await stderr_of(first)
            if fields == ["offline"]:
                offline_at = time.monotonic()
                break
            produced.append((fields[0], fields[1], fields[2]))
        assert offline_at is not None
        kill_at = offline_at + rng.uniform(0.2, 6.0)
        for _ in range(100_000):  # bounded: 20 messages a second for at most 6 s
            left = kill_at - time.monotonic()
            if left <= 0:
                break
            try:
                fields = await line_of(first, left)
            except TimeoutError:
                break
            assert fields is not None, await stderr_of(first)
            produced.append((fields[0], fields[1], fields[2]))
        first.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        # What the station wrote to the pipe before it died is still there.
        for _ in range(100_000):
            fields = await line_of(first, PATIENCE)
            if fields is None:
                break
            produced.append((fields[0], fields[1], fields[2]))
        assert await asyncio.wait_for(first.wait(), PATIENCE) == -signal.SIGKILL
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()

    again = await station(url, db, station_id, "again")
    try:
        for _ in range(100_000):  # bounded: what it queues on restart, then "drained"
            fields = await line_of(again, PATIENCE)
            assert fields is not None, await stderr_of(again)
            if fields == ["drained"]:
                break
        assert await asyncio.wait_for(again.wait(), PATIENCE) == 0, await stderr_of(again)
    finally:
        if again.returncode is None:
            again.kill()
            await again.wait()

    cutoff = killed_at - FLUSH_INTERVAL_S - SCHEDULING_SLACK_S
    owed = [(action, key) for action, key, at in produced if at < cutoff]
    offline_owed = [1 for _, _, at in produced if offline_at - 0.05 <= at < cutoff]
    return len(produced), len(offline_owed), owed


@pytest.mark.timeout(1200)
async def test_kill_9_at_a_random_moment_loses_no_message_older_than_one_flush_interval(
    tmp_path: Path,
) -> None:
    received = Received()
    csms = CentralSystem(
        CsmsConfig(db_path=tmp_path / "csms.db", tags=dict(TAGS), heartbeat_interval=3600),
        sink=received,
    )
    await csms.start()
    totals = {"produced": 0, "owed": 0, "owed offline": 0}
    try:
        for seed in range(ROUNDS):
            produced, offline, owed = await one_round(csms.url, tmp_path, seed)
            owed_count = len(owed)
            got = received.keys.get(f"KILL{seed:02d}", [])
            missing = [item for item in owed if item[1] not in got]
            assert not missing, f"seed {seed}: lost {len(missing)} of {owed_count}: {missing[:5]}"
            # 1.6 §3.7: delivered in the order they were produced.
            meter_keys = [key for action, key in owed if action == "MeterValues"]
            positions = [got.index(key) for key in meter_keys]
            assert positions == sorted(positions), f"seed {seed}: out of order"
            totals["produced"] += produced
            totals["owed"] += owed_count
            totals["owed offline"] += offline
    finally:
        await csms.stop()
    # The rounds must have tested something: messages that sat in the offline queue
    # (memory, then the disk) across the kill, not only ones delivered at once.
    assert totals["owed offline"] > 0, totals
    print(f"kill -9 rounds: {ROUNDS}, {totals}")
