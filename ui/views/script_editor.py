"""The scenario runner's editor: a plain-text editor with line numbers and a verdict margin.

The margin beside each line shows what became of the step written there
(▶ running, ✓ passed, ✗ failed, ■ stopped) or ``!`` where the line does not
parse; the running step's line is tinted, a failed or bad line is tinted red.
Hovering a bad line shows what is wrong with it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

from bench.scenarios.progress import FAILED, PASSED, STOPPED
from ui.models.scenario_progress import RUNNING
from ui.views.step_highlighter import StepHighlighter

PROBLEM = "problem"
MARK_GLYPHS = {RUNNING: "▶", PASSED: "✓", FAILED: "✗", STOPPED: "■", PROBLEM: "!"}
# Readable on the light and the dark palette alike.
MARK_COLOURS = {
    RUNNING: "#2b8fd6",
    PASSED: "#2e9d4f",
    FAILED: "#d64541",
    STOPPED: "#d99a1e",
    PROBLEM: "#d64541",
}


class _Margin(QWidget):
    """Line numbers and verdict marks, painted by the editor it belongs to."""

    def __init__(self, editor: ScriptEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.margin_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_margin(self, event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            self.editor.show_line_tip(event.pos().y(), event.globalPos())
            return True
        return super().event(event)


class ScriptEditor(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptEditor")
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.marks: dict[int, str] = {}  # line -> verdict of the step written there
        self.problems: dict[int, str] = {}  # line -> why it does not parse
        self.current_line: int | None = None  # the running step's line
        self.margin = _Margin(self)
        self._highlighter = StepHighlighter(self.document())
        self.blockCountChanged.connect(self._fit_margin)
        self.updateRequest.connect(self._update_margin)
        self._fit_margin()

    # ------------------------------------------------------------ what the margin shows
    def set_marks(self, marks: dict[int, str], current_line: int | None) -> None:
        self.marks = dict(marks)
        self.current_line = current_line
        if current_line is not None:
            self.show_line(current_line)
        self._refresh()

    def set_problems(self, problems: dict[int, str]) -> None:
        self.problems = dict(problems)
        self._refresh()

    def mark_of(self, line: int) -> str | None:
        """What the margin shows beside ``line``: a bad line outranks an old verdict."""
        return PROBLEM if line in self.problems else self.marks.get(line)

    def show_line(self, line: int) -> None:
        """Put the cursor on ``line`` and scroll it into view."""
        block = self.document().findBlockByNumber(line - 1)
        if block.isValid():
            self.setTextCursor(QTextCursor(block))
            self.ensureCursorVisible()

    def _refresh(self) -> None:
        selections = []
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        tints: dict[int, QColor] = {}
        for line, verdict in self.marks.items():
            if verdict == FAILED:
                tints[line] = QColor(MARK_COLOURS[FAILED])
        for line in self.problems:
            tints[line] = QColor(MARK_COLOURS[PROBLEM])
        if self.current_line is not None:
            tints[self.current_line] = highlight
        for line, colour in tints.items():
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            colour = QColor(colour)
            colour.setAlpha(70)
            selection = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setBackground(colour)
            fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
            if line in self.problems:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                fmt.setUnderlineColor(QColor(MARK_COLOURS[PROBLEM]))
            selection.format = fmt
            selection.cursor = QTextCursor(block)
            selections.append(selection)
        self.setExtraSelections(selections)
        self.margin.update()

    # ------------------------------------------------------------ margin geometry and paint
    def margin_width(self) -> int:
        metrics = self.fontMetrics()
        digits = len(str(max(1, self.blockCount())))
        return 10 + metrics.horizontalAdvance("9") * max(2, digits) + self._mark_width()

    def _mark_width(self) -> int:
        return self.fontMetrics().horizontalAdvance("✓") + 10

    def _fit_margin(self, _count: int = 0) -> None:
        self.setViewportMargins(self.margin_width(), 0, 0, 0)

    def _update_margin(self, rect: QRect, dy: int) -> None:
        if dy:
            self.margin.scroll(0, dy)
        else:
            self.margin.update(0, rect.y(), self.margin.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self.margin.setGeometry(QRect(area.left(), area.top(), self.margin_width(), area.height()))

    def paint_margin(self, margin: QWidget, event: QPaintEvent) -> None:
        painter = QPainter(margin)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.AlternateBase))
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        text = palette.color(QPalette.ColorRole.Text)
        height = self.fontMetrics().height()
        width = margin.width()
        mark_width = self._mark_width()
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        for _ in range(self.blockCount()):  # bounded: at most every block once
            if not block.isValid() or top > event.rect().bottom():
                break
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                line = block.blockNumber() + 1
                font = painter.font()
                font.setBold(line == self.current_line)
                painter.setFont(font)
                painter.setPen(text if line == self.current_line else muted)
                painter.drawText(
                    mark_width,
                    top,
                    width - mark_width - 6,
                    height,
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    str(line),
                )
                kind = self.mark_of(line)
                if kind is not None:
                    font.setBold(True)
                    painter.setFont(font)
                    painter.setPen(QColor(MARK_COLOURS[kind]))
                    painter.drawText(
                        4,
                        top,
                        mark_width - 4,
                        height,
                        Qt.AlignmentFlag.AlignCenter,
                        MARK_GLYPHS[kind],
                    )
            block = block.next()
            top = bottom
        painter.end()

    # ------------------------------------------------------------ tooltips and palette
    def line_at(self, y: int) -> int:
        return self.cursorForPosition(QPoint(0, y)).blockNumber() + 1

    def show_line_tip(self, y: int, global_pos: QPoint) -> None:
        problem = self.problems.get(self.line_at(y))
        if problem:
            QToolTip.showText(global_pos, problem, self)
        else:
            QToolTip.hideText()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            self.show_line_tip(event.pos().y(), event.globalPos())
            return True
        return super().viewportEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._highlighter.rehighlight()  # its colours follow the palette
            self._refresh()
