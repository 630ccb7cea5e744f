"""The parts of multi-part reports the built-in CSMS receives, in SQLite.

2.0.1 NotifyReport (B07/B08) and its kin (NotifyMonitoringReport, ...) arrive as
numbered parts: ``requestId`` names the report, ``seqNo`` counts the parts from
0, ``tbc`` is set on all but the last. One row per part keeps the whole payload;
``ReportStore.report`` joins them back into one ``Report``.

The table lives beside the other ``csms_`` tables (``bench.csms.storage``) on the
same connection. It was step 2 of the ``csms`` schema before it moved here, hence
``IF NOT EXISTS``: a file that already has it keeps it, rows and all.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bench.store.db import Schema, ensure_schema, transaction

SCHEMA = Schema(
    "csms_reports",
    [
        """
        CREATE TABLE IF NOT EXISTS csms_report_parts (
            station TEXT NOT NULL,
            kind TEXT NOT NULL,
            request_id INTEGER NOT NULL,
            seq_no INTEGER NOT NULL,
            tbc INTEGER NOT NULL,
            received TEXT NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (station, kind, request_id, seq_no)
        );
        """,
    ],
)


@dataclass(slots=True, frozen=True)
class Report:
    """A multi-part report as received so far: its parts' payloads in ``seqNo`` order.

    ``complete`` once the part without ``tbc`` has arrived and no ``seqNo`` before
    it is missing (2.0.1 B07.FR.10 / B08.FR.14: parts count from 0, ``tbc`` on
    all but the last).
    """

    station: str
    kind: str  # the action that carried the parts, e.g. "NotifyReport"
    request_id: int
    parts: tuple[dict[str, Any], ...]
    received: str  # when the newest part arrived

    @property
    def seq_nos(self) -> tuple[int, ...]:
        return tuple(p["seqNo"] for p in self.parts)

    @property
    def complete(self) -> bool:
        last = self.parts[-1] if self.parts else None
        if last is None or last.get("tbc", False):
            return False
        return self.seq_nos == tuple(range(len(self.parts)))

    def items(self, field: str = "reportData") -> list[Any]:
        """The list ``field`` of every part, joined in ``seqNo`` order."""
        out: list[Any] = []
        for part in self.parts:
            out.extend(part.get(field) or ())
        return out

    @property
    def report_data(self) -> list[dict[str, Any]]:
        """NotifyReport's ReportDataType entries (B07/B08)."""
        return self.items("reportData")

    def find(
        self,
        component: str,
        variable: str,
        *,
        component_instance: str | None = None,
        variable_instance: str | None = None,
        evse: int | None = None,
        connector: int | None = None,
    ) -> dict[str, Any] | None:
        """The ReportDataType entry of one component-variable, or None."""
        for entry in self.report_data:
            comp, var = entry["component"], entry["variable"]
            evse_of = comp.get("evse") or {}
            if (
                comp["name"] == component
                and var["name"] == variable
                and comp.get("instance") == component_instance
                and var.get("instance") == variable_instance
                and evse_of.get("id") == evse
                and evse_of.get("connectorId") == connector
            ):
                return entry
        return None

    def value(
        self, component: str, variable: str, attribute: str = "Actual", **where: Any
    ) -> str | None:
        """The reported value of one attribute (``where`` as for ``find``), or None."""
        entry = self.find(component, variable, **where)
        for attr in (entry or {}).get("variableAttribute", ()):
            if attr.get("type", "Actual") == attribute:
                return attr.get("value")
        return None


class ReportStore:
    """Report parts on a connection owned by someone else (``CsmsStore``)."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        ensure_schema(conn, SCHEMA)
        self.conn = conn

    def add_part(self, station: str, kind: str, received: str, payload: dict[str, Any]) -> None:
        """Keep one part (``requestId``, ``seqNo``, ``tbc`` read from ``payload``).

        A part with ``seqNo`` 0 starts the report afresh: a station may reuse a
        requestId for a later report (ids are the CSMS's choice, but a restarted
        CSMS may choose the same one again). A repeated ``seqNo`` replaces the
        earlier copy.
        """
        request_id, seq_no = payload["requestId"], payload["seqNo"]
        with transaction(self.conn):
            if seq_no == 0:
                self.conn.execute(
                    "DELETE FROM csms_report_parts WHERE station = ? AND kind = ?"
                    " AND request_id = ?",
                    (station, kind, request_id),
                )
            self.conn.execute(
                "INSERT OR REPLACE INTO csms_report_parts"
                " (station, kind, request_id, seq_no, tbc, received, payload)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    station,
                    kind,
                    request_id,
                    seq_no,
                    int(bool(payload.get("tbc", False))),
                    received,
                    json.dumps(payload),
                ),
            )

    def report(self, station: str, request_id: int, kind: str = "NotifyReport") -> Report | None:
        """The parts of one report received so far, or None if none has arrived."""
        rows = self.conn.execute(
            "SELECT received, payload FROM csms_report_parts"
            " WHERE station = ? AND kind = ? AND request_id = ? ORDER BY seq_no",
            (station, kind, request_id),
        ).fetchall()
        if not rows:
            return None
        parts = tuple(json.loads(r[1]) for r in rows)
        return Report(station, kind, request_id, parts, max(r[0] for r in rows))

    def report_ids(self, station: str, kind: str = "NotifyReport") -> list[int]:
        """The request ids with at least one part, oldest request first."""
        rows = self.conn.execute(
            "SELECT request_id, MIN(rowid) AS first FROM csms_report_parts"
            " WHERE station = ? AND kind = ? GROUP BY request_id ORDER BY first",
            (station, kind),
        )
        return [r[0] for r in rows]
