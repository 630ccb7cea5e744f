"""``ocpp-bench load``: a Locust run whose users are the bench's stations (issue 16).

    ocpp-bench load --csms URL --ocpp 1.6|2.0.1 --stations N [--spawn-rate R] [--mix FILE|NAME]
                    [--run-time DURATION] [--headless] [--web-port P] [--csv PREFIX]
                    [--html FILE] [--max-failure-ratio F] [--processes K]
                    [--master [--expect-workers K]] [--worker --master-host HOST]
                    [--password PW] [--ca FILE] [--cert FILE --key FILE] [--id-prefix PREFIX]
                    [--csms-control URL]

This module never imports Locust or gevent: it checks the options, then starts
Locust in a child process (``python -m locust -f bench/load/locustfile.py ...``)
so gevent never touches this process. Exit status: Locust's, which is 1 when the
failure ratio passed ``--max-failure-ratio``; 2 for bad usage.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.load.mix import MixError, load_mix, shipped_mixes
from bench.transport.config import LinkConfig

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


def add_load_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "load",
        help="load-test a CSMS with Locust: the bench's stations as Locust users",
        description="A Locust run whose users are real bench stations (both OCPP versions, "
        "the same templates, EVs and meters). Shipped mixes: " + ", ".join(shipped_mixes()),
    )
    p.add_argument("--csms", metavar="URL", help="CSMS WebSocket URL (not needed with --worker)")
    p.add_argument("--ocpp", default="1.6", choices=["1.6", "2.0.1"], help="default 1.6")
    p.add_argument("--stations", type=int, metavar="N", help="stations (default: the mix's)")
    p.add_argument(
        "--spawn-rate", type=float, metavar="R", help="stations started per second (mix's)"
    )
    p.add_argument(
        "--mix", default="steady-charging", metavar="FILE|NAME", help="default steady-charging"
    )
    p.add_argument("--run-time", metavar="DURATION", help="e.g. 30s, 10m, 1h30m (with --headless)")
    p.add_argument("--headless", action="store_true", help="no web UI: start at once, print stats")
    p.add_argument("--web-port", type=int, metavar="P", help="Locust's web UI port (8089)")
    p.add_argument(
        "--web-host",
        default="127.0.0.1",
        metavar="ADDR",
        help="interface of the web UI (default 127.0.0.1; 0.0.0.0 in a container)",
    )
    p.add_argument("--csv", metavar="PREFIX", help="write Locust's CSV reports PREFIX_*.csv")
    p.add_argument("--html", metavar="FILE", help="write Locust's HTML report")
    p.add_argument(
        "--max-failure-ratio",
        type=float,
        default=0.01,
        metavar="F",
        help="exit 1 when failed requests / requests is above F (default 0.01)",
    )
    p.add_argument("--processes", type=int, metavar="K", help="K local workers under one master")
    p.add_argument("--master", action="store_true", help="be the master of a distributed run")
    p.add_argument("--expect-workers", type=int, metavar="K", help="master: wait for K workers")
    p.add_argument("--master-bind-port", type=int, metavar="PORT", help="master: port (5557)")
    p.add_argument("--worker", action="store_true", help="be a worker of a distributed run")
    p.add_argument("--master-host", metavar="HOST", help="worker: the master's address")
    p.add_argument("--master-port", type=int, metavar="PORT", help="worker: master port (5557)")
    p.add_argument("--password", help="HTTP Basic auth password (security profiles 1 and 2)")
    p.add_argument("--ca", metavar="FILE", help="CA certificate to verify the CSMS (wss)")
    p.add_argument("--cert", metavar="FILE", help="client certificate (security profile 3)")
    p.add_argument("--key", metavar="FILE", help="client private key (security profile 3)")
    p.add_argument("--id-prefix", default="LOAD", help="station ids: PREFIX<worker>-<n>")
    p.add_argument("--call-timeout", type=float, default=30.0, metavar="S", help="default 30")
    p.add_argument(
        "--csms-control",
        metavar="URL",
        help="the CSMS's HTTP control API (`ocpp-bench csms --control-port`): how the mix's "
        "remote-start share asks the CSMS to start sessions",
    )
    return p


class UsageError(ValueError):
    """Options that cannot make a run; the message says which."""


def locust_command(args: argparse.Namespace) -> list[str]:
    """The Locust command line for these options (``UsageError`` when they do not fit)."""
    if args.master and args.worker:
        raise UsageError("--master and --worker exclude each other")
    if args.worker and not args.master_host:
        raise UsageError("--worker needs --master-host HOST")
    if args.processes is not None and args.processes < 1:
        raise UsageError("--processes must be at least 1")
    cmd = [
        sys.executable,
        "-m",
        "bench.load.launch",
        "-f",
        str(LOCUSTFILE),
        "--exit-code-on-error",
        "0",
    ]
    if args.worker:
        # A worker gets the host, the stations and every --bench-* option from its master.
        cmd += ["--worker", "--master-host", args.master_host]
        if args.master_port:
            cmd += ["--master-port", str(args.master_port)]
        if args.processes:
            cmd += ["--processes", str(args.processes)]
        return cmd
    if not args.csms:
        raise UsageError("--csms URL is required (except with --worker)")
    LinkConfig(url=args.csms, station_id="LOAD", subprotocol="ocpp1.6").endpoint()
    try:
        mix = load_mix(args.mix)
    except MixError as exc:
        raise UsageError(str(exc)) from None
    stations = args.stations if args.stations is not None else mix.stations
    rate = args.spawn_rate if args.spawn_rate is not None else mix.spawn_rate
    if stations < 1 or rate <= 0:
        raise UsageError("--stations must be at least 1 and --spawn-rate above 0")
    if not 0 <= args.max_failure_ratio <= 1:
        raise UsageError("--max-failure-ratio is a fraction between 0 and 1")
    if mix.remote_starts and not args.csms_control:
        raise UsageError(
            f"mix {mix.name!r} has a remote-start share: give the CSMS's control API "
            "with --csms-control URL (the built-in CSMS serves one with --control-port)"
        )
    mix_arg = str(Path(args.mix).resolve()) if Path(args.mix).suffix else args.mix
    cmd += ["--host", args.csms, "-u", str(stations), "-r", f"{rate:g}"]
    cmd += ["--bench-ocpp", args.ocpp, "--bench-mix", mix_arg]
    cmd += ["--bench-id-prefix", args.id_prefix, "--bench-call-timeout", f"{args.call_timeout:g}"]
    cmd += ["--bench-max-failure-ratio", f"{args.max_failure_ratio:g}"]
    for flag, value in (
        ("--bench-password", args.password),
        ("--bench-ca", args.ca),
        ("--bench-cert", args.cert),
        ("--bench-key", args.key),
        ("--bench-csms-control", args.csms_control),
    ):
        if value:
            is_file = flag in ("--bench-ca", "--bench-cert", "--bench-key")
            cmd += [flag, str(Path(value).resolve()) if is_file else value]
    if args.headless:
        cmd.append("--headless")
    if args.run_time:
        cmd += ["--run-time", args.run_time]
    if args.web_port is not None:
        cmd += ["--web-port", str(args.web_port)]
    cmd += ["--web-host", args.web_host]
    if args.csv:
        cmd += ["--csv", args.csv, "--csv-full-history"]
    if args.html:
        cmd += ["--html", args.html]
    if args.processes:
        cmd += ["--processes", str(args.processes)]
        if args.master_bind_port:
            # The local workers connect to --master-port; keep it on the master's port.
            cmd += ["--master-bind-port", str(args.master_bind_port)]
            cmd += ["--master-port", str(args.master_bind_port)]
    if args.master:
        cmd.append("--master")
        if args.master_bind_port:
            cmd += ["--master-bind-port", str(args.master_bind_port)]
    if args.expect_workers:
        cmd += ["--expect-workers", str(args.expect_workers)]
    return cmd


def locust_environment() -> dict[str, str]:
    """The child's environment: gevent patches nothing (bench.load.locustfile says why)."""
    # The project root first on the path: the child imports this very ``bench``.
    root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "LOCUST_SKIP_MONKEY_PATCH": "1", "PYTHONPATH": path}


def run_load(args: argparse.Namespace) -> int:
    try:
        cmd = locust_command(args)
    except (UsageError, ValueError) as exc:
        print(f"ocpp-bench: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    proc = subprocess.Popen(cmd, env=locust_environment())
    # Ctrl+C reaches Locust too (one process group): it stops its stations and writes
    # its reports, which takes a moment; this process waits for that rather than
    # killing it. Bounded: each further Ctrl+C is one more pass.
    for _ in range(100):
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue
    proc.kill()
    return proc.wait()
