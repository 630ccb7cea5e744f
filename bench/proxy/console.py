"""The proxy's console: one command a line on ``ocpp-bench proxy``'s standard input.

    stations                          the proxied stations, their subprotocol, held frames
    held                              the frames hold rules parked, numbered per station
    release ID [N]                    forward held frame N of station ID (all without N)
    send ID charger|csms ACTION JSON  a CALL to the charger (as the CSMS) or to the CSMS
                                      (as the charger); prints the reply
    rules                             the rules in force, as JSON
    rules load FILE                   replace the rules with those of FILE
    impair ID [charger|csms] FAULT    network faults on a leg of station ID (the charger's
                                      by default), e.g. latency 800ms, loss 5%, off
    impair ID                         the faults in force on both legs of station ID
    help                              this list

Each command answers with text lines; a mistake answers one ``error:`` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import sys
import threading

from bench.proxy.faults import SIDES
from bench.proxy.rules import TO_CHARGER, TO_CSMS, RuleError, load_rules
from bench.proxy.server import ProxyServer

__all__ = ["execute", "start_stdin_reader"]

_HELP = __doc__.split("\n\n")[1] if __doc__ else ""
_SIDES = {"charger": TO_CHARGER, "csms": TO_CSMS}


async def execute(proxy: ProxyServer, line: str, timeout: float = 30.0) -> str:
    """Run one console command; its answer (never raises for a user's mistake)."""
    words = line.strip().split(maxsplit=4)
    if not words:
        return ""
    verb, args = words[0].lower(), words[1:]
    try:
        if verb == "help":
            return _HELP
        if verb == "impair" and args:
            return _impair(proxy, line.strip().split()[1:])
        if verb == "stations":
            rows = [
                f"{sid}  {s.subprotocol}  held {len(s.held)}" for sid, s in proxy.stations.items()
            ]
            return "\n".join(rows) or "no station is connected"
        if verb == "held":
            rows = [
                f"{sid} #{h.number} {h.frame.type} {h.frame.action} ({h.rule})"
                for sid, s in proxy.stations.items()
                for h in s.held
            ]
            return "\n".join(rows) or "nothing is held"
        if verb == "release" and 1 <= len(args) <= 2:
            number = int(args[1]) if len(args) == 2 else None
            count = await proxy.station(args[0]).release(number)
            return f"released {count} frame(s) of {args[0]}"
        if verb == "send" and len(args) == 4 and args[1] in _SIDES:
            payload = json.loads(args[3])
            if not isinstance(payload, dict):
                return "error: the payload must be a JSON object"
            station = proxy.station(args[0])
            reply = await station.call(_SIDES[args[1]], args[2], payload, timeout)
            verdict = "valid" if reply.valid else f"invalid: {reply.error}"
            return f"{reply.type} ({verdict}) {json.dumps(reply.payload)}"
        if verb == "rules" and not args:
            return proxy.rules.to_json().rstrip()
        if verb == "rules" and len(args) == 2 and args[0] == "load":
            proxy.rules.replace(load_rules(shlex.split(args[1])[0]))
            return f"{len(proxy.rules.rules)} rule(s) in force"
    except (KeyError, ValueError, RuleError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        return f"error: {message}"
    except TimeoutError:
        return f"error: no reply within {timeout:g} s"
    return f"error: unknown command {line.strip()!r}; try 'help'"


def _impair(proxy: ProxyServer, args: list[str]) -> str:
    """``impair ID [SIDE] [FAULT ...]``: change one leg's faults, or show both legs'."""
    station_id, rest = args[0], args[1:]
    if (len(rest) == 1 and rest[0].lower() in SIDES) or not rest:
        return f"{station_id}: {proxy.faults.describe(station_id)}"
    side = "charger"
    if rest[0].lower() in SIDES:
        side, rest = rest[0].lower(), rest[1:]
    now = proxy.impair(station_id, " ".join(rest), side)  # ImpairmentError: a ValueError
    where = "" if station_id in proxy.stations else f" (when {station_id} connects)"
    return f"{station_id}: {side} leg: {now.describe()}{where}"


def start_stdin_reader(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    """Feed stdin lines into ``queue`` (None at the end) from a daemon thread.

    A thread, because stdin may be a terminal, a pipe, a file or closed; a daemon,
    so a read that blocks never holds up the exit.
    """
    stream = sys.stdin

    def put(item: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def read() -> None:
        try:
            while line := (stream.readline() if stream is not None else ""):
                put(line)
        except (OSError, ValueError):  # a closed or unreadable stdin is the end of it
            pass
        put(None)

    threading.Thread(target=read, name="proxy-console", daemon=True).start()
