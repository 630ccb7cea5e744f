"""A 2.0.1 station's device model as a tree: components -> variables -> extra attributes.

One top-level row per component (EVSE and connector components say where they
sit), one child row per variable showing its first attribute (Actual for almost
all) with mutability, data type, unit and limits or values list (part 1 §4.2,
VariableCharacteristicsType), and a grandchild row for every further attribute
(Target, MinSet, MaxSet). The definition never changes, so the tree is built once;
``refresh`` re-reads every value, ``refresh_variables`` only the slots a
``VariableChanged`` event named.

The Value cell of a writable attribute is editable; the model never writes the
station itself: ``setData`` emits ``edit_requested`` and the panel sends the value
through the station's SetVariables handler (``ui.operations.device_model``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel

from bench.ocpp.v201.device_model import (
    AttributeDef,
    ComponentKey,
    DeviceModel,
    Mutability,
    VariableDef,
    VariableKey,
)
from ui.operations.device_model import MASK, component_label, variable_label

COLUMNS = (
    "Component / variable",
    "Value",
    "Attribute",
    "Mutability",
    "Data type",
    "Unit",
    "Limits / values",
)
NAME, VALUE, ATTRIBUTE, MUTABILITY, DATA_TYPE, UNIT, LIMITS = range(len(COLUMNS))
SLOT_ROLE = Qt.ItemDataRole.UserRole + 1  # (VariableDef, attribute type) on a Value cell
WRITABLE_ROLE = Qt.ItemDataRole.UserRole + 2  # True on rows the user may edit
_MUTABILITY_TEXT = {
    Mutability.READ_ONLY: "read-only",
    Mutability.READ_WRITE: "read-write",
    Mutability.WRITE_ONLY: "write-only",
}
_MUTABILITY_COLOUR = {
    Mutability.READ_ONLY: None,
    Mutability.READ_WRITE: "#3a9d4f",
    Mutability.WRITE_ONLY: "#d9534f",
}
Index = QModelIndex | QPersistentModelIndex


def limits_text(vdef: VariableDef) -> str:
    ch = vdef.characteristics
    if ch.values_list:
        return ", ".join(ch.values_list)
    low = f"{ch.min_limit:g}" if ch.min_limit is not None else ""
    high = f"{ch.max_limit:g}" if ch.max_limit is not None else ""
    if not low and not high:
        return ""
    if ch.data_type.value in ("integer", "decimal"):
        if low and high:
            return f"{low} – {high}"
        return f"≥ {low}" if low else f"≤ {high}"
    return f"max length {high}" if high else ""


def _component_order(component: ComponentKey) -> tuple[int, int, str, str]:
    # Station-wide controllers first (by name), then each EVSE followed by its connectors.
    return (component.evse or 0, component.connector or 0, component.name, component.instance or "")


def _editable(attr: AttributeDef) -> bool:
    return attr.mutability != Mutability.READ_ONLY and not attr.constant


class DeviceModelTree(QStandardItemModel):
    """The tree; ``edit_requested(vdef, attribute type, text)`` asks the panel to set a value."""

    edit_requested = Signal(object, str, str)

    def __init__(self, device_model: DeviceModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.device_model = device_model
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self._cells: list[tuple[QStandardItem, VariableDef, AttributeDef]] = []
        self._rows: dict[tuple[str, str, str], QStandardItem] = {}  # label keys -> Value cell
        # (component, variable) -> its cells, one per attribute: what an event names.
        self._by_slot: dict[tuple[ComponentKey, VariableKey], list[int]] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)
        self._build()

    # ------------------------------------------------------------ building
    def _build(self) -> None:
        by_component: dict[ComponentKey, list[VariableDef]] = {}
        for vdef in self.device_model.definition:
            by_component.setdefault(vdef.component, []).append(vdef)
        for component in sorted(by_component, key=_component_order):
            variables = by_component[component]
            head = self._cell(component_label(component))
            head.setFont(self._bold)
            rest = [self._cell("") for _ in COLUMNS[1:]]
            head.setToolTip(f"{component_label(component)}: {len(variables)} variables")
            for vdef in sorted(
                variables, key=lambda v: (v.variable.name, v.variable.instance or "")
            ):
                first, *others = vdef.attributes
                row = self._attribute_row(vdef, first, variable_label(vdef.variable))
                head.appendRow(row)
                for attr in others:
                    row[0].appendRow(self._attribute_row(vdef, attr, f"↳ {attr.type}"))
            self.appendRow([head, *rest])

    def _cell(self, text: str) -> QStandardItem:
        item = QStandardItem(text)
        item.setEditable(False)
        return item

    def _attribute_row(
        self, vdef: VariableDef, attr: AttributeDef, name: str
    ) -> list[QStandardItem]:
        ch = vdef.characteristics
        cells = [self._cell(name) for _ in COLUMNS]
        cells[ATTRIBUTE].setText(str(attr.type))
        mutability = "constant" if attr.constant else _MUTABILITY_TEXT[attr.mutability]
        cells[MUTABILITY].setText(mutability)
        colour = _MUTABILITY_COLOUR[attr.mutability]
        if colour is not None:
            cells[MUTABILITY].setForeground(QBrush(QColor(colour)))
        cells[DATA_TYPE].setText(str(ch.data_type))
        cells[UNIT].setText(ch.unit or "")
        cells[LIMITS].setText(limits_text(vdef))
        tip = vdef.description or variable_label(vdef.variable)
        if vdef.reboot_required:
            tip += "\n(a change applies after a reboot)"
        for cell in cells:
            cell.setToolTip(tip)
        if cells[LIMITS].text():
            cells[LIMITS].setToolTip(f"{cells[LIMITS].text()}\n\n{tip}")
        value = cells[VALUE]
        value.setData((vdef, str(attr.type)), SLOT_ROLE)
        writable = _editable(attr)
        value.setEditable(writable)
        for cell in cells:
            cell.setData(writable, WRITABLE_ROLE)
        if attr.mutability == Mutability.READ_ONLY:
            grey = QBrush(QColor("#8a8f98"))
            cells[VALUE].setForeground(grey)
        self._by_slot.setdefault((vdef.component, vdef.variable), []).append(len(self._cells))
        self._cells.append((value, vdef, attr))
        key = (component_label(vdef.component), variable_label(vdef.variable), str(attr.type))
        self._rows[key] = value
        self._show(value, vdef, attr)
        return cells

    # ------------------------------------------------------------ values
    def _text(self, vdef: VariableDef, attr: AttributeDef) -> str:
        if attr.mutability == Mutability.WRITE_ONLY:
            return MASK if self.device_model.value(vdef.component, vdef.variable, attr.type) else ""
        return self.device_model.value(vdef.component, vdef.variable, attr.type) or ""

    def _show(self, item: QStandardItem, vdef: VariableDef, attr: AttributeDef) -> bool:
        text = self._text(vdef, attr)
        if item.text() == text:
            return False
        item.setText(text)
        if attr.mutability == Mutability.WRITE_ONLY:
            item.setFont(self._italic)
        elif text != attr.default:
            item.setFont(self._bold)  # differs from the default: worth a second look
        else:
            item.setFont(QFont())
        return True

    def refresh(self) -> int:
        """Re-read every value; returns how many cells changed."""
        return sum(self._show(item, vdef, attr) for item, vdef, attr in self._cells)

    def refresh_variables(self, slots: Iterable[tuple[ComponentKey, VariableKey]]) -> int:
        """Re-read the attributes of the given variables only; returns how many cells changed."""
        changed = 0
        for slot in slots:
            for i in self._by_slot.get(slot, ()):
                item, vdef, attr = self._cells[i]
                changed += self._show(item, vdef, attr)
        return changed

    def value_index(self, component: str, variable: str, attribute: str = "Actual") -> QModelIndex:
        """The Value cell of a slot, by the labels the tree shows (tests, shortcuts)."""
        return self._rows[(component, variable, attribute)].index()

    def variable_count(self) -> int:
        return len(self._cells)

    # ------------------------------------------------------------ editing
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.EditRole and index.column() == VALUE:
            slot = super().data(index, SLOT_ROLE)
            if slot is not None:
                vdef, attribute = slot
                attr = vdef.attribute(attribute)
                if attr is not None and attr.mutability == Mutability.WRITE_ONLY:
                    return ""  # the editor of a secret starts empty
        return super().data(index, role)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role == Qt.ItemDataRole.EditRole and index.column() == VALUE:
            slot = super().data(index, SLOT_ROLE)
            if slot is None:
                return False
            vdef, attribute = slot
            # The station decides; the cell shows the stored value after ``refresh``.
            self.edit_requested.emit(vdef, attribute, str(value))
            return False
        return super().setData(index, value, role)
