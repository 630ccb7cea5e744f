"""Serial RFID readers (role "rfid"): a card read becomes ``station.present_id``.

Two drivers over the same loop, differing only in framing (``rfid_frames.py``):

``rfid-text``  one UID per text line (hex, CR/LF); most USB-serial readers and
               hand-made Arduino/ESP readers.
``rdm6300``    the RDM6300 125 kHz module's 14-byte frames, repeated while the
               card stays in the field; debounced to one read per window.

A reader has no heartbeat, so the only way to tell it is gone is the port:
while the port cannot be opened, or breaks (USB pulled), the station carries
the catalogue's ``reader_failure`` (1.6 §7.6 ReaderFailure); it is cleared
when the port opens again. A fault someone else raised is never touched.

The debounce window runs on the station's clock: a card held for a minute
of virtual time is one read per window of virtual time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bench.devices.base import DeviceDriver, Setting
from bench.devices.registry import register
from bench.devices.serial.port import PortLost, SerialPort
from bench.devices.serial.rfid_frames import (
    Counters,
    Debouncer,
    Rdm6300Decoder,
    TextLineDecoder,
    format_rdm6300,
)
from bench.kernel.supervisor import Supervisor

if TYPE_CHECKING:
    from bench.model.station import Station

log = logging.getLogger(__name__)

READER_FAULT = "reader_failure"
RETRY_OPEN_S = 1.0  # real seconds between attempts to open a missing port
READ_SLICE_S = 0.5  # real seconds one read waits before looping (keeps cancellation prompt)
BAUDRATES = ("2400", "4800", "9600", "19200", "38400", "57600", "115200")


class _Decoder(Protocol):
    counters: Counters

    def feed(self, data: bytes) -> list[str]: ...


class RfidReader(DeviceDriver):
    """Read cards from a serial reader and present them at the station."""

    role: ClassVar[str] = "rfid"

    def __init__(self, port: str, options: Any, *, clock: Any) -> None:
        super().__init__(port, options, clock=clock)
        self.station: Station | None = None  # and connector_id: set by attach
        self.reads: list[str] = []  # accepted reads, newest last (the UI's "last card")
        self._serial: SerialPort | None = None
        self._tasks: Supervisor | None = None
        self._faulted = False
        self._down = False
        self._decoder = self._make_decoder()
        self._debounce = Debouncer(float(self.options["debounce_s"]))

    def _make_decoder(self) -> _Decoder:
        raise NotImplementedError

    def _to_tag(self, uid: str) -> str:
        return uid

    # ------------------------------------------------------------ DeviceDriver
    async def attach(self, station: Station, connector_id: int = 1) -> None:
        if self._tasks is not None:
            raise RuntimeError(f"{self!r} is already attached")
        station.connector(connector_id)  # validate
        self.station, self.connector_id = station, connector_id
        station.devices = (*station.devices, self)
        self._tasks = Supervisor(f"{self.name}:{self.port}")
        self._tasks.spawn(self._run(), name=f"{self.name}-read")

    async def detach(self) -> None:
        tasks, self._tasks = self._tasks, None
        if tasks is not None:
            await tasks.aclose()
        if self._serial is not None:
            self._serial.close()
            self._serial = None
        self._clear_fault()
        if self.station is not None:
            self.station.devices = tuple(d for d in self.station.devices if d is not self)
        self.station = None
        self.health.connected = False
        self.publish_health()

    # ------------------------------------------------------------ the read loop
    async def _run(self) -> None:
        port = SerialPort(self.port, baudrate=int(self.options["baudrate"]))
        self._serial = port
        while True:
            try:
                await port.open()
            except PortLost as exc:
                self._lost(str(exc))
                await asyncio.sleep(RETRY_OPEN_S)
                continue
            self._down = False
            self.health.connected = True
            self.health.detail = ""
            self._clear_fault()
            self.publish_health()
            try:
                while True:
                    data = await port.read(READ_SLICE_S)
                    if data:
                        self._feed(data)
            except PortLost as exc:
                self._lost(str(exc))
            except Exception as exc:
                # A bug handling one read must not leave a dead reader that looks alive:
                # say so, and start again from a fresh port.
                log.error("%s: reader error, reopening the port", self, exc_info=exc)
                port.close()
                self._lost(f"reader error: {exc!r}")
                await asyncio.sleep(RETRY_OPEN_S)

    def _feed(self, data: bytes) -> None:
        decoder = self._decoder
        before = (decoder.counters.corrupt, decoder.counters.checksum_errors)
        uids = decoder.feed(data)
        c, health = decoder.counters, self.health
        health.frames, health.corrupt, health.checksum_errors = (
            c.frames,
            c.corrupt,
            c.checksum_errors,
        )
        if (c.corrupt, c.checksum_errors) != before:
            health.detail = "bad frame from the reader"
        now = self.clock.monotonic()
        for uid in uids:
            health.last_seen = now
            if not self._debounce.accept(uid, now):
                continue
            tag = self._to_tag(uid)
            self.reads.append(tag)
            del self.reads[:-20]
            station = self.station
            if station is not None and not station.present_id(tag, self.connector_id):
                log.warning("%s: card %s not presented (reader fault or power off)", self.name, tag)
        self.publish_health()

    # ------------------------------------------------------------ reader failure
    def _lost(self, reason: str) -> None:
        first = not self._down
        self._down = True
        self.health.connected = False
        self.health.detail = reason[:120]
        station = self.station
        if station is not None and station.fault is None and not self._faulted:
            self._faulted = True
            station.raise_fault(READER_FAULT)  # 1.6 §7.6 ReaderFailure
        if first:
            log.warning("%s: reader on %s lost: %s", self.name, self.port, reason)
            self.publish_health()

    def _clear_fault(self) -> None:
        station = self.station
        if self._faulted and station is not None:
            fault = station.fault
            if fault is not None and fault.name == READER_FAULT:
                station.clear_fault()
        self._faulted = False


def _common(debounce: float) -> tuple[Setting, ...]:
    return (
        Setting("baudrate", "Baud rate", "choice", "9600", "The reader's serial speed", BAUDRATES),
        Setting(
            "debounce_s",
            "Debounce (s)",
            "float",
            debounce,
            "The same card is read at most once per this many seconds",
            (),
            0.0,
            60.0,
        ),
    )


@register
class TextRfidReader(RfidReader):
    name: ClassVar[str] = "rfid-text"
    title: ClassVar[str] = "RFID reader, UID as a text line"
    settings: ClassVar[tuple[Setting, ...]] = (
        *_common(1.0),
        Setting(
            "line_ending",
            "Line ending",
            "choice",
            "auto",
            "What ends a UID line: auto accepts CR, LF and CR LF",
            ("auto", "CRLF", "CR", "LF"),
        ),
    )

    def _make_decoder(self) -> _Decoder:
        return TextLineDecoder(str(self.options["line_ending"]))


@register
class Rdm6300Reader(RfidReader):
    name: ClassVar[str] = "rdm6300"
    title: ClassVar[str] = "RDM6300 125 kHz reader"
    settings: ClassVar[tuple[Setting, ...]] = (
        *_common(2.0),
        Setting(
            "uid_format",
            "idTag format",
            "choice",
            "hex10",
            "hex10: all 10 hex digits; hex8: the card number; dec10: it in decimal",
            ("hex10", "hex8", "dec10"),
        ),
    )

    def _make_decoder(self) -> _Decoder:
        return Rdm6300Decoder()

    def _to_tag(self, uid: str) -> str:
        return format_rdm6300(uid, str(self.options["uid_format"]))
