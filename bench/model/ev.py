"""The simulated electric vehicle: a battery that asks for less as it fills.

Charging curve: the EV asks for its full rate (AC current per phase, or DC
power) up to ``taper_start_soc``, then linearly less down to
``min_taper_fraction`` of the full rate at 100 % SoC, and nothing once it
reaches ``target_soc`` or when it suspends itself.

Losses are ignored: every Wh the station's meter counts goes into the battery,
so SoC rises by ``energy / battery capacity``. This keeps the meter register and
the SoC telling the same story in tests and on the CSMS side.

An ``Ev`` plugged into a connector tells that connector about changes it makes
itself (suspend, resume, SoC edits) so the connector can integrate the energy up
to the moment of the change and emit an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.model.connector import Connector

# IEC 61851-1: a pilot duty cycle below 6 A means "no charging allowed".
IEC_MIN_AC_CURRENT_A = 6.0

# What an ISO 15118 EV asks of a station that lets it get a contract certificate
# (Plug and Charge): a new contract, an update of the one it holds, or nothing.
CONTRACT_REQUESTS = ("install", "update", "none")


@dataclass(frozen=True, slots=True)
class EvSpec:
    name: str
    battery_kwh: float
    max_ac_current_a: float  # per phase
    ac_phases: int  # 1 or 3
    max_dc_power_kw: float = 0.0  # 0 for an AC-only vehicle
    taper_start_soc: float = 80.0
    min_taper_fraction: float = 0.1
    initial_soc: float = 20.0
    target_soc: float = 100.0
    # Rating of the vehicle's own cable, used on socket outlets (None: no limit).
    cable_max_a: float | None = None
    # The EV refuses to charge on AC below this offered current (IEC 61851-1).
    min_ac_current_a: float = IEC_MIN_AC_CURRENT_A
    # Onboard charger power cap (None: only the current limit applies).
    max_ac_power_kw: float | None = None
    # The EV speaks ISO 15118 high-level communication: it tells the station its charging
    # needs and follows a schedule (OCPP 2.0.1 K15-K17); 1.6 stations ignore it.
    iso15118: bool = False
    # ISO 15118 EVs: what the EV asks for its contract certificate when the station
    # offers contract certificate installation. "install": a new contract (as an EV
    # told to install one, or one with none yet); "update": the contract it holds is
    # due for renewal; "none": it keeps the valid contract it holds. Whatever it asks,
    # it holds a contract it can use when the station offers no installation.
    contract_request: str = "install"
    description: str = ""

    def __post_init__(self) -> None:
        if self.battery_kwh <= 0:
            raise ValueError(f"EV {self.name!r}: battery_kwh must be positive")
        if self.ac_phases not in (1, 2, 3):
            raise ValueError(f"EV {self.name!r}: ac_phases must be 1, 2 or 3")
        if self.max_ac_current_a < 0 or self.max_dc_power_kw < 0:
            raise ValueError(f"EV {self.name!r}: maximum rates must not be negative")
        if not 0 <= self.taper_start_soc < 100:
            raise ValueError(f"EV {self.name!r}: taper_start_soc must be in [0, 100)")
        # A zero floor would make the last percent take forever (the rate tends to 0).
        if not 0.01 <= self.min_taper_fraction <= 1:
            raise ValueError(f"EV {self.name!r}: min_taper_fraction must be in [0.01, 1]")
        if self.contract_request not in CONTRACT_REQUESTS:
            raise ValueError(
                f"EV {self.name!r}: contract_request must be one of {', '.join(CONTRACT_REQUESTS)}"
            )
        for field_name in ("initial_soc", "target_soc"):
            if not 0 <= getattr(self, field_name) <= 100:
                raise ValueError(f"EV {self.name!r}: {field_name} must be in [0, 100]")

    @property
    def battery_wh(self) -> float:
        return self.battery_kwh * 1000.0

    @property
    def dc_capable(self) -> bool:
        return self.max_dc_power_kw > 0


class Ev:
    __slots__ = ("_connector", "soc", "spec", "suspended", "target_soc")

    def __init__(
        self, spec: EvSpec, soc: float | None = None, target_soc: float | None = None
    ) -> None:
        self.spec = spec
        self.soc = float(spec.initial_soc if soc is None else soc)
        self.target_soc = float(spec.target_soc if target_soc is None else target_soc)
        self.suspended = False
        self._connector: Connector | None = None
        _check_pct("soc", self.soc)
        _check_pct("target_soc", self.target_soc)

    def __repr__(self) -> str:
        return f"Ev({self.spec.name!r}, soc={self.soc:.1f}, target={self.target_soc:.0f})"

    # ------------------------------------------------------------ physics
    @property
    def wants_energy(self) -> bool:
        return not self.suspended and self.soc < self.target_soc and self.soc < 100.0

    def taper_factor(self, soc: float | None = None) -> float:
        """Fraction of the full rate the EV asks for at ``soc`` (1 below the taper)."""
        s = self.soc if soc is None else soc
        start = self.spec.taper_start_soc
        if s <= start:
            return 1.0
        floor = self.spec.min_taper_fraction
        return 1.0 - (1.0 - floor) * min(1.0, (s - start) / (100.0 - start))

    def soc_at_factor(self, factor: float) -> float:
        """The SoC from which the EV asks for less than ``factor`` of its full rate."""
        start = self.spec.taper_start_soc
        floor = self.spec.min_taper_fraction
        if factor >= 1.0:
            return start
        if factor <= floor:
            return 100.0
        return start + (1.0 - factor) / (1.0 - floor) * (100.0 - start)

    def active_phases(self, station_phases: int) -> int:
        """How many of the station's phases the onboard charger uses."""
        return min(self.spec.ac_phases, station_phases)

    def max_ac_current(self, voltage_v: float, phases: int) -> float:
        """Full-rate AC current per phase on ``phases`` phases at ``voltage_v``."""
        amps = self.spec.max_ac_current_a
        cap_kw = self.spec.max_ac_power_kw
        n = self.active_phases(phases)
        if cap_kw is not None and voltage_v > 0 and n > 0:
            amps = min(amps, cap_kw * 1000.0 / (voltage_v * n))
        return amps

    def demand_current_a(self, voltage_v: float, phases: int) -> float:
        """AC current per phase the EV asks for now (0 when it wants nothing)."""
        if not self.wants_energy:
            return 0.0
        return self.max_ac_current(voltage_v, phases) * self.taper_factor()

    def demand_power_w(self) -> float:
        """DC power the EV asks for now (0 for AC-only vehicles or when full)."""
        if not self.wants_energy:
            return 0.0
        return self.spec.max_dc_power_kw * 1000.0 * self.taper_factor()

    def energy_to_target_wh(self) -> float:
        goal = min(self.target_soc, 100.0)
        return max(0.0, (goal - self.soc) / 100.0 * self.spec.battery_wh)

    def add_energy_wh(self, wh: float) -> None:
        """Store ``wh`` in the battery (no losses), never beyond 100 %."""
        if wh > 0:
            self.soc = min(100.0, self.soc + wh / self.spec.battery_wh * 100.0)

    # ------------------------------------------------------------ user verbs
    def suspend(self) -> None:
        """The EV pauses charging on its own side (1.6: SuspendedEV)."""
        if not self.suspended:
            self._apply("ev_suspended", "suspended", True)

    def resume(self) -> None:
        if self.suspended:
            self._apply("ev_resumed", "suspended", False)

    def set_soc(self, pct: float) -> None:
        _check_pct("soc", pct)
        self._apply_demand_change("soc", float(pct))

    def set_target_soc(self, pct: float) -> None:
        _check_pct("target_soc", pct)
        self._apply_demand_change("target_soc", float(pct))

    def _apply_demand_change(self, attr: str, value: float) -> None:
        before = self.wants_energy
        connector = self._connector
        if connector is not None:
            connector._settle()
        setattr(self, attr, value)
        after = self.wants_energy
        if connector is not None:
            if after and not before:
                reason = "ev_demand"
            elif before and not after:
                reason = "ev_target_reached"
            else:
                reason = "ev_soc"
            connector._changed(reason)

    def _apply(self, reason: str, attr: str, value: object) -> None:
        connector = self._connector
        if connector is not None:
            connector._settle()  # integrate up to now at the old state
        setattr(self, attr, value)
        if connector is not None:
            connector._changed(reason)


def _check_pct(name: str, pct: float) -> None:
    if not 0 <= pct <= 100:
        raise ValueError(f"{name} must be within 0..100 %, got {pct}")
