"""The step language of ``ocpp-bench run --script``: parse and execute.

One step per line in a file, or separated by ``;`` on the command line;
``#`` starts a comment. Steps act on the station's model (a technician's
verbs) and on the link; ``expect`` waits for a connector's OCPP status.
Durations are virtual seconds (they shrink with ``--speed``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.ocpp.charge_point_base import RebootCause

# 1.6 ChargePointStatus, then what only 2.0.1 has: the connector status Occupied and
# the transaction's chargingState (EVConnected, Idle); Charging and Suspended* are both.
STATUSES = (
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEV",
    "SuspendedEVSE",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
    "Occupied",
    "EVConnected",
    "Idle",
)

# name -> (minimum args, maximum args, usage)
GRAMMAR: dict[str, tuple[int, int, str]] = {
    "plug": (1, 2, "plug CONNECTOR [EV_TEMPLATE]"),
    "unplug": (1, 1, "unplug CONNECTOR"),
    "present": (1, 2, "present ID_TAG [CONNECTOR]"),
    "fault": (2, 2, "fault CONNECTOR NAME"),
    "clear": (1, 1, "clear CONNECTOR"),
    "suspend": (1, 1, "suspend CONNECTOR"),
    "resume": (1, 1, "resume CONNECTOR"),
    "soc": (2, 2, "soc CONNECTOR PERCENT"),
    "wait": (1, 1, "wait SECONDS"),
    "expect": (2, 4, "expect CONNECTOR STATUS [within SECONDS]"),
    "disconnect": (0, 0, "disconnect"),
    "reconnect": (0, 0, "reconnect"),
    "reboot": (0, 0, "reboot"),
}

DEFAULT_EXPECT_WITHIN = 30.0


class StepError(Exception):
    """A step that could not be parsed or did not succeed; the message names it."""


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    verb: str
    args: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return f"step {self.number} ({self.text})"


def _int(step_text: str, value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise StepError(f"{step_text}: {what} must be a whole number, got {value!r}") from None


def _float(step_text: str, value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise StepError(f"{step_text}: {what} must be a number, got {value!r}") from None
    if number < 0:
        raise StepError(f"{step_text}: {what} must not be negative")
    return number


def parse_script(text: str, *, separator: str | None = None) -> list[Step]:
    """Parse a script; raise ``StepError`` naming the first bad step."""
    chunks = text.split(separator) if separator else text.splitlines()
    steps: list[Step] = []
    for chunk in chunks:
        line = chunk.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        verb, args = words[0].lower(), tuple(words[1:])
        number = len(steps) + 1
        label = f"step {number} ({line})"
        if verb not in GRAMMAR:
            known = ", ".join(GRAMMAR)
            raise StepError(f"{label}: unknown step {verb!r}; known steps: {known}")
        low, high, usage = GRAMMAR[verb]
        if not low <= len(args) <= high:
            raise StepError(f"{label}: expected '{usage}'")
        _check_args(label, verb, args)
        steps.append(Step(number, verb, args, line))
    return steps


def _check_args(label: str, verb: str, args: tuple[str, ...]) -> None:
    if verb in ("plug", "unplug", "fault", "clear", "suspend", "resume", "soc", "expect"):
        _int(label, args[0], "CONNECTOR")
    if verb == "present" and len(args) == 2:
        _int(label, args[1], "CONNECTOR")
    if verb == "soc":
        percent = _float(label, args[1], "PERCENT")
        if percent > 100:
            raise StepError(f"{label}: PERCENT must be at most 100")
    if verb == "wait":
        _float(label, args[0], "SECONDS")
    if verb == "expect":
        if args[1] not in STATUSES:
            raise StepError(f"{label}: unknown status {args[1]!r}; one of {', '.join(STATUSES)}")
        if len(args) == 3 or (len(args) == 4 and args[2].lower() != "within"):
            raise StepError(f"{label}: expected 'expect CONNECTOR STATUS [within SECONDS]'")
        if len(args) == 4:
            _float(label, args[3], "SECONDS")


class ScriptRunner:
    """Executes steps against a running charge point (any OCPP version)."""

    def __init__(
        self,
        cp: Any,
        *,
        ev_loader: Callable[[str], Any],
        default_ev: str,
        fault_lookup: Callable[[str], Any],
        echo: Callable[[str], None] | None = None,
    ):
        self.cp = cp
        self.ev_loader = ev_loader
        self.default_ev = default_ev
        self.fault_lookup = fault_lookup
        self.echo = echo

    async def run(self, steps: list[Step]) -> None:
        for step in steps:
            if self.echo:
                self.echo(f"▶ {step}")
            try:
                await self.execute(step)
            except StepError:
                raise
            except (ValueError, KeyError, LookupError) as exc:
                raise StepError(f"{step} failed: {exc}") from None

    def _connector(self, step: Step) -> Any:
        number = int(step.args[0])
        try:
            return self.cp.station.connector(number)
        except (ValueError, IndexError, KeyError):
            count = len(self.cp.station.connectors)
            raise StepError(f"{step} failed: no connector {number} (station has {count})") from None

    async def execute(self, step: Step) -> None:
        cp, verb, args = self.cp, step.verb, step.args
        station = cp.station
        if verb == "plug":
            ev = self.ev_loader(args[1] if len(args) > 1 else self.default_ev)
            connector = self._connector(step)
            if connector.plugged:
                raise StepError(f"{step} failed: connector {connector.id} is already plugged")
            connector.plug_in(ev)
        elif verb == "unplug":
            connector = self._connector(step)
            if not connector.plugged:
                raise StepError(f"{step} failed: connector {connector.id} is not plugged")
            connector.unplug()
        elif verb == "present":
            cp.present_id(args[0], int(args[1]) if len(args) > 1 else None)
        elif verb == "fault":
            fault = self.fault_lookup(args[1])
            if int(args[0]) == 0:
                station.raise_fault(fault)
            else:
                self._connector(step).raise_fault(fault)
        elif verb == "clear":
            if int(args[0]) == 0:
                station.clear_fault()
            else:
                self._connector(step).clear_fault()
        elif verb in ("suspend", "resume", "soc"):
            connector = self._connector(step)
            if connector.ev is None:
                raise StepError(f"{step} failed: no EV on connector {connector.id}")
            station.tick()
            if verb == "suspend":
                connector.suspend_ev()
            elif verb == "resume":
                connector.resume_ev()
            else:
                connector.set_ev_soc(float(args[1]))
        elif verb == "wait":
            await cp.clock.sleep(float(args[0]))
        elif verb == "expect":
            within = float(args[3]) if len(args) == 4 else DEFAULT_EXPECT_WITHIN
            if int(args[0]):
                self._connector(step)  # a clear error for a connector the station lacks
            ok = await cp.wait_status(int(args[0]), args[1], within)
            if not ok:
                actual = cp.status_of(int(args[0])).status
                raise StepError(
                    f"{step} failed: connector {args[0]} is {actual}, "
                    f"not {args[1]}, after {within:g} s"
                )
        elif verb == "disconnect":
            cp.cut_network()
            await asyncio.sleep(0)
        elif verb == "reconnect":
            cp.restore_network()
        elif verb == "reboot":
            await cp.restart(RebootCause.LOCAL)  # each version words it (1.6 / 2.0.1)
