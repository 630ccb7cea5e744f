"""Adding a fleet from the Add stations dialog: ``.venv/bin/python benchmarks/bench_ui_add.py``.

The real main window on first start (built-in CSMS and the demo station, in this
process, as a user gets it), offscreen unless a display is set. The dialog adds
``--stations`` stations (default 300) in one go, as a user would; meanwhile a
10 ms asyncio sleeper measures how late the loop wakes it (what a click or a key
press would wait), until every added station has booted.

Printed: the time until all rows are listed and until all boots are accepted, and
the loop lag p50 / p95 / p99 / max over the whole run (issue 4 asked for a window
that stays responsive: p95 under 100 ms, worst under 500 ms; the worst is usually
building the selected station's view). The UI test only checks that input is
handled between stations, which no machine load can change; the figures are here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import LoopLag, add_common_arguments, check_quiet, emit, raise_fd_limit


async def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    for _ in range(10_000_000):  # bounded; the deadline ends it first
        if check():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def scenario(args: argparse.Namespace, data_dir: Path) -> dict[str, float]:
    from PySide6.QtWidgets import QDialogButtonBox

    from bench.workspace import DEMO_STATION_ID, WorkspaceOptions
    from ui.app import open_window
    from ui.errors import ErrorReporter

    window = await open_window(WorkspaceOptions(data_dir=data_dir, speed=1.0), ErrorReporter())
    out: dict[str, float] = {}
    try:
        demo = window.workspace.stations[DEMO_STATION_ID]
        await wait_for(lambda: demo.cp.accepted, args.timeout, "the demo station's boot")
        ids = [f"FLEET-{n:03d}" for n in range(1, args.stations + 1)]
        rows = window.station_model.rowCount() + args.stations
        lag = LoopLag()
        lag.start()
        started = time.perf_counter()
        dialog = window.station_actions.open_add_dialog()
        dialog.station_id.setText(ids[0])
        dialog.count.setValue(args.stations)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        await wait_for(lambda: window.station_model.rowCount() == rows, args.timeout, "rows")
        out["listed_s"] = time.perf_counter() - started

        def booted() -> bool:
            stations = window.workspace.stations
            return all(i in stations and stations[i].cp.accepted for i in ids)

        await wait_for(booted, args.timeout, "boots")
        out["booted_s"] = time.perf_counter() - started
        await lag.stop()
        out.update(
            samples=len(lag.samples),
            lag_p50=lag.percentile(50) * 1000,
            lag_p95=lag.percentile(95) * 1000,
            lag_p99=lag.percentile(99) * 1000,
            lag_max=max(lag.samples, default=0.0) * 1000,
        )
    finally:
        await window.shutdown()
        window.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per phase")
    add_common_arguments(parser)
    args = parser.parse_args()
    load = check_quiet(args)
    raise_fd_limit()

    import qasync
    from PySide6.QtWidgets import QApplication

    from ui.theme import apply_theme

    app = QApplication.instance() or QApplication(["bench-ui-add"])
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app, "light")
    with tempfile.TemporaryDirectory(prefix="bench-ui-add-") as folder:
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        try:
            r = loop.run_until_complete(scenario(args, Path(folder)))
        finally:
            loop.close()
            asyncio.set_event_loop(None)

    print(f"platform                  {app.platformName()}")
    print(f"stations listed           {args.stations} in {r['listed_s']:.2f} s")
    print(f"stations booted           {args.stations} in {r['booted_s']:.2f} s")
    print(
        f"loop lag p50 / p95 / p99  {r['lag_p50']:.1f} / {r['lag_p95']:.1f} / "
        f"{r['lag_p99']:.1f} ms (max {r['lag_max']:.0f} ms over {r['samples']:.0f} samples; "
        "targets p95 < 100 ms, max < 500 ms)"
    )
    emit(args, load, dict(r))


if __name__ == "__main__":
    main()
