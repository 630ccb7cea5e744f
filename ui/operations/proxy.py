"""What the user does with the proxy (issue 17): start and stop it, edit its rules,
release held frames, send a CALL to either side of a proxied station, set network
faults on a proxied station's leg."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.kernel.frames import FrameSink
from bench.proxy.frames import ParsedFrame
from bench.proxy.rules import RuleBook, load_rules, parse_rules
from bench.proxy.server import ProxyServer
from bench.proxy.station import CHARGER, ProxiedStation
from bench.transport.impair_spec import Impairment
from ui.operations import OperationError
from ui.operations.network_faults import PRESETS

# dnsfail and tlsfail act where the charger opens its connection, out of the proxy's
# hands (bench.proxy.faults): the charger leg's menu leaves them out.
CHARGER_LEG_PRESETS = tuple(
    (label, spec) for label, spec in PRESETS if spec not in ("dnsfail", "tlsfail")
)


class ProxiedLeg:
    """One leg of a proxied station as a ``FaultTarget`` of ``ui.operations.network_faults``.

    It names the station, not the connection: the faults stay across its reconnects.
    """

    __slots__ = ("server", "side", "station_id")

    def __init__(self, server: ProxyServer, station_id: str, side: str = CHARGER) -> None:
        self.server = server
        self.station_id = station_id
        self.side = side

    def impair(self, spec: str) -> Impairment:
        return self.server.impair(self.station_id, spec, self.side)

    def impairment(self) -> Impairment:
        return self.server.impairment(self.station_id, self.side)


def listen_address(text: str) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit():
        raise OperationError(f"Listen on {text!r}: expected HOST:PORT, e.g. 127.0.0.1:9000")
    return host, int(port)


async def start_proxy(listen: str, upstream: str, rules: RuleBook, sink: FrameSink) -> ProxyServer:
    """A proxy listening on ``listen`` in front of ``upstream``; its frames go to ``sink``."""
    host, port = listen_address(listen)
    if not upstream.startswith(("ws://", "wss://")):
        raise OperationError("The upstream CSMS URL must start with ws:// or wss://")
    server = ProxyServer(upstream, sink=sink, rules=rules)
    try:
        await server.start(host, port)
    except OSError as exc:
        raise OperationError(f"Cannot listen on {listen}: {exc.strerror or exc}") from None
    return server


def apply_rules(book: RuleBook, text: str) -> int:
    """Replace the rules in force with the JSON ``text``; how many there are now."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OperationError(f"The rules are not JSON: {exc}") from None
    book.replace(parse_rules(data))  # RuleError is a ValueError: reported as it says
    return len(book.rules)


def read_rules_file(path: str) -> str:
    """The rules of a rule file, checked and laid out for the editor."""
    return RuleBook(load_rules(path)).to_json()


def save_rules_file(book: RuleBook, path: str) -> int:
    """Write the rules in force to ``path`` (a rule file ``--rules`` reads back)."""
    try:
        Path(path).write_text(book.to_json(), encoding="utf-8")
    except OSError as exc:
        raise OperationError(f"Cannot write {path}: {exc.strerror or exc}") from None
    return len(book.rules)


async def send_call(
    station: ProxiedStation, toward: str, action: str, payload_text: str, timeout: float = 30.0
) -> ParsedFrame:
    """The bench's own CALL to one side of ``station``; the reply (not forwarded)."""
    if not action.strip():
        raise OperationError("Name the action to send, e.g. GetConfiguration")
    try:
        payload: Any = json.loads(payload_text or "{}")
    except json.JSONDecodeError as exc:
        raise OperationError(f"The payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise OperationError("The payload must be a JSON object")
    try:
        return await station.call(toward, action.strip(), payload, timeout)
    except TimeoutError:
        raise OperationError(f"No reply to {action} within {timeout:g} s") from None


async def release(station: ProxiedStation, number: int | None = None) -> int:
    return await station.release(number)
