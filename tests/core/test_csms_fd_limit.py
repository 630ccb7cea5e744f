"""The built-in CSMS out of file descriptors: it refuses cleanly and serves who it can.

Issue 11 #10: limited to 1,024 open files, 2,000 simultaneous stations got no
boot at all (each station's first CALL read its schema from a file and failed)
and the process spun writing tracebacks. Here the CSMS runs as a subprocess
with a hard limit of 96 descriptors, so it cannot raise it, and 150 stations
connect at once.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from pathlib import Path

import orjson
from websockets.asyncio.client import connect

from tests.core.test_csms_cli import finish, url_of

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 96
STATIONS = 150
BOOT = {"chargePointVendor": "Bench", "chargePointModel": "FD"}


def _limit_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


async def boot(url: str, station_id: str) -> str:
    """The BootNotification status one station gets, or why it got none."""
    try:
        async with connect(f"{url}/{station_id}", subprotocols=["ocpp1.6"], open_timeout=20) as ws:
            await ws.send(orjson.dumps([2, "b", "BootNotification", BOOT]).decode())
            reply = orjson.loads(await asyncio.wait_for(ws.recv(), 20))
            return reply[2]["status"] if reply[0] == 3 else f"error {reply[2]}"
    except Exception as exc:
        return f"refused {type(exc).__name__}"


async def test_out_of_descriptors_the_csms_boots_who_it_can_and_stays_quiet(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.csms.cli", "--port", "0", "--db", str(tmp_path / "c.db"),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, cwd=ROOT, env=env, preexec_fn=_limit_files,
    )  # fmt: skip
    try:
        url = await url_of(proc)
        results = await asyncio.gather(*(boot(url, f"FD-{i}") for i in range(STATIONS)))
        # Every station that got an answer got Accepted: no schema read failed.
        answered = [r for r in results if not r.startswith("refused")]
        assert answered and set(answered) == {"Accepted"}, sorted(set(results))
        # With the crowd gone, a new station boots at once.
        assert await boot(url, "AFTER-1") == "Accepted"
    finally:
        proc.stdin.close()
        proc.send_signal(2)
        await finish(proc)
    stderr = await proc.stderr.read()
    assert len(stderr) < 20_000, stderr[-2000:]
