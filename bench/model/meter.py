"""A connector's energy meter and the electrical physics behind it.

The meter holds the last measured values and a lazily integrated energy
register. ``update(now)`` integrates from the previous update to ``now`` (virtual
seconds from the clock), so the result does not depend on how often it is
called:

* While the drawn current is constant (the EV is below its taper knee, or the
  offer is lower than what it asks for) power is constant: the stretch up to
  the knee or the target is integrated in one exact step.
* In the taper the EV's demand falls linearly with SoC, so SoC approaches its
  asymptote exponentially; that differential equation is solved in closed form,
  and the time at which the target SoC is met is computed exactly, so the EV
  stops on the target, never past it.

Being exact, this needs no sub-steps: one update over an hour gives the same
energy as 3600 updates of a second (up to the voltage noise), and a fleet in
its taper at x60 costs no more per tick than an idle one.

Voltage and frequency carry small uniform noise drawn from the station's seeded
``random.Random``; a new sample is drawn at most once per virtual second, and the
sample is held for the whole ``update`` interval it was drawn for.

Temperature follows a first-order lag towards ``ambient + 15 K x (I / Imax)^2``
with a 10-minute time constant, solved exactly for each interval.

AC: drawn current per phase = min(offered, EV demand) on the phases the EV uses;
power = sum of V x I per phase. DC: power = min(offered power, EV demand) and
current = P / V on a single line.

External meter (real hardware, ``bench/devices``): ``set_external(reading)``
makes the meter report a real meter's ``MeterReading`` instead of the physics;
the energy register comes from the reading when it has one, otherwise it is
integrated from the reading's power. ``set_external(None)`` returns to the
simulation. ``external_failed(reason)`` marks a lost meter: the connector gets
the catalogue's ``power_meter_failure`` (1.6 §7.6 PowerMeterFailure) until the
next reading arrives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.ev import Ev

TEMPERATURE_RISE_K = 15.0
TEMPERATURE_TAU_S = 600.0
FREQUENCY_NOISE_HZ = 0.02
_EPS = 1e-9
POWER_METER_FAULT = "power_meter_failure"


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One sample of a real meter (``at``: the clock's monotonic seconds when it was read)."""

    voltage_v: list[float]
    current_a: list[float]
    power_w: float
    energy_wh: float | None
    at: float
    temperature_c: float | None = None


class Meter:
    __slots__ = (
        "_connector",
        "_external",
        "_external_fault",
        "_last",
        "_rise",
        "_sampled_at",
        "current_a",
        "energy_wh",
        "external_error",
        "frequency_hz",
        "offered_current_a",
        "offered_power_w",
        "power_w",
        "temperature_c",
        "voltage_v",
    )

    def __init__(self, connector: Connector, now: float, energy_wh: float = 0.0) -> None:
        self._connector = connector
        template = connector.station.template
        lines = 1 if template.current_type == "DC" else template.phases
        self.energy_wh = float(energy_wh)
        self.voltage_v = [float(template.nominal_voltage_v)] * lines
        self.current_a = [0.0] * lines
        self.power_w = 0.0
        self.offered_current_a = 0.0
        self.offered_power_w = 0.0
        self.temperature_c = float(template.ambient_temperature_c)
        self.frequency_hz = float(template.frequency_hz)
        self._last = now
        self._sampled_at = -math.inf
        self._rise = 0.0
        self._external: MeterReading | None = None
        self._external_fault = False
        self.external_error: str | None = None
        self._sample_noise(now)

    # ------------------------------------------------------------ external meter
    @property
    def external(self) -> MeterReading | None:
        """The real meter's last reading while one is the meter of record, else None."""
        return self._external

    def set_external(self, reading: MeterReading | None) -> None:
        """Report ``reading`` from now on (None: back to the simulated physics).

        A reading after ``external_failed`` clears the PowerMeterFailure it raised.
        """
        connector = self._connector
        self.update(connector.station.clock.monotonic())
        was_drawing = self.power_w > 0.0
        self._external = reading
        self.external_error = None
        if reading is not None:
            lines = len(self.voltage_v)
            self.voltage_v[:] = _fit(reading.voltage_v, lines, self.voltage_v)
            self.current_a[:] = _fit(reading.current_a, lines, [0.0] * lines)
            self.power_w = float(reading.power_w)
            if reading.energy_wh is not None:
                # The real register is authoritative (it may start far from zero).
                self.energy_wh = float(reading.energy_wh)
            if reading.temperature_c is not None:
                self.temperature_c = float(reading.temperature_c)
        if self._external_fault:
            self._external_fault = False
            fault = connector.fault
            if fault is not None and fault.name == POWER_METER_FAULT:
                connector.clear_fault()
                return  # clear_fault refreshed and emitted
        if (self.power_w > 0.0) != was_drawing or reading is None:
            # The EV started or stopped drawing: the derived status may change.
            connector._changed("ev_demand")
        else:
            self.refresh()  # no event per sample: samplers read the meter when they need it

    def external_failed(self, reason: str) -> None:
        """The real meter stopped answering: raise PowerMeterFailure on the connector (1.6 §7.6).

        A fault already on the connector is kept (it is at least as serious).
        """
        self.external_error = reason
        connector = self._connector
        if connector.fault is None:
            self._external_fault = True
            connector.raise_fault(POWER_METER_FAULT)

    # ------------------------------------------------------------ integration
    def update(self, now: float) -> None:
        """Integrate energy from the previous update to ``now`` (virtual seconds)."""
        dt = now - self._last
        if dt <= 0:
            return
        self._last = now
        external = self._external
        if external is not None:
            # A real meter: integrate its power only when it has no register of its own.
            if external.energy_wh is None and self.power_w > 0.0:
                self.energy_wh += self.power_w * dt / 3600.0
            return
        if now - self._sampled_at >= 1.0:
            self._sample_noise(now)
        if self.power_w <= 0.0:
            # Idle: nothing flows, only the temperature relaxes towards ambient.
            if self._rise > 0.01:
                self._relax_temperature(dt)
            return
        connector = self._connector
        ev = connector.ev
        # What the station offers does not change within a step: read it once.
        offered = connector.offered_current_a
        reached = False
        if ev is not None:
            was_wanting = ev.wants_energy
            self._integrate(ev, dt, offered)
            reached = was_wanting and not ev.wants_energy
        self.refresh(offered)
        self._relax_temperature(dt)
        if reached:
            connector._changed("ev_target_reached")

    def _integrate(self, ev: Ev, dt: float, offered: float) -> None:
        left = dt
        spec = ev.spec
        capacity = spec.battery_wh
        goal = min(ev.target_soc, 100.0)
        # At most: one flat stretch up to the knee, then one taper stretch.
        for _ in range(3):
            if left <= _EPS:
                return
            _, power, ratio, full_power = self._draw(ev, offered)
            if power <= 0.0:
                return
            soc = ev.soc
            knee = goal if spec.min_taper_fraction >= 1.0 else min(ev.soc_at_factor(ratio), goal)
            if soc < knee - _EPS:
                # Constant power until the taper bites or the target is met.
                to_knee_s = (knee - soc) / 100.0 * capacity / power * 3600.0
                if to_knee_s >= left:
                    wh = power * left / 3600.0
                    self.energy_wh += wh
                    ev.add_energy_wh(wh)
                    return
                self.energy_wh += (knee - soc) / 100.0 * capacity
                ev.soc = knee
                left -= to_knee_s
                continue
            # In the taper P(s) = full_power * (1 - g (s - start)), so
            # ds/dt = rate (s_inf - s): an exponential approach, solved exactly.
            g = (1.0 - spec.min_taper_fraction) / (100.0 - spec.taper_start_soc)
            s_inf = spec.taper_start_soc + 1.0 / g
            rate = full_power * 100.0 / (capacity * 3600.0) * g
            to_goal_s = math.log((s_inf - soc) / (s_inf - goal)) / rate
            if to_goal_s <= left:
                self.energy_wh += (goal - soc) / 100.0 * capacity
                ev.soc = goal  # exactly on target, never past it
                return
            new_soc = s_inf - (s_inf - soc) * math.exp(-rate * left)
            self.energy_wh += (new_soc - soc) / 100.0 * capacity
            ev.soc = new_soc
            return

    def seconds_to_target(self) -> float | None:
        """Virtual seconds until the EV stops asking for energy at the present offer and
        voltages, or None when it draws nothing (or a real meter measures).

        The same two stretches as ``_integrate`` (flat up to the knee, then the exact
        taper), so a station can sleep until then instead of polling; a change of offer,
        EV or fault is an event, after which the caller asks again.
        """
        ev = self._connector.ev
        if ev is None or self._external is not None or not ev.wants_energy:
            return None
        _, power, ratio, full_power = self._draw(ev, self._connector.offered_current_a)
        if power <= 0.0:
            return None
        spec = ev.spec
        capacity = spec.battery_wh
        goal = min(ev.target_soc, 100.0)
        soc = ev.soc
        knee = goal if spec.min_taper_fraction >= 1.0 else min(ev.soc_at_factor(ratio), goal)
        seconds = 0.0
        if soc < knee - _EPS:
            seconds = (knee - soc) / 100.0 * capacity / power * 3600.0
            soc = knee
        if soc >= goal - _EPS:
            return seconds
        g = (1.0 - spec.min_taper_fraction) / (100.0 - spec.taper_start_soc)
        s_inf = spec.taper_start_soc + 1.0 / g
        rate = full_power * 100.0 / (capacity * 3600.0) * g
        return seconds + math.log((s_inf - soc) / (s_inf - goal)) / rate

    def _draw(self, ev: Ev | None, offered: float) -> tuple[float, float, float, float]:
        """(current per line, power, offer / full EV rate, full-rate power) at ``offered``
        amps per phase (the connector's ``offered_current_a``)."""
        none = (0.0, 0.0, 1.0, 0.0)
        if ev is None:
            return none
        if offered <= 0.0 or not ev.wants_energy:
            return none
        template = self._connector.station.template
        volts = self.voltage_v
        if template.current_type == "DC":
            offered_w = min(template.max_power_w, offered * volts[0])
            full = ev.spec.max_dc_power_kw * 1000.0
            if full <= 0.0:
                return none
            power = min(offered_w, ev.demand_power_w())
            return power / volts[0], power, offered_w / full, full
        if offered < ev.spec.min_ac_current_a:
            return none
        phases = template.phases
        full = ev.max_ac_current(template.nominal_voltage_v, phases)
        if full <= 0.0:
            return none
        amps = min(offered, full * ev.taper_factor())
        line_volts = sum(volts[: ev.active_phases(phases)])
        return amps, amps * line_volts, offered / full, full * line_volts

    def refresh(self, offered: float | None = None) -> None:
        """Recompute the instantaneous values for the present state, without advancing time
        (``offered``: the connector's ``offered_current_a``, when the caller has it)."""
        connector = self._connector
        template = connector.station.template
        if offered is None:
            offered = connector.offered_current_a
        self.offered_current_a = offered
        if template.current_type == "DC":
            self.offered_power_w = min(template.max_power_w, offered * template.nominal_voltage_v)
        else:
            self.offered_power_w = offered * template.nominal_voltage_v * template.phases
        if self._external is not None:
            return  # measured values come from the real meter, not the physics
        ev = connector.ev
        amps, power, _, _ = self._draw(ev, offered)
        current = self.current_a
        if template.current_type == "DC" or ev is None:
            current[0] = amps
            for i in range(1, len(current)):
                current[i] = 0.0
        else:
            n = ev.active_phases(template.phases)
            for i in range(len(current)):
                current[i] = amps if i < n else 0.0
        self.power_w = power

    # ------------------------------------------------------------ noise and heat
    def _sample_noise(self, now: float) -> None:
        connector = self._connector
        station = connector.station
        template = station.template
        rnd = station.rng.random
        nominal = template.nominal_voltage_v
        spread = nominal * template.voltage_noise_pct / 100.0
        volts = self.voltage_v
        for i in range(len(volts)):
            volts[i] = round(nominal + spread * (2.0 * rnd() - 1.0), 2)
        self.frequency_hz = round(
            template.frequency_hz + FREQUENCY_NOISE_HZ * (2.0 * rnd() - 1.0), 3
        )
        self._sampled_at = now

    def _relax_temperature(self, dt: float) -> None:
        connector = self._connector
        template = connector.station.template
        rated = connector.hardware_max_a or 1.0
        load = max(self.current_a) / rated
        goal = TEMPERATURE_RISE_K * load * load
        self._rise = goal + (self._rise - goal) * math.exp(-dt / TEMPERATURE_TAU_S)
        self.temperature_c = round(template.ambient_temperature_c + self._rise, 2)


def _fit(values: list[float], lines: int, fallback: list[float]) -> list[float]:
    """``values`` cut or padded to ``lines`` entries (padding from ``fallback``)."""
    out = [float(v) for v in values[:lines]]
    out.extend(float(v) for v in fallback[len(out) : lines])
    return out
