"""A bundle from a bench database: the station's frames and whatever else it kept.

Works on a database a bench station wrote (``ocpp-bench run --db``: it has a run
record, ``bench.store.runs``) and on one that only holds frames (the proxy's,
where the station is a real charger): then the bundle's manifest says which
parts are missing and why, and holds the frames, meter trace and version all
the same.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from bench.bundle.format import Bundle
from bench.bundle.meter import meter_trace
from bench.bundle.sides import infer_version, station_view
from bench.store.messages import MessageLog
from bench.store.runs import RunStore

NO_RUN = "the database has no run record for this station (not a bench station's run)"


class NoSuchStation(LookupError):
    """The database holds no frame of the station asked for."""


def stations_in(conn: sqlite3.Connection) -> list[str]:
    """The stations with frames in the message log (for a helpful error message)."""
    MessageLog(conn)  # makes sure the table exists: an empty database has none yet
    return [row[0] for row in conn.execute("SELECT DISTINCT station FROM messages ORDER BY 1")]


def export_bundle(
    conn: sqlite3.Connection,
    station: str,
    *,
    now: datetime,
    scenario: str | None = None,
    conformance: dict[str, Any] | None = None,
) -> Bundle:
    """Collect ``station``'s session from ``conn``.

    ``now`` is when the bundle is made (time is injected, ARCHITECTURE rule 7).
    ``scenario`` and ``conformance`` come from files a user names, for sessions
    whose database does not hold them (a proxied charger driven by hand, a
    conformance run's ``results.json``); a recorded scenario is kept otherwise.
    """
    log = MessageLog(conn)
    try:
        frames = station_view(log.query(station=station))
    finally:
        log.close()  # nothing buffered: this log only reads
    if not frames:
        raise NoSuchStation(station)
    run = RunStore(conn).load(station)
    missing: dict[str, str] = {}
    if run is None:
        missing["template"] = NO_RUN
        missing["settings"] = NO_RUN
    elif run.settings is None:
        missing["settings"] = "the run ended before its settings were saved"
    recorded_scenario = run.scenario if run is not None else None
    if scenario is None and recorded_scenario is None:
        missing["scenario"] = "no script was run (the station was driven by hand or from outside)"
    if conformance is None:
        missing["conformance"] = "no conformance results were given"
    ocpp = run.ocpp if run is not None else infer_version(frames)
    if ocpp is None:
        missing["ocpp"] = "neither a run record nor the frames name the OCPP version"
    return Bundle(
        station=station,
        ocpp=ocpp,
        frames=frames,
        created=now.isoformat(timespec="seconds"),
        source="run" if run is not None else "log",
        template=run.template if run is not None else None,
        ev_template=run.ev_template if run is not None else None,
        settings=run.settings if run is not None else None,
        meter=meter_trace(frames),
        scenario=scenario if scenario is not None else recorded_scenario,
        conformance=conformance,
        missing=missing,
    )
