"""An OpenEVSE controller on the far end of a pseudo-terminal, answering RAPI like the firmware.

Faithful where a driver could tell the difference: every reply carries the
XOR checksum and echoes the sequence id; a bad checksum gets ``$NK``; state
changes are announced with ``$AT evse pilot amps vflags``; a reboot sends
``$AB 00 version``; the current follows ``$SC`` (``V``: volatile) and the EV's
own maximum; energy integrates (``$GU``: session Ws, accumulated Wh, folded
together when the EV leaves); the ``$SY`` heartbeat supervision limits the
current after a missed pulse until ``$SY 165`` acknowledges it.

Control API (tests, the prompt): ``plug(amps)``, ``unplug()``, ``ev_request(on)``,
``fault(name)``, ``clear()``, ``reboot()``, and on the link ``unplug_usb()`` /
``replug_usb()``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.devices.emulators.pty import PtyClosed, PtyLink, run_prompt
from bench.devices.serial.openevse_frames import Frame, FrameReader, encode
from bench.kernel.supervisor import Supervisor
from bench.model.clock import Clock, SystemClock

STATE_A, STATE_B, STATE_C = 0x01, 0x02, 0x03
STATE_SLEEPING, STATE_DISABLED = 0xFE, 0xFF
VF_AUTH_LOCKED, VF_CHARGING_ON, VF_EV_CONNECTED, VF_SESSION_ENDED = 0x08, 0x40, 0x100, 0x200

FAULTS: dict[str, int] = {
    "vent": 0x04,
    "diode": 0x05,
    "gfci": 0x06,
    "no-ground": 0x07,
    "stuck-relay": 0x08,
    "gfi-test": 0x09,
    "over-temp": 0x0A,
    "over-current": 0x0B,
}
FIRMWARE = "8.2.2"
RAPI_VERSION = "5.2.1"
HEARTBEAT_ACK = 165


class OpenEvseEmulator:
    """The controller's behaviour; talks to the driver through a ``PtyLink``."""

    def __init__(
        self,
        link: PtyLink,
        *,
        clock: Clock | None = None,
        max_amps: int = 32,
        voltage_v: float = 230.0,
        temperature_c: float = 24.5,
        auth_lock: bool = True,
    ) -> None:
        self.link = link
        self.clock = clock or SystemClock()
        self.max_amps = max_amps
        self.min_amps = 6
        self.voltage_v = voltage_v
        self.temperature_c = temperature_c
        self.received: list[Frame] = []  # every good command, for tests and the prompt
        self.bad_checksums = 0
        self._reader = FrameReader()
        self._boot_auth_lock = auth_lock
        # Persistent (EEPROM) and volatile state.
        self.eeprom_amps = 16
        self.eeprom_writes = 0
        self.wh_accumulated = 0
        self.hb_interval = 0
        self.hb_current = 0
        self._boot()
        self.ev_connected = False
        self.ev_wants = True
        self.ev_max_amps = 32.0
        self.fault_state: int | None = None
        self._last_at: tuple[int, int, int, int] | None = None

    def _boot(self) -> None:
        self.capacity = self.eeprom_amps
        self.auth_locked = self._boot_auth_lock
        self.sleeping = False
        self.disabled = False
        self.session_ws = 0.0
        self.session_ended = True
        self.hb_tripped = 0  # 0 never, 2 missed and limiting, 1 missed then acknowledged
        self._last_pulse = self.clock.monotonic()
        self._last_energy_t = self.clock.monotonic()

    # ------------------------------------------------------------ physics
    @property
    def evse_state(self) -> int:
        if self.fault_state is not None:
            return self.fault_state
        if self.disabled:
            return STATE_DISABLED
        if self.sleeping:
            return STATE_SLEEPING
        if not self.ev_connected:
            return STATE_A
        if self.ev_wants and not self.auth_locked and self.offered_amps >= self.min_amps:
            return STATE_C
        return STATE_B

    @property
    def pilot_state(self) -> int:
        if not self.ev_connected:
            return STATE_A
        return STATE_C if self.evse_state == STATE_C else STATE_B

    @property
    def offered_amps(self) -> float:
        amps = float(self.capacity)
        if self.hb_tripped == 2:
            amps = min(amps, float(self.hb_current))
        return amps

    @property
    def current_a(self) -> float:
        if self.evse_state != STATE_C:
            return 0.0
        return min(self.offered_amps, self.ev_max_amps)

    @property
    def vflags(self) -> int:
        flags = 0
        if self.auth_locked:
            flags |= VF_AUTH_LOCKED
        if self.evse_state == STATE_C:
            flags |= VF_CHARGING_ON
        if self.ev_connected:
            flags |= VF_EV_CONNECTED
        if self.session_ended:
            flags |= VF_SESSION_ENDED
        return flags

    def _integrate(self) -> None:
        now = self.clock.monotonic()
        dt = now - self._last_energy_t
        self._last_energy_t = now
        if dt > 0:
            self.session_ws += self.voltage_v * self.current_a * dt

    def _check_heartbeat(self) -> None:
        overdue = self.clock.monotonic() - self._last_pulse > self.hb_interval
        if self.hb_interval > 0 and self.hb_tripped != 2 and overdue:
            self._change(lambda: setattr(self, "hb_tripped", 2))

    def _change(self, mutate: Any) -> None:
        """Apply ``mutate`` at the old rate's end, then announce the new state ($AT)."""
        self._integrate()
        mutate()
        self._announce()

    def _announce(self, force: bool = False) -> None:
        now = (self.evse_state, self.pilot_state, int(self.offered_amps), self.vflags)
        if force or now != self._last_at:
            self._last_at = now
            params = (f"{now[0]:02x}", f"{now[1]:02x}", now[2], f"{now[3]:04x}")
            self.link.write(encode("AT", params))

    # ------------------------------------------------------------ control API
    def plug(self, ev_max_amps: float | None = None) -> None:
        if ev_max_amps is not None:
            self.ev_max_amps = float(ev_max_amps)

        def go() -> None:
            if not self.ev_connected:
                self.ev_connected = True
                self.session_ws = 0.0  # a new session starts when the EV connects
                self.session_ended = False

        self._change(go)

    def unplug(self) -> None:
        def go() -> None:
            if self.ev_connected:
                self.ev_connected = False
                self.wh_accumulated += int(self.session_ws / 3600.0)
                self.session_ended = True

        self._change(go)

    def ev_request(self, wants: bool) -> None:
        self._change(lambda: setattr(self, "ev_wants", bool(wants)))

    def fault(self, name: str) -> None:
        if name not in FAULTS:
            raise KeyError(f"unknown fault {name!r}; faults: {', '.join(FAULTS)}")
        self._change(lambda: setattr(self, "fault_state", FAULTS[name]))

    def clear(self) -> None:
        self._change(lambda: setattr(self, "fault_state", None))

    def reboot(self) -> None:
        self._integrate()
        self._boot()
        self.link.write(encode("AB", ("00", FIRMWARE)))
        self._announce(force=True)

    def unplug_usb(self) -> None:
        self.link.unplug()

    def replug_usb(self) -> str:
        path = self.link.replug()
        self._reader.reset()
        return path

    def status(self) -> str:
        self._integrate()
        return (
            f"state={self.evse_state:02x} pilot={self.pilot_state:02x} "
            f"capacity={self.capacity}A current={self.current_a:g}A "
            f"session={self.session_ws / 3600.0:.1f}Wh total={self.wh_accumulated}Wh "
            f"auth_locked={int(self.auth_locked)} sleeping={int(self.sleeping)} "
            f"usb={'plugged' if self.link.plugged else 'unplugged'}"
        )

    # ------------------------------------------------------------ RAPI
    async def serve(self) -> None:
        """Answer commands until cancelled; survives USB unplug/replug."""
        while True:
            try:
                async with asyncio.timeout(0.5):
                    data = await self.link.read()
            except TimeoutError:
                self._check_heartbeat()
                continue
            except PtyClosed:
                await asyncio.sleep(0.05)  # unplugged: wait for replug_usb()
                continue
            before = self._reader.checksum_errors
            frames = self._reader.feed(data)
            for _ in range(self._reader.checksum_errors - before):
                self.bad_checksums += 1
                self.link.write(encode("NK"))  # the firmware answers a bad checksum with $NK
            for frame in frames:
                self._check_heartbeat()
                self.received.append(frame)
                del self.received[:-500]
                ok, params = self.handle(frame)
                reply = encode("OK" if ok else "NK", params, seq=frame.seq)
                self.link.write(reply)

    def handle(self, frame: Frame) -> tuple[bool, tuple[object, ...]]:
        """(ok, reply parameters) for one command; state changes announce themselves."""
        code, p = frame.code, frame.params
        self._integrate()
        if code == "GS":
            st = self.evse_state
            return True, (f"{st:02x}", 0, f"{self.pilot_state:02x}", f"{self.vflags:04x}")
        if code == "GG":
            return True, (round(self.current_a * 1000), round(self.voltage_v * 1000))
        if code == "GU":
            return True, (int(self.session_ws), self.wh_accumulated)
        if code == "GP":
            return True, (round(self.temperature_c * 10), -2560, -2560)
        if code == "GV":
            return True, (FIRMWARE, RAPI_VERSION)
        if code == "GC":
            return True, (self.min_amps, self.max_amps, self.capacity, self.max_amps)
        if code == "G4":
            return True, (int(self.auth_locked),)
        if code == "GY":
            return True, (self.hb_interval, self.hb_current, self.hb_tripped)
        if code == "SC" and p:
            return self._set_current(p)
        if code == "S4" and p and p[0] in ("0", "1"):
            self._change(lambda: setattr(self, "auth_locked", p[0] == "1"))
            return True, ()
        if code == "FE":
            self._change(self._enable)
            return True, ()
        if code == "FS":
            self._change(lambda: setattr(self, "sleeping", True))
            return True, ()
        if code == "FD":
            self._change(lambda: setattr(self, "disabled", True))
            return True, ()
        if code == "FR":
            asyncio.get_running_loop().call_soon(self.reboot)  # reply first, then boot
            return True, ()
        if code == "SY":
            return self._heartbeat(p)
        return False, ()

    def _enable(self) -> None:
        self.sleeping = False
        self.disabled = False

    def _set_current(self, p: tuple[str, ...]) -> tuple[bool, tuple[object, ...]]:
        try:
            amps = int(p[0])
        except ValueError:
            return False, ()
        flag = p[1] if len(p) > 1 else ""
        ok = self.min_amps <= amps <= self.max_amps
        amps = max(self.min_amps, min(self.max_amps, amps))
        if flag != "V":
            self.eeprom_amps = amps
            self.eeprom_writes += 1  # what the driver must avoid for smart charging
        self._change(lambda: setattr(self, "capacity", amps))
        return ok, (amps,)

    def _heartbeat(self, p: tuple[str, ...]) -> tuple[bool, tuple[object, ...]]:
        if len(p) >= 2:
            self.hb_interval, self.hb_current = int(p[0]), int(p[1])
            self.eeprom_writes += 1
            self._last_pulse = self.clock.monotonic()
            return True, (self.hb_interval, self.hb_current, self.hb_tripped)
        if len(p) == 1 and p[0] == str(HEARTBEAT_ACK):
            if self.hb_tripped == 2:
                self._change(lambda: setattr(self, "hb_tripped", 1))
            self._last_pulse = self.clock.monotonic()
            return True, (self.hb_interval, self.hb_current, self.hb_tripped)
        self._last_pulse = self.clock.monotonic()
        ok = self.hb_tripped != 2  # NK: a previous pulse was missed and not yet acknowledged
        return ok, (self.hb_interval, self.hb_current, self.hb_tripped)

    # ------------------------------------------------------------ prompt
    def command(self, line: str) -> str | None:
        """One prompt line: plug [amps] | unplug | ev on|off | fault NAME | clear | reboot |
        usb off|on | status | help."""
        words = line.split()
        verb, args = words[0].lower(), words[1:]
        if verb == "plug":
            self.plug(float(args[0]) if args else None)
        elif verb == "unplug":
            self.unplug()
        elif verb == "ev":
            self.ev_request(bool(args) and args[0].lower() in ("on", "1", "yes"))
        elif verb == "fault":
            if not args:
                raise ValueError(f"fault NAME; names: {', '.join(FAULTS)}")
            self.fault(args[0])
        elif verb == "clear":
            self.clear()
        elif verb == "reboot":
            self.reboot()
        elif verb == "usb":
            if args and args[0] == "off":
                self.unplug_usb()
                return "USB unplugged"
            return f"USB plugged: {self.replug_usb()}"
        elif verb == "status":
            return self.status()
        elif verb == "help":
            return (self.command.__doc__ or "").replace("\n        ", " ")
        else:
            raise ValueError(f"unknown command {verb!r}; try help")
        return self.status()


async def run_emulator(kind: str, link_path: str | None, prompt: bool) -> None:
    """``ocpp-bench emulate openevse``: print the pty path, serve RAPI, run the prompt."""
    if kind != "openevse":
        raise ValueError(f"this module emulates openevse, not {kind!r}")
    link = PtyLink(link_path)
    path = link.open()
    emulator = OpenEvseEmulator(link)
    print(f"OpenEVSE emulator on {path}  (attach: --device openevse:{path})", flush=True)
    # The supervisor logs a crash of the RAPI loop (ARCHITECTURE rule 4) even while
    # the prompt keeps running; without a prompt the crash also ends the command.
    tasks = Supervisor("openevse-emulator")
    server = tasks.spawn(emulator.serve(), name="openevse-emulator")
    try:
        if prompt:
            await run_prompt(emulator.command, banner="type help for commands, quit to stop")
        else:
            await server
    finally:
        await tasks.aclose()
        link.close()
