"""Charge-point CPU per message, every frame validated in both directions.

N booted stations send MeterValues (a realistic 3-phase sample) back to back
to the built-in CSMS in a second process. Reports calls/s and the charge point
process's CPU time per call (one CALL out + one CALLRESULT in, both validated
against their schemas and logged to a sink).

    .venv/bin/python benchmarks/bench_messages.py --stations 100 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import cpu_seconds, csms_process, raise_fd_limit


class CountingSink:
    """Stands in for the message log: counts frames (the store has its own benchmark)."""

    def __init__(self) -> None:
        self.frames = 0

    def record(self, _rec: object) -> None:
        self.frames += 1


async def measure(args: argparse.Namespace, url: str, csms_pid: int) -> dict[str, float]:
    from bench.model.clock import SystemClock
    from bench.model.ev import Ev
    from bench.model.templates import build_station, load_ev_template, load_station_template
    from bench.ocpp.v16.charge_point import ChargePoint16
    from bench.ocpp.v16.metering import meter_value, sampled_values
    from bench.store.db import open_database
    from bench.transport.config import LinkConfig

    db = open_database(Path(tempfile.mkdtemp(prefix="bench-msg-")) / "b.db")
    template = load_station_template("ac-11kw")
    clock = SystemClock()
    sink = CountingSink()
    cps = []
    for i in range(args.stations):
        station = build_station(f"MSG{i:04d}", template, clock, seed=i)
        station.connector(1).plug_in(Ev(load_ev_template("family-ev")))
        cp = ChargePoint16(station, LinkConfig(url=url, station_id=station.id), db=db, sink=sink)
        await cp.start()
        cps.append(cp)
    for cp in cps:
        await cp.wait_accepted(60)
    await asyncio.sleep(1.0)
    items = cps[0].config.value("MeterValuesSampledData")

    calls = 0
    stop_at = 0.0

    async def pump(cp: ChargePoint16) -> None:
        nonlocal calls
        connector = cp.station.connector(1)
        while time.perf_counter() < stop_at:
            values = sampled_values(connector, items, "Sample.Periodic")
            payload = {"connectorId": 1, "meterValue": [meter_value(clock.now(), values)]}
            await cp.session.call("MeterValues", payload)
            calls += 1

    cpu0, csms_cpu0, t0 = cpu_seconds(), cpu_seconds(csms_pid), time.perf_counter()
    stop_at = t0 + args.seconds
    await asyncio.gather(*(pump(cp) for cp in cps))
    elapsed = time.perf_counter() - t0
    cpu, csms_cpu = cpu_seconds() - cpu0, cpu_seconds(csms_pid) - csms_cpu0
    for cp in cps:
        await cp.stop(drain_timeout=0.1)
    return {
        "calls": calls,
        "calls_per_s": calls / elapsed,
        "cp_us_per_call": cpu / calls * 1e6,
        "csms_us_per_call": csms_cpu / calls * 1e6,
        "payload_bytes": len(str(payload_example(cps[0], items))),
    }


def payload_example(cp, items) -> str:
    from bench.ocpp.v16.metering import sampled_values

    return str(sampled_values(cp.station.connector(1), items, "Sample.Periodic"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    raise_fd_limit()
    results = []
    for _ in range(args.runs):
        with csms_process() as (url, proc):
            results.append(asyncio.run(measure(args, url, proc.pid)))
    results.sort(key=lambda r: r["cp_us_per_call"])
    mid = results[len(results) // 2]
    print(f"stations                         {args.stations}")
    print(f"MeterValues calls/s (median)     {mid['calls_per_s']:.0f}")
    print(
        f"charge-point CPU per call        {mid['cp_us_per_call']:.0f} µs "
        f"[{results[0]['cp_us_per_call']:.0f}–{results[-1]['cp_us_per_call']:.0f}] "
        "(validated both ways, logged)"
    )
    print(f"CSMS CPU per call (other proc.)  {mid['csms_us_per_call']:.0f} µs")


if __name__ == "__main__":
    main()
