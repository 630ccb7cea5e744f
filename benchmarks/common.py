"""Shared pieces of the benchmarks: the CSMS in a second process, RSS, loop lag, versions."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

# OCPP version -> WebSocket subprotocol; the built-in CSMS offers both.
OCPP_VERSIONS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


def add_ocpp_argument(parser: Any) -> None:
    parser.add_argument(
        "--ocpp", choices=tuple(OCPP_VERSIONS), default="1.6", help="OCPP version of the stations"
    )


def make_charge_point(version: str, station: Any, url: str, db: Any, **kwargs: Any) -> Any:
    """A ChargePoint16 or ChargePoint201 for ``station`` linked to the CSMS at ``url``."""
    from bench.transport.config import LinkConfig

    link = LinkConfig(url=url, station_id=station.id, subprotocol=OCPP_VERSIONS[version])
    if version == "1.6":
        from bench.ocpp.v16.charge_point import ChargePoint16

        return ChargePoint16(station, link, db=db, **kwargs)
    from bench.ocpp.v201.charge_point import ChargePoint201

    return ChargePoint201(station, link, db=db, **kwargs)


def warm_up(version: str, template: Any, clock: Any, db: Any) -> None:
    """Build one charge point and drop it, so imports and shared caches (the 2.0.1
    device-model definition, schemas) are not counted as per-station memory."""
    from bench.model.templates import build_station

    station = build_station("WARMUP", template, clock, seed=0)
    cp = make_charge_point(version, station, "ws://127.0.0.1:1/", db)
    cp._unsubscribe()
    del cp, station


def raise_fd_limit(wanted: int = 65536) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@contextlib.contextmanager
def csms_process(*extra: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """The built-in CSMS in its own process; yields its WebSocket URL."""
    cmd = [sys.executable, "-m", "bench.cli", "csms", "--port", "0", "--quiet", *extra]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=raise_fd_limit,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "ws://" not in line:
            raise RuntimeError(f"CSMS did not start: {line!r}")
        yield line.strip().split()[-1], proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_bytes(pid: int | None = None) -> int:
    with open(f"/proc/{pid or os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int | None = None) -> float:
    """User+system CPU of a process (this one by default)."""
    if pid is None:
        return time.process_time()
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class LoopLag:
    """Samples how late the event loop wakes a 10 ms sleeper."""

    def __init__(self, period: float = 0.01) -> None:
        self.period = period
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.period)
            self.samples.append(max(0.0, loop.time() - start - self.period))

    def start(self) -> None:
        self.samples.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def percentile(self, p: float) -> float:
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
