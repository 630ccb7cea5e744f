"""Modbus RTU energy meters as a connector's meter of record (role "meter").

Bytes and framing are pymodbus's (its async serial client, RTU framer);
which registers mean what is ``modbus_maps.py``; this module is the meaning:
poll the map's blocks every ``poll_interval`` seconds, decode them and hand a
``MeterReading`` to ``connector.meter.set_external``. A meter that does not
answer ``fail_after`` polls in a row, or whose port is gone (USB adapter
pulled), is *lost*: ``connector.meter.external_failed`` raises the
catalogue's ``power_meter_failure`` (1.6 §7.6 PowerMeterFailure) and the
first good reading afterwards clears it. The driver keeps retrying, so a
re-plugged adapter recovers without a restart.

Health: a request that gets no reply at all is a *timeout*; one that got
bytes back but no valid response (the RTU CRC failed, or noise) is a
*checksum error*; a Modbus exception reply or undecodable values count as
*corrupt*.

Polling runs in real seconds (``asyncio.sleep``), not virtual ones: it paces a
physical bus at 9600 baud, which a virtual clock at x120 must not speed up.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import struct
from typing import TYPE_CHECKING, Any, ClassVar

from pymodbus.client import AsyncModbusSerialClient
from pymodbus.exceptions import ModbusException

from bench.devices.base import DeviceDriver, Setting
from bench.devices.registry import register
from bench.devices.serial.discovery import PortNotFound, resolve
from bench.devices.serial.modbus_maps import (
    ABB_B23,
    HOLDING,
    SDM120,
    SDM630,
    RegisterMap,
    Values,
    decode,
)
from bench.kernel.supervisor import Supervisor
from bench.model.meter import MeterReading

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.station import Station

try:
    from termios import error as _TermiosError
except ImportError:  # Windows: no termios, pyserial raises SerialException (an OSError)

    class _TermiosError(Exception):  # type: ignore[no-redef]
        pass


log = logging.getLogger(__name__)
# pymodbus logs every missed reply at ERROR; the driver counts them in LinkHealth instead.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

RETRY_OPEN_S = 1.0  # how often a missing port is looked for again (real seconds)
PARITIES = ("N", "E", "O")
BAUDRATES = ("1200", "2400", "4800", "9600", "19200", "38400", "57600", "115200")

# pymodbus 3.10 renamed the request keyword "slave" to "device_id"; support both.
_UNIT_KW = (
    "device_id"
    if "device_id" in inspect.signature(AsyncModbusSerialClient.read_input_registers).parameters
    else "slave"
)
_CLIENT_PARAMS = inspect.signature(AsyncModbusSerialClient.__init__).parameters


def _crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _meter_settings(rmap: RegisterMap) -> tuple[Setting, ...]:
    return (
        Setting("device_id", "Modbus device id", "int", 1, "The meter's bus address", (), 1, 247),
        Setting(
            "baudrate",
            "Baud rate",
            "choice",
            str(rmap.default_baudrate),
            "Must match the meter's own setting (its display menu)",
            BAUDRATES,
        ),
        Setting(
            "parity",
            "Parity",
            "choice",
            rmap.default_parity,
            "N (none), E (even) or O (odd); 8 data bits; 2 stop bits with N, else 1",
            PARITIES,
        ),
        Setting(
            "stopbits",
            "Stop bits",
            "choice",
            "1",
            "Eastron and ABB meters ship with 1; the Modbus spec asks 2 when parity is N",
            ("1", "2"),
        ),
        Setting(
            "poll_interval",
            "Poll interval (s)",
            "float",
            1.0,
            "Real seconds between reads",
            (),
            0.02,
            60.0,
        ),
        Setting(
            "timeout",
            "Reply timeout (s)",
            "float",
            1.0,
            "Wait this long for each reply",
            (),
            0.05,
            10.0,
        ),
        Setting(
            "fail_after",
            "Lost after N failures",
            "int",
            3,
            "Failed polls in a row before PowerMeterFailure is reported",
            (),
            1,
            100,
        ),
    )


class ModbusMeter(DeviceDriver):
    """A Modbus RTU meter of one register map, polled on its own supervised task."""

    role: ClassVar[str] = "meter"
    register_map: ClassVar[RegisterMap]

    def __init__(self, port: str, options: Any, *, clock: Any) -> None:
        super().__init__(port, options, clock=clock)
        self.connector: Connector | None = None
        self.last_values: Values | None = None
        self._tasks: Supervisor | None = None
        self._client: AsyncModbusSerialClient | None = None
        self._lost = False
        self._rx_since_request: bytes = b""

    # ------------------------------------------------------------ DeviceDriver
    async def attach(self, station: Station, connector_id: int = 1) -> None:
        if self._tasks is not None:
            raise RuntimeError(f"{self!r} is already attached")
        self.connector = station.connector(connector_id)
        station.devices = (*station.devices, self)
        self._tasks = Supervisor(f"{self.name}:{self.port}")
        self._tasks.spawn(self._run(), name=f"{self.name}-poll")

    async def detach(self) -> None:
        tasks, self._tasks = self._tasks, None
        if tasks is not None:
            await tasks.aclose()
        self._close_client()
        connector, self.connector = self.connector, None
        if connector is not None:
            station = connector.station
            station.devices = tuple(d for d in station.devices if d is not self)
            # Back to the simulated physics; also clears a PowerMeterFailure we raised.
            connector.meter.set_external(None)
        self.health.connected = False
        self.publish_health()

    # ------------------------------------------------------------ the poll loop
    async def _run(self) -> None:
        failures = 0
        interval = float(self.options["poll_interval"])
        while True:
            client = await self._open()
            if client is None:
                self._lose(self.health.detail or f"cannot open {self.port}")
                await asyncio.sleep(RETRY_OPEN_S)
                continue
            try:
                values = await self._poll(client)
            except (_ExceptionReply, ModbusException, OSError, ValueError, TimeoutError) as exc:
                failures += 1
                self._count_failure(exc)
                if not client.connected:
                    self._close_client()  # the adapter is gone: reopen from scratch
                if failures >= int(self.options["fail_after"]) or self._client is None:
                    self._lose(self.health.detail)
                self.publish_health()
            else:
                failures = 0
                self._deliver(values)
            await asyncio.sleep(interval)

    async def _open(self) -> AsyncModbusSerialClient | None:
        if self._client is not None and self._client.connected:
            return self._client
        self._close_client()
        parity = str(self.options["parity"])
        kwargs: dict[str, Any] = {
            "baudrate": int(self.options["baudrate"]),
            "parity": parity,
            "bytesize": 8,
            "stopbits": int(self.options["stopbits"]),
            "timeout": float(self.options["timeout"]),
            "retries": 0,  # we count and retry ourselves, once per poll
        }
        if "reconnect_delay" in _CLIENT_PARAMS:
            kwargs["reconnect_delay"] = 0  # no background reconnects: _run owns that
        if "trace_packet" in _CLIENT_PARAMS:
            kwargs["trace_packet"] = self._trace_packet
        try:
            path = resolve(self.port)  # "serial:XYZ" finds the adapter again after a re-plug
        except PortNotFound as exc:
            self.health.detail = str(exc)
            return None
        client = AsyncModbusSerialClient(path, **kwargs)
        try:
            ok = await client.connect()
        except (OSError, _TermiosError) as exc:
            # termios.error: the port refuses the line settings (a pty takes no parity).
            ok = False
            self.health.detail = f"cannot open {path}: {exc}"[:120]
        if not ok:
            client.close()
            if not self.health.detail.startswith("cannot open"):
                self.health.detail = f"cannot open {path}"
            return None
        self._client = client
        return client

    def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def _poll(self, client: AsyncModbusSerialClient) -> Values:
        rmap = self.register_map
        read = (
            client.read_holding_registers
            if rmap.function == HOLDING
            else client.read_input_registers
        )
        unit: dict[str, Any] = {_UNIT_KW: int(self.options["device_id"])}
        blocks: dict[int, list[int]] = {}
        for block in rmap.blocks:
            self._rx_since_request = b""
            reply = await read(block.address, count=block.count, **unit)
            if reply.isError():
                raise _ExceptionReply(f"exception reply to 0x{block.address:04X}: {reply}")
            if len(reply.registers) != block.count:
                raise ValueError(f"short reply: {len(reply.registers)} of {block.count} registers")
            blocks[block.address] = list(reply.registers)
        return decode(rmap, blocks)

    def _trace_packet(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            self._rx_since_request = data  # pymodbus hands over its receive buffer
        return data

    def _count_failure(self, exc: BaseException) -> None:
        health = self.health
        if isinstance(exc, (_ExceptionReply, ValueError)):
            health.corrupt += 1
            health.detail = str(exc)[:120]
            return
        if isinstance(exc, OSError):
            health.detail = f"port error: {exc}"[:120]
            return
        rx = self._rx_since_request
        if rx:
            # Bytes came back but no valid reply: a frame that failed its CRC, or noise.
            if len(rx) >= 5 and struct.unpack("<H", rx[-2:])[0] != _crc16(rx[:-2]):
                health.checksum_errors += 1
                health.detail = "reply failed its CRC check"
            else:
                health.corrupt += 1
                health.detail = "undecodable reply"
        else:
            health.timeouts += 1
            health.detail = f"no reply within {float(self.options['timeout']):g} s"

    def _deliver(self, values: Values) -> None:
        self.last_values = values
        health = self.health
        health.connected = True
        health.frames += len(self.register_map.blocks)
        health.last_seen = self.clock.monotonic()
        health.detail = ""
        connector = self.connector
        if connector is not None:
            if self._lost:
                log.info("%s: meter on %s answers again", self.name, self.port)
            self._lost = False
            connector.meter.set_external(
                MeterReading(
                    voltage_v=list(values.voltage_v),
                    current_a=list(values.current_a),
                    power_w=values.total_power_w,
                    energy_wh=values.energy_wh,
                    at=self.clock.monotonic(),
                )
            )
        self.publish_health()

    def _lose(self, reason: str) -> None:
        self.health.connected = False
        if not self._lost and self.connector is not None:
            self._lost = True
            log.warning("%s: meter on %s lost: %s", self.name, self.port, reason)
            self.connector.meter.external_failed(reason or "meter not answering")
        self.publish_health()


class _ExceptionReply(Exception):
    """The meter answered with a Modbus exception (illegal function, address...)."""


@register
class Sdm630Meter(ModbusMeter):
    name: ClassVar[str] = "sdm630"
    title: ClassVar[str] = SDM630.title
    register_map: ClassVar[RegisterMap] = SDM630
    settings: ClassVar[tuple[Setting, ...]] = _meter_settings(SDM630)


@register
class Sdm120Meter(ModbusMeter):
    name: ClassVar[str] = "sdm120"
    title: ClassVar[str] = SDM120.title
    register_map: ClassVar[RegisterMap] = SDM120
    settings: ClassVar[tuple[Setting, ...]] = _meter_settings(SDM120)


@register
class AbbB23Meter(ModbusMeter):
    name: ClassVar[str] = "abb-b23"
    title: ClassVar[str] = ABB_B23.title
    register_map: ClassVar[RegisterMap] = ABB_B23
    settings: ClassVar[tuple[Setting, ...]] = _meter_settings(ABB_B23)
