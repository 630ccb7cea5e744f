"""Shared pieces of the benchmarks: the CSMS in a second process, RSS, loop lag, versions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
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


# The figures of a run are only comparable on a quiet machine: on 2 cores a load
# average above this at the start means other work shares the CPU (PERFORMANCE.md).
QUIET_LOAD = 1.0


def load_average() -> float:
    """The 1-minute load average of the machine."""
    return os.getloadavg()[0]


def add_common_arguments(parser: Any) -> None:
    """``--json FILE`` (the figures for ``make bench``) and ``--allow-load``."""
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--allow-load",
        action="store_true",
        help=f"run even when the load average exceeds {QUIET_LOAD} (the output is flagged)",
    )


def check_quiet(args: Any) -> float:
    """The load average at start; exits (status 3) when the machine is busy, unless
    ``--allow-load``, in which case the figures are printed flagged as unreliable."""
    load = load_average()
    if load > QUIET_LOAD and not getattr(args, "allow_load", False):
        print(
            f"refusing to measure: load average {load:.2f} > {QUIET_LOAD} at start "
            "(other work shares the CPU; --allow-load to measure anyway, flagged)",
            file=sys.stderr,
        )
        sys.exit(3)
    return load


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def emit(args: Any, load: float, figures: dict[str, float]) -> None:
    """Flag figures taken on a busy machine; write them as JSON when asked."""
    unreliable = load > QUIET_LOAD
    if unreliable:
        print(f"UNRELIABLE: load average {load:.2f} > {QUIET_LOAD} at start")
    if getattr(args, "json", None):
        record = {"load_average": load, "unreliable": unreliable, "figures": figures}
        with open(args.json, "w") as out:
            json.dump(record, out)
