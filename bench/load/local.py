"""A local load run for the desktop app: one master and K workers on this machine.

The app never imports Locust (its gevent patching must not reach the app's
process): ``LocalLoadRun`` starts ``ocpp-bench load --processes K`` as a child
process against a CSMS profile, on free ports, waits until Locust's web UI
answers, and stops the child when asked. The stations of the run live in the
child's workers, so they never appear in the app's station list.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.store.workspace import CsmsProfile

ROOT = Path(__file__).resolve().parents[2]
WEB_UI_TIMEOUT = 60.0  # seconds for Locust's web UI to answer after the start
STOP_TIMEOUT = 30.0  # seconds for the run to stop its stations after SIGINT


class LoadRunError(RuntimeError):
    """The local run could not start; the message says why (with Locust's last words)."""


@dataclass(frozen=True, slots=True)
class LoadRequest:
    profile: CsmsProfile
    stations: int = 100
    spawn_rate: float = 10.0
    mix: str = "steady-charging"
    processes: int = 2
    id_prefix: str = "LOAD"


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (Locust takes port numbers, not 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command(request: LoadRequest, web_port: int, master_port: int) -> list[str]:
    """The ``ocpp-bench load`` command line for a request (its web UI on ``web_port``)."""
    p = request.profile
    cmd = [sys.executable, "-m", "bench.cli", "load", "--csms", p.url, "--ocpp", p.ocpp_version]
    cmd += ["--stations", str(request.stations), "--spawn-rate", f"{request.spawn_rate:g}"]
    cmd += ["--mix", request.mix, "--processes", str(request.processes)]
    cmd += ["--web-host", "127.0.0.1", "--web-port", str(web_port)]
    cmd += ["--master-bind-port", str(master_port), "--id-prefix", request.id_prefix]
    # Only what the profile's security level uses (CsmsProfile.link_config decides).
    link = p.link_config(request.id_prefix)
    for flag, value in (
        ("--password", link.password),
        ("--ca", link.ca_file),
        ("--cert", link.cert_file),
        ("--key", link.key_file),
    ):
        if value:
            cmd += [flag, value]
    return cmd


class LocalLoadRun:
    """``ocpp-bench load`` in a child process, with Locust's web UI on a local port."""

    def __init__(self, request: LoadRequest) -> None:
        self.request = request
        self.web_port = free_port()
        self.url = f"http://127.0.0.1:{self.web_port}/"
        self._proc: asyncio.subprocess.Process | None = None
        self._output = Path(os.devnull)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self, log_file: Path) -> None:
        """Start the run; return once its web UI answers (``LoadRunError`` otherwise)."""
        cmd = command(self.request, self.web_port, free_port())
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self._output = log_file
        with log_file.open("wb") as out:
            # A process group of its own: stop() interrupts the wrapper and Locust's
            # processes together, as Ctrl+C in a terminal would.
            self._proc = await asyncio.create_subprocess_exec(
                *cmd,
                stdout=out,
                stderr=out,
                stdin=asyncio.subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WEB_UI_TIMEOUT
        for _ in range(10_000):
            if self._proc.returncode is not None or loop.time() > deadline:
                break
            if await _answers("127.0.0.1", self.web_port):
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._proc.wait(), 0.25)
        await self.stop()
        raise LoadRunError(f"the load run did not start: {self.last_words()}")

    def last_words(self) -> str:
        try:
            lines = self._output.read_text(errors="replace").strip().splitlines()
        except OSError as exc:
            return f"(no output: {exc.strerror or exc})"
        return lines[-1] if lines else "(no output)"

    async def stop(self) -> int | None:
        """Stop the run as Ctrl+C would (its stations stop in order); its exit status."""
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        return proc.returncode


async def _answers(host: str, port: int) -> bool:
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
