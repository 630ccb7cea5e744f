"""File ▸ Export session… and File ▸ Open session bundle… (issue 17, bundles).

Export writes the selected station's session from the workspace database
(``ui.operations.bundles``); Open shows a bundle in its own read-only window
(``ui.views.bundle_window``). The dialogs only pick a path: ``export_to`` and
``open_path`` do the work, and tests call them directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from bench.bundle.format import SUFFIX
from ui.operations import bundles as ops
from ui.operations import perform
from ui.shortcuts import _menu
from ui.views.bundle_window import BundleWindow

if TYPE_CHECKING:
    from ui.main_window import MainWindow

FILTER = f"Session bundles (*{SUFFIX});;All files (*)"


class BundleActions:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.export_action = QAction("Export session…", window)
        self.export_action.setObjectName("exportSessionAction")
        self.export_action.setToolTip("Write the selected station's session as one bundle file")
        self.export_action.triggered.connect(self._export_dialog)
        self.open_action = QAction("Open session bundle…", window)
        self.open_action.setObjectName("openBundleAction")
        self.open_action.setToolTip("Browse a recorded session offline (read-only)")
        self.open_action.triggered.connect(self._open_dialog)
        self.windows: list[BundleWindow] = []

    def export_to(self, path: str | Path) -> bool:
        station = self.window.station_list.current_station_id()
        bundle = perform(
            self.window.reporter, ops.export_session, self.window.workspace, station, path
        )
        if bundle is None:
            return False
        self.window.show_info(f"Exported {len(bundle.frames):,} frames of {station} to {path}")
        return True

    def open_path(self, path: str | Path) -> BundleWindow | None:
        bundle = perform(self.window.reporter, ops.open_bundle, path)
        if bundle is None:
            return None
        shown = BundleWindow(bundle, Path(path).name, self.window)
        shown.destroyed.connect(lambda _=None, w=shown: self._forget(w))
        self.windows.append(shown)
        shown.show()
        return shown

    def _forget(self, shown: BundleWindow) -> None:
        if shown in self.windows:
            self.windows.remove(shown)

    def _export_dialog(self) -> None:
        station = self.window.station_list.current_station_id()
        if station is None:
            self.window.show_error("Select a station first")
            return
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export session", f"{station}{SUFFIX}", FILTER
        )
        if path:
            self.export_to(path if Path(path).suffix else path + SUFFIX)

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session bundle", "", FILTER)
        if path:
            self.open_path(path)


def install(window: MainWindow) -> BundleActions:
    """Put the two actions at the top of the File menu."""
    actions = BundleActions(window)
    file_menu = _menu(window, "File")
    first = file_menu.actions()[0] if file_menu.actions() else None
    file_menu.insertAction(first, actions.open_action)
    file_menu.insertAction(first, actions.export_action)
    file_menu.insertSeparator(first)
    return actions
