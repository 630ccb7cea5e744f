"""Screenshots of the Conformance window mid-run with a manual prompt showing, light and dark.

Runs inside the real app (``ocpp-bench --drive tests.ui.xcb_conformance_shots:drive``):
opens Tools ▸ Conformance…, ticks ten 2.0.1 Provisioning cases, unticks the
built-in CSMS's own adapter (so manual actions come to the dialog) and runs them
against the built-in CSMS. The driver plays the operator: for each prompt it makes
the CSMS send what the case asks for and clicks Done — except that for
TC_B_12_CSMS it sends the wrong report base (so a FAIL with its reason shows), and
at TC_B_13_CSMS it leaves the prompt up. With the failing case selected below, it
saves ``conformance-<palette>.png``, switches the palette through View ▸ Palette,
saves the other, then stops the run and quits.

Progress goes to stdout as ``xcb-shots: ...`` lines (tests/ui/xvfb.py reads them).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from tests.ui.xcb_shots import SHOTS_ENV, quit_answering_yes, report, theme_controller, wait_for
from ui.main_window import MainWindow
from ui.views.conformance_window import ConformanceWindow
from ui.views.manual_prompt import ManualPromptDialog

WIDTH, HEIGHT = 1440, 900
CASE_IDS = (  # they run in the catalogue's order
    "TC_B_01_CSMS",
    "TC_B_06_CSMS",
    "TC_B_09_CSMS",
    "TC_B_10_CSMS",
    "TC_B_12_CSMS",
    "TC_B_13_CSMS",
    "TC_B_14_CSMS",
    "TC_B_20_CSMS",
    "TC_B_30_CSMS",
    "TC_B_31_CSMS",
)
LEAVE_OPEN = "TC_B_13_CSMS"  # the prompt on screen in the shots (two cases queued after)
WRONG = {"TC_B_12_CSMS": ("reportBase", "FullInventory")}  # a CSMS bug, for a FAIL row
SHOW_CASE = "TC_B_12_CSMS"


class Operator:
    """Answers the window's prompts the way a person at the CSMS would."""

    def __init__(self, window: ConformanceWindow) -> None:
        self.window = window
        self.calls: set[asyncio.Task[Any]] = set()

    async def answer_until(self, case_id: str) -> ManualPromptDialog:
        """Answer every prompt until ``case_id``'s; return that one, left open."""
        window = self.window
        for _ in range(len(CASE_IDS) + 1):
            await wait_for(lambda: window.prompter.dialog is not None, "a manual prompt", 120)
            dialog = window.prompter.dialog
            assert dialog is not None
            request = dialog.request
            if request.case_id == case_id:
                return dialog
            self.act(request)
            dialog.done_button.click()
            await wait_for(lambda d=dialog: window.prompter.dialog is not d, "the prompt to go")
        raise RuntimeError(f"no prompt for {case_id}")

    def act(self, request: Any) -> None:
        params = request.params
        target = self.window.run.target if self.window.run else None
        if target is None or target.csms is None:
            return
        if "statuses" in params:  # configure the CSMS's next BootNotification answers
            target.csms.set_boot_responses(params["station_id"], list(params["statuses"]))
            return
        if "action" not in params:
            return
        payload = dict(params["request"])
        if request.case_id in WRONG:
            field, value = WRONG[request.case_id]
            payload[field] = value
        call = target.csms.call(params["station_id"], params["action"], payload, force=True)
        task = asyncio.get_running_loop().create_task(call)
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)

    async def drain(self) -> None:
        for task in list(self.calls):
            task.cancel()
        await asyncio.gather(*self.calls, return_exceptions=True)


async def shoot(window: ConformanceWindow, path: Path) -> Path:
    """The screen where the window is: the window and the prompt over it."""
    for _ in range(3):
        await asyncio.sleep(0)
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            widget.repaint()
    top_left = window.mapToGlobal(window.rect().topLeft())
    pixmap = window.screen().grabWindow(0, top_left.x(), top_left.y(), WIDTH, HEIGHT)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    report(f"shot {path}")
    return path


async def drive(main: MainWindow) -> None:
    folder = Path(os.environ.get(SHOTS_ENV) or "shots")
    handle = main.windowHandle()
    await wait_for(lambda: handle is not None and handle.isExposed(), "the main window")
    report(f"window shown {main.width()}x{main.height()} on {QApplication.platformName()}")
    main.conformance.open_action.trigger()  # Tools ▸ Conformance…
    window = main.conformance.window
    assert window is not None
    window.resize(WIDTH, HEIGHT)
    window.move(0, 0)
    await wait_for(lambda: window.windowHandle().isExposed(), "the Conformance window")
    setup = window.setup
    if setup.problem:
        raise RuntimeError(setup.problem)
    setup.shipped.setChecked(False)
    setup.set_cases(list(CASE_IDS))
    setup.filter.setText("TC_B")
    operator = Operator(window)
    try:
        if window.start() is None:
            raise RuntimeError(f"Run refused: {window.reporter.last_error}")
        dialog = await operator.answer_until(LEAVE_OPEN)
        report(f"prompt {dialog.request.case_id}: {dialog.request.instruction}")
        window.select_case(SHOW_CASE)
        await wait_for(lambda: window.detail.log_panel is not None, "the case's frames")
        await wait_for(lambda: dialog.isVisible(), "the prompt on screen")
        palette = theme_controller().scheme
        other = "dark" if palette == "light" else "light"
        await shoot(window, folder / f"conformance-{palette}.png")
        main.window_actions.theme_actions[other].trigger()  # View ▸ Palette ▸ other
        await shoot(window, folder / f"conformance-{other}.png")
        main.window_actions.theme_actions[palette].trigger()
    finally:
        await window.stop()
        await operator.drain()
    window.close()
    await quit_answering_yes(main)
