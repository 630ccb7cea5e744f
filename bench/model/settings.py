"""How a user-settable option describes itself (ARCHITECTURE rule 6).

Drivers (``bench.devices``) and stations (``bench.model.templates``) list their
options as ``Setting`` values: name, type, range, default and help. The GUI
builds its forms from them and the CLI parses ``key=value`` text with them, so
a new option never needs a new form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SETTING_KINDS = ("str", "int", "float", "bool", "choice")

_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n"})


@dataclass(frozen=True, slots=True)
class Setting:
    """One user-settable option (rule 6: the GUI builds its forms from these)."""

    key: str
    label: str
    kind: str
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in SETTING_KINDS:
            raise ValueError(f"setting {self.key!r}: kind must be one of {SETTING_KINDS}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"setting {self.key!r}: a choice needs choices")

    def parse(self, text: str) -> Any:
        """Typed value of ``text`` (the right side of ``key=value``); ValueError when invalid."""
        raw = text.strip()
        kind = self.kind
        if kind == "str":
            return raw
        if kind == "bool":
            low = raw.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(f"{self.key}: expected yes/no (true/false, 1/0), got {text!r}")
        if kind == "choice":
            if raw not in self.choices:
                raise ValueError(
                    f"{self.key}: expected one of {', '.join(self.choices)}, got {text!r}"
                )
            return raw
        try:
            value: int | float = int(raw, 0) if kind == "int" else float(raw)
        except ValueError:
            noun = "a whole number" if kind == "int" else "a number"
            raise ValueError(f"{self.key}: expected {noun}, got {text!r}") from None
        return self.check(value)

    def check(self, value: Any) -> Any:
        """``value`` when it lies in the range; ValueError naming the bound it crosses."""
        if self.kind == "choice" and value not in self.choices:
            raise ValueError(
                f"{self.key}: expected one of {', '.join(self.choices)}, got {value!r}"
            )
        if self.kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{self.key}: expected a number, got {value!r}")
            if self.minimum is not None and value < self.minimum:
                raise ValueError(f"{self.key}: {value} is below the minimum {self.minimum:g}")
            if self.maximum is not None and value > self.maximum:
                raise ValueError(f"{self.key}: {value} is above the maximum {self.maximum:g}")
        return value
