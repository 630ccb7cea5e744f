"""What a run was: the station's template, its settings and the scenario it ran.

The message log holds the frames; this table holds what a session bundle
(``bench.bundle``) needs beside them to be read on its own later: the version,
the station template as it was resolved (settings applied), the configuration
keys (1.6) or device model (2.0.1) as the station ended the run, and the script.
One row per station: a newer run of the same station replaces it, as the
station's configuration in ``config_values`` is the newest one too.

A database written by something that is not a bench station (the proxy logs a
real charger's frames) has no row here; readers must say so, never invent one.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bench.store.db import Schema, ensure_schema, register_schema, transaction

RUNS_SCHEMA = register_schema(
    Schema(
        "runs",
        [
            """
            CREATE TABLE station_runs (
                station TEXT PRIMARY KEY,
                started REAL NOT NULL,
                ocpp TEXT NOT NULL,
                template TEXT NOT NULL,
                ev_template TEXT NOT NULL,
                settings TEXT,
                scenario TEXT
            );
            """,
        ],
    )
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


@dataclass(slots=True)
class RunRecord:
    """One station's newest run, as ``RunStore.load`` reads it back."""

    station: str
    started: float  # epoch seconds, the station's clock
    ocpp: str
    template: dict[str, Any]  # the resolved station template's fields
    ev_template: str
    # [{"name", "value", "writable", "secret"}, ...]; None until the run saved them.
    settings: list[dict[str, Any]] | None = None
    scenario: str | None = None  # the script's steps, one per line


class RunStore:
    """The ``station_runs`` table: written by ``bench.runtime``, read by bundle export."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        ensure_schema(conn, RUNS_SCHEMA)
        self.conn = conn

    def begin(self, record: RunRecord) -> None:
        """A new run of ``record.station`` replaces whatever the last one left."""
        with transaction(self.conn):
            self.conn.execute(
                "INSERT OR REPLACE INTO station_runs "
                "(station, started, ocpp, template, ev_template, settings, scenario) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.station,
                    record.started,
                    record.ocpp,
                    _dumps(record.template),
                    record.ev_template,
                    None if record.settings is None else _dumps(record.settings),
                    record.scenario,
                ),
            )

    def save_settings(self, station: str, settings: list[dict[str, Any]]) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE station_runs SET settings = ? WHERE station = ?",
                (_dumps(settings), station),
            )

    def save_scenario(self, station: str, scenario: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE station_runs SET scenario = ? WHERE station = ?", (scenario, station)
            )

    def load(self, station: str) -> RunRecord | None:
        row = self.conn.execute(
            "SELECT station, started, ocpp, template, ev_template, settings, scenario "
            "FROM station_runs WHERE station = ?",
            (station,),
        ).fetchone()
        if row is None:
            return None
        name, started, ocpp, template, ev, settings, scenario = row
        return RunRecord(
            name,
            started,
            ocpp,
            json.loads(template),
            ev,
            None if settings is None else json.loads(settings),
            scenario,
        )
