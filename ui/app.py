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
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ui.errors import ErrorReporter
from ui.main_window import MainWindow
from ui.theme import apply_theme
from ui.workspace import Workspace, WorkspaceOptions, default_data_dir

log = logging.getLogger(__name__)

ICON = Path(__file__).resolve().parent.parent / "resources" / "icons" / "ocpp-bench.svg"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocpp-bench", description="OCPP Bench desktop app")
    parser.add_argument("--data-dir", type=Path, default=None, help="where stations are stored")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="virtual time factor (60: an hour a minute)"
    )
    parser.add_argument("--theme", choices=("auto", "light", "dark"), default="auto")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


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
    return window


async def run(options: WorkspaceOptions, reporter: ErrorReporter) -> int:
    settings = QSettings("OCPP Bench", "ocpp-bench")
    window = await open_window(options, reporter, settings)
    await window.closed.wait()
    window.save_layout(settings)
    return 0


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
    # The loop ends when run() returns (after the orderly shutdown), not when Qt sees
    # the last window go: that would stop the loop under the shutdown still running.
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app, args.theme)
    app.setWindowIcon(QIcon(str(ICON)))
    options = WorkspaceOptions(data_dir=args.data_dir or default_data_dir(), speed=args.speed)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    reporter = ErrorReporter()
    reporter.install(loop)
    try:
        return loop.run_until_complete(run(options, reporter))
    except KeyboardInterrupt:
        return 130
    finally:
        reporter.uninstall(loop)
        loop.close()
        asyncio.set_event_loop(None)


if __name__ == "__main__":
    sys.exit(main())
