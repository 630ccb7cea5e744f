"""The built-in CSMS's tag list as an editable Qt table model.

Rows are held as the text the user typed; ``entries()`` turns them into the
CSMS's ``TagEntry`` objects (through ``tags_from_json``, the same check the CLI
applies to a tags file) or raises ``ConfigError`` naming the row at fault. The
read-only last column shows what Authorize would answer right now for each tag
(1.6 §7.28: an Accepted tag past its expiry date is answered Expired).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from bench.csms.authorization import decide
from bench.csms.config import TAG_STATUSES, ConfigError, TagEntry, tags_from_json

COLUMNS = ("Id tag", "Status", "Expiry (ISO 8601)", "Parent id tag", "Authorize answers")
TAG, STATUS, EXPIRY, PARENT, ANSWER = range(len(COLUMNS))

STATUS_COLOURS = {
    "Accepted": QColor("#2e7d32"),
    "Blocked": QColor("#c0392b"),
    "Expired": QColor("#b35900"),
    "Invalid": QColor("#7f8c8d"),
}

_Index = QModelIndex | QPersistentModelIndex


@dataclass(slots=True)
class TagRow:
    tag: str
    status: str = "Accepted"
    expiry: str = ""  # ISO 8601 with a time zone, or empty for "never"
    parent: str = ""

    @classmethod
    def from_entry(cls, tag: str, entry: TagEntry) -> TagRow:
        expiry = entry.expiry_date.isoformat() if entry.expiry_date is not None else ""
        return cls(tag, entry.status, expiry, entry.parent_id_tag or "")


def rows_to_entries(rows: list[TagRow]) -> dict[str, TagEntry]:
    """Validate ``rows`` as a whole; ``ConfigError`` names the first row at fault."""
    seen: dict[str, int] = {}
    data: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows, start=1):
        tag = row.tag.strip()
        if not tag:
            raise ConfigError(f"row {number}: the id tag is empty")
        folded = tag.casefold()  # IdToken is a CiString20 (1.6 §7.26): case-insensitive
        if folded in seen:
            raise ConfigError(f"row {number}: {tag!r} is already in row {seen[folded]}")
        seen[folded] = number
        item = {"status": row.status}
        if row.expiry.strip():
            item["expiryDate"] = row.expiry.strip()
        if row.parent.strip():
            item["parentIdTag"] = row.parent.strip()
        data[tag] = item
    return tags_from_json(data)


class TagTableModel(QAbstractTableModel):
    edited = Signal()  # any cell, row added or removed

    def __init__(self, now: Callable[[], datetime], parent: Any = None) -> None:
        super().__init__(parent)
        self.now = now
        self.rows: list[TagRow] = []

    # ------------------------------------------------------------ content
    def set_entries(self, tags: dict[str, TagEntry]) -> None:
        self.beginResetModel()
        self.rows = [TagRow.from_entry(tag, entry) for tag, entry in tags.items()]
        self.endResetModel()

    def entries(self) -> dict[str, TagEntry]:
        return rows_to_entries(self.rows)

    def add_row(self, tag: str = "", status: str = "Accepted") -> int:
        row = len(self.rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self.rows.append(TagRow(tag or self._fresh_name(), status))
        self.endInsertRows()
        self.edited.emit()
        return row

    def remove_rows(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self.rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.rows[row]
                self.endRemoveRows()
        self.edited.emit()

    def refresh_answers(self) -> None:
        """Expiry is relative to the clock: repaint the answer column."""
        if self.rows:
            self.dataChanged.emit(self.index(0, ANSWER), self.index(len(self.rows) - 1, ANSWER))

    def _fresh_name(self) -> str:
        taken = {r.tag.casefold() for r in self.rows}
        for n in range(1, len(self.rows) + 2):
            name = f"NEW-TAG-{n:04d}"
            if name.casefold() not in taken:
                return name
        return "NEW-TAG"

    def answer(self, row: int) -> str:
        """What Authorize would answer for this row's tag, or why the row is unusable."""
        item = self.rows[row]
        try:
            entry = rows_to_entries([item])
        except ConfigError:
            return "—"
        return decide(entry, item.tag.strip(), self.now()).status

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and index.column() != ANSWER:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: _Index, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == ANSWER:
                return self.answer(index.row())
            return (row.tag, row.status, row.expiry, row.parent)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column in (STATUS, ANSWER):
            text = row.status if column == STATUS else self.answer(index.row())
            colour = STATUS_COLOURS.get(text)
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.ToolTipRole and column == EXPIRY:
            return "e.g. 2030-01-01T00:00:00Z; empty: never expires"
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row = self.rows[index.row()]
        text = str(value).strip()
        column = index.column()
        if column == TAG:
            row.tag = text
        elif column == STATUS:
            if text not in TAG_STATUSES:
                return False
            row.status = text
        elif column == EXPIRY:
            row.expiry = text
        elif column == PARENT:
            row.parent = text
        else:
            return False
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), ANSWER))
        self.edited.emit()
        return True
