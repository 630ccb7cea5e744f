"""A JSON editor for one request payload, checked against its OCPP version's schema as the
user types (1.6 or 2.0.1, whichever the target station speaks).

The first problem (a JSON syntax error with its line and column, or the first
schema violation) is shown under the editor; ``valid`` says whether the text
may be sent. Validation is a compiled fastjsonschema call, microseconds, so it
runs on every keystroke without a debounce.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from bench.csms.console import PayloadError, parse_payload
from ui.views.json_view import JsonHighlighter, dark_palette_in_use


class PayloadEditor(QWidget):
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action: str | None = None
        self.version = "1.6"
        self.payload: dict[str, Any] | None = None
        self.error: str | None = "no action chosen"

        self.text = QPlainTextEdit()
        self.text.setObjectName("payloadEditor")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTabChangesFocus(True)
        self._highlighter = JsonHighlighter(self.text.document())
        self.status = QLabel()
        self.status.setObjectName("payloadStatus")
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status)
        self.text.textChanged.connect(self.check)

    @property
    def valid(self) -> bool:
        return self.error is None

    def set_payload(self, action: str, payload: dict[str, Any], version: str = "1.6") -> None:
        self.action = action
        self.version = version
        self.text.setPlainText(json.dumps(payload, indent=2, ensure_ascii=False))
        self.check()  # also when the text did not change but the action did

    def set_text(self, text: str) -> None:
        self.text.setPlainText(text)

    def check(self) -> bool:
        was = self.valid
        if self.action is None:
            self.payload, self.error = None, "no action chosen"
        else:
            try:
                self.payload = parse_payload(self.action, self.text.toPlainText(), self.version)
                self.error = None
            except PayloadError as exc:
                self.payload, self.error = None, str(exc)
        if self.error is None:
            self.status.setText(f"✓ valid {self.action} request (OCPP {self.version} schema)")
            self.status.setStyleSheet(
                f"color: {'#8bd48f' if dark_palette_in_use() else '#2e7d32'};"
            )
        else:
            self.status.setText(f"✗ {self.error}")
            red = "#ff7b6b" if dark_palette_in_use() else "#c0392b"
            self.status.setStyleSheet(f"color: {red}; font-weight: 600;")
        if was != self.valid:
            self.validity_changed.emit(self.valid)
        return self.valid
