"""A virtual X server for a test, and the real app started on it as a process.

``Xvfb -displayfd`` picks a free display number itself and writes it to a pipe, so
parallel test runs (or other X servers on the machine) never collide. The app runs
with ``QT_QPA_PLATFORM=xcb``: Qt loads the same platform plugin as on a desktop,
so a system library missing for it fails here (packaging/system_deps.sh --test
installs Xvfb and those libraries).
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREEN = "1920x1200x24"  # larger than the 1600x1000 window: nothing is clipped


@contextlib.contextmanager
def xvfb(timeout: float = 30.0) -> Iterator[str]:
    """Start Xvfb on a free display; yields its DISPLAY value (":N")."""
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is not installed: run `sh packaging/system_deps.sh --test`")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], timeout)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise RuntimeError(f"Xvfb did not start: {err.decode(errors='replace')[-500:]}")
        yield f":{number}"
    finally:
        os.close(read_fd)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()


@dataclass
class AppProcess:
    """The app's process and the lines it printed so far (read by a thread)."""

    proc: subprocess.Popen[str]
    stderr_file: Path
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def start_reading(self) -> None:
        assert self.proc.stdout is not None
        stream = self.proc.stdout

        def pump() -> None:
            for line in stream:
                self._queue.put(line.rstrip("\n"))
            self._queue.put(None)  # end of output

        threading.Thread(target=pump, name="app-stdout", daemon=True).start()

    def wait_line(self, starts_with: str, timeout: float) -> str:
        """The first line (from now on) starting with ``starts_with``."""
        deadline = time.monotonic() + timeout
        for _ in range(100_000):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(
                    f"the app exited (code {self.proc.wait(10)}) before printing "
                    f"{starts_with!r}; it printed: {self.lines[-10:]}; stderr: {self.stderr()}"
                )
            self.lines.append(line)
            if line.startswith(starts_with):
                return line
        raise AssertionError(f"no line {starts_with!r} within {timeout} s: {self.lines[-10:]}")

    def stderr(self) -> str:
        """What the app wrote to stderr so far (its last 3,000 characters)."""
        return self.stderr_file.read_text(errors="replace")[-3000:]


@contextlib.contextmanager
def app_on_display(display: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    """``python -m ui.launcher ARGS`` on ``display`` with its own data, config and home."""
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    child_env = dict(os.environ)
    for name in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "OCPP_BENCH_QUIT_AFTER"):
        child_env.pop(name, None)
    child_env.update(
        {
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",  # not offscreen: the desktop's plugin
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),  # QSettings: palette, window layout
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_RUNTIME_DIR": str(home),
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PYTHONUNBUFFERED": "1",
        }
    )
    child_env.update(env or {})
    os.chmod(home, 0o700)  # Qt refuses an XDG_RUNTIME_DIR others can read
    stderr_file = tmp_path / "app-stderr.txt"
    with stderr_file.open("w") as err:  # a file, not a pipe: it can never fill up and block
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui.launcher", *args],
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
            text=True,
            env=child_env,
            cwd=ROOT,
        )
    app = AppProcess(proc, stderr_file)
    app.start_reading()
    try:
        yield app
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
