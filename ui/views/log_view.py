"""The message log panel: filters, the virtualized table, and a detail pane.

Newest frames are at the bottom. While the view is scrolled to the bottom it
follows new frames; once the user scrolls up it stays put (and says so) until
they scroll back down or press "Follow".
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from bench.ocpp.schemas import actions
from bench.store.messages import MessageLog
from ui.models.message_log import COLUMNS, RECORD_ROLE, LogFilter, MessageLogModel
from ui.views.json_view import JsonView

POLL_MS = 250
ANY = "Any"


class LogPanel(QWidget):
    exported = Signal(str, int)  # path, rows

    def __init__(self, log: MessageLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = MessageLogModel(log, self)
        self.following = True

        self.text = QLineEdit(placeholderText="Search payloads…", clearButtonEnabled=True)
        self.text.setObjectName("logSearch")
        self.station = QComboBox()
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
        for name in sorted(actions("1.6")):
            self.action.addItem(name, name)
        self.count_label = QLabel()
        self.follow_button = QPushButton("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the newest frame in view")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export the filtered frames as JSON Lines")

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
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        # Fixed row heights and column widths: Qt never measures every row (virtualization).
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        for column, width in enumerate((95, 120, 34, 90, 150, 120, 70)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)

        self.detail = JsonView()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(splitter)

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
        self.count_label.setText(f"{rows:,} frames")

    # ------------------------------------------------------------ detail and export
    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.detail.show_record(current.data(RECORD_ROLE) if current.isValid() else None)

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def export(self, path: str | Path) -> int:
        rows = self.model.log.export_jsonl(path, **self.model.filter.kwargs())
        self.exported.emit(str(path), rows)
        return rows

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export frames", "frames.jsonl", "JSON Lines (*.jsonl)"
        )
        if path:
            self.export(path)

    def stop(self) -> None:
        self._poller.stop()
