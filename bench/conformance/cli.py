"""``ocpp-bench conformance``: list the OCTT test cases, run them against a CSMS.

    ocpp-bench conformance list --sut csms [--ocpp 1.6|2.0.1] [--profile NAME[,NAME]]
    ocpp-bench conformance csms --csms URL|builtin --ocpp 1.6|2.0.1 --report DIR [...]

``csms`` prints a line per case as it finishes and a summary; exit 0 when no case
failed or erred, 1 when one did, 2 on bad usage, 3 when the CSMS cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TextIO

from bench.conformance.adapter import Adapter, AdapterError, load_adapter
from bench.conformance.case_run import CaseSettings
from bench.conformance.catalogue import VERSIONS, Case, cases
from bench.conformance.manual import TerminalPrompter
from bench.conformance.results import Verdict
from bench.conformance.runner import CaseFinished, run_cases
from bench.conformance.scenarios import all_scenarios
from bench.conformance.targets import (
    Target,
    adapter_settings,
    builtin_adapter_path,
    builtin_csms,
    external_csms,
    prompter_for,
    reachable,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONNECT = 0, 1, 2, 3
BUILTIN = "builtin"


def add_conformance_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "conformance",
        help="run the OCTT test cases against a CSMS",
        description="The OCTT test cases of OCPP 1.6 and 2.0.1: list them, run them.",
    )
    sub = p.add_subparsers(dest="conformance_command", required=True)
    ls = sub.add_parser("list", help="one case a line: id, name, how it runs")
    ls.add_argument("--sut", choices=["csms", "cs"], default="csms", help="system under test")
    ls.add_argument("--ocpp", choices=VERSIONS, help="only this OCPP version")
    ls.add_argument("--profile", help="only cases of these certification profiles (comma list)")
    ls.add_argument(
        "--adapter", metavar="FILE", help="judge 'adapter' against this file (default: built-in's)"
    )
    ls.add_argument(
        "--manual", action="store_true", help="list the manual actions instead, with their cases"
    )
    run = sub.add_parser("csms", help="run cases against a CSMS and write a report")
    run.add_argument("--csms", required=True, metavar="URL", help="ws(s)://... or 'builtin'")
    run.add_argument("--ocpp", required=True, choices=VERSIONS)
    run.add_argument("--id", default="BENCH-CONFORMANCE", help="the station identity")
    run.add_argument("--password", help="HTTP Basic auth password (security profile 1/2)")
    run.add_argument("--ca", metavar="FILE", help="CA to verify the CSMS's TLS certificate")
    run.add_argument("--cert", metavar="FILE", help="client certificate (security profile 3)")
    run.add_argument("--key", metavar="FILE", help="private key of --cert")
    run.add_argument("--profile", help="certification profiles (comma list)")
    run.add_argument("--cases", help="only these case ids (comma list)")
    run.add_argument("--adapter", metavar="FILE", help="adapter file for manual actions")
    run.add_argument(
        "--adapter-var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set an adapter [vars] value (repeatable), e.g. an API address or token",
    )
    run.add_argument("--interactive", action="store_true", help="ask on the terminal")
    run.add_argument("--timeout", type=float, default=30.0, help="seconds the CSMS has per step")
    run.add_argument("--report", required=True, metavar="DIR", help="folder for the report")
    run.add_argument("--vendor", default="", help="the CSMS's vendor, for the report")
    run.add_argument("--product", default="", help="the CSMS's product name, for the report")
    run.add_argument("--sut-version", default="", help="the CSMS's version, for the report")
    from bench.conformance.charger.cli import add_cs_parser

    add_cs_parser(sub)
    return p


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def how_it_runs(case: Case, adapter: Adapter | None) -> str:
    """``auto`` (no manual action), ``adapter`` (each one is in the adapter), ``manual``
    (a person must do one), or ``not implemented`` (the bench has no scenario yet)."""
    if case.sut == "cs":
        return _how_charger_case_runs(case)
    entry = all_scenarios().get(case.id)
    if entry is None:
        return "not implemented"
    if not entry.manual:
        return "auto"
    if adapter is not None and all(adapter.covers(k) for k in entry.manual):
        return "adapter"
    return "manual"


def _how_charger_case_runs(case: Case) -> str:
    """``auto`` (no physical step) or ``physical`` (a person does one on a real charger;
    the bench's own stations do them automatically), or ``not implemented``."""
    from bench.conformance.charger.scenarios import all_scenarios as charger_scenarios

    entry = charger_scenarios().get(case.id)
    if entry is None:
        return "not implemented"
    return "physical" if entry.physical else "auto"


def list_cases(args: argparse.Namespace, out: TextIO) -> int:
    try:
        adapter = load_adapter(args.adapter or builtin_adapter_path())
    except AdapterError as exc:
        print(f"ocpp-bench: {exc}", file=sys.stderr)
        return EXIT_USAGE
    selected = cases(sut=args.sut, version=args.ocpp, profiles=_split(args.profile))
    if args.manual:
        used: dict[str, list[str]] = {}
        for c in selected:
            entry = all_scenarios().get(c.id)
            for key in entry.manual if entry else ():
                used.setdefault(key, []).append(c.id)
        for key in sorted(used):
            where = "adapter" if adapter.covers(key) else "manual"
            print(f"{key}\t{where}\t{','.join(used[key])}", file=out)
        return EXIT_OK
    for c in selected:
        print(f"{c.id}\t{c.name}\t{how_it_runs(c, adapter)}", file=out)
    return EXIT_OK


def _adapter_vars(items: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise AdapterError(f"--adapter-var {item!r}: expected NAME=VALUE")
        values[name.strip()] = value
    return values


@contextlib.asynccontextmanager
async def _target(args: argparse.Namespace) -> AsyncIterator[Target]:
    """``--csms builtin``: one started here with its shipped adapter; else the URL given."""
    if args.csms == BUILTIN:
        async with builtin_csms(args.ocpp, args.id) as target:
            yield target
        return
    if args.adapter_var and not args.adapter:
        raise AdapterError("--adapter-var needs --adapter")
    async with external_csms(
        args.csms,
        args.ocpp,
        args.id,
        adapter=args.adapter,
        adapter_vars=_adapter_vars(args.adapter_var or []),
        vendor=args.vendor,
        product=args.product,
        sut_version=args.sut_version,
    ) as target:
        yield target


def echo_case(out: TextIO) -> Any:
    def on_event(event: object) -> None:
        if isinstance(event, CaseFinished):
            r = event.result
            reason = f"  {r.reason}" if r.reason else ""
            print(
                f"[{event.index + 1}/{event.total}] {r.case_id}  {r.verdict.value.upper()}{reason}",
                file=out,
                flush=True,
            )

    return on_event


async def run_csms_cases(args: argparse.Namespace, out: TextIO) -> int:
    from bench.conformance.reports import write_report

    wanted = _split(args.cases)
    selected = cases(sut="csms", version=args.ocpp, profiles=_split(args.profile))
    if wanted:
        known = {c.id for c in cases(sut="csms", version=args.ocpp)}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            print(
                f"ocpp-bench: no OCPP {args.ocpp} CSMS case {', '.join(unknown)}", file=sys.stderr
            )
            return EXIT_USAGE
        selected = [c for c in cases(sut="csms", version=args.ocpp) if c.id in wanted]
    if not selected:
        print("ocpp-bench: no case matches the selection", file=sys.stderr)
        return EXIT_USAGE
    if not _prerequisites_confirmed(selected, args, out):
        print("ocpp-bench: stopped: the prerequisites were not confirmed", file=sys.stderr)
        return EXIT_USAGE
    try:
        async with _target(args) as target:
            problem = await reachable(target.url, min(args.timeout, 10.0))
            if problem:
                print(f"ocpp-bench: {problem}", file=sys.stderr)
                return EXIT_CONNECT
            operator = TerminalPrompter(out) if args.interactive else None
            prompter = prompter_for(target.adapter, operator)
            settings = CaseSettings(
                csms_url=target.url,
                version=args.ocpp,
                station_id=args.id,
                password=args.password,
                ca_file=args.ca,
                cert_file=args.cert,
                key_file=args.key,
                timeout=args.timeout,
                **adapter_settings(target.adapter),
            )
            run = await run_cases(
                selected,
                settings,
                prompter,
                sut=target.sut,
                profiles=_split(args.profile),
                adapter=target.adapter.path if target.adapter else "",
                on_event=echo_case(out),
            )
    except AdapterError as exc:
        print(f"ocpp-bench: {exc}", file=sys.stderr)
        return EXIT_USAGE
    files = write_report(run, Path(args.report))
    counts = run.counts()
    summary = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
    print(f"{len(run.cases)} cases in {run.duration_s:.1f} s: {summary}", file=out)
    print(f"report: {files.get('html', Path(args.report))}", file=out)
    return EXIT_FAILED if run.failed else EXIT_OK


def prerequisites(selected: list[Case]) -> dict[str, list[str]]:
    """Each distinct prerequisite the cases put on the CSMS, with the cases that need it."""
    out: dict[str, list[str]] = {}
    for c in selected:
        text = " ".join(c.prerequisites.split())
        if text:
            out.setdefault(text, []).append(c.id)
    return out


def _prerequisites_confirmed(selected: list[Case], args: argparse.Namespace, out: TextIO) -> bool:
    """List what the CSMS must meet before the run; interactive runs confirm it."""
    needed = prerequisites(selected)
    if not needed:
        return True
    who = "the built-in adapter sets them" if args.csms == BUILTIN else "confirm them"
    print(f"Prerequisites the CSMS must meet ({who}):", file=out)
    for text, ids in needed.items():
        shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        print(f"  - {text}  [{shown}]", file=out)
    if not args.interactive or args.csms == BUILTIN:
        return True
    print("Press Enter when the CSMS meets them, or type n and Enter to stop: ", end="", file=out)
    out.flush()
    answer = sys.stdin.readline()
    return answer != "" and answer.strip().lower() not in ("n", "no")


def build_run_args(argv: list[str]) -> argparse.Namespace:
    """``conformance csms`` arguments parsed as the command line would (for callers
    that run it in-process, e.g. tests and the desktop app)."""
    parser = argparse.ArgumentParser(prog="ocpp-bench")
    add_conformance_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["conformance", "csms", *argv])


def run_conformance_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    if args.conformance_command == "list":
        return list_cases(args, stream)
    if args.conformance_command == "cs":
        from bench.conformance.charger.cli import run_cs_cases

        return asyncio.run(run_cs_cases(args, stream))
    return asyncio.run(run_csms_cases(args, stream))


__all__ = ["Verdict", "add_conformance_parser", "run_conformance_command"]
