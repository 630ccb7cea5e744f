"""Steady-state cost: N stations, half of them charging with MeterValues every 10 s.

Reports the charge-point process's CPU as a percentage of one core over the
measurement window and per message the stations sent (CALLs and replies; the
built-in CSMS runs in a second process), then the event-loop lag over a second
window: the 10 ms lag sampler itself costs about 2 % of a core here, so it does
not run while the CPU is measured.

With ``--ocpp 2.0.1`` the meter values go as TransactionEvent Updated/MeterValuePeriodic
every SampledDataCtrlr.TxUpdatedInterval, with 1.6's default measurands so both
versions send the same readings.

    .venv/bin/python benchmarks/bench_charging_load.py --stations 1000 --window 60
    .venv/bin/python benchmarks/bench_charging_load.py --ocpp 2.0.1
    .venv/bin/python benchmarks/bench_charging_load.py --stations 2000 --heartbeat 30 --window 120
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

from benchmarks.common import (
    LoopLag,
    add_common_arguments,
    add_ocpp_argument,
    check_quiet,
    cpu_seconds,
    csms_process,
    emit,
    make_charge_point,
    raise_fd_limit,
)

# 1.6's default MeterValuesSampledData, given to 2.0.1 as TxUpdatedMeasurands.
MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"


def configure(cp, version: str, interval: int) -> None:
    """Meter values every ``interval`` seconds while charging."""
    if version == "1.6":
        cp.config.set("MeterValueSampleInterval", str(interval))
        return
    for variable, value in (
        ("TxUpdatedInterval", str(interval)),
        ("TxUpdatedMeasurands", MEASURANDS),
    ):
        cp.device_model.update("SampledDataCtrlr", variable, value)
        cp.variable_changed("SampledDataCtrlr", variable)


def is_charging(cp, version: str) -> bool:
    if version == "1.6":
        return cp.status_of(1).status == "Charging"
    tx = cp.transactions.active(1)
    return tx is not None and tx.charging_state == "Charging"


async def measure(args: argparse.Namespace, url: str) -> dict[str, float]:
    from bench.gc_settle import settle_garbage
    from bench.model.clock import SystemClock
    from bench.model.ev import Ev
    from bench.model.templates import build_station, load_ev_template, load_station_template
    from bench.store.db import open_database
    from bench.store.messages import MessageLog

    db = open_database(Path(tempfile.mkdtemp(prefix="bench-load-")) / "load.db")
    log = MessageLog(db)
    flusher = asyncio.get_running_loop().create_task(log.run_flusher())
    template = load_station_template("ac-11kw")
    ev_spec = load_ev_template("family-ev")
    clock = SystemClock()
    cps = []
    for i in range(args.stations):
        station = build_station(f"LOAD{i:05d}", template, clock, seed=i)
        cp = make_charge_point(args.ocpp, station, url, db, sink=log)
        configure(cp, args.ocpp, args.interval)
        await cp.start()
        cps.append(cp)
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    for cp in cps:
        await cp.wait_accepted(120)
    charging = cps[: args.stations // 2]
    for i, cp in enumerate(charging):
        cp.station.connector(1).plug_in(Ev(ev_spec, soc=20.0))
        cp.present_id(f"TAG{i:05d}")
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        if all(is_charging(cp, args.ocpp) for cp in charging):
            break
        await asyncio.sleep(0.5)
    now_charging = sum(1 for cp in charging if is_charging(cp, args.ocpp))
    settle_garbage()  # what a host does once its stations are up (bench/gc_settle.py)
    await asyncio.sleep(args.interval)  # into the steady state
    sent0 = log.count(direction="tx")
    times0 = os.times()
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    await asyncio.sleep(args.window)
    cpu, elapsed = cpu_seconds() - cpu0, time.perf_counter() - t0
    system = os.times().system - times0.system  # the kernel's share: sockets, SQLite I/O
    sent = log.count(direction="tx") - sent0
    lag = LoopLag()
    lag.start()
    await asyncio.sleep(args.lag_window)
    await lag.stop()
    for cp in cps:
        await cp.stop(drain_timeout=0.5)
    flusher.cancel()
    await asyncio.gather(flusher, return_exceptions=True)
    return {
        "charging": now_charging,
        "cpu_pct": cpu / elapsed * 100,
        "system_pct": system / elapsed * 100,
        "sent_per_s": sent / elapsed,
        "cpu_ms_per_message": cpu * 1000 / max(1, sent),
        "lag_p99_ms": lag.percentile(99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=10, help="MeterValueSampleInterval (s)")
    parser.add_argument("--window", type=float, default=60.0, help="CPU window (s)")
    parser.add_argument("--lag-window", type=float, default=20.0, help="lag window (s)")
    parser.add_argument(
        "--heartbeat", type=int, default=300, help="heartbeat interval the CSMS sets (s)"
    )
    add_ocpp_argument(parser)
    add_common_arguments(parser)
    args = parser.parse_args()
    load = check_quiet(args)
    raise_fd_limit()
    with csms_process("--accept-unknown-tags", "--heartbeat", str(args.heartbeat)) as (url, _):
        result = asyncio.run(measure(args, url))
    print(f"OCPP                         {args.ocpp}")
    print(f"stations / charging          {args.stations} / {result['charging']:.0f}")
    print(f"messages sent per second     {result['sent_per_s']:.0f}")
    print(f"charge-point CPU             {result['cpu_pct']:.2f} % of one core")
    print(f"  of which in the kernel     {result['system_pct']:.2f} %")
    print(f"CPU per message sent         {result['cpu_ms_per_message']:.3f} ms")
    print(f"event-loop lag p99           {result['lag_p99_ms']:.1f} ms")
    emit(args, load, result)


if __name__ == "__main__":
    main()
