"""What a tool validation expects of one field, with words for the report.

``field_at(payload, "getVariableData[0].variable.name")`` reads a dotted path;
an ``Expectation`` says whether a value passes and how to describe what it wanted.
A plain value passed where an expectation is wanted means "equals".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def field_at(payload: Any, path: str) -> Any:
    """The value at ``path`` in ``payload`` (dots for keys, [n] for list items), or ABSENT."""
    value = payload
    for key, index in _PART.findall(path):
        if key:
            if not isinstance(value, dict) or key not in value:
                return ABSENT
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return ABSENT
            value = value[int(index)]
    return value


def shown(value: Any) -> str:
    """A value as the report shows it."""
    if value is ABSENT:
        return "(absent)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class Expectation:
    test: Callable[[Any], bool]
    words: str

    def __call__(self, value: Any) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError):
            return False


def as_expectation(expected: Any) -> Expectation:
    if isinstance(expected, Expectation):
        return expected
    return Expectation(lambda v: v is not ABSENT and v == expected, shown(expected))


def one_of(*values: Any) -> Expectation:
    return Expectation(lambda v: v in values, "one of " + ", ".join(shown(v) for v in values))


def present() -> Expectation:
    return Expectation(lambda v: v is not ABSENT, "present")


def absent() -> Expectation:
    return Expectation(lambda v: v is ABSENT, "absent")


def absent_or(*values: Any) -> Expectation:
    words = " or ".join(shown(v) for v in values)
    return Expectation(lambda v: v is ABSENT or v in values, f"absent or {words}")


def integer_at_least(low: int) -> Expectation:
    return Expectation(
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low,
        f"an integer >= {low}",
    )


def number_at_least(low: float) -> Expectation:
    return Expectation(
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= low,
        f"a number >= {low}",
    )


def contains(item: Any) -> Expectation:
    return Expectation(lambda v: v is not ABSENT and item in v, f"containing {shown(item)}")


def satisfies(test: Callable[[Any], bool], words: str) -> Expectation:
    return Expectation(test, words)
