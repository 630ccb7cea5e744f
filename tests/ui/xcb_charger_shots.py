"""Screenshots of "Test a charger" mid-run with a physical-step prompt, light and dark.

Runs inside the real app (``ocpp-bench --drive tests.ui.xcb_charger_shots:drive``):
opens Tools ▸ Conformance…, switches the mode to *Test a charger* with a real
charger as the station under test, listening on 127.0.0.1, and runs ``CASE_IDS``.
A lab charger is played by a bench station the driver starts from outside, pointed
at the address the window shows. The driver is the person at the charger: it does
each physical step the dialogs ask for on that station and clicks Done — except
``LEAVE_OPEN``'s prompt, left up for the shots. It saves ``charger-<palette>.png``,
switches the palette through View ▸ Palette, saves the other, stops and quits.

Progress goes to stdout as ``xcb-shots: ...`` lines (tests/ui/xvfb.py reads them).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.runtime import StationOptions, StationRun
from tests.ui.xcb_conformance_shots import HEIGHT, WIDTH, shoot
from tests.ui.xcb_shots import SHOTS_ENV, quit_answering_yes, report, theme_controller, wait_for
from ui.main_window import MainWindow
from ui.views.conformance_window import ConformanceWindow
from ui.views.manual_prompt import ManualPromptDialog

DUT = "LAB-WALLBOX-7"
CASE_IDS = ("TC_B_01_CS", "TC_B_06_CS", "TC_E_01_CS", "TC_E_09_CS")  # catalogue order
LEAVE_OPEN = ("TC_E_09_CS", "plug_in")  # the prompt on screen in the shots
SHOW_CASE = "TC_E_01_CS"


class PersonAtTheCharger:
    """Does on the lab charger what the window's dialogs ask for."""

    def __init__(self, window: ConformanceWindow, charger: StationRun) -> None:
        self.window = window
        self.charger = charger

    async def answer_until(self, stop: tuple[str, str]) -> ManualPromptDialog:
        window = self.window
        for _ in range(40):  # bounded: a handful of steps per case
            await wait_for(lambda: window.prompter.dialog is not None, "a physical step", 120)
            dialog = window.prompter.dialog
            assert dialog is not None
            request = dialog.request
            if (request.case_id, request.key) == stop:
                return dialog
            await self.act(request.key, request.params)
            dialog.done_button.click()
            await wait_for(lambda d=dialog: window.prompter.dialog is not d, "the prompt to go")
        raise RuntimeError(f"no prompt {stop}")

    async def act(self, key: str, params: dict[str, Any]) -> None:
        cp = self.charger.cp
        connector = int(params.get("connector_id") or 1)
        if key == "power_cycle":
            await cp.power_cut()
            await cp.power_restore()
        elif key == "plug_in":
            cp.plug_in(connector, "family-ev")
        elif key == "unplug":
            cp.unplug(connector)
        elif key == "present_token":
            cp.present_id(str(params["token"]), params.get("connector_id"))
        else:
            raise RuntimeError(f"the driver cannot do {key}")


async def drive(main: MainWindow) -> None:
    folder = Path(os.environ.get(SHOTS_ENV) or "shots")
    handle = main.windowHandle()
    await wait_for(lambda: handle is not None and handle.isExposed(), "the main window")
    report(f"window shown {main.width()}x{main.height()}")
    main.conformance.open_action.trigger()  # Tools ▸ Conformance…
    window = main.conformance.window
    assert window is not None
    window.resize(WIDTH, HEIGHT)
    window.move(0, 0)
    await wait_for(lambda: window.windowHandle().isExposed(), "the Conformance window")
    setup = window.setup
    setup.set_mode("cs")
    setup.listen.setText("127.0.0.1:0")
    setup.station_id.setText(DUT)
    setup.version.setCurrentIndex(setup.version.findData("2.0.1"))
    setup.set_cases(list(CASE_IDS))
    setup.filter.setText("TC_")
    if window.start() is None:
        raise RuntimeError(f"Run refused: {window.reporter.last_error}")
    await wait_for(lambda: window._listening is not None, "the bench listening")
    listening = window._listening
    assert listening is not None
    data = Path(os.environ.get("OCPP_BENCH_DATA_DIR") or folder)
    charger = StationRun(
        StationOptions(
            csms_url=listening.url,
            station_id=DUT,
            ocpp="2.0.1",
            db=str(data / "lab-charger.db"),
            settings={"boot_seconds": "0"},
        )
    )
    await charger.start()
    person = PersonAtTheCharger(window, charger)
    try:
        dialog = await person.answer_until(LEAVE_OPEN)
        report(f"prompt {dialog.request.case_id}: {dialog.request.instruction}")
        window.select_case(SHOW_CASE)
        await wait_for(lambda: window.detail.log_panel is not None, "the case's frames")
        await wait_for(lambda: dialog.isVisible(), "the prompt on screen")
        palette = theme_controller().scheme
        other = "dark" if palette == "light" else "light"
        await shoot(window, folder / f"charger-{palette}.png")
        main.window_actions.theme_actions[other].trigger()  # View ▸ Palette ▸ other
        await shoot(window, folder / f"charger-{other}.png")
        main.window_actions.theme_actions[palette].trigger()
    finally:
        await window.stop()
        await charger.stop()
    window.close()
    await quit_answering_yes(main)
