"""The tag list editor: the built-in CSMS's id tags, their status, expiry and parent.

Every valid edit is applied to the running CSMS at once (the next Authorize
answers from it) and saved; an invalid one (an empty or duplicate tag, a date
without a time zone) is shown inline and neither applied nor saved, so the
CSMS always runs the last list that made sense.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from bench.csms.config import TAG_STATUSES, ConfigError, TagEntry
from ui.models.tags import ANSWER, STATUS, TagTableModel

_Index = QModelIndex | QPersistentModelIndex
ANSWER_REFRESH_MS = 5000  # expiry dates pass while the editor is open


class StatusDelegate(QStyledItemDelegate):
    """A drop-down of the 1.6 AuthorizationStatus values a tag list can hold."""

    def createEditor(self, parent: QWidget, _option: QStyleOptionViewItem, _index: _Index):
        combo = QComboBox(parent)
        combo.addItems(list(TAG_STATUSES))
        # Commit as soon as a status is picked: one click, not pick-then-click-away.
        combo.activated.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentText(str(index.data()))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentText())


class TagEditor(QWidget):
    applied = Signal(int)  # the number of tags now in force

    def __init__(
        self,
        now: Callable[[], datetime],
        apply: Callable[[dict[str, TagEntry]], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._apply = apply
        self.model = TagTableModel(now, self)

        self.table = QTableView()
        self.table.setObjectName("tagTable")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(STATUS, StatusDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.SelectedClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.table.horizontalHeader()
        for column, width in enumerate((170, 100, 210, 130)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(ANSWER, QHeaderView.ResizeMode.Stretch)

        self.add_button = QPushButton("Add tag")
        self.add_button.setObjectName("addTagButton")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removeTagButton")
        self.state = QLabel()
        self.state.setObjectName("tagState")
        self.state.setWordWrap(True)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.add_button)
        bar.addWidget(self.remove_button)
        bar.addWidget(self.state, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table)

        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove_selected)
        self.model.edited.connect(self.commit)
        self._answers = QTimer(self, interval=ANSWER_REFRESH_MS)
        self._answers.timeout.connect(self.model.refresh_answers)
        self._answers.start()

    def set_entries(self, tags: dict[str, TagEntry]) -> None:
        """Show ``tags`` (the running CSMS's list) without applying anything."""
        self.model.set_entries(tags)
        self._show_state(f"{len(tags)} tags", error=False)

    def commit(self) -> bool:
        """Apply and save the list if it is valid; otherwise say what is wrong."""
        try:
            tags = self.model.entries()
        except ConfigError as exc:
            self._show_state(f"Not applied: {exc}", error=True)
            return False
        self._apply(tags)
        self._show_state(f"{len(tags)} tags · applied to the built-in CSMS and saved", error=False)
        self.applied.emit(len(tags))
        return True

    def _add(self) -> None:
        row = self.model.add_row()
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.edit(index)

    def _remove_selected(self) -> None:
        rows = [index.row() for index in self.table.selectionModel().selectedRows()]
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        if rows:
            self.model.remove_rows(rows)

    def _show_state(self, text: str, *, error: bool) -> None:
        self.state.setText(text)
        self.state.setProperty("role", "error" if error else "muted")
        self.state.setStyleSheet("color: #c0392b; font-weight: 600;" if error else "")

    def stop(self) -> None:
        self._answers.stop()
