"""Run every benchmark several times and print one table of medians (``make bench``).

    .venv/bin/python benchmarks/run_all.py                # everything, 3 runs each
    .venv/bin/python benchmarks/run_all.py --only charging --runs 5

The table says under which conditions it was measured: the date, the CPU model, the
Python version, and the load average at the start of each run. Figures are only
comparable on a quiet machine (PERFORMANCE.md): the whole run refuses to start when
the 1-minute load average exceeds 1.0 (``--allow-load`` measures anyway), and before
each run it waits, within bounds, for the load the previous one left to decay. A row
whose runs started above 1.0 anyway is flagged.

Machines of the same CPU model differ in speed by up to two times, and one machine
changes speed within seconds (issue 15), so while each run goes it also times a
fixed reference workload every 5 s (``machine_speed.py``) and prints the median
and range beside each row: compare that column before the figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.common import QUIET_LOAD, cpu_model, load_average  # noqa: E402
from benchmarks.machine_speed import SpeedProbe  # noqa: E402

SETTLE_LIMIT_S = 150.0  # the longest wait for the load of the previous run to decay


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    args: tuple[str, ...]
    figures: tuple[tuple[str, str], ...]  # (JSON key, what it is, with its unit)


PLAN = (
    Bench(
        "charging, 1,000 stations (500 charging, MeterValues 10 s), 1.6",
        "bench_charging_load.py",
        ("--ocpp", "1.6"),
        (
            ("cpu_pct", "CPU, % of one core"),
            ("cpu_ms_per_message", "CPU per message sent, ms"),
            ("lag_p99_ms", "event-loop lag p99, ms"),
        ),
    ),
    Bench(
        "charging, 1,000 stations (500 charging, MeterValues 10 s), 2.0.1",
        "bench_charging_load.py",
        ("--ocpp", "2.0.1"),
        (
            ("cpu_pct", "CPU, % of one core"),
            ("cpu_ms_per_message", "CPU per message sent, ms"),
            ("lag_p99_ms", "event-loop lag p99, ms"),
        ),
    ),
    Bench(
        "charging, 2,000 stations, heartbeat 30 s, 120 s window, 1.6",
        "bench_charging_load.py",
        ("--ocpp", "1.6", "--stations", "2000", "--heartbeat", "30", "--window", "120"),
        (
            ("cpu_ms_per_message", "CPU per message sent, ms"),
            ("cpu_pct", "CPU, % of one core"),
            ("sent_per_s", "messages sent per second"),
        ),
    ),
    Bench(
        "charging, 2,000 stations, heartbeat 30 s, 120 s window, 2.0.1",
        "bench_charging_load.py",
        ("--ocpp", "2.0.1", "--stations", "2000", "--heartbeat", "30", "--window", "120"),
        (
            ("cpu_ms_per_message", "CPU per message sent, ms"),
            ("cpu_pct", "CPU, % of one core"),
            ("sent_per_s", "messages sent per second"),
        ),
    ),
    Bench(
        "fleet, 10,000 booted stations, 1.6",
        "bench_fleet.py",
        ("--ocpp", "1.6"),
        (
            ("kib_per_station", "memory per station, KiB"),
            ("lag_p99_ms", "event-loop lag p99, ms"),
            ("boot_seconds", "boot of all, s"),
        ),
    ),
    Bench(
        "fleet, 10,000 booted stations, 2.0.1",
        "bench_fleet.py",
        ("--ocpp", "2.0.1"),
        (
            ("kib_per_station", "memory per station, KiB"),
            ("lag_p99_ms", "event-loop lag p99, ms"),
            ("boot_seconds", "boot of all, s"),
        ),
    ),
    Bench(
        "messages, MeterValues round trips, 1.6",
        "bench_messages.py",
        ("--ocpp", "1.6", "--runs", "1"),
        (("cp_us_per_call", "charge-point CPU per call, µs"),),
    ),
    Bench(
        "messages, TransactionEvent round trips, 2.0.1",
        "bench_messages.py",
        ("--ocpp", "2.0.1", "--call", "transaction-event", "--runs", "1"),
        (("cp_us_per_call", "charge-point CPU per call, µs"),),
    ),
    Bench(
        "a virtual day on a manual clock",
        "bench_virtual_day.py",
        ("--runs", "1"),
        (("day_cpu_s_1.6", "CPU for 24 h of 1.6, s"), ("day_cpu_s_2.0.1", "same, 2.0.1, s")),
    ),
    Bench(
        "message log store",
        "bench_store.py",
        ("--repeat", "1"),
        (("records_per_s", "frames recorded and flushed per second"),),
    ),
    Bench(
        "desktop app, 1,000 stations, a million log rows",
        "bench_ui.py",
        (),
        (("lag_p99", "loop lag p99, ms"), ("input_p99", "input latency p99, ms")),
    ),
    Bench(
        "desktop app, adding 300 stations",
        "bench_ui_add.py",
        (),
        (("lag_p99", "loop lag p99, ms"),),
    ),
    Bench(
        "log view on a million rows",
        "bench_ui_log.py",
        (),
        (("tail_screen_ms", "screenful at the tail, ms"),),
    ),
)


def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def spread(values: list[float], sep: str = " | ") -> str:
    """``median | [min–max]`` for the table (``sep`` between), or a dash when empty."""
    if not values:
        return f"–{sep}"
    return f"{number(statistics.median(values))}{sep}[{number(min(values))}–{number(max(values))}]"


def settle(limit: float) -> float:
    """Wait (bounded) for the load average to fall to the quiet level; returns it."""
    deadline = time.monotonic() + limit
    load = load_average()
    while load > QUIET_LOAD and time.monotonic() < deadline:
        time.sleep(5)
        load = load_average()
    return load


def run_once(bench: Bench, folder: Path, index: int) -> dict[str, object] | None:
    out = folder / f"{Path(bench.script).stem}-{index}.json"
    command = [sys.executable, str(HERE / bench.script), *bench.args]
    command += ["--json", str(out), "--allow-load"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not out.exists():
        print(f"   failed ({result.returncode}): {result.stderr.strip()[-500:]}", flush=True)
        return None
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per benchmark (at least 3)")
    parser.add_argument(
        "--only", action="append", default=[], help="benchmarks whose name has this"
    )
    parser.add_argument("--allow-load", action="store_true", help="run on a busy machine (flagged)")
    args = parser.parse_args()
    runs = max(3, args.runs)
    load = load_average()
    if load > QUIET_LOAD and not args.allow_load:
        print(
            f"refusing to measure: load average {load:.2f} > {QUIET_LOAD} (--allow-load to "
            "measure anyway; the table is then flagged)",
            file=sys.stderr,
        )
        return 3
    plan = [b for b in PLAN if not args.only or any(o in b.name for o in args.only)]
    started = datetime.now(UTC)
    rows: list[tuple[str, str, list[float], float, list[float]]] = []
    failed = 0
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        for bench in plan:
            records = []
            speeds: list[float] = []
            for index in range(runs):
                print(f"== {bench.name}: run {index + 1}/{runs}", flush=True)
                settle(SETTLE_LIMIT_S)
                with SpeedProbe() as probe:
                    record = run_once(bench, Path(tmp), index)
                speeds += probe.samples
                if record is not None:
                    records.append(record)
            failed += len(records) < runs
            worst = max((float(r["load_average"]) for r in records), default=0.0)  # type: ignore[arg-type]
            for key, label in bench.figures:
                values = [float(r["figures"][key]) for r in records if key in r["figures"]]  # type: ignore[index]
                rows.append((bench.name, label, values, worst, speeds))
    print()
    print(f"date        {started:%Y-%m-%d %H:%M} UTC")
    print(f"CPU         {cpu_model()}")
    print(f"Python      {platform.python_version()} ({platform.machine()})")
    print(f"runs        {runs} per benchmark; median [min–max]")
    print("reference   one pass of the reference workload every 5 s during the runs")
    print("            (benchmarks/machine_speed.py): median [min–max]; lower is faster")
    print()
    print("| benchmark | figure | median | [min–max] | load at start (max) | reference, ms |")
    print("|---|---|---|---|---|---|")
    for name, label, values, worst, speeds in rows:
        flag = " (busy machine)" if worst > QUIET_LOAD else ""
        speed = spread(speeds, " ")
        if not values:
            print(f"| {name} | {label} | failed | | {worst:.2f}{flag} | {speed} |")
            continue
        print(f"| {name} | {label} | {spread(values)} | {worst:.2f}{flag} | {speed} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
