"""Manual actions as dialogs: the desktop app's ``Prompter`` (``bench.conformance.manual``).

A case that needs something done on the CSMS by hand ("Request the CSMS to get
OCPPCommCtrlr.OfflineThreshold") awaits ``DialogPrompter.perform``: a dialog shows
the instruction, the case and the step, with **Done** and **Cannot do**. The
dialog is not modal and nothing calls ``exec()``: the coroutine awaits a future
the dialog's ``finished`` signal resolves, so the event loop (qasync) keeps
running the station, the CSMS and the window's Stop button meanwhile. Stopping
the run cancels the await and the dialog closes with it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bench.conformance.manual import ManualOutcome, ManualRequest
from ui.models.conformance_progress import PILL_TEXT, RUNNING, STATE_COLOURS

CANNOT_DO = 2  # the dialog's result code for "Cannot do" (Accepted = Done, Rejected = closed)
SHOWN_ELSEWHERE = ("action", "request")  # the request box below shows them
FACT_NAMES = {
    "station_id": "Station",
    "variables": "Variables",
    "statuses": "Answers",
    "connector_id": "Connector",
    "token": "Id token",
}
# What a person at a real charger has no use for: the bench's own EV template (a
# physical step names the EV to use in its instruction when it matters).
HIDDEN_AT_THE_CHARGER = ("ev_template",)
MAX_REQUEST_LINES = 16
ACCENT = STATE_COLOURS[RUNNING]  # the case waiting for the answer is the running one


def _request_text(params: dict[str, Any]) -> str:
    """The request the case expects the CSMS to send, as a person would type it in."""
    action, request = params.get("action"), params.get("request")
    if not action:
        return ""
    body = json.dumps(request, indent=2, ensure_ascii=False) if request is not None else "{}"
    return f"{action}Request\n{body}"


class ManualPromptDialog(QDialog):
    """One manual action: what to do, where in which case, and the two answers."""

    def __init__(self, request: ManualRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.setObjectName("manualPrompt")
        # A charger case's steps are physical ones at the charger (plug in, present a card).
        physical = request.case_id.endswith("_CS")
        kind = "Physical step" if physical else "Manual action"
        self.setWindowTitle(f"{kind} — {request.case_id}")
        self.setModal(False)  # the run's window (Stop) stays usable
        self.setMinimumWidth(520)

        step = f" · step {request.step}" if request.step is not None else ""
        # A band in the colour of a running case, and a frame of the same colour: the
        # prompt stands out from the window under it, with or without a window manager's
        # title bar (which may not show: a kiosk, a bare X server), and says what it is.
        self.where = QLabel(f"{kind.upper()}  ·  {request.case_id}{step}")
        self.where.setObjectName("manualWhere")
        self.where.setStyleSheet(
            f"QLabel {{ background: {ACCENT}; color: {PILL_TEXT}; font-weight: 600;"
            " padding: 7px 18px; }"
        )
        self.instruction = QLabel(request.instruction)
        self.instruction.setObjectName("manualInstruction")
        self.instruction.setProperty("role", "cardTitle")
        self.instruction.setWordWrap(True)
        self.instruction.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        card = QFrame()
        card.setObjectName("manualCard")
        card.setStyleSheet(f"QFrame#manualCard {{ border: 1px solid {ACCENT}; }}")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(card)
        frame_layout = QVBoxLayout(card)
        frame_layout.setContentsMargins(1, 1, 1, 1)
        frame_layout.setSpacing(0)
        frame_layout.addWidget(self.where)
        layout = QVBoxLayout()
        layout.setContentsMargins(18, 12, 18, 14)
        layout.setSpacing(8)
        frame_layout.addLayout(layout)
        layout.addWidget(self.instruction)

        facts = QFormLayout()
        facts.setContentsMargins(0, 4, 0, 4)
        facts.setHorizontalSpacing(14)
        facts.setVerticalSpacing(2)
        self.facts: dict[str, str] = {}
        for key, value in request.params.items():
            if key in SHOWN_ELSEWHERE or value is None:
                continue
            if physical and key in HIDDEN_AT_THE_CHARGER:
                continue
            shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            self.facts[key] = shown
            name = QLabel(FACT_NAMES.get(key, key.replace("_", " ").capitalize()))
            name.setProperty("role", "fieldName")
            text = QLabel(shown)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            facts.addRow(name, text)
        layout.addLayout(facts)

        text = _request_text(request.params)
        self.expected = QPlainTextEdit(text)
        self.expected.setObjectName("manualRequest")
        self.expected.setReadOnly(True)
        self.expected.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        lines = min(MAX_REQUEST_LINES, text.count("\n") + 1)
        metrics = self.expected.fontMetrics()
        self.expected.setFixedHeight(metrics.lineSpacing() * lines + 14)
        expected_label = QLabel("What the case expects the CSMS to send:")
        expected_label.setProperty("role", "fieldName")
        for widget in (expected_label, self.expected):
            widget.setVisible(bool(text))
            layout.addWidget(widget)

        where = "at the charging station" if physical else "on the CSMS"
        hint = QLabel(f"Do it {where}, then press Done. The case waits for your answer.")
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        layout.addWidget(hint)

        buttons = QDialogButtonBox()
        self.done_button = QPushButton("Done")
        self.done_button.setObjectName("manualDone")
        self.done_button.setDefault(True)
        self.cannot_button = QPushButton("Cannot do")
        self.cannot_button.setObjectName("manualCannot")
        self.cannot_button.setToolTip("The case ends inconclusive, saying this step was not done")
        buttons.addButton(self.done_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cannot_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.done_button.clicked.connect(self.accept)
        self.cannot_button.clicked.connect(lambda: self.done(CANNOT_DO))
        layout.addWidget(buttons)


def outcome_of(code: int) -> ManualOutcome:
    """The dialog's result as the case reads it."""
    if code == QDialog.DialogCode.Accepted:
        return ManualOutcome(True, "operator", "done")
    if code == CANNOT_DO:
        return ManualOutcome(False, "operator", "the operator answered Cannot do")
    return ManualOutcome(False, "operator", "the prompt was closed without an answer")


def place_beside_progress(dialog: QDialog, parent: QWidget) -> None:
    """Bottom left of ``parent``: over the run's form (locked while it runs), clear of the
    table where verdicts land, rather than in the middle where Qt centres a dialog."""
    if not parent.isVisible():
        return
    dialog.adjustSize()
    frame = parent.frameGeometry()
    margin = 24
    x = frame.left() + margin
    y = frame.bottom() - dialog.height() - 4 * margin
    dialog.move(x, max(frame.top() + margin, y))


class DialogPrompter:
    """Asks the operator through a ``ManualPromptDialog`` over ``parent``.

    ``on_prompt`` hears of the dialog as it opens and (with None) as it closes, so
    the window can say that the run waits for the operator.
    """

    def __init__(
        self,
        parent: QWidget,
        on_prompt: Callable[[ManualPromptDialog | None], None] | None = None,
    ) -> None:
        self.parent = parent
        self.dialog: ManualPromptDialog | None = None  # the one open now (tests read it)
        self._on_prompt = on_prompt or (lambda _dialog: None)

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        dialog = ManualPromptDialog(request, self.parent)
        answered: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def finished(code: int) -> None:
            if not answered.done():
                answered.set_result(code)

        dialog.finished.connect(finished)
        self.dialog = dialog
        place_beside_progress(dialog, self.parent)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        self._on_prompt(dialog)
        try:
            code = await answered
        finally:
            # Answered, or the run stopped under the dialog: it goes either way.
            self.dialog = None
            dialog.finished.disconnect(finished)
            if dialog.isVisible():
                dialog.reject()
            dialog.deleteLater()
            self._on_prompt(None)
        return outcome_of(code)
