"""Installing the project prints no setuptools warning, and the wheel holds the app only.

``make run`` did an editable install that printed setuptools' banner "Please be
careful with folders in your working directory with the same name as your
package": the flat layout was left for setuptools to guess, so it chose its
import-finder strategy. The project is copied to a tmp folder and installed there
with the same pip as the test suite (``-v``: pip shows what the build backend says).
Builds are isolated, so pip fetches setuptools from the package index.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# setuptools' warnings: a "!!" banner, or a named warning class in the backend's output.
WARNING = re.compile(r"^\s*!!\s*$|\b\w+(Deprecation)?Warning\b", re.MULTILINE)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """What the install reads: the packaging config and the two packages."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md", "constraints.txt"):
        shutil.copy2(ROOT / name, copy / name)
    for package in ("bench", "ui", "benchmarks", "tests"):  # a flat layout, as checked out
        shutil.copytree(
            ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return copy


def pip(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=cwd,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    return output


def warnings_in(output: str) -> list[str]:
    return [m.group(0).strip() for m in WARNING.finditer(output)]


def test_an_editable_install_prints_no_setuptools_warning(project: Path, tmp_path: Path):
    output = pip(
        "install", "-v", "--no-deps", "--prefix", str(tmp_path / "prefix"), "-e", ".", cwd=project
    )
    assert not warnings_in(output), output[-3000:]


def test_the_wheel_builds_without_warnings_and_holds_only_bench_and_ui(
    project: Path, tmp_path: Path
):
    output = pip("wheel", "-v", "--no-deps", "-w", str(tmp_path / "dist"), ".", cwd=project)
    assert not warnings_in(output), output[-3000:]
    wheel = next((tmp_path / "dist").glob("ocpp_bench-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"bench", "ui"}
