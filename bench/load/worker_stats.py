"""What a load run measures about itself, kept apart from Locust's request statistics.

Locust's request table is for the CSMS: OCPP calls and connections, and their
failures. The worker's own health (how late its event loop wakes, how late Locust's
gevent hub wakes (its heartbeats to the master depend on it), how long the
garbage collector stopped it) and the stations' progress (booted, connected) are
not requests: counted there they would swell the "Aggregated" row and the RPS.
They live here instead and travel their own way (``bench.load.locustfile``):

- ``ProcessStats`` is filled on the stations' asyncio thread and emptied, as one
  ``report`` (a JSON-able dict of what happened since the last one), by the
  Locust side of the same process. A lock guards the swap: two OS threads.
- ``RunTotals`` merges the reports of every process of a run (Locust's
  ``report_to_master`` / ``worker_report`` in a distributed run, a timer in a
  single process) into a summary and a history, shown in their own web UI tab,
  printed at the end and written as ``PREFIX_stations.csv`` and
  ``PREFIX_stations_history.csv``.

It imports nothing of Locust or gevent, so it is tested on its own.
"""

from __future__ import annotations

import csv
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LAG, HUB_LAG, GC_PAUSE, BOOTED = "event loop lag", "locust hub lag", "gc pause", "booted"
UNANSWERED = "unanswered at stop"  # calls still waiting when the run stopped their station
ENTRIES = (LAG, HUB_LAG, GC_PAUSE, BOOTED, UNANSWERED)
# Issue 16's target for a worker's loop: lag p99 under 100 ms. Counting the samples
# above it per report lets the run's p99 be checked against it exactly, windows summed.
LAG_TARGET_MS = 100.0
SUMMARY_FIELDS = ("Entry", "Count", "50%", "99%", "Max", "Unit")
HISTORY_FIELDS = (
    "Timestamp",
    "Source",
    "Stations running",
    "Connected",
    "Booted",
    "Lag samples",
    "Lag over 100 ms",
    "Lag p99 ms",
    "Lag max ms",
    "Hub lag max ms",
    "GC pauses",
    "GC max ms",
    "Boots",
)


def _bucket(ms: float) -> int:
    """Milliseconds rounded the way Locust rounds response times: exact below 100,
    to tens below 1,000, to hundreds above (a bounded number of buckets)."""
    value = round(ms)
    if value < 100:
        return value
    if value < 1000:
        return round(value, -1)
    return round(value, -2)


@dataclass(slots=True)
class Histogram:
    """Counts of millisecond values by bucket; mergeable across processes."""

    counts: dict[int, int] = field(default_factory=dict)
    max_ms: float = 0.0

    def add(self, ms: float) -> None:
        key = _bucket(ms)
        self.counts[key] = self.counts.get(key, 0) + 1
        self.max_ms = max(self.max_ms, ms)

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def count_above(self, ms: float) -> int:
        return sum(n for key, n in self.counts.items() if key > ms)

    def merge(self, other: Histogram) -> None:
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
        self.max_ms = max(self.max_ms, other.max_ms)

    def percentile(self, p: float) -> float:
        """The smallest bucket at or below which ``p`` of the values fall (0 when empty)."""
        total = self.count
        if total == 0:
            return 0.0
        wanted = p * total
        seen = 0
        for key in sorted(self.counts):
            seen += self.counts[key]
            if seen >= wanted:
                return float(key)
        return float(max(self.counts))

    def to_json(self) -> dict[str, Any]:
        # JSON object keys are strings; Locust's messages to the master are msgpack,
        # which keeps ints, but a string key works for both.
        return {"counts": {str(k): n for k, n in self.counts.items()}, "max": self.max_ms}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Histogram:
        return cls({int(k): int(n) for k, n in data["counts"].items()}, float(data["max"]))


class ProcessStats:
    """One process's lag, GC pause and boot samples since its last report."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fresh = {name: Histogram() for name in ENTRIES}
        # GC pauses arrive from inside the collector, in any thread, possibly while
        # ``add`` holds the lock on this very thread: a deque's append and popleft
        # are atomic, so that path takes no lock (and cannot deadlock).
        self._gc_pauses: deque[float] = deque()

    def add(self, entry: str, ms: float) -> None:
        with self._lock:
            self._fresh[entry].add(ms)

    def add_gc_pause(self, ms: float) -> None:
        self._gc_pauses.append(ms)

    def report(self, *, running: int, connected: int, booted: int) -> dict[str, Any]:
        """Everything since the last report, with the process's gauges (JSON-able)."""
        with self._lock:
            fresh, self._fresh = self._fresh, {name: Histogram() for name in ENTRIES}
        for _ in range(len(self._gc_pauses)):
            fresh[GC_PAUSE].add(self._gc_pauses.popleft())
        return {
            "running": running,
            "connected": connected,
            "booted": booted,
            "entries": {name: h.to_json() for name, h in fresh.items()},
        }


@dataclass(slots=True)
class _Gauges:
    running: int = 0
    connected: int = 0
    booted: int = 0


class RunTotals:
    """Every process's reports merged: a summary per entry, gauges, and a history."""

    def __init__(self) -> None:
        self.entries = {name: Histogram() for name in ENTRIES}
        self.gauges: dict[str, _Gauges] = {}
        self.history: list[dict[str, Any]] = []

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def add(self, source: str, report: dict[str, Any], timestamp: float) -> None:
        parts = {name: Histogram.from_json(data) for name, data in report["entries"].items()}
        for name, histogram in parts.items():
            self.entries[name].merge(histogram)
        gauges = _Gauges(int(report["running"]), int(report["connected"]), int(report["booted"]))
        self.gauges[source] = gauges
        lag, gc_pause = parts[LAG], parts[GC_PAUSE]
        self.history.append(
            {
                "Timestamp": int(timestamp),
                "Source": source,
                "Stations running": gauges.running,
                "Connected": gauges.connected,
                "Booted": gauges.booted,
                "Lag samples": lag.count,
                "Lag over 100 ms": lag.count_above(LAG_TARGET_MS),
                "Lag p99 ms": lag.percentile(0.99),
                "Lag max ms": round(lag.max_ms, 1),
                "Hub lag max ms": round(parts[HUB_LAG].max_ms, 1),
                "GC pauses": gc_pause.count,
                "GC max ms": round(gc_pause.max_ms, 1),
                "Boots": parts[BOOTED].count,
            }
        )

    @property
    def running(self) -> int:
        return sum(g.running for g in self.gauges.values())

    @property
    def connected(self) -> int:
        return sum(g.connected for g in self.gauges.values())

    @property
    def booted(self) -> int:
        return sum(g.booted for g in self.gauges.values())

    def summary(self) -> list[dict[str, Any]]:
        """One row per entry, then the gauges (what the web UI tab and the CSV show)."""
        rows: list[dict[str, Any]] = []
        for name, unit in (
            (LAG, "ms late"),
            (HUB_LAG, "ms late"),
            (GC_PAUSE, "ms"),
            (BOOTED, "ms from start"),
            (UNANSWERED, "ms waited"),
        ):
            h = self.entries[name]
            rows.append(
                {
                    "Entry": name,
                    "Count": h.count,
                    "50%": h.percentile(0.5),
                    "99%": h.percentile(0.99),
                    "Max": round(h.max_ms, 1),
                    "Unit": unit,
                }
            )
        for name, value in (
            ("stations running", self.running),
            ("stations connected", self.connected),
            ("stations booted", self.booted),
        ):
            rows.append(
                {"Entry": name, "Count": value, "50%": "", "99%": "", "Max": "", "Unit": ""}
            )
        return rows

    def summary_lines(self) -> list[str]:
        lines = [f"{'ocpp-bench':22} {'count':>8} {'p50':>8} {'p99':>8} {'max':>9}"]
        for row in self.summary():
            lines.append(
                f"{row['Entry']:22} {row['Count']:>8} {row['50%']!s:>8} {row['99%']!s:>8} "
                f"{row['Max']!s:>9} {row['Unit']}".rstrip()
            )
        return lines

    def write_csv(self, prefix: str) -> list[Path]:
        """``PREFIX_stations.csv`` (the summary) and ``PREFIX_stations_history.csv``."""
        written = []
        for suffix, fields, rows in (
            ("stations", SUMMARY_FIELDS, self.summary()),
            ("stations_history", HISTORY_FIELDS, self.history),
        ):
            path = Path(f"{prefix}_{suffix}.csv")
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=fields)
                writer.writeheader()
                writer.writerows(rows)
            written.append(path)
        return written
