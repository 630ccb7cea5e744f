"""Serial port discovery: what is plugged in, and finding a device again after a re-plug.

``/dev/ttyUSB0`` is not a stable name: unplug two adapters and plug them back
in the other order and the names swap. The USB serial number is stable, so a
port can be named ``serial:A10K3J2Q`` (or a driver given ``usb-serial=...``)
and is looked up again on every (re)open.
"""

from __future__ import annotations

from dataclasses import dataclass

from serial.tools import list_ports

SERIAL_PREFIX = "serial:"


class PortNotFound(LookupError):
    """No port matches the name or USB serial number asked for."""


@dataclass(frozen=True, slots=True)
class PortInfo:
    device: str  # "/dev/ttyUSB0", "COM3"
    description: str = ""
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None
    manufacturer: str | None = None

    @property
    def vid_pid(self) -> str:
        """``"0403:6001"``, or ``"-"`` for a port without USB ids (built-in UART, pty)."""
        if self.vid is None or self.pid is None:
            return "-"
        return f"{self.vid:04x}:{self.pid:04x}"

    def line(self) -> str:
        """One line for ``ocpp-bench ports``."""
        serial = self.serial_number or "-"
        desc = self.description if self.description and self.description != "n/a" else ""
        return f"{self.device}  {self.vid_pid}  serial={serial}  {desc}".rstrip()


def list_serial_ports() -> list[PortInfo]:
    """Every serial port the OS reports, sorted by device name."""
    found = [
        PortInfo(
            device=p.device,
            description=p.description or "",
            vid=p.vid,
            pid=p.pid,
            serial_number=p.serial_number,
            manufacturer=p.manufacturer,
        )
        for p in list_ports.comports()
    ]
    return sorted(found, key=lambda p: p.device)


def by_serial_number(serial_number: str, ports: list[PortInfo] | None = None) -> PortInfo:
    """The port whose USB serial number is ``serial_number``; PortNotFound otherwise."""
    for info in ports if ports is not None else list_serial_ports():
        if info.serial_number == serial_number:
            return info
    raise PortNotFound(f"no serial port with USB serial number {serial_number!r} is plugged in")


def resolve(port: str, usb_serial: str | None = None) -> str:
    """The device path to open for ``port`` (``serial:XYZ`` or a path) / ``usb_serial``.

    A USB serial number, when given, wins over the path: the path may have moved.
    """
    if port.startswith(SERIAL_PREFIX):
        usb_serial = port[len(SERIAL_PREFIX) :]
    if usb_serial:
        return by_serial_number(usb_serial).device
    return port
