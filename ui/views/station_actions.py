"""The stations list's actions: Add…, Duplicate, Remove, Start/Stop, CSMS profiles….

One ``QAction`` per verb, shared by the Station menu, the list's buttons and its
context menu. Dialogs open window-modal with ``open()`` (never a nested
``exec()`` loop under qasync); their outcome runs the operation through
``perform_async``, the one place errors become a status-bar message.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget
from qasync import asyncSlot

from bench.workspace import BUILTIN_PROFILE, Workspace
from ui.errors import ErrorReporter
from ui.operations import perform_async
from ui.operations import stations as ops
from ui.views.csms_profiles import CsmsProfilesDialog
from ui.views.station_dialogs import AddStationDialog


class StationActions(QObject):
    added = Signal(str)  # the first station of an Add or a Duplicate (to select it)

    def __init__(
        self,
        workspace: Workspace,
        reporter: ErrorReporter,
        window: QWidget,
        current_station: Callable[[], str | None],
    ) -> None:
        super().__init__(window)
        self.workspace = workspace
        self.reporter = reporter
        self.window = window
        self.current_station = current_station
        self.add_dialog: AddStationDialog | None = None
        self.profiles_dialog: CsmsProfilesDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.busy = 0  # operations in flight (tests wait for 0)

        self.add_action = QAction("Add stations…", self, shortcut=QKeySequence("Ctrl+Shift+N"))
        self.add_action.setToolTip("Add one or more stations from a template")
        self.add_action.triggered.connect(self.open_add_dialog)
        self.duplicate_action = QAction("Duplicate", self, shortcut=QKeySequence("Ctrl+D"))
        self.duplicate_action.setToolTip("Add a copy of the selected station under the next id")
        self.duplicate_action.triggered.connect(self._duplicate)
        self.remove_action = QAction("Remove…", self, shortcut=QKeySequence.StandardKey.Delete)
        # Delete only while the list has focus: elsewhere the key edits text.
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.remove_action.setToolTip("Stop and remove the selected station")
        self.remove_action.triggered.connect(self.confirm_remove)
        self.start_stop_action = QAction("Stop", self, shortcut=QKeySequence("Ctrl+Shift+S"))
        self.start_stop_action.setToolTip("Power the selected station off or on")
        self.start_stop_action.triggered.connect(self._start_stop)
        self.profiles_action = QAction(
            "CSMS profiles…", self, shortcut=QKeySequence("Ctrl+Shift+P")
        )
        self.profiles_action.setToolTip("Manage CSMS targets and test a connection")
        self.profiles_action.triggered.connect(self.open_profiles_dialog)
        self.update_state()

    @property
    def list_actions(self) -> list[QAction]:
        return [self.add_action, self.duplicate_action, self.start_stop_action, self.remove_action]

    def update_state(self, *_args: object) -> None:
        """Enable the per-station verbs only with a selection; label Start/Stop by state."""
        station_id = self.current_station()
        has = station_id is not None and station_id in self.workspace.stations
        for action in (self.duplicate_action, self.remove_action, self.start_stop_action):
            action.setEnabled(has)
        running = has and self.workspace.is_running(station_id or "")
        self.start_stop_action.setText("Stop" if running or not has else "Start")

    # ------------------------------------------------------------ add
    def open_add_dialog(self) -> AddStationDialog:
        current = self.current_station()
        record = self.workspace.records.get(current or "")
        dialog = AddStationDialog(
            self.workspace.profiles(),
            self.workspace.stations,
            default_ev=record.ev_template if record else self.workspace.default_ev,
            default_profile=record.profile if record else BUILTIN_PROFILE,
            speed=self.workspace.options.speed,
            parent=self.window,
        )
        dialog.accepted.connect(lambda d=dialog: self._add(d.request()))
        dialog.finished.connect(dialog.deleteLater)
        self.add_dialog = dialog
        dialog.open()
        return dialog

    @asyncSlot(object)
    async def _add(self, request: ops.NewStation) -> None:
        self.busy += 1
        try:
            ids = await perform_async(
                self.reporter, ops.add_stations, self.workspace, request, self._progress
            )
        finally:
            self.busy -= 1
        if ids:
            self.added.emit(ids[0])
            shown = ids[0] if len(ids) == 1 else f"{len(ids)} stations ({ids[0]} … {ids[-1]})"
            self.reporter.report_info(f"Added {shown}")
        self.update_state()

    def _progress(self, done: int, total: int) -> None:
        if total > 1 and (done % 25 == 0 or done == total):
            self.reporter.report_info(f"Adding stations… {done}/{total}")

    # ------------------------------------------------------------ duplicate / remove / run
    @asyncSlot()
    async def _duplicate(self) -> None:
        station_id = self.current_station()
        if station_id is None:
            return
        self.busy += 1
        try:
            new_id = await perform_async(
                self.reporter, ops.duplicate_station, self.workspace, station_id
            )
        finally:
            self.busy -= 1
        if new_id:
            self.added.emit(new_id)
            self.reporter.report_info(f"Added {new_id}, a copy of {station_id}")

    def confirm_remove(self) -> QMessageBox | None:
        station_id = self.current_station()
        if station_id is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove station",
            f"Stop and remove {station_id}?\n"
            "Its messages stay in the log; its saved settings are forgotten.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(
            lambda result, sid=station_id: self._removal_answered(sid, result, box)
        )
        self.confirm_box = box
        box.open()
        return box

    def _removal_answered(self, station_id: str, _result: int, box: QMessageBox) -> None:
        # finished() carries the dialog code, not the button: ask the box which one it was.
        yes = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        box.deleteLater()
        self.confirm_box = None
        if yes:
            self._remove(station_id)

    @asyncSlot(str)
    async def _remove(self, station_id: str) -> None:
        self.busy += 1
        try:
            await perform_async(self.reporter, ops.remove_station, self.workspace, station_id)
        finally:
            self.busy -= 1
        if station_id not in self.workspace.stations:
            self.reporter.report_info(f"Removed {station_id}")
        self.update_state()

    @asyncSlot()
    async def _start_stop(self) -> None:
        station_id = self.current_station()
        if station_id is None:
            return
        self.busy += 1
        try:
            running = await perform_async(
                self.reporter, ops.toggle_running, self.workspace, station_id
            )
        finally:
            self.busy -= 1
        if running is not None:
            self.reporter.report_info(f"{station_id} {'started' if running else 'stopped'}")
        self.update_state()

    # ------------------------------------------------------------ profiles
    def open_profiles_dialog(self) -> CsmsProfilesDialog:
        record = self.workspace.records.get(self.current_station() or "")
        dialog = CsmsProfilesDialog(
            self.workspace,
            self.reporter,
            select=record.profile if record else None,
            parent=self.window,
        )
        dialog.finished.connect(dialog.deleteLater)
        self.profiles_dialog = dialog
        dialog.open()
        return dialog
