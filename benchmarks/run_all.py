"""Run every benchmark with its default size and print the figures (``make bench``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ["bench_messages.py"],
    ["bench_charging_load.py"],
    ["bench_fleet.py"],
    ["bench_virtual_day.py"],
    ["bench_store.py"],
    ["bench_ui.py"],
    ["bench_ui_add.py"],
    ["bench_ui_log.py"],
]


def main() -> int:
    failed = 0
    for command in BENCHMARKS:
        print(f"== {command[0]}", flush=True)
        result = subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]])
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
