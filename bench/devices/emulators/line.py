"""An emulated custom board speaking the bench line protocol, on a pseudo-terminal.

It behaves as the reference firmware in docs/line-protocol.md does:

* answers the bench's ``hello`` with its own ``hello`` and the ``state`` of
  every connector, ``ping`` with ``pong``, every command with ``ack`` (or an
  ``error`` for an unknown type or a bad field);
* keeps per connector a pilot state (A-F), a relay (``enable``/``disable``),
  a current limit and a lock, and meters: with the relay on and the EV in
  state C it draws ``min(limit, ev_amps)`` on each of its ``phases``, and
  sends a ``meter`` message every ``meter_interval`` seconds;
* sends ``alive`` every ``keepalive`` seconds; ``reboot`` forgets the
  commands and says ``hello`` again a moment later.

Prompt: ``plug [N]`` (state B), ``charge [N]`` (C), ``pause [N]`` (B),
``unplug [N]`` (A), ``state N X``, ``fault CODE [N]``, ``clear CODE [N]``,
``card UID``, ``ev AMPS``, ``garbage``, ``badjson``, ``unknown``, ``mute on|off``
(stop talking, to test the keep-alive), ``unplug-usb`` / ``replug-usb``.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.devices.emulators.pty import PtyClosed, PtyLink, run_prompt
from bench.devices.serial.line_frames import BENCH_MESSAGES, STATES, LineDecoder, encode
from bench.kernel.supervisor import Supervisor

FIRMWARE = "emu-1.0"


@dataclass(slots=True)
class Outlet:
    state: str = "A"
    enabled: bool = False
    limit_a: float = 0.0
    locked: bool = False
    energy_wh: float = 0.0
    amps: float = 0.0


class LineBoardEmulator:
    def __init__(
        self,
        connectors: int = 1,
        *,
        phases: int = 3,
        ev_amps: float = 16.0,
        meter_interval: float = 1.0,
        keepalive: float = 5.0,
        reboot_delay: float = 0.2,
        link_path: str | None = None,
        seed: int = 0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.outlets = {n: Outlet() for n in range(1, connectors + 1)}
        self.phases = phases
        self.ev_amps = ev_amps
        self.meter_interval = meter_interval
        self.keepalive = keepalive
        self.reboot_delay = reboot_delay
        self.link = PtyLink(link_path)
        self.muted = False
        self.received: list[dict[str, Any]] = []  # valid bench messages, newest last
        self.replies: list[dict[str, Any]] = []  # what the board sent, newest last
        self.decoder = LineDecoder(BENCH_MESSAGES)
        self._rng = random.Random(seed)
        self._now = now
        self._last = now()
        # Owns the rx/tx loops: a crash in either is logged, not lost (ARCHITECTURE rule 4).
        self._tasks: Supervisor | None = None
        self._plugged = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------ life cycle
    @property
    def path(self) -> str:
        return self.link.path

    async def start(self) -> str:
        path = self.link.open()
        self._plugged.set()
        self._tasks = Supervisor("line-emulator")
        self._tasks.spawn(self._serve(), name="line-emulator-rx")
        self._tasks.spawn(self._tick(), name="line-emulator-tx")
        return path

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        tasks, self._tasks = self._tasks, None
        if tasks is not None:
            await tasks.aclose()
        self.link.close()

    def unplug_usb(self) -> None:
        self._plugged.clear()
        self.link.unplug()

    def replug_usb(self) -> str:
        path = self.link.replug()
        self.decoder = LineDecoder(BENCH_MESSAGES, self.decoder.counters)
        self._plugged.set()
        return path

    async def _serve(self) -> None:
        while True:
            try:
                data = await self.link.read()
            except PtyClosed:
                await self._plugged.wait()
                continue
            for frame in self.decoder.feed(data):
                if frame.message is None:
                    if frame.answerable:
                        extra = {"ref": frame.ref} if frame.ref else {}
                        self.send("error", error=frame.error, detail=frame.detail, **extra)
                    continue
                self.received.append(frame.message)
                del self.received[:-500]
                self.handle(frame.message)

    async def _tick(self) -> None:
        """Meter samples and keep-alives, in real time (this is a device)."""
        step = min(self.meter_interval, self.keepalive)
        next_meter = next_alive = 0.0
        started = self._now()
        while True:
            await asyncio.sleep(step)
            now = self._now()
            if now >= next_meter:
                next_meter = now + self.meter_interval
                for number in self.outlets:
                    self.send_meter(number)
            if now >= next_alive:
                next_alive = now + self.keepalive
                self.send("alive", uptime=round(now - started, 1))

    # ------------------------------------------------------------ bench -> board
    def handle(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        ident = {"id": msg["id"]} if "id" in msg else {}
        if kind == "hello":
            self.say_hello()
            return
        if kind == "ping":
            self.send("pong", **ident)
            return
        if kind == "error":
            return  # the bench disliked something we sent; a real board would log it
        if kind == "reboot":
            if ident:
                self.send("ack", **ident)
            self._reboot()
            return
        number = msg["connector"]
        outlet = self.outlets.get(number)
        if outlet is None:
            self.send(
                "error", error="bad-field", detail=f"no connector {number}", ref=kind, **ident
            )
            return
        self._advance()
        if kind in ("enable", "disable"):
            outlet.enabled = kind == "enable"
        elif kind == "limit":
            outlet.limit_a = float(msg["amps"])
        elif kind in ("lock", "unlock"):
            outlet.locked = kind == "lock"
        self._update_draw()
        if ident:
            self.send("ack", **ident)

    def say_hello(self) -> None:
        self.send(
            "hello",
            board="bench-emulator",
            firmware=FIRMWARE,
            serial="EMU0001",
            connectors=len(self.outlets),
            max_current=32,
        )
        for number, outlet in self.outlets.items():
            self.send("state", connector=number, state=outlet.state)

    def _reboot(self) -> None:
        for outlet in self.outlets.values():
            outlet.enabled, outlet.limit_a, outlet.locked, outlet.amps = False, 0.0, False, 0.0
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.reboot_delay, self.say_hello)

    # ------------------------------------------------------------ the physics
    def set_state(self, number: int, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        outlet = self._outlet(number)
        self._advance()
        outlet.state = state
        self._update_draw()
        self.send("state", connector=number, state=state)

    def _outlet(self, number: int) -> Outlet:
        try:
            return self.outlets[number]
        except KeyError:
            raise ValueError(f"connectors are 1..{len(self.outlets)}, not {number}") from None

    def _update_draw(self) -> None:
        for outlet in self.outlets.values():
            asking = outlet.state in ("C", "D")
            outlet.amps = min(outlet.limit_a, self.ev_amps) if asking and outlet.enabled else 0.0

    def _advance(self) -> None:
        now = self._now()
        dt = max(0.0, now - self._last)
        self._last = now
        for outlet in self.outlets.values():
            outlet.energy_wh += 230.0 * outlet.amps * self.phases * dt / 3600.0

    def send_meter(self, number: int) -> None:
        self._advance()
        outlet = self.outlets[number]
        volts = [round(230.0 + self._rng.uniform(-2.0, 2.0), 1) for _ in range(self.phases)]
        amps = [outlet.amps] * self.phases
        self.send(
            "meter",
            connector=number,
            voltage=volts,
            current=amps,
            power=round(sum(v * a for v, a in zip(volts, amps, strict=True)), 1),
            energy=round(outlet.energy_wh, 1),
        )

    # ------------------------------------------------------------ bytes out
    def send(self, msg_type: str, **fields: Any) -> None:
        if self.muted:
            return
        self.replies.append({"type": msg_type, **fields})
        del self.replies[:-500]
        self.link.write(encode(msg_type, **fields))

    # ------------------------------------------------------------ prompt
    def command(self, line: str) -> str:
        words = line.split()
        word, args = words[0], words[1:]

        def number(i: int = 0) -> int:
            return int(args[i]) if len(args) > i else 1

        simple = {"plug": "B", "pause": "B", "charge": "C", "unplug": "A"}
        if word in simple:
            self.set_state(number(), simple[word])
            return f"connector {number()} state {simple[word]}"
        if word == "state" and len(args) == 2:
            self.set_state(int(args[0]), args[1].upper())
            return f"connector {args[0]} state {args[1].upper()}"
        if word in ("fault", "clear") and args:
            conn = int(args[1]) if len(args) > 1 else 1
            if conn:
                self._outlet(conn)
            self.send("fault", connector=conn, code=args[0], active=word == "fault")
            return f"fault {args[0]} {'raised' if word == 'fault' else 'cleared'}"
        if word == "card" and args:
            self.send("rfid", uid=args[0], connector=1)
            return f"card {args[0]} presented"
        if word == "ev" and args:
            self.ev_amps = float(args[0])
            self._update_draw()
            return f"EV draws up to {self.ev_amps:g} A"
        if word == "garbage":
            self.link.write(bytes(self._rng.randrange(256) for _ in range(24)) + b"\n")
            return "garbage sent"
        if word == "badjson":
            self.link.write(b'{"v":1,"type":"state",\n')
            return "a broken JSON line sent"
        if word == "unknown":
            self.link.write(json.dumps({"v": 1, "type": "telemetry", "x": 1}).encode() + b"\n")
            return "a message of an unknown type sent"
        if word == "mute":
            self.muted = not args or args[0] not in ("off", "0", "no")
            return "muted" if self.muted else "talking"
        if word == "unplug-usb":
            self.unplug_usb()
            return "USB unplugged"
        if word == "replug-usb":
            return f"USB replugged at {self.replug_usb()}"
        if word == "show":
            return "; ".join(f"{n}: {o}" for n, o in self.outlets.items())
        raise ValueError(f"unknown command {line!r}; try: {HELP}")


HELP = (
    "plug [N] | charge [N] | pause [N] | unplug [N] | state N X | fault CODE [N] | "
    "clear CODE [N] | card UID | ev AMPS | garbage | badjson | unknown | mute on|off | "
    "unplug-usb | replug-usb | show | quit"
)


async def run_emulator(
    kind: str = "line", link_path: str | None = None, prompt: bool = True
) -> None:
    """``ocpp-bench emulate line``: print the port path, serve until quit/EOF."""
    board = LineBoardEmulator(link_path=link_path)
    path = await board.start()
    print(f"line-protocol board ({len(board.outlets)} connector) on {path}", flush=True)
    try:
        if prompt:
            await run_prompt(board.command, banner=f"commands: {HELP}")
        else:
            await asyncio.Event().wait()
    finally:
        await board.stop()
