"""The bench line protocol, bytes <-> messages (pure; see docs/line-protocol.md).

One JSON object per line (``\\n`` ends a line, a ``\\r`` before it is
ignored), UTF-8, at most ``MAX_LINE`` bytes, each with ``"v": 1`` and a
``"type"``. This module checks the envelope and the fields of every known
message type; what the messages *mean* is ``line.py``'s business (and the
emulator's, for the other direction).

Every line gives one ``Frame``: either a message (``error`` is None) or a
problem with a short stable error word the peer can be told about:

``bad-json``      the line is not JSON (counted as corrupt, never answered:
                  boot chatter of a microcontroller must not start a storm)
``too-long``      the line exceeds ``MAX_LINE`` (corrupt, not answered)
``not-an-object`` valid JSON but not an object (corrupt, answered)
``bad-version``   ``v`` missing or not 1 (corrupt, answered)
``bad-field``     a known type with a missing or mistyped field (corrupt, answered)
``unknown-type``  a type this side does not know (counted apart, answered)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

VERSION = 1
MAX_LINE = 1024
STATES = ("A", "B", "C", "D", "E", "F")

_NUM = (int, float)
_OPT = False
_REQ = True

# type -> {field: (accepted python types, required)}; bool is excluded from numbers below.
BOARD_MESSAGES: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "hello": {
        "board": ((str,), _REQ),
        "firmware": ((str,), _REQ),
        "serial": ((str,), _OPT),
        "connectors": ((int,), _OPT),
        "max_current": (_NUM, _OPT),
    },
    "state": {"connector": ((int,), _REQ), "state": ((str,), _REQ)},
    "meter": {
        "connector": ((int,), _REQ),
        "voltage": ((list,), _REQ),
        "current": ((list,), _REQ),
        "power": (_NUM, _REQ),
        "energy": ((*_NUM, type(None)), _OPT),
        "temperature": ((*_NUM, type(None)), _OPT),
    },
    "rfid": {"uid": ((str,), _REQ), "connector": ((int, type(None)), _OPT)},
    "fault": {
        "connector": ((int,), _REQ),
        "code": ((str,), _REQ),
        "active": ((bool,), _REQ),
        "detail": ((str,), _OPT),
    },
    "alive": {"uptime": (_NUM, _OPT)},
    "pong": {"id": ((int,), _OPT)},
    "ack": {"id": ((int,), _REQ)},
    "error": {
        "error": ((str,), _REQ),
        "detail": ((str,), _OPT),
        "id": ((int,), _OPT),
        "ref": ((str,), _OPT),
    },
}

BENCH_MESSAGES: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "hello": {"bench": ((str,), _REQ), "version": ((str,), _OPT)},
    "enable": {"id": ((int,), _OPT), "connector": ((int,), _REQ)},
    "disable": {"id": ((int,), _OPT), "connector": ((int,), _REQ)},
    "limit": {"id": ((int,), _OPT), "connector": ((int,), _REQ), "amps": (_NUM, _REQ)},
    "lock": {"id": ((int,), _OPT), "connector": ((int,), _REQ)},
    "unlock": {"id": ((int,), _OPT), "connector": ((int,), _REQ)},
    "reboot": {"id": ((int,), _OPT)},
    "ping": {"id": ((int,), _OPT)},
    "error": BOARD_MESSAGES["error"],
}


@dataclass(frozen=True, slots=True)
class Frame:
    message: dict[str, Any] | None
    error: str | None = None
    detail: str = ""
    ref: str | None = None  # the offending message's type, when it had one

    @property
    def answerable(self) -> bool:
        """Whether the peer should be told (not for noise: bad JSON, overlong lines)."""
        return self.error not in (None, "bad-json", "too-long")


@dataclass(slots=True)
class LineCounters:
    frames: int = 0
    corrupt: int = 0
    unknown: int = 0


def encode(msg_type: str, **fields: Any) -> bytes:
    """One line: ``{"v":1,"type":...,...}\\n`` (compact, key order as given)."""
    body = {"v": VERSION, "type": msg_type, **fields}
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode() + b"\n"


def check(msg: Any, schemas: dict[str, dict[str, tuple[tuple[type, ...], bool]]]) -> Frame:
    """Validate one decoded JSON value against ``schemas`` (one direction's message types)."""
    if not isinstance(msg, dict):
        return Frame(None, "not-an-object", f"expected a JSON object, got {type(msg).__name__}")
    kind = msg.get("type")
    ref = kind if isinstance(kind, str) else None
    if msg.get("v") != VERSION or isinstance(msg.get("v"), bool):
        return Frame(None, "bad-version", f'expected "v": {VERSION}, got {msg.get("v")!r}', ref)
    if not isinstance(kind, str):
        return Frame(None, "bad-field", 'missing "type"', ref)
    schema = schemas.get(kind)
    if schema is None:
        return Frame(None, "unknown-type", f"unknown message type {kind!r}", ref)
    for name, (types, required) in schema.items():
        if name not in msg:
            if required:
                return Frame(None, "bad-field", f"{kind}: missing {name!r}", ref)
            continue
        value = msg[name]
        if isinstance(value, bool) and bool not in types:
            return Frame(None, "bad-field", f"{kind}: {name!r} must not be true/false", ref)
        if not isinstance(value, types):
            want = "/".join(t.__name__ for t in types)
            return Frame(None, "bad-field", f"{kind}: {name!r} must be {want}", ref)
    problem = _semantic_problem(kind, msg)
    if problem:
        return Frame(None, "bad-field", f"{kind}: {problem}", ref)
    return Frame(msg)


def _semantic_problem(kind: str, msg: dict[str, Any]) -> str:
    if kind == "state" and msg["state"] not in STATES:
        return f"state must be one of {', '.join(STATES)}"
    if kind == "meter":
        for name in ("voltage", "current"):
            values = msg[name]
            if not 1 <= len(values) <= 3 or not all(
                isinstance(v, _NUM) and not isinstance(v, bool) for v in values
            ):
                return f"{name!r} must be a list of 1 to 3 numbers"
    if kind == "limit" and msg["amps"] < 0:
        return "'amps' must be >= 0"
    return ""


@dataclass(slots=True)
class LineDecoder:
    """Bytes in, one ``Frame`` per complete line out; partial lines wait for more bytes."""

    schemas: dict[str, dict[str, tuple[tuple[type, ...], bool]]]
    counters: LineCounters = field(default_factory=LineCounters)
    _buf: bytearray = field(default_factory=bytearray)
    _skipping: bool = False  # inside an overlong line: drop until its newline

    def feed(self, data: bytes) -> list[Frame]:
        out: list[Frame] = []
        buf = self._buf
        buf.extend(data)
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                if len(buf) > MAX_LINE:
                    if not self._skipping:
                        out.append(self._count(Frame(None, "too-long", "line too long")))
                    self._skipping = True
                    buf.clear()
                return out
            line = bytes(buf[:nl]).rstrip(b"\r")
            del buf[: nl + 1]
            if self._skipping:
                self._skipping = False  # the tail of the overlong line ends here
                continue
            if not line.strip():
                continue
            if len(line) > MAX_LINE:
                out.append(self._count(Frame(None, "too-long", "line too long")))
                continue
            out.append(self._count(self._decode(line)))

    def _decode(self, line: bytes) -> Frame:
        try:
            value = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return Frame(None, "bad-json", f"not JSON: {exc}"[:120])
        return check(value, self.schemas)

    def _count(self, frame: Frame) -> Frame:
        c = self.counters
        if frame.error is None:
            c.frames += 1
        elif frame.error == "unknown-type":
            c.unknown += 1
        else:
            c.corrupt += 1
        return frame
