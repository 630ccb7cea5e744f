"""Frame sinks that are not the database: a JSON Lines file and the terminal.

``JsonlSink`` writes the shape documented for ``ocpp-bench run --log``
(``FrameRecord.as_json_dict``), one object per line, batched like the SQLite
log. ``ConsoleSink`` prints one short human line per frame as it happens.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bench.kernel.frames import FrameRecord
from bench.printable import printable
from bench.store.buffer import DEFAULT_BATCH_SIZE, DEFAULT_MAX_PENDING, BufferedSink

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def json_line(rec: FrameRecord) -> str:
    """The JSON Lines text of one record, without the newline; never raises."""
    obj = rec.as_json_dict()
    try:
        return _encode(obj)
    except (ValueError, TypeError, RecursionError):
        # A payload the encoder cannot take still gets its line: as its raw text.
        obj["payload"] = safe_json_text(rec)
        return _encode(obj)


def safe_json_text(rec: FrameRecord) -> str:
    return (rec.raw if rec.raw is not None else "<payload not serialisable>")[:4096]


class JsonlSink(BufferedSink):
    """Appends ``as_json_dict()`` lines to a file.

    Lines are written whole, a batch at a time, straight to the file (no buffer of
    the file object's own), so a reader (``tail -f``, ``jq``) sees valid JSON Lines
    at every flush — never half a line. A batch the disk refuses part way (full)
    is cut off again, so the retry neither repeats nor splits a line.
    """

    def __init__(
        self,
        path: str | Path,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        super().__init__(batch_size, max_pending)
        self.path = Path(path)
        self.label = f"log file {self.path}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Bytes, unbuffered: a write either reached the file or raised, nothing lingers.
        self._file: BinaryIO = open(self.path, "ab", buffering=0)  # noqa: SIM115

    def _write(self, batch: list[FrameRecord]) -> None:
        # "\n" joins: JSON Lines mandates \n, also on Windows.
        data = ("\n".join(map(json_line, batch)) + "\n").encode("utf-8")
        fd = self._file.fileno()
        start = os.lseek(fd, 0, os.SEEK_END)
        view = memoryview(data)
        try:
            for _ in range(len(data) + 1):  # each pass writes at least one byte or raises
                if not view:
                    break
                view = view[os.write(fd, view) :]
        except OSError:
            os.ftruncate(fd, start)  # all or nothing: drop the part that got through
            raise

    def close(self) -> None:
        if self._file.closed:
            return
        try:
            super().close()
        finally:
            self._file.close()


# ---------------------------------------------------------------------------
# Terminal

_SUMMARY_CHARS = 120
_ARROWS = {"tx": "→", "rx": "←"}

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD_RED = "\x1b[1;31m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_GREEN = "\x1b[32m"


def _summary(payload: Any, limit: int = _SUMMARY_CHARS) -> str:
    if isinstance(payload, str):
        text = payload  # a malformed frame's raw text
    else:
        try:
            text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
        except (ValueError, TypeError, RecursionError):
            text = "<payload not printable>"
    # Peer-controlled text: no raw ESC or newline reaches the terminal.
    text = printable(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _clock_text(ts: float) -> str:
    # UTC and truncated to the millisecond exactly like the JSON Lines "ts", so the
    # terminal and the files line up.
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S.%f")[:-3]


def _wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):  # https://no-color.org
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed or detached stream: plain text is the safe answer
        return False


class ConsoleSink:
    """Prints one compact line per frame, for following a run in a terminal.

    ``HH:MM:SS.mmm station → TYPE Action [marks] (latency) payload-summary``; a
    proxied frame names its leg after the arrow (``→ csms``).
    CALLERRORs carry ``!! <code>`` and frames that failed validation carry
    ``✗ INVALID: <why>`` so both stand out without colour; colour (only on a
    TTY unless forced) adds red on top.
    """

    def __init__(self, stream: TextIO | None = None, colour: bool | None = None) -> None:
        # Resolved at construction, not import, so pytest's capsys and redirections work.
        self.stream: TextIO = stream if stream is not None else sys.stdout
        self.colour = _wants_colour(self.stream) if colour is None else colour

    def format(self, rec: FrameRecord) -> str:
        colour = self.colour
        arrow = _ARROWS.get(rec.direction, "?")
        kind = rec.type
        parts = [_clock_text(rec.ts), printable(rec.station)]
        if colour:
            parts[0] = f"{_DIM}{parts[0]}{_RESET}"
            arrow = f"{_CYAN if rec.direction == 'tx' else _GREEN}{arrow}{_RESET}"
        # A proxied frame is printed once per leg it crossed (bench.proxy).
        parts.append(arrow if rec.leg is None else f"{arrow} {rec.leg}")
        bad = kind in ("CALLERROR", "MALFORMED") or rec.valid is False
        parts.append(f"{_BOLD_RED}{kind}{_RESET}" if colour and bad else kind)
        parts.append(printable(rec.action or "-"))
        if kind == "CALLERROR":
            mark = f"!! {printable(rec.error or '?')}"
            parts.append(f"{_BOLD_RED}{mark}{_RESET}" if colour else mark)
        if rec.valid is False:
            why = printable(rec.error) if kind != "CALLERROR" and rec.error else "schema"
            mark = f"✗ INVALID: {why}"
            parts.append(f"{_BOLD_RED}{mark}{_RESET}" if colour else mark)
        elif kind == "MALFORMED" and rec.error:
            err = printable(rec.error)
            parts.append(f"{_BOLD_RED}({err}){_RESET}" if colour else f"({err})")
        if rec.latency_ms is not None:
            lat = f"({rec.latency_ms:.1f} ms)"
            parts.append(f"{_YELLOW}{lat}{_RESET}" if colour else lat)
        parts.append(_summary(rec.payload))
        return " ".join(parts)

    def record(self, rec: FrameRecord) -> None:
        # Flushed per line: a piped terminal (`| grep`) should stream too.
        self.stream.write(self.format(rec) + "\n")
        self.stream.flush()

    def flush(self) -> int:
        self.stream.flush()
        return 0

    def close(self) -> None:
        self.stream.flush()
