"""The scenario runner in the main window: a dock beside the message log, and a Scenario menu.

``install(window)`` is the whole hook (``MainWindow`` calls it once and awaits
``stop`` at shutdown). The dock follows the station list's selection for where
Run goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu

from ui.models.bridge import StationBridge
from ui.views.scenario_runner import ScenarioRunner

if TYPE_CHECKING:
    from ui.main_window import MainWindow

SHOW_KEYS = "Ctrl+J"


class ScenarioDock:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.runner = ScenarioRunner(window.reporter, self.selected)
        self.dock = QDockWidget("Scenario runner", window)
        self.dock.setObjectName("scenarioDock")
        self.dock.setWidget(self.runner)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.console_dock, self.dock)
        window.log_dock.raise_()  # the log stays what a first start shows
        self.toggle_action = self.dock.toggleViewAction()  # View menu, beside the other docks
        # Ctrl+J brings the runner up even when it is a tab behind the log (a toggle
        # would hide it instead) and puts the cursor in the script.
        self.show_action = QAction("Show scenario runner", window, shortcut=SHOW_KEYS)
        self.show_action.triggered.connect(self.reveal)
        # Run from the menu or F5 shows the runner, so the verdicts are seen.
        self.runner.run_action.triggered.connect(self.reveal)
        self.menu = self._build_menu()
        window.station_list.selected.connect(self.runner.refresh_target)
        self._unsubscribe = window.workspace.events.subscribe(self._on_workspace_event)

    def selected(self) -> StationBridge | None:
        station_id = self.window.station_list.current_station_id()
        return self.window.bridges.get(station_id) if station_id else None

    def reveal(self) -> None:
        self.dock.show()
        self.dock.raise_()
        if not self.runner.running:
            self.runner.editor.setFocus()

    def _build_menu(self) -> QMenu:
        window, runner = self.window, self.runner
        bar = window.menuBar()
        menu = QMenu("Sc&enario", window)
        menu.addMenu(runner.examples_menu)
        menu.addAction(runner.open_file_action)
        menu.addAction(runner.save_action)
        menu.addAction(runner.save_as_action)
        menu.addSeparator()
        menu.addAction(runner.run_action)
        menu.addAction(runner.stop_action)
        menu.addSeparator()
        menu.addAction(self.show_action)
        help_menu = next(
            (a for a in bar.actions() if a.menu() and a.text().replace("&", "") == "Help"), None
        )
        if help_menu is not None:
            bar.insertMenu(help_menu, menu)
        else:
            bar.addMenu(menu)
        view_menu = next(
            (a.menu() for a in bar.actions() if a.menu() and a.text().replace("&", "") == "View"),
            None,
        )
        if view_menu is not None:  # beside the other docks' toggles
            toggles = view_menu.actions()
            console = window.console_dock.toggleViewAction()
            after = toggles.index(console) + 1 if console in toggles else len(toggles)
            view_menu.insertAction(
                toggles[after] if after < len(toggles) else None, self.toggle_action
            )
        return menu

    def _on_workspace_event(self, _event: Any) -> None:
        # Stations come, go and restart: say again where Run would go. (A script whose
        # station stops is stopped by its own run: ui.operations.scenarios.)
        self.runner.refresh_target()

    async def stop(self) -> None:
        """Stop a running script (the window is closing) and stop listening."""
        self._unsubscribe()
        await self.runner.stop()


def install(window: MainWindow) -> ScenarioDock:
    return ScenarioDock(window)
