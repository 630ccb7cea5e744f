"""The benchmarks still run against today's code (issue 12: figures before and after).

A benchmark reaches into the charge point to build its payloads fast; when the core
is reshaped it can break without any test noticing, and then the published figures
cannot be reproduced. Each runs here at a tiny size, as a subprocess the way a user
runs it; the figures it prints are not judged (speed is for the benchmarks), so each
runs with --allow-load: the suite itself keeps the machine busy.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TINY = {
    "messages-1.6": ["bench_messages.py", "--ocpp", "1.6", "--stations", "2",
                     "--seconds", "1", "--runs", "1", "--allow-load"],
    "messages-2.0.1": ["bench_messages.py", "--ocpp", "2.0.1", "--stations", "2",
                       "--seconds", "1", "--runs", "1", "--allow-load"],
    "charging-load-1.6": ["bench_charging_load.py", "--ocpp", "1.6", "--stations", "4",
                          "--window", "2", "--lag-window", "1", "--allow-load"],
    "charging-load-2.0.1": ["bench_charging_load.py", "--ocpp", "2.0.1", "--stations", "4",
                            "--window", "2", "--lag-window", "1", "--allow-load"],
    "fleet-2.0.1": ["bench_fleet.py", "--ocpp", "2.0.1", "--stations", "5", "--window", "1",
                    "--allow-load"],
    "virtual-day": ["bench_virtual_day.py", "--runs", "1", "--allow-load"],
    "machine-speed": ["machine_speed.py"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TINY))
def test_the_benchmark_runs_and_prints_its_figures(name: str) -> None:
    script, *args = TINY[name]
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stdout.strip(), "a benchmark prints its figures"


def test_the_speed_probe_times_the_workload_while_a_benchmark_runs_and_stops() -> None:
    # Loaded from its file, as the benchmarks are scripts rather than an installed package.
    spec = importlib.util.spec_from_file_location(
        "machine_speed", ROOT / "benchmarks" / "machine_speed.py"
    )
    assert spec is not None and spec.loader is not None
    machine_speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(machine_speed)

    with machine_speed.SpeedProbe(period=0.01) as probe:
        deadline = time.monotonic() + 60
        while len(probe.samples) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(probe.samples) >= 3, "three passes of ~30 ms within a minute"
    count = len(probe.samples)
    assert all(0 < ms < 60_000 for ms in probe.samples)
    assert not probe._thread.is_alive(), "leaving the block stops the probe"
    assert len(probe.samples) == count
