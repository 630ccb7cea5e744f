"""ProxiedSource: a proxied charger's reports as graph rows, kept across reconnects."""

from __future__ import annotations

import math
from types import SimpleNamespace

from bench.proxy.observed import ObservedStation
from ui.models.proxied_source import ProxiedSource


def _meter_values(station: str, t: str, power_w: float, amps: tuple[float, ...]):
    from bench.kernel.frames import FrameRecord

    sampled = [{"measurand": "Power.Active.Import", "unit": "W", "value": str(power_w)}]
    for phase, current in zip(("L1", "L2", "L3"), amps, strict=False):
        sampled.append({"measurand": "Current.Import", "phase": phase, "value": str(current)})
    payload = {"connectorId": 1, "meterValue": [{"timestamp": t, "sampledValue": sampled}]}
    return FrameRecord(0.0, station, "tx", "CALL", "m", "MeterValues", payload, True)


def _link(observed: ObservedStation):
    # The parts of a ProxiedStation a source reads.
    return SimpleNamespace(observed=observed, subprotocol="ocpp1.6")


def test_a_proxied_source_keeps_its_graph_rows_across_a_reconnect_in_time_order(qtbot):
    """1.6 §4.7 MeterValues: power and current per phase; a reconnect's fresh reports
    continue the same trace, and a report older than the last shown is not drawn back."""
    source = ProxiedSource("LAB")
    first = ObservedStation("LAB")
    first.record(_meter_values("LAB", "2026-01-01T10:00:00Z", 7000, (10.0,)))
    first.record(_meter_values("LAB", "2026-01-01T10:00:10Z", 7400, (10.5,)))
    source.follow(None, _link(first))
    assert source.connected and source.version == "1.6"
    assert len(source.samples[1]) == 2
    assert source.station.template.phases == 1
    source.follow(None, None)
    assert not source.connected

    again = ObservedStation("LAB")  # the charger came back: a fresh observer
    again.record(_meter_values("LAB", "2026-01-01T10:00:20Z", 11000, (16.0, 16.0, 16.0)))
    again.record(_meter_values("LAB", "2026-01-01T10:00:05Z", 1, (1.0,)))  # late, older
    again.record(_meter_values("LAB", "2026-01-01T10:00:30Z", 11000, (16.0, 16.0, 16.0)))
    source.follow(None, _link(again))
    buffer = source.samples[1]
    t = list(buffer.column("t"))
    assert len(t) == 4 and t == sorted(t)
    assert list(buffer.column("power_kw")) == [7.0, 7.4, 11.0, 11.0]
    assert source.station.template.phases == 3  # L2 and L3 reported now
    assert math.isnan(buffer.column("i2")[0]) and buffer.column("i3")[-1] == 16.0
