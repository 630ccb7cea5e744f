"""Fault injection: the built-in CSMS breaks one behaviour on purpose (issue 13).

A conformance run against the built-in CSMS should pass; to show that its
checks can fail, the CSMS is told to misbehave in one named way at a time.
Faults are off unless listed in ``CsmsConfig.faults`` (``--fault SPEC`` on the
command line, ``PUT /faults`` on the control API). Each is one spec string:

``reply:ACTION:FIELD=VALUE``
    the reply to a station's ACTION carries VALUE in FIELD
    (``reply:BootNotification:status=Rejected``). VALUE is read as JSON when it
    parses (``interval=0`` is the number 0, ``x="0"`` the string) and as a plain
    string otherwise.
``drop:ACTION:FIELD``
    FIELD is missing from the reply to ACTION, or, for a CSMS-initiated ACTION,
    from the request the CSMS sends (``drop:Authorize:idTagInfo.status``).
``late:ACTION:SECONDS``
    the reply to ACTION goes out SECONDS after it was ready (the CSMS clock's
    wall timers: real seconds on a system clock). Like a busy CSMS, the
    connection reads nothing else from that station meanwhile.
``callerror:ACTION:CODE``
    ACTION is answered with a CALLERROR CODE (``InternalError``, ``NotSupported``,
    ... in either version's spelling) and not handled at all.
``request:ACTION:FIELD=VALUE``
    a CSMS-initiated ACTION goes out with VALUE in FIELD.
``order:ACTION1,ACTION2``
    asked to send ACTION1 and then ACTION2 to a station, the CSMS holds ACTION1
    until an ACTION2 to that station has been answered (or failed), so ACTION2
    goes first. The hold is bounded by the ACTION1 call's own timeout; after it
    ACTION1 goes anyway. (A caller that waits for ACTION1's reply before asking
    for ACTION2 only delays ACTION1: send it without waiting.)

FIELD is a dotted path into the payload; a number steps into a list
(``chargingProfile.chargingSchedule.0.duration``). A broken payload goes out
even when it fails its schema: replies as ``Reply(..., deliberate=True)`` (the
session sends them and logs them invalid), requests with validation off. Every
fault that acts is logged at WARNING with what it did, so a run's log shows it.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.csms.config import ConfigError
from bench.model.clock import Timers
from bench.ocpp import schemas
from bench.ocpp.errors import ErrorKind, OcppError
from bench.ocpp.session import Reply
from bench.printable import printable

log = logging.getLogger(__name__)

KINDS = ("reply", "drop", "late", "callerror", "request", "order")
MAX_LATE = 3600.0  # s: a late reply that never comes is a different fault (none today)

# Error codes as either version spells them (bench.ocpp.errors: 1.6 keeps two misspellings).
_CODES: dict[str, ErrorKind] = {kind.value: kind for kind in ErrorKind}
_CODES.update(
    {
        "FormationViolation": ErrorKind.FORMAT_VIOLATION,
        "OccurenceConstraintViolation": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    }
)
_USAGE = (
    "reply:ACTION:FIELD=VALUE, drop:ACTION:FIELD, late:ACTION:SECONDS, "
    "callerror:ACTION:CODE, request:ACTION:FIELD=VALUE or order:ACTION1,ACTION2"
)


@dataclass(frozen=True, slots=True, eq=False)
class Fault:
    """One deliberate misbehaviour; ``spec`` is its text (``parse_fault`` reads it)."""

    spec: str
    kind: str
    action: str
    path: tuple[str, ...] = ()  # reply, drop, request
    value: Any = None  # reply, request
    seconds: float = 0.0  # late
    code: ErrorKind | None = None  # callerror
    before: str | None = None  # order: the action that must go out first

    def __str__(self) -> str:
        return self.spec


def parse_fault(spec: str) -> Fault:
    """Read one fault spec; raises ``ConfigError`` naming the spec and what is wrong."""
    text = spec.strip()
    kind, _, rest = text.partition(":")
    if kind not in KINDS:
        raise ConfigError(f"fault {spec!r}: expected {_USAGE}")
    if kind == "order":
        first, sep, second = rest.partition(",")
        first, second = first.strip(), second.strip()
        if not sep or not first or not second or first == second:
            raise ConfigError(f"fault {spec!r}: expected order:ACTION1,ACTION2 (two actions)")
        return Fault(text, kind, _action(first, spec), before=_action(second, spec))
    action, sep, arg = rest.partition(":")
    if not sep or not arg:
        raise ConfigError(f"fault {spec!r}: expected {_USAGE}")
    action = _action(action, spec)
    if kind == "late":
        try:
            seconds = float(arg)
        except ValueError:
            raise ConfigError(f"fault {spec!r}: {arg!r} is not a number of seconds") from None
        if not 0 < seconds <= MAX_LATE:  # NaN fails too
            raise ConfigError(
                f"fault {spec!r}: the delay must be over 0 and at most {MAX_LATE:g} s"
            )
        return Fault(text, kind, action, seconds=seconds)
    if kind == "callerror":
        code = _CODES.get(arg)
        if code is None:
            raise ConfigError(
                f"fault {spec!r}: {arg!r} is not an OCPP-J error code ({', '.join(_CODES)})"
            )
        return Fault(text, kind, action, code=code)
    if kind == "drop":
        return Fault(text, kind, action, path=_path(arg, spec))
    name, sep, raw = arg.partition("=")
    if not sep:
        raise ConfigError(f"fault {spec!r}: expected {kind}:ACTION:FIELD=VALUE")
    return Fault(text, kind, action, path=_path(name, spec), value=_json_value(raw))


def parse_faults(specs: Sequence[Any]) -> list[Fault]:
    """Faults from specs or ``Fault`` objects (a mixed list is fine)."""
    return [item if isinstance(item, Fault) else parse_fault(_spec_text(item)) for item in specs]


def _spec_text(item: Any) -> str:
    if not isinstance(item, str):
        raise ConfigError(f"a fault is a spec string ({_USAGE}), not {item!r}")
    return item


def _action(name: str, spec: str) -> str:
    name = name.strip()
    if name not in schemas.actions("1.6") | schemas.actions("2.0.1"):
        raise ConfigError(f"fault {spec!r}: {name!r} is not an OCPP 1.6 or 2.0.1 action")
    return name


def _path(text: str, spec: str) -> tuple[str, ...]:
    parts = tuple(part.strip() for part in text.split("."))
    if not all(parts):
        raise ConfigError(f"fault {spec!r}: {text!r} is not a field path (a.b.c)")
    return parts


def _json_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # a bare word: Rejected, Accepted, ...


# --------------------------------------------------------------------------- payload edits
_MISSING = object()


def _step(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key, _MISSING)
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    return _MISSING


def _container(payload: dict[str, Any], path: tuple[str, ...], create: bool) -> Any:
    """The object holding the last step of ``path`` (dicts made on the way if ``create``)."""
    node: Any = payload
    for key in path[:-1]:
        child = _step(node, key)
        if child is _MISSING:
            if not (create and isinstance(node, dict)):
                return _MISSING
            child = node[key] = {}
        node = child
    return node


def set_field(payload: dict[str, Any], path: tuple[str, ...], value: Any) -> tuple[bool, Any]:
    """Put ``value`` at ``path``; (done, the old value or None)."""
    node = _container(payload, path, create=True)
    key = path[-1]
    if isinstance(node, dict):
        old = node.get(key)
        node[key] = value
        return True, old
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        old = node[int(key)]
        node[int(key)] = value
        return True, old
    return False, None


def drop_field(payload: dict[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    """Remove ``path``; (done, the removed value)."""
    node = _container(payload, path, create=False)
    key = path[-1]
    if isinstance(node, dict) and key in node:
        return True, node.pop(key)
    return False, None


# --------------------------------------------------------------------------- the injector
Handler = Callable[[dict[str, Any]], Awaitable["dict[str, Any] | Reply"]]


class FaultInjector:
    """Applies the faults listed in ``faults()`` to one CSMS's traffic.

    ``faults`` is read at every message, so faults set while the CSMS runs act
    from the next message on. ``timers`` count the ``late`` delays.
    """

    def __init__(self, faults: Callable[[], Sequence[Fault]], timers: Timers) -> None:
        self._faults = faults
        self._timers = timers
        # order: how many of an awaited action each station has had answered; only
        # actions some order fault waits for are counted.
        self._sent: dict[tuple[str, str], int] = {}
        self._changed = asyncio.Event()

    def _matching(self, action: str, kinds: tuple[str, ...]) -> list[Fault]:
        return [f for f in self._faults() if f.action == action and f.kind in kinds]

    # ------------------------------------------------------------ station-initiated
    async def answer(
        self, station: str, action: str, handler: Handler, payload: dict[str, Any]
    ) -> dict[str, Any] | Reply:
        """Run ``handler`` for a station's CALL, with the reply faults for ``action``."""
        if not self._faults():
            return await handler(payload)
        faults = self._matching(action, ("reply", "drop", "late", "callerror"))
        if not faults:
            return await handler(payload)
        refusal = next((f for f in faults if f.kind == "callerror"), None)
        result = None if refusal is not None else await handler(payload)
        for fault in faults:
            if fault.kind == "late":
                log.warning(
                    "injected fault %s: %s's %s answered %g s late",
                    fault, printable(station), action, fault.seconds,
                )  # fmt: skip
                await self._sleep(fault.seconds)
        if refusal is not None:
            assert refusal.code is not None
            log.warning(
                "injected fault %s: %s's %s answered with CALLERROR %s instead of a reply",
                refusal, printable(station), action, refusal.code.value,
            )  # fmt: skip
            raise OcppError(refusal.code, f"injected fault {refusal.spec}")
        assert result is not None
        then = result.then if isinstance(result, Reply) else None
        body = result.payload if isinstance(result, Reply) else result
        edits = [f for f in faults if f.kind in ("reply", "drop")]
        if not edits:
            return result
        broken = copy.deepcopy(body)  # a handler may return a shared constant
        for fault in edits:
            self._edit(fault, broken, f"the reply to {printable(station)}'s {action}")
        return Reply(broken, then=then, deliberate=True)

    async def _sleep(self, seconds: float) -> None:
        done = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not done.done():
                done.set_result(None)

        timer = self._timers.call_later(seconds, wake)
        try:
            await done
        finally:
            timer.cancel()

    # ------------------------------------------------------------ CSMS-initiated
    async def outgoing(
        self, station: str, action: str, payload: dict[str, Any], hold: float
    ) -> tuple[dict[str, Any], bool]:
        """The request to send for ``action`` and whether a fault broke it.

        Waits first (at most ``hold`` seconds) while an order fault says another
        action must go out before this one.
        """
        if not self._faults():
            return payload, False
        for fault in self._matching(action, ("order",)):
            await self._hold(station, fault, hold)
        edits = self._matching(action, ("request", "drop"))
        if not edits:
            return payload, False
        broken = copy.deepcopy(payload)
        for fault in edits:
            self._edit(fault, broken, f"the {action} request to {printable(station)}")
        return broken, True

    def answered(self, station: str, action: str) -> None:
        """A CSMS-initiated ``action`` to ``station`` got its answer (or failed)."""
        if any(f.kind == "order" and f.before == action for f in self._faults()):
            key = (station, action)
            self._sent[key] = self._sent.get(key, 0) + 1
            self.notify()

    def notify(self) -> None:
        """Wake held requests (an answer came in, or the fault list changed)."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _hold(self, station: str, fault: Fault, hold: float) -> None:
        assert fault.before is not None
        key = (station, fault.before)
        seen = self._sent.get(key, 0)
        log.warning(
            "injected fault %s: %s to %s held until a %s has gone out (at most %g s)",
            fault, fault.action, printable(station), fault.before, hold,
        )  # fmt: skip
        loop = asyncio.get_running_loop()
        deadline = loop.time() + hold
        while self._sent.get(key, 0) <= seen:  # each pass waits for a change; bounded
            if fault.spec not in {f.spec for f in self._faults()}:
                return  # the fault was lifted: send now
            left = deadline - loop.time()
            if left <= 0:
                log.warning(
                    "injected fault %s: no %s went to %s within %g s; %s goes anyway",
                    fault, fault.before, printable(station), hold, fault.action,
                )  # fmt: skip
                return
            try:
                async with asyncio.timeout(left):
                    await self._changed.wait()
            except TimeoutError:
                continue

    # ------------------------------------------------------------ edits
    def _edit(self, fault: Fault, payload: dict[str, Any], where: str) -> None:
        field = ".".join(fault.path)
        if fault.kind == "drop":
            done, old = drop_field(payload, fault.path)
            if done:
                log.warning("injected fault %s: %s lacks %s (was %r)", fault, where, field, old)
            else:
                log.warning("injected fault %s: %s has no %s to drop", fault, where, field)
            return
        done, old = set_field(payload, fault.path, fault.value)
        if done:
            log.warning(
                "injected fault %s: %s carries %s=%r (was %r)",
                fault, where, field, fault.value, old,
            )  # fmt: skip
        else:
            log.warning("injected fault %s: %s has no place for %s", fault, where, field)
