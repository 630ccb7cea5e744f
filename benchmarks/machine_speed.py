"""How fast this machine runs the kind of work the bench does, right now.

Two-core machines of the same CPU model have measured the same code at figures up
to twice apart (issue 15: the 1,000-station benchmark gave 2.78 % of a core one day
and 1.18-1.60 % the next), and one machine changes speed within seconds: the
reference workload below took 17.5 ms and 28.3 ms a few seconds apart on a quiet
machine (a virtual machine shares its host). ``make bench`` therefore times the
workload every few seconds while each benchmark runs (``SpeedProbe``, a thread of
``run_all.py``, whose benchmarks run as subprocesses) and prints the median beside
the figures: a reader compares their reference time with the table's before
comparing anything else.

The workload mixes what a charging station spends its CPU on: building a
MeterValues payload from Python objects, serialising and parsing it with orjson,
formatting timestamps and numbers, and inserting rows into an SQLite table. It
uses no I/O beyond an in-memory database and no event loop, so it measures the
interpreter and the CPU, not the disk or the scheduler.

    .venv/bin/python benchmarks/machine_speed.py
"""

from __future__ import annotations

import sqlite3
import threading
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


class SpeedProbe:
    """Times one pass of the workload every ``period`` seconds until stopped.

    A pass takes 20-30 ms of one core, so every 5 s it adds well under 1 % of one
    core beside the benchmark, in a thread of the caller (``make bench`` runs each
    benchmark as a subprocess and only waits for it meanwhile). Beside a benchmark
    that keeps both cores busy (bench_messages) the probe competes for them, and its
    figure then shows that as much as the machine; so do the passes during any
    benchmark's boot. The minimum is the machine's uncontended speed.
    """

    def __init__(self, period: float = 5.0) -> None:
        self.period = period
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="speed-probe", daemon=True)

    def _run(self) -> None:
        _workload(ROUNDS)  # first pass warms the caches up: not kept
        for _ in range(1_000_000):  # bounded: ~58 days at 5 s
            start = time.perf_counter()
            _workload(ROUNDS)
            self.samples.append((time.perf_counter() - start) * 1000)
            if self._stop.wait(self.period):
                return

    def __enter__(self) -> SpeedProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


if __name__ == "__main__":
    print(f"reference workload           {reference_ms():.1f} ms (fastest of 5; lower is faster)")
