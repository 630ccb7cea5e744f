"""OpenEVSE RAPI framing: bytes <-> frames, pure, with counters (ARCHITECTURE rule 5).

A RAPI frame is one line of ASCII ending in CR (firmware ``rapi_proc.h``)::

    $cc p1 p2 ... [:ss]^xk\\r     XOR checksum (recommended, all firmware >= 2.0.0)
    $cc p1 p2 ...*ck\\r           additive checksum (legacy)
    $cc p1 p2 ...\\r              no checksum (testing only)

``cc`` is a two-letter command (``GS``, ``SC``...) or, from the controller, a
reply (``OK``/``NK``) or an asynchronous notification (``AT`` state change,
``AB`` boot, ``AN`` button, ``WF`` wifi request). ``xk`` is the 8-bit XOR of
every character before ``^`` as two hex digits; ``ck`` the 8-bit sum of every
character before ``*``. ``ss`` is an optional sequence id (2 hex digits, never
00) that the controller echoes in its reply.

``FrameReader`` cuts a byte stream into frames: noise before ``$``, lines
without ``$``, over-long lines and bad checksums are counted, never raised.
A line feed (the firmware's echo mode adds one) is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CR = b"\r"
MAX_LINE = 96  # the firmware's buffer is 32-40 bytes; anything much longer is noise
REPLIES = frozenset({"OK", "NK"})
NOTIFICATIONS = frozenset({"AT", "AB", "AN", "WF"})


class FrameError(ValueError):
    """A line that is not a valid RAPI frame (``checksum`` tells a checksum mismatch apart)."""

    def __init__(self, message: str, *, checksum: bool = False) -> None:
        super().__init__(message)
        self.checksum = checksum


@dataclass(frozen=True, slots=True)
class Frame:
    code: str  # "OK", "NK", "AT", "GS", "SC"...
    params: tuple[str, ...] = ()
    seq: int | None = None
    checksum: str = "xor"  # "xor" | "add" | "none": how the frame was protected

    @property
    def is_reply(self) -> bool:
        return self.code in REPLIES

    @property
    def is_notification(self) -> bool:
        return self.code in NOTIFICATIONS

    def encode(self, checksum: str | None = None) -> bytes:
        return encode(self.code, self.params, seq=self.seq, checksum=checksum or self.checksum)


def xor_checksum(text: bytes) -> int:
    value = 0
    for byte in text:
        value ^= byte
    return value


def additive_checksum(text: bytes) -> int:
    return sum(text) & 0xFF


def encode(
    code: str,
    params: Iterable[object] = (),
    *,
    seq: int | None = None,
    checksum: str = "xor",
) -> bytes:
    """``$code p1 p2 :ss^xk\\r`` as bytes."""
    if len(code) != 2 or not code.isascii():
        raise ValueError(f"a RAPI code has two ASCII characters, got {code!r}")
    parts = [f"${code}", *(str(p) for p in params)]
    if seq is not None:
        if not 1 <= seq <= 0xFF:
            raise ValueError(f"a RAPI sequence id is 01..FF, got {seq}")
        parts.append(f":{seq:02X}")
    body = " ".join(parts).encode("ascii")
    if checksum == "xor":
        return body + b"^%02X\r" % xor_checksum(body)
    if checksum == "add":
        return body + b"*%02X\r" % additive_checksum(body)
    if checksum == "none":
        return body + CR
    raise ValueError(f"checksum must be xor, add or none, got {checksum!r}")


def decode(line: bytes) -> Frame:
    """One line (without CR) -> Frame; FrameError when it is not a valid frame."""
    start = line.find(b"$")
    if start < 0:
        raise FrameError(f"no '$' in {line[:40]!r}")
    line = line[start:]
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError:
        raise FrameError(f"non-ASCII bytes in {line[:40]!r}") from None
    kind = "none"
    body = text
    for mark, name, fn in (("^", "xor", xor_checksum), ("*", "add", additive_checksum)):
        at = text.rfind(mark)
        if at < 0:
            continue
        body, digits = text[:at], text[at + 1 :]
        if len(digits) != 2 or not _is_hex(digits):
            raise FrameError(f"bad checksum digits {digits!r} in {text!r}", checksum=True)
        expected = fn(body.encode("ascii"))
        if int(digits, 16) != expected:
            raise FrameError(
                f"checksum {digits} != {expected:02X} in {text!r}",
                checksum=True,
            )
        kind = name
        break
    tokens = body[1:].split()
    if not tokens or len(tokens[0]) < 2:
        raise FrameError(f"no command in {text!r}")
    head = tokens[0]
    if len(head) > 2:
        # "$OK:1F" (sequence id glued to a bare reply) or garbage.
        if head[2] == ":":
            tokens[0:1] = [head[:2], head[2:]]
        else:
            raise FrameError(f"bad command {head!r} in {text!r}")
    code = tokens[0]
    if not code.isalnum():
        raise FrameError(f"bad command {code!r} in {text!r}")
    params = tokens[1:]
    seq: int | None = None
    if params and params[-1].startswith(":"):
        digits = params[-1][1:]
        if len(digits) != 2 or not _is_hex(digits) or int(digits, 16) == 0:
            raise FrameError(f"bad sequence id {params[-1]!r} in {text!r}")
        seq = int(digits, 16)
        params = params[:-1]
    elif params and ":" in params[-1]:
        # "$SC 10:1F": a sequence id glued to the last parameter.
        value, _, digits = params[-1].rpartition(":")
        if len(digits) == 2 and _is_hex(digits) and int(digits, 16) != 0:
            seq = int(digits, 16)
            params = [*params[:-1], value] if value else params[:-1]
    return Frame(code.upper(), tuple(params), seq, kind)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


class FrameReader:
    """Cut a byte stream into RAPI frames, counting what could not be read."""

    __slots__ = ("_buffer", "checksum_errors", "corrupt", "frames", "last_error")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.frames = 0
        self.corrupt = 0
        self.checksum_errors = 0
        self.last_error = ""

    def feed(self, data: bytes) -> list[Frame]:
        """Frames completed by ``data`` (bad lines counted and dropped)."""
        buffer = self._buffer
        buffer.extend(data.replace(b"\n", b""))
        out: list[Frame] = []
        # Bounded: each pass consumes one CR-terminated line.
        for _ in range(buffer.count(CR)):
            line, _, rest = bytes(buffer).partition(CR)
            buffer[:] = rest
            line = line.strip(b" \x00")
            if not line:
                continue
            try:
                frame = decode(line)
            except FrameError as exc:
                self.last_error = str(exc)
                if exc.checksum:
                    self.checksum_errors += 1
                else:
                    self.corrupt += 1
                continue
            if line[:1] != b"$":
                # A frame found after noise: the noise is still a corrupt fragment.
                self.corrupt += 1
                self.last_error = f"noise before frame: {line[: line.find(b'$')]!r}"
            self.frames += 1
            out.append(frame)
        if len(buffer) > MAX_LINE:
            self.corrupt += 1
            self.last_error = f"line longer than {MAX_LINE} bytes without CR"
            buffer.clear()
        return out

    def reset(self) -> None:
        """Forget a partial line (after the port is reopened)."""
        self._buffer.clear()
