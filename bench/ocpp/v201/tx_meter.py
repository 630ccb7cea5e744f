"""Turn a connector's meter into 2.0.1 MeterValueType elements (part 2 §2.x, J01, J02).

2.0.1 differs from 1.6 in the shape of a SampledValue: ``value`` is a number and the
unit travels in ``unitOfMeasure``; ``Temperature`` is no measurand any more (the
device model reports it). A measurand configured without a phase is reported per
phase where the quantity is per phase on AC (current, voltage), as a total otherwise
(J01.FR.10, J01.FR.11: phases from the meter's point of view).

``Interval`` measurands are the energy since the previous reading of the same
measurand on the same EVSE, so every periodic, clock-aligned or end-of-transaction
reading covers exactly the time since the one before (``Sampler`` keeps that state).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench.ocpp.v16.metering import iso
from bench.ocpp.v201.dm_seed import MEASURANDS

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.station import Station

_PHASES = ("L1", "L2", "L3")
# Zero-valued quantities of a unidirectional charger, with their units.
_ZERO_UNITS = {
    "Current.Export": "A",
    "Energy.Active.Export.Register": "Wh",
    "Energy.Reactive.Export.Register": "varh",
    "Energy.Reactive.Import.Register": "varh",
    "Energy.Active.Export.Interval": "Wh",
    "Energy.Reactive.Export.Interval": "varh",
    "Energy.Reactive.Import.Interval": "varh",
    "Energy.Reactive.Net": "varh",
    "Energy.Apparent.Export": "VAh",
    "Power.Active.Export": "W",
    "Power.Reactive.Export": "var",
    "Power.Reactive.Import": "var",
}


def measurand_list(text: str | None) -> list[str]:
    """A comma-separated *Measurands value as a list of known measurands, in order."""
    if not text:
        return []
    return [m for m in (part.strip() for part in text.split(",")) if m in MEASURANDS]


def meter_value(ts: datetime, values: list[dict[str, Any]]) -> dict[str, Any]:
    """MeterValueType: one timestamp for all its sampled values (J01.FR.17, J02.FR.18)."""
    return {"timestamp": iso(ts), "sampledValue": values}


def _sv(
    value: float,
    measurand: str,
    unit: str | None,
    context: str,
    location: str | None = "Outlet",
    phase: str | None = None,
) -> dict[str, Any]:
    sv: dict[str, Any] = {"value": round(value, 3), "context": context, "measurand": measurand}
    if location:
        sv["location"] = location
    if phase:
        sv["phase"] = phase
    if unit:
        sv["unitOfMeasure"] = {"unit": unit}
    return sv


class Sampler:
    """Builds sampled values for one station; remembers registers for Interval measurands."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        # (evse id, measurand) -> register (Wh) at the previous Interval reading.
        self._last: dict[tuple[int, str], float] = {}

    def reset(self, evse_id: int, register_wh: float) -> None:
        """Start Interval measurands afresh (a transaction begins)."""
        for key in [k for k in self._last if k[0] == evse_id]:
            self._last[key] = register_wh

    def values(
        self, connector: Connector, measurands: Iterable[str], context: str
    ) -> list[dict[str, Any]]:
        """The sampledValue list for ``measurands`` as measured on ``connector`` right now."""
        out: list[dict[str, Any]] = []
        for measurand in measurands:
            out.extend(self._measure(connector, measurand, context))
        return out

    def station_values(
        self, station: Station, measurands: Iterable[str], context: str
    ) -> list[dict[str, Any]]:
        """EVSE 0: the station's main meter at the grid connection (J01.FR.03/04, Inlet)."""
        out: list[dict[str, Any]] = []
        energy = sum(c.meter.energy_wh for c in station.connectors)
        power = sum(c.meter.power_w for c in station.connectors)
        for measurand in measurands:
            if measurand in ("Energy.Active.Import.Register", "Energy.Active.Net"):
                out.append(_sv(float(int(energy)), measurand, "Wh", context, "Inlet"))
            elif measurand == "Energy.Active.Import.Interval":
                out.append(
                    _sv(self._interval(0, measurand, energy), measurand, "Wh", context, "Inlet")
                )
            elif measurand == "Power.Active.Import":
                out.append(_sv(power, measurand, "W", context, "Inlet"))
            elif measurand == "Frequency" and station.connectors:
                hz = station.connectors[0].meter.frequency_hz
                out.append(_sv(hz, measurand, "Hz", context, "Inlet"))
        return out

    def _interval(self, evse_id: int, measurand: str, register: float) -> float:
        key = (evse_id, measurand)
        before = self._last.get(key, register)
        self._last[key] = register
        return max(0.0, float(int(register) - int(before)))

    def _measure(self, connector: Connector, measurand: str, context: str) -> list[dict[str, Any]]:
        meter = connector.meter
        ac = connector.station.template.current_type == "AC"
        lines = len(meter.current_a) if ac else 0
        if measurand in ("Energy.Active.Import.Register", "Energy.Active.Net"):
            return [_sv(float(int(meter.energy_wh)), measurand, "Wh", context)]
        if measurand in ("Energy.Apparent.Import", "Energy.Apparent.Net"):
            # Unity power factor: apparent energy equals active energy.
            return [_sv(float(int(meter.energy_wh)), measurand, "VAh", context)]
        if measurand == "Energy.Active.Import.Interval":
            value = self._interval(connector.id, measurand, meter.energy_wh)
            return [_sv(value, measurand, "Wh", context)]
        if measurand == "Power.Active.Import":
            return [_sv(meter.power_w, measurand, "W", context)]
        if measurand == "Power.Offered":
            return [_sv(meter.offered_power_w, measurand, "W", context)]
        if measurand == "Current.Offered":
            return [_sv(connector.offered_current_a, measurand, "A", context)]
        if measurand == "Current.Import":
            if not ac:
                amps = meter.current_a[0] if meter.current_a else 0.0
                return [_sv(amps, measurand, "A", context)]
            return [
                _sv(meter.current_a[i], measurand, "A", context, phase=_PHASES[i])
                for i in range(lines)
            ]
        if measurand == "Voltage":
            if not ac:
                return [_sv(meter.voltage_v[0], measurand, "V", context)]
            return [
                _sv(meter.voltage_v[i], measurand, "V", context, phase=f"{_PHASES[i]}-N")
                for i in range(lines)
            ]
        if measurand == "SoC":
            ev = connector.ev
            if ev is None:
                return []  # no EV, no state of charge to report
            return [_sv(round(ev.soc), measurand, "Percent", context, "EV")]
        if measurand == "Frequency":
            return [_sv(meter.frequency_hz, measurand, "Hz", context, None)]
        if measurand == "Power.Factor":
            return [_sv(1.0, measurand, None, context)]
        return [_sv(0.0, measurand, _ZERO_UNITS.get(measurand), context)]
