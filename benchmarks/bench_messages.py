"""Charge-point CPU per message, every frame validated in both directions.

N booted stations send MeterValues (a realistic 3-phase sample) back to back
to the built-in CSMS in a second process. Reports calls/s and the charge point
process's CPU time per call (one CALL out + one CALLRESULT in, both validated
against their schemas and logged to a sink).

With ``--ocpp 2.0.1`` the stations send the same measurands (1.6's default
MeterValuesSampledData) as a 2.0.1 MeterValues, or with ``--call transaction-event``
as TransactionEvent Updated/MeterValuePeriodic inside one open transaction per station.

    .venv/bin/python benchmarks/bench_messages.py --stations 100 --seconds 10
    .venv/bin/python benchmarks/bench_messages.py --ocpp 2.0.1 --call transaction-event
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    add_common_arguments,
    add_ocpp_argument,
    check_quiet,
    cpu_seconds,
    csms_process,
    emit,
    make_charge_point,
    raise_fd_limit,
)

# 1.6's default MeterValuesSampledData: 9 sampled values on a 3-phase AC station.
MEASURANDS = [
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
    "SoC",
]


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
    from bench.store.db import open_database

    db = open_database(Path(tempfile.mkdtemp(prefix="bench-msg-")) / "b.db")
    template = load_station_template("ac-11kw")
    clock = SystemClock()
    sink = CountingSink()
    cps = []
    for i in range(args.stations):
        station = build_station(f"MSG{i:04d}", template, clock, seed=i)
        station.connector(1).plug_in(Ev(load_ev_template("family-ev")))
        cp = make_charge_point(args.ocpp, station, url, db, sink=sink)
        await cp.start()
        cps.append(cp)
    for cp in cps:
        await cp.wait_accepted(60)
    await asyncio.sleep(1.0)
    if args.ocpp == "1.6":
        action, make_payload = "MeterValues", payload_maker_16(cps[0], clock)
    else:
        action, make_payload = await payload_maker_201(args.call, cps, clock)

    calls = 0
    stop_at = 0.0

    async def pump(cp) -> None:
        nonlocal calls
        while time.perf_counter() < stop_at:
            await cp.session.call(action, make_payload(cp))
            calls += 1

    cpu0, csms_cpu0, t0 = cpu_seconds(), cpu_seconds(csms_pid), time.perf_counter()
    stop_at = t0 + args.seconds
    await asyncio.gather(*(pump(cp) for cp in cps))
    elapsed = time.perf_counter() - t0
    cpu, csms_cpu = cpu_seconds() - cpu0, cpu_seconds(csms_pid) - csms_cpu0
    payload_bytes = len(json.dumps(make_payload(cps[0])))
    for cp in cps:
        await cp.stop(drain_timeout=0.1)
    return {
        "calls": calls,
        "calls_per_s": calls / elapsed,
        "cp_us_per_call": cpu / calls * 1e6,
        "csms_us_per_call": csms_cpu / calls * 1e6,
        "payload_bytes": payload_bytes,
    }


def payload_maker_16(cp, clock) -> Callable[[Any], dict[str, Any]]:
    from bench.ocpp.v16.metering import meter_value, sampled_values

    items = cp.config.value("MeterValuesSampledData")

    def make(cp) -> dict[str, Any]:
        values = sampled_values(cp.station.connector(1), items, "Sample.Periodic")
        return {"connectorId": 1, "meterValue": [meter_value(clock.now(), values)]}

    return make


async def payload_maker_201(call: str, cps: list, clock) -> tuple[str, Callable]:
    """The 2.0.1 call and its payload builder; a TransactionEvent needs its transaction open."""
    from bench.ocpp.common.timestamps import iso
    from bench.ocpp.v201.tx_meter import meter_value

    def reading(cp) -> list[dict[str, Any]]:
        values = cp.transactions.metering.sampler.values(
            cp.station.connector(1), MEASURANDS, "Sample.Periodic"
        )
        return [meter_value(clock.now(), values)]

    if call == "meter-values":
        return "MeterValues", lambda cp: {"evseId": 1, "meterValue": reading(cp)}

    seq_nos = {cp.station.id: 0 for cp in cps}

    def event(cp, event_type: str, trigger: str) -> dict[str, Any]:
        sid = cp.station.id
        payload = {
            "eventType": event_type,
            "timestamp": iso(clock.now()),
            "triggerReason": trigger,
            "seqNo": seq_nos[sid],
            "transactionInfo": {"transactionId": f"bench-{sid}"},
            "meterValue": reading(cp),
        }
        if event_type == "Started":
            payload["evse"] = {"id": 1, "connectorId": 1}
            payload["transactionInfo"]["chargingState"] = "EVConnected"
        seq_nos[sid] += 1
        return payload

    for cp in cps:  # E01: the transaction starts once, every measured call is an Updated
        await cp.session.call("TransactionEvent", event(cp, "Started", "CablePluggedIn"))
    return "TransactionEvent", lambda cp: event(cp, "Updated", "MeterValuePeriodic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--call",
        choices=("meter-values", "transaction-event"),
        default="meter-values",
        help="2.0.1 only: MeterValues or TransactionEvent Updated with the same meter values",
    )
    add_ocpp_argument(parser)
    add_common_arguments(parser)
    args = parser.parse_args()
    load = check_quiet(args)
    raise_fd_limit()
    results = []
    for _ in range(args.runs):
        with csms_process() as (url, proc):
            results.append(asyncio.run(measure(args, url, proc.pid)))
    results.sort(key=lambda r: r["cp_us_per_call"])
    mid = results[len(results) // 2]
    call = (
        "MeterValues" if args.ocpp == "1.6" or args.call == "meter-values" else "TransactionEvent"
    )
    print(f"OCPP / call                      {args.ocpp} / {call} ({mid['payload_bytes']:.0f} B)")
    print(f"stations                         {args.stations}")
    print(f"calls/s (median)                 {mid['calls_per_s']:.0f}")
    print(
        f"charge-point CPU per call        {mid['cp_us_per_call']:.0f} µs "
        f"[{results[0]['cp_us_per_call']:.0f}–{results[-1]['cp_us_per_call']:.0f}] "
        "(validated both ways, logged)"
    )
    print(f"CSMS CPU per call (other proc.)  {mid['csms_us_per_call']:.0f} µs")
    emit(args, load, {k: mid[k] for k in ("calls_per_s", "cp_us_per_call", "csms_us_per_call")})


if __name__ == "__main__":
    main()
