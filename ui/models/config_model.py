"""A station's configuration keys as a table: key, value, type, access, feature profile.

Rows come from the key definitions (``Configuration.describe``), values from
``Configuration.report`` — the same view a CSMS's GetConfiguration gets (1.6
§5.8), which never contains a write-only key's value. For a write-only key
(access "W", e.g. AuthorizationKey) the model knows only *whether* it is set and
shows a mask: no role of any cell ever carries the value, and its editor starts
empty.

Editing the Value cell calls ``ui.operations.configuration.change_key`` (the
ChangeConfiguration path); the outcome is emitted as ``outcome`` for the status
bar. ``refresh`` re-reads the values and signals only the rows that changed, so
it is cheap to call once a second.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from bench.ocpp.v16.config import Configuration, KeyDef
from ui.operations.configuration import MASK, ChangeOutcome, change_key

COLUMNS = ("Key", "Value", "Type", "Access", "Feature profile")
KEY, VALUE, TYPE, ACCESS, FEATURE = range(len(COLUMNS))
ACCESS_TEXT = {"R": "read-only", "RW": "read-write", "W": "write-only"}
DEFINITION_ROLE = Qt.ItemDataRole.UserRole + 1
NOT_SET = "(not set)"

Index = QModelIndex | QPersistentModelIndex


class ConfigModel(QAbstractTableModel):
    outcome = QtSignal(object)  # ChangeOutcome of an edit

    def __init__(self, config: Configuration, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.keys: list[KeyDef] = sorted(config.describe(), key=lambda d: d.name.lower())
        self._values: list[str] = self._read()
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    # ------------------------------------------------------------ values
    def _read(self) -> list[str]:
        known, _unknown = self.config.report(None)
        reported = {item["key"]: item.get("value", "") for item in known}
        values = []
        for definition in self.keys:
            if definition.access == "W":
                # Only whether it is set: the value itself never enters the model.
                values.append(MASK if self.config.raw(definition.name) else NOT_SET)
            else:
                values.append(str(reported.get(definition.name, "")))
        return values

    def refresh(self) -> int:
        """Re-read the values; signal the rows that changed; returns how many did."""
        fresh = self._read()
        changed = 0
        for row, (old, new) in enumerate(zip(self._values, fresh, strict=True)):
            if old != new:
                self._values[row] = new
                index = self.index(row, VALUE)
                self.dataChanged.emit(index, index)
                changed += 1
        return changed

    def row_of(self, key: str) -> int:
        for row, definition in enumerate(self.keys):
            if definition.name == key:
                return row
        raise KeyError(f"no configuration key {key}")

    def value_text(self, key: str) -> str:
        """What the Value cell shows for ``key`` (masked for write-only keys)."""
        return self._values[self.row_of(key)]

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.keys)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == VALUE and self.keys[index.row()].access in ("RW", "W"):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        definition = self.keys[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(definition, index.row(), column)
        if role == Qt.ItemDataRole.EditRole:
            if column == VALUE:
                # A write-only key's editor starts empty: its value is never shown.
                return "" if definition.access == "W" else self._values[index.row()]
            return self._display(definition, index.row(), column)
        if role == DEFINITION_ROLE:
            return definition
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(definition)
        if role == Qt.ItemDataRole.FontRole and column == VALUE:
            if definition.access == "W":
                return self._italic  # a mask or "(not set)", never a value
            if self._modified(definition, index.row()):
                return self._bold  # differs from the default: worth a second look
            return None
        if role == Qt.ItemDataRole.ForegroundRole and definition.access == "R":
            colour = QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
            return QBrush(colour)
        if role == Qt.ItemDataRole.ForegroundRole and column == ACCESS:
            return QBrush(QColor("#d9534f" if definition.access == "W" else "#3a9d4f"))
        return None

    def _display(self, definition: KeyDef, row: int, column: int) -> str:
        if column == KEY:
            return definition.name
        if column == VALUE:
            return self._values[row]
        if column == TYPE:
            return definition.type
        if column == ACCESS:
            return ACCESS_TEXT.get(definition.access, definition.access)
        return definition.profile

    def _modified(self, definition: KeyDef, row: int) -> bool:
        if definition.access == "W":
            return False
        return self._values[row] != definition.default

    def _tooltip(self, definition: KeyDef) -> str:
        lines = [f"<b>{definition.name}</b> ({definition.type}, {ACCESS_TEXT[definition.access]})"]
        if definition.help:
            lines.append(definition.help)
        if definition.access == "W":
            lines.append("Write-only: its value is never shown or reported (security whitepaper).")
        else:
            lines.append(f"Default: {definition.default or '(empty)'}")
        if definition.reboot_required:
            lines.append("A change applies after the next reboot (RebootRequired).")
        if definition.access in ("RW", "W"):
            lines.append("Double-click the value to change it, as ChangeConfiguration would.")
        return "<br>".join(lines)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != VALUE or not index.isValid():
            return False
        definition = self.keys[index.row()]
        text = str(value).strip() if definition.type != "string" else str(value)
        if definition.access == "W" and not text:
            return False  # a write-only editor left empty: the user typed nothing
        if definition.access != "W" and text == self._values[index.row()]:
            return False  # nothing changed: no ChangeConfiguration to speak of
        outcome: ChangeOutcome = change_key(self.config, definition.name, text)
        self.refresh()
        self.outcome.emit(outcome)
        return outcome.ok
