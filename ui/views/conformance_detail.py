"""One case of a conformance run: its frames in the message log view, its checks, its manual steps.

The frames are shown by the app's own message log panel (filters, request/reply
pairing, JSON detail, export), given a log that holds only this case's frames
(``ui.operations.conformance.case_log``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.conformance.results import CaseResult
from bench.store.messages import MessageLog
from ui.models.conformance_progress import STATE_COLOURS, STATE_TEXT, seconds
from ui.operations import conformance as ops
from ui.views.log_view import LogPanel

CHECK_COLUMNS = ("", "Step", "Message", "Field", "Expected", "Actual")
MANUAL_COLUMNS = ("", "Step", "Action", "By", "Detail")
OK_MARK, BAD_MARK = "✓", "✗"
OK_COLOUR = STATE_COLOURS["pass"]
BAD_COLOUR = STATE_COLOURS["fail"]


def _tree(columns: tuple[str, ...], name: str) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setObjectName(name)
    tree.setHeaderLabels(list(columns))
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setUniformRowHeights(True)
    header = tree.header()
    for column in range(len(columns) - 1):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return tree


class CaseDetail(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: CaseResult | None = None
        self.log: MessageLog | None = None
        self.log_panel: LogPanel | None = None
        self.title = QLabel("Click a case to see its frames and checks.")
        self.title.setObjectName("conformanceCaseTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The reason on a line of its own: a failing check names step, field and both values.
        self.reason = QLabel()
        self.reason.setObjectName("conformanceCaseReason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason.setVisible(False)
        self.frames = QStackedWidget()
        self.no_frames = QLabel("No frames: the case has not finished.")
        self.no_frames.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_frames.setProperty("role", "muted")
        self.frames.addWidget(self.no_frames)
        self.checks = _tree(CHECK_COLUMNS, "conformanceChecks")
        self.manual = _tree(MANUAL_COLUMNS, "conformanceManual")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("conformanceCaseTabs")
        self.tabs.addTab(self.frames, "Frames")
        self.tabs.addTab(self.checks, "Checks")
        self.tabs.addTab(self.manual, "Manual actions")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.reason)
        layout.addWidget(self.tabs, 1)

    def show_case(self, case_id: str, name: str, result: CaseResult | None) -> None:
        self.result = result
        if result is None:
            self.title.setText(f"<b>{case_id}</b> — {_escape(name)}: not finished")
        else:
            colour = STATE_COLOURS[result.verdict]
            verdict = (
                f"<span style='background:{colour}; color:#ffffff; font-weight:600;'>"
                f"&nbsp;{STATE_TEXT[result.verdict]}&nbsp;</span>"
            )
            took = seconds(result.duration_s)
            self.title.setText(f"{verdict}&nbsp; <b>{case_id}</b> — {_escape(name)} · {took}")
        self.reason.setText(result.reason if result is not None else "")
        self.reason.setVisible(bool(result is not None and result.reason))
        self._show_frames(result)
        self._show_checks(result)
        self._show_manual(result)

    def _show_frames(self, result: CaseResult | None) -> None:
        old_panel, old_log = self.log_panel, self.log
        if result is None:
            self.log_panel, self.log = None, None
            self.frames.setCurrentWidget(self.no_frames)
        else:
            self.log = ops.case_log(result)
            self.log_panel = LogPanel(self.log)
            self.log_panel.setObjectName("conformanceFrames")
            # One case, one station: the station filter would only take the search's room.
            self.log_panel.station.setVisible(False)
            self.frames.addWidget(self.log_panel)
            self.frames.setCurrentWidget(self.log_panel)
        self.tabs.setTabText(0, f"Frames ({len(result.frames)})" if result else "Frames")
        if old_panel is not None:
            old_panel.stop()  # no read of its log after the log is closed
            self.frames.removeWidget(old_panel)
            old_panel.deleteLater()
        if old_log is not None:
            old_log.conn.close()

    def _show_checks(self, result: CaseResult | None) -> None:
        self.checks.clear()
        checks = result.checks if result is not None else []
        for check in checks:
            mark = OK_MARK if check.ok else BAD_MARK
            step = "" if check.step is None else str(check.step)
            item = QTreeWidgetItem(
                [mark, step, check.message, check.field, check.expected, check.actual]
            )
            item.setForeground(0, QColor(OK_COLOUR if check.ok else BAD_COLOUR))
            item.setToolTip(5, check.describe())
            self.checks.addTopLevelItem(item)
        failed = sum(1 for c in checks if not c.ok)
        label = f"Checks ({len(checks)}, {failed} failed)" if failed else f"Checks ({len(checks)})"
        self.tabs.setTabText(1, label)

    def _show_manual(self, result: CaseResult | None) -> None:
        self.manual.clear()
        actions = result.manual if result is not None else []
        for action in actions:
            step = "" if action.step is None else str(action.step)
            item = QTreeWidgetItem(
                [
                    OK_MARK if action.done else BAD_MARK,
                    step,
                    action.instruction,
                    action.by,
                    action.detail,
                ]
            )
            item.setForeground(0, QColor(OK_COLOUR if action.done else BAD_COLOUR))
            item.setToolTip(4, action.detail)
            self.manual.addTopLevelItem(item)
        self.tabs.setTabText(2, f"Manual actions ({len(actions)})")

    def clear(self) -> None:
        self.title.setText("Click a case to see its frames and checks.")
        self.reason.setVisible(False)
        self._show_frames(None)
        self._show_checks(None)
        self._show_manual(None)
        self.tabs.setTabText(2, "Manual actions")

    def stop(self) -> None:
        if self.log_panel is not None:
            self.log_panel.stop()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
