"""Two columns of PDF text laid out side by side, told apart (OCTT's 1.6 document).

The 1.6 document is text from a PDF with its layout kept: a label column, then
the Charge Point's column and the Central System's column of a scenario, its tool
validations and expected results. The right column starts where the heading
"Central System (...)" starts, give or take a few characters per page; a left
text too long for its column runs into the right one with a single space. A line
is split at the run of two or more spaces nearest that position, or failing one,
at a single space before something that opens a right-hand item ("4. The
Central System ...", "[", "* Step", "(Message").
"""

from __future__ import annotations

import re

_GAP = re.compile(r" {2,}")
_RIGHT_OPENING = re.compile(r"(\d{1,2}\.\s+The\b|\[|\*\s*Step|\(Message|-\s)")
_TOLERANCE = 16  # characters a column start moves between pages of the PDF


def split(line: str, start: int) -> tuple[str, str]:
    """A line's left and right column text; ``start`` is where the right column begins."""
    text = line.rstrip()
    first = len(text) - len(text.lstrip())
    if not text.strip():
        return "", ""
    if first >= start - 3:
        return "", text.strip()
    gaps = [g for g in _GAP.finditer(text) if g.start() > first]
    near = [g for g in gaps if abs(g.end() - start) <= _TOLERANCE]
    if near:
        gap = min(near, key=lambda g: abs(g.end() - start))
        return text[: gap.start()].strip(), text[gap.end() :].strip()
    if len(text) <= start + 2:
        return text.strip(), ""
    # No gap: the left text ran into the right column with a single space.
    spaces = [
        i
        for i in range(max(first, start - _TOLERANCE), min(len(text) - 1, start + 4))
        if text[i] == " " and _RIGHT_OPENING.match(text, i + 1)
    ]
    if spaces:
        cut = min(spaces, key=lambda i: abs(i + 1 - start))
        return text[:cut].strip(), text[cut + 1 :].strip()
    return text.strip(), ""
