"""Peer-controlled text made safe to print on a terminal or show in a widget.

Station ids, payloads and error descriptions come from the other side of a
socket. Printed raw, an ESC sequence clears the screen or recolours it and a
newline forges a log line (issue 11). ``printable`` escapes every control
character (C0, DEL and C1) the way Python's ``repr`` would, and leaves all other
text, non-ASCII letters included, as it is.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}"


def printable(text: str) -> str:
    """``text`` with each control character replaced by a visible ``\\xNN`` escape."""
    if _CONTROL.search(text) is None:  # the common case: nothing to do, no copy
        return text
    return _CONTROL.sub(_escape, text)
