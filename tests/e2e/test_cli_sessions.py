"""``ocpp-bench export --sessions``: the sessions ``ocpp-bench csms --db`` kept, as CSV (issue 10).

Processes all the way: the CSMS with a price, a 1.6 and a 2.0.1 station charging
through ``ocpp-bench run``, then the export of the CSMS's database. The expected
values come from what the stations sent (their ``--log``), not from the CSMS.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.test_cli import ROOT, _env, bench

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PRICE = 0.3


def start_csms(tmp_path: Path, db: Path) -> tuple[subprocess.Popen[str], str]:
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"TAG-1": "Accepted", "TAG-2": "Accepted"}))
    args = ["csms", "--quiet", "--tags", str(tags), "--db", str(db)]
    args += ["--price", str(PRICE), "--currency", "EUR"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.cli", *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "ws://127.0.0.1:" in line, line
    return proc, line.strip().split()[-1]


def run_station(url: str, station: str, ocpp: str, tag: str, log: Path, tmp_path: Path):
    script = (
        f"plug 1; present {tag}; expect 1 Charging within 3600; wait 600; "
        f"present {tag}; unplug 1; expect 1 Available within 3600"
    )
    command = ["run", "--ocpp", ocpp, "--csms", url, "--id", station, "--speed", "120"]
    command += ["--quiet", "--db", str(tmp_path / f"{station}.db"), "--log", str(log)]
    return subprocess.Popen(
        [sys.executable, "-m", "bench.cli", *command, "--script", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )


def calls(log: Path, action: str) -> list[dict[str, Any]]:
    frames = [json.loads(line) for line in log.read_text().splitlines()]
    return [
        f["payload"]
        for f in frames
        if f["direction"] == "tx" and f["type"] == "CALL" and f["action"] == action
    ]


def registers_201(events: list[dict[str, Any]]) -> list[float]:
    """Energy register readings (Wh) in the TransactionEvents, in sampling order."""
    found = []
    for event in events:
        for mv in event.get("meterValue", ()):
            for sv in mv["sampledValue"]:
                measurand = sv.get("measurand", "Energy.Active.Import.Register")
                if measurand == "Energy.Active.Import.Register" and "phase" not in sv:
                    scale = 1000.0 if sv.get("unitOfMeasure", {}).get("unit") == "kWh" else 1.0
                    found.append((mv["timestamp"], float(sv["value"]) * scale))
    return [wh for _ts, wh in sorted(found, key=lambda item: item[0])]


def test_the_csms_database_exports_one_csv_row_per_session_of_either_version(tmp_path: Path):
    """1.6 §4.8/§4.10 and 2.0.1 E01/E06 sessions as the CSMS stored them: tag, connector or
    EVSE, ISO 8601 UTC times, energy in kWh, cost at --price with --currency."""
    db = tmp_path / "csms.db"
    csms, url = start_csms(tmp_path, db)
    log16, log201 = tmp_path / "cp16.jsonl", tmp_path / "cp201.jsonl"
    try:
        runs = [
            run_station(url, "CP-16", "1.6", "TAG-1", log16, tmp_path),
            run_station(url, "CS-201", "2.0.1", "TAG-2", log201, tmp_path),
        ]
        for run in runs:
            _out, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
    finally:
        csms.terminate()
        csms.wait(10)

    out = tmp_path / "export" / "sessions.csv"
    result = bench("export", "--sessions", "--db", str(db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"2 sessions written to {out}" in result.stdout
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_station = {row["station"]: row for row in rows}
    assert set(by_station) == {"CP-16", "CS-201"}

    # 1.6: energy is meterStop - meterStart, the ids are the CSMS's.
    [start] = calls(log16, "StartTransaction")
    [stop] = calls(log16, "StopTransaction")
    row = by_station["CP-16"]
    assert (row["ocpp"], row["connector"], row["evse"], row["id_tag"]) == ("1.6", "1", "", "TAG-1")
    assert row["transaction_id"] == str(stop["transactionId"])
    assert row["stop_reason"] == stop.get("reason", "Local")
    energy_kwh = (stop["meterStop"] - start["meterStart"]) / 1000.0
    assert energy_kwh > 0.5  # ~11 kW for 10 virtual minutes
    assert row["energy_kwh"] == f"{energy_kwh:.3f}"
    assert (row["cost"], row["currency"]) == (f"{round(energy_kwh * PRICE, 2):.2f}", "EUR")
    sent_mv = sum(len(p["meterValue"]) for p in calls(log16, "MeterValues"))
    sent_mv += len(stop.get("transactionData", ()))
    assert int(row["meter_values"]) == sent_mv > 0
    assert row["state"] == "closed"

    # 2.0.1: energy is the last minus the first register reading of its events.
    events = calls(log201, "TransactionEvent")
    row = by_station["CS-201"]
    assert (row["ocpp"], row["evse"], row["id_tag"]) == ("2.0.1", "1", "TAG-2")
    assert row["transaction_id"] == events[0]["transactionInfo"]["transactionId"]
    ended = events[-1]
    assert ended["eventType"] == "Ended"
    assert row["stop_reason"] == ended["transactionInfo"].get("stoppedReason", "Local")
    readings = registers_201(events)
    energy_kwh = (readings[-1] - readings[0]) / 1000.0
    assert energy_kwh > 0.5
    assert row["energy_kwh"] == f"{energy_kwh:.3f}"
    assert (row["cost"], row["currency"]) == (f"{round(energy_kwh * PRICE, 2):.2f}", "EUR")
    assert int(row["meter_values"]) == sum(len(e.get("meterValue", ())) for e in events)

    for row in rows:
        assert ISO_UTC.match(row["start"]) and ISO_UTC.match(row["stop"]), row
        assert row["start"] < row["stop"]


def test_export_of_sessions_from_a_file_without_csms_tables_is_one_clear_line(tmp_path: Path):
    from bench.store.db import open_database

    station_db = tmp_path / "station.db"
    open_database(station_db).close()  # a station's database: message log, queue, no CSMS
    out = tmp_path / "sessions.csv"
    result = bench("export", "--sessions", "--db", str(station_db), "--out", str(out))
    assert result.returncode == 2
    assert "holds no CSMS sessions" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
