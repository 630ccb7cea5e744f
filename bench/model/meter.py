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
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.ev import Ev

TEMPERATURE_RISE_K = 15.0
TEMPERATURE_TAU_S = 600.0
FREQUENCY_NOISE_HZ = 0.02
_EPS = 1e-9


class Meter:
    __slots__ = (
        "_connector",
        "_last",
        "_rise",
        "_sampled_at",
        "current_a",
        "energy_wh",
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
        self._sample_noise(now)

    # ------------------------------------------------------------ integration
    def update(self, now: float) -> None:
        """Integrate energy from the previous update to ``now`` (virtual seconds)."""
        dt = now - self._last
        if dt <= 0:
            return
        self._last = now
        if now - self._sampled_at >= 1.0:
            self._sample_noise(now)
        if self.power_w <= 0.0:
            # Idle: nothing flows, only the temperature relaxes towards ambient.
            if self._rise > 0.01:
                self._relax_temperature(dt)
            return
        connector = self._connector
        ev = connector.ev
        reached = False
        if ev is not None:
            was_wanting = ev.wants_energy
            self._integrate(ev, dt)
            reached = was_wanting and not ev.wants_energy
        self.refresh()
        self._relax_temperature(dt)
        if reached:
            connector._changed("ev_target_reached")

    def _integrate(self, ev: Ev, dt: float) -> None:
        left = dt
        spec = ev.spec
        capacity = spec.battery_wh
        goal = min(ev.target_soc, 100.0)
        # At most: one flat stretch up to the knee, then one taper stretch.
        for _ in range(3):
            if left <= _EPS:
                return
            _, power, ratio, full_power = self._draw(ev)
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

    def _draw(self, ev: Ev | None) -> tuple[float, float, float, float]:
        """(current per line, power, offer / full EV rate, full-rate power) right now."""
        none = (0.0, 0.0, 1.0, 0.0)
        if ev is None:
            return none
        connector = self._connector
        offered = connector.offered_current_a
        if offered <= 0.0 or not ev.wants_energy:
            return none
        template = connector.station.template
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

    def refresh(self) -> None:
        """Recompute the instantaneous values for the present state, without advancing time."""
        connector = self._connector
        template = connector.station.template
        offered = connector.offered_current_a
        self.offered_current_a = offered
        if template.current_type == "DC":
            self.offered_power_w = min(template.max_power_w, offered * template.nominal_voltage_v)
        else:
            self.offered_power_w = offered * template.nominal_voltage_v * template.phases
        ev = connector.ev
        amps, power, _, _ = self._draw(ev)
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
