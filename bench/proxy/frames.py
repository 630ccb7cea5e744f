"""What the proxy reads of a frame: its type, id, action, payload and schema verdict.

The proxy forwards the text it received; it parses a frame only to log it and to
match rules, never to rebuild it (a rule that changes a frame is the exception).
Replies carry no action in OCPP-J, so each direction keeps the CALLs it passed on,
by message id, to name a reply's action and to measure each leg's latency.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from bench.ocpp.log import CALL, CALLERROR, CALLRESULT, TYPE_NAMES
from bench.ocpp.schemas import SchemaViolation, validate

__all__ = ["Exchange", "Exchanges", "ParsedFrame", "parse_frame", "version_of"]

# The subprotocols the proxy knows the schemas of (OCPP-J 1.6 §3.1.2, 2.0.1 part 4 §3.1.2).
_VERSIONS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}


def version_of(subprotocol: str | None) -> str | None:
    """The OCPP version whose schemas judge frames of ``subprotocol`` (None: no schemas)."""
    return _VERSIONS.get(subprotocol or "")


@dataclass(slots=True)
class ParsedFrame:
    """One frame as the proxy understood it; ``text`` is what travelled."""

    text: str | bytes
    type: str  # CALL | CALLRESULT | CALLERROR | MALFORMED
    msg_id: str | None
    action: str | None
    payload: Any
    valid: bool | None = None
    error: str | None = None

    @property
    def is_call(self) -> bool:
        return self.type == "CALL"

    @property
    def is_reply(self) -> bool:
        return self.type in ("CALLRESULT", "CALLERROR")

    def array(self) -> list[Any]:
        """The frame as an OCPP-J array, for a rule that rewrites it."""
        if self.type == "CALL":
            return [CALL, self.msg_id, self.action, self.payload]
        if self.type == "CALLRESULT":
            return [CALLRESULT, self.msg_id, self.payload]
        body = self.payload if isinstance(self.payload, dict) else {}
        return [
            CALLERROR,
            self.msg_id,
            body.get("errorCode"),
            body.get("errorDescription"),
            body.get("errorDetails", {}),
        ]


def parse_frame(text: str | bytes) -> ParsedFrame:
    """The head and payload of ``text``; a frame that is not OCPP-J is MALFORMED."""
    if isinstance(text, bytes):
        # OCPP-J allows text frames only; the proxy still forwards it, marked.
        return ParsedFrame(text, "MALFORMED", None, None, repr(text[:200]), False, "binary frame")
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return ParsedFrame(text, "MALFORMED", None, None, text, False, "not valid JSON")
    if not isinstance(frame, list) or len(frame) < 3 or not isinstance(frame[1], str):
        return ParsedFrame(text, "MALFORMED", None, None, text, False, "not an OCPP-J array")
    kind, msg_id = frame[0], frame[1]
    if kind == CALL and len(frame) == 4 and isinstance(frame[2], str):
        return ParsedFrame(text, "CALL", msg_id, frame[2], frame[3])
    if kind == CALLRESULT and len(frame) == 3:
        return ParsedFrame(text, "CALLRESULT", msg_id, None, frame[2])
    if kind == CALLERROR and len(frame) in (4, 5):
        body = {
            "errorCode": frame[2],
            "errorDescription": frame[3],
            "errorDetails": frame[4] if len(frame) == 5 else {},
        }
        return ParsedFrame(text, "CALLERROR", msg_id, None, body)
    name = TYPE_NAMES.get(kind, repr(kind))
    return ParsedFrame(text, "MALFORMED", msg_id, None, text, False, f"malformed {name} frame")


def judge(frame: ParsedFrame, version: str | None) -> None:
    """Set the schema verdict of ``frame`` for OCPP ``version`` (its action known)."""
    if frame.type == "MALFORMED":
        return
    if frame.type == "CALLERROR":
        body = frame.payload
        ok = isinstance(body["errorCode"], str) and isinstance(body["errorDescription"], str)
        frame.valid = ok and isinstance(body["errorDetails"], dict)
        frame.error = str(body["errorCode"])
        return
    if version is None or frame.action is None:
        frame.valid = None  # no schema applies: unknown subprotocol or an unpaired reply
        return
    try:
        validate(version, frame.action, frame.payload, response=frame.type == "CALLRESULT")
    except SchemaViolation as exc:
        frame.valid = False
        frame.error = f"{exc.kind.value}: {exc.message}"
    else:
        frame.valid = True
        frame.error = None


@dataclass(slots=True)
class Exchange:
    """A CALL on its way: its action, and when each leg saw it (monotonic seconds)."""

    action: str
    received: float  # on the leg it came from
    forwarded: float | None = None  # on the leg it went out on
    local: bool = False  # the bench's own CALL (the console): its reply stays here


class Exchanges:
    """The CALLs one side sent that still wait for a reply, by message id.

    OCPP-J lets a side have one CALL outstanding (1.6-J §4.1.1); a peer that breaks
    the rule or never answers must not make this grow without end, so the oldest
    entries go first past ``limit``.
    """

    __slots__ = ("_open", "limit")

    def __init__(self, limit: int = 256) -> None:
        self._open: OrderedDict[str, Exchange] = OrderedDict()
        self.limit = limit

    def opened(self, msg_id: str, exchange: Exchange) -> None:
        self._open[msg_id] = exchange
        self._open.move_to_end(msg_id)
        while len(self._open) > self.limit:
            self._open.popitem(last=False)

    def get(self, msg_id: str | None) -> Exchange | None:
        return None if msg_id is None else self._open.get(msg_id)

    def closed(self, msg_id: str | None) -> Exchange | None:
        return None if msg_id is None else self._open.pop(msg_id, None)

    def __len__(self) -> int:
        return len(self._open)
