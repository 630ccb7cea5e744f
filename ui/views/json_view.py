"""A read-only pane showing one frame as pretty-printed, syntax-highlighted JSON."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from bench.ocpp.log import FrameRecord

_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*"(?=\s*:))|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<num>-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)|(?P<lit>\b(?:true|false|null)\b)"
)


def _fmt(colour: str, bold: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


class JsonHighlighter(QSyntaxHighlighter):
    FORMATS = {
        "key": _fmt("#1f5fbf", bold=True),
        "str": _fmt("#2e7d32"),
        "num": _fmt("#b35900"),
        "lit": _fmt("#8e44ad"),
        "head": _fmt("#7f8c8d"),
    }

    def highlightBlock(self, text: str) -> None:
        if text.startswith("#"):
            self.setFormat(0, len(text), self.FORMATS["head"])
            return
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup or "str"
            self.setFormat(match.start(), match.end() - match.start(), self.FORMATS[kind])


def describe(rec: FrameRecord) -> str:
    """Header lines (starting with #) then the payload as indented JSON."""
    when = datetime.fromtimestamp(rec.ts).isoformat(sep=" ", timespec="milliseconds")
    arrow = "station → CSMS" if rec.direction == "tx" else "CSMS → station"
    lines = [
        f"# {rec.type} {rec.action or ''}  ·  {rec.station}  ·  {arrow}",
        f"# message id {rec.id or '-'}  ·  {when}",
    ]
    if rec.latency_ms is not None:
        lines.append(f"# latency {rec.latency_ms:.1f} ms")
    if rec.valid is False:
        lines.append(f"# INVALID: {rec.error or 'schema violation'}")
    elif rec.type == "CALLERROR":
        lines.append(f"# CALLERROR {rec.error or ''}")
    payload: Any = rec.payload
    body = (
        payload if isinstance(payload, str) else json.dumps(payload, indent=2, ensure_ascii=False)
    )
    return "\n".join([*lines, "", body])


class JsonView(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("Select a frame to see its JSON")
        self._highlighter = JsonHighlighter(self.document())

    def show_record(self, rec: FrameRecord | None) -> None:
        self.setPlainText(describe(rec) if rec is not None else "")
