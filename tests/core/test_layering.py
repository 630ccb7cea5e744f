"""ARCHITECTURE rule 1: the headless core never imports Qt, qasync or pyqtgraph."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, pkgutil, sys
import bench
for info in pkgutil.walk_packages(bench.__path__, "bench."):
    importlib.import_module(info.name)
qt = ("PySide6", "qasync", "pyqtgraph", "PyQt5", "PyQt6")
bad = sorted(m for m in sys.modules if m.split(".")[0] in qt)
print(len([m for m in sys.modules if m.startswith("bench.")]))
print(",".join(bad))
"""


def test_every_bench_module_imports_without_pulling_in_qt():
    # bench.load's Locust processes refuse to import outside `ocpp-bench load` unless
    # Locust's gevent patching is off, as that command sets it (bench/load/launch.py).
    env = {**os.environ, "LOCUST_SKIP_MONKEY_PATCH": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    imported, bad = lines[0], lines[1]
    assert int(imported) > 20, "the probe should have imported the whole core"
    assert bad == "", f"bench/ imports Qt modules: {bad}"
