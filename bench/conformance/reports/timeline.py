"""A case's frames in the order they happened, and the clock readings a report shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def frame_time(frame: dict[str, Any]) -> datetime:
    """When a frame travelled: its ``ts`` (ISO 8601, as ``FrameRecord.as_json_dict`` writes it)."""
    stamp = datetime.fromisoformat(frame["ts"])
    # A stamp without an offset is read as UTC, the zone every frame of the bench is written in.
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def in_time_order(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The frames sorted by time; frames of the same millisecond keep their recorded order."""
    return sorted(frames, key=frame_time)


def utc_iso(epoch_s: float) -> str:
    """An epoch time as a UTC ISO 8601 stamp to the second: ``2025-03-04T05:06:07Z``."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def readable_duration(seconds: float) -> str:
    """``0.42 s``, ``12.3 s``, ``4 min 05 s``, ``1 h 02 min 03 s``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    return f"{minutes} min {secs:02d} s"
