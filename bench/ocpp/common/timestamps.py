"""OCPP dateTime text: the one spelling the bench writes, and the reading of any spelling.

Both versions write UTC with millisecond precision and a ``Z`` suffix
(``2026-03-01T12:00:00.000Z``), as 1.6 §3.11 (errata) recommends; 2.0.1 uses the
same RFC 3339 date-time. A CSMS may send any RFC 3339 spelling (an offset
instead of ``Z``, more or fewer fraction digits): the readers take them all and
keep the offset they were given. A time without an offset is read as UTC
(1.6 §3.14 errata: UTC is meant), so it compares with the station's clock.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(ts: datetime) -> str:
    """OCPP dateTime: UTC with millisecond precision and a Z suffix."""
    if ts.tzinfo is not UTC:
        ts = ts.astimezone(UTC)
    # isoformat is a third of strftime's cost, and this runs for every meter value.
    return ts.isoformat(timespec="milliseconds")[:-6] + "Z"


def read_iso(text: str) -> datetime:
    """An OCPP dateTime as an aware datetime; ValueError when it names no instant."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_iso(text: str) -> datetime | None:
    """An OCPP dateTime as an aware datetime; None when unreadable."""
    try:
        return read_iso(text)
    except ValueError:
        return None
