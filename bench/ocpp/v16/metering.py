"""Turn a connector's meter into OCPP 1.6 MeterValue elements (1.6 §7.31, §7.45, §9.1.17).

A configured item is a measurand with an optional phase suffix
(``Current.Import.L2``); a measurand without a suffix is reported per phase
where the quantity is per phase (current, voltage on AC) and as a total
otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from bench.ocpp.common.timestamps import iso
from bench.ocpp.v16.config import MEASURANDS

if TYPE_CHECKING:
    from bench.model.connector import Connector

_PHASE_NAMES = ("L1", "L2", "L3")


def split_item(item: str) -> tuple[str, str | None]:
    if item in MEASURANDS:
        return item, None
    base, _, phase = item.rpartition(".")
    return base, phase


def _num(value: float, digits: int = 1) -> str:
    if digits == 1:
        return f"{value:.1f}"  # a fixed format spec is parsed once, not per value
    return f"{value:.{digits}f}"


def sampled_values(
    connector: Connector, items: Iterable[str], context: str
) -> list[dict[str, Any]]:
    """The sampledValue list for ``items`` as measured on ``connector`` right now."""
    meter = connector.meter
    ac = connector.station.template.current_type == "AC"
    phases = len(meter.current_a) if ac else 0
    out: list[dict[str, Any]] = []
    for item in items:
        measurand, phase = split_item(item)
        out.extend(_measure(connector, meter, measurand, phase, ac, phases, context))
    return out


def _sv(
    value: str,
    measurand: str,
    unit: str | None,
    context: str,
    phase: str | None = None,
    location: str | None = None,
) -> dict[str, Any]:
    return {"value": value, **_labels(measurand, unit, context, phase, location)}


@cache
def _labels(
    measurand: str, unit: str | None, context: str, phase: str | None, location: str | None
) -> dict[str, str]:
    # Every sample of every station repeats a few dozen label sets: made once each
    # (issue 15); copied into each sampled value, never edited.
    labels = {"context": context, "measurand": measurand}
    if unit:
        labels["unit"] = unit
    if phase is not None:
        labels["phase"] = phase
    if location is not None:
        labels["location"] = location
    return labels


def _phase_list(phase: str | None, phases: int) -> list[int]:
    if phase is None:
        return list(range(phases))
    name = phase.split("-")[0]
    return [_PHASE_NAMES.index(name)] if name in _PHASE_NAMES[:phases] else []


def _measure(
    connector: Connector,
    meter: Any,
    measurand: str,
    phase: str | None,
    ac: bool,
    phases: int,
    context: str,
) -> list[dict[str, Any]]:
    if measurand == "Energy.Active.Import.Register":
        return [_sv(str(int(meter.energy_wh)), measurand, "Wh", context, location="Outlet")]
    if measurand == "Power.Active.Import":
        return [_sv(_num(meter.power_w), measurand, "W", context, location="Outlet")]
    if measurand == "Power.Offered":
        return [_sv(_num(meter.offered_power_w), measurand, "W", context, location="Outlet")]
    if measurand == "Current.Offered":
        return [_sv(_num(connector.offered_current_a), measurand, "A", context, location="Outlet")]
    if measurand == "Current.Import":
        if not ac:
            total = meter.current_a[0] if meter.current_a else 0.0
            return [_sv(_num(total), measurand, "A", context, location="Outlet")]
        return [
            _sv(
                _num(meter.current_a[i]),
                measurand,
                "A",
                context,
                phase=_PHASE_NAMES[i],
                location="Outlet",
            )
            for i in _phase_list(phase, phases)
        ]
    if measurand == "Voltage":
        if not ac:
            return [_sv(_num(meter.voltage_v[0]), measurand, "V", context, location="Outlet")]
        return [
            _sv(
                _num(meter.voltage_v[i]),
                measurand,
                "V",
                context,
                phase=f"{_PHASE_NAMES[i]}-N",
                location="Outlet",
            )
            for i in _phase_list(phase, phases)
        ]
    if measurand == "SoC":
        ev = connector.ev
        if ev is None:
            return []
        return [_sv(_num(ev.soc, 0), measurand, "Percent", context, location="EV")]
    if measurand == "Temperature":
        return [_sv(_num(meter.temperature_c), measurand, "Celsius", context, location="Body")]
    if measurand == "Frequency":
        # Frequency has no unit in the 1.6 UnitOfMeasure enum: Hz is implied.
        return [_sv(_num(meter.frequency_hz, 2), measurand, None, context)]
    if measurand == "Power.Factor":
        return [_sv("1.00", measurand, None, context)]
    # Export, reactive and RPM quantities: a unidirectional AC/DC charger measures zero.
    unit = _ZERO_UNITS.get(measurand)
    return [_sv("0", measurand, unit, context)]


_ZERO_UNITS = {
    "Energy.Active.Export.Register": "Wh",
    "Energy.Reactive.Export.Register": "varh",
    "Energy.Reactive.Import.Register": "varh",
    "Energy.Active.Export.Interval": "Wh",
    "Energy.Reactive.Export.Interval": "varh",
    "Energy.Reactive.Import.Interval": "varh",
    "Power.Active.Export": "W",
    "Power.Reactive.Export": "var",
    "Power.Reactive.Import": "var",
    "Current.Export": "A",
    "RPM": None,
}


def meter_value(ts: datetime, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {"timestamp": iso(ts), "sampledValue": values}
