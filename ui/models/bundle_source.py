"""A bundle dressed as a station for the views the live stations use (graphs, cards).

``LiveGraphs`` reads a station bridge's connectors, template and sample buffers;
``BundleSource`` gives it the same from a recorded session: the connectors (or
EVSEs) the frames name, the template the bundle carries (or AC with the phases
the meter values show), and buffers filled from the meter trace. Nothing here
changes after it is built: a bundle is read-only.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal

from bench.bundle.format import Bundle
from bench.bundle.summary import ConnectorState, MeterRow, connector_states, meter_rows
from ui.models.samples import DEFAULT_CAPACITY, SampleBuffer
from ui.models.station_shape import ConnectorShape, StationShape, TemplateShape


class BundleSource(QObject):
    sampled = Signal()  # never emitted: the recording does not grow
    changed = Signal()

    def __init__(self, bundle: Bundle, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bundle = bundle
        self.station_id = bundle.station
        rows = meter_rows(bundle.frames)
        self.states: list[ConnectorState] = connector_states(bundle.frames)
        places = sorted({*rows, *(s.place for s in self.states)}) or [1]
        self.station = StationShape(
            tuple(ConnectorShape(place) for place in places), _template(bundle, rows)
        )
        self.samples: dict[int, SampleBuffer] = {}
        for place in places:
            mine = rows.get(place, [])
            buffer = SampleBuffer(max(DEFAULT_CAPACITY, len(mine)))
            for row in mine:
                buffer.append(_sample(row))
            self.samples[place] = buffer


def _sample(row: MeterRow) -> tuple[float, ...]:
    # The column order of ui.models.samples.FIELDS.
    return (
        row.t,
        row.power_kw,
        row.limit_kw,
        *row.currents,
        row.voltage_v,
        row.session_kwh,
        row.energy_kwh,
        row.soc,
    )


def _template(bundle: Bundle, rows: dict[int, list[MeterRow]]) -> TemplateShape:
    template = bundle.template or {}
    if "current_type" in template:
        return TemplateShape(str(template["current_type"]), int(template.get("phases") or 1))
    # A proxied charger has no template: as many phases as its meter values report.
    phases = max(
        (sum(not math.isnan(i) for i in row.currents) for mine in rows.values() for row in mine),
        default=1,
    )
    return TemplateShape("AC", max(1, phases))
