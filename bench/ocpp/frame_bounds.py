"""Bounds on what a peer may send in one OCPP-J frame, and reading a frame's head.

Issue 11: a 1,000-level payload broke the message log and then the session. Both
bounds are far above anything OCPP defines: the deepest 2.0.1 schema nests about
8 levels, and the largest legitimate frames (reports, local lists, certificate
chains) stay well under a megabyte. The transport's own limit
(bench/transport/websocket.py, MAX_FRAME_BYTES) is higher still, so a frame
between the two gets a CALLERROR instead of a closed connection.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 32
MAX_FRAME_CHARS = 2 * 1024 * 1024
# Kept in the log for a frame refused for its size: enough to recognise it.
LOGGED_PREFIX_CHARS = 2048
_HEAD_RE = re.compile(r'^\s*\[\s*(\d)\s*,\s*"((?:[^"\\]|\\.){1,64})"')


def read_head(text: str) -> tuple[int, str] | None:
    """The message type and id at the start of a frame that was not parsed, if legible."""
    match = _HEAD_RE.match(text)
    if match is None:
        return None
    return int(match.group(1)), match.group(2)


def nesting_depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` holds containers nested deeper than ``limit`` levels.

    ``value`` itself is level 1. The recursion stops ``limit`` levels down, so a
    hostile frame cannot exhaust the interpreter's stack here. Exact type checks
    (parsed JSON holds plain dicts and lists) and no per-node allocation: this runs
    for every frame with more than ``MAX_DEPTH`` brackets, MeterValues included.
    """
    kind = type(value)
    if kind is not dict and kind is not list:
        return False
    return _deeper_than(value, limit)


def _deeper_than(node: dict | list, levels: int) -> bool:
    # ``node`` is a container at the last level still allowed when ``levels`` is 1.
    if levels <= 0:
        return True
    children = node.values() if type(node) is dict else node
    for child in children:
        kind = type(child)
        if (kind is dict or kind is list) and _deeper_than(child, levels - 1):
            return True
    return False


def too_deep(text: str, frame: Any) -> bool:
    """``frame`` (parsed from ``text``) nests deeper than ``MAX_DEPTH``."""
    # Counting brackets runs in C: a frame with fewer openers than the limit cannot
    # nest deeper than it, which spares the walk for nearly every real frame.
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    return nesting_depth_exceeds(frame, MAX_DEPTH)
