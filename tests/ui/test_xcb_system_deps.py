"""packaging/system_deps.sh installs every system library Qt's xcb platform plugin links.

On a desktop (an X display) Qt loads ``plugins/platforms/libqxcb.so``; when one of
the libraries it links is missing Qt aborts before any window opens, naming only
libxcb-cursor0. The libraries are read off the installed PySide6 (``readelf -d``),
mapped to their Debian packages with ``dpkg -S``, and must all be in the script's
runtime list, so a PySide6 upgrade that links one more library fails here first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QLibraryInfo

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "system_deps.sh"
# Part of every Debian system (Priority: required), never worth listing.
BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("dpkg") is None,
    reason="the package list is for Debian-like Linux systems",
)


def script_packages(*args: str) -> list[str]:
    result = subprocess.run(
        ["sh", str(SCRIPT), "--list", *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def xcb_binaries() -> list[Path]:
    """The xcb platform plugin, the Qt library it is built on and its GL integrations."""
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    libs = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath))
    binaries = [
        plugins / "platforms" / "libqxcb.so",
        libs / "libQt6XcbQpa.so.6",
        *sorted((plugins / "xcbglintegrations").glob("*.so")),
    ]
    missing = [str(b) for b in binaries if not b.exists()]
    assert not missing, f"PySide6 no longer ships {missing}: update this test"
    return binaries


def needed_libraries(binary: Path) -> set[str]:
    """The NEEDED entries of an ELF file (its direct dependencies), Qt's own left out."""
    if shutil.which("readelf") is None:
        pytest.skip("readelf (binutils) is not installed")
    out = subprocess.run(
        ["readelf", "-d", str(binary)], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    names = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))
    return {n for n in names if not n.startswith("libQt6")}


def resolved_paths(binary: Path) -> dict[str, str]:
    """Library name -> the file the dynamic loader picks (``ldd``); "not found" if none."""
    out = subprocess.run(
        ["ldd", str(binary)], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    paths = {}
    for line in out.splitlines():
        name, arrow, target = line.strip().partition(" => ")
        if arrow:
            paths[name] = target.split(" (")[0].strip()
    return paths


def owning_packages(paths: set[str]) -> dict[str, str]:
    """File -> the Debian package that installed it (one ``dpkg -S`` call for all)."""
    # dpkg knows a file under the name its package shipped it: /usr/lib/... on a
    # merged-/usr system, where the loader reports /lib/...; ask for both spellings.
    spellings = {
        p: {p, os.path.realpath(p), "/usr" + p if p.startswith("/lib") else p} for p in paths
    }
    result = subprocess.run(
        ["dpkg", "-S", *sorted(set().union(*spellings.values()))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    owners: dict[str, str] = {}
    for line in result.stdout.splitlines():
        # "libxcb-icccm4:amd64: /usr/lib/x86_64-linux-gnu/libxcb-icccm.so.4.0.0"
        package, _sep, file = line.rpartition(": ")
        owners[file.strip()] = package.split(":", 1)[0].split(",")[0].strip()
    found = {}
    for path, names in spellings.items():
        owner = next((owners[n] for n in names if n in owners), None)
        assert owner is not None, f"no Debian package owns {path}"
        found[path] = owner
    return found


def test_the_runtime_list_has_every_package_whose_library_the_xcb_plugin_links():
    listed = set(script_packages())
    needed: dict[str, str] = {}  # library -> the file the loader picks, or "not found"
    for binary in xcb_binaries():
        paths = resolved_paths(binary)
        for library in needed_libraries(binary):
            needed[library] = paths.get(library, "not found")
    not_found = sorted(lib for lib, path in needed.items() if path == "not found")
    owners = owning_packages({path for path in needed.values() if path != "not found"})
    unlisted = {
        lib: owners[path]
        for lib, path in sorted(needed.items())
        if path != "not found" and owners[path] not in listed | BASE_PACKAGES
    }
    assert not unlisted, f"packaging/system_deps.sh does not install: {unlisted}"
    assert not not_found, (
        f"{not_found} are not installed: run `sh packaging/system_deps.sh` as root"
    )


def test_the_test_list_adds_the_virtual_x_server_to_the_runtime_list():
    runtime = script_packages()
    with_tests = script_packages("--test")
    assert with_tests[: len(runtime)] == runtime
    assert "xvfb" in with_tests and "xvfb" not in runtime


def test_an_unknown_argument_is_refused_without_installing_anything():
    result = subprocess.run(
        ["sh", str(SCRIPT), "--nonsense"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "usage" in result.stderr
