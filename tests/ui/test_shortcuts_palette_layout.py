"""Light and dark palettes following the system, and the window layout restored on restart."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from bench.workspace import Workspace, WorkspaceOptions
from tests.ui.conftest import running_app
from ui.errors import ErrorReporter
from ui.main_window import MainWindow
from ui.shortcuts import THEME_KEY
from ui.theme import ThemeController, apply_theme


def _window_colour() -> str:
    return QApplication.instance().palette().color(QPalette.ColorRole.Window).name()


def _settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


async def test_the_palette_menu_switches_light_and_dark_and_recolours_live_plots(qtbot, tmp_path):
    app = QApplication.instance()
    controller = ThemeController(app, "light")
    try:
        async with running_app(qtbot, tmp_path) as win:
            actions = win.window_actions
            assert actions.theme_actions["light"].isChecked()
            light = _window_colour()
            actions.theme_actions["dark"].trigger()
            assert controller.scheme == "dark"
            assert _window_colour() != light
            assert actions.theme_actions["dark"].isChecked()
            plot = win.findChildren(pg.GraphicsLayoutWidget)[0].ci.items
            axis = next(iter(plot)).getAxis("left")
            assert axis.textPen().color().name() == "#c8ccd2"  # dark foreground
            # The graphs on screen turn dark at once, no tab change needed.
            canvas = win.current_view().graphs.canvas
            assert canvas.backgroundBrush().color().lightness() < 60
            settings = _settings(tmp_path)
            win.save_layout(settings)
            assert settings.value(THEME_KEY) == "dark"
    finally:
        controller.deleteLater()
        apply_theme(app, "light")


def test_follow_the_system_reapplies_when_the_system_scheme_changes(qtbot, monkeypatch):
    app = QApplication.instance()
    dark = {"on": False}
    monkeypatch.setattr("ui.theme.system_prefers_dark", lambda: dark["on"])
    controller = ThemeController(app, "auto")
    try:
        assert controller.scheme == "light"
        with qtbot.waitSignal(controller.changed, timeout=1000) as signal:
            dark["on"] = True
            controller._system_changed(Qt.ColorScheme.Dark)  # what the style hints emit
        assert signal.args == ["dark"]
        controller.set_choice("light")  # a fixed choice ignores the system from now on
        dark["on"] = False
        controller._system_changed(Qt.ColorScheme.Light)
        dark["on"] = True
        controller._system_changed(Qt.ColorScheme.Dark)
        assert controller.scheme == "light"
    finally:
        controller.deleteLater()
        apply_theme(app, "light")


def test_window_geometry_and_dock_layout_are_restored_on_the_next_start(qtbot, tmp_path):
    """No workspace is started: layout belongs to the window alone."""
    options = WorkspaceOptions(data_dir=tmp_path / "data")
    first = MainWindow(Workspace(options), ErrorReporter())
    qtbot.addWidget(first)
    first.show()
    screen = QApplication.primaryScreen().availableGeometry()
    size = (min(1200, screen.width()) - 100, min(800, screen.height()) - 100)
    first.resize(*size)
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, first.stations_dock)
    first.log_dock.hide()
    settings = _settings(tmp_path)
    first.save_layout(settings)
    settings.sync()

    second = MainWindow(Workspace(options), ErrorReporter())
    qtbot.addWidget(second)
    assert second.dockWidgetArea(second.stations_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    second.restore_layout(_settings(tmp_path))
    second.show()
    assert second.dockWidgetArea(second.stations_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert not second.log_dock.isVisible()
    assert (second.width(), second.height()) == size
