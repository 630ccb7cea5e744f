"""Values a schema allows but storage cannot hold: refused before they reach SQLite.

The schemas say "integer" without bounds and "date-time" by pattern, so a peer
can send meterStart = 2^63 (SQLite's INTEGER is 64-bit: OverflowError, once
answered InternalError), a timestamp in year 0000 (no such datetime) or, in
1.6, connectorId = -1 (1.6 §7: 0 is the charge point, connectors count from
1). Each gets a PropertyConstraintViolation naming the field (OCPP-J 1.6
§4.2.3, 2.0.1 part 4 §4.3: "at least one field contains an invalid value").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bench.ocpp.errors import ErrorKind, OcppError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Keys whose string values are instants (date-time in both versions' schemas).
_INSTANT_KEYS = frozenset(
    {
        "timestamp",
        "startTime",
        "startSchedule",
        "expiryDate",
        "validFrom",
        "validTo",
        "cacheExpiryDateTime",
        "currentTime",
        "retrieveDateTime",
        "installDateTime",
    }
)
_MAX_NODES = 100_000  # the session bounds depth and size; this bounds the walk itself


def check_storable(version: str, payload: Any) -> None:
    """Raise ``OcppError`` (PropertyConstraintViolation) for the first unstorable value."""
    stack: list[tuple[str, Any]] = [("", payload)]
    for _ in range(_MAX_NODES):
        if not stack:
            return
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(value, dict | list):
                    stack.append((where, value))
                else:
                    _check_value(version, str(key), where, value)
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(node))
        else:
            _check_value(version, "", path, node)


def _check_value(version: str, key: str, where: str, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        if not INT64_MIN <= value <= INT64_MAX:
            raise OcppError(
                ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
                f"{where}: {value} is outside the 64-bit integer range",
            )
        if version == "1.6" and key == "connectorId" and value < 0:
            raise OcppError(
                ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
                f"{where}: connector ids are 0 (the charge point) or greater",
            )
    elif isinstance(value, str) and key in _INSTANT_KEYS:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise OcppError(
                ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
                f"{where}: {value[:40]!r} is not a valid instant",
            ) from None
