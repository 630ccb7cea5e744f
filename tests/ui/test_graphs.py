"""Live graphs: distinguishable phases, power and limit as steps, cheap redraws."""

from __future__ import annotations

import math
import time
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QObject, Qt, Signal

from ui.models.samples import SampleBuffer
from ui.views.graphs import PHASES, LiveGraphs

T0 = 1_700_000_000.0


class FakeBridge(QObject):
    """The part of a StationBridge the graphs read: samples, the station's shape, a signal."""

    sampled = Signal()

    def __init__(self, phases: int = 3, current_type: str = "AC", capacity: int = 4 * 3600):
        super().__init__()
        self.station = SimpleNamespace(
            connectors=[SimpleNamespace(id=1)],
            template=SimpleNamespace(phases=phases, current_type=current_type),
        )
        self.samples = {1: SampleBuffer(capacity)}

    def add(self, t: float, power: float, limit: float, amps: tuple[float, float, float]):
        self.samples[1].append((t, power, limit, *amps, power * t / 3600.0 % 50, 40.0))


@pytest.fixture
def graphs(qtbot):
    widget = LiveGraphs()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def charging_under_a_step(bridge: FakeBridge, step_at: float = 120.0, every: float = 30.0):
    """Sparse samples (virtual time): 11 kW at 16 A, then a limit of 6.9 kW at 10 A."""
    t = T0
    while t <= T0 + 300:
        limited = t >= T0 + step_at
        kw = 6.9 if limited else 11.0
        amps = 10.0 if limited else 16.0
        bridge.add(t, kw, 6.9 if limited else 11.04, (amps, amps, amps))
        t += every


def test_the_three_phases_differ_in_colour_dash_and_width_and_are_drawn_widest_first(graphs):
    """Equal phase currents must stay visible: an L1 band, L2 long and L3 short dashes on it."""
    pens = [graphs.curves[f"i{i}"].opts["pen"] for i in (1, 2, 3)]
    assert len({p.color().name() for p in pens}) == 3
    patterns = [(p.style(), tuple(p.dashPattern()) if p.style() != Qt.PenStyle.SolidLine else ())
                for p in pens]  # fmt: skip
    assert patterns[0] == (Qt.PenStyle.SolidLine, ())
    assert len(set(patterns)) == 3
    # L3's dashes fall into L2's gaps when the lines coincide: same period, shifted.
    l2, l3 = pens[1], pens[2]
    assert sum(l2.dashPattern()) == sum(l3.dashPattern()) and l2.widthF() == l3.widthF()
    period = sum(l2.dashPattern())
    l3_starts = (period - l3.dashOffset()) % period  # where along the line L3's dash begins
    assert l2.dashPattern()[0] <= l3_starts and l3_starts + l3.dashPattern()[0] <= period
    assert pens[0].widthF() >= 2 * pens[1].widthF()
    z = [graphs.curves[f"i{i}"].zValue() for i in (1, 2, 3)]
    assert z == sorted(z) and len(set(z)) == 3  # the wide band below, the dashes on top
    legend = graphs.plots["current"].legend
    assert [label.text for _sample, label in legend.items] == ["L1", "L2", "L3"]


def test_a_phase_check_box_hides_and_shows_that_phase(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    graphs.phase_boxes["L2"].setChecked(False)
    assert not graphs.curves["i2"].isVisible()
    assert graphs.curves["i1"].isVisible() and graphs.curves["i3"].isVisible()
    graphs.show_phase("L2", True)
    assert graphs.curves["i2"].isVisible() and graphs.phase_boxes["L2"].isChecked()


def test_single_phase_and_dc_stations_offer_no_l2_l3(graphs):
    bridge = FakeBridge(phases=1)
    bridge.add(T0, 3.6, 7.4, (16.0, math.nan, math.nan))
    graphs.set_bridge(bridge)
    assert graphs.phase_boxes["L1"].isEnabled()
    assert not graphs.phase_boxes["L2"].isEnabled() and not graphs.phase_boxes["L3"].isEnabled()
    x, _y = graphs.curves["i2"].getData()
    assert x is None or len(x) == 0


def _path_points(item) -> list[tuple[float, float]]:
    path = item.curve.getPath()
    return [(path.elementAt(i).x, path.elementAt(i).y) for i in range(path.elementCount())]


@pytest.mark.parametrize("name", ["power_kw", "limit_kw", "i1"])
def test_power_limit_and_current_are_sample_and_hold_steps_not_ramps(graphs, name):
    """A limit change reads as a vertical step at the sample that saw it, even 30 s apart."""
    bridge = FakeBridge()
    charging_under_a_step(bridge, step_at=120.0, every=30.0)
    graphs.window_box.setCurrentIndex(4)  # All
    graphs.set_bridge(bridge)
    curve = graphs.curves[name]
    assert curve.opts["stepMode"] == "right"
    points = _path_points(curve)
    step_x = T0 + 120.0
    at_step = sorted(y for x, y in points if x == pytest.approx(step_x))
    high, low = {"power_kw": (11.0, 6.9), "limit_kw": (11.04, 6.9), "i1": (16.0, 10.0)}[name]
    assert pytest.approx(low) in at_step and pytest.approx(high) in at_step  # vertical edge
    # Nothing between two samples lies between the two levels: no ramp.
    inside = [y for x, y in points if T0 + 90 < x < T0 + 120]
    assert all(y == pytest.approx(high) for y in inside)


def test_the_readout_gives_every_phase_and_the_value_in_force_under_the_cursor(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    text = graphs.read_at(T0 + 130.0)  # between the 120 s and 150 s samples: the 120 s one
    for phase in PHASES:
        assert f"<b>{phase.name}</b> 10.0 A" in text
    assert "P <b>6.90</b> kW" in text
    assert graphs._crosshairs[0].value() == T0 + 120.0


def test_axes_do_not_auto_range_and_the_y_range_holds_while_the_peak_holds(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    for plot in graphs.plots.values():
        assert plot.vb.state["autoRange"] == [False, False]
    top = graphs.plots["power"].vb.viewRange()[1][1]
    assert top == pytest.approx(12.0)  # 11.04 kW x 1.08 rounded up to a nice 12
    bridge.add(T0 + 330, 6.9, 6.9, (10.0, 10.0, 10.0))
    graphs.redraw()
    assert graphs.plots["power"].vb.viewRange()[1][1] == top
    assert graphs.plots["power"].vb.viewRange()[0][1] == pytest.approx(T0 + 330)


def test_hidden_graphs_skip_redraws_and_catch_up_when_shown(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    before = graphs.redraws
    graphs.hide()
    bridge.sampled.emit()
    assert graphs.redraws == before
    graphs.show()
    assert graphs.redraws == before + 1


def test_a_redraw_of_four_hours_of_samples_stays_cheap(graphs):
    """Issue 4: plot updates under 10 % of one core; at 1 Hz that is 100 ms a redraw+paint.

    The worst case: the "All" window over a full buffer (four hours of 1 Hz samples).
    Typically ~25 ms here (peak downsampling to one bin a pixel, clipping to the view).
    """
    bridge = FakeBridge()
    for i in range(4 * 3600):
        amps = 16.0 if i < 7200 else 10.0
        bridge.add(T0 + i, amps * 0.69, 11.04, (amps, amps, amps))
    graphs.window_box.setCurrentIndex(4)  # All: the worst case
    graphs.set_bridge(bridge)
    graphs.repaint()
    timings = []
    for i in range(5):
        bridge.add(T0 + 4 * 3600 + i, 6.9, 6.9, (10.0, 10.0, 10.0))
        started = time.perf_counter()
        graphs.redraw()
        graphs.canvas.viewport().repaint()
        timings.append(time.perf_counter() - started)
    assert sorted(timings)[len(timings) // 2] < 0.1, timings
