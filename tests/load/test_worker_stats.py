"""A load run's own figures (issue 16): kept apart from Locust's requests, merged over
workers, and written where a user reads them."""

from __future__ import annotations

import csv
import gc
import queue
from pathlib import Path

from bench.kernel.frames import FrameRecord
from bench.load.garbage import GcWatch, freeze_young, release_frozen
from bench.load.samples import LoadSink, Sample
from bench.load.worker_stats import (
    BOOTED,
    GC_PAUSE,
    LAG,
    UNANSWERED,
    Histogram,
    ProcessStats,
    RunTotals,
)


def test_a_percentile_of_lag_samples_is_the_bucket_at_or_below_which_that_share_falls():
    h = Histogram()
    for ms in [1.0] * 98 + [250.0, 1234.0]:
        h.add(ms)
    assert h.count == 100
    assert h.percentile(0.5) == 1.0
    assert h.percentile(0.99) == 250.0
    assert h.percentile(1.0) == 1200.0  # rounded to hundreds above 1 s, like Locust
    assert h.max_ms == 1234.0


def test_a_report_holds_only_what_happened_since_the_previous_one():
    stats = ProcessStats()
    stats.add(LAG, 3.0)
    stats.add(BOOTED, 800.0)
    stats.add_gc_pause(12.0)
    first = stats.report(running=2, connected=2, booted=1)
    second = stats.report(running=2, connected=1, booted=1)
    assert Histogram.from_json(first["entries"][LAG]).count == 1
    assert Histogram.from_json(first["entries"][GC_PAUSE]).max_ms == 12.0
    assert all(Histogram.from_json(e).count == 0 for e in second["entries"].values())
    assert second["connected"] == 1


def test_boots_and_loop_lag_never_reach_locusts_request_queue():
    out: queue.SimpleQueue[Sample] = queue.SimpleQueue()
    stats = ProcessStats()
    sink = LoadSink(out, monotonic=lambda: 0.0, stats=stats)
    sink.boot_accepted("CP1", 950.0)
    sink.lag(4.0)
    assert out.empty()  # nothing for Locust's table, its Aggregated row or its RPS
    report = stats.report(running=1, connected=1, booted=len(sink.booted))
    assert Histogram.from_json(report["entries"][BOOTED]).count == 1
    assert Histogram.from_json(report["entries"][LAG]).count == 1
    assert report["booted"] == 1


def test_the_run_totals_sum_the_workers_and_keep_one_history_row_per_report(tmp_path: Path):
    a, b = ProcessStats(), ProcessStats()
    for _ in range(3):
        a.add(BOOTED, 500.0)
    b.add(BOOTED, 700.0)
    b.add(LAG, 150.0)
    totals = RunTotals()
    totals.add("worker-a", a.report(running=3, connected=3, booted=3), 1000.0)
    totals.add("worker-b", b.report(running=1, connected=1, booted=1), 1001.0)
    summary = {row["Entry"]: row for row in totals.summary()}
    assert summary["booted"]["Count"] == 4
    assert summary["stations booted"]["Count"] == 4
    assert summary["event loop lag"]["Max"] == 150.0
    summary_csv, history_csv = totals.write_csv(str(tmp_path / "run"))
    assert summary_csv.name == "run_stations.csv"
    with history_csv.open(newline="") as f:
        history = list(csv.DictReader(f))
    assert [(r["Source"], r["Boots"], r["Lag p99 ms"], r["Lag over 100 ms"]) for r in history] == [
        ("worker-a", "3", "0.0", "0"),
        ("worker-b", "1", "150.0", "1"),
    ]


def test_the_gc_watch_reports_a_full_collection_of_many_objects_as_a_pause():
    pauses: list[float] = []
    ticks = iter(range(0, 10**6, 5))  # a clock that moves 5 s per reading: every pause counts
    watch = GcWatch(pauses.append, lambda: float(next(ticks)))
    watch.install()
    try:
        gc.collect()
    finally:
        watch.uninstall()
    assert pauses and pauses[-1] == 5000.0


def test_freezing_the_young_moves_survivors_out_of_later_collections():
    release_frozen()
    before = gc.get_freeze_count()
    keep = [[i] for i in range(1000)]  # new, long-lived objects: a station's structure
    freeze_young()
    try:
        assert gc.get_freeze_count() >= before + len(keep)
    finally:
        release_frozen()
    assert gc.get_freeze_count() == 0


def test_a_call_still_waiting_when_the_run_stops_its_station_is_counted_apart_not_failed():
    out: queue.SimpleQueue[Sample] = queue.SimpleQueue()
    stats = ProcessStats()
    now = [10.0]
    sink = LoadSink(out, monotonic=lambda: now[0], stats=stats)
    sink.record(FrameRecord(0.0, "CP1", "tx", "CALL", "m1", "MeterValues", {}, True))
    now[0] = 10.25
    sink.station_stopped("CP1")
    sink.sweep(0.0)  # long after: still no timeout failure
    assert out.empty()
    unanswered = Histogram.from_json(
        stats.report(running=0, connected=0, booted=0)["entries"][UNANSWERED]
    )
    assert unanswered.count == 1 and unanswered.max_ms == 250.0


def test_a_call_sent_while_the_run_stops_its_station_replaces_the_last_one_without_failing():
    out: queue.SimpleQueue[Sample] = queue.SimpleQueue()
    stats = ProcessStats()
    sink = LoadSink(out, monotonic=lambda: 5.0, stats=stats)
    sink.station_stopped("CP1")  # stopping: its link goes, its session winds down
    sink.record(FrameRecord(0.0, "CP1", "tx", "CALL", "a", "Heartbeat", {}, True))
    sink.record(FrameRecord(0.0, "CP1", "tx", "CALL", "b", "MeterValues", {}, True))
    sink.station_stopped("CP1", done=True)
    assert out.empty()  # no "the call timed out" failure for the replaced Heartbeat
    report = stats.report(running=0, connected=0, booted=0)
    assert Histogram.from_json(report["entries"][UNANSWERED]).count == 2
