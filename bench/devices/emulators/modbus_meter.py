"""An emulated Modbus RTU energy meter (SDM630, SDM120, ABB B23) on a pseudo-terminal.

It is a Modbus RTU *slave* implemented here from the framing up (address,
function, data, CRC-16 low byte first), so the bench's driver talks to it
through pymodbus exactly as it would to a meter on an RS-485 adapter:

* Read input registers (04) and read holding registers (03) of the meter's
  register map (``bench/devices/serial/modbus_maps.py``) are answered with
  plausible values that move: mains voltage with a little seeded noise,
  the load current the prompt sets on every phase, power = V x I, and an
  import register that grows with the power.
* The wrong function for the map (an SDM asked for holding registers) gets
  exception 01 (illegal function), a count outside 1..125 exception 03; a
  request for another device id is ignored, as on a shared bus; a request
  with a bad CRC is dropped (the master times out), as a real slave does.
* ``mute`` stops answering (a meter with a cut A/B pair), ``crc`` corrupts
  the next reply's CRC, ``garbage`` writes noise on the line, ``unplug`` /
  ``replug`` pull the USB adapter.

Time comes from ``now`` (a real monotonic clock by default): this plays a
physical device, whose registers advance in real time.
"""

from __future__ import annotations

import asyncio
import random
import struct
import time
from collections.abc import Callable

from bench.devices.emulators.pty import PtyClosed, PtyLink, run_prompt
from bench.devices.serial.modbus_maps import MAPS, RegisterMap, Values, encode
from bench.kernel.supervisor import Supervisor

MAX_REGISTERS = 125  # Modbus limit for one read


def crc16(data: bytes) -> int:
    """Modbus RTU CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    return body + struct.pack("<H", crc16(body))


class MeterEmulator:
    """The meter: a register image computed on demand, served over a ``PtyLink``."""

    def __init__(
        self,
        rmap: RegisterMap,
        device_id: int = 1,
        *,
        link_path: str | None = None,
        seed: int = 0,
        nominal_v: float = 230.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rmap = rmap
        self.device_id = device_id
        self.link = PtyLink(link_path)
        self.nominal_v = nominal_v
        self.load_a = 0.0
        self.energy_wh = 0.0
        self.muted = False
        self.requests = 0  # requests answered (tests wait on it)
        self._corrupt_next = False
        self._rng = random.Random(seed)
        self._now = now
        self._last = now()
        self._buf = bytearray()
        # Owns the serve loop: a crash is logged, not lost (ARCHITECTURE rule 4).
        self._tasks: Supervisor | None = None
        self._plugged = asyncio.Event()

    # ------------------------------------------------------------ life cycle
    @property
    def path(self) -> str:
        return self.link.path

    async def start(self) -> str:
        path = self.link.open()
        self._plugged.set()
        self._tasks = Supervisor("modbus-emulator")
        self._tasks.spawn(self._serve(), name="modbus-emulator")
        return path

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, None
        if tasks is not None:
            await tasks.aclose()
        self.link.close()

    def unplug(self) -> None:
        self._plugged.clear()
        self.link.unplug()

    def replug(self) -> str:
        self._buf.clear()
        path = self.link.replug()
        self._plugged.set()
        return path

    async def _serve(self) -> None:
        while True:
            try:
                data = await self.link.read()
            except PtyClosed:
                # Unplugged: wait for a replug (the link reopens itself behind the path).
                await self._plugged.wait()
                continue
            for reply in self.feed(data):
                self.link.write(reply)

    # ------------------------------------------------------------ the physics
    def set_load(self, amps: float) -> None:
        if amps < 0:
            raise ValueError("load must be >= 0 A")
        self._advance()
        self.load_a = float(amps)

    def set_energy_kwh(self, kwh: float) -> None:
        if kwh < 0:
            raise ValueError("energy must be >= 0 kWh")
        self._advance()
        self.energy_wh = float(kwh) * 1000.0

    def values(self) -> Values:
        """The meter's readings now (advances the energy register)."""
        self._advance()
        rnd = self._rng.random
        phases = self.rmap.phases
        volts = [
            round(self.nominal_v * (1.0 + 0.01 * (2.0 * rnd() - 1.0)), 1) for _ in range(phases)
        ]
        amps = [self.load_a] * phases
        power = [v * a for v, a in zip(volts, amps, strict=True)]
        return Values(
            voltage_v=volts,
            current_a=amps,
            power_w=power,
            total_power_w=sum(power),
            energy_wh=self.energy_wh,
            frequency_hz=round(50.0 + 0.02 * (2.0 * rnd() - 1.0), 2),
        )

    def _advance(self) -> None:
        now = self._now()
        dt = max(0.0, now - self._last)
        self._last = now
        self.energy_wh += self.nominal_v * self.load_a * self.rmap.phases * dt / 3600.0

    # ------------------------------------------------------------ RTU framing
    def feed(self, data: bytes) -> list[bytes]:
        """Request bytes in, reply frames out (requests split across reads are reassembled)."""
        buf = self._buf
        buf.extend(data)
        replies: list[bytes] = []
        # Read requests are 8 bytes: address, function, start (2), count (2), CRC (2).
        for _ in range(len(buf)):
            if len(buf) < 8:
                break
            frame = bytes(buf[:8])
            if struct.unpack("<H", frame[6:])[0] != crc16(frame[:6]):
                del buf[:1]  # not a frame boundary (or a corrupted request): slide on
                continue
            del buf[:8]
            reply = self.respond(frame)
            if reply is not None:
                replies.append(reply)
        return replies

    def respond(self, frame: bytes) -> bytes | None:
        """The reply to one CRC-checked 8-byte request, or None (not for us, or muted)."""
        address, function, start, count = struct.unpack(">BBHH", frame[:6])
        if address != self.device_id or self.muted:
            return None
        self.requests += 1
        if function != self.rmap.function:
            reply = with_crc(bytes([address, function | 0x80, 0x01]))
        elif not 1 <= count <= MAX_REGISTERS or start + count > 0x10000:
            reply = with_crc(bytes([address, function | 0x80, 0x03]))
        else:
            image = encode(self.rmap, self.values())
            words = [image.get(start + i, 0) for i in range(count)]
            body = bytes([address, function, 2 * count]) + struct.pack(f">{count}H", *words)
            reply = with_crc(body)
        if self._corrupt_next:
            self._corrupt_next = False
            reply = reply[:-2] + bytes([reply[-2] ^ 0xFF, reply[-1]])
        return reply

    # ------------------------------------------------------------ control prompt
    def command(self, line: str) -> str:
        """One prompt command; returns the answer (ValueError for a bad command)."""
        word, _, arg = line.partition(" ")
        arg = arg.strip()
        if word == "load":
            self.set_load(float(arg))
            return f"load {self.load_a:g} A per phase"
        if word == "energy":
            self.set_energy_kwh(float(arg))
            return f"energy {self.energy_wh / 1000.0:g} kWh"
        if word == "mute":
            self.muted = arg.lower() not in ("off", "0", "no")
            return "muted" if self.muted else "answering"
        if word == "crc":
            self._corrupt_next = True
            return "the next reply carries a bad CRC"
        if word == "garbage":
            self.link.write(bytes(self._rng.randrange(256) for _ in range(16)))
            return "16 random bytes sent"
        if word == "unplug":
            self.unplug()
            return "unplugged"
        if word == "replug":
            return f"replugged at {self.replug()}"
        if word == "show":
            v = self.values()
            return (
                f"V={v.voltage_v} A={v.current_a} P={v.total_power_w:.0f} W "
                f"E={v.energy_wh / 1000.0:.3f} kWh"
            )
        raise ValueError(f"unknown command {word!r}; try: {HELP}")


HELP = "load AMPS | energy KWH | mute [on|off] | crc | garbage | unplug | replug | show | quit"


async def run_emulator(kind: str, link_path: str | None = None, prompt: bool = True) -> None:
    """``ocpp-bench emulate sdm630|sdm120|abb-b23``: print the port path, serve until quit/EOF."""
    rmap = MAPS[kind]
    emulator = MeterEmulator(rmap, link_path=link_path)
    path = await emulator.start()
    print(f"{rmap.title}, Modbus device id 1, on {path}", flush=True)
    try:
        if prompt:
            await run_prompt(emulator.command, banner=f"commands: {HELP}")
        else:
            await asyncio.Event().wait()
    finally:
        await emulator.stop()
