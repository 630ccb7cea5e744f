"""Device-model Actual values the station measures: kept current, written only on change.

The station reports what its hardware shows through read-only Actual values:
``EVSE.Power`` and the ``Temperature`` of each EVSE and connector from the meter,
``Problem`` of the station, each EVSE and connector from the injected faults (a
station fault is propagated to every EVSE and connector, as the appendix defines
Problem), and ``ClockCtrlr.DateTime`` here (``AvailabilityState`` is kept by the
availability block, G). Each write goes
through ``cp.set_own_variable`` so the monitoring block sees it; a write happens
only when the value changed, and the power only when it moved by a significant
amount or across a monitor's threshold, because physics ticks are frequent and
every write is persisted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Protocol

from bench.model.changes import ConnectorChanged, StationChanged
from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.block import Evses, Services, Variables
from bench.ocpp.v201.device_model import AttributeType, ComponentKey, VariableKey
from bench.ocpp.v201.status import CONNECTOR_ON_EVSE

STATION = ComponentKey("ChargingStation")
CLOCK = ComponentKey("ClockCtrlr")
POWER = VariableKey("Power")
DATE_TIME = VariableKey("DateTime")
PROBLEM = VariableKey("Problem")
TEMPERATURE = VariableKey("Temperature")
# Power changes smaller than this share of the EVSE's rating are not written (meter noise).
POWER_DEADBAND_SHARE = 0.01
# Temperature changes smaller than this (degrees Celsius) are not written.
TEMPERATURE_DEADBAND_C = 0.5

# (component, variable, old text, new text) -> must this change be written now?
Significance = Callable[[ComponentKey, VariableKey, str, str], bool]


# Cached: these run on every physics tick of every charging station, and a frozen
# dataclass costs a microsecond to build; the keys are immutable, so all share them.
@cache
def evse_key(evse_id: int) -> ComponentKey:
    return ComponentKey("EVSE", evse=evse_id)


@cache
def connector_key(evse_id: int) -> ComponentKey:
    return ComponentKey("Connector", evse=evse_id, connector=CONNECTOR_ON_EVSE)


class LiveHost(Services, Variables, Evses, Protocol):
    """What live values use of the station: the model of its EVSEs and the device model."""


class LiveValues:
    __slots__ = ("_dirty", "cp", "significant")

    def __init__(self, cp: LiveHost, significant: Significance | None = None) -> None:
        self.cp = cp
        # Asked before a power change inside the deadband is dropped (monitor thresholds).
        self.significant = significant
        # EVSEs to read at the next loop turn; None while there are none (an empty set
        # costs 216 bytes, 10,000 stations share a process).
        self._dirty: set[int] | None = None

    def _write(self, component: ComponentKey, variable: VariableKey, text: str) -> bool:
        if self.cp.device_model.definition.lookup(component, variable) is None:
            return False  # this layout does not have the variable
        if self.cp.device_model.value(component, variable) == text:
            return False
        self.cp.set_own_variable(component, variable, text)
        return True

    # ------------------------------------------------------------ what is measured
    def refresh_power(self, evse_id: int | None = None, *, force: bool = False) -> None:
        for eid in [evse_id] if evse_id is not None else self.cp.evse_ids():
            self._write_power(eid, force)

    def _write_power(self, evse_id: int, force: bool) -> None:
        component = evse_key(evse_id)
        vdef = self.cp.device_model.definition.lookup(component, POWER)
        if vdef is None:
            return
        watts = self.cp.station.connector(evse_id).power_w
        ch = vdef.characteristics
        # A measured value may pass the declared range; the model stores it clamped.
        if ch.max_limit is not None:
            watts = min(watts, ch.max_limit)
        if ch.min_limit is not None:
            watts = max(watts, ch.min_limit)
        text = str(round(watts))
        old = self.cp.device_model.value(component, POWER) or "0"
        if text == old:
            return
        if not force and (float(text) > 0) == (float(old) > 0):
            rating = self.cp.device_model.value(component, POWER, AttributeType.MAX_SET)
            band = float(rating or 0) * POWER_DEADBAND_SHARE
            small = abs(float(text) - float(old)) < band
            if small and not (self.significant and self.significant(component, POWER, old, text)):
                return
        self.cp.set_own_variable(component, POWER, text)

    def refresh_problem(self, evse_id: int | None = None) -> None:
        """``Problem``: true while a fault is injected on the component or the station."""
        station = self.cp.station
        self._write(STATION, PROBLEM, _bool(station.fault is not None))
        for eid in [evse_id] if evse_id is not None else self.cp.evse_ids():
            connector = station.connector(eid)
            text = _bool(connector.fault is not None or station.fault is not None)
            self._write(evse_key(eid), PROBLEM, text)
            self._write(connector_key(eid), PROBLEM, text)

    def refresh_temperature(self, evse_id: int | None = None, *, force: bool = False) -> None:
        """``Temperature`` of each EVSE and its connector: the meter's, in degrees Celsius."""
        for eid in [evse_id] if evse_id is not None else self.cp.evse_ids():
            celsius = self.cp.station.connector(eid).meter.temperature_c
            if celsius is None:
                continue
            text = f"{celsius:.1f}"
            for component in (evse_key(eid), connector_key(eid)):
                old = self.cp.device_model.value(component, TEMPERATURE)
                if old is None or old == text:
                    continue  # not in this layout, or unchanged
                small = abs(float(text) - float(old or 0)) < TEMPERATURE_DEADBAND_C
                crosses = self.significant and self.significant(component, TEMPERATURE, old, text)
                if small and not force and not crosses:
                    continue
                self.cp.set_own_variable(component, TEMPERATURE, text)

    def refresh_clock(self) -> None:
        self._write(CLOCK, DATE_TIME, iso(self.cp.clock.now()))

    def refresh_all(self) -> None:
        self.refresh_power(force=True)
        self.refresh_temperature(force=True)
        self.refresh_problem()
        self.refresh_clock()

    # ------------------------------------------------------------ hooks (from the block)
    def on_model_event(self, event: object) -> None:
        # Read once the event has settled (next loop turn): the blocks that reacted to
        # it (a transaction starting) are then done, and a burst is read once.
        if isinstance(event, ConnectorChanged):
            changed: Iterable[int] = (event.connector_id,)
        elif isinstance(event, StationChanged):
            changed = self.cp.evse_ids()
        else:
            return
        if self._dirty is None:
            self._dirty = set(changed)
        else:
            self._dirty.update(changed)
        self.cp.tasks.later("live-values", 0.0, self._settled)

    def _settled(self) -> None:
        dirty, self._dirty = self._dirty or (), None
        if dirty:
            self._write(STATION, PROBLEM, _bool(self.cp.station.fault is not None))
        for evse_id in sorted(dirty):
            self.refresh_power(evse_id, force=True)
            self.refresh_problem(evse_id)
            self.refresh_temperature(evse_id)

    def on_physics(self) -> None:
        self.refresh_power()
        self.refresh_temperature()


def _bool(value: bool) -> str:
    return "true" if value else "false"
