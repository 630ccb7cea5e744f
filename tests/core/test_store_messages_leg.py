"""The message log's ``leg`` column: where the proxy saw a frame (issue 17, bench/proxy)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.kernel.frames import FrameRecord
from bench.store.db import open_database, schema_version
from bench.store.messages import SCHEMA, MessageLog


def _frame(leg: str | None, n: int = 0) -> FrameRecord:
    return FrameRecord(1.0 + n, "CP-1", "tx", "CALL", f"m{n}", "Heartbeat", {}, True, leg=leg)


def test_each_row_keeps_its_leg_and_queries_filter_by_it(tmp_path: Path) -> None:
    db = open_database(tmp_path / "bench.db")
    log = MessageLog(db)
    for n, leg in enumerate(("charger", "csms", None)):
        log.record(_frame(leg, n))
    assert [r.leg for r in log.query()] == ["charger", "csms", None]
    assert [r.id for r in log.query(leg="csms")] == ["m1"]
    assert log.count(leg="charger") == 1
    assert _frame("csms").as_json_dict()["leg"] == "csms"
    assert "leg" not in _frame(None).as_json_dict()  # a station's own log reads as before
    log.close()
    db.close()


def test_a_log_from_before_the_proxy_gets_the_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)  # the layout of the steps before the leg column
    for step in SCHEMA.steps[:-1]:
        old.executescript(step)
    old.execute("CREATE TABLE schema_version (module TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    old.execute("INSERT INTO schema_version VALUES ('messages', ?)", (SCHEMA.version - 1,))
    old.execute(
        "INSERT INTO messages (ts, station, direction, type, msg_id, action, payload, valid)"
        " VALUES (1.0, 'CP-1', 'tx', 'CALL', 'old', 'Heartbeat', '{}', 1)"
    )
    old.commit()
    old.close()
    db = open_database(path)
    log = MessageLog(db)
    assert schema_version(db, "messages") == SCHEMA.version
    (row,) = log.query()
    assert (row.id, row.leg) == ("old", None)
    log.record(_frame("csms", 1))
    assert [r.leg for r in log.query()] == [None, "csms"]
    log.close()
    db.close()


def test_the_terminal_line_of_a_proxied_frame_names_its_leg() -> None:
    from bench.store.sinks import ConsoleSink

    sink = ConsoleSink(colour=False)
    assert " CP-1 → csms CALL Heartbeat " in sink.format(_frame("csms"))
    assert " CP-1 → CALL Heartbeat " in sink.format(_frame(None))
