"""Shared pseudo-terminal plumbing for the device emulators.

An emulator plays the device: it holds the *master* side of a pty and the
driver under test opens the *slave* path exactly as it would open
``/dev/ttyUSB0``. ``PtyLink`` gives:

* ``path``: what the driver opens. With ``link_path`` it is a symlink the link
  creates (stable across ``replug``), otherwise the slave's ``/dev/pts/N`` name.
* ``unplug()``: the USB cable is pulled. The master closes (the driver's reads
  fail: EIO / hang-up) and the symlink is deleted (the path vanishes, as a
  ``/dev/ttyUSB0`` does).
* ``replug()``: a fresh pty appears behind the same symlink.
* ``read()`` / ``write()``: the device's side of the byte stream, async.

``run_prompt`` is the small line-oriented control prompt every emulator offers
on stdin (plug, unplug, fault, card...).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import sys
import termios
import tty
from collections.abc import Awaitable, Callable

_CHUNK = 4096


class PtyClosed(ConnectionError):
    """The emulated device is unplugged."""


class PtyLink:
    """The device end of a pseudo-terminal."""

    def __init__(self, link_path: str | os.PathLike[str] | None = None) -> None:
        self.link_path = os.fspath(link_path) if link_path is not None else None
        self.slave_name: str | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------ life cycle
    @property
    def path(self) -> str:
        """The path a driver opens (the symlink when one was asked for)."""
        if self.link_path is not None:
            return self.link_path
        if self.slave_name is None:
            raise PtyClosed("the pty is not open")
        return self.slave_name

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def open(self) -> str:
        """Create the pty (and the symlink); returns ``path``. Must run inside the event loop."""
        if self._master is not None:
            return self.path
        self._loop = asyncio.get_running_loop()
        master, slave = os.openpty()
        # Raw on both ends: no echo, no CR/LF translation, bytes pass untouched.
        tty.setraw(master, termios.TCSANOW)
        tty.setraw(slave, termios.TCSANOW)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.slave_name = os.ttyname(slave)
        if self.link_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.link_path)  # a stale link from an earlier run
            os.symlink(self.slave_name, self.link_path)
        self._queue = asyncio.Queue()
        self._loop.add_reader(master, self._readable)
        return self.path

    def unplug(self) -> None:
        """Pull the cable: the path vanishes and the driver's open port breaks."""
        master, slave = self._master, self._slave
        self._master = self._slave = None
        if master is None:
            return
        if self._loop is not None:
            self._loop.remove_reader(master)
        if self.link_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.link_path)
        os.close(master)
        if slave is not None:
            os.close(slave)
        self._queue.put_nowait(None)  # wake a pending read()

    def replug(self) -> str:
        """Plug a fresh pty in behind the same symlink; returns ``path``."""
        self.unplug()
        return self.open()

    def close(self) -> None:
        self.unplug()

    # ------------------------------------------------------------ bytes
    def _readable(self) -> None:
        master = self._master
        if master is None:
            return
        try:
            data = os.read(master, _CHUNK)
        except BlockingIOError:
            return
        except OSError:
            # EIO: no process holds the slave open any more. Ours stays open, so this
            # is rare; treat it as "nothing to read" rather than spin.
            return
        if data:
            self._queue.put_nowait(data)

    async def read(self) -> bytes:
        """The next bytes the driver wrote; PtyClosed once unplugged."""
        if self._master is None and self._queue.empty():
            raise PtyClosed("the emulated device is unplugged")
        data = await self._queue.get()
        if data is None:
            raise PtyClosed("the emulated device is unplugged")
        return data

    def write(self, data: bytes) -> None:
        """Send bytes to the driver; silently dropped while unplugged (a dead wire)."""
        master = self._master
        if master is None:
            return
        view = memoryview(data)
        # A pty buffer holds a few KiB; device replies are far smaller, so one or two
        # writes always suffice. Bounded anyway.
        for _ in range(64):
            if not view:
                return
            try:
                sent = os.write(master, view)
            except BlockingIOError:
                sent = 0
            except OSError:
                return  # the driver's side is gone; a real wire drops bytes too
            view = view[sent:]

    async def __aenter__(self) -> PtyLink:
        self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- control prompt
Command = Callable[[str], "str | Awaitable[str | None] | None"]


async def run_prompt(
    handle: Command,
    *,
    banner: str = "",
    prompt: str = "> ",
    stdin: int | None = None,
    out: Callable[[str], None] | None = None,
) -> None:
    """Read command lines from stdin until EOF or ``quit``; print what ``handle`` returns.

    ``handle`` gets the stripped line and returns a reply (or None); a ValueError or
    KeyError it raises is printed as ``error: ...`` and the prompt goes on.
    """
    write = out or (lambda text: print(text, flush=True))
    fd = sys.stdin.fileno() if stdin is None else stdin
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    buffer = bytearray()

    def readable() -> None:
        try:
            data = os.read(fd, _CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            lines.put_nowait(None)
            return
        buffer.extend(data)
        while b"\n" in buffer:
            line, _, rest = bytes(buffer).partition(b"\n")
            buffer[:] = rest
            lines.put_nowait(line.decode("utf-8", "replace"))

    if banner:
        write(banner)
    loop.add_reader(fd, readable)
    try:
        while True:
            sys.stdout.write(prompt)
            sys.stdout.flush()
            line = await lines.get()
            if line is None:
                return
            text = line.strip()
            if not text:
                continue
            if text in ("quit", "exit"):
                return
            try:
                reply = handle(text)
                if inspect.isawaitable(reply):
                    reply = await reply
            except (ValueError, KeyError) as exc:
                write(f"error: {exc}")
                continue
            if reply:
                write(str(reply))
    finally:
        loop.remove_reader(fd)
