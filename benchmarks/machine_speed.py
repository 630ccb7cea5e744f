"""How fast this machine runs the kind of work the bench does, right now.

Two-core machines of the same CPU model have measured the same code at figures up
to twice apart (issue 15: the 1,000-station benchmark gave 2.78 % of a core one day
and 1.18-1.50 % the next). ``make bench`` therefore times a fixed reference workload
before each run and prints it beside the figures: a reader compares their
reference time with the table's before comparing anything else.

The workload mixes what a charging station spends its CPU on: building a
MeterValues payload from Python objects, serialising and parsing it with orjson,
formatting timestamps and numbers, and inserting rows into an SQLite table. It
uses no I/O beyond an in-memory database and no event loop, so it measures the
interpreter and the CPU, not the disk or the scheduler.

    .venv/bin/python benchmarks/machine_speed.py
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import orjson

ROUNDS = 2_000  # ~30 ms a repeat on the machines of issue 15
CONTEXT = "Sample.Periodic"
MEASURANDS = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage")


def _workload(rounds: int) -> int:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE rows (ts REAL, station TEXT, payload TEXT)")
    db.execute("CREATE INDEX rows_station ON rows (station, ts)")
    checksum = 0
    for i in range(rounds):
        stamp = datetime.fromtimestamp(1_800_000_000 + i, UTC).isoformat()
        payload = {
            "connectorId": 1,
            "transactionId": i,
            "meterValue": [
                {
                    "timestamp": stamp,
                    "sampledValue": [
                        {"value": f"{i * 0.37 + k:.1f}", "measurand": m, "context": CONTEXT}
                        for k, m in enumerate(MEASURANDS)
                    ],
                }
            ],
        }
        text = orjson.dumps([2, str(i), "MeterValues", payload]).decode()
        checksum += len(orjson.loads(text)[3]["meterValue"][0]["sampledValue"])
        db.execute("INSERT INTO rows VALUES (?, ?, ?)", (float(i), f"CP{i % 97:05d}", text))
    db.close()
    return checksum


def reference_ms(repeats: int = 5) -> float:
    """The fastest of ``repeats`` timings of the reference workload, in milliseconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        _workload(ROUNDS)
        best = min(best, time.perf_counter() - start)
    return best * 1000


if __name__ == "__main__":
    print(f"reference workload           {reference_ms():.1f} ms (fastest of 5; lower is faster)")
