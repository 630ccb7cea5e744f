"""An async serial port over pyserial: bytes only, no protocol (ARCHITECTURE rule 5).

On POSIX the port's file descriptor is watched by the event loop
(``add_reader``), so reading costs no thread. Elsewhere (Windows) a short
blocking read runs in a worker thread.

Every failure of the device (path gone, unplugged while open: EIO / hang-up)
becomes ``PortLost``; a read that simply sees no bytes in time returns
``b""``. Timeouts here are real seconds: hardware does not speed up with the
bench's virtual clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import serial

from bench.devices.serial.discovery import PortNotFound, resolve

log = logging.getLogger(__name__)

_CHUNK = 1024


class PortLost(ConnectionError):
    """The port could not be opened, or the device went away while open."""


class SerialPort:
    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 115200,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        usb_serial: str | None = None,
    ) -> None:
        self.port = port
        self.usb_serial = usb_serial or None
        self.baudrate = baudrate
        self.bytesize = bytesize
        self.parity = parity
        self.stopbits = stopbits
        self.device: str | None = None  # the path actually opened
        self._serial: serial.Serial | None = None
        self._ready: asyncio.Event | None = None
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"<SerialPort {self.port} {'open' if self.is_open else 'closed'}>"

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    # ------------------------------------------------------------ life cycle
    async def open(self) -> None:
        """Open the port (looking it up by USB serial number when asked); PortLost if absent."""
        if self._serial is not None:
            return
        try:
            device = resolve(self.port, self.usb_serial)
            ser = serial.Serial(
                device,
                baudrate=self.baudrate,
                bytesize=self.bytesize,
                parity=self.parity,
                stopbits=self.stopbits,
                timeout=0,
                write_timeout=2.0,
            )
        except (PortNotFound, serial.SerialException, OSError, ValueError) as exc:
            raise PortLost(f"cannot open {self.port}: {exc}") from exc
        self._serial = ser
        self.device = device
        fileno = getattr(ser, "fileno", None)
        if fileno is not None:
            loop = asyncio.get_running_loop()
            self._fd = fileno()
            self._ready = asyncio.Event()
            loop.add_reader(self._fd, self._ready.set)

    def close(self) -> None:
        ser, fd, ready = self._serial, self._fd, self._ready
        self._serial = self._fd = None
        self._ready = None
        if ready is not None:
            ready.set()  # a reader waiting on this port wakes and finds it closed
        if fd is not None:
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                asyncio.get_running_loop().remove_reader(fd)
        if ser is not None:
            with contextlib.suppress(OSError, serial.SerialException):
                ser.close()  # the device may be gone already; nothing else to do

    def _lost(self, exc: BaseException) -> PortLost:
        port = self.device or self.port
        self.close()
        return PortLost(f"{port}: device lost ({exc})")

    # ------------------------------------------------------------ bytes
    async def read(self, timeout: float) -> bytes:
        """Bytes available within ``timeout`` real seconds (``b""`` when none came)."""
        ser = self._serial
        if ser is None:
            raise PortLost(f"{self.port} is not open")
        if self._ready is None:
            return await self._read_in_thread(ser, timeout)
        ready = self._ready
        if not ready.is_set():
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel.
                async with asyncio.timeout(timeout):
                    await ready.wait()
            except TimeoutError:
                return b""
        ready.clear()
        if self._serial is not ser:
            # Closed while we waited (a failed write, a detach): never read a closed port.
            raise PortLost(f"{self.port}: closed")
        try:
            # Readable with nothing to read means hang-up: pyserial raises for that.
            return ser.read(max(1, ser.in_waiting or _CHUNK))
        except (serial.SerialException, OSError, TypeError) as exc:
            # TypeError: pyserial's fd became None under us (closed from another path).
            raise self._lost(exc) from exc

    async def _read_in_thread(self, ser: serial.Serial, timeout: float) -> bytes:
        def blocking() -> bytes:
            ser.timeout = timeout
            return ser.read(max(1, ser.in_waiting))

        try:
            return await asyncio.to_thread(blocking)
        except (serial.SerialException, OSError) as exc:
            raise self._lost(exc) from exc

    async def write(self, data: bytes) -> None:
        ser = self._serial
        if ser is None:
            raise PortLost(f"{self.port} is not open")
        try:
            ser.write(data)
        except (serial.SerialException, OSError) as exc:
            raise self._lost(exc) from exc

    def discard_input(self) -> None:
        """Drop bytes received but not read (stale replies after a timeout)."""
        ser = self._serial
        if ser is not None:
            try:
                ser.reset_input_buffer()
            except (serial.SerialException, OSError) as exc:
                raise self._lost(exc) from exc


async def keep_port_open(
    port: SerialPort,
    *,
    retry: float,
    on_open: Callable[[], Awaitable[None]],
    loops: Sequence[Callable[[], Coroutine[Any, Any, None]]],
    link_down: Callable[[str], None],
    owner: object,
) -> None:
    """A station driver's lifetime: open the port, run its loops, reopen on any loss.

    Runs until cancelled. A lost device, and also a bug in handling one frame, ends
    the loops; ``link_down`` says why (so the link never looks alive while dead) and
    the port is reopened after ``retry`` real seconds (hardware time, not virtual).
    """
    while True:
        try:
            await port.open()
        except PortLost as exc:
            link_down(str(exc))
            await asyncio.sleep(retry)
            continue
        try:
            await on_open()
            async with asyncio.TaskGroup() as group:
                for loop in loops:
                    group.create_task(loop())
        except* PortLost as eg:
            link_down(str(eg.exceptions[0]))
        except* Exception as eg:
            error = eg.exceptions[0]
            log.error("%s: driver error, reopening the port", owner, exc_info=error)
            link_down(f"driver error: {error!r}")
        port.close()
        await asyncio.sleep(retry)
