"""How fast the store takes frames: ``.venv/bin/python benchmarks/bench_store.py [--n 200000]``.

Simulates the log traffic of many stations sharing one database: MeterValues
CALLs (about 560 bytes on the wire) and their CALLRESULTs, half of them with
the raw frame attached (the transport's usual case) so both payload paths run.
Prints the cost of ``record()`` alone, of a flushed row, end-to-end records/s,
and a few read, export, JSON Lines and offline-queue figures. Each figure is
the median of ``--repeat`` runs on a fresh database in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.kernel.frames import FrameRecord
from bench.store import JsonlSink, MessageLog, OfflineQueue, open_database
from benchmarks.common import add_common_arguments, check_quiet, emit

T0 = 1_780_000_000.0


def meter_values(n: int, stations: int) -> FrameRecord:
    station = f"CP-{n % stations:05d}"
    if n % 2:
        payload = {"currentTime": "2026-05-29T12:00:00Z"}
        return FrameRecord(T0 + n * 0.001, station, "rx", "CALLRESULT", f"{n - 1}",
                           "MeterValues", payload, True, latency_ms=1.7)  # fmt: skip
    payload = {
        "connectorId": 1,
        "transactionId": 1000 + n % stations,
        "meterValue": [
            {
                "timestamp": "2026-05-29T12:00:00.000Z",
                "sampledValue": [
                    {"value": f"{n * 7.3:.1f}", "measurand": "Energy.Active.Import.Register",
                     "unit": "Wh", "context": "Sample.Periodic", "location": "Outlet"},
                    {"value": "7360.0", "measurand": "Power.Active.Import", "unit": "W",
                     "context": "Sample.Periodic", "location": "Outlet"},
                    {"value": "32.0", "measurand": "Current.Import", "unit": "A", "phase": "L1",
                     "context": "Sample.Periodic", "location": "Outlet"},
                ],
            }
        ],
    }  # fmt: skip
    raw = json.dumps([2, str(n), "MeterValues", payload]) if n % 4 == 0 else None
    return FrameRecord(T0 + n * 0.001, station, "tx", "CALL", str(n), "MeterValues", payload,
                       True, raw=raw)  # fmt: skip


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_once(folder: Path, records: list[FrameRecord], stations: int) -> dict[str, float]:
    n = len(records)
    out: dict[str, float] = {}

    # 1. record() alone: the batch never fills, so this is the hot-path cost.
    conn = open_database(folder / "a.db")
    log = MessageLog(conn, batch_size=n + 1)
    record = log.record
    out["record_us"] = timed(lambda: [record(r) for r in records]) / n * 1e6
    log.flush()
    conn.close()
    # 2. What flushing costs per row, in batches of 500 (only flush() is timed).
    conn = open_database(folder / "f.db")
    log = MessageLog(conn, batch_size=n + 1)
    flush_s = 0.0
    for i in range(0, n, 500):
        for r in records[i : i + 500]:
            log.record(r)
        flush_s += timed(log.flush)
    out["flush_row_us"] = flush_s / n * 1e6
    conn.close()

    # 3. End to end with the automatic threshold, as a session would use it.
    conn = open_database(folder / "b.db")
    log = MessageLog(conn)
    record = log.record

    def end_to_end() -> None:
        for r in records:
            record(r)
        log.close()

    out["records_per_s"] = n / timed(end_to_end)

    # 4. Reads on the filled log.
    out["count_station_ms"] = timed(lambda: log.count(station="CP-00042")) * 1e3
    out["query_station_ms"] = timed(lambda: log.query(station="CP-00042", limit=100)) * 1e3
    out["query_text_ms"] = timed(lambda: log.query(text="Current.Import", limit=100)) * 1e3
    export_s = timed(lambda: log.export_jsonl(folder / "export.jsonl"))
    out["export_rows_per_s"] = n / export_s
    conn.close()

    # 5. JSON Lines file sink.
    sink = JsonlSink(folder / "live.jsonl")

    def jsonl() -> None:
        for r in records:
            sink.record(r)
        sink.close()

    out["jsonl_records_per_s"] = n / timed(jsonl)

    # 6. Offline queue: every push is its own committed transaction.
    conn = open_database(folder / "q.db")
    queues = [OfflineQueue(conn, f"CP-{i:05d}") for i in range(min(stations, 1000))]
    pushes = 5000
    payload = records[0].payload

    def push() -> None:
        for i in range(pushes):
            queues[i % len(queues)].push("MeterValues", payload)

    out["queue_push_per_s"] = pushes / timed(push)
    conn.close()
    return out


LABELS = {
    "record_us": ("record() call", "µs"),
    "flush_row_us": ("flushed row (batches of 500)", "µs"),
    "records_per_s": ("end to end, auto flush", "records/s"),
    "count_station_ms": ("count(station=…)", "ms"),
    "query_station_ms": ("query(station=…, limit=100)", "ms"),
    "query_text_ms": ("query(text=…, limit=100)", "ms"),
    "export_rows_per_s": ("export_jsonl", "rows/s"),
    "jsonl_records_per_s": ("JsonlSink", "records/s"),
    "queue_push_per_s": ("OfflineQueue.push (committed)", "pushes/s"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="frames per run")
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    add_common_arguments(parser)
    args = parser.parse_args()
    load = check_quiet(args)

    records = [meter_values(i, args.stations) for i in range(args.n)]
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
            runs.append(run_once(Path(tmp), records, args.stations))

    print(f"{args.n} frames from {args.stations} stations, median of {args.repeat} runs")
    for key, (label, unit) in LABELS.items():
        values = [r[key] for r in runs]
        med = statistics.median(values)
        spread = f"[{min(values):,.2f}–{max(values):,.2f}]"
        print(f"  {label:<34} {med:>14,.2f} {unit:<10} {spread}")
    emit(args, load, {key: statistics.median(r[key] for r in runs) for key in LABELS})


if __name__ == "__main__":
    main()
