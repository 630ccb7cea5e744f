"""The log view over a big log: ``.venv/bin/python benchmarks/bench_ui_log.py [--n 1000000]``.

Fills a SQLite message log with ``--n`` frames, then times what the view does:
opening the model (two counts), reading a screenful at the tail (the common
case), in the middle and at the top, a poll that appends 100 new frames, a
filter change, and the rows the model holds afterwards. Offscreen, no window.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from bench.kernel.frames import FrameRecord
from bench.store import MessageLog, open_database
from benchmarks.common import add_common_arguments, check_quiet, emit
from ui.models.message_log import LogFilter, MessageLogModel

SCREEN = 40  # rows visible at once


def frame(n: int) -> FrameRecord:
    payload = {"connectorId": 1, "meterValue": [{"timestamp": "2026-05-29T12:00:00Z",
               "sampledValue": [{"value": f"{n * 7.3:.1f}", "unit": "Wh"}]}]}  # fmt: skip
    action = "MeterValues" if n % 50 else "StatusNotification"
    return FrameRecord(1_780_000_000.0 + n, f"CP-{n % 100:03d}", "tx", "CALL", str(n),
                       action, payload, True)  # fmt: skip


def ms(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1e3)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    add_common_arguments(parser)
    args = parser.parse_args()
    load = check_quiet(args)
    figures: dict[str, float] = {}
    QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        conn = open_database(Path(folder) / "log.db")
        log = MessageLog(conn, batch_size=20_000)
        for n in range(args.n):
            log.record(frame(n))
        log.flush()
        model = MessageLogModel(log)

        def screen(first: int) -> None:
            model._pages.clear()  # cold: every screen read from SQLite
            for row in range(first, min(first + SCREEN, model.rowCount())):
                model.index(row, 7).data()

        rows = model.rowCount()
        print(f"rows in the log: {rows:,}")
        figures["open_ms"] = ms(model.reload)
        print(f"open the model (count):       {figures['open_ms']:8.1f} ms")
        figures["tail_screen_ms"] = ms(lambda: screen(rows - SCREEN))
        print(f"screenful at the tail (cold): {figures['tail_screen_ms']:8.1f} ms")
        figures["middle_screen_ms"] = ms(lambda: screen(rows // 2))
        print(f"screenful in the middle:      {figures['middle_screen_ms']:8.1f} ms")
        figures["top_screen_ms"] = ms(lambda: screen(0))
        print(f"screenful at the top:         {figures['top_screen_ms']:8.1f} ms")
        next_n = [args.n]

        def append_and_poll() -> None:
            for _ in range(100):
                log.record(frame(next_n[0]))
                next_n[0] += 1
            model.poll()

        figures["poll_100_ms"] = ms(append_and_poll)
        print(f"poll appending 100 frames:    {figures['poll_100_ms']:8.1f} ms")

        def refilter() -> None:
            model.set_filter(LogFilter(action="StatusNotification"))
            model.set_filter(LogFilter())

        figures["refilter_ms"] = ms(refilter, 3)
        print(f"filter on and off again:      {figures['refilter_ms']:8.1f} ms")
        for first in range(0, model.rowCount(), model.rowCount() // 50):
            model.index(first, 7).data()  # scroll through the whole log
        print(f"rows held after scrolling:    {model.cached_rows:8d}")
        log.close()
        conn.close()
    emit(args, load, figures)


if __name__ == "__main__":
    main()
