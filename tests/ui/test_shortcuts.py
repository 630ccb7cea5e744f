"""Menus and keyboard shortcuts for the common actions (issue 4, "Menus, tool bar, ...")."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from tests.ui.conftest import running_app, wait_until
from ui.shortcuts import shortcut_table


def _keys(action: QAction) -> set[str]:
    return {k.toString(QKeySequence.SequenceFormat.PortableText) for k in action.shortcuts()}


async def test_next_and_previous_station_walk_the_list_and_wrap_around(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as win:
        await wait_until(lambda: win.current_view() is not None, what="the demo station")
        await win.workspace.add_station("SECOND-STATION", "ac-11kw")
        await wait_until(lambda: len(win.bridges) == 2, what="two stations")
        actions = win.window_actions
        first = win.station_list.current_station_id()
        assert actions.next() == "SECOND-STATION"
        assert win.current_view().bridge.station_id == "SECOND-STATION"
        assert actions.next() == first  # wraps past the end
        assert actions.previous() == "SECOND-STATION"  # and past the start


async def test_ctrl_page_down_pressed_on_the_window_selects_the_next_station(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as win:
        await wait_until(lambda: win.current_view() is not None, what="the demo station")
        await win.workspace.add_station("SECOND-STATION", "ac-11kw")
        await wait_until(lambda: len(win.bridges) == 2, what="two stations")
        win.activateWindow()
        win.station_list.view.setFocus()
        qtbot.keyClick(
            win.station_list.view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier
        )
        await wait_until(
            lambda: win.station_list.current_station_id() == "SECOND-STATION", what="next station"
        )


async def test_find_in_log_shows_the_hidden_log_and_focuses_its_search_box(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as win:
        await wait_until(lambda: win.log_panel is not None, what="the log panel")
        win.log_dock.hide()
        win.log_panel.text.setText("BootNotification")
        win.activateWindow()
        win.window_actions.find_in_log.trigger()
        assert win.log_dock.isVisible()
        await wait_until(lambda: win.log_panel.text.hasFocus(), what="focus in the search box")
        assert win.log_panel.text.selectedText() == "BootNotification"  # typing replaces it


async def test_export_log_shortcut_writes_the_filtered_log_where_the_user_chose(
    qtbot, tmp_path, monkeypatch
):
    target = tmp_path / "exported.jsonl"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "JSON Lines (*.jsonl)")
    )
    async with running_app(qtbot, tmp_path) as win:
        runs = list(win.workspace.stations.values())
        await runs[0].cp.wait_accepted(15)
        await wait_until(lambda: win.log_panel.model.rowCount() > 0, what="frames in the log")
        assert "Ctrl+E" in _keys(win.window_actions.export_log)
        win.window_actions.export_log.trigger()
        await wait_until(lambda: target.exists() and target.stat().st_size > 0, what="the export")
        assert "BootNotification" in target.read_text(encoding="utf-8")


async def test_no_two_actions_of_the_window_share_a_shortcut(qtbot, tmp_path):
    """Qt fires neither of two actions bound to the same keys ("ambiguous shortcut")."""
    async with running_app(qtbot, tmp_path) as win:
        await wait_until(lambda: win.log_panel is not None, what="the log panel")
        contexts = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)
        window_wide = [
            a
            for a in win.findChildren(QAction)
            if a.shortcuts() and a.shortcutContext() in contexts
        ]
        counts = Counter(key for a in window_wide for key in _keys(a))
        clashes = {key: n for key, n in counts.items() if n > 1}
        assert not clashes, f"shortcuts bound twice: {clashes}"


async def test_the_shortcut_list_names_every_common_action(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as win:
        await wait_until(lambda: win.log_panel is not None, what="the log panel")
        rows = dict(shortcut_table(win))
        for name in (
            "Plug in / unplug",
            "Present card",
            "Reboot",
            "Cut / restore network",
            "Next station",
            "Previous station",
            "Find in message log",
            "Export message log…",
        ):
            assert rows.get(name), f"{name!r} has no shortcut in {rows}"
        dialog = win.window_actions.show_list()
        assert dialog.table.rowCount() == len(rows)
        dialog.close()
        dialog.deleteLater()
