"""The scenario runner: open, edit, save and run step scripts on the selected station.

The script is the language of ``ocpp-bench run --script`` (``bench.scenarios``).
Lines that do not parse are marked as you type, before anything runs. Run starts
the script on the station selected at that moment, and it stays on that station
whatever is selected afterwards. Each step's verdict shows in the margin beside
its line and in the list beside the editor; a failure says which step, on which
line, what was expected and what was seen. Stop cancels the run; the station
carries on from wherever the script left it.

The widget only subscribes to the core's progress events (through
``ScriptProgress``) and calls ``ui.operations.scenarios``; ``install`` puts it
in a dock of the main window with a Scenario menu.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.scenarios.examples import SUFFIX
from bench.scenarios.progress import FAILED, STOPPED, ScriptFinished
from bench.scenarios.steps import ScriptProblem, Step, check_script
from ui.errors import ErrorReporter
from ui.models.bridge import StationBridge
from ui.models.scenario_progress import (
    RUNNING,
    VERDICT_TEXT,
    ScriptProgress,
    StepRow,
    duration,
)
from ui.operations import perform
from ui.operations import scenarios as ops
from ui.views.script_editor import MARK_COLOURS, PROBLEM, ScriptEditor

FILE_FILTER = f"Step scripts (*{SUFFIX} *.txt);;All files (*)"
COLUMNS = ("#", "Line", "Step", "Verdict", "Detail")
COL_NUMBER, COL_LINE, COL_STEP, COL_VERDICT, COL_DETAIL = range(len(COLUMNS))
RUN_KEYS = "F5"
STOP_KEYS = "Shift+F5"
TIMED_VERBS = ("wait", "expect", "reboot")  # steps whose duration the list shows


def _button(action: QAction, name: str) -> QToolButton:
    button = QToolButton()
    button.setDefaultAction(action)
    button.setObjectName(name)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class ScenarioRunner(QWidget):
    def __init__(
        self,
        reporter: ErrorReporter,
        target: Callable[[], StationBridge | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.reporter = reporter
        self.target = target  # the station selected now (read when Run is pressed)
        self.path: Path | None = None  # where Save writes (None: Save asks)
        self.name = "untitled"
        self.steps: list[Step] = []
        self.problems: list[ScriptProblem] = []
        self.progress: ScriptProgress | None = None
        self._checked_text: str | None = None  # the text the steps and problems are of
        self.run: ops.ScenarioRun | None = None
        self.last_dir = Path.home()
        self.confirm_discard: Callable[[], bool] = self._ask_discard

        self._build_actions()
        self.open_button = QToolButton()
        self.open_button.setObjectName("scenarioOpenButton")
        self.open_button.setText("Open")
        self.open_button.setMenu(self.open_menu)
        self.open_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.file_label = QLabel()
        self.file_label.setProperty("role", "muted")
        self.target_label = QLabel()
        self.target_label.setObjectName("scenarioTarget")
        for label in (self.file_label, self.target_label):
            label.setMinimumWidth(40)  # a narrow window clips them rather than growing wider

        self.editor = ScriptEditor()
        self.editor.setPlaceholderText(
            "One step per line, # starts a comment:\n"
            "plug 1\npresent DEMO-TAG-0001\nexpect 1 Charging within 60\nwait 60\n…\n"
            "Open ▸ shows the bundled examples."
        )
        self.steps_table = QTreeWidget()
        self.steps_table.setObjectName("scenarioSteps")
        self.steps_table.setHeaderLabels(list(COLUMNS))
        self.steps_table.setRootIsDecorated(False)
        self.steps_table.setUniformRowHeights(True)
        self.steps_table.setAlternatingRowColors(True)
        header = self.steps_table.header()
        header.setStretchLastSection(True)
        for column in (COL_NUMBER, COL_LINE, COL_STEP, COL_VERDICT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.steps_table.itemClicked.connect(self._row_clicked)
        self.summary = QLabel()
        self.summary.setObjectName("scenarioSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.open_button)
        tools.addWidget(_button(self.save_action, "scenarioSaveButton"))
        tools.addWidget(_button(self.save_as_action, "scenarioSaveAsButton"))
        tools.addSpacing(12)
        tools.addWidget(_button(self.run_action, "scenarioRunButton"))
        tools.addWidget(_button(self.stop_action, "scenarioStopButton"))
        tools.addSpacing(12)
        tools.addWidget(self.file_label)
        tools.addStretch(1)
        tools.addWidget(self.target_label)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.editor)
        splitter.addWidget(self.steps_table)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(tools)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.summary)

        self.editor.textChanged.connect(self._text_changed)
        self.editor.document().modificationChanged.connect(lambda _m: self._show_file())
        examples = ops.examples()
        if examples:  # something to run from the first click
            self.open_path(examples[0][1], example=True)
        else:
            self._text_changed()
        self.refresh_target()

    # ------------------------------------------------------------ construction
    def _build_actions(self) -> None:
        self.open_menu = QMenu("Open", self)
        self.examples_menu = self.open_menu.addMenu("Examples")
        self.example_actions: dict[str, QAction] = {}
        for title, path in ops.examples():
            action = QAction(f"{title}  ({path.name})", self)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p, example=True))
            self.examples_menu.addAction(action)
            self.example_actions[path.name] = action
        self.open_file_action = QAction("Open script…", self)
        self.open_file_action.triggered.connect(self.open_dialog)
        self.open_menu.addSeparator()
        self.open_menu.addAction(self.open_file_action)
        self.save_action = QAction("Save", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        # Ctrl+S only while the runner has the focus: the window may give it other jobs.
        self.save_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_action.triggered.connect(self.save)
        self.addAction(self.save_action)
        self.save_as_action = QAction("Save as…", self)
        self.save_as_action.triggered.connect(self.save_as)
        self.run_action = QAction("▶  Run", self, shortcut=RUN_KEYS)
        self.run_action.setToolTip(f"Run the script on the selected station ({RUN_KEYS})")
        self.run_action.triggered.connect(self.start)
        self.stop_action = QAction("■  Stop", self, shortcut=STOP_KEYS)
        self.stop_action.setToolTip(f"Stop the running script ({STOP_KEYS})")
        self.stop_action.triggered.connect(self.request_stop)

    # ------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        return self.run is not None

    @property
    def running_station_id(self) -> str | None:
        return self.run.station_id if self.run is not None else None

    def refresh_target(self, *_args: Any) -> None:
        """Say where Run would go (or where the script runs now); enable what applies."""
        if self.run is not None:
            self.target_label.setText(f"Running on <b>{self.run.station_id}</b>")
        else:
            bridge = self.target()
            if bridge is None:
                self.target_label.setText("Select a station to run on")
            else:
                self.target_label.setText(
                    f"Runs on <b>{bridge.station_id}</b> · OCPP {bridge.cp.version}"
                )
        self._update_actions()

    def _update_actions(self) -> None:
        idle = self.run is None
        runnable = idle and bool(self.steps) and not self.problems
        self.run_action.setEnabled(runnable and self.target() is not None)
        self.stop_action.setEnabled(not idle)
        for action in (self.open_file_action, *self.example_actions.values()):
            action.setEnabled(idle)
        self.open_button.setEnabled(idle)

    def _show_file(self) -> None:
        modified = " *" if self.editor.document().isModified() else ""
        self.file_label.setText(f"{self.name}{modified}")
        self.file_label.setToolTip(str(self.path) if self.path else "not saved yet")

    # ------------------------------------------------------------ editing
    def set_text(self, text: str) -> None:
        """Replace the script as if typed or pasted: undoable, and marked modified."""
        if self.run is not None:
            self.reporter.report_error("Stop the running script before changing it")
            return
        cursor = self.editor.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)

    def text(self) -> str:
        return self.editor.toPlainText()

    def _text_changed(self) -> None:
        text = self.text()
        # Read-only while running; and a re-colouring (palette switch) is no edit.
        if self.run is not None or text == self._checked_text:
            return
        self._checked_text = text
        self.steps, self.problems = check_script(text)
        self.progress = None  # lines may have moved: the last run's verdicts no longer fit
        self.editor.set_marks({}, None)
        self.editor.set_problems({p.line: f"Line {p.line}: {p.detail}" for p in self.problems})
        self._fill_table()
        self._show_summary()
        self._update_actions()

    def _fill_table(self) -> None:
        self.steps_table.clear()
        rows: list[tuple[int, QTreeWidgetItem]] = []
        for row in self._rows():
            rows.append((row.step.line, self._step_item(row)))
        for problem in self.problems:
            item = QTreeWidgetItem(
                [str(problem.number), str(problem.line), problem.text, "! bad line", problem.detail]
            )
            item.setForeground(COL_VERDICT, QColor(MARK_COLOURS[PROBLEM]))
            item.setToolTip(COL_DETAIL, problem.detail)
            item.setData(COL_LINE, Qt.ItemDataRole.UserRole, problem.line)
            rows.append((problem.line, item))
        self.steps_table.addTopLevelItems(
            [item for _line, item in sorted(rows, key=lambda r: r[0])]
        )

    def _rows(self) -> list[StepRow]:
        return self.progress.rows if self.progress is not None else [StepRow(s) for s in self.steps]

    def _step_item(self, row: StepRow) -> QTreeWidgetItem:
        item = QTreeWidgetItem([str(row.step.number), str(row.step.line), row.step.text, "", ""])
        item.setData(COL_LINE, Qt.ItemDataRole.UserRole, row.step.line)
        self._paint_row(item, row)
        return item

    def _paint_row(self, item: QTreeWidgetItem, row: StepRow) -> None:
        item.setText(COL_VERDICT, VERDICT_TEXT[row.verdict])
        detail = row.detail
        # How long a step took matters for the ones that wait; an instant plug does not.
        timed = row.step.verb in TIMED_VERBS or row.verdict in (FAILED, STOPPED)
        if row.seconds is not None and row.verdict != RUNNING and timed:
            detail = f"{detail} · {duration(row.seconds)}" if detail else duration(row.seconds)
        item.setText(COL_DETAIL, detail)
        item.setToolTip(COL_DETAIL, row.reason)
        colour = MARK_COLOURS.get(row.verdict)
        if colour:
            item.setForeground(COL_VERDICT, QColor(colour))
        font = item.font(COL_STEP)
        font.setBold(row.verdict == RUNNING)
        for column in range(len(COLUMNS)):
            item.setFont(column, font)

    def _row_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        line = item.data(COL_LINE, Qt.ItemDataRole.UserRole)
        if isinstance(line, int):
            self.editor.show_line(line)
            self.editor.setFocus()

    def _show_summary(self) -> None:
        colour = None
        if self.problems:
            first = self.problems[0]
            more = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            text = f"! Line {first.line} does not parse: {first.detail}{more}"
            colour = MARK_COLOURS[PROBLEM]
        elif self.progress is not None:
            text = self.progress.summary()
            end = self.progress.finished
            if end is not None and not self.progress.running:
                colour = MARK_COLOURS.get(end.verdict)
        else:
            count = len(self.steps)
            text = f"{count} step{'s' if count != 1 else ''}, ready to run" if count else ""
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {colour}; font-weight: 600;" if colour else "")

    # ------------------------------------------------------------ files
    def _ask_discard(self) -> bool:
        answer = QMessageBox.question(
            self, "Scenario runner", f"Discard the changes to {self.name}?"
        )
        return answer == QMessageBox.StandardButton.Yes

    def _may_replace(self) -> bool:
        return not self.editor.document().isModified() or self.confirm_discard()

    def open_path(self, path: Path | str, *, example: bool = False) -> bool:
        """Load a script; an example opens as an unsaved copy (Save asks where)."""
        if self.run is not None or not self._may_replace():
            return False
        text = perform(self.reporter, ops.read_script, path)
        if text is None:
            return False
        path = Path(path)
        self.path = None if example else path
        self.name = f"{path.name} (example)" if example else path.name
        if not example:
            self.last_dir = path.parent
        self.editor.setPlainText(text)  # a fresh document: no undo into the previous script
        self.editor.document().setModified(False)
        self._show_file()
        return True

    def open_dialog(self) -> bool:
        if self.run is not None or not self._may_replace():
            return False
        path, _ = QFileDialog.getOpenFileName(
            self, "Open step script", str(self.last_dir), FILE_FILTER
        )
        return bool(path) and self.open_path(path)

    def save(self) -> bool:
        return self.save_to(self.path) if self.path is not None else self.save_as()

    def save_as(self) -> bool:
        suggested = self.last_dir / (self.path.name if self.path else f"scenario{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save step script", str(suggested), FILE_FILTER)
        return bool(path) and self.save_to(path)

    def save_to(self, path: Path | str) -> bool:
        written = perform(self.reporter, ops.save_script, path, self.text())
        if written is None:
            return False
        self.path, self.name, self.last_dir = written, written.name, written.parent
        self.editor.document().setModified(False)
        self._show_file()
        self.reporter.report_info(f"Saved {written}")
        return True

    # ------------------------------------------------------------ running
    def start(self) -> ops.ScenarioRun | None:
        """Run the script on the station selected now; None (and a message) if it cannot."""
        if self.run is not None:
            self.reporter.report_error(f"A script is already running on {self.run.station_id}")
            return None
        bridge = self.target()
        run = perform(
            self.reporter,
            ops.start_run,
            bridge.run if bridge is not None else None,
            self.text(),
            self._on_event,
        )
        if run is None:
            return None
        # The task has not run yet (it starts on the next loop turn): no event is missed.
        self.run = run
        self.progress = ScriptProgress(run.steps, run.station_id)
        self.editor.setReadOnly(True)  # the margin's lines must stay the steps' lines
        self._fill_table()
        run.task.add_done_callback(self._run_done)
        self.refresh_target()
        self._show_summary()
        return run

    def _on_event(self, event: Any) -> None:
        """A progress event from the core's runner, on the GUI thread (qasync)."""
        progress = self.progress
        if progress is None:
            return
        row = progress.apply(event)
        if row is not None:
            item = self.steps_table.topLevelItem(row)
            if item is not None:
                self._paint_row(item, progress.rows[row])
                if progress.running:
                    self.steps_table.scrollToItem(item)
        self.editor.set_marks(progress.line_marks(), progress.running_line())
        if isinstance(event, ScriptFinished) or row is not None:
            self._show_summary()

    def _run_done(self, task: asyncio.Task[None]) -> None:
        if self.run is not None and self.run.task is task:
            self.run = None
        self.editor.setReadOnly(False)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            self.reporter.report_exception(exc, "scenario run")
        self.refresh_target()
        self._show_summary()

    def request_stop(self) -> None:
        """Stop the running script (its step ends ``stopped``); nothing when none runs."""
        if self.run is not None:
            self.run.request_stop()

    async def stop(self) -> None:
        """Stop the running script and wait for it to unwind (the window's shutdown)."""
        if self.run is not None:
            await self.run.stop(ops.APP_CLOSING)

    # ------------------------------------------------------------ what tests and users read
    def verdicts(self) -> list[tuple[str, str, str]]:
        """(line, verdict, detail) of every row of the list, as shown."""
        rows = []
        for index in range(self.steps_table.topLevelItemCount()):
            item = self.steps_table.topLevelItem(index)
            rows.append((item.text(COL_LINE), item.text(COL_VERDICT), item.text(COL_DETAIL)))
        return rows
