"""Rolling measurement history of one connector for the live graphs (Qt-free).

One row a second per connector: time (virtual epoch seconds), power drawn, the
active limit expressed as power, current per phase (a DC station: the DC current
as the single line), the voltage of the first line (a DC station: its DC output
voltage), the energy of the running session (what the connector card calls
"Session energy"; NaN with no transaction), the meter's energy register and the
EV's state of charge. Rows live in preallocated numpy arrays twice the capacity;
when full, the newer half moves to the front (amortised O(1) appends, slices are
views with no copy).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from bench.facts.station import transaction_view

if TYPE_CHECKING:
    from bench.facts.station import ChargePoint
    from bench.model.connector import Connector

FIELDS = (
    "t",
    "power_kw",
    "limit_kw",
    "i1",
    "i2",
    "i3",
    "voltage_v",
    "session_kwh",
    "energy_kwh",
    "soc",
)
DEFAULT_CAPACITY = 4 * 3600  # four hours of 1 Hz samples: ~1.1 MiB a connector


def limit_kw(connector: Connector) -> float:
    """The limit in force (hardware, cable, smart charging, local) as power in kW."""
    template = connector.station.template
    if template.current_type == "DC":
        return (
            min(template.max_power_w, connector.current_limit_a * template.nominal_voltage_v) / 1e3
        )
    return connector.current_limit_a * template.nominal_voltage_v * template.phases / 1e3


def session_kwh(cp: ChargePoint, connector: Connector) -> float:
    """Energy of the running transaction (register minus its meter start), as on the card."""
    tx = transaction_view(cp, connector)
    if tx is None or tx.meter_start_wh is None:
        return math.nan
    return max(0.0, connector.meter.energy_wh - tx.meter_start_wh) / 1e3


def sample(cp: ChargePoint, connector: Connector, t: float) -> tuple[float, ...]:
    meter = connector.meter
    # Integrating up to now is exact whatever the call rate (bench/model/meter.py), so
    # reading the meter between the core's physics ticks changes no result.
    meter.update(connector.station.clock.monotonic())
    currents = [*meter.current_a[:3], math.nan, math.nan, math.nan][:3]
    ev = connector.ev
    return (
        t,
        meter.power_w / 1e3,
        limit_kw(connector),
        *currents,
        meter.voltage_v[0] if meter.voltage_v else math.nan,
        session_kwh(cp, connector),
        meter.energy_wh / 1e3,
        ev.soc if ev is not None else math.nan,
    )


_INITIAL_COLUMNS = 64


class SampleBuffer:
    __slots__ = ("_data", "_n", "capacity")

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 2:
            raise ValueError("capacity must be at least 2")
        self.capacity = capacity
        # Grows on demand up to twice the capacity: 1,000 stations must not each
        # reserve megabytes for graphs nobody looks at yet.
        self._data = np.full((len(FIELDS), min(_INITIAL_COLUMNS, 2 * capacity)), np.nan)
        self._n = 0

    def __len__(self) -> int:
        return min(self._n, self.capacity)

    def append(self, row: tuple[float, ...]) -> None:
        width = self._data.shape[1]
        if self._n == width and width < 2 * self.capacity:
            grown = np.full((len(FIELDS), min(2 * width, 2 * self.capacity)), np.nan)
            grown[:, : self._n] = self._data[:, : self._n]
            self._data = grown
        if self._n == self._data.shape[1]:
            keep = self.capacity - 1
            self._data[:, :keep] = self._data[:, self._n - keep : self._n]
            self._n = keep
        self._data[:, self._n] = row
        self._n += 1

    def column(self, name: str, since: float | None = None) -> np.ndarray:
        """The last ``capacity`` values of ``name`` (only rows with t >= since)."""
        start = max(0, self._n - self.capacity)
        if since is not None and self._n:
            t = self._data[0, start : self._n]
            start += int(np.searchsorted(t, since, side="left"))
        return self._data[FIELDS.index(name), start : self._n]

    def last(self, name: str) -> float:
        if not self._n:
            return math.nan
        return float(self._data[FIELDS.index(name), self._n - 1])
