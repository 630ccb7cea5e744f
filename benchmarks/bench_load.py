"""``ocpp-bench load`` at its targets (issue 16), against the built-in CSMS in its own process.

    one    one Locust process (the stations on one asyncio loop) hosts N stations of the
           steady-charging mix: failures, the loop's lag p99, KiB per station, CPU per message
    dist   a master with 2 local workers (--processes 2) runs N stations; Locust's counts
           per action are compared with what the CSMS logged it received

    .venv/bin/python benchmarks/bench_load.py one --stations 5000
    .venv/bin/python benchmarks/bench_load.py dist --stations 10000

The CSMS sends a 30 s heartbeat interval. The steady state is measured from 15 s
after the last station was spawned to the end of the run; the loop lag (how late a
100 ms sleeper on the stations' loop woke) comes from ``run_stations_history.csv``
(one row per report of a Locust process, every 3 s): its p99 is under 100 ms when
under 1 % of the steady window's samples are over 100 ms; also shown, the worst
window's p99 and the longest GC pause. Memory per station is the
Locust process's RSS at the end of the run minus its RSS with 20 stations (a second,
short run), over the difference in stations.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import cpu_seconds, csms_process, raise_fd_limit, rss_bytes

ROOT = Path(__file__).resolve().parent.parent
OCPP_TYPES = ("CALL", "CSMS")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    for _ in range(1000):
        if not todo:
            break
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def run_load(
    url: str,
    out: Path,
    stations: int,
    rate: float,
    seconds: int,
    processes: int,
    csms_pid: int | None = None,
):
    """Runs ``ocpp-bench load``; samples every process of its tree once a second (and
    the CSMS's CPU, under the key -1, to see when it, not the bench, was saturated)."""
    cmd = [sys.executable, "-m", "bench.cli", "load", "--csms", url, "--stations", str(stations)]
    cmd += ["--spawn-rate", f"{rate:g}", "--mix", "steady-charging", "--run-time", f"{seconds}s"]
    cmd += ["--headless", "--csv", str(out / "run"), "--max-failure-ratio", "0.01"]
    if processes:
        cmd += ["--processes", str(processes)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (out / "locust.log").open("w")
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=raise_fd_limit
    )
    samples: list[tuple[float, dict[int, tuple[float, int]]]] = []
    for _ in range(seconds + 600):
        if proc.poll() is not None:
            break
        per: dict[int, tuple[float, int]] = {}
        for pid in _tree(proc.pid)[1:]:  # the Locust processes, not the ocpp-bench wrapper
            try:
                per[pid] = (cpu_seconds(pid), rss_bytes(pid))
            except (OSError, RuntimeError, IndexError):
                continue
        csms_cpu: dict[int, tuple[float, int]] = {}
        if csms_pid is not None:
            csms_cpu[-1] = (cpu_seconds(csms_pid), 0)
        samples.append((time.time(), per | csms_cpu))
        time.sleep(1)
    code = proc.wait(120)
    log.close()
    return code, samples


def history(out: Path) -> list[dict[str, str]]:
    with (out / "run_stats_history.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def steady_window(
    rows: list[dict[str, str]], own: list[dict[str, str]], stations: int, seconds: int
) -> tuple[float, float]:
    """From 15 s after the last station was spawned and booted (on a busy machine the
    boots trail the spawning by a minute or more) to 3 s before the run time ends
    (then the stations stop: no longer the steady state)."""
    spawned = [float(r["Timestamp"]) for r in rows if int(r["User Count"]) >= stations]
    if not spawned:
        raise RuntimeError("the run never reached its station count")
    booted: dict[str, int] = {}
    all_booted = float("inf")
    for r in own:
        booted[r["Source"]] = int(r["Booted"])
        if sum(booted.values()) >= stations:
            all_booted = float(r["Timestamp"])
            break
    if all_booted == float("inf"):
        print("warning: not every station booted; the steady window starts after spawning")
        all_booted = spawned[0]
    end = min(float(rows[0]["Timestamp"]) + seconds, float(rows[-1]["Timestamp"])) - 3
    return max(spawned[0], all_booted) + 15, end


def counts_at(rows: list[dict[str, str]], t: float) -> int:
    """OCPP messages (station- and CSMS-initiated requests) counted up to time t."""
    last: dict[tuple[str, str], int] = {}
    for r in rows:
        if float(r["Timestamp"]) <= t and r["Type"] in OCPP_TYPES:
            last[(r["Type"], r["Name"])] = int(r["Total Request Count"])
    return sum(last.values())


def cpu_between(samples, t0: float, t1: float, csms: bool = False) -> float:
    """CPU seconds of the Locust processes (or of the CSMS) between t0 and t1."""
    inside = [(t, per) for t, per in samples if t0 <= t <= t1]
    if len(inside) < 2:
        return 0.0
    (_, a), (_, b) = inside[0], inside[-1]
    return sum(b[p][0] - a[p][0] for p in b if p in a and (p == -1) == csms)


def busy_line(samples, t0: float, t1: float) -> str:
    """Share of one core the CSMS and the Locust processes used from t0 to t1."""
    span = max(t1 - t0, 1)
    bench = cpu_between(samples, t0, t1) / span * 100
    csms = cpu_between(samples, t0, t1, csms=True) / span * 100
    return f"Locust processes {bench:.0f} %, CSMS {csms:.0f} % of one core"


def final_stats(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    with (out / "run_stats.csv").open(newline="") as f:
        return {(r["Type"], r["Name"]): r for r in csv.DictReader(f)}


def own_history(out: Path) -> list[dict[str, str]]:
    """The run's own figures (loop lag, GC pauses), one row per process report."""
    with (out / "run_stations_history.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def lag_over_target(rows: list[dict[str, str]], t0: float, t1: float) -> tuple[int, int]:
    """Lag samples above 100 ms, and all lag samples, in the steady window: the loop's
    lag p99 is under 100 ms exactly when the first is under 1 % of the second."""
    inside = [r for r in rows if t0 <= float(r["Timestamp"]) <= t1]
    return sum(int(r["Lag over 100 ms"]) for r in inside), sum(
        int(r["Lag samples"]) for r in inside
    )


def lag_line(rows: list[dict[str, str]], t0: float, t1: float) -> str:
    over, samples = lag_over_target(rows, t0, t1)
    verdict = "p99 < 100 ms" if over < 0.01 * samples else "p99 >= 100 ms"
    return f"{over} of {samples} samples over 100 ms ({over / max(samples, 1):.2%}): {verdict}"


def worst_in_steady(rows: list[dict[str, str]], t0: float, t1: float, column: str) -> float:
    values = [float(r[column]) for r in rows if t0 <= float(r["Timestamp"]) <= t1]
    return max(values) if values else float("nan")


def failures(stats) -> tuple[int, int]:
    total = failed = 0
    for (kind, _name), r in stats.items():
        if kind in ("CALL", "WebSocket", "station", "control"):
            total += int(r["Request Count"])
            failed += int(r["Failure Count"])
    return failed, total


def one(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    small, big = tmp / "small", tmp / "big"
    small.mkdir()
    big.mkdir()
    with csms_process("--accept-unknown-tags", "--heartbeat", "30") as (url, csms):
        _base_code, base_samples = run_load(url, small, 20, 20, 30, 0)
        base_rss = max(sum(v[1] for v in per.values()) for _t, per in base_samples if per)
        csms_cpu0 = cpu_seconds(csms.pid)
        code, samples = run_load(url, big, args.stations, args.rate, args.seconds, 0, csms.pid)
        csms_cpu = cpu_seconds(csms.pid) - csms_cpu0
    rows = history(big)
    own = own_history(big)
    t0, t1 = steady_window(rows, own, args.stations, args.seconds)
    messages = counts_at(rows, t1) - counts_at(rows, t0)
    cpu = cpu_between(samples, t0, t1)
    end_rss = max(sum(v[1] for v in per.values()) for _t, per in samples[-5:] if per)
    stats = final_stats(big)
    failed, total = failures(stats)
    print(f"stations                     {args.stations} (steady-charging, OCPP 1.6)")
    print(f"exit status                  {code}")
    print(f"failures                     {failed} of {total} ({failed / max(total, 1):.4%})")
    print(f"steady window                {t1 - t0:.0f} s")
    print(f"OCPP messages per second     {messages / max(t1 - t0, 1):.1f}")
    print(f"Locust process CPU           {cpu / max(t1 - t0, 1) * 100:.1f} % of one core")
    print(f"CPU per message              {cpu / max(messages, 1) * 1e6:.0f} µs")
    print(f"event loop lag (steady)      {lag_line(own, t0, t1)}")
    print(f"worst 3 s window's lag p99   {worst_in_steady(own, t0, t1, 'Lag p99 ms'):.0f} ms")
    print(f"event loop lag max           {worst_in_steady(own, t0, t1, 'Lag max ms'):.0f} ms")
    print(f"longest GC pause (steady)    {worst_in_steady(own, t0, t1, 'GC max ms'):.0f} ms")
    hub = max((float(r["Hub lag max ms"]) for r in own), default=float("nan"))
    print(f"Locust hub lag max (run)     {hub:.0f} ms (a worker misses heartbeats past 3000)")
    print(f"load average at the end      {os.getloadavg()[0]:.2f}")
    print(
        f"RSS                          {end_rss / 2**20:.0f} MiB (20 stations: "
        f"{base_rss / 2**20:.0f} MiB)"
    )
    print(f"KiB per station              {(end_rss - base_rss) / 1024 / (args.stations - 20):.1f}")
    print(f"CSMS CPU over the run        {csms_cpu:.0f} s")
    ramp = float(rows[0]["Timestamp"])
    print(f"busy while booting           {busy_line(samples, ramp, t0 - 15)}")
    print(f"busy in the steady window    {busy_line(samples, t0, t1)}")
    for key in sorted(stats):
        r = stats[key]
        print(
            f"  {key[0]:9} {key[1]:28} {r['Request Count']:>8} reqs "
            f"{r['Failure Count']:>6} fails  p50 {r['50%']:>6} ms  p99 {r['99%']:>6} ms"
        )
    print(f"(reports in {big})")


def dist(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-dist-"))
    log = tmp / "csms.jsonl"
    with csms_process("--accept-unknown-tags", "--heartbeat", "30", "--log", str(log)) as (
        url,
        csms,
    ):
        csms_cpu0 = cpu_seconds(csms.pid)
        code, samples = run_load(url, tmp, args.stations, args.rate, args.seconds, 2, csms.pid)
        csms_cpu = cpu_seconds(csms.pid) - csms_cpu0
    time.sleep(2)  # the CSMS's log is flushed as it stops
    received: Counter[str] = Counter()
    booted: set[str] = set()
    with log.open() as f:
        for line in f:
            frame = json.loads(line)
            if frame["direction"] == "rx" and frame["type"] == "CALL":
                received[frame["action"]] += 1
                if frame["action"] == "BootNotification":
                    booted.add(frame["station"])
    stats = final_stats(tmp)
    failed, total = failures(stats)
    rows = history(tmp)
    own = own_history(tmp)
    t0, t1 = steady_window(rows, own, args.stations, args.seconds)
    cpu = cpu_between(samples, t0, t1)
    print(f"stations                     {args.stations}, a master and 2 local workers")
    print(f"exit status                  {code}")
    print(f"failures                     {failed} of {total}")
    print(f"distinct stations booted     {len(booted)} (CSMS's log)")
    print(f"Locust processes' CPU        {cpu / max(t1 - t0, 1) * 100:.1f} % of one core (steady)")
    print(f"workers reporting            {len({r['Source'] for r in own})}")
    master_log = (tmp / "locust.log").read_text(errors="replace")
    print(f"missed heartbeats (master)   {master_log.count('failed to send heartbeat')}")
    print(f"event loop lag (steady)      {lag_line(own, t0, t1)}")
    print(f"worst 3 s window's lag p99   {worst_in_steady(own, t0, t1, 'Lag p99 ms'):.0f} ms")
    print(f"longest GC pause (steady)    {worst_in_steady(own, t0, t1, 'GC max ms'):.0f} ms")
    hub = max((float(r["Hub lag max ms"]) for r in own), default=float("nan"))
    print(f"Locust hub lag max (run)     {hub:.0f} ms (a worker misses heartbeats past 3000)")
    print(f"load average at the end      {os.getloadavg()[0]:.2f}")
    print(f"CSMS CPU over the run        {csms_cpu:.0f} s")
    ramp = float(rows[0]["Timestamp"])
    print(f"busy while booting           {busy_line(samples, ramp, t0 - 15)}")
    print(f"busy in the steady window    {busy_line(samples, t0, t1)}")
    print(f"  {'action':28} {'Locust':>9} {'CSMS got':>9}")
    sum_locust = sum_csms = 0
    for action in sorted(received):
        mine = int(stats.get(("CALL", action), {}).get("Request Count", 0))
        sum_locust += mine
        sum_csms += received[action]
        print(f"  {action:28} {mine:>9} {received[action]:>9}")
    print(f"  {'total':28} {sum_locust:>9} {sum_csms:>9}")
    with (tmp / "run_stations.csv").open(newline="") as f:
        own_summary = {r["Entry"]: r for r in csv.DictReader(f)}
    unanswered = int(own_summary.get("unanswered at stop", {}).get("Count", 0))
    print(f"  {'unanswered at stop':28} {unanswered:>9}")
    print(f"  {'Locust + unanswered':28} {sum_locust + unanswered:>9} {sum_csms:>9}")
    print(f"(reports in {tmp})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", choices=["one", "dist"])
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0, help="spawn rate")
    parser.add_argument("--seconds", type=int, default=150, help="run time")
    args = parser.parse_args()
    raise_fd_limit()
    (one if args.case == "one" else dist)(args)


if __name__ == "__main__":
    main()
