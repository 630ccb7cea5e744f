"""Screenshots of a session bundle opened in the real app (issue 17, bundles).

Runs inside the app (``ocpp-bench --speed 60 --drive tests.ui.xcb_bundle_shots:drive``):
the demo station charges the default EV for a while, the card is presented again
to end the transaction, File ▸ Export session… writes ``session.bundle`` (through
``export_to``: the file dialog only picks the path), File ▸ Open session bundle…
opens it in its read-only window, and the window is saved as
``bundle-<palette>.png`` in both palettes. Then the app quits.

Progress goes to stdout as ``xcb-shots: ...`` lines (tests/ui/xvfb.py reads them).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.ui.xcb_shots import (
    SHOTS_ENV,
    charging_view,
    quit_answering_yes,
    report,
    theme_controller,
    wait_for,
)
from ui.main_window import MainWindow
from ui.screenshot import grab_window

WIDTH, HEIGHT = 1600, 1000
METER_FRAMES = 15  # MeterValues sent while charging before the session is ended


async def drive(window: MainWindow) -> None:
    folder = Path(os.environ.get(SHOTS_ENV) or "shots")
    handle = window.windowHandle()
    await wait_for(lambda: handle is not None and handle.isExposed(), "the window on screen")
    report(f"window shown {window.width()}x{window.height()} on {QApplication.platformName()}")
    run = next(iter(window.workspace.stations.values()))
    await run.cp.wait_accepted(60)
    station = run.station.id
    await charging_view(window)
    log = window.workspace.message_log
    assert log is not None

    def meter_frames() -> int:
        return log.count(station=station, action="MeterValues", type="CALL")

    await wait_for(lambda: meter_frames() >= METER_FRAMES, f"{METER_FRAMES} MeterValues", 180)
    view = window.current_view()
    assert view is not None
    view.cards[0].card_button.click()  # the same card again: the transaction ends
    connector = view.cards[0].connector
    await wait_for(lambda: connector.transaction is None, "the transaction to end", 60)
    await wait_for(lambda: log.count(station=station, action="StopTransaction") >= 2, "a reply")

    path = folder / "session.bundle"
    if not window.bundles.export_to(path):
        raise RuntimeError(f"export failed: {window.statusBar().currentMessage()}")
    report(f"exported {path}")
    shown = window.bundles.open_path(path)
    if shown is None:
        raise RuntimeError(f"open failed: {window.statusBar().currentMessage()}")
    shown.resize(WIDTH, HEIGHT)
    shown_handle = shown.windowHandle()
    await wait_for(
        lambda: shown_handle is not None and shown_handle.isExposed(), "the bundle window"
    )
    await wait_for(lambda: shown.log_panel.model.rowCount() > 0, "the recorded log")
    report(f"opened {shown.windowTitle()}")
    theme = theme_controller()
    started = theme.scheme
    for scheme in (started, "dark" if started == "light" else "light"):
        window.window_actions.theme_actions[scheme].trigger()  # View ▸ Palette
        await wait_for(lambda: (shown.width(), shown.height()) == (WIDTH, HEIGHT), "resize")
        for _ in range(5):
            await asyncio.sleep(0.05)  # posted re-polish and layout run on the loop
        shown.graphs._redraw_now()
        pixmap = grab_window(shown)
        target = folder / f"bundle-{scheme}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not pixmap.save(str(target), "PNG"):
            raise OSError(f"could not write {target}")
        report(f"shot {target}")
    shown.close()
    await quit_answering_yes(window)
