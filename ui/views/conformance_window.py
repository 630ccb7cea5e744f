"""The Conformance window: run the OCTT test cases against a CSMS or a charger, watch verdicts land.

Testing a charger, a banner above the run says where the bench listens as the CSMS
(the address to configure on the charger) and, once it connects, which station is
under test (vendor, model, serial and firmware from its BootNotification).

Left, what to run (``ConformanceSetup``); right, the run: a row per case whose
verdict appears as the case ends, counts per verdict, and below, the clicked
case's frames (in the message log view), checks and manual actions. **Run**
starts ``ui.operations.conformance.start_run``; **Stop** cancels it and keeps
what finished. Manual actions the adapter does not cover come up as dialogs
(``DialogPrompter``) that never block the event loop. **Open report** writes the
report into the app's data folder and opens ``report.html``; **Export report…**
writes it into a folder the user picks, then opens it.

Tools ▸ Conformance… (``install``) opens it; it is not modal, and closing it
while a run goes on stops the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.conformance.charger.answers import boot_facts
from bench.conformance.results import CaseResult, RunResult
from bench.store.workspace import CsmsProfile
from ui.errors import user_message
from ui.models.conformance_progress import ConformanceProgress
from ui.operations import EXPECTED, perform
from ui.operations import conformance as ops
from ui.views.conformance_detail import CaseDetail
from ui.views.conformance_results import CaseTable
from ui.views.conformance_setup import (
    CatalogueFn,
    ConformanceSetup,
    ProfilesFn,
    default_catalogue,
    default_profiles,
)
from ui.views.manual_prompt import DialogPrompter, ManualPromptDialog

if TYPE_CHECKING:
    from ui.main_window import MainWindow

OPEN_KEYS = "Ctrl+Shift+T"
SETUP_WIDTH = 420
SETUP_MIN_WIDTH = 340
SETUP_MAX_WIDTH = 480
TABLE_MIN_HEIGHT = 200
TABLE_MAX_SHARE = 0.6  # of the right-hand side's height, the rest for the case's frames
ERROR_MS = 15_000
INFO_MS = 8_000


class WindowReporter:
    """Operations report into this window's status bar, where the user is looking."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.last_error: str | None = None

    def report_error(self, message: str) -> None:
        self.last_error = message
        bar = self.window.statusBar()
        bar.setStyleSheet("QStatusBar { color: #c0392b; font-weight: 600; }")
        bar.showMessage(f"⚠  {message}", ERROR_MS)

    def report_info(self, message: str) -> None:
        bar = self.window.statusBar()
        bar.setStyleSheet("")
        bar.showMessage(message, INFO_MS)


class ConformanceWindow(QMainWindow):
    def __init__(
        self,
        saved_profiles: Callable[[], list[CsmsProfile]],
        report_root: Path,
        *,
        catalogue: CatalogueFn = default_catalogue,
        profiles_of: ProfilesFn = default_profiles,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)  # a window of its own beside the main one
        self.setObjectName("conformanceWindow")
        self.setWindowTitle("Conformance — OCPP Bench")
        self.resize(1440, 900)
        self.reporter = WindowReporter(self)
        self.report_root = report_root  # Open report writes under it
        self.run: ops.ConformanceRun | None = None
        self.progress: ConformanceProgress | None = None
        self.result: RunResult | None = None  # the last run's (kept after Stop)
        self.report_path: Path | None = None  # report.html of the last report written
        self.prompter = DialogPrompter(self, self._prompt_changed)
        self._listening: ops.ChargerListening | None = None  # testing a charger: where
        # How a report is opened (tests record the URL instead of starting a browser).
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl

        self.setup = ConformanceSetup(saved_profiles, catalogue, profiles_of)
        self.run_button = QPushButton("▶  Run")
        self.run_button.setObjectName("conformanceRun")
        self.run_button.setToolTip("Run the chosen cases (F5)")
        self.stop_button = QPushButton("■  Stop")
        self.stop_button.setObjectName("conformanceStop")
        self.stop_button.setToolTip("Stop after the case running now; what finished is kept")
        for button in (self.run_button, self.stop_button):
            button.setMinimumHeight(34)
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.request_stop)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button, 2)
        run_row.addWidget(self.stop_button, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 4, 8)
        left_layout.addWidget(self.setup, 1)
        left_layout.addLayout(run_row)

        self.dut_banner = QLabel()
        self.dut_banner.setObjectName("conformanceDutBanner")
        self.dut_banner.setWordWrap(True)
        self.dut_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dut_banner.setVisible(False)
        self.cases = CaseTable()
        self.cases.table.currentItemChanged.connect(self._case_selected)
        self.detail = CaseDetail()
        self.open_button = QPushButton("Open report")
        self.open_button.setObjectName("conformanceOpenReport")
        self.open_button.setToolTip("Write the report into the app's data folder and open it")
        self.open_button.clicked.connect(self.open_report)
        self.export_button = QPushButton("Export report…")
        self.export_button.setObjectName("conformanceExportReport")
        self.export_button.setToolTip(
            "Write report.html, junit.xml, results.json and frames.jsonl into a folder"
        )
        self.export_button.clicked.connect(self.export_dialog)
        report_row = QHBoxLayout()
        report_row.addStretch(1)
        report_row.addWidget(self.open_button)
        report_row.addWidget(self.export_button)
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.cases)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([420, 380])
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 8, 8, 8)
        right_layout.addWidget(self.dut_banner)
        right_layout.addWidget(split, 1)
        right_layout.addLayout(report_row)

        main = QSplitter(Qt.Orientation.Horizontal)
        main.setObjectName("conformanceSplit")
        main.addWidget(left)
        main.addWidget(right)
        # The form keeps its width; a wider window widens the run's table.
        left.setMinimumWidth(SETUP_MIN_WIDTH)
        left.setMaximumWidth(SETUP_MAX_WIDTH)
        main.setStretchFactor(0, 0)
        main.setStretchFactor(1, 1)
        main.setSizes([SETUP_WIDTH, 1440 - SETUP_WIDTH])
        main.setCollapsible(0, False)
        self.setCentralWidget(main)

        self.run_action = QAction("Run", self, shortcut="F5")
        self.run_action.triggered.connect(self.start)
        self.stop_action = QAction("Stop", self, shortcut="Shift+F5")
        self.stop_action.triggered.connect(self.request_stop)
        close_action = QAction("Close", self, shortcut=QKeySequence.StandardKey.Close)
        close_action.triggered.connect(self.close)
        for action in (self.run_action, self.stop_action, close_action):
            self.addAction(action)
        self.setup.changed.connect(self._update_actions)
        self._update_actions()

    def sizeHint(self) -> QSize:
        return QSize(1440, 900)

    # ------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        return self.run is not None

    def _update_actions(self) -> None:
        idle = self.run is None
        self.run_button.setEnabled(idle)
        self.run_action.setEnabled(idle)
        self.stop_button.setEnabled(not idle)
        self.stop_action.setEnabled(not idle)
        has_cases = self.result is not None and bool(self.result.cases)
        self.open_button.setEnabled(idle and has_cases)
        self.export_button.setEnabled(idle and has_cases)
        self.setup.set_running(not idle)

    # ------------------------------------------------------------ running
    def start(self) -> ops.ConformanceRun | None:
        """Run what the form says; None (and a message in the status bar) if it cannot."""
        if self.run is not None:
            self.reporter.report_error("A run is going on: stop it first")
            return None
        request = perform(self.reporter, self.setup.request)
        if request is None:
            return None
        run = perform(self.reporter, ops.start_run, request, self.prompter, self._on_event)
        if run is None:
            return None
        # The task starts on the next loop turn: no event is missed.
        self.run = run
        self.result = None
        self.report_path = None
        self.progress = ConformanceProgress(request.cases)
        self.cases.fill(self.progress)
        self._fit_table()
        self.detail.clear()
        if request.sut == "cs":
            where = (
                f"the bench's own station ({request.dut_template})"
                if request.dut_template
                else f"the charger {request.station_id}"
            )
        else:
            where = "the built-in CSMS" if request.profile is None else request.profile.url
        self.dut_banner.setVisible(request.sut == "cs")
        self.dut_banner.setText("")
        self._listening = None
        self.reporter.report_info(f"Starting {len(request.cases)} cases against {where}…")
        run.task.add_done_callback(self._run_done)
        self._update_actions()
        return run

    def _fit_table(self) -> None:
        """A short run's table as tall as its rows: the room left goes to the frames."""
        total = sum(self.split.sizes())
        if total <= 0:
            return
        wanted = self.cases.height_for_rows()
        top = max(TABLE_MIN_HEIGHT, min(wanted, int(total * TABLE_MAX_SHARE)))
        self.split.setSizes([top, total - top])

    def _on_event(self, event: object) -> None:
        """An event of the run, on the GUI thread (qasync)."""
        if isinstance(event, ops.ChargerListening):
            self._listening = event
            self._show_station(None)
            return
        if isinstance(event, ops.StationSeen):
            self._show_station(event)
            return
        if isinstance(event, ops.TargetReady):
            target = event.target
            api = f" · control API {target.control_url}" if target.control_url else ""
            self.reporter.report_info(f"CSMS {target.url}{api}")
            return
        progress = self.progress
        if progress is None:
            return
        row = progress.apply(event)
        if row is not None:
            self.cases.update_row(progress, row)
            self.cases.show_progress(progress)
            item = self.cases.table.currentItem()
            if item is not None and self.cases.table.indexOfTopLevelItem(item) == row:
                self._case_selected(item, None)  # the case on show just finished

    def _show_station(self, seen: ops.StationSeen | None) -> None:
        """The banner: where the bench listens, and the station under test as it shows up."""
        listening = self._listening
        if listening is None:
            return
        if listening.own:
            where = f"Listening as the CSMS at {listening.url} for the bench's own station"
        else:
            where = (
                f"Listening as the CSMS at {listening.url} — set the charger's CSMS URL "
                f"to {listening.station_url}"
            )
            if "://0.0.0.0:" in listening.url or "://[::]:" in listening.url:
                where += " (with this machine's address on the charger's network)"
        if seen is None:
            station = "Station under test: waiting for it to connect…"
        else:
            facts = boot_facts(seen.boot)
            named = " ".join(x for x in (facts.vendor, facts.model) if x) or "(not booted yet)"
            extra = ", ".join(
                f"{k} {v}" for k, v in (("serial", facts.serial), ("firmware", facts.firmware)) if v
            )
            state = "connected" if seen.connected else "disconnected"
            station = f"Station under test: {named}" + (f" ({extra})" if extra else "")
            station += f" — {state}"
        self.dut_banner.setText(f"{where}\n{station}")

    def _run_done(self, task: asyncio.Task[RunResult]) -> None:
        run = self.run
        if run is None or run.task is not task:
            return
        self.run = None
        self.result = run.result
        stopped = task.cancelled() or (self.result is not None and self.result.stopped)
        exc = None if task.cancelled() else task.exception()
        if isinstance(exc, EXPECTED):
            self.reporter.report_error(user_message(exc))
        elif exc is not None:
            self.reporter.report_error(f"Unexpected error: {user_message(exc)}")
        if self.progress is not None:
            for row in self.progress.finish(stopped=stopped):
                self.cases.update_row(self.progress, row)
            self.cases.show_progress(self.progress)
        if stopped and self.result is not None:
            self.reporter.report_info(
                f"Stopped: {len(self.result.cases)} finished case(s) kept in the report"
            )
        self._update_actions()
        if exc is not None and not isinstance(exc, EXPECTED):
            raise exc  # a bug: the loop's exception handler logs it with its traceback

    def request_stop(self) -> None:
        """Stop the run: the case in progress ends (its dialog closes), finished ones stay."""
        if self.run is not None:
            self.run.request_stop()

    async def stop(self) -> None:
        """Stop a run and wait for its station and CSMS to stop (the app is closing)."""
        if self.run is not None:
            await self.run.stop()
        self.detail.stop()

    def _prompt_changed(self, dialog: ManualPromptDialog | None) -> None:
        if dialog is not None and self.progress is not None:
            self.cases.summary.setText(
                f"Waiting for you: {dialog.request.case_id} asks for a "
                + ("physical step" if dialog.request.case_id.endswith("_CS") else "manual action")
            )
        elif self.progress is not None:
            self.cases.show_progress(self.progress)

    # ------------------------------------------------------------ a case's detail
    def _case_selected(self, item: QTreeWidgetItem | None, _previous: Any) -> None:
        if item is None or self.progress is None:
            return
        row = self.progress.rows[self.cases.table.indexOfTopLevelItem(item)]
        self.detail.show_case(row.case.id, row.case.name, row.result)

    def select_case(self, case_id: str) -> None:
        for index in range(self.cases.table.topLevelItemCount()):
            item = self.cases.table.topLevelItem(index)
            if self.cases.case_id_at(item) == case_id:
                self.cases.table.setCurrentItem(item)
                return
        raise LookupError(f"{case_id} is not in the run")

    def case_result(self, case_id: str) -> CaseResult | None:
        rows = self.progress.rows if self.progress is not None else []
        return next((r.result for r in rows if r.case.id == case_id), None)

    # ------------------------------------------------------------ reports
    def export_to(self, folder: Path | str) -> Path | None:
        """Write the four report files into ``folder`` and open report.html."""
        html = perform(self.reporter, ops.export_report, self.result, folder)
        if html is None:
            return None
        self.report_path = html
        self.reporter.report_info(f"Report written to {Path(folder)}")
        self.open_url(QUrl.fromLocalFile(str(html)))
        return html

    def export_dialog(self) -> Path | None:
        if self.result is None:
            return None
        start = self.report_root / ops.report_folder_name(self.result)
        folder = QFileDialog.getExistingDirectory(self, "Export the report into", str(start))
        return self.export_to(folder) if folder else None

    def open_report(self) -> Path | None:
        """Open the last report written, or write one into the data folder first."""
        if self.report_path is not None and self.report_path.exists():
            self.open_url(QUrl.fromLocalFile(str(self.report_path)))
            return self.report_path
        if self.result is None:
            return None
        return self.export_to(self.report_root / ops.report_folder_name(self.result))

    # ------------------------------------------------------------ window
    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing the window ends the run (what finished is kept for when it reopens).
        self.request_stop()
        super().closeEvent(event)


class ConformanceMenu:
    """Tools ▸ Conformance… in the main window, and the window it opens (one, kept)."""

    def __init__(self, window: MainWindow) -> None:
        self.main = window
        self.window: ConformanceWindow | None = None
        self.open_action = QAction("Conformance…", window, shortcut=OPEN_KEYS)
        self.open_action.setToolTip("Run the OCTT test cases against a CSMS or a charger")
        self.open_action.triggered.connect(self.show)
        bar = window.menuBar()
        self.menu = QMenu("&Tools", window)
        self.menu.addAction(self.open_action)
        help_menu = next(
            (a for a in bar.actions() if a.menu() and a.text().replace("&", "") == "Help"), None
        )
        if help_menu is not None:
            bar.insertMenu(help_menu, self.menu)
        else:
            bar.addMenu(self.menu)

    def show(self) -> ConformanceWindow:
        if self.window is None:
            workspace = self.main.workspace
            self.window = ConformanceWindow(
                workspace.profiles,
                workspace.options.data_dir / "conformance",
                parent=self.main,
            )
        else:
            self.window.setup.reload_profiles()
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        return self.window

    async def stop(self) -> None:
        if self.window is not None:
            await self.window.stop()
            self.window.close()


def install(window: MainWindow) -> ConformanceMenu:
    return ConformanceMenu(window)
