"""Custom boards speaking the bench line protocol (role "station"; docs/line-protocol.md).

Framing and field checks are ``line_frames.py``; this module is the meaning.

Board -> model
    ``hello`` (the board's identity; also sent after its own reboot, which
    makes the driver re-send every command), ``state`` (the IEC 61851 pilot
    state per connector: A unplugged, B plugged and not asking, C/D asking
    for energy, E/F pilot errors), ``meter`` (the connector's meter of record,
    unless ``meter=no``), ``rfid`` (``station.present_id``), ``fault`` (a
    catalogue fault name or a 1.6 ChargePointErrorCode, raised or cleared),
    ``alive``/``pong``/``ack`` (keep-alive), ``error`` (the board refused
    something: kept in the health detail).

Model -> board (recomputed on every ``station.events`` change)
    ``enable``/``disable`` (the model offers at least 6 A: a transaction with
    the contactor closed, no blocking fault, powered), ``limit`` (the
    connector's current limit, smart charging included), ``lock``/``unlock``
    and ``reboot`` when the station is powered off (a Reset). Each is sent
    only when it differs from what the board was last told.

Board connector ``n`` is station connector ``connector_id + n - 1``.

Liveness: the bench sends ``ping`` every ``keepalive`` seconds; any good
frame counts as a sign of life. Silence for three intervals, or a lost port,
raises the "controller lost" fault (InternalError, 1.6 §7.6) on every driven
connector; the next good frame clears it. Bytes sent while the port opens are
lost, so the driver greets with ``hello`` after every open and the board
answers with its identity and every connector's state.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, ClassVar

from bench.devices.base import DeviceDriver, Setting
from bench.devices.registry import register
from bench.devices.serial.line_frames import BOARD_MESSAGES, Frame, LineDecoder, encode
from bench.devices.serial.port import SerialPort, keep_port_open
from bench.kernel.supervisor import Supervisor
from bench.model.changes import ConnectorChanged, StationChanged
from bench.model.ev import Ev
from bench.model.faults import FAULTS, Fault
from bench.model.meter import MeterReading
from bench.model.templates import load_ev_template

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.station import Station

log = logging.getLogger(__name__)

MIN_AMPS = 6.0  # IEC 61851-1: below 6 A no pilot duty cycle can be offered
_PREFIX = "line_"


def _fault(key: str, code: str, stops: bool, text: str, pauses: bool = False) -> Fault:
    return Fault(_PREFIX + key, code, f"LINE-{key.upper()}", stops, text, pauses_charging=pauses)


# Pilot error states (IEC 61851-1): both keep current from flowing but are not the
# station's own failure, so they pause (1.6 §7.6 EVCommunicationError) rather than fault.
STATE_FAULTS = {
    "E": _fault("state_e", "EVCommunicationError", False, "Pilot state E (short/no supply)", True),
    "F": _fault("state_f", "EVCommunicationError", False, "Pilot state F (EVSE unavailable)", True),
}
CONTROLLER_LOST = _fault("lost", "InternalError", True, "Custom board not answering (line)")


def _bench_version() -> str:
    try:
        return metadata.version("ocpp-bench")
    except metadata.PackageNotFoundError:
        return "0"


@dataclass(slots=True)
class Told:
    """What the board was last told about one connector (None: nothing yet)."""

    enabled: bool | None = None
    amps: float | None = None
    locked: bool | None = None


@register
class LineBoardDriver(DeviceDriver):
    name: ClassVar[str] = "line"
    role: ClassVar[str] = "station"
    title: ClassVar[str] = "Custom board (bench line protocol)"
    settings: ClassVar[tuple[Setting, ...]] = (
        Setting(
            "baudrate", "Baud rate", "int", 115200, "The board's UART speed, 8N1", (), 300, 4e6
        ),
        Setting(
            "usb-serial",
            "USB serial number",
            "str",
            "",
            "Find the board by its USB serial number on every (re)open",
        ),
        Setting(
            "keepalive",
            "Keep-alive (s)",
            "float",
            5.0,
            "Ping interval; three silent intervals mean the board is lost",
            (),
            0.05,
            600,
        ),
        Setting(
            "retry", "Reopen interval (s)", "float", 1.0, "While the port is absent", (), 0.05, 60
        ),
        Setting("meter", "Board is the meter", "bool", True, "Use the board's meter messages"),
        Setting("ev", "EV template", "str", "family-ev", "Vehicle model for a plugged-in EV"),
    )

    def __init__(self, port: str, options: Any, *, clock: Any) -> None:
        super().__init__(port, options, clock=clock)
        o = self.options
        self.serial = SerialPort(
            port, baudrate=int(o["baudrate"]), usb_serial=o["usb-serial"] or None
        )
        self.decoder = LineDecoder(BOARD_MESSAGES)
        self.station: Station | None = None
        self.base_id = 1
        self.identity: dict[str, Any] = {}  # the board's last hello
        self.sent: list[dict[str, Any]] = []  # every message written (bounded): logs and tests
        self.errors: list[dict[str, Any]] = []  # error messages the board sent (bounded)
        self._connectors: dict[int, Connector] = {}  # board connector number -> connector
        self._told: dict[int, Told] = {}
        self._evs: dict[int, Ev] = {}
        self._tasks: Supervisor | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._dirty = asyncio.Event()
        self._seq = 0
        self._last_good: float | None = None  # loop time of the last good frame
        self._reboot_pending = False
        self._board_faults: list[tuple[Connector | Station, Fault]] = []  # undone on detach

    # ------------------------------------------------------------ attach / detach
    async def attach(self, station: Station, connector_id: int = 1) -> None:
        if self.station is not None:
            raise RuntimeError(f"{self!r} is already attached")
        connector = station.connector(connector_id)
        if connector.hardware is not None:
            raise RuntimeError(
                f"connector {connector_id} is already driven by {connector.hardware!r}"
            )
        load_ev_template(self.options["ev"])  # fail now on a bad name, not at plug-in
        self.station, self.base_id = station, connector_id
        self._drive(1)
        station.devices = (*station.devices, self)
        self._unsubscribe = station.events.subscribe(self._on_model_event)
        self._tasks = Supervisor(f"line:{self.port}")
        self._tasks.spawn(self._run(), name=f"line:{self.port}")

    async def detach(self) -> None:
        if self._tasks is not None:
            await self._tasks.aclose()
            self._tasks = None
        self.serial.close()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        station = self.station
        if station is None:
            return
        for connector in self._connectors.values():
            if _is_ours(connector.fault):
                connector.clear_fault()
            if self.options["meter"] and connector.meter.external is not None:
                connector.meter.set_external(None)
            if connector.hardware is self:
                connector.hardware = None
        for target, fault in self._board_faults:
            if target.fault is fault:
                target.clear_fault()
        self._board_faults.clear()
        station.devices = tuple(d for d in station.devices if d is not self)
        self.station = None
        self._connectors.clear()
        self.health.connected = False
        self.publish_health()

    def _drive(self, number: int) -> Connector | None:
        """The station connector for board connector ``number`` (taken over on first use)."""
        connector = self._connectors.get(number)
        if connector is not None or self.station is None or number < 1:
            return connector
        try:
            connector = self.station.connector(self.base_id + number - 1)
        except ValueError:
            return None
        if connector.hardware is not None and connector.hardware is not self:
            return None
        connector.hardware = self
        self._connectors[number] = connector
        self._told[number] = Told()
        return connector

    # ------------------------------------------------------------ supervision loop
    async def _run(self) -> None:
        await keep_port_open(
            self.serial,
            retry=float(self.options["retry"]),
            on_open=self._on_open,
            loops=(self._read_loop, self._control_loop),
            link_down=self._link_down,
            owner=self,
        )

    async def _on_open(self) -> None:
        self.decoder = LineDecoder(BOARD_MESSAGES, self.decoder.counters)
        self._forget_told()
        self._last_good = asyncio.get_running_loop().time()
        await self._send("hello", bench="ocpp-bench", version=_bench_version())

    async def _read_loop(self) -> None:
        while True:
            data = await self.serial.read(3600.0)
            if not data:
                continue
            for frame in self.decoder.feed(data):
                await self._on_frame(frame)
            self._copy_counters()

    async def _control_loop(self) -> None:
        keepalive = float(self.options["keepalive"])
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + keepalive
        self._dirty.set()  # tell the board everything once after (re)opening
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for loses a cancellation
            # that arrives as the event is set, and this loop then outlives detach().
            try:
                async with asyncio.timeout(max(0.0, next_ping - loop.time())):
                    await self._dirty.wait()
            except TimeoutError:
                pass
            if self._dirty.is_set():
                self._dirty.clear()
                await self._apply_commands()
            now = loop.time()
            if now >= next_ping:
                next_ping = now + keepalive
                last = self._last_good
                if last is not None and now - last > 3 * keepalive:
                    if self.health.connected or not self.health.detail.startswith("silent"):
                        self.health.timeouts += 1
                    self._link_down(f"silent for {now - last:.1f} s")
                await self._send("ping", id=self._next_id())

    def _copy_counters(self) -> None:
        h, c = self.health, self.decoder.counters
        h.frames, h.corrupt = c.frames, c.corrupt

    # ------------------------------------------------------------ board -> model
    async def _on_frame(self, frame: Frame) -> None:
        msg = frame.message
        if msg is None:
            self.health.detail = f"{frame.error}: {frame.detail}"[:120]
            if frame.answerable:
                fields = {"error": frame.error, "detail": frame.detail[:120]}
                if frame.ref is not None:
                    fields["ref"] = frame.ref
                await self._send("error", **fields)
            return
        self._last_good = asyncio.get_running_loop().time()
        self.health.last_seen = self.clock.monotonic()
        self._link_up()
        problem = self._apply(msg)
        if problem:
            self.health.detail = problem[:120]
            await self._send("error", error="bad-field", detail=problem[:120], ref=msg["type"])

    def _apply(self, msg: dict[str, Any]) -> str:
        """Apply one valid board message to the model; a problem text when it cannot be."""
        kind = msg["type"]
        if kind == "hello":
            self.identity = dict(msg)
            for n in range(1, int(msg.get("connectors", 1)) + 1):
                self._drive(n)
            self._forget_told()  # a hello means the board (re)started: tell it everything
            self._dirty.set()
            return ""
        if kind == "error":
            self.errors.append(msg)
            del self.errors[:-50]
            self.health.detail = f"board error: {msg['error']} {msg.get('detail', '')}".strip()
            return ""
        if kind in ("alive", "pong", "ack"):
            return ""
        if kind == "rfid":
            return self._on_rfid(msg)
        number = msg["connector"]
        if kind == "fault" and number == 0:
            return self._on_fault(None, msg)
        connector = self._drive(number)
        if connector is None:
            return f"no connector {number} on this station"
        if kind == "state":
            self._on_state(number, connector, msg["state"])
        elif kind == "meter":
            return self._on_meter(connector, msg)
        elif kind == "fault":
            return self._on_fault(connector, msg)
        return ""

    def _on_state(self, number: int, connector: Connector, state: str) -> None:
        if state in ("B", "C", "D") and not connector.plugged:
            ev = Ev(load_ev_template(self.options["ev"]))
            self._evs[number] = ev
            connector.plug_in(ev)
        elif state == "A" and connector.plugged:
            connector.unplug()
            self._evs.pop(number, None)
        fault = STATE_FAULTS.get(state)
        current = connector.fault
        # A pilot error never hides a fault of another kind, nor "controller lost".
        replaceable = current is None or (
            current is not fault and current is not CONTROLLER_LOST and _is_ours(current)
        )
        if fault is not None:
            if replaceable:
                connector.raise_fault(fault)
        elif current in STATE_FAULTS.values():
            connector.clear_fault()
        plugged = connector.ev
        if plugged is None or plugged is not self._evs.get(number):
            return
        if state in ("C", "D"):
            plugged.resume()  # D: asks for energy with ventilation; treated as C
        elif state == "B":
            plugged.suspend()  # plugged, not asking: 1.6 §4.9 SuspendedEV once offered

    def _on_meter(self, connector: Connector, msg: dict[str, Any]) -> str:
        if not self.options["meter"]:
            return ""
        numbers = [*msg["voltage"], *msg["current"], msg["power"]]
        energy, temperature = msg.get("energy"), msg.get("temperature")
        numbers += [x for x in (energy, temperature) if x is not None]
        if not all(math.isfinite(x) for x in numbers):
            return "meter: every value must be a finite number"
        connector.meter.set_external(
            MeterReading(
                [float(v) for v in msg["voltage"]],
                [float(a) for a in msg["current"]],
                float(msg["power"]),
                float(energy) if energy is not None else None,
                self.clock.monotonic(),
                float(temperature) if temperature is not None else None,
            )
        )
        return ""

    def _on_rfid(self, msg: dict[str, Any]) -> str:
        station = self.station
        number = msg.get("connector")
        connector_id = None
        if number is not None:
            connector = self._drive(number)
            if connector is None:
                return f"no connector {number} on this station"
            connector_id = connector.id
        uid = msg["uid"].strip()
        if not uid or len(uid) > 20:
            return "rfid: uid must be 1 to 20 characters (an OCPP 1.6 idToken)"
        if station is not None and not station.present_id(uid, connector_id):
            self.health.detail = f"card {uid} not presented (reader fault or power off)"
        return ""

    def _on_fault(self, connector: Connector | None, msg: dict[str, Any]) -> str:
        fault = _lookup_fault(msg["code"])
        if fault is None:
            return f"fault: unknown code {msg['code']!r} (a fault name or a 1.6 error code)"
        target = connector if connector is not None else self.station
        if target is None:
            return ""
        if msg["active"]:
            if target.fault is not fault:
                target.raise_fault(fault)
                if (target, fault) not in self._board_faults:
                    self._board_faults.append((target, fault))
        elif target.fault is not None and target.fault.name == fault.name:
            target.clear_fault()
            if (target, fault) in self._board_faults:
                self._board_faults.remove((target, fault))
        return ""

    # ------------------------------------------------------------ link state
    def _link_down(self, reason: str) -> None:
        first = self.health.connected or not self.health.detail
        self.health.connected = False
        self.health.detail = reason[:120]
        self._forget_told()
        for connector in self._connectors.values():
            if connector.fault is not CONTROLLER_LOST:
                connector.raise_fault(CONTROLLER_LOST)  # its state is unknown now
        if first:
            log.warning("line %s: %s", self.port, reason)
            self.publish_health()

    def _link_up(self) -> None:
        if self.health.connected:
            return
        for connector in self._connectors.values():
            if connector.fault is CONTROLLER_LOST:
                connector.clear_fault()
        self.health.connected = True
        self.health.detail = ""
        self.publish_health()

    def _forget_told(self) -> None:
        for number in self._told:
            self._told[number] = Told()

    # ------------------------------------------------------------ model -> board
    def _on_model_event(self, event: object) -> None:
        if isinstance(event, StationChanged):
            if event.reason == "power_off":
                self._reboot_pending = True
            self._dirty.set()
        elif (
            isinstance(event, ConnectorChanged)
            and event.reason != "meter"
            and any(c.id == event.connector_id for c in self._connectors.values())
        ):
            self._dirty.set()

    def desired(self, connector: Connector) -> Told:
        """What the model asks of the board for ``connector``."""
        offered = connector.offered_current_a
        return Told(
            enabled=offered >= MIN_AMPS,
            amps=round(max(0.0, connector.current_limit_a), 1),
            locked=connector.locked,
        )

    async def _apply_commands(self) -> None:
        if self._reboot_pending:
            self._reboot_pending = False
            await self._send("reboot", id=self._next_id())
            self._forget_told()
            return  # the board says hello when it is back; everything is re-sent then
        for number, connector in list(self._connectors.items()):
            want, told = self.desired(connector), self._told[number]
            if want.amps != told.amps:
                await self._send("limit", id=self._next_id(), connector=number, amps=want.amps)
                told.amps = want.amps
            if want.enabled != told.enabled:
                verb = "enable" if want.enabled else "disable"
                await self._send(verb, id=self._next_id(), connector=number)
                told.enabled = want.enabled
            if want.locked != told.locked:
                verb = "lock" if want.locked else "unlock"
                await self._send(verb, id=self._next_id(), connector=number)
                told.locked = want.locked

    def _next_id(self) -> int:
        self._seq = self._seq % 0xFFFF + 1
        return self._seq

    async def _send(self, msg_type: str, **fields: Any) -> None:
        self.sent.append({"type": msg_type, **fields})
        del self.sent[:-200]
        await self.serial.write(encode(msg_type, **fields))


def _is_ours(fault: Fault | None) -> bool:
    return fault is not None and fault.name.startswith(_PREFIX)


def _lookup_fault(code: str) -> Fault | None:
    """A catalogue fault by name, else the first catalogue fault with that 1.6 error code."""
    fault = FAULTS.get(code)
    if fault is not None:
        return fault
    for candidate in FAULTS.values():
        if candidate.error_code == code:
            return candidate
    return None
