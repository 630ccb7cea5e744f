"""``--log FILE.jsonl`` is written as the run goes, not in batches at the end (issue 10).

The CLI runs as a real process; the test reads the file while the process is
alive, as ``tail -f`` would, and then kills it with SIGKILL: what was in the
file stays there, in whole lines.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.csms.server import CentralSystem
from tests.e2e.conftest import CpFactory
from tests.e2e.test_cli import ROOT, _env
from tests.waiting import wait_until

START = 60.0  # real seconds a fresh interpreter may take to boot a station on a busy machine
# The promise is a flush at least once a second; the margin is for a machine under load.
FLUSHED = 3.0


@contextmanager
def cli(*args: str, stdout: Any = subprocess.DEVNULL) -> Iterator[subprocess.Popen[str]]:
    """``ocpp-bench ARGS`` as a process, killed with SIGKILL when the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.cli", *args],
        stdout=stdout,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def frames(path: Path) -> list[dict[str, Any]]:
    """The whole lines of a JSON Lines file written by another process."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]


def has(path: Path, action: str, type_: str) -> bool:
    return any(f["action"] == action and f["type"] == type_ for f in frames(path))


def assert_whole_lines(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), "the file ends in half a line"
    for line in text.splitlines():
        json.loads(line)


async def test_run_log_shows_the_boot_while_the_station_runs_and_survives_a_kill(
    csms: CentralSystem, tmp_path: Path
):
    log = tmp_path / "frames.jsonl"
    args = ("run", "--csms", csms.url, "--id", "LOG-1", "--quiet", "--duration", "600")
    with cli(*args, "--db", str(tmp_path / "cp.db"), "--log", str(log)) as proc:
        await wait_until(
            lambda: has(log, "BootNotification", "CALLRESULT"), START, "the boot in the file"
        )
        assert proc.poll() is None, "the frames must appear while the station runs"
        # A frame made now reaches the file within about a second, with nothing else
        # happening: a timer flushes, not the batch size or the end of the run.
        await csms.wait_for_message("LOG-1", "StatusNotification", lambda p: p["connectorId"] == 1)
        reply = await csms.call("LOG-1", "GetConfiguration", {"key": ["HeartbeatInterval"]})
        assert reply["configurationKey"][0]["key"] == "HeartbeatInterval"
        await wait_until(
            lambda: has(log, "GetConfiguration", "CALLRESULT"), FLUSHED, "the reply in the file"
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert has(log, "GetConfiguration", "CALLRESULT")
    assert_whole_lines(log)


async def test_demo_log_is_written_while_the_demo_runs(tmp_path: Path):
    log = tmp_path / "demo.jsonl"
    with cli("demo", "--speed", "60", "--duration", "600", "--log", str(log)) as proc:
        await wait_until(
            lambda: has(log, "BootNotification", "CALLRESULT"), START, "the boot in the file"
        )
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert_whole_lines(log)
    assert {f["station"] for f in frames(log)} == {"DEMO-AC-11KW"}


async def test_csms_log_is_written_while_the_csms_runs(make_cp: CpFactory, tmp_path: Path):
    log = tmp_path / "csms.jsonl"
    args = ("csms", "--port", "0", "--quiet", "--db", str(tmp_path / "csms.db"))
    with cli(*args, "--log", str(log), stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the first line is promised to name the URL
        assert "ws://127.0.0.1:" in line, line
        await make_cp(line.strip().split()[-1], "LOG-CS")
        await wait_until(
            lambda: has(log, "BootNotification", "CALLRESULT"), FLUSHED, "the boot in the file"
        )
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert_whole_lines(log)
