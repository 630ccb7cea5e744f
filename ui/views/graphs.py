"""Live graphs of one connector on a shared time axis (pyqtgraph).

Four plots stacked and x-linked: power drawn against the active limit, current
per phase, the energy register and the EV's state of charge. The time axis is
the station's clock (virtual time at speed > 1). A rolling window (1, 5, 15, 60
minutes or everything) keeps the x range moving; Pause freezes it so the user
can zoom and pan with the mouse. A crosshair reads every value under the cursor.

Power, limit and currents are drawn sample-and-hold (``stepMode="right"``: a value holds
until the next sample), so a limit change reads as a step even when virtual
time makes the samples sparse, never as a ramp between two samples.

The three phase currents of a three-phase EV are usually equal, so each phase
gets its own colour, width and dash pattern (see ``PHASES``): all three stay
visible when they coincide. Check boxes hide single phases, and the readout
above the plots gives every phase's value under the cursor. Currents are
sample-and-hold steps too.

Cost: nothing is redrawn while the widget is hidden (another tab is shown),
auto-ranging is off (the ranges are set explicitly and only when they change),
and curves clip to the view and downsample by peak.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.models.bridge import StationBridge
from ui.models.samples import SampleBuffer

WINDOWS = (("1 min", 60.0), ("5 min", 300.0), ("15 min", 900.0), ("60 min", 3600.0), ("All", None))
POWER_COLOUR = "#1f5fbf"
LIMIT_COLOUR = "#e67e22"
ENERGY_COLOUR = "#2e9d4f"
SOC_COLOUR = "#8e44ad"
STEP = "right"  # sample-and-hold: y[i] holds from t[i] to t[i+1]


class PhaseStyle:
    """How one phase current is drawn: distinct in colour, width and dash pattern."""

    __slots__ = ("colour", "dashes", "name", "offset", "style", "width", "z")

    def __init__(
        self,
        name: str,
        colour: str,
        width: float,
        z: int,
        dashes: tuple[float, ...] = (),
        offset: float = 0.0,
    ) -> None:
        self.name = name
        self.colour = colour
        self.width = width
        self.z = z
        self.dashes = dashes  # in pen widths (Qt's unit); empty: a solid line
        self.offset = offset
        self.style = Qt.PenStyle.CustomDashLine if dashes else Qt.PenStyle.SolidLine

    def pen(self):
        pen = _pen(self.colour, self.width, self.style)
        if self.dashes:
            pen.setDashPattern(list(self.dashes))
            pen.setDashOffset(self.offset)
        return pen


# Equal currents on all three phases (the usual three-phase EV) must stay readable:
# L1 is a wide solid band; L2 long dashes and L3 short dashes ride on it, L3's
# dashes falling into L2's gaps (same period of 8 pen widths, shifted), so the
# line reads as an L1 band with alternating L2/L3 marks. Where they differ, each
# is its own line with its own colour and pattern. No offsets in value.
PHASES = (
    PhaseStyle("L1", "#e4572e", 7.0, 0),
    PhaseStyle("L2", "#1f6fd1", 3.0, 1, dashes=(4.0, 4.0)),
    PhaseStyle("L3", "#1e9e57", 3.0, 2, dashes=(2.0, 6.0), offset=3.0),
)


def _pen(colour: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine):
    pen = pg.mkPen(colour, width=width, style=style)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)  # dashes keep their exact length at any width
    return pen


def _fmt(value: float, digits: int) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


class LiveGraphs(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge: StationBridge | None = None
        self.connector_id = 1
        self.window_s: float | None = 300.0
        self.paused = False
        self.redraws = 0
        self.last_redraw_ms = 0.0  # wall time of the last redraw, for the cost budget
        self._y_ranges: dict[str, tuple[float, float]] = {}

        self.connector_box = QComboBox()
        self.connector_box.setObjectName("graphConnector")
        self.window_box = QComboBox()
        self.window_box.setObjectName("graphWindow")
        for label, seconds in WINDOWS:
            self.window_box.addItem(label, seconds)
        self.window_box.setCurrentIndex(1)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Freeze the graphs to zoom and pan with the mouse")
        self.phase_boxes: dict[str, QCheckBox] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Connector"))
        bar.addWidget(self.connector_box)
        bar.addWidget(QLabel("Window"))
        bar.addWidget(self.window_box)
        bar.addWidget(self.pause_button)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Phases"))
        for phase in PHASES:
            box = QCheckBox(phase.name)
            box.setObjectName(f"phase{phase.name}")
            box.setChecked(True)
            box.setToolTip(f"Show the current on {phase.name}")
            box.setStyleSheet(f"QCheckBox {{ color: {phase.colour}; font-weight: 600; }}")
            box.toggled.connect(lambda on, name=phase.name: self.show_phase(name, on))
            self.phase_boxes[phase.name] = box
            bar.addWidget(box)
        bar.addStretch(1)

        self.readout = QLabel("Move the mouse over a graph to read its values")
        self.readout.setObjectName("graphReadout")
        self.readout.setProperty("role", "muted")
        self.readout.setTextFormat(Qt.TextFormat.RichText)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(None)
        self.plots: dict[str, pg.PlotItem] = {}
        specs = (
            ("power", "Power", "kW"),
            ("current", "Current", "A"),
            ("energy", "Energy", "kWh"),
            ("soc", "SoC", "%"),
        )
        for row, (key, title, unit) in enumerate(specs):
            # Every plot gets a date axis (only the last shows its labels) so that the
            # vertical grid lines of all four fall on the same instants; a plain axis
            # would tick epoch seconds at its own spacing (and draw ~10x more lines).
            axis = pg.DateAxisItem(orientation="bottom")
            plot = self.canvas.addPlot(row=row, col=0, axisItems={"bottom": axis})
            plot.setLabel("left", f"{title} ({unit})")
            plot.getAxis("left").setWidth(56)
            plot.getAxis("left").enableAutoSIPrefix(False)  # kWh stays kWh, no "(x0.001)"
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            # Ranges are set explicitly in redraw: auto-ranging on every sample costs a
            # bounds pass over all the data and re-lays out the axes.
            plot.disableAutoRange()
            plot.setMouseEnabled(x=False, y=False)
            if row < len(specs) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
                plot.getAxis("bottom").setHeight(4)
            if key != "power":
                plot.setXLink(self.plots["power"])
            self.plots[key] = plot
        self.plots["soc"].setYRange(0, 100, padding=0.0)
        self.plots["power"].addLegend(offset=(-10, 8), labelTextSize="8pt")
        self.plots["current"].addLegend(offset=(-10, 8), labelTextSize="8pt")

        self.curves: dict[str, pg.PlotDataItem] = {
            "power_kw": self.plots["power"].plot(
                pen=_pen(POWER_COLOUR, 2.0),
                stepMode=STEP,
                name="power drawn",
                fillLevel=0,
                brush=(31, 95, 191, 40),
            ),
            "limit_kw": self.plots["power"].plot(
                pen=_pen(LIMIT_COLOUR, 2.0, Qt.PenStyle.DashLine), stepMode=STEP, name="limit"
            ),
        }
        for index, phase in enumerate(PHASES, start=1):
            curve = self.plots["current"].plot(pen=phase.pen(), stepMode=STEP, name=phase.name)
            curve.setZValue(phase.z)
            self.curves[f"i{index}"] = curve
        self.curves["energy_kwh"] = self.plots["energy"].plot(pen=_pen(ENERGY_COLOUR))
        self.curves["soc"] = self.plots["soc"].plot(pen=_pen(SOC_COLOUR))
        for curve in self.curves.values():
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            # "peak" keeps each bin's min and max: one bin a pixel loses nothing visible
            # (pyqtgraph's default keeps ~5 a pixel, five times the points to stroke).
            curve.opts["autoDownsampleFactor"] = 1.0
        self._crosshairs = []
        for plot in self.plots.values():
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#95a5a6", width=1))
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self._crosshairs.append(line)
        self._mouse_proxy = pg.SignalProxy(
            self.canvas.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse
        )

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.readout)
        layout.addWidget(self.canvas, 1)

        self.connector_box.currentIndexChanged.connect(self._pick_connector)
        self.window_box.currentIndexChanged.connect(self._pick_window)
        self.pause_button.toggled.connect(self._pause)

    # ------------------------------------------------------------ source
    def set_bridge(self, bridge: StationBridge | None) -> None:
        if self.bridge is not None:
            self.bridge.sampled.disconnect(self.redraw)
        self.bridge = bridge
        self.connector_box.blockSignals(True)
        self.connector_box.clear()
        if bridge is not None:
            for connector in bridge.station.connectors:
                self.connector_box.addItem(str(connector.id), connector.id)
            self.connector_id = bridge.station.connectors[0].id
            bridge.sampled.connect(self.redraw)
            lines = self._lines(bridge)
            for index, phase in enumerate(PHASES, start=1):
                # A single-phase or DC station has no L2/L3: nothing to toggle.
                self.phase_boxes[phase.name].setEnabled(index <= lines)
        self.connector_box.blockSignals(False)
        self._y_ranges.clear()
        self.redraw()

    @staticmethod
    def _lines(bridge: StationBridge) -> int:
        template = bridge.station.template
        return template.phases if template.current_type == "AC" else 1

    @property
    def buffer(self) -> SampleBuffer | None:
        if self.bridge is None:
            return None
        return self.bridge.samples.get(self.connector_id)

    def _pick_connector(self, _index: int) -> None:
        data = self.connector_box.currentData()
        if data is not None:
            self.connector_id = int(data)
            self.redraw()

    def _pick_window(self, _index: int) -> None:
        self.window_s = self.window_box.currentData()
        self.redraw()

    def _pause(self, paused: bool) -> None:
        self.paused = paused
        self.pause_button.setText("Resume" if paused else "Pause")
        for plot in self.plots.values():
            plot.setMouseEnabled(x=paused, y=False)
        if not paused:
            self.redraw()

    def show_phase(self, name: str, visible: bool) -> None:
        """Show or hide one phase current (the check boxes call this)."""
        index = next(i for i, p in enumerate(PHASES, start=1) if p.name == name)
        self.curves[f"i{index}"].setVisible(visible)
        box = self.phase_boxes[name]
        if box.isChecked() != visible:
            box.setChecked(visible)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.redraw()  # hidden graphs skip redraws: catch up when shown again

    # ------------------------------------------------------------ drawing
    def redraw(self) -> None:
        if self.paused or not self.isVisible():
            return
        started = time.perf_counter()
        buf = self.buffer
        if buf is None or not len(buf):
            for curve in self.curves.values():
                curve.setData([], [])
            return
        now = buf.last("t")
        since = None if self.window_s is None else now - self.window_s
        t = buf.column("t", since)
        for name, curve in self.curves.items():
            y = buf.column(name, since)
            if name in ("i2", "i3") and np.all(np.isnan(y)):
                curve.setData([], [])  # a single-phase station has no L2/L3
                continue
            curve.setData(t, y, connect="finite")
        left = since if since is not None else float(t[0])
        self.plots["power"].setXRange(left, max(now, left + 1.0), padding=0.0)
        # Zero-based y axes: an idle connector reads 0, not a band around it.
        self._fit_y("power", buf, since, "limit_kw", "power_kw")
        self._fit_y("current", buf, since, "i1", "i2", "i3")
        self._fit_y("energy", buf, since, "energy_kwh")
        self.redraws += 1
        self.last_redraw_ms = (time.perf_counter() - started) * 1e3

    def _fit_y(self, plot: str, buf: SampleBuffer, since: float | None, *names: str) -> None:
        peak = 0.0
        for name in names:
            column = buf.column(name, since)
            if len(column) and not np.all(np.isnan(column)):
                peak = max(peak, float(np.nanmax(column)))
        # Round the top up to a "nice" value so the axis does not creep with every sample.
        top = _nice_ceiling(max(1.0, peak) * 1.08)
        if self._y_ranges.get(plot) != (0.0, top):
            self._y_ranges[plot] = (0.0, top)
            self.plots[plot].setYRange(0, top, padding=0.0)

    def _on_mouse(self, event: tuple) -> None:
        pos = event[0]
        buf = self.buffer
        plot = self.plots["power"]
        if buf is None or not len(buf) or not self.canvas.sceneBoundingRect().contains(pos):
            return
        x = plot.vb.mapSceneToView(pos).x()
        self.read_at(x)

    def read_at(self, x: float) -> str:
        """Move the crosshair to the sample in force at ``x`` and show its values."""
        buf = self.buffer
        if buf is None or not len(buf):
            return ""
        t = buf.column("t")
        # Sample-and-hold: the value in force at x is the last sample at or before it.
        i = int(np.clip(np.searchsorted(t, x, side="right") - 1, 0, len(t) - 1))
        for line in self._crosshairs:
            line.setPos(float(t[i]))
            line.setVisible(True)

        def value(name: str) -> float:
            return float(buf.column(name)[i])

        clock = time.strftime("%H:%M:%S", time.localtime(float(t[i])))
        phases = []
        for index, phase in enumerate(PHASES, start=1):
            amps = value(f"i{index}")
            if not math.isnan(amps):
                phases.append(
                    f'<span style="color:{phase.colour}"><b>{phase.name}</b> {amps:.1f} A</span>'
                )
        text = (
            f"<b>{clock}</b> &nbsp; "
            f'<span style="color:{POWER_COLOUR}">P <b>{_fmt(value("power_kw"), 2)}</b> kW</span>'
            f' &nbsp;<span style="color:{LIMIT_COLOUR}">limit {_fmt(value("limit_kw"), 2)} kW'
            "</span> &nbsp; " + " &nbsp;".join(phases) + f" &nbsp; E {_fmt(value('energy_kwh'), 2)}"
            f" kWh &nbsp; SoC {_fmt(value('soc'), 1)} %"
        )
        self.readout.setText(text)
        return text


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^n that is >= ``value``."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    base = 10.0**exponent
    for step in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if step * base >= value - 1e-12:
            return step * base
    return 10.0 * base
