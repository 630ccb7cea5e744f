"""Amps and watts for charging limits (1.6 §7.12, errata 3.34/3.69; version-neutral).

``A`` is the current per phase; ``W`` the total power. For AC the current per
phase is ``P / (nominal voltage x phases)`` with the phases the period names
(``numberPhases``, 3 when absent), never more than the station can use: a
profile that names more phases than the supply has keeps its limit as given
for the phases that exist (errata 3.34). DC has one line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Supply:
    """What a station's connection offers: nominal voltage per phase and usable phases."""

    voltage: float  # nominal V (AC: phase to neutral; DC: output voltage)
    phases: int  # AC phases the station can use; 1 for DC

    def lines(self, number_phases: int | None) -> int:
        """Phases a period uses on this supply: numberPhases (default 3), capped by the supply."""
        wanted = 3 if number_phases is None else number_phases
        return max(1, min(wanted, self.phases))


def to_amps(value: float, unit: str, supply: Supply, number_phases: int | None = None) -> float:
    """``value`` in ``unit`` as a current per phase."""
    if unit == "A":
        return float(value)
    return float(value) / (supply.voltage * supply.lines(number_phases))


def to_watts(value: float, unit: str, supply: Supply, number_phases: int | None = None) -> float:
    """``value`` in ``unit`` as a total power."""
    if unit == "W":
        return float(value)
    return float(value) * supply.voltage * supply.lines(number_phases)


def convert(
    value: float, from_unit: str, to_unit: str, supply: Supply, number_phases: int | None = None
) -> float:
    if to_unit == "A":
        return to_amps(value, from_unit, supply, number_phases)
    return to_watts(value, from_unit, supply, number_phases)
