"""``ocpp-bench bundle export|show`` and ``ocpp-bench replay``.

Exit codes as in ``bench.cli``: 0 ok (replay: no differences), 1 differences,
2 unusable input (no database, no such station, not a bundle), 3 no connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from pathlib import Path

EXIT_OK, EXIT_DIFFERENT, EXIT_USAGE, EXIT_CONNECT = 0, 1, 2, 3


def add_bundle_parsers(sub: argparse._SubParsersAction) -> None:
    bundle = sub.add_parser("bundle", help="session bundles: one station's session as one file")
    actions = bundle.add_subparsers(dest="bundle_command", required=True)
    export = actions.add_parser("export", help="write a station's session from a database")
    export.add_argument("--db", required=True, metavar="FILE", help="`run --db` or proxy database")
    export.add_argument("--station", required=True, metavar="ID", help="the station's id")
    export.add_argument("--out", required=True, metavar="FILE.bundle", help="the bundle to write")
    export.add_argument(
        "--scenario", metavar="FILE", help="the script the station ran, when the database lacks it"
    )
    export.add_argument(
        "--results", metavar="FILE", help="conformance results (results.json) to include"
    )
    show = actions.add_parser("show", help="print a bundle's manifest")
    show.add_argument("bundle", metavar="FILE.bundle")

    replay = sub.add_parser(
        "replay", help="replay a bundle's station side against a CSMS and report differences"
    )
    replay.add_argument("bundle", metavar="BUNDLE")
    replay.add_argument("--csms", required=True, metavar="URL", help="CSMS WebSocket URL")
    replay.add_argument(
        "--speed", type=float, default=1.0, help="divide the recorded gaps by S (default 1)"
    )
    replay.add_argument("--id", dest="station_id", help="station id (default: the bundle's)")
    replay.add_argument(
        "--tolerance",
        type=float,
        default=2.0,
        metavar="S",
        help="a reply this many seconds slower or faster than recorded differs (default 2)",
    )
    replay.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="S",
        help="how long to wait for a request the CSMS sent in the recording (default 30)",
    )
    replay.add_argument("--password", help="HTTP Basic auth password")
    replay.add_argument("--ca", metavar="FILE", help="CA certificate to verify the CSMS (wss)")


def fail(message: str, code: int) -> int:
    print(f"ocpp-bench: {message}", file=sys.stderr, flush=True)
    return code


def run_bundle_command(args: argparse.Namespace) -> int:
    if args.bundle_command == "show":
        from bench.bundle.format import BundleError, read_bundle

        try:
            bundle = read_bundle(args.bundle)
        except (BundleError, OSError) as exc:
            return fail(str(exc), EXIT_USAGE)
        print(json.dumps(bundle.manifest(), indent=2), flush=True)
        return EXIT_OK
    return _export(args)


def _export(args: argparse.Namespace) -> int:
    from bench.bundle.export import NoSuchStation, export_bundle, stations_in
    from bench.bundle.format import write_bundle
    from bench.model.clock import SystemClock
    from bench.store.db import StoreFormatError, open_database

    if not Path(args.db).is_file():
        return fail(f"no database at {args.db}", EXIT_USAGE)
    try:
        scenario = Path(args.scenario).read_text("utf-8").rstrip("\n") if args.scenario else None
        results = json.loads(Path(args.results).read_text("utf-8")) if args.results else None
    except (OSError, ValueError) as exc:
        return fail(f"cannot read {args.scenario or args.results}: {exc}", EXIT_USAGE)
    try:
        conn = open_database(args.db)
    except (sqlite3.DatabaseError, StoreFormatError) as exc:
        return fail(f"{args.db} is not a bench database: {exc}", EXIT_USAGE)
    try:
        bundle = export_bundle(
            conn,
            args.station,
            now=SystemClock().now(),
            scenario=scenario,
            conformance=results,
        )
    except NoSuchStation:
        known = ", ".join(stations_in(conn)) or "none"
        return fail(
            f"{args.db} has no frames of station {args.station} (it has: {known})", EXIT_USAGE
        )
    finally:
        conn.close()
    try:
        write_bundle(bundle, args.out)
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc}", EXIT_USAGE)
    print(f"{len(bundle.frames)} frames of {bundle.station} written to {args.out}", flush=True)
    for part, why in bundle.missing.items():
        print(f"  no {part}: {why}", flush=True)
    return EXIT_OK


def run_replay(args: argparse.Namespace) -> int:
    from bench.bundle.format import BundleError, read_bundle
    from bench.bundle.replay import Replay, ReplayError, ReplayOptions
    from bench.model.clock import SystemClock
    from bench.transport.errors import LinkError

    if not args.speed > 0:
        return fail("--speed must be above 0", EXIT_USAGE)
    try:
        bundle = read_bundle(args.bundle)
        replay = Replay(
            bundle,
            ReplayOptions(
                csms_url=args.csms,
                station_id=args.station_id,
                speed=args.speed,
                tolerance_s=args.tolerance,
                wait=args.wait,
                password=args.password,
                ca_file=args.ca,
            ),
            SystemClock(),
        )
    except (BundleError, ReplayError, OSError) as exc:
        return fail(str(exc), EXIT_USAGE)
    try:
        report = asyncio.run(replay.run())
    except LinkError as exc:
        return fail(f"cannot connect to {args.csms}: {exc}", EXIT_CONNECT)
    except ValueError as exc:  # a URL or security setting LinkConfig refuses
        return fail(str(exc), EXIT_USAGE)
    for difference in report.differences:
        print(difference.describe(), flush=True)
    print(report.summary(), flush=True)
    return EXIT_OK if report.same else EXIT_DIFFERENT
