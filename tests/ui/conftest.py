"""UI tests run their async code on qasync's QEventLoop, so Qt and asyncio share one thread.

The loop factory hook applies to tests under tests/ui only. Every test that opens
the window shuts it down through ``MainWindow.shutdown`` (stations stopped, CSMS
stopped), so the suite's no-task-left check holds for the UI too.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from bench.workspace import WorkspaceOptions
from ui.errors import ErrorReporter
from ui.main_window import MainWindow
from ui.theme import apply_theme


def _qt_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication(["ocpp-bench-tests"])
    app.setQuitOnLastWindowClosed(False)  # as in ui.app.main: the loop outlives the window
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config, item):
    return {"qasync": _qt_loop}


async def wait_until(check: Callable[[], object], timeout: float = 15.0, what: str = "") -> object:
    """Poll ``check`` (bounded in time) while the Qt+asyncio loop runs; return its value."""
    deadline = time.monotonic() + timeout
    for _ in range(100_000):
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        await asyncio.sleep(0.05)
    raise AssertionError("unreachable")


async def wait_for_count(
    count: Callable[[], int],
    target: int,
    *,
    stall: float = 60.0,
    limit: float = 900.0,
    what: str = "",
) -> None:
    """Wait until ``count()`` reaches ``target`` while it keeps moving: fails when it has
    not grown for ``stall`` seconds (a hang), or after ``limit`` in all (bounded). A
    busy machine makes a long job slower, not stuck: this tells the two apart."""
    start = last_change = time.monotonic()
    seen = count()
    for _ in range(1_000_000):
        now = count()
        if now >= target:
            return
        if now != seen:
            seen, last_change = now, time.monotonic()
        elapsed = time.monotonic()
        if elapsed - last_change > stall:
            raise AssertionError(f"{what}: stuck at {seen} of {target} for {stall:g} s")
        if elapsed - start > limit:
            raise AssertionError(f"{what}: only {seen} of {target} after {limit:g} s")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_app(qtbot, tmp_path: Path) -> AsyncIterator[MainWindow]:
    """The real main window, first start: built-in CSMS plus the demo station.

    A context manager inside the test body rather than a fixture: pytest-qt
    processes Qt events between test phases, outside any running asyncio loop,
    so nothing asyncio-driven may outlive the body.
    """
    from ui.app import open_window

    apply_theme(QApplication.instance(), "light")
    reporter = ErrorReporter()
    win = await open_window(WorkspaceOptions(data_dir=tmp_path / "data", speed=1.0), reporter)
    qtbot.addWidget(win)
    try:
        yield win
    finally:
        await win.shutdown()
        win.close()
