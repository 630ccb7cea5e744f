"""The desktop app under load: ``.venv/bin/python benchmarks/bench_ui.py``.

The real main window (offscreen unless a display is set) hosts ``--stations``
virtual stations (default 1,000) against the built-in CSMS running in a second
process; half of them charge, with MeterValues every ``--meter-interval`` s
(default 10). The SQLite message log is pre-filled with ``--rows`` synthetic frames
(default 1,000,000) before the window opens, and the log dock follows the tail.
The selected station is a charging one, so its live graphs update once a second.

Printed figures (issue 4, "Quality"; targets: p99 < 50 ms, plots < 10 % of a core):

* loop lag p50/p99: how late a 10 ms asyncio sleeper wakes on the qasync loop;
* input latency p50/p99: events posted from another thread (as the window system
  delivers input) until the GUI thread handles them;
* CPU of the process with the graphs visible and hidden, in alternating phases of
  equal length; the difference is the cost of the plot updates, in % of one core.
  The time spent inside ``LiveGraphs.redraw`` (Python side, without painting) is
  shown beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import (
    LoopLag,
    add_common_arguments,
    check_quiet,
    csms_process,
    emit,
    raise_fd_limit,
    rss_bytes,
)

TEMPLATE = "ac-11kw"
EV = "family-ev"


# ------------------------------------------------------------ the pre-filled log
def prefill_log(db_path: Path, rows: int, stations: int) -> float:
    """Write ``rows`` synthetic frames (mostly MeterValues) into the log; returns seconds."""
    from bench.kernel.frames import FrameRecord
    from bench.store.db import open_database
    from bench.store.messages import MessageLog

    started = time.perf_counter()
    conn = open_database(db_path)
    log = MessageLog(conn, batch_size=50_000)
    base = time.time() - rows * 0.05  # a history that ends now, 20 frames a second
    for n in range(rows):
        station = f"UI{n % stations:04d}"
        reply = n % 2 == 1
        action = "StatusNotification" if n % 100 in (0, 1) else "MeterValues"
        payload = (
            {}
            if reply
            else {
                "connectorId": 1,
                "meterValue": [
                    {
                        "timestamp": "2026-05-29T12:00:00Z",
                        "sampledValue": [{"value": f"{n * 7.3:.1f}", "unit": "Wh"}],
                    }
                ],
            }
        )
        log.record(
            FrameRecord(
                base + n * 0.05,
                station,
                "rx" if reply else "tx",
                "CALLRESULT" if reply else "CALL",
                str(n // 2),
                action,
                payload,
                True,
                latency_ms=1.2 if reply else None,
            )
        )
    log.flush()
    conn.close()
    return time.perf_counter() - started


# ------------------------------------------------------------ probes
class InputProbe:
    """Posts an event to the GUI thread every ``period`` s from a plain thread and times
    its delivery: the wait a mouse click or key press would see."""

    def __init__(self, period: float = 0.02) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent, QObject

        self.period = period
        self.samples: list[float] = []
        self.recording = False
        self._stop = threading.Event()
        self._type = QEvent.Type(QEvent.registerEventType())
        probe = self

        class Receiver(QObject):
            def event(self, event: QEvent) -> bool:
                if event.type() == probe._type:
                    if probe.recording:
                        probe.samples.append(time.perf_counter() - event.posted_at)
                    return True
                return super().event(event)

        self._receiver = Receiver()
        self._post = QCoreApplication.postEvent
        self._event_class = QEvent
        self._thread = threading.Thread(target=self._run, name="input-probe", daemon=True)

    def _run(self) -> None:
        next_at = time.perf_counter()
        for _ in range(10_000_000):  # bounded; stopped long before
            if self._stop.wait(max(0.0, next_at - time.perf_counter())):
                return
            event = self._event_class(self._type)
            event.posted_at = time.perf_counter()
            self._post(self._receiver, event)
            next_at += self.period

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


def pct(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000


class GcPauses:
    """Durations of the cyclic garbage collector's runs (they stop the GUI thread too)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []  # (generation, seconds)
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._t0))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


# ------------------------------------------------------------ the run
async def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    for _ in range(1_000_000):
        if check():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.2)


async def scenario(args: argparse.Namespace, url: str, data_dir: Path) -> dict[str, float]:
    from bench.model.ev import Ev
    from bench.model.templates import load_ev_template
    from bench.workspace import Workspace, WorkspaceOptions
    from ui.app import settle_garbage_after_changes
    from ui.errors import ErrorReporter
    from ui.main_window import MainWindow

    workspace = Workspace(WorkspaceOptions(data_dir=data_dir, demo=False))
    window = MainWindow(workspace, ErrorReporter())
    window.resize(1600, 1000)
    window.show()
    await workspace.start()
    window.attach_log()
    if not args.no_gc_settle:
        settle_garbage_after_changes(window)  # as ui.app.open_window does
    out: dict[str, float] = {}
    try:
        started = time.perf_counter()
        for i in range(args.stations):
            await workspace.add_station(f"UI{i:04d}", TEMPLATE, csms_url=url)
            if i % 100 == 99:
                await asyncio.sleep(0.05)  # let connections complete in waves
        runs = list(workspace.stations.values())
        await wait_for(lambda: all(r.cp.accepted for r in runs), args.boot_timeout, "boots")
        out["boot_s"] = time.perf_counter() - started

        spec = load_ev_template(EV)
        charging = runs[: int(len(runs) * args.charging)]
        for run in runs:
            run.cp.config.change("MeterValueSampleInterval", str(args.meter_interval))
        # Steady state of a fleet: sessions started at random moments, so MeterValues
        # spread over the interval. --burst starts them all at once (the worst case:
        # every charging station sends in the same second, each interval).
        gap = 0.0 if args.burst else args.meter_interval / max(1, len(charging))
        for i, run in enumerate(charging):
            run.station.connectors[0].plug_in(Ev(spec, soc=20.0))
            run.station.present_id(f"TAG-{i:05d}", 1)
            await asyncio.sleep(gap if gap else (0.05 if i % 50 == 49 else 0))
        await wait_for(
            lambda: all(r.station.connectors[0].transaction is not None for r in charging),
            args.boot_timeout,
            "transactions",
        )
        window.station_list.select_row(0)  # a charging station: its graphs are live
        view = window.current_view()
        assert view is not None, "no station view"
        graphs = view.graphs

        # The Python side of each plot update, measured in place.
        redraw_cpu: list[float] = []
        plain_redraw = graphs.redraw

        def timed_redraw() -> None:
            t0 = time.thread_time()
            plain_redraw()
            redraw_cpu.append(time.thread_time() - t0)

        graphs.set_bridge(None)
        graphs.redraw = timed_redraw  # set_bridge connects self.redraw: the timed one
        graphs.set_bridge(view.bridge)

        await asyncio.sleep(args.warmup)
        lag, probe = LoopLag(), InputProbe()
        probe.start()
        lag.start()
        probe.recording = True
        gc_pauses = GcPauses().__enter__()
        cpu = {True: [], False: []}
        redraw_share: list[float] = []
        for _round in range(args.rounds):
            for visible in (True, False):
                graphs.setVisible(visible)
                await asyncio.sleep(0.5)  # let the layout settle outside the window
                redraw_cpu.clear()
                c0, w0 = time.process_time(), time.perf_counter()
                await asyncio.sleep(args.phase)
                wall = time.perf_counter() - w0
                cpu[visible].append((time.process_time() - c0) / wall * 100)
                if visible:
                    redraw_share.append(sum(redraw_cpu) / wall * 100)
        graphs.setVisible(True)
        gc_pauses.__exit__()
        probe.recording = False
        await lag.stop()
        probe.stop()

        log_rows = window.log_panel.model.rowCount() if window.log_panel else 0
        visible_cpu, hidden_cpu = statistics.median(cpu[True]), statistics.median(cpu[False])
        diffs = [a - b for a, b in zip(cpu[True], cpu[False], strict=True)]
        out.update(
            stations=len(runs),
            charging=sum(1 for r in charging if r.station.connectors[0].transaction),
            log_rows=log_rows,
            lag_p50=lag.percentile(50) * 1000,
            lag_p99=lag.percentile(99) * 1000,
            lag_max=max(lag.samples, default=0.0) * 1000,
            input_p50=pct(probe.samples, 50),
            input_p99=pct(probe.samples, 99),
            input_max=max(probe.samples, default=0.0) * 1000,
            cpu_visible=visible_cpu,
            cpu_hidden=hidden_cpu,
            plot_cpu=statistics.median(diffs),
            plot_cpu_min=min(diffs),
            plot_cpu_max=max(diffs),
            redraw_cpu=statistics.median(redraw_share),
            rss_mb=rss_bytes() / 2**20,
            gc_full=sum(1 for g, _ in gc_pauses.pauses if g == 2),
            gc_full_max=max((d for g, d in gc_pauses.pauses if g == 2), default=0.0) * 1000,
            gc_max=max((d for _, d in gc_pauses.pauses), default=0.0) * 1000,
            gc_count=len(gc_pauses.pauses),
            gc_objects=len(gc.get_objects()),
        )
    finally:
        stop_started = time.perf_counter()
        await window.shutdown()
        window.close()
        out["shutdown_s"] = time.perf_counter() - stop_started
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--charging", type=float, default=0.5, help="share of stations charging")
    parser.add_argument("--meter-interval", type=int, default=10, help="MeterValues period (s)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="frames pre-filled in the log")
    parser.add_argument("--phase", type=float, default=10.0, help="seconds per measured phase")
    parser.add_argument("--rounds", type=int, default=3, help="graphs visible/hidden pairs")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--burst", action="store_true", help="start every session at once (aligned MeterValues)"
    )
    parser.add_argument(
        "--no-gc-settle", action="store_true", help="without the app's gc.freeze after changes"
    )
    parser.add_argument("--boot-timeout", type=float, default=180.0)
    add_common_arguments(parser)
    args = parser.parse_args()
    load = check_quiet(args)
    raise_fd_limit()

    import qasync
    from PySide6.QtWidgets import QApplication

    from ui.theme import apply_theme

    with tempfile.TemporaryDirectory(prefix="bench-ui-") as folder:
        data_dir = Path(folder)
        fill_s = prefill_log(data_dir / "stations.db", args.rows, args.stations)
        print(f"log pre-filled            {args.rows:,} frames in {fill_s:.1f} s", flush=True)
        app = QApplication.instance() or QApplication(["bench-ui"])
        app.setQuitOnLastWindowClosed(False)
        apply_theme(app, "light")
        with csms_process("--accept-unknown-tags") as (url, _proc):
            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            try:
                r = loop.run_until_complete(scenario(args, url, data_dir))
            finally:
                loop.close()
                asyncio.set_event_loop(None)

    platform = app.platformName()
    print(f"platform                  {platform}, window 1600x1000")
    print(
        f"stations booted           {r['stations']:.0f} in {r['boot_s']:.1f} s; "
        f"{r['charging']:.0f} charging, MeterValues every {args.meter_interval} s "
        f"({'all in the same second' if args.burst else 'spread over the interval'})"
    )
    print(f"message log rows          {r['log_rows']:,.0f}")
    print(
        f"loop lag p50 / p99        {r['lag_p50']:.1f} / {r['lag_p99']:.1f} ms "
        f"(max {r['lag_max']:.0f} ms; target p99 < 50 ms)"
    )
    print(
        f"input latency p50 / p99   {r['input_p50']:.1f} / {r['input_p99']:.1f} ms "
        f"(max {r['input_max']:.0f} ms)"
    )
    print(
        f"process CPU               graphs visible {r['cpu_visible']:.1f} %, "
        f"hidden {r['cpu_hidden']:.1f} % of one core"
    )
    print(
        f"plot updates              {r['plot_cpu']:.1f} % of one core "
        f"[{r['plot_cpu_min']:.1f} to {r['plot_cpu_max']:.1f} over {args.rounds} rounds; "
        f"target < 10 %]; redraw() alone {r['redraw_cpu']:.2f} %"
    )
    print(f"memory (RSS)              {r['rss_mb']:.0f} MB")
    print(
        f"garbage collector         {r['gc_count']:.0f} runs, longest {r['gc_max']:.0f} ms; "
        f"{r['gc_full']:.0f} full runs, longest {r['gc_full_max']:.0f} ms; "
        f"{r['gc_objects']:,.0f} tracked objects"
    )
    print(f"shutdown                  {r['shutdown_s']:.1f} s")
    emit(args, load, dict(r))


if __name__ == "__main__":
    main()
