"""Sessions as CSV, for spreadsheets and billing checks (the GUI button and ``ocpp-bench export``).

One header row, then one row per session (RFC 4180, UTF-8, ``\\r\\n`` line ends):

- ``start``, ``stop``: ISO 8601 UTC with milliseconds (``2026-03-01T12:00:00.000Z``),
  empty while the session is open (``stop``) or when it never arrived (``start``);
- ``energy_kwh``: three decimals (Wh resolution), empty before any register reading;
- ``cost``: two decimals at the CSMS's price, with ``currency`` when one is configured;
- ``connector``: the 1.6 connectorId or the 2.0.1 evse.connectorId; ``evse``: the
  2.0.1 EVSE id (empty for 1.6);
- ``state``: ``open`` or ``closed``.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from bench.csms.sessions import Session, SessionFilter, parse_time
from bench.ocpp.common.timestamps import iso

CSV_COLUMNS = (
    "station",
    "transaction_id",
    "ocpp",
    "evse",
    "connector",
    "id_tag",
    "start",
    "stop",
    "energy_kwh",
    "cost",
    "currency",
    "stop_reason",
    "meter_values",
    "state",
)


def utc_text(stored: str | None) -> str:
    """A stored timestamp as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (unparsable ones as they came)."""
    value = parse_time(stored)
    if value is None:
        return stored or ""
    return iso(value)


def csv_row(session: Session) -> list[str]:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    return [
        session.station,
        session.transaction_id,
        session.version,
        text(session.evse_id),
        text(session.connector_id),
        text(session.id_tag),
        utc_text(session.start) if session.start else "",
        utc_text(session.stop) if session.stop else "",
        "" if session.energy_kwh is None else f"{session.energy_kwh:.3f}",
        "" if session.cost is None else f"{session.cost:.2f}",
        text(session.currency),
        text(session.stop_reason),
        str(session.meter_values),
        "open" if session.active else "closed",
    ]


def write_sessions_csv(sessions: Iterable[Session], path: str | Path) -> int:
    """Write ``sessions`` to ``path``; returns the number of data rows."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    # newline="": the csv module writes its own \r\n line ends (RFC 4180).
    with open(target, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for session in sessions:
            writer.writerow(csv_row(session))
            count += 1
    return count


class NotACsmsDatabase(ValueError):
    """The file holds no transactions of the built-in CSMS (not written by ``csms --db``)."""


def export_sessions(
    db_path: str | Path, out: str | Path, *, station: str | None = None, text: str = ""
) -> int:
    """``ocpp-bench export --sessions``: the sessions of a CSMS database as CSV.

    Opening the file brings an older one's session columns up to date (the
    ``csms_sessions`` migration). Raises ``NotACsmsDatabase`` for a file without CSMS
    tables, ``sqlite3.DatabaseError`` for one that is no SQLite database, and
    ``StoreFormatError`` for one written by a newer build.
    """
    from bench.csms.storage import CsmsStore

    # Look before opening: CsmsStore would create the CSMS tables in any file.
    probe = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        found = probe.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table'"
            " AND name IN ('csms_transactions', 'csms201_transactions')"
        ).fetchone()
    finally:
        probe.close()
    if found is None:
        raise NotACsmsDatabase(f"{db_path} holds no CSMS sessions (write one with `csms --db`)")
    store = CsmsStore(db_path)
    try:
        where = SessionFilter(station=station, text=text)
        return write_sessions_csv(store.sessions.sessions(where), out)
    finally:
        store.close()
