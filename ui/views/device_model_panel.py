"""The device-model browser of a 2.0.1 station: every component, variable and attribute.

A filter box narrows the tree to rows whose name or value contains the text (a
component that matches keeps all its variables); "Writable only" hides what the
user cannot change. Double-clicking a writable value edits it: booleans and
option lists get a drop-down, the rest a line. The new value goes through the
station's SetVariables handler (B05) and the answer — Accepted, RebootRequired,
or Rejected with the station's reason — shows under the tree and in the status bar.

Live: every change of a value reaches the charge point's ``VariableChanged`` event
(SetVariables, the station's own measured values, the boot's heartbeat interval);
while the panel is visible the slots named in one event-loop turn are re-read
together, and nothing else. There is no polling: every value the browser shows is
a stored value, and each store is announced. A hidden panel ignores the events and
re-reads everything when shown (~150 cells, once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, QTimer
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
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from bench.ocpp.v201.charge_point import VariableChanged
from bench.ocpp.v201.device_model import ComponentKey, DataType, VariableDef, VariableKey
from bench.ocpp.v201.facets import DeviceModelAccess
from ui.errors import ErrorReporter
from ui.models.bridge import StationBridge
from ui.models.device_model import (
    ATTRIBUTE,
    COLUMNS,
    DATA_TYPE,
    MUTABILITY,
    NAME,
    SLOT_ROLE,
    UNIT,
    VALUE,
    WRITABLE_ROLE,
    DeviceModelTree,
)
from ui.operations import perform_async
from ui.operations.device_model import SetOutcome, set_value, shown
from ui.views.facets import required

Index = QModelIndex | QPersistentModelIndex
OK_COLOUR, BAD_COLOUR = "#2e7d46", "#c0392b"


class _Filter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.writable_only = False
        self.setRecursiveFilteringEnabled(True)  # a matching variable keeps its component
        self.setAutoAcceptChildRows(True)  # a matching component keeps its variables

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        name = model.index(source_row, NAME, source_parent)
        if self.writable_only and not model.data(name, WRITABLE_ROLE):
            return False
        if not self.text:
            return True
        needle = self.text.lower()
        for column in (NAME, VALUE):
            text = model.data(model.index(source_row, column, source_parent)) or ""
            if needle in str(text).lower():
                return True
        return False


class ValueDelegate(QStyledItemDelegate):
    """A drop-down for booleans and option lists, a line edit for everything else."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        vdef: VariableDef = index.data(SLOT_ROLE)[0]
        ch = vdef.characteristics
        if ch.data_type == DataType.BOOLEAN:
            choices: tuple[str, ...] | None = ("true", "false")
        elif ch.data_type == DataType.OPTION_LIST and ch.values_list:
            choices = ch.values_list
        else:
            choices = None
        if choices is not None:
            combo = QComboBox(parent)
            combo.setObjectName("dmValueChoice")
            combo.addItems(list(choices))
            return combo
        editor = QLineEdit(parent)
        editor.setObjectName("dmValueEditor")
        if ch.values_list:
            editor.setPlaceholderText(",".join(ch.values_list))
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        text = str(index.data(Qt.ItemDataRole.EditRole) or "")
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findText(text)))
        elif isinstance(editor, QLineEdit):
            editor.setText(text)

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText())
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text())


class DeviceModelPanel(QWidget):
    def __init__(
        self, bridge: StationBridge, reporter: ErrorReporter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.cp = bridge.cp
        self.reporter = reporter
        self.access = required(self.cp, DeviceModelAccess)
        self.model = DeviceModelTree(self.access, self)
        self.model.edit_requested.connect(self._on_edit)
        self.proxy = _Filter()
        self.proxy.setSourceModel(self.model)
        self.last_outcome: SetOutcome | None = None
        self.updates = 0  # cells changed by VariableChanged events (for tests and the curious)
        self._changed: set[tuple[ComponentKey, VariableKey]] = set()
        self._apply_changes = QTimer(self)
        self._apply_changes.setSingleShot(True)
        self._apply_changes.setInterval(0)  # one re-read per event-loop turn for a burst
        self._apply_changes.timeout.connect(self._read_changed)

        self.search = QLineEdit()
        self.search.setObjectName("dmSearch")
        self.search.setPlaceholderText("Filter components, variables, values…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter_text)
        self.writable = QCheckBox("Writable only")
        self.writable.setObjectName("dmWritableOnly")
        self.writable.toggled.connect(self._filter_writable)
        self.expand_button = QToolButton()
        self.expand_button.setText("Expand all")
        self.expand_button.setObjectName("dmExpand")
        self.expand_button.clicked.connect(self._toggle_expand)
        self.count = QLabel()
        self.count.setProperty("role", "muted")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.writable)
        bar.addWidget(self.expand_button)
        bar.addWidget(self.count)

        self.tree = QTreeView()
        self.tree.setObjectName("dmTree")
        self.tree.setModel(self.proxy)
        self.tree.setItemDelegateForColumn(VALUE, ValueDelegate(self.tree))
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        # Names and values get room; the limits column takes what is left (values lists
        # are long and have a tooltip).
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(NAME, 230)
        header.setSectionResizeMode(VALUE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(VALUE, 180)
        for column in (ATTRIBUTE, MUTABILITY, DATA_TYPE, UNIT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.result = QLabel()
        self.result.setObjectName("dmResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel(
            "Double-click a read-write value to change it; the station answers as it would a "
            "SetVariables request (B05). Bold: differs from the default."
        )
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.result)
        layout.addWidget(hint)

        self._unsubscribe: Callable[[], None] | None = self.cp.subscribe(self._on_cp_event)
        self._expanded = False
        self._update_count()

    # ------------------------------------------------------------ editing
    @asyncSlot(object, str, str)
    async def _on_edit(self, vdef: VariableDef, attribute: str, text: str) -> None:
        await self.apply(vdef, attribute, text)

    async def apply(self, vdef: VariableDef, attribute: str, text: str) -> SetOutcome | None:
        """Set one attribute through the station's SetVariables handler and show the answer."""
        outcome = await perform_async(
            self.reporter, set_value, self.access, vdef.component, vdef.variable, attribute, text
        )
        if outcome is None:
            return None
        self.last_outcome = outcome  # the cell follows through VariableChanged
        message = outcome.message(shown(vdef, attribute, text))
        self.result.setText(message)
        colour = OK_COLOUR if outcome.ok else BAD_COLOUR
        self.result.setStyleSheet(f"color: {colour}; font-weight: 600;")
        station = self.bridge.station_id
        if outcome.ok:
            self.reporter.report_info(f"{station}: {message}")
        else:
            self.reporter.report_error(f"{station}: {message}")
        return outcome

    def index_of(self, component: str, variable: str, attribute: str = "Actual") -> QModelIndex:
        """The view index of a slot's Value cell (labels as the tree shows them)."""
        return self.proxy.mapFromSource(self.model.value_index(component, variable, attribute))

    def reveal(self, component: str, variable: str, attribute: str = "Actual") -> QModelIndex:
        index = self.index_of(component, variable, attribute)
        self.tree.expand(index.parent())
        self.tree.scrollTo(index)
        self.tree.setCurrentIndex(index)
        return index

    # ------------------------------------------------------------ live values
    def _on_cp_event(self, event: Any) -> None:
        if not isinstance(event, VariableChanged) or not self.isVisible():
            return  # hidden: showEvent re-reads everything
        component = event.component_key or ComponentKey(event.component)
        self._changed.add((component, event.variable_key))
        if not self._apply_changes.isActive():
            self._apply_changes.start()

    def _read_changed(self) -> None:
        changed, self._changed = self._changed, set()
        self.updates += self.model.refresh_variables(changed)

    # ------------------------------------------------------------ view
    def refresh(self) -> None:
        """Re-read every value (on show; the events keep a visible panel current)."""
        self._changed.clear()
        self.model.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def _filter_text(self, text: str) -> None:
        self.proxy.text = text.strip()
        self.proxy.invalidate()
        if self.proxy.text:
            self.tree.expandAll()
        self._update_count()

    def _filter_writable(self, on: bool) -> None:
        self.proxy.writable_only = on
        self.proxy.invalidate()
        if on:
            self.tree.expandAll()
        self._update_count()

    def _toggle_expand(self) -> None:
        self._expanded = not self._expanded
        if self._expanded:
            self.tree.expandAll()
        else:
            self.tree.collapseAll()
        self.expand_button.setText("Collapse all" if self._expanded else "Expand all")

    def _update_count(self) -> None:
        components = self.proxy.rowCount()
        total = self.model.rowCount()
        variables = self.model.variable_count()
        text = f"{total} components · {variables} attributes"
        if components != total or self.proxy.text or self.proxy.writable_only:
            text = f"{components} of {total} components match"
        self.count.setText(text)

    def dispose(self) -> None:
        self._apply_changes.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


__all__ = ["COLUMNS", "DeviceModelPanel"]
