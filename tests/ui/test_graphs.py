"""Live graphs: a readout under the mouse, honest phases, legends off the data, cheap redraws."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QObject, QPoint, QPointF, QRectF, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtTest import QTest

from ui.models.samples import FIELDS, SampleBuffer
from ui.views.graphs import PHASE_NAMES, LiveGraphs

T0 = 1_700_000_000.0
NAN = math.nan


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

    def add(
        self,
        t: float,
        power: float,
        limit: float,
        amps: tuple[float, float, float],
        *,
        volts: float = 230.0,
        session: float = 0.0,
        register: float = 850.0,
        soc: float = 40.0,
    ):
        row = dict(
            t=t,
            power_kw=power,
            limit_kw=limit,
            i1=amps[0],
            i2=amps[1],
            i3=amps[2],
            voltage_v=volts,
            session_kwh=session,
            energy_kwh=register,
            soc=soc,
        )
        self.samples[1].append(tuple(row[name] for name in FIELDS))


@pytest.fixture
def graphs(qtbot):
    widget = LiveGraphs()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def charging_under_a_step(bridge: FakeBridge, step_at: float = 120.0, every: float = 30.0):
    """Sparse samples (virtual time): 11 kW at 16 A, then a limit of 6.9 kW at 10 A."""
    t = T0
    while t <= T0 + 300:
        limited = t >= T0 + step_at
        kw = 6.9 if limited else 11.0
        amps = 10.0 if limited else 16.0
        session = (t - T0) / 3600 * kw
        bridge.add(t, kw, 6.9 if limited else 11.04, (amps, amps, amps), session=session)
        t += every


def ys(graphs: LiveGraphs, name: str) -> np.ndarray:
    _x, y = graphs.curves[name].getData()
    return np.asarray([] if y is None else y, dtype=float)


def finite(graphs: LiveGraphs, name: str) -> np.ndarray:
    y = ys(graphs, name)
    return y[np.isfinite(y)]


# ------------------------------------------------------------------ the crosshair readout
def test_moving_the_mouse_over_a_plot_shows_the_values_under_the_cursor(graphs, qtbot):
    """Real mouse-move events on the canvas's viewport, as a user's mouse sends them."""
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    # Over the current plot at T0 + 200 s: the 180 s sample is in force (6.9 kW, 10 A).
    QTest.mouseMove(graphs.canvas.viewport(), on_screen(graphs, "current", T0 + 200.0, 5.0))
    qtbot.waitUntil(lambda: "kW" in graphs.readout.text(), timeout=3000)
    text = graphs.readout.text()
    assert "P <b>6.90</b> kW" in text
    for name in PHASE_NAMES:
        assert f"<b>{name}</b> 10.0 A" in text
    assert graphs._crosshairs[0].value() == pytest.approx(T0 + 180.0)
    # Moving on to the power plot reads there too.
    QTest.mouseMove(graphs.canvas.viewport(), on_screen(graphs, "power", T0 + 60.0, 5.0))
    qtbot.waitUntil(lambda: "P <b>11.00</b> kW" in graphs.readout.text(), timeout=3000)


def on_screen(graphs: LiveGraphs, plot: str, x: float, y: float) -> QPoint:
    """Where the value (x, y) of ``plot`` is on the canvas's viewport, in pixels."""
    scene = graphs.plots[plot].vb.mapViewToScene(QPointF(x, y))
    return graphs.canvas.mapFromScene(scene)


def test_the_readout_gives_every_phase_and_the_value_in_force_under_the_cursor(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    text = graphs.read_at(T0 + 130.0)  # between the 120 s and 150 s samples: the 120 s one
    for name in PHASE_NAMES:
        assert f"<b>{name}</b> 10.0 A" in text
    assert "P <b>6.90</b> kW" in text
    assert graphs._crosshairs[0].value() == T0 + 120.0


# ------------------------------------------------------------------ phases
def test_balanced_phases_draw_as_one_line_labelled_l1_l2_l3_at_their_true_value(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    assert set(finite(graphs, "g0")) == {16.0, 10.0}  # the value itself, no offset
    for i in (1, 2, 3):
        assert len(finite(graphs, f"i{i}")) == 0
    assert graphs.legend_text("current").split("\n") == ["━━ L1 = L2 = L3"]


def test_a_phase_that_departs_gets_its_own_line_and_the_others_stay_one_labelled_line(graphs):
    bridge = FakeBridge()
    for k in range(60):
        l2 = 6.0 if 20 <= k < 40 else 16.0  # L2 drops for 20 s
        bridge.add(T0 + k, 11.0, 11.04, (16.0, l2, 16.0))
    graphs.set_bridge(bridge)
    legend = graphs.legend_text("current").split("\n")
    assert legend == ["━━ L1 = L2 = L3", "╍╍ L1 = L3", "━━ L2"]
    assert set(finite(graphs, "g1")) == {16.0}  # L1 = L3 at 16 A while L2 is apart
    l2 = ys(graphs, "i2")
    assert set(l2[20:40]) == {6.0}
    # The sample on each side joins the L2 line: the drop is drawn as an edge.
    assert l2[19] == 16.0 and l2[40] == 16.0 and np.isnan(l2[10]) and np.isnan(l2[50])
    colours = {graphs.curves[f"i{i}"].opts["pen"].color().name() for i in (1, 2, 3)}
    assert len(colours) == 3


def test_three_different_phase_currents_draw_three_lines_in_three_colours(graphs):
    bridge = FakeBridge()
    for k in range(30):
        bridge.add(T0 + k, 7.0, 11.04, (16.0, 10.0, 4.0))
    graphs.set_bridge(bridge)
    assert [set(finite(graphs, f"i{i}")) for i in (1, 2, 3)] == [{16.0}, {10.0}, {4.0}]
    assert len(finite(graphs, "g0")) == 0
    assert graphs.legend_text("current").split("\n") == ["━━ L1", "━━ L2", "━━ L3"]


def test_a_phase_check_box_hides_that_phase_and_the_shared_line_names_the_rest(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    graphs.phase_boxes["L2"].setChecked(False)
    assert graphs.legend_text("current").split("\n") == ["━━ L1 = L3"]
    graphs.phase_boxes["L1"].setChecked(False)
    assert graphs.legend_text("current").split("\n") == ["━━ L3"]
    assert set(finite(graphs, "i3")) == {16.0, 10.0} and len(finite(graphs, "i1")) == 0
    graphs.show_phase("L2", True)
    assert graphs.phase_boxes["L2"].isChecked()
    assert graphs.legend_text("current").split("\n") == ["━━ L2 = L3"]


def test_a_single_phase_station_offers_only_l1(graphs):
    bridge = FakeBridge(phases=1)
    bridge.add(T0, 3.6, 7.4, (16.0, NAN, NAN))
    graphs.set_bridge(bridge)
    assert graphs.phase_boxes["L1"].isVisible()
    assert not graphs.phase_boxes["L2"].isVisible() and not graphs.phase_boxes["L3"].isVisible()
    assert graphs.legend_text("current") == "━━ L1"


def test_a_dc_station_shows_dc_current_and_voltage_and_no_phases(graphs):
    """Templates mark a DC station with current_type "DC" (resources/stations/dc-50kw.json)."""
    bridge = FakeBridge(current_type="DC")
    for k in range(30):
        bridge.add(T0 + k, 48.0, 50.0, (120.0, NAN, NAN), volts=400.0 + (k % 3))
    graphs.set_bridge(bridge)
    assert not graphs.phase_label.isVisible()
    assert not any(box.isVisible() for box in graphs.phase_boxes.values())
    assert graphs.legend_text("current") == "━━ DC current"
    assert "L1" not in graphs.legend_text("current")
    assert graphs.plots["voltage"].isVisible()
    assert set(finite(graphs, "voltage_v")) == {400.0, 401.0, 402.0}
    text = graphs.read_at(T0 + 10)
    assert "<b>I</b> 120.0 A" in text and "<b>U</b> 401 V" in text and "L1" not in text


def test_an_ac_station_has_no_voltage_plot(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    assert not graphs.plots["voltage"].isVisible()
    # The hidden row takes no room: energy follows current with only the usual gap.
    current = graphs.plots["current"].sceneBoundingRect()
    energy = graphs.plots["energy"].sceneBoundingRect()
    assert 0 <= energy.top() - current.bottom() < 30


# ------------------------------------------------------------------ energy
def test_the_energy_plot_shows_the_session_energy_and_the_readout_names_the_register(graphs):
    """The card says "Session energy": the plot shows that, not the meter register."""
    bridge = FakeBridge()
    for k in range(10):
        bridge.add(T0 + k, 11.0, 11.04, (16.0,) * 3, session=0.01 * k, register=850.0 + 0.01 * k)
    graphs.set_bridge(bridge)
    assert finite(graphs, "session_kwh").max() == pytest.approx(0.09)
    assert graphs.legend_text("energy") == "━━ session energy"
    text = graphs.read_at(T0 + 9)
    assert "session 0.09 kWh" in text and "meter register 850.09 kWh" in text


# ------------------------------------------------------------------ axes and legends
def drawn_tick_labels(graphs: LiveGraphs, plot: str) -> list[str]:
    """The tick labels pyqtgraph actually draws on a plot's left axis."""
    axis = graphs.plots[plot].getAxis("left")
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in texts]


@pytest.mark.parametrize(("kw", "top_label"), [(5.5, "6"), (11.04, "15"), (22.08, "30")])
def test_a_flat_trace_at_the_top_has_a_labelled_tick_at_or_above_its_value(
    graphs, qtbot, kw, top_label
):
    bridge = FakeBridge()
    for k in range(60):
        bridge.add(T0 + k, kw, kw, (16.0,) * 3)
    graphs.set_bridge(bridge)
    qtbot.waitUntil(lambda: top_label in drawn_tick_labels(graphs, "power"), timeout=3000)
    labels = drawn_tick_labels(graphs, "power")
    assert max(float(v) for v in labels) >= kw
    low, high = graphs.plots["power"].vb.viewRange()[1]
    assert low < 0 < kw < float(top_label) < high  # the trace and its tick inside the axis


def test_legends_sit_beside_the_plots_and_cover_no_data(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    plots = [p.vb.sceneBoundingRect() for p in graphs.plots.values() if p.isVisible()]
    for key, legend in graphs.legends.items():
        if not legend.isVisible():
            continue
        box: QRectF = legend.item.mapRectToScene(legend.item.boundingRect())
        assert box.width() > 0, key
        assert not any(box.intersects(plot) for plot in plots), key
    assert graphs.legend_text("power").split("\n") == ["━━ power drawn", "╍╍ limit"]


def test_axes_do_not_auto_range_and_the_y_range_holds_while_the_peak_holds(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    for plot in graphs.plots.values():
        assert plot.vb.state["autoRange"] == [False, False]
    top = graphs.plots["power"].vb.viewRange()[1][1]
    assert 15.0 <= top < 16.0  # 11.04 kW: ticks 0, 5, 10, 15 and a little room above
    bridge.add(T0 + 330, 6.9, 6.9, (10.0, 10.0, 10.0))
    graphs.redraw()
    assert graphs.plots["power"].vb.viewRange()[1][1] == top
    assert graphs.plots["power"].vb.viewRange()[0][1] == pytest.approx(T0 + 330)


# ------------------------------------------------------------------ drawing
@pytest.mark.parametrize("name", ["power_kw", "limit_kw", "g0"])
def test_power_limit_and_current_are_sample_and_hold_steps_not_ramps(graphs, name):
    """A limit change reads as a vertical step at the sample that saw it, even 30 s apart."""
    bridge = FakeBridge()
    charging_under_a_step(bridge, step_at=120.0, every=30.0)
    graphs.window_box.setCurrentIndex(4)  # All
    graphs.set_bridge(bridge)
    curve = graphs.curves[name]
    assert curve.opts["stepMode"] == "right"
    path = curve.curve.getPath()
    points = [(path.elementAt(i).x, path.elementAt(i).y) for i in range(path.elementCount())]
    step_x = T0 + 120.0
    at_step = sorted(y for x, y in points if x == pytest.approx(step_x))
    high, low = {"power_kw": (11.0, 6.9), "limit_kw": (11.04, 6.9), "g0": (16.0, 10.0)}[name]
    assert pytest.approx(low) in at_step and pytest.approx(high) in at_step  # vertical edge
    # Nothing between two samples lies between the two levels: no ramp.
    inside = [y for x, y in points if T0 + 90 < x < T0 + 120]
    assert all(y == pytest.approx(high) for y in inside)


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


def test_a_redraw_of_four_hours_of_samples_draws_no_more_points_than_pixels(graphs):
    """Issue 4: plot updates stay cheap however long the buffer (benchmarks/bench_ui.py
    measures the redraw time). The worst case: the "All" window over a full buffer (four
    hours of 1 Hz samples), with the phases apart half the time so every phase line has
    data: each curve draws a peak-downsampled few points per pixel, not 14,400 samples."""
    bridge = FakeBridge()
    for i in range(4 * 3600):
        amps = 16.0 if i < 7200 else 10.0
        l2 = amps - 3.0 if (i // 600) % 2 else amps
        bridge.add(T0 + i, amps * 0.69, 11.04, (amps, l2, amps), session=i / 3600)
    graphs.window_box.setCurrentIndex(4)  # All: the worst case
    graphs.set_bridge(bridge)
    graphs.redraw()
    graphs.repaint()
    width = graphs.plots["power"].getViewBox().width()
    assert width > 0
    drawn = {}
    for name, curve in graphs.curves.items():
        x, _y = curve.getData()
        if x is not None and len(x):
            drawn[name] = len(x)
    assert drawn, "nothing was drawn"
    assert max(drawn.values()) <= 4 * width + 16, (width, drawn)


def test_toggling_a_phase_while_paused_keeps_the_span_the_user_zoomed_to(graphs):
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    graphs.set_bridge(bridge)
    graphs.pause_button.click()
    graphs.plots["power"].setXRange(T0 + 60, T0 + 180, padding=0.0)  # the user zooms in
    graphs.phase_boxes["L2"].setChecked(False)
    assert graphs.legend_text("current").split("\n") == ["━━ L1 = L3"]
    assert graphs.plots["power"].vb.viewRange()[0] == pytest.approx([T0 + 60, T0 + 180])


def test_the_readout_of_an_idle_connector_says_there_is_no_session_and_no_ev(graphs):
    bridge = FakeBridge()
    bridge.add(T0, 0.0, 11.04, (0.0,) * 3, session=NAN, register=850.0, soc=NAN)
    graphs.set_bridge(bridge)
    text = graphs.read_at(T0)
    assert "session —" in text and "SoC —" in text and "— kWh" not in text
    assert "meter register 850.00 kWh" in text
