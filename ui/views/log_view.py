"""The message log panel: filters, the virtualized table, and a detail pane.

Newest frames are at the bottom. While the view is scrolled to the bottom it
follows new frames; once the user scrolls up it stays put (and says so) until
they scroll back down or press "Follow". The detail pane shows the selected
frame with its paired request or reply; Ctrl+C (or the context menu) copies the
selected rows as JSON Lines; Export writes the filtered view as JSON Lines or CSV.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from bench.ocpp.schemas import actions
from bench.store.log_csv import export_csv
from bench.store.messages import MessageLog
from bench.store.sinks import json_line
from ui.models.message_log import COLUMNS, RECORD_ROLE, LogFilter, MessageLogModel
from ui.views.json_view import JsonView

POLL_MS = 250
ANY = "Any"
STATION_ID_CHARS = 18
COPY_LIMIT = 10_000  # rows per copy: a select-all on a million rows must not freeze the UI


class LogPanel(QWidget):
    exported = Signal(str, int)  # path, rows
    copied = Signal(int)  # rows put on the clipboard

    def __init__(self, log: MessageLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = MessageLogModel(log, self)
        self.following = True

        self.text = QLineEdit(placeholderText="Search payloads…", clearButtonEnabled=True)
        self.text.setObjectName("logSearch")
        self.station = QComboBox()
        self.station.setObjectName("logStation")
        # Wide enough for a lab's station id (model, rating, serial: 18 characters) even
        # though the ids arrive after the panel is first shown.
        self.station.setMinimumContentsLength(STATION_ID_CHARS)
        self.station.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.station.addItem("All stations", None)
        self.direction = QComboBox()
        for label, value in (
            ("Both ways", None),
            ("Station → CSMS", "tx"),
            ("CSMS → station", "rx"),
        ):
            self.direction.addItem(label, value)
        self.type = QComboBox()
        self.type.addItem("All types", None)
        for kind in ("CALL", "CALLRESULT", "CALLERROR", "MALFORMED"):
            self.type.addItem(kind, kind)
        self.action = QComboBox()
        self.action.addItem("All actions", None)
        # The actions of both versions, each once; the tooltip says which version has it.
        v16, v201 = actions("1.6"), actions("2.0.1")
        for name in sorted(v16 | v201, key=str.lower):
            self.action.addItem(name, name)
            versions = (
                "1.6 and 2.0.1"
                if name in v16 and name in v201
                else ("1.6" if name in v16 else "2.0.1")
            )
            self.action.setItemData(
                self.action.count() - 1, f"OCPP {versions}", Qt.ItemDataRole.ToolTipRole
            )
        self.count_label = QLabel()
        self.follow_button = QPushButton("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the newest frame in view")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export the filtered frames as JSON Lines or CSV")

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for w in (self.text, self.station, self.direction, self.type, self.action):
            bar.addWidget(w)
        bar.setStretch(0, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.follow_button)
        bar.addWidget(self.export_button)

        self.table = QTableView()
        self.table.setObjectName("messageTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        # Fixed row heights and column widths: Qt never measures every row (virtualization).
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        # Dir fits a proxied frame's leg too ("→ charger", bench.proxy).
        for column, width in enumerate((95, 150, 76, 90, 150, 120, 70)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)

        self.copy_action = QAction("Copy as JSON", self.table)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.table.addAction(self.copy_action)
        # QAbstractItemView claims Ctrl+C for itself (it copies one cell's text), so the
        # action's shortcut never fires on the table: catch the key press before it does.
        self.table.installEventFilter(self)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

        self.detail = JsonView()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        # Wide enough for a request and its paired reply without wrapping every line.
        splitter.setSizes([1000, 560])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(splitter)

        self._stopped = False
        self._debounce = QTimer(self, singleShot=True, interval=300)
        self._debounce.timeout.connect(self.apply_filter)
        self.text.textChanged.connect(self._debounce.start)
        for combo in (self.station, self.direction, self.type, self.action):
            combo.currentIndexChanged.connect(self.apply_filter)
        self.follow_button.toggled.connect(self._set_following)
        self.export_button.clicked.connect(self._export_dialog)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        self.table.verticalScrollBar().valueChanged.connect(self._on_scrolled)

        self._poller = QTimer(self, interval=POLL_MS)
        self._poller.timeout.connect(self.poll)
        self._poller.start()
        self._update_count()
        QTimer.singleShot(0, self.table, self.table.scrollToBottom)  # dies with the table

    # ------------------------------------------------------------ stations
    def set_stations(self, station_ids: list[str]) -> None:
        current = self.station.currentData()
        self.station.blockSignals(True)
        self.station.clear()
        self.station.addItem("All stations", None)
        for sid in station_ids:
            self.station.addItem(sid, sid)
        index = self.station.findData(current)
        self.station.setCurrentIndex(max(0, index))
        self.station.blockSignals(False)

    # ------------------------------------------------------------ filtering
    def current_filter(self) -> LogFilter:
        return LogFilter(
            station=self.station.currentData(),
            direction=self.direction.currentData(),
            type=self.type.currentData(),
            action=self.action.currentData(),
            text=self.text.text().strip() or None,
        )

    def apply_filter(self) -> None:
        self._debounce.stop()
        if self._stopped:
            return
        self.model.set_filter(self.current_filter())
        self.detail.show_record(None)
        self._update_count()
        if self.following:
            self.table.scrollToBottom()

    # ------------------------------------------------------------ tail
    def poll(self) -> int:
        added = self.model.poll()
        if added:
            self._update_count()
            if self.following:
                self.table.scrollToBottom()
        return added

    def _on_scrolled(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        at_bottom = value >= bar.maximum() - 1
        if at_bottom != self.following:
            self.following = at_bottom
            self.follow_button.blockSignals(True)
            self.follow_button.setChecked(at_bottom)
            self.follow_button.blockSignals(False)

    def _set_following(self, on: bool) -> None:
        self.following = on
        if on:
            self.table.scrollToBottom()

    def _update_count(self) -> None:
        rows = self.model.rowCount()
        self.count_label.setText(f"{rows:,} frame{'' if rows == 1 else 's'}")

    # ------------------------------------------------------------ detail and export
    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail.show_record(None)
            return
        rec = current.data(RECORD_ROLE)
        self.detail.show_exchange(rec, self.model.partner(current.row()) if rec else None)

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def selected_rows(self) -> list[int]:
        return sorted(index.row() for index in self.table.selectionModel().selectedRows())

    def selected_json_lines(self) -> list[str]:
        """The selected frames (at most ``COPY_LIMIT``) in the JSON Lines shape of the export."""
        lines = []
        for row in self.selected_rows()[:COPY_LIMIT]:
            item = self.model.record(row)
            if item is not None:
                lines.append(json_line(item[1]))
        return lines

    def copy_selection(self) -> int:
        lines = self.selected_json_lines()
        if lines:
            QGuiApplication.clipboard().setText("\n".join(lines) + "\n")
        self.copied.emit(len(lines))
        return len(lines)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Copy)
        ):
            self.copy_selection()
            return True
        return super().eventFilter(watched, event)

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self.table)
        count = len(self.table.selectionModel().selectedRows())
        self.copy_action.setText(f"Copy {count} frame{'s' if count != 1 else ''} as JSON")
        self.copy_action.setEnabled(count > 0)
        menu.addAction(self.copy_action)
        menu.exec(self.table.viewport().mapToGlobal(pos))
        self.copy_action.setText("Copy as JSON")
        self.copy_action.setEnabled(True)

    def export(self, path: str | Path) -> int:
        """Export the filtered view: CSV if ``path`` ends in .csv, else JSON Lines."""
        filters = self.model.filter.kwargs()
        if Path(path).suffix.lower() == ".csv":
            rows = export_csv(self.model.log, path, **filters)
        else:
            rows = self.model.log.export_jsonl(path, **filters)
        self.exported.emit(str(path), rows)
        return rows

    def _export_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export frames", "frames.jsonl", "JSON Lines (*.jsonl);;CSV (*.csv)"
        )
        if not path:
            return
        if not Path(path).suffix:
            path += ".csv" if chosen.startswith("CSV") else ".jsonl"
        self.export(path)

    def stop(self) -> None:
        # After this the log's database may close: no pending search may read it.
        self._stopped = True
        self._debounce.stop()
        self._poller.stop()
