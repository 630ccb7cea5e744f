"""Rules that shape what passes the proxy: a JSON file, or edited in the app.

A rule matches a frame by direction, action, type and payload fields, then does
one thing to it. The file is a JSON object ``{"rules": [...]}`` (or just the list),
each rule an object:

    {"name": "no meter values upstream",
     "direction": "to_csms",            # to_csms | to_charger | both (default)
     "action": "MeterValues",           # default: any; a reply matches by its request's action
     "type": "CALL",                    # CALL | CALLRESULT | CALLERROR (default: any)
     "match": {"connectorId": 1},       # dotted paths into the payload ("a.0.b") -> value
     "valid": false,                    # only frames that fail (true: pass) their schema
     "then": "drop"}                    # what to do, below

``then`` is one of:

- ``drop``: the frame goes nowhere;
- ``delay`` with ``"seconds": S``: it goes S seconds later (frames behind it pass);
- ``duplicate``: it goes twice;
- ``replace`` with ``"set": {"path": value, ...}``: those payload fields change;
- ``answer`` with ``"result": {...}`` or ``"error": {"code": ..., "description": ...}``:
  a CALL is answered by the bench and not forwarded;
- ``hold``: it waits until released by hand (in the app, or ``ProxyServer.release``).

The first enabled rule that matches a frame applies; the rest are not consulted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proxy.frames import ParsedFrame

__all__ = [
    "DIRECTIONS",
    "EFFECTS",
    "Rule",
    "RuleBook",
    "RuleError",
    "load_rules",
    "parse_rules",
    "set_path",
]

# Directions as the proxy names them: toward the CSMS (from the charger) and back.
TO_CSMS, TO_CHARGER, BOTH = "to_csms", "to_charger", "both"
DIRECTIONS = (TO_CSMS, TO_CHARGER, BOTH)
EFFECTS = ("drop", "delay", "duplicate", "replace", "answer", "hold")
_TYPES = ("CALL", "CALLRESULT", "CALLERROR")
_KEYS = {"name", "direction", "action", "type", "match", "valid", "then", "enabled"} | {
    "seconds",
    "set",
    "result",
    "error",
}
_MISSING = object()


class RuleError(ValueError):
    """A rule file or rule is unusable; the message says which rule and why."""


@dataclass(slots=True)
class Rule:
    then: str
    name: str = ""
    direction: str = BOTH
    action: str | None = None
    type: str | None = None
    match: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    set: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    enabled: bool = True
    valid: bool | None = None  # match only frames with this schema verdict

    def __post_init__(self) -> None:
        label = f"rule {self.name!r}: " if self.name else ""
        if self.then not in EFFECTS:
            raise RuleError(f"{label}'then' must be one of {', '.join(EFFECTS)}")
        if self.direction not in DIRECTIONS:
            raise RuleError(f"{label}'direction' must be one of {', '.join(DIRECTIONS)}")
        if self.type is not None and self.type not in _TYPES:
            raise RuleError(f"{label}'type' must be one of {', '.join(_TYPES)}")
        if self.then == "delay" and not self.seconds > 0:
            raise RuleError(f"{label}delay needs 'seconds' above 0")
        if self.then == "replace" and not self.set:
            raise RuleError(f"{label}replace needs 'set' with at least one field")
        if self.then == "answer":
            if (self.result is None) == (self.error is None):
                raise RuleError(f"{label}answer needs either 'result' or 'error'")
            if self.type not in (None, "CALL"):
                raise RuleError(f"{label}only a CALL can be answered")
            if self.error is not None and not isinstance(self.error.get("code"), str):
                raise RuleError(f"{label}an 'error' answer needs a 'code' (e.g. NotSupported)")

    @property
    def label(self) -> str:
        return self.name or f"{self.then} {self.action or 'any'}"

    def matches(self, frame: ParsedFrame, toward: str) -> bool:
        """Does this rule apply to ``frame`` travelling ``toward`` (to_csms / to_charger)?"""
        if not self.enabled:
            return False
        if self.direction != BOTH and self.direction != toward:
            return False
        if self.type is not None and frame.type != self.type:
            return False
        if self.valid is not None and frame.valid is not self.valid:
            return False
        if self.then == "answer" and not frame.is_call:
            return False
        if self.action is not None and self.action != "*" and frame.action != self.action:
            return False
        return all(_get_path(frame.payload, path) == want for path, want in self.match.items())

    def as_dict(self) -> dict[str, Any]:
        """The rule as the file holds it (defaults left out)."""
        out: dict[str, Any] = {"name": self.name} if self.name else {}
        if self.direction != BOTH:
            out["direction"] = self.direction
        for key in ("action", "type", "result", "error"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.match:
            out["match"] = self.match
        if self.valid is not None:
            out["valid"] = self.valid
        out["then"] = self.then
        if self.then == "delay":
            out["seconds"] = self.seconds
        if self.set:
            out["set"] = self.set
        if not self.enabled:
            out["enabled"] = False
        return out


class RuleBook:
    """The rules in force, in order; replaced whole when the user edits them."""

    __slots__ = ("rules",)

    def __init__(self, rules: list[Rule] | None = None) -> None:
        self.rules = list(rules or [])

    def first_match(self, frame: ParsedFrame, toward: str) -> Rule | None:
        for rule in self.rules:
            if rule.matches(frame, toward):
                return rule
        return None

    def replace(self, rules: list[Rule]) -> None:
        self.rules = list(rules)

    def to_json(self) -> str:
        return json.dumps({"rules": [r.as_dict() for r in self.rules]}, indent=2) + "\n"


def parse_rules(data: Any) -> list[Rule]:
    """Rules from the parsed JSON of a rule file; ``RuleError`` names the bad one."""
    items = data.get("rules", _MISSING) if isinstance(data, dict) else data
    if items is _MISSING or not isinstance(items, list):
        raise RuleError('a rule file holds {"rules": [...]} or a list of rules')
    rules = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise RuleError(f"rule {n} is not an object")
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            raise RuleError(f"rule {n}: unknown key {unknown[0]!r}")
        if "then" not in item:
            raise RuleError(f"rule {n}: 'then' is missing (one of {', '.join(EFFECTS)})")
        for key in ("match", "set"):
            if not isinstance(item.get(key, {}), dict):
                raise RuleError(f"rule {n}: '{key}' must be an object of path -> value")
        try:
            rules.append(Rule(**item))
        except TypeError as exc:
            raise RuleError(f"rule {n}: {exc}") from None
        except RuleError as exc:
            raise RuleError(f"rule {n}: {exc}") from None
    return rules


def load_rules(path: str | Path) -> list[Rule]:
    """The rules of a JSON file; ``RuleError`` for an unreadable or invalid one."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"cannot read rule file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleError(f"rule file {path} is not JSON: {exc}") from None
    try:
        return parse_rules(data)
    except RuleError as exc:
        raise RuleError(f"rule file {path}: {exc}") from None


def _steps(path: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in path.split(".")]


def _holds(node: Any, step: str | int) -> bool:
    """Is ``step`` an existing index of the list or key of the object ``node``?"""
    if isinstance(step, int):
        return isinstance(node, list) and step < len(node)
    return isinstance(node, dict) and step in node


def _get_path(payload: Any, path: str) -> Any:
    node = payload
    for step in _steps(path):
        if not _holds(node, step):
            return _MISSING
        node = node[step]
    return node


def set_path(payload: Any, path: str, value: Any) -> None:
    """Set ``path`` in ``payload`` (a parsed copy), creating objects on the way."""
    steps = _steps(path)
    node = payload
    for step in steps[:-1]:
        if isinstance(step, str) and isinstance(node, dict):
            node = node.setdefault(step, {})
        elif _holds(node, step):
            node = node[step]
        else:
            raise RuleError(f"cannot set {path!r}: the payload has no {step!r} there")
    last = steps[-1]
    if (isinstance(last, str) and isinstance(node, dict)) or _holds(node, last):
        node[last] = value
    else:
        raise RuleError(f"cannot set {path!r}: the payload has no {last!r} there")
