"""Tools ▸ Load test… and Tools ▸ Stop load test: one local Locust run, its web UI opened.

One run at a time; Stop load test, or quitting the app, stops it (its stations
stop in order, as on Ctrl+C).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QDialog, QMenu
from qasync import asyncSlot

from bench.load.local import LoadRequest, LocalLoadRun
from ui.operations import OperationError, perform_async
from ui.operations.load_test import start_load_run
from ui.views.load_dialog import LoadTestDialog

if TYPE_CHECKING:
    from ui.main_window import MainWindow


class LoadTestMenu:
    """The Load test actions of the Tools menu, and the one run they start."""

    def __init__(
        self,
        window: MainWindow,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
    ) -> None:
        self.main = window
        self.open_url = open_url
        self.run: LocalLoadRun | None = None
        self.start_action = QAction("Load test…", window)
        self.start_action.setToolTip("Load-test a CSMS with Locust: a master and local workers")
        self.start_action.triggered.connect(self.ask)
        self.stop_action = QAction("Stop load test", window)
        self.stop_action.setEnabled(False)
        self.stop_action.triggered.connect(self._stop_clicked)
        menu = _tools_menu(window)
        menu.addSeparator()
        menu.addAction(self.start_action)
        menu.addAction(self.stop_action)

    def ask(self) -> None:
        dialog = LoadTestDialog(self.main.workspace.profiles(), parent=self.main)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._start_clicked(dialog.request())

    @asyncSlot(object)
    async def _start_clicked(self, request: LoadRequest) -> None:
        await perform_async(self.main.reporter, self.start, request)

    async def start(self, request: LoadRequest) -> LocalLoadRun:
        if self.run is not None and self.run.running:
            raise OperationError("a load test is already running: stop it first")
        self.start_action.setEnabled(False)
        try:
            run = await start_load_run(request, self.main.workspace.options.data_dir)
        finally:
            self.start_action.setEnabled(True)
        self.run = run
        self.stop_action.setEnabled(True)
        self.open_url(QUrl(run.url))
        self.main.reporter.report_info(
            f"Load test running: {request.stations} stations against {request.profile.name}; "
            f"Locust's web UI at {run.url}"
        )
        return run

    @asyncSlot()
    async def _stop_clicked(self) -> None:
        await self.stop()

    async def stop(self) -> None:
        run, self.run = self.run, None
        self.stop_action.setEnabled(False)
        if run is not None:
            code = await run.stop()
            self.main.reporter.report_info(f"Load test stopped (exit status {code})")


def _tools_menu(window: MainWindow) -> QMenu:
    """The Tools menu (the conformance menu makes it), or a new one."""
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == "Tools":
            return menu
    return window.menuBar().addMenu("&Tools")


def install(window: MainWindow) -> LoadTestMenu:
    return LoadTestMenu(window)
