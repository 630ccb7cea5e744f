"""Small editors the charging-profile form is built from: an optional date-time, a field
with its inline message, and the table of schedule periods."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateTimeEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.ocpp.profile_builder import (
    COL_LIMIT,
    COL_PHASE,
    COL_PHASES,
    COL_START,
    ERROR,
    PERIODS,
    PeriodRow,
    Problem,
    format_offset,
    parse_offset,
)

COLUMNS = (COL_START, COL_LIMIT, COL_PHASES, COL_PHASE)
HEADERS = {
    COL_START: "Start (h:mm)",
    COL_LIMIT: "Limit",
    COL_PHASES: "Phases",
    COL_PHASE: "Phase to use",
}
EXTRA_ROLE = Qt.ItemDataRole.UserRole + 1  # a period's JSON keys the table does not show


class OptionalDateTime(QWidget):
    """A check box that says whether the date-time is set, and the date-time (local time)."""

    changed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QCheckBox()
        self.box.setObjectName(f"{name}Set")
        self.box.setToolTip("Unchecked: the field is left out of the request")
        self.edit = QDateTimeEdit()
        self.edit.setObjectName(name)
        self.edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.edit.setCalendarPopup(True)
        self.edit.setEnabled(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        layout.addWidget(self.edit, 1)
        self.box.toggled.connect(self._toggled)
        self.edit.dateTimeChanged.connect(lambda _v: self.changed.emit())

    def _toggled(self, on: bool) -> None:
        self.edit.setEnabled(on)
        self.changed.emit()

    def value(self) -> datetime | None:
        if not self.box.isChecked():
            return None
        return datetime.fromtimestamp(self.edit.dateTime().toSecsSinceEpoch(), UTC)

    def set_value(self, value: datetime | None, default: datetime | None = None) -> None:
        """Show ``value`` (None: unchecked, the editor keeps ``default`` ready)."""
        shown = value or default
        if shown is not None:
            self.edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(shown.timestamp())))
        self.box.setChecked(value is not None)
        self.edit.setEnabled(value is not None)


class FieldRow(QWidget):
    """An editor (or a row of them) with the inline message for its field under it."""

    def __init__(self, *editors: QWidget, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        for editor in editors:
            line.addWidget(editor, 1 if editor is editors[0] else 0)
        self.message = QLabel()
        self.message.setObjectName(f"{name}Message")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(line)
        layout.addWidget(self.message)

    def show_problems(self, problems: list[Problem], colours: dict[str, str]) -> None:
        show_message(self.message, problems, colours)


def show_message(label: QLabel, problems: list[Problem], colours: dict[str, str]) -> None:
    """Errors first, one per line, coloured by the worst; hidden when there is none."""
    if not problems:
        label.setText("")
        label.setVisible(False)
        return
    ordered = sorted(problems, key=lambda p: not p.is_error)
    worst = ERROR if ordered[0].is_error else "warning"
    label.setText("\n".join(("✗ " if p.is_error else "⚠ ") + p.message for p in ordered))
    label.setStyleSheet(f"color: {colours[worst]};")
    label.setVisible(True)


class PeriodTable(QTableWidget):
    """The schedule's periods: start (h:mm or seconds), limit, numberPhases, phaseToUse."""

    def __init__(self, with_phase_to_use: bool, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("periodTable")
        self.setHorizontalHeaderLabels([HEADERS[c] for c in COLUMNS])
        self.verticalHeader().setVisible(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setColumnHidden(COLUMNS.index(COL_PHASE), not with_phase_to_use)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setToolTip(
            "Starts after: seconds, h:mm or h:mm:ss from the start of the schedule.\n"
            "Phases: numberPhases, empty for the default (3)."
        )

    def set_unit(self, unit: str) -> None:
        self.horizontalHeaderItem(COLUMNS.index(COL_LIMIT)).setText(f"Limit ({unit})")

    def cell(self, row: int, column: str) -> QTableWidgetItem:
        item = self.item(row, COLUMNS.index(column))
        assert item is not None
        return item

    def set_text(self, row: int, column: str, text: str) -> None:
        """Type ``text`` into a cell, as a user would."""
        self.cell(row, column).setText(text)

    def set_rows(self, rows: tuple[PeriodRow, ...]) -> None:
        self.setRowCount(0)
        for row in rows:
            self.append(row)

    def fit_height(self) -> None:
        """As tall as its rows (three at least, eight at most: then it scrolls)."""
        shown = min(max(self.rowCount(), 3), 8)
        height = (
            self.horizontalHeader().height() + shown * self.verticalHeader().defaultSectionSize()
        )
        self.setFixedHeight(height + 2 * self.frameWidth() + 2)

    def append(self, row: PeriodRow) -> None:
        index = self.rowCount()
        self.insertRow(index)
        texts = {
            COL_START: format_offset(row.start) if row.start is not None else "",
            COL_LIMIT: _number(row.limit),
            COL_PHASES: str(row.phases) if row.phases is not None else "",
            COL_PHASE: str(row.phase_to_use) if row.phase_to_use is not None else "",
        }
        for column, key in enumerate(COLUMNS):
            item = QTableWidgetItem(texts[key])
            if key == COL_START:
                item.setData(EXTRA_ROLE, dict(row.extra))
            self.setItem(index, column, item)
        self.fit_height()

    def rows(self) -> tuple[tuple[PeriodRow, ...], list[Problem]]:
        """The periods as typed, and what could not be read as a number."""
        rows: list[PeriodRow] = []
        problems: list[Problem] = []
        for r in range(self.rowCount()):
            start_text = self.cell(r, COL_START).text()
            try:
                start: int | None = parse_offset(start_text)
            except ValueError:
                start = None  # the builder says "not a time" on this cell
            limit = _float(self.cell(r, COL_LIMIT).text())
            phases = self._small_int(r, COL_PHASES, problems)
            phase = self._small_int(r, COL_PHASE, problems)
            extra = self.cell(r, COL_START).data(EXTRA_ROLE) or {}
            rows.append(PeriodRow(start, limit, phases, phase, extra))
        return tuple(rows), problems

    def _small_int(self, row: int, column: str, problems: list[Problem]) -> int | None:
        if self.isColumnHidden(COLUMNS.index(column)):
            return None
        text = self.cell(row, column).text().strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            message = f"period {row + 1}: {text!r} is not a whole number"
            problems.append(Problem(PERIODS, message, ERROR, row, column))
            return None

    def mark(self, problems: list[Problem], colours: dict[str, str]) -> None:
        """Tint the cells that have a problem; the tooltip says what it is."""
        marked: dict[tuple[int, int], list[Problem]] = {}
        for p in problems:
            if p.row is not None and p.column in COLUMNS and p.row < self.rowCount():
                marked.setdefault((p.row, COLUMNS.index(p.column)), []).append(p)
        self.blockSignals(True)
        try:
            for r in range(self.rowCount()):
                for c in range(len(COLUMNS)):
                    item = self.item(r, c)
                    if item is None:
                        continue
                    found = marked.get((r, c))
                    if not found:
                        item.setBackground(QBrush())
                        item.setToolTip("")
                        continue
                    worst = ERROR if any(p.is_error for p in found) else "warning"
                    tint = QColor(colours[worst])
                    tint.setAlpha(60)
                    item.setBackground(tint)
                    item.setToolTip("\n".join(p.message for p in found))
        finally:
            self.blockSignals(False)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _float(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


def row_problems(problems: list[Problem], field: str) -> list[Problem]:
    return [p for p in problems if p.field == field]
