"""``ocpp-bench`` with no arguments: the desktop application.

The window opens at once; the built-in CSMS (127.0.0.1, OS-assigned port) and a
demo AC 11 kW station start behind it, so within seconds the user sees a booted
charge point and can start charging with two clicks: Plug in, Present card.

asyncio runs on Qt's thread through qasync, so the core's synchronous events
reach the widgets directly. Unhandled errors go to the status bar through
``ErrorReporter`` (never a traceback on the terminal).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from bench.gc_settle import settle_garbage
from bench.model.templates import resources_dir
from bench.workspace import Workspace, WorkspaceOptions, default_data_dir
from ui.errors import ErrorReporter
from ui.main_window import MainWindow
from ui.shortcuts import THEME_KEY
from ui.theme import ThemeController

log = logging.getLogger(__name__)

QUIT_AFTER_ENV = "OCPP_BENCH_QUIT_AFTER"
DRIVE_ENV = "OCPP_BENCH_DRIVE"
Driver = Callable[[MainWindow], Awaitable[object]]


def _seconds_since_process_start() -> float:
    """For the --quit-after report: from exec (Linux /proc), else from this module's import."""
    try:
        with open("/proc/self/stat") as stat:
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as uptime:
            return float(uptime.read().split()[0]) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


_IMPORTED = time.monotonic()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocpp-bench", description="OCPP Bench desktop app")
    parser.add_argument("--data-dir", type=Path, default=None, help="where stations are stored")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="virtual time factor (60: an hour a minute)"
    )
    parser.add_argument(
        "--theme",
        choices=("auto", "light", "dark"),
        default=None,
        help="palette for this start (default: the last one picked in View > Palette, "
        "else follow the system)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--quit-after",
        type=float,
        default=os.environ.get(QUIT_AFTER_ENV) or None,  # argparse converts a string default
        metavar="S",
        help="close the window S seconds after start and print startup times (smoke tests; "
        f"also ${QUIT_AFTER_ENV}, which reaches the GUI through the `ocpp-bench` launcher)",
    )
    parser.add_argument(
        "--drive",
        default=os.environ.get(DRIVE_ENV) or None,
        metavar="MODULE:FUNCTION",
        help="tests and screenshots: once the window is up, await FUNCTION(window) from "
        f"MODULE, then close the window (also ${DRIVE_ENV})",
    )
    return parser


def settle_garbage_after_changes(window: MainWindow, delay_ms: int = 2000) -> QTimer:
    """Keep the cyclic garbage collector from stalling the GUI thread.

    With hundreds of stations a full collection walks every long-lived object and
    stops the loop for 100-200 ms (benchmarks/bench_ui.py). After stations come or go,
    once things are quiet, collect once and freeze what survived (gc.freeze): later
    collections only walk objects made since. A removed station's frozen cycles are
    released by unfreezing before that one collection.
    """
    timer = QTimer(window)
    timer.setSingleShot(True)
    timer.setInterval(delay_ms)

    timer.timeout.connect(settle_garbage)

    def on_event(_event: object) -> None:
        timer.start()  # restarts: one collection after a burst of adds or removes

    unsubscribe = window.workspace.events.subscribe(on_event)
    timer.destroyed.connect(lambda *_: unsubscribe())
    timer.start()
    return timer


async def open_window(
    options: WorkspaceOptions, reporter: ErrorReporter, settings: QSettings | None = None
) -> MainWindow:
    """Show the main window, then start the CSMS and the demo station behind it."""
    workspace = Workspace(options)
    window = MainWindow(workspace, reporter)
    if settings is not None:
        window.restore_layout(settings)
    window.show()
    try:
        await workspace.start()
    except Exception as exc:  # a busy data folder, a bad template: say so, keep the window
        log.exception("starting the workspace failed")
        reporter.report_error(f"Could not start the demo: {exc}")
    window.attach_log()
    settle_garbage_after_changes(window)
    return window


async def run(
    options: WorkspaceOptions,
    reporter: ErrorReporter,
    quit_after: float | None = None,
    *,
    drive: str | None = None,
) -> int:
    settings = QSettings("OCPP Bench", "ocpp-bench")
    window = await open_window(options, reporter, settings)
    code = 0
    if drive is not None:
        code = await _drive_and_close(window, drive)
    elif quit_after is not None:
        await _report_startup_and_close(window, quit_after)
    await window.closed.wait()
    window.save_layout(settings)
    return code


def load_driver(spec: str) -> Driver:
    """``package.module:function`` -> the function (--drive)."""
    module_name, sep, name = spec.partition(":")
    if not sep or not module_name or not name:
        raise ValueError(f"--drive {spec!r}: expected MODULE:FUNCTION")
    driver = getattr(importlib.import_module(module_name), name, None)
    if not callable(driver):
        raise ValueError(f"--drive {spec!r}: {module_name} has no function {name}")
    return driver


async def _drive_and_close(window: MainWindow, spec: str) -> int:
    """--drive: run the driver on the live window; 1 if it failed. Then close the window
    (the driver may have closed it already, answering the quit question itself)."""
    code = 0
    try:
        await load_driver(spec)(window)
    except Exception:
        log.exception("the --drive function %s failed", spec)
        code = 1
    window.close()
    return code


async def _report_startup_and_close(window: MainWindow, seconds: float) -> None:
    """--quit-after: print when the window showed and the demo station booted, then close."""
    shown = _seconds_since_process_start()
    booted = "not booted"
    runs = list(window.workspace.stations.values())
    if runs:
        try:
            await runs[0].cp.wait_accepted(max(0.1, seconds))
            booted = f"{_seconds_since_process_start():.2f} s"
        except TimeoutError:
            pass
    print(f"ocpp-bench: window shown {shown:.2f} s, first boot {booted}", flush=True)
    await asyncio.sleep(max(0.0, seconds - _seconds_since_process_start()))
    window.close()  # the orderly shutdown, as when the user closes it


def display_available() -> bool:
    """False on a Linux box with no X11/Wayland display and no QT_QPA_PLATFORM override,
    where Qt would abort the process instead of raising."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def main(argv: Sequence[str] | None = None) -> int:
    """Open the GUI; returns the process exit code."""
    import qasync

    args = build_parser().parse_args(list(argv) if argv is not None else None)
    if not display_available():
        print(
            "ocpp-bench: no display for the desktop app (DISPLAY is not set); "
            "`ocpp-bench demo` runs the headless demo",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "ocpp-bench"])
    app.setApplicationName("OCPP Bench")
    app.setOrganizationName("OCPP Bench")
    app.setDesktopFileName("ocpp-bench")  # ties the window to packaging/ocpp-bench.desktop
    # The loop ends when run() returns (after the orderly shutdown), not when Qt sees
    # the last window go: that would stop the loop under the shutdown still running.
    app.setQuitOnLastWindowClosed(False)
    saved = QSettings("OCPP Bench", "ocpp-bench").value(THEME_KEY, "auto")
    ThemeController(app, args.theme or str(saved))  # kept alive as a child of app
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "ocpp-bench.svg")))
    options = WorkspaceOptions(data_dir=args.data_dir or default_data_dir(), speed=args.speed)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    reporter = ErrorReporter()
    reporter.install(loop)
    try:
        return loop.run_until_complete(run(options, reporter, args.quit_after, drive=args.drive))
    except KeyboardInterrupt:
        return 130
    finally:
        reporter.uninstall(loop)
        loop.close()
        asyncio.set_event_loop(None)


if __name__ == "__main__":
    sys.exit(main())
