"""Screenshots of the real app: runs inside it (``ocpp-bench --drive tests.ui.xcb_shots:drive``).

For each view in ``VIEWS`` the driver puts the window in that state the way a user
would (buttons, tabs), saves ``<view>-<palette>.png`` at 1600x1000, switches the
palette live through View ▸ Palette and saves ``<view>-<other>-live.png``, then
switches back. The folder is ``$OCPP_BENCH_SHOTS``; ``$OCPP_BENCH_SHOT_VIEWS``
(comma-separated) picks views. At the end it closes the window and answers the quit
question (a transaction is still running), so the app exits through its orderly
shutdown.

To add a view (profile form, scenario runner, sessions table): write an
``async def <name>_view(window)`` that brings the window there, waiting on
conditions rather than time, and add it to ``VIEWS``; the tests shoot it in both
palettes.

Progress goes to stdout as ``xcb-shots: ...`` lines, which tests/ui/xvfb.py reads.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

from ui.main_window import MainWindow
from ui.screenshot import grab_window
from ui.theme import ThemeController

SHOTS_ENV = "OCPP_BENCH_SHOTS"
VIEWS_ENV = "OCPP_BENCH_SHOT_VIEWS"
PREFIX = "xcb-shots:"
WIDTH, HEIGHT = 1600, 1000
GRAPH_SAMPLES = 10  # samples (one a second) of charging on the graphs before the shot


def report(text: str) -> None:
    print(f"{PREFIX} {text}", flush=True)


async def wait_for(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    """Poll ``check`` until true, bounded in time (the app's loop keeps running)."""
    deadline = time.monotonic() + timeout
    for _ in range(100_000):
        if check():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)


# ------------------------------------------------------------------ views
async def charging_view(window: MainWindow) -> None:
    """The demo station charging the default EV, on the Live graphs tab with data."""
    await wait_for(lambda: window.current_view() is not None, "the demo station's view")
    view = window.current_view()
    assert view is not None
    card = view.cards[0]
    connector = card.connector
    if connector.ev is None:
        card.plug_button.click()
        await wait_for(lambda: connector.ev is not None, "the EV to be plugged in")
    if connector.transaction is None:
        card.card_button.click()  # the default tag, which the built-in CSMS accepts
        await wait_for(
            lambda: connector.transaction is not None and connector.power_w > 0,
            "the EV to charge",
        )
    view.tabs.setCurrentWidget(view.graphs)
    samples = view.bridge.samples[connector.id]
    first = len(samples)
    await wait_for(
        lambda: len(samples) >= first + GRAPH_SAMPLES, f"{GRAPH_SAMPLES} samples on the graphs"
    )


async def profile_form_view(window: MainWindow) -> None:
    """Smart charging ▸ New profile…: a TxProfile of 10 A then 6 A, with its preview."""
    await charging_view(window)
    view = window.current_view()
    assert view is not None
    panel = view.smart_panel
    view.tabs.setCurrentWidget(panel)
    panel.new_button.click()
    await wait_for(lambda: panel.profile_dialog is not None, "the profile form")
    dialog = panel.profile_dialog
    form = dialog.form
    form.purpose_box.setCurrentIndex(form.purpose_box.findText("TxProfile"))
    form.table.set_text(0, "limit", "10")
    form.add_button.click()
    form.table.set_text(1, "start", "1:00")
    form.table.set_text(1, "limit", "6")
    await wait_for(lambda: form.valid, "a valid profile in the form")
    # Over the main window, as a user sees it; the shot takes the window's area.
    geometry = window.frameGeometry()
    dialog.move(geometry.center() - dialog.rect().center())
    dialog.raise_()
    await wait_for(lambda: dialog.isVisible(), "the form on screen")


async def sessions_view(window: MainWindow) -> None:
    """The built-in CSMS's sessions, live, in the console dock (Ctrl+K)."""
    await charging_view(window)
    window.window_actions.show_console.trigger()
    console = window.csms_console
    console.tabs.setCurrentWidget(console.sessions)
    await wait_for(lambda: console.sessions.model.rowCount() > 0, "a session row")


MID_RUN_SCRIPT = """# Lab check: the EV pauses and resumes while charging
expect 1 Charging within 60
suspend 1                       # the EV stops drawing current
expect 1 SuspendedEV within 60
resume 1
expect 1 Charging within 60
wait 7200                       # two hours of charging
expect 1 Charging
"""


async def scenario_view(window: MainWindow) -> None:
    """The scenario runner mid-run: three expects passed, the long wait highlighted."""
    await charging_view(window)
    scenarios = window.scenarios
    scenarios.reveal()
    runner = scenarios.runner
    script = Path(os.environ.get(SHOTS_ENV) or "shots") / "pause-and-resume.steps"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(MID_RUN_SCRIPT, encoding="utf-8")
    assert runner.open_path(script)  # as File ▸ Open would
    assert runner.start() is not None
    await wait_for(
        lambda: runner.progress is not None and runner.progress.running_line() == 7,
        "the run to reach its long wait (line 7)",
    )


async def scenario_done(window: MainWindow) -> None:
    await window.scenarios.runner.stop()


VIEWS: dict[str, Callable[[MainWindow], Awaitable[None]]] = {
    "charging": charging_view,
    "profile-form": profile_form_view,
    "sessions": sessions_view,
    "scenario": scenario_view,
}
# What a view leaves running after its shots, ended before the next view.
AFTER_VIEW: dict[str, Callable[[MainWindow], Awaitable[None]]] = {"scenario": scenario_done}
# Views whose subject is a window of its own over the main one: shot from the screen.
OVERLAY_VIEWS = {"profile-form"}


# ------------------------------------------------------------------ shots
def theme_controller() -> ThemeController:
    app = QApplication.instance()
    theme = app.findChild(ThemeController) if app is not None else None
    if theme is None:
        raise RuntimeError("the app has no ThemeController")
    return theme


async def shoot(window: MainWindow, path: Path, *, overlay: bool = False) -> Path:
    """Save the window at exactly 1600x1000 (``overlay``: with what lies over it)."""
    if (window.width(), window.height()) != (WIDTH, HEIGHT):
        window.resize(WIDTH, HEIGHT)
        await wait_for(lambda: (window.width(), window.height()) == (WIDTH, HEIGHT), "resize")
    for _ in range(3):  # let posted events (re-polish, layout, updates) run on the loop
        await asyncio.sleep(0)
    pixmap = grab_area(window) if overlay else grab_window(window)
    if (pixmap.width(), pixmap.height()) != (WIDTH, HEIGHT):
        raise RuntimeError(f"the window grabbed {pixmap.width()}x{pixmap.height()} pixels")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    report(f"shot {path}")
    return path


def grab_area(window: MainWindow):
    """The screen's pixels where the window is: the window and any dialog over it."""
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and widget is not window:
            widget.repaint()
    window.repaint()
    top_left = window.mapToGlobal(window.rect().topLeft())
    return window.screen().grabWindow(0, top_left.x(), top_left.y(), WIDTH, HEIGHT)


async def shoot_view(window: MainWindow, name: str, folder: Path) -> None:
    """``<name>-<palette>.png``, then a live switch to the other palette and back."""
    actions = window.window_actions
    started = theme_controller().scheme
    other = "dark" if started == "light" else "light"
    overlay = name in OVERLAY_VIEWS
    await shoot(window, folder / f"{name}-{started}.png", overlay=overlay)
    actions.theme_actions[other].trigger()  # View ▸ Palette ▸ <other>
    await shoot(window, folder / f"{name}-{other}-live.png", overlay=overlay)
    actions.theme_actions[started].trigger()


async def quit_answering_yes(window: MainWindow) -> None:
    """Close the window; if it asks (transactions running), report the question and Quit."""
    window.close()
    for _ in range(3):
        await asyncio.sleep(0)
    box = window.quit_question
    if box is not None:
        report(f"quit question {box.text()} {box.informativeText()!r}")
        quit_button = next(b for b in box.buttons() if b.objectName() == "quitAnyway")
        quit_button.click()
    await asyncio.wait_for(window.closed.wait(), 60)
    report("closed")


async def drive(window: MainWindow) -> None:
    folder = Path(os.environ.get(SHOTS_ENV) or "shots")
    wanted = [v for v in os.environ.get(VIEWS_ENV, ",".join(VIEWS)).split(",") if v]
    handle = window.windowHandle()
    await wait_for(lambda: handle is not None and handle.isExposed(), "the window on screen")
    report(f"window shown {window.width()}x{window.height()} on {QApplication.platformName()}")
    runs = list(window.workspace.stations.values())
    if not runs:
        raise RuntimeError("the demo station did not start")
    await runs[0].cp.wait_accepted(60)
    report(f"booted {runs[0].station.id} against {window.workspace.csms_url}")
    for name in wanted:
        await VIEWS[name](window)
        await shoot_view(window, name, folder)
        if name in AFTER_VIEW:
            await AFTER_VIEW[name](window)
        for widget in QApplication.topLevelWidgets():  # dialogs of this view go away
            if widget is not window and widget.isVisible() and widget.isWindow():
                widget.close()
    await quit_answering_yes(window)
