"""Variable monitors (part 1 §4.4, part 2 N04-N08): what one is and when it fires.

Pure: no I/O, no clock. ``evaluate`` takes a monitor and the variable's Actual value
now and says which event, if any, that value causes; the monitor keeps the little
state it needs (a threshold's tripped flag, a delta's reference value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bench.ocpp.v201.device_model import ComponentKey, DataType, VariableKey


class MonitorType(StrEnum):
    UPPER = "UpperThreshold"
    LOWER = "LowerThreshold"
    DELTA = "Delta"
    PERIODIC = "Periodic"
    CLOCK_ALIGNED = "PeriodicClockAligned"


class Kind(StrEnum):
    """Who made a monitor; the wire names of EventNotificationEnumType."""

    HARD_WIRED = "HardWiredMonitor"
    PRECONFIGURED = "PreconfiguredMonitor"
    CUSTOM = "CustomMonitor"


THRESHOLDS = (MonitorType.UPPER, MonitorType.LOWER)
PERIODIC = (MonitorType.PERIODIC, MonitorType.CLOCK_ALIGNED)
NUMERIC = (DataType.INTEGER, DataType.DECIMAL)
# Part 1 §4.4 table: which monitor types each data type supports.
_SUPPORTED: dict[MonitorType, frozenset[DataType]] = {
    MonitorType.UPPER: frozenset(NUMERIC),
    MonitorType.LOWER: frozenset(NUMERIC),
    MonitorType.DELTA: frozenset(DataType),
    MonitorType.PERIODIC: frozenset(DataType) - {DataType.DATE_TIME},
    MonitorType.CLOCK_ALIGNED: frozenset(DataType) - {DataType.DATE_TIME},
}
# MonitoringCriterionEnumType -> the monitor types it selects (N02.FR.12-14).
CRITERIA: dict[str, tuple[MonitorType, ...]] = {
    "ThresholdMonitoring": THRESHOLDS,
    "DeltaMonitoring": (MonitorType.DELTA,),
    "PeriodicMonitoring": PERIODIC,
}


def supports(monitor_type: MonitorType, data_type: DataType) -> bool:
    return data_type in _SUPPORTED[monitor_type]


@dataclass(slots=True)
class Monitor:
    id: int
    component: ComponentKey
    variable: VariableKey
    type: MonitorType
    value: float
    severity: int
    transaction: bool = False
    kind: Kind = Kind.CUSTOM
    tripped: bool = False  # a threshold monitor whose limit is passed now
    reference: str | None = None  # a delta monitor's value when last set or fired

    def to_json(self) -> dict[str, Any]:
        """VariableMonitoringType (NotifyMonitoringReport)."""
        return {
            "id": self.id,
            "transaction": self.transaction,
            "value": self.value,
            "type": str(self.type),
            "severity": self.severity,
        }

    def to_state(self) -> dict[str, Any]:
        return {
            **self.to_json(),
            "component": self.component.to_json(),
            "variable": self.variable.to_json(),
            "kind": str(self.kind),
            "tripped": self.tripped,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Monitor:
        return cls(
            id=int(data["id"]),
            component=ComponentKey.from_json(data["component"]),
            variable=VariableKey.from_json(data["variable"]),
            type=MonitorType(data["type"]),
            value=float(data["value"]),
            severity=int(data["severity"]),
            transaction=bool(data.get("transaction", False)),
            kind=Kind(data.get("kind", Kind.CUSTOM)),
            tripped=bool(data.get("tripped", False)),
        )


@dataclass(frozen=True, slots=True)
class Firing:
    """What a value change made a monitor do: the trigger and whether it clears."""

    trigger: str  # EventTriggerEnumType: Alerting | Delta | Periodic
    cleared: bool = False


def _number(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def evaluate(monitor: Monitor, actual: str | None, data_type: DataType) -> Firing | None:
    """The event ``actual`` causes on ``monitor`` now, updating the monitor's state.

    Thresholds fire once when passed (N07.FR.16/17: above, not on, the limit) and once
    more, cleared, when the value returns (N07.FR.02). A delta fires when the value
    moved by more than ``value`` from its reference (N07.FR.18), or changed at all for
    a non-numeric variable (N07.FR.19); firing sets a new reference. Periodic
    monitors are driven by time, not by changes.
    """
    if monitor.type in THRESHOLDS:
        number = _number(actual)
        if number is None:
            return None
        if monitor.type == MonitorType.UPPER:
            beyond = number > monitor.value
        else:
            beyond = number < monitor.value
        if beyond == monitor.tripped:
            return None
        monitor.tripped = beyond
        return Firing("Alerting", cleared=not beyond)
    if monitor.type == MonitorType.DELTA:
        text = actual or ""
        if monitor.reference is None:
            monitor.reference = text
            return None
        if data_type in NUMERIC:
            now, before = _number(text), _number(monitor.reference)
            if now is None or before is None:
                moved = text != monitor.reference
            else:
                moved = abs(now - before) > monitor.value
        else:
            moved = text != monitor.reference
        if not moved:
            return None
        monitor.reference = text
        return Firing("Delta")
    return None


def next_aligned(now: datetime, interval_s: float) -> float:
    """Seconds from ``now`` to the next multiple of ``interval_s`` after midnight (N08.FR.07)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = (now - midnight).total_seconds()
    steps = math.floor(since / interval_s) + 1
    return steps * interval_s - since


def matches(monitor: Monitor, wanted: dict[str, Any]) -> bool:
    """One ComponentVariableType filter of GetMonitoringReport (N02.FR.16-21)."""
    comp, key = wanted["component"], monitor.component
    if key.name != comp["name"]:
        return False
    if comp.get("instance") and key.instance != comp["instance"]:
        return False  # no instance: every instance (N02.FR.21)
    evse = comp.get("evse")
    if evse is not None:
        if key.evse is not None and key.evse != evse["id"]:
            return False  # N02.FR.19: the top-level component matches too
        connector = evse.get("connectorId")
        if connector is not None and key.connector is not None and key.connector != connector:
            return False  # N02.FR.18: no connectorId -> every connector
    variable = wanted.get("variable")
    if variable is None:
        return True  # N02.FR.16
    if monitor.variable.name != variable["name"]:
        return False
    instance = variable.get("instance")
    return not instance or monitor.variable.instance == instance  # N02.FR.17
