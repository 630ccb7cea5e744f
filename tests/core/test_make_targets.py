"""``make run`` installs what the app needs to run; the test tools come with ``make test``.

``make -n -B`` prints every command a target would run (all prerequisites out of
date, as on a fresh checkout) without running any.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(target: str) -> list[str]:
    # Inside `make test` the parent's MAKELEVEL/MAKEFLAGS would add "make[1]: Entering
    # directory" lines; the dry run must read as it does from a shell.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", target],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [line for line in lines if "pip install" in line and "--upgrade pip" not in line]


def test_make_run_installs_the_runtime_only_and_the_apps_system_packages():
    lines = dry_run("run")
    assert installs(lines) == [".venv/bin/pip install --quiet -c constraints.txt -e ."]
    assert "sh packaging/system_deps.sh" in lines  # without --test: no Xvfb for `make run`
    assert lines[-1] == ".venv/bin/ocpp-bench"


def test_make_test_installs_the_test_tools_and_the_test_system_packages():
    lines = dry_run("test")
    assert installs(lines) == [".venv/bin/pip install --quiet -c constraints.txt -e '.[test]'"]
    assert "sh packaging/system_deps.sh --test" in lines


def test_the_runtime_and_test_installs_have_separate_stamps():
    """A `make run` stamp must not make `make test` skip installing pytest, nor the reverse."""
    run_stamps = [line for line in dry_run("run") if line.startswith("touch ")]
    test_stamps = [line for line in dry_run("test") if line.startswith("touch ")]
    assert len(run_stamps) == len(test_stamps) == 1
    assert run_stamps != test_stamps


def test_make_test_checks_the_import_contracts_and_the_types_before_the_tests():
    lines = dry_run("test")
    tools = [line.split()[0] for line in lines[-3:]]
    assert tools == [".venv/bin/lint-imports", ".venv/bin/mypy", ".venv/bin/python"]
    assert "--contract layers" in lines[-3]
    assert "--contract bench-without-qt" in lines[-3]
