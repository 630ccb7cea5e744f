"""The step language of ``ocpp-bench run --script``: grammar and parsing.

One step per line in a file, or separated by ``;`` on the command line;
``#`` starts a comment. Steps act on the station's model (a technician's
verbs) and on the link (``disconnect``, ``reconnect``, ``impair`` for network
faults); ``expect`` waits for a connector's OCPP status.
Durations are virtual seconds (they shrink with ``--speed``).

``parse_script`` stops at the first bad step (the CLI's usage error);
``check_script`` reports every bad line, for an editor that marks them all.
Executing steps is ``bench.scenarios.runner``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bench.transport.impair_spec import ImpairmentError, JitterTooWide, parse_impairment

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
    "power": (1, 1, "power off|on"),
    # Network faults on demand (issue 17): "impair latency 800ms jitter 200ms",
    # "impair loss 5%", "impair halfopen", "impair flap 30s", "impair off".
    "impair": (
        1,
        16,
        "impair FAULT ... (latency 800ms [jitter 200ms], loss 5%, halfopen, flap 30s, off)",
    ),
}
POWER_STATES = ("off", "on")  # power off: a power cut; power on: the supply is back

DEFAULT_EXPECT_WITHIN = 30.0


class StepError(Exception):
    """A step that could not be parsed or did not succeed; the message names it.

    ``line`` is the step's line in the script (when known); ``detail`` is the
    message without the step's name; a failed ``expect`` also carries what it
    ``expected`` and what it ``seen``.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        detail: str | None = None,
        expected: str | None = None,
        seen: str | None = None,
    ) -> None:
        super().__init__(message)
        self.line = line
        self.detail = detail if detail is not None else message
        self.expected = expected
        self.seen = seen


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    verb: str
    args: tuple[str, ...]
    text: str
    line: int = 0  # 1-based line of the script text it was written on

    def __str__(self) -> str:
        return f"step {self.number} ({self.text})"


@dataclass(frozen=True, slots=True)
class ScriptProblem:
    """A step that does not parse: where it is and what is wrong with it."""

    line: int
    number: int
    text: str
    detail: str

    def __str__(self) -> str:
        return f"step {self.number} ({self.text}): {self.detail}"


class _Bad(Exception):
    """A parse problem's detail, before the step's label is put in front."""


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _Bad(f"{what} must be a whole number, got {value!r}") from None


def _float(value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise _Bad(f"{what} must be a number, got {value!r}") from None
    if number < 0:
        raise _Bad(f"{what} must not be negative")
    return number


def _chunks(text: str, separator: str | None) -> Iterator[tuple[int, str]]:
    """(line number, chunk) for each step-sized piece of ``text``."""
    if not separator:
        yield from enumerate(text.splitlines(), start=1)
        return
    line = 1
    for chunk in text.split(separator):
        # A step's line is where its words start, not where the previous separator ended.
        lead = len(chunk) - len(chunk.lstrip())
        yield line + chunk.count("\n", 0, lead), chunk
        line += chunk.count("\n")


def check_script(
    text: str, *, separator: str | None = None
) -> tuple[list[Step], list[ScriptProblem]]:
    """Parse every step; return the good steps and a problem for each bad one.

    Steps are numbered in order, bad ones included, so a problem's number is the
    one ``parse_script`` would name.
    """
    steps: list[Step] = []
    problems: list[ScriptProblem] = []
    number = 0
    for line_number, chunk in _chunks(text, separator):
        line = chunk.split("#", 1)[0].strip()
        if not line:
            continue
        number += 1
        words = line.split()
        verb, args = words[0].lower(), tuple(words[1:])
        try:
            _check(verb, args)
        except _Bad as bad:
            problems.append(ScriptProblem(line_number, number, line, str(bad)))
            continue
        steps.append(Step(number, verb, args, line, line_number))
    return steps, problems


def parse_script(text: str, *, separator: str | None = None) -> list[Step]:
    """Parse a script; raise ``StepError`` naming the first bad step."""
    steps, problems = check_script(text, separator=separator)
    if problems:
        first = problems[0]
        raise StepError(str(first), line=first.line, detail=first.detail)
    return steps


def _check(verb: str, args: tuple[str, ...]) -> None:
    if verb not in GRAMMAR:
        raise _Bad(f"unknown step {verb!r}; known steps: {', '.join(GRAMMAR)}")
    low, high, usage = GRAMMAR[verb]
    if not low <= len(args) <= high:
        raise _Bad(f"expected '{usage}'")
    if verb in ("plug", "unplug", "fault", "clear", "suspend", "resume", "soc", "expect"):
        _int(args[0], "CONNECTOR")
    if verb == "present" and len(args) == 2:
        _int(args[1], "CONNECTOR")
    if verb == "soc":
        percent = _float(args[1], "PERCENT")
        if percent > 100:
            raise _Bad("PERCENT must be at most 100")
    if verb == "wait":
        _float(args[0], "SECONDS")
    if verb == "impair":
        try:
            parse_impairment(" ".join(args))
        except JitterTooWide as exc:
            # "impair jitter 50ms" may follow "impair latency 100ms": only a step that sets
            # both can be judged here; the run checks the rest against what is in force.
            if "latency" in (word.lower() for word in args):
                raise _Bad(str(exc)) from None
        except ImpairmentError as exc:
            raise _Bad(str(exc)) from None
    if verb == "power" and args[0] not in POWER_STATES:
        raise _Bad(f"expected 'power off' or 'power on', got 'power {args[0]}'")
    if verb == "expect":
        if args[1] not in STATUSES:
            raise _Bad(f"unknown status {args[1]!r}; one of {', '.join(STATUSES)}")
        if len(args) == 3 or (len(args) == 4 and args[2].lower() != "within"):
            raise _Bad("expected 'expect CONNECTOR STATUS [within SECONDS]'")
        if len(args) == 4:
            _float(args[3], "SECONDS")


def __getattr__(name: str) -> object:
    # ``ScriptRunner`` lived here before it moved to runner.py; old imports keep working
    # (a lazy import: runner.py imports this module).
    if name == "ScriptRunner":
        from bench.scenarios.runner import ScriptRunner

        return ScriptRunner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
