"""JSON text for store rows: orjson, with the standard library as the fallback.

Every queued message, saved state value and logged frame is serialised on the hot
path of a charging fleet, and orjson does it several times faster than ``json``
(issue 15). orjson refuses a few values ``json`` takes (integers past 64 bits, which
a hostile CSMS may send): those go through ``json`` instead, so nothing that was
storable before is refused now.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_json_str = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` (non-string keys as strings, as ``json`` does)."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return _json(value)


def dumps_any(value: Any) -> str:
    """``dumps``, with anything JSON has no type for written as its ``str``."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return _json_str(value)


loads: Callable[[str | bytes], Any] = orjson.loads
