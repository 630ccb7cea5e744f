"""A day of station time on a manual clock: ``.venv/bin/python benchmarks/bench_virtual_day.py``.

Runs the scenario of ``tests/ocpp/virtual_day.py`` (24 virtual hours of charging
over the in-memory link: 96 heartbeats, 96 sampled and 24 clock-aligned readings,
a recurring daily profile) for each OCPP version and prints the real seconds and
the CPU seconds it took, best of ``--runs``. Issue 12 asked for well under a second.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import add_common_arguments, check_quiet, emit
from tests.ocpp.virtual_day import run_day


def one_day(version: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        wall, cpu = time.perf_counter(), time.process_time()
        day = asyncio.run(run_day(Path(folder), version))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(day.heartbeats) == 96, "the day did not run through"
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    add_common_arguments(parser)
    args = parser.parse_args()
    load = check_quiet(args)
    figures: dict[str, float] = {}
    for version in ("1.6", "2.0.1"):
        runs = [one_day(version) for _ in range(max(1, args.runs))]
        wall = min(r[0] for r in runs)
        cpu = min(r[1] for r in runs)
        print(
            f"OCPP {version:<5}  24 virtual hours: {wall:.3f} s real, "
            f"{cpu:.3f} s CPU (best of {len(runs)})"
        )
        figures[f"day_cpu_s_{version}"] = cpu
    emit(args, load, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
