"""``ocpp-bench``: the command line (a stable interface: tests and users script against it).

    ocpp-bench                 the desktop app (the headless demo when there is no screen)
    ocpp-bench demo            built-in CSMS plus one charging station, log on the terminal
    ocpp-bench csms ...        the built-in CSMS, headless
    ocpp-bench run ...         one virtual station against any CSMS
    ocpp-bench conformance ... the OCTT test cases: list them, run them against a CSMS
    ocpp-bench bundle ...      a station's session as one file (export, show)
    ocpp-bench replay ...      replay a bundle against a CSMS, report what it answers differently
    ocpp-bench proxy ...       a transparent OCPP-J proxy between a charger and its CSMS
    ocpp-bench load ...        load-test a CSMS with Locust (bench.load.cli)

User mistakes (bad URL, refused connection, unknown template, bad step) print
one clear line and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bench.fd_limit import raise_open_file_limit
from bench.until_stopped import wait_until_stopped

if TYPE_CHECKING:
    from bench.kernel.frames import FrameSink
    from bench.runtime import StationRun

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONNECT, EXIT_UNDELIVERED = 0, 1, 2, 3, 4
EXIT_UNSAVED = 5  # the disk refused writes and something was lost as the run ended


def _add_run_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run one virtual station against a CSMS")
    run.add_argument(
        "--csms", required=True, metavar="URL", help="CSMS WebSocket URL (ws:// or wss://)"
    )
    run.add_argument("--id", required=True, dest="station_id", help="charge point identity")
    run.add_argument(
        "--ocpp", default="1.6", choices=["1.6", "2.0.1"], help="OCPP version (default 1.6)"
    )
    run.add_argument("--station", default="ac-11kw", metavar="TEMPLATE", help="station template")
    run.add_argument("--ev", default="family-ev", metavar="TEMPLATE", help="default EV template")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        dest="settings",
        help="change a station setting of the template, e.g. boot_seconds=0 or"
        " security_extension=false (repeatable)",
    )
    run.add_argument(
        "--speed", type=float, default=1.0, help="virtual time factor (60: 1 h per minute)"
    )
    run.add_argument("--seed", type=int, default=0, help="seed for meter noise (reproducible runs)")
    run.add_argument("--log", metavar="FILE.jsonl", help="write every frame as JSON Lines")
    run.add_argument("--db", metavar="FILE", help="SQLite file (queue, configuration, message log)")
    run.add_argument("--password", help="HTTP Basic auth password (security profiles 1 and 2)")
    run.add_argument("--ca", metavar="FILE", help="CA certificate to verify the CSMS (wss)")
    run.add_argument("--cert", metavar="FILE", help="client certificate (security profile 3)")
    run.add_argument("--key", metavar="FILE", help="client private key (security profile 3)")
    group = run.add_mutually_exclusive_group()
    group.add_argument("--script", metavar="STEPS", help="steps separated by ';'")
    group.add_argument("--script-file", metavar="FILE", help="steps, one per line")
    run.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="stop after S real seconds (default: run until interrupted)",
    )
    run.add_argument(
        "--drain",
        type=float,
        default=60.0,
        metavar="S",
        help="at the end, keep delivering queued transaction messages for up to S seconds "
        "(default 60); exit 4 if some are still queued",
    )
    run.add_argument(
        "--connect-timeout",
        type=float,
        default=15.0,
        metavar="S",
        help="give up when the first boot does not succeed within S seconds",
    )
    run.add_argument(
        "--impair",
        action="append",
        default=[],
        metavar="FAULT",
        help='network fault from the start, e.g. "latency 800ms jitter 200ms", "loss 5%%", '
        '"halfopen", "flap 30s", "tlsfail", "dnsfail" (repeatable; README "Network faults")',
    )
    run.add_argument("--quiet", action="store_true", help="do not stream the log to the terminal")
    from bench.devices.cli import add_device_arguments

    add_device_arguments(run)


def build_parser() -> argparse.ArgumentParser:
    from bench.csms.cli import add_csms_parser

    parser = argparse.ArgumentParser(
        prog="ocpp-bench",
        description="OCPP Bench: virtual charge points against any CSMS. "
        "Without a command: the desktop app, or the headless demo (the built-in CSMS "
        "plus one charging station) where there is no screen.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command")
    add_csms_parser(sub)
    _add_run_parser(sub)
    from bench.devices.cli import add_device_commands

    add_device_commands(sub)
    from bench.conformance.cli import add_conformance_parser

    add_conformance_parser(sub)
    from bench.bundle.cli import add_bundle_parsers

    add_bundle_parsers(sub)
    from bench.proxy.cli import add_proxy_parser

    add_proxy_parser(sub)
    from bench.load.cli import add_load_parser

    add_load_parser(sub)
    export = sub.add_parser("export", help="export a station database's message log")
    export.add_argument("--db", required=True, metavar="FILE", help="the SQLite file of `run`")
    export.add_argument("--out", required=True, metavar="FILE.jsonl", help="JSON Lines output")
    export.add_argument(
        "--sessions", action="store_true", help="the sessions of a `csms --db` file, as CSV"
    )
    export.add_argument("--station", help="only this station")
    export.add_argument("--action", help="only this action")
    export.add_argument("--text", help="only frames whose payload contains this text")
    demo = sub.add_parser("demo", help="built-in CSMS plus one charging station (the default)")
    demo.add_argument("--speed", type=float, default=60.0)
    demo.add_argument("--duration", type=float, default=None)
    demo.add_argument(
        "--ocpp", default="1.6", choices=["1.6", "2.0.1"], help="the station's OCPP version"
    )
    demo.add_argument("--log", metavar="FILE.jsonl", help="also write every frame as JSON Lines")
    return parser


def fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"ocpp-bench: {message}", file=sys.stderr, flush=True)
    return code


async def run_station(args: argparse.Namespace) -> int:
    from bench.drain import describe, undelivered
    from bench.model.templates import TemplateError
    from bench.runtime import StationOptions, StationRun
    from bench.store.db import StoreOpenError
    from bench.store.sinks import ConsoleSink, JsonlSink

    sinks: list[FrameSink] = []
    if args.log:
        try:
            sinks.append(JsonlSink(args.log))
        except OSError as exc:
            return fail(f"cannot open log file {args.log}: {exc.strerror or exc}", EXIT_USAGE)
    if not args.quiet:
        sinks.append(ConsoleSink(sys.stdout))
    from bench.devices.cli import device_specs

    try:
        devices = device_specs(args)
    except ValueError as exc:
        return fail(str(exc), EXIT_USAGE)
    options = StationOptions(
        csms_url=args.csms,
        station_id=args.station_id,
        ocpp=args.ocpp,
        station_template=args.station,
        ev_template=args.ev,
        speed=args.speed,
        seed=args.seed,
        db=args.db,
        password=args.password,
        ca_file=args.ca,
        cert_file=args.cert,
        key_file=args.key,
        sinks=sinks,
        devices=devices,
        settings=dict(item.partition("=")[::2] for item in args.settings),
        impair=list(args.impair),
    )
    bad = [item for item in args.settings if "=" not in item]
    if bad:
        return fail(f"--set {bad[0]!r}: expected SETTING=VALUE", EXIT_USAGE)
    from bench.transport.impair_spec import NO_IMPAIRMENT, ImpairmentError, parse_impairment

    fault = NO_IMPAIRMENT
    for spec in args.impair:  # each adds to the ones before, as the station applies them
        try:
            fault = parse_impairment(spec, fault)
        except ImpairmentError as exc:
            return fail(f"--impair {spec!r}: {exc}", EXIT_USAGE)
    try:
        run = StationRun(options)
    except (TemplateError, ValueError, OSError, StoreOpenError) as exc:
        for sink in sinks:  # the --log file opened above
            close = getattr(sink, "close", None)
            if close is not None:
                close()
        return fail(str(exc), EXIT_USAGE)
    from bench.devices.cli import health_report, watch_health

    unwatch = watch_health(run.devices, _echo if not args.quiet else lambda _line: None)
    await run.start()
    try:
        code = await _run_started(run, args)
    finally:
        unwatch()
        report = health_report(run.devices)  # before detaching closes the ports
        await run.stop()
        for line in report:
            print(line, file=sys.stderr, flush=True)
    lost = run.unsaved()
    left = undelivered(run.cp) - lost.messages  # what only memory held is not "queued in" it
    if left:
        # Said whatever the outcome; it only changes the status of a run that passed.
        fail(describe(left, run.db_path))
        if code == EXIT_OK:
            code = EXIT_UNDELIVERED
    if lost:
        # Issue 11: a disk that refused writes is never a quiet success.
        fail(lost.line())
        if code in (EXIT_OK, EXIT_UNDELIVERED):
            code = EXIT_UNSAVED
    return code


async def _run_started(run: StationRun, args: argparse.Namespace) -> int:
    """Boot, then the script or the duration, then the drain; the exit status."""
    from bench.drain import drain, undelivered
    from bench.scenarios.steps import StepError

    try:
        await run.cp.wait_accepted(args.connect_timeout)
    except TimeoutError:
        network = run.cp.network()
        registration = run.cp.registration_state().value
        detail = network.last_error or f"registration is {registration}"
        return fail(
            f"station {args.station_id} did not boot within {args.connect_timeout:g} s: {detail}",
            EXIT_CONNECT,
        )
    if args.steps:
        try:
            await run.run_script(
                args.steps,
                echo=None if args.quiet else _echo,
                on_event=None if args.quiet else _echo_verdict,
            )
        except StepError as exc:
            return fail(str(exc))
    else:
        await wait_until_stopped(args.duration)
    left = undelivered(run.cp)
    if left and args.drain > 0:
        print(
            f"ocpp-bench: {sum(left.values())} queued, delivering for up to {args.drain:g} s",
            file=sys.stderr,
            flush=True,
        )
        await drain(run.cp, wait_until_stopped(args.drain))
    return EXIT_OK


def export_log(args: argparse.Namespace) -> int:
    """``ocpp-bench export``: the message log of a station database as JSON Lines."""
    import sqlite3

    from bench.store.db import StoreFormatError, open_database
    from bench.store.messages import MessageLog

    if not Path(args.db).is_file():
        return fail(f"no database at {args.db}", EXIT_USAGE)
    if args.sessions:
        return _export_sessions(args)
    try:
        db = open_database(args.db)
    except (sqlite3.DatabaseError, StoreFormatError) as exc:
        return fail(f"{args.db} is not a bench database: {exc}", EXIT_USAGE)
    try:
        filters = {
            k: v
            for k, v in (("station", args.station), ("action", args.action), ("text", args.text))
            if v
        }
        count = MessageLog(db).export_jsonl(args.out, **filters)
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc}", EXIT_USAGE)
    finally:
        db.close()
    print(f"{count} frames written to {args.out}", flush=True)
    return EXIT_OK


def _export_sessions(args: argparse.Namespace) -> int:
    """``export --sessions``: the built-in CSMS's sessions as CSV (bench.csms.sessions_csv)."""
    import sqlite3

    from bench.csms.sessions_csv import NotACsmsDatabase, export_sessions
    from bench.store.db import StoreFormatError

    if args.action:
        return fail("--action filters the message log, not sessions", EXIT_USAGE)
    try:
        count = export_sessions(args.db, args.out, station=args.station, text=args.text or "")
    except (sqlite3.DatabaseError, StoreFormatError, NotACsmsDatabase) as exc:
        return fail(f"{args.db}: {exc}", EXIT_USAGE)
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc}", EXIT_USAGE)
    print(f"{count} sessions written to {args.out}", flush=True)
    return EXIT_OK


def _echo(text: str) -> None:
    print(text, flush=True)


def _echo_verdict(event: object) -> None:
    """Under each ``expect`` that held, what it saw and when (a failure goes to stderr)."""
    from bench.scenarios.progress import StepFinished

    if isinstance(event, StepFinished) and event.passed and event.step.verb == "expect":
        _echo(f"  ✓ {event.reason} after {event.seconds:.0f} s")


class Desktop(Protocol):
    """The GUI, handed in by the launcher (``ui.launcher``): the core never imports Qt."""

    def available(self) -> bool: ...

    def run(self, argv: list[str]) -> int: ...


def main(argv: Sequence[str] | None = None, *, desktop: Desktop | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    raise_open_file_limit()  # a socket per station or connection (issue 11)
    if args.command is None and desktop is not None:
        # The desktop app where there is a screen; the headless demo where there is none.
        if desktop.available():
            return desktop.run(["-v"] if args.verbose else [])
        print(
            "ocpp-bench: no display; running the headless demo (the GUI needs a screen)",
            file=sys.stderr,
            flush=True,
        )
    command = args.command or "demo"
    try:
        if command == "run":
            from bench.scenarios.steps import StepError, parse_script

            try:
                args.steps = []
                if args.script:
                    args.steps = parse_script(args.script, separator=";")
                elif args.script_file:
                    text = Path(args.script_file).read_text(encoding="utf-8")
                    args.steps = parse_script(text)
            except StepError as exc:
                return fail(str(exc), EXIT_USAGE)
            except OSError as exc:
                return fail(f"cannot read script: {exc}", EXIT_USAGE)
            return asyncio.run(run_station(args))
        if command in ("ports", "emulate"):
            from bench.devices.cli import run_device_command

            return run_device_command(args)
        if command == "export":
            return export_log(args)
        if command == "bundle":
            from bench.bundle.cli import run_bundle_command

            return run_bundle_command(args)
        if command == "replay":
            from bench.bundle.cli import run_replay

            return run_replay(args)
        if command == "conformance":
            from bench.conformance.cli import run_conformance_command

            return run_conformance_command(args)
        if command == "proxy":
            from bench.proxy.cli import run_proxy

            return asyncio.run(run_proxy(args))
        if command == "load":
            from bench.load.cli import run_load

            return run_load(args)
        if command == "csms":
            from bench.csms.cli import run_csms

            return asyncio.run(run_csms(args))
        from bench.demo import run_demo

        return asyncio.run(
            run_demo(
                getattr(args, "speed", 60.0),
                getattr(args, "duration", None),
                getattr(args, "ocpp", "1.6"),
                getattr(args, "log", None),
            )
        )
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
