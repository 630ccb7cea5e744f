"""RFID reader framings, bytes -> card UIDs (pure; tested on byte strings).

Two kinds of serial reader are common on a bench:

*Text readers* (many USB "keyboard-less" readers, ESP/Arduino sketches) send
one card per line: the UID as hex text followed by CR, LF or CR LF. A line that
is not 4..20 hex digits (after dropping spaces and ``:`` separators) is
counted as corrupt and dropped.

*RDM6300* (125 kHz EM4100 modules) send a 14-byte frame for every read, over
and over while the card stays in the field::

    0x02 | 10 ASCII hex data chars | 2 ASCII hex checksum | 0x03

The 10 data chars are 5 bytes (a version/customer byte and the 4-byte card
number); the checksum is the XOR of those 5 bytes. A frame with a wrong
checksum counts as a checksum error; bytes outside a frame or a malformed frame
count as corrupt. Decoders resynchronise on the next 0x02.

``Debouncer`` turns the RDM6300's stream of repeats into one read per card
per window.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

STX = 0x02
ETX = 0x03
RDM6300_FRAME_LEN = 14
_HEX = frozenset(string.hexdigits)
MAX_LINE = 64  # a text line longer than this is garbage, not a card

LINE_ENDINGS = {"CRLF": b"\r\n", "CR": b"\r", "LF": b"\n"}


@dataclass(slots=True)
class Counters:
    frames: int = 0
    corrupt: int = 0
    checksum_errors: int = 0


def normalise_uid(text: str) -> str | None:
    """Upper-case hex UID of ``text`` (spaces, ``:`` and ``-`` dropped); None if not 4..20 hex."""
    cleaned = "".join(ch for ch in text.strip() if ch not in " :-")
    if not 4 <= len(cleaned) <= 20 or not all(ch in _HEX for ch in cleaned):
        return None
    return cleaned.upper()


class TextLineDecoder:
    """One UID per line (empty lines are ignored).

    ``line_ending`` "auto" takes any of CR, LF or CR LF as the end of a line;
    "CR", "LF" or "CRLF" split on exactly that sequence (a stray CR or LF inside
    the line then makes it corrupt, which is what a misconfigured reader deserves).
    """

    def __init__(self, line_ending: str = "auto") -> None:
        if line_ending != "auto" and line_ending not in LINE_ENDINGS:
            raise ValueError(f"line ending must be auto or one of {', '.join(LINE_ENDINGS)}")
        self.counters = Counters()
        self._ending = None if line_ending == "auto" else LINE_ENDINGS[line_ending]
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[str]:
        uids: list[str] = []
        buf = self._buf
        buf.extend(data)
        while True:
            ending = self._ending
            cut = _line_end(buf) if ending is None else buf.find(ending)
            if cut < 0:
                if len(buf) > MAX_LINE:
                    # No terminator in sight: drop the garbage, keep counting.
                    self.counters.corrupt += 1
                    buf.clear()
                return uids
            line = bytes(buf[:cut])
            del buf[: cut + (1 if ending is None else len(ending))]
            if not line.strip():
                continue
            uid = None
            try:
                uid = normalise_uid(line.decode("ascii"))
            except UnicodeDecodeError:
                pass
            if uid is None:
                self.counters.corrupt += 1
                continue
            self.counters.frames += 1
            uids.append(uid)


def _line_end(buf: bytearray) -> int:
    cr, lf = buf.find(b"\r"), buf.find(b"\n")
    ends = [i for i in (cr, lf) if i >= 0]
    return min(ends) if ends else -1


def encode_text(uid: str, line_ending: str = "CRLF") -> bytes:
    return uid.encode("ascii") + LINE_ENDINGS[line_ending]


def format_rdm6300(data_hex: str, uid_format: str) -> str:
    """The idTag for a card: "hex10" all 10 digits, "hex8" the 4-byte card number,
    "dec10" that number in decimal, 10 digits (as printed on many EM4100 fobs)."""
    if uid_format == "hex10":
        return data_hex
    if uid_format == "hex8":
        return data_hex[2:]
    if uid_format == "dec10":
        return f"{int(data_hex[2:], 16):010d}"
    raise ValueError(f"unknown UID format {uid_format!r}; use hex10, hex8 or dec10")


# ------------------------------------------------------------------ RDM6300
def rdm6300_checksum(data_hex: str) -> int:
    """XOR of the 5 bytes the 10 hex chars stand for."""
    value = 0
    for i in range(0, 10, 2):
        value ^= int(data_hex[i : i + 2], 16)
    return value


def encode_rdm6300(data_hex: str, *, bad_checksum: bool = False) -> bytes:
    """The 14-byte frame for 10 hex chars (``bad_checksum`` flips the checksum: tests)."""
    data_hex = data_hex.upper()
    if len(data_hex) != 10 or not all(ch in _HEX for ch in data_hex):
        raise ValueError(f"an RDM6300 card is 10 hex digits, got {data_hex!r}")
    checksum = rdm6300_checksum(data_hex) ^ (0xFF if bad_checksum else 0)
    return bytes([STX]) + f"{data_hex}{checksum:02X}".encode("ascii") + bytes([ETX])


class Rdm6300Decoder:
    """STX, 10 hex data chars, 2 hex checksum chars, ETX -> the 10 data chars, upper case."""

    def __init__(self) -> None:
        self.counters = Counters()
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[str]:
        out: list[str] = []
        buf = self._buf
        buf.extend(data)
        while buf:
            start = buf.find(bytes([STX]))
            if start < 0:
                self.counters.corrupt += 1  # a run of bytes outside any frame
                buf.clear()
                break
            if start > 0:
                self.counters.corrupt += 1
                del buf[:start]
            if len(buf) < RDM6300_FRAME_LEN:
                # A new STX inside a short partial frame means the partial one was cut off.
                again = buf.find(bytes([STX]), 1)
                if again > 0:
                    self.counters.corrupt += 1
                    del buf[:again]
                    continue
                break
            frame = bytes(buf[:RDM6300_FRAME_LEN])
            body = frame[1:13]
            if frame[13] != ETX or not all(chr(b) in _HEX for b in body):
                self.counters.corrupt += 1
                del buf[:1]  # resynchronise on the next STX
                continue
            del buf[:RDM6300_FRAME_LEN]
            text = body.decode("ascii").upper()
            if int(text[10:], 16) != rdm6300_checksum(text[:10]):
                self.counters.checksum_errors += 1
                continue
            self.counters.frames += 1
            out.append(text[:10])
        return out


class Debouncer:
    """Let one read of a card through per ``window`` seconds (times from the caller's clock)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._last: dict[str, float] = {}

    def accept(self, uid: str, now: float) -> bool:
        last = self._last.get(uid)
        if last is not None and now - last < self.window:
            return False
        self._last[uid] = now
        # Forget cards not seen for a long time, so the table stays small.
        if len(self._last) > 64:
            self._last = {k: t for k, t in self._last.items() if now - t < self.window}
        return True
