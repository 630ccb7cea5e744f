"""``ocpp-bench conformance cs``: run the OCTT charging-station cases, the bench as CSMS.

    ocpp-bench conformance cs --ocpp 1.6|2.0.1 --dut-id ID [--listen HOST:PORT]
        [--cert FILE --key FILE] [--password PW] [--profile NAME[,NAME]] [--cases ID[,ID]]
        [--interactive | --self TEMPLATE [--set SETTING=VALUE]] [--timeout S] --report DIR

With ``--self TEMPLATE`` the station under test is one of the bench's own (its
physical steps automatic); otherwise the bench prints where the charger must
connect and waits for it. Exit statuses as for ``conformance csms``: 0 no case
failed or erred, 1 one did, 2 bad usage, 3 the station never connected.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bench.conformance.catalogue import VERSIONS, Case, cases
from bench.conformance.charger.features import (
    OWN_STATION_EXTRA,
    own_station_features,
    settle_claims,
)
from bench.conformance.charger.run import ChargerSettings
from bench.conformance.charger.runner import run_charger_cases
from bench.conformance.charger.targets import charger_bench
from bench.conformance.charger.tls import client_certificates_optional, own_server_material
from bench.conformance.manual import TerminalPrompter
from bench.devices.registry import parse_device_spec

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONNECT = 0, 1, 2, 3


def add_cs_parser(sub: Any) -> argparse.ArgumentParser:
    run = sub.add_parser(
        "cs",
        help="run cases against a charging station (the bench is the CSMS) and write a report",
    )
    run.add_argument("--ocpp", required=True, choices=VERSIONS)
    run.add_argument("--dut-id", required=True, help="the identity of the station under test")
    run.add_argument(
        "--listen",
        default="127.0.0.1:0",
        metavar="HOST:PORT",
        help="where the bench listens as CSMS (default: 127.0.0.1, any free port)",
    )
    run.add_argument("--cert", metavar="FILE", help="server certificate (PEM): listen on wss://")
    run.add_argument("--key", metavar="FILE", help="private key of --cert")
    run.add_argument(
        "--tls",
        action="store_true",
        help="listen on wss:// with a certificate the bench makes (its root CA goes into "
        "the report folder, to install on the charger)",
    )
    run.add_argument("--ca", metavar="FILE", help="with --self: CA the own station trusts")
    run.add_argument("--password", help="HTTP Basic auth password the station must send")
    run.add_argument("--profile", help="certification profiles (comma list)")
    run.add_argument("--cases", help="only these case ids (comma list)")
    run.add_argument(
        "--block", help="only these blocks (comma list: 2.0.1 letters, 1.6 sections like 2.24)"
    )
    who = run.add_mutually_exclusive_group()
    who.add_argument("--interactive", action="store_true", help="ask for physical steps here")
    who.add_argument(
        "--self",
        dest="self_template",
        metavar="TEMPLATE",
        help="test one of the bench's own stations from this template (unattended)",
    )
    run.add_argument(
        "--feature",
        action="append",
        default=[],
        metavar="NAME",
        help="an optional feature the charger has, by its 2.0.1 part 5 id (e.g. C-60; "
        "repeatable); with --self the own station's features are declared for you",
    )
    run.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="PROFILE",
        help="a certification profile the charger claims (repeatable); without any, the "
        "bench reads them from the charger's configuration keys or device model",
    )
    run.add_argument("--token", default="TAG1", help="the valid id token the station presents")
    run.add_argument("--invalid-token", default="UNKNOWN-TAG", help="an id token the CSMS refuses")
    run.add_argument("--connector", type=int, default=1, help="the connector (and EVSE) to test")
    run.add_argument(
        "--heartbeat", type=int, default=None, help="heartbeat interval given at boot (s)"
    )
    run.add_argument(
        "--device",
        action="append",
        default=[],
        metavar="DRIVER:PORT[,key=value]",
        help="with --self: hardware the own station drives (e.g. openevse:/dev/ttyUSB0); "
        "steps at that hardware (the cable, the EV) are then asked of you",
    )
    run.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="with --self: a station setting of the own station (repeatable), e.g. "
        "additional_root_certificate_check=true, which also declares part 5 AS-2",
    )
    run.add_argument(
        "--misbehave",
        metavar="NAME",
        help="with --self: break one behaviour of the own station (see --misbehave list)",
    )
    run.add_argument("--timeout", type=float, default=30.0, help="seconds the station has per step")
    run.add_argument("--report", required=True, metavar="DIR", help="folder for the report")
    return run


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def _selected(args: argparse.Namespace) -> list[Case] | str:
    every = cases(sut="cs", version=args.ocpp)
    wanted = _split(args.cases)
    if wanted:
        known = {c.id for c in every}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            return f"no OCPP {args.ocpp} charging-station case {', '.join(unknown)}"
        return [c for c in every if c.id in wanted]
    chosen = cases(sut="cs", version=args.ocpp, profiles=_split(args.profile))
    blocks = set(_split(args.block))
    if blocks:
        chosen = [c for c in chosen if c.block in blocks]
    return chosen or "no case matches the selection"


def _listen(text: str) -> tuple[str, int] | str:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        return f"--listen {text!r}: expected HOST:PORT"
    return host or "127.0.0.1", int(port)


async def run_cs_cases(args: argparse.Namespace, out: TextIO) -> int:
    from bench.conformance.cli import echo_case
    from bench.conformance.reports import write_report

    selected = _selected(args)
    listen = _listen(args.listen)
    if isinstance(selected, str) or isinstance(listen, str):
        print(f"ocpp-bench: {selected if isinstance(selected, str) else listen}", file=sys.stderr)
        return EXIT_USAGE
    if bool(args.cert) != bool(args.key):
        print("ocpp-bench: --cert and --key go together", file=sys.stderr)
        return EXIT_USAGE
    if args.tls and args.cert:
        print(
            "ocpp-bench: --tls makes the bench's own certificate; not with --cert", file=sys.stderr
        )
        return EXIT_USAGE
    own = args.self_template is not None
    if args.misbehave and not own:
        print("ocpp-bench: --misbehave needs --self", file=sys.stderr)
        return EXIT_USAGE
    if args.device and not own:
        print("ocpp-bench: --device needs --self", file=sys.stderr)
        return EXIT_USAGE
    if args.settings and not own:
        print("ocpp-bench: --set needs --self", file=sys.stderr)
        return EXIT_USAGE
    bad = [item for item in args.settings if "=" not in item]
    if bad:
        print(f"ocpp-bench: --set {bad[0]!r}: expected SETTING=VALUE", file=sys.stderr)
        return EXIT_USAGE
    own_settings = dict(item.partition("=")[::2] for item in args.settings)
    try:
        own_features = (
            own_station_features(args.ocpp, args.self_template, own_settings)
            if own
            else frozenset()
        )
    except ValueError as exc:  # an unknown setting or value (a bad template says so too)
        print(f"ocpp-bench: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        devices = [parse_device_spec(text) for text in args.device]
    except (KeyError, ValueError) as exc:
        print(f"ocpp-bench: {exc}", file=sys.stderr)
        return EXIT_USAGE
    heartbeat = args.heartbeat if args.heartbeat is not None else (5 if own else 60)
    settings = ChargerSettings(
        version=args.ocpp,
        station_id=args.dut_id,
        timeout=args.timeout,
        valid_id_token=args.token,
        invalid_id_token=args.invalid_token,
        connector_id=args.connector,
        evse_id=args.connector,
        heartbeat_interval=heartbeat,
        features=frozenset(args.feature) | own_features,
        extra=dict(OWN_STATION_EXTRA.get(args.ocpp, {})) if own else {},
    )
    declared = frozenset({"Core", *args.claim}) if args.claim else None
    station_settings = {**own_settings, **({"misbehave": args.misbehave} if args.misbehave else {})}
    cert, key, ca = args.cert, args.key, args.ca
    context = None
    if args.tls:
        material = own_server_material(Path(args.report), listen[0], datetime.now(UTC))
        cert, key, ca = material.cert_file, material.key_file, ca or material.ca_file
        print(f"TLS: the charger must trust {material.ca_file} (the bench's root CA)", file=out)
        # The bench is that CA: it signs with its key where a case needs it (A, M).
        settings.extra.update(ca_cert_file=material.ca_file, ca_key_file=material.ca_key_file)
        context = client_certificates_optional(cert, key, material.ca_file)
    # Steps at attached hardware need a person even with --self.
    operator = TerminalPrompter(out) if args.interactive or devices else None
    async with charger_bench(
        settings,
        host=listen[0],
        port=listen[1],
        cert_file=cert,
        key_file=key,
        ssl_context=context,
        password=args.password,
        template=args.self_template,
        station_settings=station_settings or None,
        ca_file=ca,
        operator=operator,
        device_specs=devices,
    ) as bench:
        if not own:
            print(
                f"Listening as CSMS: point the charger {args.dut_id} at {bench.endpoint.url} "
                f"(it connects to {bench.endpoint.station_url}).",
                file=out,
                flush=True,
            )
            if not await bench.endpoint.wait_connected(args.timeout * 4):
                print(
                    f"ocpp-bench: the station {args.dut_id} did not connect within "
                    f"{args.timeout * 4:g} s",
                    file=sys.stderr,
                )
                return EXIT_CONNECT
        await settle_claims(bench, settings, declared, args.timeout)
        run = await run_charger_cases(
            selected,
            settings,
            bench.prompter,
            bench.endpoint,
            bench.dut,
            sut=bench.sut,
            profiles=_split(args.profile),
            on_event=echo_case(out),
            physical_steps=bench.physical_steps,
        )
    files = write_report(run, Path(args.report))
    counts = run.counts()
    summary = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
    print(f"{len(run.cases)} cases in {run.duration_s:.1f} s: {summary}", file=out)
    print(f"report: {files.get('html', Path(args.report))}", file=out)
    return EXIT_FAILED if run.failed else EXIT_OK
