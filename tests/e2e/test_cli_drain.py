"""`ocpp-bench run --drain`: a run does not end quietly with messages still queued (issue 10).

The CSMS here goes away for real: it takes the StartTransaction without
answering and stops listening, so the station queues it and everything after
it (1.6 §3.7). The CLI runs as a process against it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bench.cli import EXIT_UNDELIVERED
from bench.csms.config import TagEntry
from bench.csms.server import CentralSystem
from tests.e2e.conftest import WAIT, RawCsms
from tests.e2e.test_cli import ROOT, _env

START = 60.0  # real seconds for a fresh interpreter to boot a station on a busy machine
SCRIPT = "plug 1; present TAG-1; wait 60; present TAG-1; wait 60"


@pytest.fixture
async def vanishing_csms() -> AsyncIterator[tuple[RawCsms, asyncio.Event]]:
    """Answers the boot and Authorize, then takes StartTransaction and goes away."""
    raw = RawCsms()
    took_start = asyncio.Event()

    def go_away(_msg_id: str, _payload: dict[str, Any]) -> str | None:
        took_start.set()
        return None  # no answer: the test stops the server next

    raw.override["StartTransaction"] = go_away
    await raw.start()
    yield raw, took_start
    await raw.stop()


async def run_cli(url: str, tmp_path: Path, drain: str) -> asyncio.subprocess.Process:
    args = ["run", "--csms", url, "--id", "DRAIN-1", "--speed", "60", "--quiet"]
    args += ["--db", str(tmp_path / "station.db"), "--drain", drain, "--script", SCRIPT]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.cli",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
    )


async def read_until(proc: asyncio.subprocess.Process, wanted: str) -> list[str]:
    """stderr lines up to and including the one containing ``wanted``."""
    assert proc.stderr is not None
    lines: list[str] = []
    for _ in range(200):  # bounded: the CLI says a handful of lines
        raw = await asyncio.wait_for(proc.stderr.readline(), START)
        if not raw:
            break
        lines.append(raw.decode())
        if wanted in lines[-1]:
            return lines
    raise AssertionError(f"{wanted!r} never said; stderr: {''.join(lines)}")


async def finished(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    assert proc.stderr is not None
    rest = await asyncio.wait_for(proc.stderr.read(), START)
    return await asyncio.wait_for(proc.wait(), START), rest.decode()


async def test_messages_still_queued_after_the_drain_are_named_and_exit_4(
    vanishing_csms: tuple[RawCsms, asyncio.Event], tmp_path: Path
):
    raw, took_start = vanishing_csms
    proc = await run_cli(raw.url, tmp_path, drain="1")
    try:
        await asyncio.wait_for(took_start.wait(), START)
        await raw.stop()
        code, stderr = await finished(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert code == EXIT_UNDELIVERED == 4, stderr
    db = tmp_path / "station.db"
    line = next(x for x in stderr.splitlines() if "not delivered" in x)
    assert f"still queued in {db}:" in line
    assert "StartTransaction 1" in line and "StopTransaction 1" in line
    assert "Traceback" not in stderr


async def test_the_drain_delivers_when_the_csms_comes_back_during_it(
    vanishing_csms: tuple[RawCsms, asyncio.Event],
    make_csms: Callable[..., Awaitable[CentralSystem]],
    tmp_path: Path,
):
    raw, took_start = vanishing_csms
    port = raw.server.port if raw.server is not None else 0
    proc = await run_cli(raw.url, tmp_path, drain="120")
    try:
        await asyncio.wait_for(took_start.wait(), START)
        await raw.stop()
        await read_until(proc, "delivering for up to 120 s")
        # The CSMS is back on the same address; it never saw this station boot.
        csms = await make_csms(
            port=port, tags={"TAG-1": TagEntry("Accepted")}, pre_accept_policy="lenient"
        )
        code, stderr = await finished(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert code == 0, stderr
    assert "not delivered" not in stderr
    stop = await csms.wait_for_message("DRAIN-1", "StopTransaction", timeout=WAIT)
    start = await csms.wait_for_message("DRAIN-1", "StartTransaction", timeout=WAIT)
    assert stop["idTag"] == start["idTag"] == "TAG-1"
