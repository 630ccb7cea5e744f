"""OpenEVSE controller over RAPI: the controller *is* the station's connector (role "station").

Meaning layer (ARCHITECTURE rule 5): ``port.py`` moves bytes, ``openevse_frames``
cuts frames, this module maps them onto the model.

Controller -> model
    ``$AT`` notifications and the ``$GS`` poll give the EVSE state, the pilot
    state and flags. The pilot (J1772 A-D) plugs and unplugs a "physical EV"
    (an ``Ev`` from the ``ev`` template; its simulated demand is unused because
    the meter is external), a pilot C request resumes it, an offered-but-unused
    state B suspends it (1.6 §4.9 SuspendedEV). EVSE fault states become
    connector faults with their 1.6 ChargePointErrorCode (1.6 §7.6). ``$GG``
    (mA, mV), ``$GU`` (Ws, Wh) and ``$GP`` (0.1 °C) feed the connector's meter of
    record (``meter.set_external``) unless ``meter=no``.

Model -> controller (read from the model on every ``station.events`` change)
    A running transaction with an offer of at least the controller's minimum
    (6 A) enables charging (``$S4 0`` auth unlock, ``$FE``); without a
    transaction the controller stays enabled but auth-locked (``$S4 1``: the EV
    can plug in, not charge); an offer below the minimum (a 0 A smart-charging
    limit: 1.6 §3.13 SuspendedEVSE), an inoperative connector or a powered-off
    station sleep it (``$FS``, which keeps the pilot at +12 V so plugging in is
    still seen; ``$FD`` would not). The limit goes out as ``$SC amps V``: the V
    flag makes it volatile, so smart charging does not wear the EEPROM.

Safety heartbeat: ``$SY interval current`` (only written when ``$GY`` shows a
different setting) and a ``$SY`` pulse every third of the interval; if the bench
dies the controller falls back to ``heartbeat-current`` amps by itself. A missed
pulse (``$NK``) is acknowledged with the magic ``$SY 165``.

Hot-plug: a lost port (or three unanswered requests in a row) raises the
"controller lost" fault (InternalError, 1.6 §7.6) on the connector; the driver
keeps reopening the port (found again by USB serial number when given) and on
success clears the fault and re-syncs state, limit and heartbeat. Bytes sent
while a port opens are lost, so the state is always polled after opening.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.devices.base import DeviceDriver, Setting
from bench.devices.registry import register
from bench.devices.serial.openevse_frames import Frame, FrameReader, encode
from bench.devices.serial.port import SerialPort, keep_port_open
from bench.kernel.supervisor import Supervisor
from bench.model.changes import ConnectorChanged, StationChanged
from bench.model.ev import Ev
from bench.model.faults import Fault
from bench.model.meter import MeterReading
from bench.model.templates import load_ev_template

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.station import Station

log = logging.getLogger(__name__)

# EVSE_STATE_xxx of the firmware (open_evse.h).
STATE_A, STATE_B, STATE_C, STATE_D = 0x01, 0x02, 0x03, 0x04
STATE_SLEEPING, STATE_DISABLED = 0xFE, 0xFF
# m_wVFlags bits.
VF_AUTH_LOCKED = 0x0008
VF_CHARGING_ON = 0x0040
VF_EV_CONNECTED = 0x0100
VF_SESSION_ENDED = 0x0200
HEARTBEAT_ACK = 165  # $SY 165 acknowledges a missed pulse (0xA5, the firmware's cookie)
MIN_AMPS = 6  # IEC 61851-1 / J1772 minimum pilot current
NO_SENSOR = -2560  # $GP value for a sensor that is not fitted
LOST_AFTER_TIMEOUTS = 3

_PREFIX = "openevse_"


def _fault(key: str, code: str, stops: bool, text: str, pauses: bool = False) -> Fault:
    return Fault(_PREFIX + key, code, f"OEVSE-{key.upper()}", stops, text, pauses_charging=pauses)


# EVSE fault states -> 1.6 ChargePointErrorCode (1.6 §7.6); names start with "openevse_"
# so the driver knows which faults are its own to clear.
STATE_FAULTS: dict[int, Fault] = {
    STATE_D: _fault("vent", "OtherError", True, "EV asks for ventilation (J1772 state D)"),
    0x05: _fault("diode", "EVCommunicationError", False, "Pilot diode check failed", pauses=True),
    0x06: _fault("gfci", "GroundFailure", True, "GFCI tripped (ground fault)"),
    0x07: _fault("no_ground", "GroundFailure", True, "No ground detected"),
    0x08: _fault("stuck_relay", "PowerSwitchFailure", True, "Relay stuck closed"),
    0x09: _fault("gfi_test", "GroundFailure", True, "GFI self-test failed"),
    0x0A: _fault("over_temp", "HighTemperature", True, "Over-temperature shutdown"),
    0x0B: _fault("over_current", "OverCurrentFailure", True, "Over-current shutdown"),
    0x0E: _fault("relay_closure", "PowerSwitchFailure", True, "Relay does not close"),
}
CONTROLLER_LOST = _fault("lost", "InternalError", True, "Charge controller not answering (RAPI)")


@register
class OpenEvseDriver(DeviceDriver):
    name = "openevse"
    role = "station"
    title = "OpenEVSE (RAPI)"
    settings = (
        Setting("baudrate", "Baud rate", "int", 115200, "RAPI runs at 115200 8N1", (), 300, 4e6),
        Setting(
            "usb-serial",
            "USB serial number",
            "str",
            "",
            "Find the adapter by its USB serial number on every (re)open (stable across re-plug)",
        ),
        Setting("poll", "Poll interval (s)", "float", 1.0, "State and meter poll", (), 0.05, 60),
        Setting("timeout", "Reply timeout (s)", "float", 1.0, "", (), 0.05, 10),
        Setting(
            "retry", "Reopen interval (s)", "float", 1.0, "While the port is absent", (), 0.05, 60
        ),
        Setting(
            "heartbeat",
            "Safety heartbeat (s)",
            "int",
            30,
            "$SY supervision interval; 0 leaves the controller's setting alone",
            (),
            0,
            3600,
        ),
        Setting(
            "heartbeat-current",
            "Heartbeat fallback (A)",
            "int",
            0,
            "Current the controller falls back to when the bench stops pulsing",
            (),
            0,
            80,
        ),
        Setting("meter", "Controller is the meter", "bool", True, "Use $GG/$GU/$GP as meter"),
        Setting("ev", "EV template", "str", "family-ev", "Vehicle model for a plugged-in EV"),
        Setting("sequence-ids", "Sequence ids", "bool", True, "Tag requests (firmware 3.0+)"),
    )

    def __init__(self, port: str, options: dict[str, Any], *, clock: Any) -> None:
        super().__init__(port, options, clock=clock)
        o = self.options
        self.serial = SerialPort(port, baudrate=int(o["baudrate"]), usb_serial=o["usb-serial"])
        self.reader = FrameReader()
        self.station: Station | None = None
        self.connector: Connector | None = None
        self.firmware: str | None = None
        self.state: tuple[int, int, int] | None = None  # (evse state, pilot state, vflags)
        self.max_amps = 80
        self.sent: list[bytes] = []  # every frame written (bounded), for logs and tests
        self._tasks: Supervisor | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._dirty = asyncio.Event()
        self._lock = asyncio.Lock()
        self._pending: tuple[int | None, asyncio.Future[Frame]] | None = None
        self._seq = 0
        self._misses = 0
        self._applied_mode: str | None = None
        self._applied_amps: int | None = None
        self._ev: Ev | None = None
        self._zeroed_meter = False

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
        self.station, self.connector = station, connector
        connector.hardware = self
        station.devices = (*station.devices, self)
        if connector.meter.external is None:
            # Real hardware never runs on simulated physics: nothing flows until measured.
            volts = float(station.template.nominal_voltage_v)
            connector.meter.set_external(
                MeterReading([volts], [0.0], 0.0, None, self.clock.monotonic())
            )
            self._zeroed_meter = True
        self._unsubscribe = station.events.subscribe(self._on_model_event)
        self._tasks = Supervisor(f"openevse:{self.port}")
        self._tasks.spawn(self._run(), name=f"openevse:{self.port}")

    async def detach(self) -> None:
        if self._tasks is not None:
            await self._tasks.aclose()
            self._tasks = None
        self.serial.close()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        station, connector = self.station, self.connector
        if station is None or connector is None:
            return
        if _is_ours(connector.fault):
            connector.clear_fault()
        if (self.options["meter"] or self._zeroed_meter) and connector.meter.external is not None:
            connector.meter.set_external(None)
        connector.hardware = None
        station.devices = tuple(d for d in station.devices if d is not self)
        self.station = self.connector = None
        self.health.connected = False
        self.publish_health()

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
        self.reader.reset()
        self._misses = 0

    def _link_down(self, reason: str) -> None:
        first = self.health.connected or not self.health.detail
        self.health.connected = False
        self.health.detail = reason
        self._applied_mode = self._applied_amps = None
        connector = self.connector
        if connector is not None and connector.fault is not CONTROLLER_LOST:
            connector.raise_fault(CONTROLLER_LOST)  # replaces any controller fault: state unknown
        if first:
            log.warning("openevse %s: %s", self.port, reason)
            self.publish_health()

    def _link_up(self) -> None:
        connector = self.connector
        if connector is not None and connector.fault is CONTROLLER_LOST:
            connector.clear_fault()
        if not self.health.connected:
            self.health.connected = True
            self.health.detail = ""
            self.publish_health()

    async def _read_loop(self) -> None:
        while True:
            data = await self.serial.read(3600.0)
            if not data:
                continue
            for frame in self.reader.feed(data):
                self._on_frame(frame)
            self._copy_counters()

    def _copy_counters(self) -> None:
        h, r = self.health, self.reader
        h.frames, h.corrupt, h.checksum_errors = r.frames, r.corrupt, r.checksum_errors
        if r.last_error:
            h.detail = r.last_error
            r.last_error = ""

    async def _control_loop(self) -> None:
        o = self.options
        await self._sync()
        poll = float(o["poll"])
        beat = max(1.0, int(o["heartbeat"]) / 3.0) if int(o["heartbeat"]) > 0 else None
        loop = asyncio.get_running_loop()
        next_poll = loop.time() + poll
        next_beat = loop.time() + beat if beat else None
        while True:
            wake = min(next_poll, next_beat) if next_beat is not None else next_poll
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel.
                async with asyncio.timeout(max(0.0, wake - loop.time())):
                    await self._dirty.wait()
            except TimeoutError:
                pass
            if self._dirty.is_set():
                self._dirty.clear()
                await self._apply_commands()
            now = loop.time()
            if beat is not None and next_beat is not None and now >= next_beat:
                await self._pulse()
                next_beat = now + beat
            if now >= next_poll:
                await self._poll()
                next_poll = now + poll
                self.publish_health()

    # ------------------------------------------------------------ requests
    async def request(self, code: str, *params: object) -> Frame | None:
        """Send one command and wait for its reply; None on timeout (counted)."""
        async with self._lock:
            seq = None
            if self.options["sequence-ids"]:
                self._seq = self._seq % 0xFF + 1  # 01..FF, never 00
                seq = self._seq
            future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            self._pending = (seq, future)
            data = encode(code, params, seq=seq)
            self.sent.append(data)
            del self.sent[:-200]
            try:
                await self.serial.write(data)
                async with asyncio.timeout(float(self.options["timeout"])):
                    return await future
            except TimeoutError:
                self._timed_out(code)
                return None
            finally:
                self._pending = None

    def _timed_out(self, code: str) -> None:
        self.health.timeouts += 1
        self._misses += 1
        self.health.detail = f"no reply to ${code}"
        if self._misses >= LOST_AFTER_TIMEOUTS:
            self._link_down(f"controller not answering ({self._misses} requests)")

    def _on_frame(self, frame: Frame) -> None:
        self.health.last_seen = self.clock.monotonic()
        if frame.is_reply:
            pending = self._pending
            if pending is None or pending[1].done():
                return  # a late reply to a request that already timed out
            seq, future = pending
            if seq is not None and frame.seq is not None and frame.seq != seq:
                return  # a stale reply (its request timed out): not ours
            future.set_result(frame)
            self._misses = 0
            self._link_up()
            return
        if frame.code == "AT" and len(frame.params) >= 4:
            self._link_up()
            try:
                evse, pilot = int(frame.params[0], 16), int(frame.params[1], 16)
                vflags = int(frame.params[3], 16)
            except ValueError:
                self.reader.corrupt += 1
                return
            self._apply_state(evse, pilot, vflags)
        elif frame.code == "AB":
            # The controller rebooted: volatile settings ($SC V, auth lock) are gone.
            self.firmware = frame.params[1] if len(frame.params) > 1 else self.firmware
            self._applied_mode = self._applied_amps = None
            self._dirty.set()
        # $AN (button) and $WF (wifi) mean nothing to the bench.

    # ------------------------------------------------------------ controller -> model
    async def _sync(self) -> None:
        """Everything after (re)opening: bytes sent while the port opened are lost."""
        version = await self.request("GV")
        if version is not None and version.params:
            self.firmware = version.params[0]
        caps = await self.request("GC")
        if caps is not None and caps.code == "OK" and len(caps.params) >= 2:
            self.max_amps = _int(caps.params[1], self.max_amps)
        await self._setup_heartbeat()
        self._applied_mode = self._applied_amps = None
        await self._poll()
        await self._apply_commands()
        self.publish_health()

    async def _poll(self) -> None:
        reply = await self.request("GS")
        if reply is not None and reply.code == "OK" and len(reply.params) >= 4:
            try:
                evse, pilot = int(reply.params[0], 16), int(reply.params[2], 16)
                vflags = int(reply.params[3], 16)
            except ValueError:
                self.reader.corrupt += 1
            else:
                self._apply_state(evse, pilot, vflags)
        if self.options["meter"]:
            await self._read_meter()

    def _apply_state(self, evse: int, pilot: int, vflags: int) -> None:
        self.state = (evse, pilot, vflags)
        connector = self.connector
        if connector is None:
            return
        if pilot in (STATE_A, STATE_B, STATE_C, STATE_D):
            plugged = pilot != STATE_A
        else:
            plugged = bool(vflags & VF_EV_CONNECTED)
        if plugged and not connector.plugged:
            self._ev = Ev(load_ev_template(self.options["ev"]))
            connector.plug_in(self._ev)
        elif not plugged and connector.plugged:
            connector.unplug()
            self._ev = None
        fault = STATE_FAULTS.get(evse)
        if fault is not None:
            if connector.fault is not fault:
                connector.raise_fault(fault)
        elif _is_ours(connector.fault) and connector.fault is not CONTROLLER_LOST:
            connector.clear_fault()
        ev = connector.ev
        if ev is None or ev is not self._ev:
            return
        if pilot == STATE_C or evse == STATE_C:
            ev.resume()
        elif evse == STATE_B and not vflags & VF_AUTH_LOCKED:
            ev.suspend()  # offered, but the EV does not ask: 1.6 §4.9 SuspendedEV

    async def _read_meter(self) -> None:
        gg = await self.request("GG")
        gu = await self.request("GU")
        gp = await self.request("GP")
        if gg is None or gg.code != "OK" or len(gg.params) < 2:
            return
        connector = self.connector
        if connector is None:
            return
        ma, mv = _int(gg.params[0], 0), _int(gg.params[1], 0)
        amps = max(0.0, ma / 1000.0)  # -1: no ammeter fitted
        volts = mv / 1000.0 if mv > 0 else float(connector.station.template.nominal_voltage_v)
        energy = None
        if gu is not None and gu.code == "OK" and len(gu.params) >= 2:
            session_wh = _int(gu.params[0], 0) / 3600.0
            total_wh = float(_int(gu.params[1], 0))
            state = self.state
            # The session's Ws join the accumulated Wh only when the session ends.
            ended = state is not None and bool(state[2] & VF_SESSION_ENDED)
            energy = total_wh if ended else total_wh + session_wh
        temperature = None
        if gp is not None and gp.code == "OK":
            sensors = [_int(p, NO_SENSOR) for p in gp.params]
            fitted = [t for t in sensors if t != NO_SENSOR]
            if fitted:
                temperature = max(fitted) / 10.0
        connector.meter.set_external(
            MeterReading(
                [volts],
                [amps],
                volts * amps,
                energy,
                self.clock.monotonic(),
                temperature,
            )
        )

    # ------------------------------------------------------------ model -> controller
    def _on_model_event(self, event: object) -> None:
        if isinstance(event, StationChanged) or (
            isinstance(event, ConnectorChanged)
            and self.connector is not None
            and event.connector_id == self.connector.id
        ):
            self._dirty.set()

    def desired(self) -> tuple[str, int]:
        """(mode, amps) the model asks of the controller: mode is charge, locked or sleep."""
        connector = self.connector
        assert connector is not None
        limit = connector.current_limit_a
        amps = int(max(MIN_AMPS, min(self.max_amps, limit)))
        if not connector.station.powered:
            return "sleep", amps
        if connector.transaction is not None:
            return ("charge" if limit >= MIN_AMPS else "sleep"), amps
        if not connector.operative:
            return "sleep", amps
        return "locked", amps

    async def _apply_commands(self) -> None:
        if self.connector is None:
            return
        mode, amps = self.desired()
        if amps != self._applied_amps:
            reply = await self.request("SC", amps, "V")  # V: volatile, no EEPROM write
            if reply is not None:
                self._applied_amps = _int(reply.params[0], amps) if reply.params else amps
                if reply.code == "NK":
                    self.health.detail = f"$SC {amps} clamped to {self._applied_amps}"
        if mode != self._applied_mode:
            ok = True
            if mode == "sleep":
                ok = await self._ok("FS")
            else:
                ok = await self._ok("S4", 0 if mode == "charge" else 1) and await self._ok("FE")
            if ok:
                self._applied_mode = mode

    async def _ok(self, code: str, *params: object) -> bool:
        reply = await self.request(code, *params)
        if reply is not None and reply.code == "NK":
            self.health.detail = f"${code} refused"
        return reply is not None and reply.code == "OK"

    async def _setup_heartbeat(self) -> None:
        interval, current = int(self.options["heartbeat"]), int(self.options["heartbeat-current"])
        if interval <= 0:
            return
        status = await self.request("GY")
        ok = status is not None and status.code == "OK" and len(status.params) >= 2
        if (
            status is not None
            and ok
            and (_int(status.params[0], -1), _int(status.params[1], -1)) == (interval, current)
        ):
            return  # already set: do not rewrite the controller's EEPROM
        await self.request("SY", interval, current)

    async def _pulse(self) -> None:
        reply = await self.request("SY")
        if reply is not None and reply.code == "NK":
            # A pulse was missed earlier and the controller is holding its fallback current.
            self.health.detail = "heartbeat pulse was missed; acknowledged"
            await self.request("SY", HEARTBEAT_ACK)


def _is_ours(fault: Fault | None) -> bool:
    return fault is not None and fault.name.startswith(_PREFIX)


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default
