"""The configuration panel: every key of the station with type, access and value.

Read-write keys are edited in place (double-click, F2 or Enter): booleans with a
true/false list, write-only keys in a masked field that starts empty, the rest
as text. The change goes through ``Configuration.change`` like a CSMS's
ChangeConfiguration.req (1.6 §5.3), and its Accepted / Rejected (with the
reason) / RebootRequired lands in the status bar. Values the CSMS changes show
up within a second while the panel is visible.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from bench.ocpp.v16.config import Configuration, KeyDef
from ui.errors import ErrorReporter
from ui.models.bridge import StationBridge
from ui.models.config_model import ACCESS, DEFINITION_ROLE, FEATURE, KEY, TYPE, VALUE, ConfigModel
from ui.operations.configuration import ChangeOutcome
from ui.views.facets import required

Index = QModelIndex | QPersistentModelIndex


class ValueDelegate(QStyledItemDelegate):
    """An editor that fits the key: a true/false list, a masked field, or text."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        definition: KeyDef = index.data(DEFINITION_ROLE)
        if definition.type == "boolean":
            box = QComboBox(parent)
            box.addItems(["true", "false"])
            box.setObjectName("configBoolEditor")
            return box
        edit = QLineEdit(parent)
        edit.setObjectName("configValueEditor")
        if definition.access == "W":
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText("new value (write-only, never shown)")
        elif definition.type == "CSL":
            edit.setPlaceholderText("comma-separated list")
        return edit

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        text = str(index.data(Qt.ItemDataRole.EditRole) or "")
        if isinstance(editor, QComboBox):
            editor.setCurrentText(text.lower() if text else "true")
        elif isinstance(editor, QLineEdit):
            editor.setText(text)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class _Filter(QSortFilterProxyModel):
    """Free text on key name or feature profile, optionally writable keys only."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.writable_only = False

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        source = self.sourceModel()
        definition: KeyDef = source.index(row, KEY, parent).data(DEFINITION_ROLE)
        if self.writable_only and definition.access == "R":
            return False
        if not self.text:
            return True
        needle = self.text.lower()
        return needle in definition.name.lower() or needle in definition.profile.lower()


class ConfigPanel(QWidget):
    def __init__(
        self, bridge: StationBridge, reporter: ErrorReporter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.reporter = reporter
        self.model = ConfigModel(required(bridge.cp, Configuration), self)
        self.model.outcome.connect(self._report)
        self.proxy = _Filter()
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit()
        self.search.setObjectName("configSearch")
        self.search.setPlaceholderText("Filter keys…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter_text)
        self.writable = QCheckBox("Writable only")
        self.writable.setObjectName("configWritableOnly")
        self.writable.toggled.connect(self._filter_writable)
        self.count = QLabel()
        self.count.setProperty("role", "muted")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.writable)
        bar.addWidget(self.count)

        self.table = QTableView()
        self.table.setObjectName("configTable")
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(VALUE, ValueDelegate(self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(KEY, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(KEY, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(VALUE, QHeaderView.ResizeMode.Stretch)
        for column in (TYPE, ACCESS, FEATURE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        hint = QLabel(
            "Double-click a read-write value to change it; the station answers as it would a "
            "ChangeConfiguration (1.6 §5.3). Bold: differs from the default."
        )
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)

        bridge.changed.connect(self.refresh)
        self._connected = True
        self._update_count()

    # ------------------------------------------------------------ actions
    def edit_key(self, key: str, text: str) -> ChangeOutcome | None:
        """Change ``key`` as if typed into its Value cell (tests and shortcuts)."""
        outcomes: list[ChangeOutcome] = []
        self.model.outcome.connect(outcomes.append)
        try:
            self.model.setData(self.model.index(self.model.row_of(key), VALUE), text)
        finally:
            self.model.outcome.disconnect(outcomes.append)
        return outcomes[0] if outcomes else None

    def index_of(self, key: str) -> QModelIndex:
        """The view index of ``key``'s Value cell."""
        return self.proxy.mapFromSource(self.model.index(self.model.row_of(key), VALUE))

    def _report(self, outcome: ChangeOutcome) -> None:
        station = self.bridge.station_id
        text = self.model.value_text(outcome.key)
        message = f"{station}: {outcome.message(text)}"
        if outcome.ok:
            self.reporter.report_info(message)
        else:
            self.reporter.report_error(message)

    def refresh(self) -> None:
        if self.isVisible():
            self.model.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.model.refresh()

    def _filter_text(self, text: str) -> None:
        self.proxy.text = text.strip()
        self.proxy.invalidate()
        self._update_count()

    def _filter_writable(self, on: bool) -> None:
        self.proxy.writable_only = on
        self.proxy.invalidate()
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown} of {total} keys" if shown != total else f"{total} keys")

    def dispose(self) -> None:
        if self._connected:
            self._connected = False
            self.bridge.changed.disconnect(self.refresh)
