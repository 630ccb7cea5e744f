"""The built-in CSMS's sessions: a live, filterable table with a CSV export.

A filter bar (station, tag, open/closed, free text) above the table; the count of
shown sessions and "Export CSV…" beside it. The export writes the rows as shown
(filtered, sorted). Rows update in place as meter values arrive (see
``ui.models.csms_sessions``); the station and tag pickers grow as new ones appear.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from bench.csms.server import CentralSystem
from bench.csms.sessions import ANY, CLOSED, OPEN, SessionFilter
from ui.errors import ErrorReporter
from ui.models.csms_sessions import (
    COLUMNS,
    START,
    TAG,
    TRANSACTION,
    CsmsSessionsModel,
    SessionsFilterModel,
)
from ui.operations import csms_sessions as ops
from ui.operations import perform

_ALL = "__all__"  # the "every station / every tag" entry of a picker
# Sized for the console's Sessions tab at a 1600 px window: every column in view.
_WIDTHS = (100, 40, 64, 44, 104, 68, 68, 64, 60, 92, 52)


class ElideMiddle(QStyledItemDelegate):
    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class CsmsSessionsPanel(QWidget):
    exported = Signal(str, int)  # path, rows written

    def __init__(
        self, csms: CentralSystem, reporter: ErrorReporter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.reporter = reporter
        self.model = CsmsSessionsModel(csms, self)
        self.proxy = SessionsFilterModel(self)
        self.proxy.setSourceModel(self.model)

        self.station_combo = self._picker("sessionStation", "All stations")
        self.tag_combo = self._picker("sessionTag", "All tags")
        self.state_combo = QComboBox(objectName="sessionState")
        for label, state in (("Open and closed", ANY), ("Open", OPEN), ("Closed", CLOSED)):
            self.state_combo.addItem(label, state)
        self.text = QLineEdit(
            objectName="sessionText", placeholderText="Search sessions…", clearButtonEnabled=True
        )
        self.count = QLabel(objectName="sessionCount")
        self.count.setProperty("role", "muted")
        self.export_button = QPushButton("Export CSV…", objectName="sessionExport")
        self.export_button.setToolTip("Write the sessions shown to a CSV file")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.station_combo, self.tag_combo, self.state_combo):
            bar.addWidget(widget)
        bar.addWidget(self.text, 1)
        bar.addWidget(self.count)
        bar.addWidget(self.export_button)

        self.table = QTableView(objectName="csmsSessions")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        # 2.0.1 transaction ids are often UUIDs and tags share prefixes ("FLEET-CARD-…"):
        # their ends tell rows apart, so those columns keep both ends.
        middle = ElideMiddle(self.table)
        for column in (TRANSACTION, TAG):
            self.table.setItemDelegateForColumn(column, middle)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column, width in enumerate(_WIDTHS[: len(COLUMNS)]):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        # Newest first. The indicator goes first: enabling sorting sorts once, by it.
        header.setSortIndicator(START, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        for combo in (self.station_combo, self.tag_combo, self.state_combo):
            combo.currentIndexChanged.connect(self._filter_changed)
        self.text.textChanged.connect(self._filter_changed)
        self.export_button.clicked.connect(self._export_dialog)
        self.model.flushed.connect(self._sessions_changed)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self._sessions_changed()

    @staticmethod
    def _picker(name: str, everything: str) -> QComboBox:
        combo = QComboBox(objectName=name)
        combo.setMinimumContentsLength(10)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.addItem(everything, _ALL)
        return combo

    # ------------------------------------------------------------ filter
    def current_filter(self) -> SessionFilter:
        station = self.station_combo.currentData()
        tag = self.tag_combo.currentData()
        return SessionFilter(
            station=None if station in (_ALL, None) else station,
            id_tag=None if tag in (_ALL, None) else tag,
            state=self.state_combo.currentData() or ANY,
            text=self.text.text(),
        )

    def _filter_changed(self, *_args: Any) -> None:
        self.proxy.set_filter(self.current_filter())
        self._update_count()

    def _sessions_changed(self, *_args: Any) -> None:
        """New stations or tags may have come with the latest sessions: offer them."""
        stations, tags = self.model.stations(), self.model.tags()
        if len(stations) != self.station_combo.count() - 1:  # sessions never go away
            self._offer(self.station_combo, stations)
        if len(tags) != self.tag_combo.count() - 1:
            self._offer(self.tag_combo, tags)
        self._update_count()

    @staticmethod
    def _offer(combo: QComboBox, values: list[str]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)  # the choice stays, so the filter does not change
        while combo.count() > 1:  # refilled in order behind "All …"; a handful of items
            combo.removeItem(1)
        for value in values:
            combo.addItem(value, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _update_count(self, *_args: Any) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        noun = "session" if total == 1 else "sessions"
        self.count.setText(f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}")
        self.export_button.setEnabled(shown > 0)

    # ------------------------------------------------------------ export
    def export(self, path: str | Path) -> int | None:
        """Write the sessions shown to ``path`` as CSV; None (and a message) on failure."""
        rows = perform(self.reporter, ops.export_sessions, path, self.proxy.visible_sessions())
        if rows is not None:
            self.reporter.report_info(f"Exported {rows:,} sessions to {path}")
            self.exported.emit(str(path), rows)
        return rows

    def _export_dialog(self) -> None:
        path, _chosen = QFileDialog.getSaveFileName(
            self, "Export sessions", "sessions.csv", "CSV (*.csv)"
        )
        if not path:
            return
        if not Path(path).suffix:
            path += ".csv"
        self.export(path)

    def stop(self) -> None:
        self.model.stop()
