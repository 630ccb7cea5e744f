"""Ctrl+K brings the CSMS console up, and its Send target follows the selected station.

The console is a dock tabbed behind the message log: Ctrl+K toggled it, so with the
console behind the log it hid it instead of showing it. The console's "To" picker
picked the first connected station, not the one selected in the station list, so
Send went to another station than the one on screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from bench.workspace import DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until


def _console_in_front(win) -> bool:
    console = win.csms_console
    return console is not None and console.isVisible() and not console.visibleRegion().isEmpty()


async def _press_ctrl_k(qtbot, win) -> None:
    win.activateWindow()
    target = win.focusWidget() or win
    qtbot.keyClick(target, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)


async def test_ctrl_k_raises_and_focuses_the_console_tabbed_behind_the_log(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as win:
        await wait_until(lambda: win.csms_console is not None, what="the console")
        await wait_until(lambda: win.log_dock.isVisible(), what="the log in front")
        assert not _console_in_front(win)  # behind the log tab
        win.station_list.view.setFocus()
        for press in (1, 2):  # a second press keeps it up: it is not a toggle
            await _press_ctrl_k(qtbot, win)
            await wait_until(lambda: _console_in_front(win), what=f"console up after press {press}")
            await wait_until(
                lambda: win.csms_console.isAncestorOf(win.focusWidget()),
                what="keyboard focus in the console",
            )


async def test_ctrl_k_brings_back_a_console_the_user_closed(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as win:
        await wait_until(lambda: win.csms_console is not None, what="the console")
        win.console_dock.close()
        await _press_ctrl_k(qtbot, win)
        await wait_until(lambda: _console_in_front(win), what="console shown again")


def _target(win) -> str | None:
    return win.csms_console.station_combo.currentData()


async def test_the_console_sends_to_the_station_selected_in_the_station_list(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as win:
        csms = await wait_until(lambda: win.workspace.csms, what="the built-in CSMS")
        await win.workspace.add_station("ZZ-SECOND", "ac-11kw")
        await csms.wait_for_station(DEMO_STATION_ID, timeout=15, accepted=True)
        await csms.wait_for_station("ZZ-SECOND", timeout=15, accepted=True)
        console = await wait_until(lambda: win.csms_console, what="the console")
        console.refresh()
        for station_id in ("ZZ-SECOND", DEMO_STATION_ID, "ZZ-SECOND"):
            assert win.station_list.select_station(station_id)
            assert _target(win) == station_id
        console.select_action("TriggerMessage")
        outcome = await console.send()
        assert outcome is not None and outcome.station == "ZZ-SECOND"


async def test_a_selected_station_off_the_built_in_csms_disables_send_instead_of_picking_another(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as win:
        csms = await wait_until(lambda: win.workspace.csms, what="the built-in CSMS")
        await win.workspace.add_station("ZZ-SECOND", "ac-11kw")
        await csms.wait_for_station(DEMO_STATION_ID, timeout=15, accepted=True)
        await csms.wait_for_station("ZZ-SECOND", timeout=15, accepted=True)
        await win.workspace.stop_station("ZZ-SECOND")
        console = await wait_until(lambda: win.csms_console, what="the console")
        await wait_until(
            lambda: console.refresh() or "ZZ-SECOND" not in console.stations.connected_ids(),
            what="the stopped station gone from the CSMS",
        )
        assert win.station_list.select_station("ZZ-SECOND")
        assert _target(win) is None
        assert "ZZ-SECOND" in console.station_combo.currentText()
        assert not console.send_button.isEnabled()
        assert "ZZ-SECOND is not connected" in console.send_button.toolTip()
        console.station_combo.setCurrentIndex(console.station_combo.findData(DEMO_STATION_ID))
        console.station_combo.activated.emit(console.station_combo.currentIndex())  # user pick
        assert _target(win) == DEMO_STATION_ID and console.send_button.isEnabled()
