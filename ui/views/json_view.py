"""A read-only pane showing one frame as pretty-printed, syntax-highlighted JSON.

The highlighter's colours follow the palette live: it watches the widget showing
its document for Qt's PaletteChange and highlights again in the other set.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextCharFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from bench.kernel.frames import FrameRecord
from ui.theme import is_dark

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


def dark_palette_in_use() -> bool:
    """True when text is drawn on a dark base (the dark theme): pick lighter colours."""
    return is_dark()


class JsonHighlighter(QSyntaxHighlighter):
    FORMATS = {
        "key": _fmt("#1f5fbf", bold=True),
        "str": _fmt("#2e7d32"),
        "num": _fmt("#b35900"),
        "lit": _fmt("#8e44ad"),
        "head": _fmt("#5f6b6d"),
    }
    DARK_FORMATS = {
        "key": _fmt("#7fb3ff", bold=True),
        "str": _fmt("#8bd48f"),
        "num": _fmt("#ffb86c"),
        "lit": _fmt("#d6a4f0"),
        "head": _fmt("#9aa3ad"),
    }

    def __init__(self, document: Any) -> None:
        super().__init__(document)
        self.formats = self.DARK_FORMATS if dark_palette_in_use() else self.FORMATS
        # The editor showing the document (QPlainTextEdit parents it through its text
        # control): its PaletteChange says when to switch colour sets.
        owner = document.parent()
        for _ in range(4):
            if owner is None or isinstance(owner, QWidget):
                break
            owner = owner.parent()
        if isinstance(owner, QWidget):
            owner.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.PaletteChange and isinstance(watched, QWidget):
            formats = self.DARK_FORMATS if is_dark(watched.palette()) else self.FORMATS
            if formats is not self.formats:
                self.formats = formats
                self.rehighlight()
        return False

    def highlightBlock(self, text: str) -> None:
        if text.startswith("#"):
            self.setFormat(0, len(text), self.formats["head"])
            return
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup or "str"
            self.setFormat(match.start(), match.end() - match.start(), self.formats[kind])


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


def describe_exchange(rec: FrameRecord, partner: FrameRecord | None) -> str:
    """The selected frame and its paired request or reply, in the order they travelled."""
    if rec.type == "CALL":
        if partner is None:
            return describe(rec) + "\n\n# ── no reply in the log (yet) ──"
        first, second, label = rec, partner, "reply"
    elif rec.type in ("CALLRESULT", "CALLERROR"):
        if partner is None:
            return "# ── request not in the log ──\n\n" + describe(rec)
        first, second, label = partner, rec, "reply"
    else:
        return describe(rec)
    gap = ""
    if second.latency_ms is None:
        # No measured latency (e.g. a CALLERROR we sent): the timestamps still tell.
        gap = f"  ·  {(second.ts - first.ts) * 1000:.0f} ms after the request (station clock)"
    selected = "  (selected)"
    head = "# ── request" + (selected if first is rec else "") + " ──"
    tail = f"# ── {label}" + (selected if second is rec else "") + gap + " ──"
    return "\n".join([head, describe(first), "", tail, describe(second)])


class JsonView(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("Select a frame to see its JSON")
        self._highlighter = JsonHighlighter(self.document())

    def show_record(self, rec: FrameRecord | None) -> None:
        self.setPlainText(describe(rec) if rec is not None else "")

    def show_exchange(self, rec: FrameRecord | None, partner: FrameRecord | None) -> None:
        """``rec`` with its paired request or reply (see ``describe_exchange``)."""
        self.setPlainText(describe_exchange(rec, partner) if rec is not None else "")
