"""Screenshots of the Network faults control on a real X server (issue 17, part 2).

Runs inside the real app (``ocpp-bench --drive tests.ui.xcb_faults_shots:drive``):
the demo station charges, the Network faults menu is opened (``faults-menu.png``,
with the popup over the window), latency with jitter and frame loss are chosen
from it, and the station view is shot with the faults in force in its header
(``faults-active.png``) once a reply in the message log shows the added round
trip. Then the faults are cleared and the app quits.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.ui.xcb_shots import (
    SHOTS_ENV,
    charging_view,
    quit_answering_yes,
    report,
    shoot,
    wait_for,
)
from ui.main_window import MainWindow


async def drive(window: MainWindow) -> None:
    folder = Path(os.environ.get(SHOTS_ENV) or "shots")
    handle = window.windowHandle()
    await wait_for(lambda: handle is not None and handle.isExposed(), "the window on screen")
    report(f"window shown {window.width()}x{window.height()}")
    runs = list(window.workspace.stations.values())
    if not runs:
        raise RuntimeError("the demo station did not start")
    await runs[0].cp.wait_accepted(60)
    await charging_view(window)
    view = window.current_view()
    assert view is not None
    button = view.faults_button
    menu = button.menu()
    menu.popup(button.mapToGlobal(button.rect().bottomLeft()))  # as a click would
    await wait_for(lambda: menu.isVisible(), "the Network faults menu")
    await shoot(window, folder / "faults-menu.png", overlay=True)
    menu.hide()
    for label in ("Latency 800 ms ± 200 ms", "Frame loss 5 %"):
        (action,) = [a for a in menu.actions() if a.text() == label]
        action.trigger()
    faults = view.header.values["faults"]
    await wait_for(lambda: "loss 5%" in faults.text(), "the faults in the header")
    report(f"faults in force: {faults.text()}")
    log = window.log_panel
    assert log is not None
    model = log.model

    def slow_reply() -> bool:  # a recent reply that crossed the impaired link both ways
        rows = model.rowCount()
        for row in range(max(0, rows - 6), rows):
            found = model.record(row)
            latency = found[1].latency_ms if found is not None else None
            if latency is not None and latency >= 1200:
                return True
        return False

    await wait_for(slow_reply, "a reply held up by the latency")
    await shoot(window, folder / "faults-active.png")
    button.clear_action.trigger()
    await quit_answering_yes(window)
