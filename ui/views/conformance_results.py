"""The Conformance window's progress: a row per case with its verdict as it lands, and counts.

The verdict column is a coloured pill (white on the verdict's colour, readable
in either palette); the row of the case running is bold and kept in view. Above
the table, one pill per verdict counts the cases so far, beside a progress bar.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.conformance.results import Verdict
from ui.models.conformance_progress import (
    PILL_TEXT,
    RUNNING,
    STATE_COLOURS,
    STATE_TEXT,
    VERDICT_HELP,
    CaseRow,
    ConformanceProgress,
)

COLUMNS = ("#", "Case", "Name", "Verdict", "Reason", "Time")
COL_NUMBER, COL_CASE, COL_NAME, COL_VERDICT, COL_REASON, COL_TIME = range(len(COLUMNS))
PILL_ROLE = Qt.ItemDataRole.UserRole + 10  # the verdict pill's colour
PILL_WIDTH = 104
NAME_WIDTH = 250
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# A verdict no case has yet: an outline, its text in the palette's muted colour.
ZERO_STYLE = "QLabel { border: 1px solid #8a929c; border-radius: 10px; padding: 2px 10px; }"


def pill_style(colour: str) -> str:
    return (
        f"QLabel {{ background: {colour}; color: {PILL_TEXT}; border-radius: 10px;"
        " padding: 2px 10px; font-weight: 600; }"
    )


class PillDelegate(QStyledItemDelegate):
    """Paints the verdict cell as a rounded pill in the state's colour."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        colour = index.data(PILL_ROLE)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if not colour or not text:
            super().paint(painter, option, index)
            return
        style = option.widget.style() if option.widget is not None else None
        if style is not None:  # the row's selection and hover background, without text
            bare = QStyleOptionViewItem(option)
            self.initStyleOption(bare, index)
            bare.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, bare, painter, option.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(option.rect).adjusted(4, 3, -4, -3)
        rect.setWidth(min(rect.width(), PILL_WIDTH))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        font = option.font
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(PILL_TEXT))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(max(size.width(), PILL_WIDTH + 8), max(size.height(), 24))


class VerdictCounts(QWidget):
    """One pill per verdict with its count, and a progress bar of the cases done."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pills: dict[Verdict, QLabel] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for verdict in Verdict:
            pill = QLabel()
            pill.setObjectName(f"count-{verdict.name.lower()}")
            pill.setToolTip(f"{STATE_TEXT[verdict]}: {VERDICT_HELP[verdict]}")
            self.pills[verdict] = pill
            layout.addWidget(pill)
        layout.addStretch(1)
        self.bar = QProgressBar()
        self.bar.setObjectName("conformanceProgress")
        self.bar.setFormat("%v of %m cases")
        self.bar.setMinimumWidth(180)
        self.bar.setMaximumWidth(260)
        layout.addWidget(self.bar)
        self.show_counts(dict.fromkeys(Verdict, 0), 0, 0)

    def show_counts(self, counts: dict[Verdict, int], done: int, total: int) -> None:
        for verdict, pill in self.pills.items():
            n = counts.get(verdict, 0)
            pill.setText(f"{n} {STATE_TEXT[verdict].lower()}")
            if n:
                pill.setProperty("role", "")
                pill.setStyleSheet(pill_style(STATE_COLOURS[verdict]))
            else:
                pill.setProperty("role", "muted")
                pill.setStyleSheet(ZERO_STYLE)
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(done)
        self.bar.setTextVisible(total > 0)


class CaseTable(QWidget):
    """The run's cases: summary line, counts, and the table itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Choose the cases on the left, then Run.")
        self.summary.setObjectName("conformanceSummary")
        self.summary.setWordWrap(True)
        font = self.summary.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.summary.setFont(font)
        self.counts = VerdictCounts()
        self.table = QTreeWidget()
        self.table.setObjectName("conformanceResults")
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setItemDelegateForColumn(COL_VERDICT, PillDelegate(self.table))
        header = self.table.header()
        header.setStretchLastSection(False)
        for column in (COL_NUMBER, COL_CASE, COL_TIME):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_VERDICT, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(COL_VERDICT, PILL_WIDTH + 12)
        header.resizeSection(COL_NAME, NAME_WIDTH)
        header.setSectionResizeMode(COL_REASON, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.counts)
        layout.addWidget(self.table, 1)

    def fill(self, progress: ConformanceProgress) -> None:
        self.table.clear()
        items = []
        for number, row in enumerate(progress.rows, start=1):
            item = QTreeWidgetItem([str(number), row.case.id, row.case.name, "", "", ""])
            item.setData(COL_CASE, Qt.ItemDataRole.UserRole, row.case.id)
            item.setToolTip(COL_NAME, row.case.name)
            item.setTextAlignment(COL_NUMBER, RIGHT)
            self._paint(item, row)
            items.append(item)
        self.table.addTopLevelItems(items)
        self.show_progress(progress)

    def height_for_rows(self) -> int:
        """The height that shows every row without scrolling (and the lines above)."""
        rows = self.table.topLevelItemCount()
        row_height = self.table.sizeHintForRow(0) if rows else 0
        frame = 2 * self.table.frameWidth() + self.table.header().sizeHint().height()
        above = self.summary.sizeHint().height() + self.counts.sizeHint().height()
        spacing = 2 * max(0, self.layout().spacing())
        return above + spacing + frame + rows * row_height + row_height // 2

    def update_row(self, progress: ConformanceProgress, index: int) -> None:
        item = self.table.topLevelItem(index)
        if item is None:
            return
        self._paint(item, progress.rows[index])
        if progress.rows[index].state == RUNNING:
            self.table.scrollToItem(item)

    def _paint(self, item: QTreeWidgetItem, row: CaseRow) -> None:
        item.setText(COL_VERDICT, STATE_TEXT[row.state])
        item.setData(COL_VERDICT, PILL_ROLE, STATE_COLOURS[row.state])
        item.setText(COL_REASON, row.reason)
        item.setToolTip(COL_REASON, row.reason)
        item.setText(COL_TIME, row.duration)
        item.setTextAlignment(COL_TIME, RIGHT)
        running = row.state == RUNNING
        for column in range(len(COLUMNS)):
            font = item.font(column)
            font.setBold(running)
            item.setFont(column, font)
        # Rows not run (stopped first) fade like disabled text: what is kept stands out.
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        for column in (COL_NUMBER, COL_CASE, COL_NAME):
            if row.result is None and not running and row.state != "queued":
                item.setForeground(column, muted)
            else:
                item.setData(column, Qt.ItemDataRole.ForegroundRole, None)

    def show_progress(self, progress: ConformanceProgress) -> None:
        self.summary.setText(progress.summary())
        self.counts.show_counts(progress.counts(), progress.finished, len(progress.rows))

    def case_id_at(self, item: QTreeWidgetItem) -> str:
        return str(item.data(COL_CASE, Qt.ItemDataRole.UserRole))

    def rows(self) -> list[tuple[str, str, str]]:
        """(case id, verdict word, reason) of every row, as shown (tests, and a user's eye)."""
        out = []
        for index in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(index)
            out.append((item.text(COL_CASE), item.text(COL_VERDICT), item.text(COL_REASON)))
        return out
