"""What the sessions table does: write the sessions shown to a CSV file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.csms.sessions import Session
from bench.csms.sessions_csv import write_sessions_csv
from ui.operations import OperationError


def export_sessions(path: str | Path, sessions: Sequence[Session]) -> int:
    """Write ``sessions`` as CSV (``bench.csms.sessions_csv``); returns the row count."""
    try:
        return write_sessions_csv(sessions, path)
    except OSError as exc:
        raise OperationError(f"Cannot write {path}: {exc.strerror or exc}") from None
