"""Fleet benchmark: N booted stations in one process against the built-in CSMS in another.

Prints memory per station (RSS growth / N), event-loop lag p50/p99 while the
stations heartbeat, and heartbeats on time.

    .venv/bin/python benchmarks/bench_fleet.py --stations 10000 --heartbeat 30 --window 60
    .venv/bin/python benchmarks/bench_fleet.py --ocpp 2.0.1 --stations 2000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    LoopLag,
    add_common_arguments,
    add_ocpp_argument,
    check_quiet,
    csms_process,
    emit,
    make_charge_point,
    raise_fd_limit,
    rss_bytes,
    warm_up,
)


async def fleet(args: argparse.Namespace, url: str) -> dict[str, float]:
    from bench.model.clock import SystemClock
    from bench.model.templates import build_station, load_station_template
    from bench.store.db import open_database

    folder = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    db = open_database(folder / "fleet.db")
    template = load_station_template("ac-11kw")
    clock = SystemClock()
    warm_up(args.ocpp, template, clock, db)
    gc.collect()
    base = rss_bytes()
    cps = []
    started = time.perf_counter()
    for i in range(args.stations):
        station = build_station(f"FLEET{i:05d}", template, clock, seed=i)
        cp = make_charge_point(args.ocpp, station, url, db)
        cps.append(cp)
        await cp.start()
        if i % 100 == 99:
            # Let connections complete in waves rather than as one thundering herd.
            await asyncio.sleep(0.05)
    deadline = time.perf_counter() + args.boot_timeout
    while time.perf_counter() < deadline:
        booted = sum(1 for cp in cps if cp.accepted)
        if booted == len(cps):
            break
        await asyncio.sleep(0.5)
    booted = sum(1 for cp in cps if cp.accepted)
    boot_seconds = time.perf_counter() - started
    await asyncio.sleep(2)  # let the post-boot StatusNotifications settle
    gc.collect()
    per_station = (rss_bytes() - base) / max(1, len(cps))

    lag = LoopLag()
    lag.start()
    t0 = time.monotonic()
    await asyncio.sleep(args.window)
    await lag.stop()
    on_time = sum(
        1
        for cp in cps
        if cp.last_heartbeat is not None
        and cp.last_heartbeat >= cp.clock.monotonic() - (args.heartbeat + 5)
    )
    del t0
    for cp in cps:
        await cp.stop(drain_timeout=0.1)
    return {
        "stations": len(cps),
        "booted": booted,
        "boot_seconds": boot_seconds,
        "kib_per_station": per_station / 1024,
        "lag_p50_ms": lag.percentile(50) * 1000,
        "lag_p99_ms": lag.percentile(99) * 1000,
        "heartbeats_on_time": on_time,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=10000)
    parser.add_argument("--heartbeat", type=int, default=30)
    parser.add_argument("--window", type=float, default=45.0)
    parser.add_argument("--boot-timeout", type=float, default=300.0)
    add_ocpp_argument(parser)
    add_common_arguments(parser)
    args = parser.parse_args()
    load = check_quiet(args)
    raise_fd_limit()
    with csms_process("--heartbeat", str(args.heartbeat)) as (url, _proc):
        result = asyncio.run(fleet(args, url))
    print(f"OCPP                      {args.ocpp}")
    print(
        f"stations booted           {result['booted']:.0f} / {result['stations']:.0f} "
        f"in {result['boot_seconds']:.1f} s"
    )
    print(f"memory per station        {result['kib_per_station']:.1f} KiB (RSS growth / N)")
    print(f"event-loop lag p50 / p99  {result['lag_p50_ms']:.1f} / {result['lag_p99_ms']:.1f} ms")
    print(f"heartbeat within {args.heartbeat}+5 s  {result['heartbeats_on_time']:.0f} stations")
    emit(args, load, result)


if __name__ == "__main__":
    main()
