"""The device commands as users script them: ``ocpp-bench ports``, ``emulate`` and
``run --device`` as real processes against ``ocpp-bench csms`` (issue 6, "Port handling").

Every process is real; the OpenEVSE sits on a pseudo-terminal, either as the
``ocpp-bench emulate openevse`` process driven through its control prompt on
stdin, or in this test's own event loop when the test must pull its USB cable
at a precise moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.devices.openevse_support import emulated_openevse
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
WAIT = 10.0  # real seconds one condition may take
RUN_TIMEOUT = 90.0  # real seconds a whole `run` may take
# Quick polling so a test does not wait on the driver (the defaults suit real hardware).
FAST = "poll=0.1,timeout=0.5,retry=0.1,heartbeat=0"
PORT_LINE = re.compile(r"^\S+\s+(-|[0-9a-f]{4}:[0-9a-f]{4})\s+serial=\S+")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.cli", *args]


@pytest.fixture
def csms_url(tmp_path: Path) -> Iterator[str]:
    """``ocpp-bench csms`` on an OS-assigned port, knowing TAG-1."""
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"TAG-1": "Accepted"}))
    proc = subprocess.Popen(
        _argv("csms", "--port", "0", "--quiet", "--tags", str(tags)),
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "ws://127.0.0.1:" in line, line
        yield line.strip().split()[-1]
    finally:
        proc.terminate()
        proc.wait(10)


def frames(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    # The last line may be half written while the run is still going.
    out = []
    for line in lines:
        with contextlib.suppress(json.JSONDecodeError):
            out.append(json.loads(line))
    return out


def statuses(log: Path) -> list[str]:
    return [
        f["payload"]["status"]
        for f in frames(log)
        if f["action"] == "StatusNotification"
        and f["type"] == "CALL"
        and f["payload"].get("connectorId") == 1
    ]


def calls(log: Path) -> list[str]:
    return [f["action"] for f in frames(log) if f["direction"] == "tx" and f["type"] == "CALL"]


async def run_station(
    url: str, tmp_path: Path, device: str, script: str, *, quiet: bool = True
) -> tuple[asyncio.subprocess.Process, Path]:
    """``ocpp-bench run --device DEVICE --script SCRIPT`` started (not awaited).

    The JSON Lines log is complete once the process has ended (it is written in
    batches); ``quiet=False`` streams every frame on stdout as it happens.
    """
    log = tmp_path / "frames.jsonl"
    proc = await asyncio.create_subprocess_exec(
        *_argv(
            "run",
            "--csms",
            url,
            "--id",
            "HW-CLI-1",
            *(["--quiet"] if quiet else []),
            "--db",
            str(tmp_path / "cp.db"),
            "--log",
            str(log),
            "--device",
            device,
            "--script",
            script,
        ),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
    )
    return proc, log


async def finish(proc: asyncio.subprocess.Process) -> tuple[int, str, str]:
    try:
        out, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


class Terminal:
    """The statuses a non-quiet ``run`` prints, read line by line as they come."""

    STATUS = re.compile(r'CALL StatusNotification \{"connectorId":1,.*"status":"(\w+)"')

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        self.stdout = proc.stdout
        self.statuses: list[str] = []
        self.lines: list[str] = []
        self.task = asyncio.get_running_loop().create_task(self._read(), name="run-stdout")

    async def _read(self) -> None:
        for _ in range(1_000_000):  # bounded: a run prints far fewer lines
            line = await self.stdout.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace")
            self.lines.append(text)
            match = self.STATUS.search(text)
            if match:
                self.statuses.append(match.group(1))

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@contextlib.asynccontextmanager
async def emulator_process(link: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """``ocpp-bench emulate openevse --link LINK`` with its control prompt on a pipe."""
    proc = await asyncio.create_subprocess_exec(
        *_argv("emulate", "openevse", "--link", str(link)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        banner = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert b"OpenEVSE emulator on" in banner, banner
        yield proc
    finally:
        if proc.returncode is None:
            if proc.stdin is not None:
                proc.stdin.close()  # end of input ends the prompt
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


# ---------------------------------------------------------------- tests
def test_ports_lists_each_serial_port_with_vid_pid_and_serial_or_says_there_are_none():
    result = subprocess.run(
        _argv("ports"), capture_output=True, text=True, timeout=60, env=_env(), cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines, "ports printed nothing"
    if lines == ["no serial ports found"]:
        return
    for line in lines:
        assert PORT_LINE.match(line), line


def test_run_refuses_an_unknown_driver_a_wrong_role_or_a_missing_connector_in_one_line(
    tmp_path,
):
    base = _argv("run", "--csms", "ws://127.0.0.1:9/ocpp", "--id", "X", "--db", "x.db")
    unknown = subprocess.run(
        [*base, "--device", "nosuch:/dev/ttyUSB0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        cwd=tmp_path,
    )
    assert unknown.returncode == 2
    assert "unknown device driver 'nosuch'" in unknown.stderr and "openevse" in unknown.stderr
    wrong = subprocess.run(
        [*base, "--rfid", "openevse:/dev/ttyUSB0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        cwd=tmp_path,
    )
    assert wrong.returncode == 2
    assert "--rfid openevse: that driver is a station driver" in wrong.stderr
    nowhere = subprocess.run(
        [*base, "--device", "openevse:/dev/ttyUSB0,connector=3"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        cwd=tmp_path,
    )
    assert nowhere.returncode == 2
    assert "connector 3 does not exist (station X has 1)" in nowhere.stderr
    assert "Traceback" not in unknown.stderr + wrong.stderr + nowhere.stderr


async def test_run_with_the_emulate_process_charges_through_a_script(csms_url, tmp_path):
    """Three processes: CSMS, emulated OpenEVSE (driven on its prompt), and the station.
    1.6 §4.9 Preparing at plug-in; §5.11 a card starts and a second read stops the
    transaction; the controller's state drives the statuses."""
    link = tmp_path / "ttyEVSE"
    async with emulator_process(link) as emulator:
        assert emulator.stdin is not None
        emulator.stdin.write(b"plug 32\n")  # the EV is in before the station boots
        await emulator.stdin.drain()
        proc, log = await run_station(
            csms_url,
            tmp_path,
            f"openevse:{link},{FAST}",
            "expect 1 Preparing within 20; present TAG-1; expect 1 Charging within 20; "
            "present TAG-1; expect 1 Finishing within 20",
        )
        code, _out, err = await finish(proc)
        assert code == 0, err
        # The run ends with the link health of its hardware.
        assert f"hardware openevse:{link}: connected, frames=" in err
        emulator.stdin.write(b"status\n")
        await emulator.stdin.drain()
    sent = calls(log)
    assert sent[0] == "BootNotification"
    assert "StartTransaction" in sent and "StopTransaction" in sent
    seen = statuses(log)
    # A clean stop sends the last status change (Finishing) before it disconnects.
    assert "Preparing" in seen and "Charging" in seen and seen[-1] == "Finishing", seen
    stop = next(f for f in frames(log) if f["action"] == "StopTransaction")
    assert stop["payload"]["reason"] == "Local"
    assert all(f["valid"] for f in frames(log))


async def test_run_reports_a_pulled_usb_cable_as_internal_error_and_recovers(csms_url, tmp_path):
    """1.6 §7.6 InternalError (Faulted) while the controller's USB device is gone; the
    station recovers by itself when it returns, within the same ``run``."""
    async with emulated_openevse(tmp_path) as (link, emulator):
        emulator.plug(ev_max_amps=32)
        proc, log = await run_station(
            csms_url,
            tmp_path,
            f"openevse:{link.path},{FAST}",
            "expect 1 Preparing within 20; present TAG-1; expect 1 Charging within 20; "
            "expect 1 Faulted within 20; expect 1 Charging within 20",
            quiet=False,
        )
        terminal = Terminal(proc)
        try:
            await wait_until(lambda: "Charging" in terminal.statuses, 30, "Charging")
            await wait_until(
                lambda: not emulator.auth_locked and not emulator.sleeping,
                WAIT,
                "the controller enabled ($S4 0, $FE)",
            )
            emulator.unplug_usb()
            await wait_until(lambda: "Faulted" in terminal.statuses, 30, "Faulted")
            emulator.replug_usb()
            await wait_until(lambda: terminal.statuses[-1] == "Charging", 30, "Charging again")
            # The terminal said when the controller dropped and came back.
            assert any(
                "hardware openevse:" in line and "disconnected" in line for line in terminal.lines
            )
            await terminal.close()  # the rest of stdout goes to finish()
            code, _out, err = await finish(proc)
        finally:
            await terminal.close()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert code == 0, err
    faulted = next(
        f["payload"]
        for f in frames(log)
        if f["action"] == "StatusNotification"
        and f["type"] == "CALL"
        and f["payload"]["status"] == "Faulted"
    )
    assert faulted["errorCode"] == "InternalError"
    assert statuses(log)[-1] == "Charging"
