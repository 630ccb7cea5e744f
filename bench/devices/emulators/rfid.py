"""An emulated serial RFID reader on a pseudo-terminal: a text-line reader or an RDM6300.

``card UID`` at the prompt (or ``present(uid)`` from a test) is a tap:

* text reader: one line, the UID followed by the configured line ending;
* RDM6300: the 14-byte frame, repeated ``repeats`` times ``period`` seconds
  apart as the module does while a fob stays in its field (8 hex digits get
  the version byte ``00`` in front, 10 are sent as they are).

``badsum UID`` sends an RDM6300 frame with a wrong checksum, ``garbage``
writes noise, ``unplug`` / ``replug`` pull and re-insert the USB adapter.
"""

from __future__ import annotations

import asyncio
import random

from bench.devices.emulators.pty import PtyLink, run_prompt
from bench.devices.serial.rfid_frames import encode_rdm6300, encode_text, normalise_uid

KINDS = ("text", "rdm6300")


class RfidEmulator:
    def __init__(
        self,
        kind: str = "text",
        *,
        line_ending: str = "CRLF",
        repeats: int = 4,
        period: float = 0.1,
        link_path: str | None = None,
        seed: int = 0,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"reader kind must be one of {', '.join(KINDS)}")
        self.kind = kind
        self.line_ending = line_ending
        self.repeats = repeats
        self.period = period
        self.link = PtyLink(link_path)
        self._rng = random.Random(seed)
        self._pending: list[asyncio.TimerHandle] = []

    @property
    def path(self) -> str:
        return self.link.path

    async def start(self) -> str:
        return self.link.open()

    async def stop(self) -> None:
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        self.link.close()

    # ------------------------------------------------------------ cards
    def present(self, uid: str) -> str:
        """Tap a card; returns the UID as the reader sends it."""
        if self.kind == "text":
            tag = normalise_uid(uid)
            if tag is None:
                raise ValueError(f"a card UID is 4 to 20 hex digits, got {uid!r}")
            self.link.write(encode_text(tag, self.line_ending))
            return tag
        data = uid.strip().upper()
        if len(data) == 8:
            data = "00" + data
        frame = encode_rdm6300(data)
        loop = asyncio.get_running_loop()
        self._pending = [h for h in self._pending if not h.cancelled()]
        self.link.write(frame)
        for i in range(1, self.repeats):
            self._pending.append(loop.call_later(i * self.period, self.link.write, frame))
        return data

    def command(self, line: str) -> str:
        word, _, arg = line.partition(" ")
        arg = arg.strip()
        if word == "card":
            return f"card {self.present(arg)} presented"
        if word == "badsum":
            data = arg.upper() if len(arg) == 10 else "00" + arg.upper()
            self.link.write(encode_rdm6300(data, bad_checksum=True))
            return "frame with a bad checksum sent"
        if word == "garbage":
            self.link.write(bytes(self._rng.randrange(256) for _ in range(16)) + b"\r\n")
            return "16 random bytes sent"
        if word == "unplug":
            self.link.unplug()
            return "unplugged"
        if word == "replug":
            return f"replugged at {self.link.replug()}"
        raise ValueError(f"unknown command {word!r}; try: {HELP}")


HELP = "card UID | badsum UID | garbage | unplug | replug | quit"


async def run_emulator(
    kind: str = "rfid", link_path: str | None = None, prompt: bool = True
) -> None:
    """``ocpp-bench emulate rfid|rfid-text|rdm6300``: print the port path, serve until quit/EOF."""
    reader = RfidEmulator("rdm6300" if kind == "rdm6300" else "text", link_path=link_path)
    path = await reader.start()
    title = "RDM6300 reader" if reader.kind == "rdm6300" else "text-line RFID reader"
    print(f"{title} on {path}", flush=True)
    try:
        if prompt:
            await run_prompt(reader.command, banner=f"commands: {HELP}")
        else:
            await asyncio.Event().wait()
    finally:
        await reader.stop()
