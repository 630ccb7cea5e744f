"""Values a schema allows but storage cannot hold: refused before they reach SQLite.

The schemas say "integer" without bounds and "date-time" by pattern, so a peer
can send meterStart = 2^63 (SQLite's INTEGER is 64-bit: OverflowError, once
answered InternalError), a timestamp in year 0000 (no such datetime) or, in
1.6, connectorId = -1 (1.6 §7: 0 is the charge point, connectors count from
1). Each gets a PropertyConstraintViolation naming the field (OCPP-J 1.6
§4.2.3, 2.0.1 part 4 §4.3: "at least one field contains an invalid value").
"""

from __future__ import annotations

from typing import Any

from bench.csms.storage import parse_instant
from bench.ocpp.errors import ErrorKind, OcppError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Keys whose string values are instants: every date-time field of both versions'
# schemas (each of these names is a date-time wherever it appears). The CSMS parses
# some of them later (timeBase against a TxProfile's startSchedule, K15), so none may
# hold an instant that does not exist.
INSTANT_KEYS = frozenset(
    {
        "cacheExpiryDateTime",
        "currentTime",
        "departureTime",
        "endDateTime",
        "expiryDate",
        "expiryDateTime",
        "generatedAt",
        "installDateTime",
        "latestTimestamp",
        "oldestTimestamp",
        "retrieveDate",
        "retrieveDateTime",
        "scheduleStart",
        "startDateTime",
        "startSchedule",
        "startTime",
        "stopTime",
        "timeBase",
        "timestamp",
        "validFrom",
        "validTo",
    }
)
# A link of the trail from the payload's root to a container: (parent's trail, key or index).
_Trail = tuple["_Trail", str | int] | None


def check_storable(version: str, payload: Any) -> None:
    """Raise ``OcppError`` (PropertyConstraintViolation) for the first unstorable value.

    This runs on every CALL a station sends, so the walk is kept cheap for the
    payloads that pass (nearly all): exact type checks, and a field's path is only
    spelled out for the value that fails. The walk has no node limit of its own:
    the session bounds a frame to ``MAX_FRAME_CHARS``, and a value left unchecked
    past a limit is exactly what a hostile station would hide behind filler.
    """
    v16 = version == "1.6"
    stack: list[tuple[Any, _Trail]] = [(payload, None)]
    pop, push = stack.pop, stack.append
    while stack:
        node, trail = pop()
        kind = type(node)
        if kind is dict:
            items: Any = node.items()
        elif kind is list:
            items = enumerate(node)
        else:
            _check_scalar(v16, "", node, trail)
            continue
        for key, value in items:
            kind = type(value)
            if kind is dict or kind is list:
                push((value, (trail, key)))
            elif kind is int:
                if value > INT64_MAX or value < INT64_MIN or (v16 and value < 0):
                    _check_scalar(v16, key, value, (trail, key))
            elif kind is str and key in INSTANT_KEYS and not _is_instant(value):
                _check_scalar(v16, key, value, (trail, key))


def _is_instant(text: str) -> bool:
    return parse_instant(text) is not None


def _where(trail: _Trail) -> str:
    """``meterValue[0].timestamp`` for the trail of that field."""
    parts: list[str] = []
    while trail is not None:
        trail, key = trail
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return "".join(reversed(parts)).lstrip(".")


def _check_scalar(v16: bool, key: str | int, value: Any, trail: _Trail) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        if not INT64_MIN <= value <= INT64_MAX:
            raise OcppError(
                ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
                f"{_where(trail)}: {value} is outside the 64-bit integer range",
            )
        if v16 and key == "connectorId" and value < 0:
            raise OcppError(
                ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
                f"{_where(trail)}: connector ids are 0 (the charge point) or greater",
            )
    elif isinstance(value, str) and key in INSTANT_KEYS and not _is_instant(value):
        raise OcppError(
            ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
            f"{_where(trail)}: {value[:40]!r} is not a valid instant",
        )
