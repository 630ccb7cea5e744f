"""``ocpp-bench proxy``: a transparent OCPP-J proxy between a charger and its CSMS.

    ocpp-bench proxy --listen 0.0.0.0:9000 --upstream wss://csms.example/ocpp \\
        [--tls-cert F --tls-key F] [--upstream-ca F] [--rules F] [--db F] [--log F.jsonl]
        [--impair "latency 800ms jitter 200ms" ...]

Runs until SIGINT/SIGTERM (or ``--duration``); standard input takes console
commands (``help``, ``held``, ``release``, ``send``, ``rules``, ``impair``:
bench.proxy.console).
Exit status: 0 after a clean stop, 2 for unusable options or files, 1 when it
cannot listen.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import urllib.parse
from typing import Any

from bench.kernel.frames import FanOut, FrameSink
from bench.printable import printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_proxy_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "proxy",
        help="a transparent OCPP-J proxy between a real charger and its CSMS",
        description="Chargers connect to the bench as to their CSMS; the bench connects "
        "each to the upstream CSMS, logs every frame on both legs and applies the rules.",
    )
    p.add_argument("--listen", required=True, metavar="HOST:PORT", help="where chargers connect")
    p.add_argument(
        "--upstream",
        required=True,
        metavar="URL",
        help="the CSMS's ws:// or wss:// URL; the charger's identity is appended (or fills {id})",
    )
    p.add_argument("--tls-cert", metavar="FILE", help="certificate toward chargers (serve wss://)")
    p.add_argument("--tls-key", metavar="FILE", help="private key of --tls-cert")
    p.add_argument("--upstream-ca", metavar="FILE", help="CA to verify a wss:// CSMS with")
    p.add_argument("--rules", metavar="FILE", help="rules (JSON) that shape what passes")
    p.add_argument("--db", metavar="FILE", help="SQLite file for the message log")
    p.add_argument("--log", metavar="FILE.jsonl", help="write every frame as JSON Lines")
    p.add_argument(
        "--duration", type=float, metavar="S", help="stop after S seconds (default: until Ctrl+C)"
    )
    p.add_argument(
        "--impair",
        action="append",
        default=[],
        metavar="FAULT",
        help="network fault on every proxied charger's leg from the start, e.g. \"latency "
        '800ms jitter 200ms", "loss 5%%", "halfopen", "flap 30s" (repeatable; the console\'s '
        '"impair ID SPEC" changes one station\'s; README "Network faults")',
    )
    p.add_argument("--quiet", action="store_true", help="do not stream frames to the terminal")
    return p


def _listen_address(text: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(f"//{text}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or not parts.hostname:
        raise ValueError(f"--listen {text!r}: expected HOST:PORT, e.g. 0.0.0.0:9000")
    return parts.hostname, port


async def _console(proxy: Any) -> None:
    """Console commands from stdin until it ends (bench.proxy.console)."""
    from bench.proxy.console import execute, start_stdin_reader

    queue: asyncio.Queue[str | None] = asyncio.Queue()
    start_stdin_reader(asyncio.get_running_loop(), queue)
    while (line := await queue.get()) is not None:
        for text in (await execute(proxy, line)).splitlines():
            print(printable(text), flush=True)  # peer text inside: no raw control characters


def _say(message: str) -> None:
    print(f"ocpp-bench: {message}", file=sys.stderr, flush=True)


async def run_proxy(args: argparse.Namespace) -> int:
    from bench.proxy.faults import check_side
    from bench.proxy.rules import RuleBook, RuleError, load_rules
    from bench.proxy.server import ProxyServer
    from bench.proxy.tls import TlsSetupError, charger_side, csms_side
    from bench.store.db import StoreFormatError, StoreOpenError, open_database
    from bench.store.messages import MessageLog
    from bench.store.sinks import ConsoleSink, JsonlSink
    from bench.transport.impair_spec import NO_IMPAIRMENT, ImpairmentError, parse_impairment
    from bench.until_stopped import wait_until_stopped

    fault = NO_IMPAIRMENT
    for spec in args.impair:  # each adds to the ones before, as on the console
        try:
            fault = parse_impairment(spec, fault)
            check_side("charger", fault)
        except ImpairmentError as exc:
            _say(f"--impair {spec!r}: {exc}")
            return EXIT_USAGE

    try:
        host, port = _listen_address(args.listen)
        rules = RuleBook(load_rules(args.rules) if args.rules else [])
        charger_tls = charger_side(args.tls_cert, args.tls_key)
        upstream_tls = csms_side(args.upstream_ca) if args.upstream.startswith("wss:") else None
    except (ValueError, RuleError, TlsSetupError) as exc:
        _say(str(exc))
        return EXIT_USAGE
    closers: list[Any] = []
    sinks: list[FrameSink] = []
    flushers: list[Any] = []
    try:
        if args.db:
            try:
                db = open_database(args.db)
            except (StoreOpenError, StoreFormatError, sqlite3.DatabaseError, OSError) as exc:
                _say(f"cannot open database {args.db}: {exc}")
                return EXIT_USAGE
            closers.append(db.close)
            store = MessageLog(db)
            closers.insert(0, store.close)
            sinks.append(store)
            flushers.append(store)
        if args.log:
            try:
                jsonl = JsonlSink(args.log)
            except OSError as exc:
                _say(f"cannot open log file {args.log}: {exc.strerror or exc}")
                return EXIT_USAGE
            closers.insert(0, jsonl.close)
            sinks.append(jsonl)
            flushers.append(jsonl)
        if not args.quiet:
            sinks.append(ConsoleSink(sys.stdout))
        try:
            proxy = ProxyServer(
                args.upstream,
                sink=FanOut(*sinks),
                rules=rules,
                ssl_context=charger_tls,
                upstream_ssl=upstream_tls,
                impair=fault,
            )
        except ValueError as exc:
            _say(str(exc))
            return EXIT_USAGE
        try:
            url = await proxy.start(host, port)
        except OSError as exc:
            _say(f"cannot listen on {args.listen}: {exc.strerror or exc}")
            return EXIT_FAILED
        print(f"proxy listening on {url}, upstream {args.upstream}", flush=True)
        if fault.active:
            print(f"network faults on every charger leg: {fault.describe()}", flush=True)
        tasks = [asyncio.create_task(sink.run_flusher()) for sink in flushers]
        tasks.append(asyncio.create_task(_console(proxy)))
        try:
            await wait_until_stopped(args.duration)
        finally:
            await proxy.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        print("proxy stopped", flush=True)
        return EXIT_OK
    finally:
        for close in closers:
            close()
