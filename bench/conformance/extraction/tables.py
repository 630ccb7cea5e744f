"""The HTML tables of a Markdown document as rows of cells (OCPP 2.0.1 parts 5 and 6).

The documents were converted from PDF: each table is a ``<table>`` of ``<tr>``
and ``<td>`` with ``colspan``/``rowspan``; cell text keeps the document's line
breaks and HTML entities. A few cells hold a bare ``<Configured ...>`` placeholder
that is text, not a tag, so anything but table markup is escaped before parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_NOT_TABLE_MARKUP = re.compile(r"<(?!/?(?:table|tr|td)\b)", re.IGNORECASE)
_CAPTION = re.compile(r"^Table \d+\.\s*(.*)$", re.MULTILINE)
# "# 3.3. B Provisioning", and part 5's "4.3. Test Cases Advanced Security" (no "#").
_HEADING = re.compile(r"^(#+\s|\d+\.\d+\.\s+[A-Z])")


@dataclass(slots=True)
class Cell:
    text: str  # entities resolved, line breaks kept
    colspan: int = 1
    rowspan: int = 1


@dataclass(slots=True)
class Table:
    caption: str  # "Test Case Id: TC_B_01_CSMS", "" for a table with none
    heading: str  # the last Markdown heading before the table ("3.3. B Provisioning")
    rows: list[list[Cell]] = field(default_factory=list)
    line: int = 0  # where it starts in the document (1-based), for messages


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[Cell]] = []
        self._cell: Cell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            spans = {k: int(v) for k, v in attrs if k in ("colspan", "rowspan") and v}
            self._cell = Cell("", spans.get("colspan", 1), spans.get("rowspan", 1))
            if not self.rows:  # a cell outside any row: give it one
                self.rows.append([])
            self.rows[-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data


def tables(markdown: str) -> list[Table]:
    """Every ``<table>`` of the document, with its caption and section heading."""
    out: list[Table] = []
    heading = ""
    caption = ""
    position = 0
    for match in re.finditer(r"<table>(.*?)</table>", markdown, re.DOTALL | re.IGNORECASE):
        before = markdown[position : match.start()]
        for line in before.splitlines():
            if _HEADING.match(line):
                heading = line.lstrip("#").strip()
        captions = _CAPTION.findall(before)
        caption = captions[-1].strip() if captions else ""
        parser = _TableParser()
        parser.feed(_NOT_TABLE_MARKUP.sub("&lt;", match.group(1)))
        parser.close()
        number = markdown.count("\n", 0, match.start()) + 1
        out.append(Table(caption, heading, parser.rows, number))
        position = match.end()
    return out
