"""Which charge point identities a server accepts in the connection URL.

OCPP 2.0.1 defines the identity as an identifierString (part 2 §2.1.4: the
characters ``a-z A-Z 0-9 * - _ = : + | @ .``) without the colon, which would
split the HTTP Basic username from the password (part 4 §3.1.1), of at most 48
characters (SecurityCtrlr.Identity, appendices). OCPP 1.6 sets no rule, but the same one is
a sound default: it refuses path tricks (``../x``), NUL, escape sequences and
newlines that would otherwise reach file names, logs and terminals. The relaxed
rule, for 1.6 fleets with other ids, still refuses control characters, ``/``
and anything past 255 characters.
"""

from __future__ import annotations

import re

MAX_IDENTITY = 48
MAX_RELAXED_IDENTITY = 255
_IDENTIFIER_STRING = re.compile(r"[A-Za-z0-9*\-_=+|@.]+")  # identifierString less ":"
_RELAXED_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f/\\]")


def identity_problem(station_id: str, *, relaxed: bool = False) -> str | None:
    """Why ``station_id`` is refused, or None when it is acceptable."""
    if relaxed:
        if len(station_id) > MAX_RELAXED_IDENTITY:
            return f"longer than {MAX_RELAXED_IDENTITY} characters"
        if _RELAXED_REFUSED.search(station_id) or station_id in (".", ".."):
            return "contains a control character, a slash or a backslash"
        return None
    if len(station_id) > MAX_IDENTITY:
        return f"longer than {MAX_IDENTITY} characters (OCPP 2.0.1 SecurityCtrlr.Identity)"
    if not _IDENTIFIER_STRING.fullmatch(station_id) or station_id in (".", ".."):
        return "not an identifierString without ':': only a-z A-Z 0-9 * - _ = + | @ . are allowed"
    return None
