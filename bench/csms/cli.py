"""``ocpp-bench csms``: run the built-in CSMS in a terminal, with a command console.

The CSMS speaks OCPP 1.6J and 2.0.1 (subprotocols ``ocpp1.6`` and ``ocpp2.0.1``;
``--ocpp`` narrows it to one); each station is answered in the version it
negotiated. Prints ``CSMS listening on ws://HOST:PORT`` as its first stdout line
(flushed, so a script can read the port), then streams the message log unless
``--quiet``. On stderr, a ``tags: ...`` line says at start which id tags it accepts
(stdout stays the URL, the log and the answers). Console commands, one per stdin
line; each answer is one line:

    send STATION ACTION {json}   -> reply {json} | error {json}
    send! STATION ACTION {json}  -> the same, even where 1.6 §4.2 / B02 say not to
    stations                     -> stations [{"id": ..., "registration": ...}, ...]
    actions STATION|VERSION      -> actions {"version": ..., "actions": [...]}
    template STATION|VERSION ACTION -> template {json} (a valid payload to edit)
    report STATION REQUEST_ID    -> report {"complete": ..., "parts": [...], "reportData": [...]}
    tags                         -> tags {json}
    help | quit

ACTION is any CSMS-initiated request of the station's version (a 2.0.1 station
takes GetVariables, RequestStartTransaction, ...; a 1.6 one GetConfiguration,
RemoteStartTransaction, ...); the payload is checked against that version's schema.

``--control-port PORT`` also starts the HTTP control API (``bench.csms.control``;
0 lets the OS pick the port) on 127.0.0.1 and prints ``control API on
http://127.0.0.1:PORT/`` as the next stdout line. ``--fault SPEC`` (repeatable)
makes the CSMS misbehave on purpose, for testing conformance checks
(``bench.csms.faults``); every fault that acts is logged at WARNING.

End of stdin does not stop the server (a harness may start it with stdin
closed) unless ``--exit-on-eof``; SIGINT and SIGTERM stop it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import ssl
import sys
import threading
import time
from typing import Any, TextIO

from bench.csms import console
from bench.csms.config import ConfigError, CsmsConfig, load_tags, parse_boot_responses, tags_to_json
from bench.csms.control import ControlServer
from bench.csms.registry import NotAllowed, UnknownStation
from bench.csms.server import CentralSystem
from bench.fd_limit import AcceptErrorFilter, raise_open_file_limit
from bench.kernel.frames import FanOut, FrameSink
from bench.ocpp.errors import CallError, CallTimeout, InvalidOutgoing, InvalidReply, LinkClosed
from bench.printable import printable

CONSOLE_CALL_TIMEOUT = 30.0
_HELP = (
    "commands: send STATION ACTION {json} | send! STATION ACTION {json} | stations"
    " | actions STATION|VERSION | template STATION|VERSION ACTION | report STATION REQUEST_ID"
    " | tags | quit"
)
# --ocpp -> the subprotocols the server offers.
_SUBPROTOCOLS = {
    "both": ("ocpp1.6", "ocpp2.0.1"),
    "1.6": ("ocpp1.6",),
    "2.0.1": ("ocpp2.0.1",),
}


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument(
        "--ocpp",
        choices=tuple(_SUBPROTOCOLS),
        default="both",
        help="OCPP versions to offer: 1.6, 2.0.1 or both (default both)",
    )
    p.add_argument("--port", type=int, default=0, help="TCP port (default 0: any free port)")
    p.add_argument("--db", metavar="FILE", help="SQLite file (default: in memory)")
    p.add_argument(
        "--boot",
        default="Accepted",
        metavar="STATUS,...",
        help="BootNotification answers per station, the last repeats (e.g. Pending,Accepted)",
    )
    p.add_argument("--tags", metavar="FILE.json", help='tag list: {"TAG": "Accepted", ...}')
    p.add_argument(
        "--price",
        type=float,
        metavar="PER_KWH",
        help="energy price: sessions get a cost, 2.0.1 replies a totalCost (I02, I03)",
    )
    p.add_argument("--currency", metavar="CODE", help="the currency of --price, e.g. EUR")
    p.add_argument(
        "--accept-unknown-tags", action="store_true", help="accept tags not in the tag list"
    )
    p.add_argument("--heartbeat", type=int, default=300, metavar="S", help="heartbeat interval")
    p.add_argument(
        "--boot-retry", type=int, default=10, metavar="S", help="interval sent with Pending"
    )
    p.add_argument(
        "--lenient",
        action="store_true",
        help="handle requests from stations that are not accepted (1.6 §4.2 says they send none)",
    )
    p.add_argument(
        "--relaxed-ids",
        action="store_true",
        help="accept station ids outside the OCPP 2.0.1 rule (48 characters of a-z A-Z 0-9"
        " *-_=+|@.); control characters, slashes and ids over 255 characters stay refused",
    )
    p.add_argument(
        "--cert",
        action="append",
        default=[],
        metavar="FILE",
        help="server certificate (PEM): serve wss://; give a second --cert/--key pair of the"
        " other key type (ECDSA and RSA) to offer all four cipher suites of A00.FR.318",
    )
    p.add_argument(
        "--key", action="append", default=[], metavar="FILE", help="private key of --cert (PEM)"
    )
    p.add_argument(
        "--client-ca", metavar="FILE", help="require client certificates from this CA (profile 3)"
    )
    p.add_argument(
        "--password",
        action="append",
        default=[],
        metavar="STATION=PASSWORD",
        help="HTTP Basic auth for a station (profiles 1 and 2); repeat per station",
    )
    p.add_argument(
        "--files",
        metavar="DIR",
        help="serve DIR over HTTP for firmware downloads and diagnostics/log uploads",
    )
    p.add_argument(
        "--control-port",
        type=int,
        metavar="PORT",
        help="serve the HTTP control API on 127.0.0.1:PORT (0: any free port)",
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="break one behaviour on purpose, for tests (e.g. reply:BootNotification:status="
        "Rejected, drop:Authorize:idTagInfo.status, late:Heartbeat:5, callerror:Heartbeat:"
        "InternalError, request:Reset:type=Hard, order:Reset,ChangeAvailability); repeatable",
    )
    p.add_argument("--log", metavar="FILE.jsonl", help="also write the message log as JSON Lines")
    p.add_argument("--quiet", action="store_true", help="do not print the message log")
    p.add_argument(
        "--exit-on-eof", action="store_true", help="stop when stdin ends (default: keep serving)"
    )


def add_csms_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``csms`` on an argparse subparsers object; returns its parser."""
    p = subparsers.add_parser(
        "csms",
        help="run the built-in OCPP 1.6J / 2.0.1 central system",
        description="Run the built-in OCPP 1.6J and 2.0.1 CSMS with a command console on stdin.",
    )
    _add_arguments(p)
    return p


def config_from_args(args: argparse.Namespace) -> CsmsConfig:
    """Raises ``ConfigError`` with one clear sentence for unusable arguments."""
    tags = load_tags(args.tags) if args.tags else {}
    passwords: dict[str, str] = {}
    for item in getattr(args, "password", []) or []:
        station, sep, password = item.partition("=")
        if not sep or not station:
            raise ConfigError(f"--password {item!r}: expected STATION=PASSWORD")
        passwords[station] = password
    return CsmsConfig(
        host=args.host,
        port=args.port,
        db_path=args.db,
        boot_responses=parse_boot_responses(args.boot),
        heartbeat_interval=args.heartbeat,
        boot_retry_interval=args.boot_retry,
        tags=tags,
        accept_unknown_tags=args.accept_unknown_tags,
        pre_accept_policy="lenient" if args.lenient else "strict",
        basic_auth=passwords or None,
        relaxed_station_ids=getattr(args, "relaxed_ids", False),
        ssl_context=_server_tls(args),
        files=getattr(args, "files", None),
        subprotocols=_SUBPROTOCOLS[getattr(args, "ocpp", None) or "both"],
        price_per_kwh=getattr(args, "price", None),
        currency=getattr(args, "currency", None),
        faults=list(getattr(args, "fault", None) or []),
    )


# A00.FR.318/421: the CSMS offers TLS_ECDHE_ECDSA_WITH_AES_{128,256}_GCM_* (with an ECDSA
# certificate) and TLS_RSA_WITH_AES_{128,256}_GCM_* (with an RSA one), which Python's
# default list leaves out, beside the other forward-secret AES-GCM suites.
TLS12_CIPHERS = "ECDHE+AESGCM:AES128-GCM-SHA256:AES256-GCM-SHA384"


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def _server_tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    return server_tls(
        _as_list(getattr(args, "cert", None)),
        _as_list(getattr(args, "key", None)),
        getattr(args, "client_ca", None),
    )


def server_tls(
    certs: list[str], keys: list[str], client_ca: str | None = None
) -> ssl.SSLContext | None:
    """The TLS context of a server that presents ``certs`` (None: plain ws://); with
    ``client_ca`` it requires client certificates from that CA (security profile 3)."""
    if not certs and not keys and not client_ca:
        return None
    if not certs or len(certs) != len(keys):
        raise ConfigError("--cert and --key go together (one --key per --cert)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # A00.FR.313
    try:
        context.set_ciphers(TLS12_CIPHERS)
        for cert, key in zip(certs, keys, strict=True):
            context.load_cert_chain(cert, key)
        if client_ca:
            context.load_verify_locations(client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the TLS files: {exc}") from None
    return context


TAGS_SHOWN = 8  # a longer list is summarised: the line is read by a person at start


def tags_summary(config: CsmsConfig) -> str:
    """One line, printed at start, saying which id tags the CSMS accepts.

    With no tag list and no --accept-unknown-tags every tag is refused as Invalid
    (1.6 §7.13, 2.0.1 AuthorizationStatusEnumType); a newcomer presenting any
    tag would see nothing charge without being told why.
    """
    tags = config.tags
    listed = ", ".join(f"{tag} ({entry.status})" for tag, entry in list(tags.items())[:TAGS_SHOWN])
    if len(tags) > TAGS_SHOWN:
        listed += f" and {len(tags) - TAGS_SHOWN} more"
    if config.accept_unknown_tags:
        known = f"; listed: {listed}" if tags else ""
        return f"tags: any tag not in the tag list is Accepted (--accept-unknown-tags){known}"
    if not tags:
        return (
            "tags: no tag list, so every tag is refused as Invalid; "
            "--accept-unknown-tags accepts any tag, "
            '--tags FILE.json ({"TAG1": "Accepted"}) lists the ones to accept'
        )
    return f"tags: {listed}; any other tag is refused as Invalid (--accept-unknown-tags accepts it)"


def _say(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


def _error_line(code: str, description: str, details: dict | None = None) -> str:
    body: dict[str, Any] = {"errorCode": code, "errorDescription": description}
    if details:
        body["errorDetails"] = details
    return "error " + json.dumps(body, ensure_ascii=False)


async def execute(csms: CentralSystem, line: str) -> str | None:
    """Run one console command; returns the answer line (None for an empty line)."""
    words = line.strip().split(maxsplit=3)
    if not words:
        return None
    command = words[0]
    if command in ("send", "send!"):
        if len(words) < 3:
            return _error_line("BadCommand", "usage: send STATION ACTION {json}")
        try:
            payload = json.loads(words[3]) if len(words) == 4 else {}
        except json.JSONDecodeError as exc:
            return _error_line("BadCommand", f"payload is not valid JSON: {exc}")
        if not isinstance(payload, dict):
            return _error_line("BadCommand", "payload must be a JSON object")
        return await _send(csms, words[1], words[2], payload, force=command == "send!")
    if command == "stations":
        listing = []
        for sid in csms.connected_stations():
            info = csms.station(sid)
            listing.append({"id": sid, "registration": info.registration})
        return "stations " + json.dumps(listing)
    if command == "actions":
        if len(words) != 2:
            return _error_line("BadCommand", "usage: actions STATION|VERSION")
        version = _version(csms, words[1])
        if version is None:
            return _error_line("UnknownStation", f"{words[1]!r} is no connected station or version")
        body = {"version": version, "actions": list(console.actions(version))}
        return "actions " + json.dumps(body)
    if command == "template":
        if len(words) != 3:
            return _error_line("BadCommand", "usage: template STATION|VERSION ACTION")
        version = _version(csms, words[1])
        if version is None:
            return _error_line("UnknownStation", f"{words[1]!r} is no connected station or version")
        try:
            payload = console.template(words[2], csms.clock.now(), version=version)
        except console.UnknownAction as exc:
            return _error_line("UnknownAction", str(exc))
        return "template " + json.dumps(payload, ensure_ascii=False)
    if command == "report":
        return _report(csms, words[1:])
    if command == "tags":
        return "tags " + json.dumps(tags_to_json(csms.config.tags))
    if command == "help":
        return _HELP
    return _error_line("BadCommand", f"unknown command {command!r}; {_HELP}")


def _version(csms: CentralSystem, name: str) -> str | None:
    """A version named directly ("2.0.1") or by a connected station's id."""
    if name in console.VERSIONS:
        return name
    return csms.protocol_version(name)


def _report(csms: CentralSystem, args: list[str]) -> str:
    """B07/B08: the NotifyReport parts of one requestId, joined."""
    if len(args) != 2 or not args[1].lstrip("-").isdigit():
        return _error_line("BadCommand", "usage: report STATION REQUEST_ID")
    report = csms.report(args[0], int(args[1]))
    if report is None:
        return _error_line("NoReport", f"no NotifyReport with requestId {args[1]} from {args[0]}")
    body = {
        "complete": report.complete,
        "parts": list(report.seq_nos),
        "reportData": report.report_data,
    }
    return "report " + json.dumps(body, ensure_ascii=False)


async def _send(
    csms: CentralSystem, station: str, action: str, payload: dict[str, Any], *, force: bool
) -> str:
    try:
        reply = await csms.call(station, action, payload, CONSOLE_CALL_TIMEOUT, force=force)
    except CallError as exc:
        return _error_line(exc.code, exc.description, exc.details)
    except UnknownStation as exc:
        return _error_line("UnknownStation", str(exc))
    except NotAllowed as exc:
        return _error_line("NotAllowed", f"{exc} (use send! to send anyway)")
    except InvalidOutgoing as exc:
        return _error_line("InvalidPayload", str(exc))
    except InvalidReply as exc:
        return _error_line("InvalidReply", str(exc), {"payload": exc.payload})
    except CallTimeout as exc:
        return _error_line("Timeout", str(exc))
    except LinkClosed as exc:
        return _error_line("LinkClosed", str(exc))
    return "reply " + json.dumps(reply, ensure_ascii=False)


def _start_stdin_reader(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    """Feed stdin lines into ``queue`` (None at EOF) from a daemon thread.

    A thread, because stdin may be a terminal, a pipe, a file or closed, and
    asyncio's pipe reading handles only some of those on some platforms. It is
    a daemon so a blocked read never holds up the exit.
    """
    stream = sys.stdin

    def put(item: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def read() -> None:
        try:
            while True:
                line = stream.readline() if stream is not None else ""
                if not line:
                    break
                put(line)
        except (OSError, ValueError):  # closed or unreadable stdin counts as EOF
            pass
        put(None)

    threading.Thread(target=read, name="csms-console", daemon=True).start()


async def _console(
    csms: CentralSystem, out: TextIO, stop: asyncio.Event, exit_on_eof: bool
) -> None:
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    _start_stdin_reader(asyncio.get_running_loop(), queue)
    while True:
        line = await queue.get()
        if line is None:
            if exit_on_eof:
                stop.set()
            return
        if line.strip() in ("quit", "exit"):
            stop.set()
            return
        try:
            answer = await execute(csms, line)
        except Exception as exc:  # a bench bug: report it on the console, keep serving
            logging.getLogger(__name__).exception("console command failed: %s", line.strip())
            answer = _error_line("InternalError", f"{type(exc).__name__}: {exc}")
        if answer is not None:
            _say(out, printable(answer))  # peer text inside: no raw control characters


async def run_csms(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run until SIGINT/SIGTERM, ``quit``, or (with --exit-on-eof) the end of stdin."""
    out = out or sys.stdout
    err = sys.stderr
    AcceptErrorFilter(time.monotonic).install(asyncio.get_running_loop())
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        _say(err, f"error: {exc}")
        return 2
    control_port = getattr(args, "control_port", None)
    if control_port is not None and not 0 <= control_port <= 65535:
        _say(err, f"error: --control-port {control_port} is out of range")
        return 2
    sinks: list[FrameSink] = []
    jsonl = None
    if not args.quiet:
        from bench.store.sinks import ConsoleSink

        sinks.append(ConsoleSink(out))
    if args.log:
        from bench.store.sinks import JsonlSink

        try:
            jsonl = JsonlSink(args.log)
        except OSError as exc:
            _say(err, f"error: cannot open log file {args.log}: {exc.strerror or exc}")
            return 2
        sinks.append(jsonl)
    csms = CentralSystem(config, FanOut(*sinks) if sinks else None)
    try:
        url = await csms.start()
    except OSError as exc:
        _say(err, f"error: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
        if jsonl is not None:
            jsonl.close()
        return 1
    except Exception as exc:  # e.g. a database file that is not SQLite
        _say(err, f"error: cannot start the CSMS: {exc}")
        if jsonl is not None:
            jsonl.close()
        return 1
    control = None
    if control_port is not None:
        control = ControlServer(csms, port=control_port)
        try:
            await control.start()
        except OSError as exc:
            _say(err, f"error: cannot serve the control API on port {control_port}: {exc}")
            await csms.stop()
            if jsonl is not None:
                jsonl.close()
            return 1
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    installed = []
    # Before the first line: a script that reads the URL may stop us at once, cleanly.
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows / not the main thread
            pass
    _say(out, f"CSMS listening on {url}")
    if control is not None:
        _say(out, f"control API on {control.url}")
    if csms.files is not None:
        _say(out, f"file server on {csms.files.url} serving {csms.files.root}")
    _say(err, tags_summary(config))  # a notice for the person, not for scripts reading stdout
    tasks = [asyncio.create_task(_console(csms, out, stop, args.exit_on_eof), name="console")]
    if jsonl is not None:
        tasks.append(asyncio.create_task(jsonl.run_flusher(), name="jsonl flusher"))
    try:
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if control is not None:
            await control.stop()
        await csms.stop()
        for task in tasks:
            task.cancel()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception):
                _say(err, f"error: {type(result).__name__}: {result}")
        if jsonl is not None:
            jsonl.close()
    _say(out, "CSMS stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.csms.cli", description=__doc__)
    _add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    raise_open_file_limit()
    try:
        return asyncio.run(run_csms(args))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 130


if __name__ == "__main__":
    sys.exit(main())
