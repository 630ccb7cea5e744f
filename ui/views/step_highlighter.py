"""Colours for the step language in the scenario editor: verbs, statuses, numbers, comments."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat

from bench.scenarios.steps import GRAMMAR, STATUSES
from ui.views.json_view import dark_palette_in_use

_WORD = re.compile(r"\S+")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def _fmt(colour: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


LIGHT = {
    "verb": _fmt("#1f5fbf", bold=True),
    "status": _fmt("#2e7d32", bold=True),
    "number": _fmt("#b35900"),
    "keyword": _fmt("#8e44ad"),
    "comment": _fmt("#7f8c8d", italic=True),
}
DARK = {
    "verb": _fmt("#7fb3ff", bold=True),
    "status": _fmt("#8bd48f", bold=True),
    "number": _fmt("#ffb86c"),
    "keyword": _fmt("#d6a4f0"),
    "comment": _fmt("#9aa3ad", italic=True),
}


class StepHighlighter(QSyntaxHighlighter):
    """Colours each line by the grammar (``bench.scenarios.steps``); a bad line stays plain
    here, the editor marks it."""

    def __init__(self, document: Any) -> None:
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:
        formats = DARK if dark_palette_in_use() else LIGHT  # follows a palette switch
        code, hash_, _comment = text.partition("#")
        if hash_:
            self.setFormat(len(code), len(text) - len(code), formats["comment"])
        for index, match in enumerate(_WORD.finditer(code)):
            word = match.group()
            if index == 0:
                kind = "verb" if word.lower() in GRAMMAR else None
            elif word in STATUSES:
                kind = "status"
            elif word.lower() == "within":
                kind = "keyword"
            elif _NUMBER.match(word):
                kind = "number"
            else:
                kind = None
            if kind is not None:
                self.setFormat(match.start(), len(word), formats[kind])
