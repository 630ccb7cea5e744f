"""Live graphs of one connector on a shared time axis (pyqtgraph).

Plots stacked and x-linked: power drawn against the active limit, current, the
session's energy and the EV's state of charge; a DC station also gets its output
voltage. The time axis is the station's clock (virtual time at speed > 1). A
rolling window (1, 5, 15, 60 minutes or everything) keeps the x range moving;
Pause freezes it so the user can zoom and pan with the mouse. Moving the mouse
over any plot puts a crosshair on the sample in force there and writes every
value (with the meter register) in the readout above the plots.

Power, limit and currents are drawn sample-and-hold (``stepMode="right"``: a value holds
until the next sample), so a limit change reads as a step even when virtual
time makes the samples sparse, never as a ramp between two samples.

Phase currents (AC): where the shown phases carry the same current, one line
labelled "L1 = L2 = L3" stands for them; where they differ each phase is its own
solid line in its own colour (``ui.models.graph_series.split_phases`` says why).
Check boxes choose the phases shown. A DC station has one line: its DC current,
next to a plot of its DC voltage, and no phase check boxes.

Each plot's legend sits in a column to the right of it, never over the data. The
y axes start at zero and end just above a round tick at or above the highest
value (``fit_axis``). Colours follow the palette live (``ui.theme.PlotColours``).

Cost: nothing is redrawn while the widget is hidden (another tab is shown),
auto-ranging is off (the ranges are set explicitly and only when they change),
and curves clip to the view and downsample by peak.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
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
from ui.models.graph_series import (
    HEADROOM,
    SAME_FRACTION,
    AxisFit,
    fit_axis,
    split_phases,
    tick_text,
)
from ui.models.samples import SampleBuffer
from ui.theme import PlotColours, plot_colours, style_view

WINDOWS = (("1 min", 60.0), ("5 min", 300.0), ("15 min", 900.0), ("60 min", 3600.0), ("All", None))
PHASE_NAMES = ("L1", "L2", "L3")
STEP = "right"  # sample-and-hold: y[i] holds from t[i] to t[i+1]
LEGEND_WIDTH = 118  # the legend column right of the plots
SOLID, DASHED = "━━", "╍╍"  # legend samples, drawn in the series' colour
GROUP_SLOTS = 4
FLOOR = 0.03  # the y range starts this fraction of its top below zero

# (key, axis title, unit); the voltage plot only shows for a DC station.
PLOTS = (
    ("power", "Power", "kW"),
    ("current", "Current", "A"),
    ("voltage", "Voltage", "V"),
    ("energy", "Energy", "kWh"),
    ("soc", "SoC", "%"),
)


class ValueAxis(pg.AxisItem):
    """A left axis whose end labels may stick out a little past the plot.

    With the grid on, pyqtgraph bounds tick labels to the plot's own height, so the
    label of a tick near the top or at zero would be dropped on a short plot: the
    very tick that says where a flat trace along the top stands.
    """

    OVERHANG = 9  # pixels: half a label's height

    def boundingRect(self):
        return super().boundingRect().adjusted(0, -self.OVERHANG, 0, self.OVERHANG)


def _pen(colour: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine):
    pen = pg.mkPen(colour, width=width, style=style)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)  # dashes keep their exact length at any width
    return pen


def _fmt(value: float, digits: int, unit: str = "") -> str:
    """A value with its unit, or a dash alone where there is none (no session, no EV)."""
    if math.isnan(value):
        return "—"
    return f"{value:.{digits}f} {unit}".rstrip()


class LiveGraphs(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge: StationBridge | None = None
        self.connector_id = 1
        self.window_s: float | None = 300.0
        self.paused = False
        self.dc = False
        self.redraws = 0
        self.last_redraw_ms = 0.0  # wall time of the last redraw, for the cost budget
        self.colours = plot_colours(self.palette())
        self.shown = dict.fromkeys(PHASE_NAMES, True)
        self._lines = 3
        self._axes: dict[str, AxisFit] = {}
        self._legends: dict[str, tuple] = {}
        self._read_x: float | None = None
        self._groups: list[tuple[str, bool]] = []

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
        self.phase_label = QLabel("Phases")
        self.phase_boxes: dict[str, QCheckBox] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Connector"))
        bar.addWidget(self.connector_box)
        bar.addWidget(QLabel("Window"))
        bar.addWidget(self.window_box)
        bar.addWidget(self.pause_button)
        bar.addSpacing(12)
        bar.addWidget(self.phase_label)
        for name in PHASE_NAMES:
            box = QCheckBox(name)
            box.setObjectName(f"phase{name}")
            box.setChecked(True)
            box.setToolTip(f"Show the current on {name}")
            box.toggled.connect(lambda on, name=name: self.show_phase(name, on))
            self.phase_boxes[name] = box
            bar.addWidget(box)
        bar.addStretch(1)

        self.readout = QLabel("Move the mouse over a graph to read its values")
        self.readout.setObjectName("graphReadout")
        self.readout.setProperty("role", "muted")
        self.readout.setTextFormat(Qt.TextFormat.RichText)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setObjectName("graphCanvas")
        # Room above the first plot for its top tick label.
        self.canvas.ci.setContentsMargins(2, 10, 4, 2)
        self.canvas.ci.layout.setVerticalSpacing(10)  # and between plots, for theirs
        self.canvas.ci.layout.setColumnFixedWidth(1, LEGEND_WIDTH)
        self.plots: dict[str, pg.PlotItem] = {}
        self.legends: dict[str, pg.LabelItem] = {}
        for row, (key, title, unit) in enumerate(PLOTS):
            # Every plot gets a date axis (only the last shows its labels) so that the
            # vertical grid lines of all fall on the same instants; a plain axis would
            # tick epoch seconds at its own spacing (and draw ~10x more lines).
            axis = pg.DateAxisItem(orientation="bottom")
            left = ValueAxis(orientation="left")
            plot = self.canvas.addPlot(row=row, col=0, axisItems={"bottom": axis, "left": left})
            plot.setLabel("left", f"{title} ({unit})")
            plot.getAxis("left").setWidth(62)
            plot.getAxis("left").enableAutoSIPrefix(False)  # kWh stays kWh, no "(x0.001)"
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            # Ranges are set explicitly in redraw: auto-ranging on every sample costs a
            # bounds pass over all the data and re-lays out the axes.
            plot.disableAutoRange()
            plot.setMouseEnabled(x=False, y=False)
            if key != "soc":
                plot.getAxis("bottom").setStyle(showValues=False)
                plot.getAxis("bottom").setHeight(4)
            if self.plots:
                plot.setXLink(self.plots["power"])
            self.plots[key] = plot
            legend = pg.LabelItem(justify="left")
            legend.setObjectName(f"{key}Legend")
            self.canvas.addItem(legend, row=row, col=1)
            self.legends[key] = legend
        self.plots["soc"].setYRange(-100 * FLOOR, 100 * HEADROOM, padding=0.0)
        self.plots["soc"].getAxis("left").setTicks([[(v, str(v)) for v in (0, 50, 100)], []])
        self.plots["voltage"].setVisible(False)
        self.legends["voltage"].setVisible(False)

        self.curves: dict[str, pg.PlotDataItem] = {
            "power_kw": self.plots["power"].plot(stepMode=STEP, fillLevel=0),
            "limit_kw": self.plots["power"].plot(stepMode=STEP),
        }
        # Lines standing for coinciding phases: at most one for all three and three pairs.
        for slot in range(GROUP_SLOTS):
            self.curves[f"g{slot}"] = self.plots["current"].plot(stepMode=STEP)
        for index in range(1, len(PHASE_NAMES) + 1):
            curve = self.plots["current"].plot(stepMode=STEP)
            curve.setZValue(1)  # above the shared line where they meet at a stretch's edge
            self.curves[f"i{index}"] = curve
        self.curves["voltage_v"] = self.plots["voltage"].plot()
        self.curves["session_kwh"] = self.plots["energy"].plot()
        self.curves["soc"] = self.plots["soc"].plot()
        for curve in self.curves.values():
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            # "peak" keeps each bin's min and max: one bin a pixel loses nothing visible
            # (pyqtgraph's default keeps ~5 a pixel, five times the points to stroke).
            curve.opts["autoDownsampleFactor"] = 1.0
        self._crosshairs: list[pg.InfiniteLine] = []
        for plot in self.plots.values():
            line = pg.InfiniteLine(angle=90, movable=False)
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
        self.apply_colours(self.colours)

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
            template = bridge.station.template
            # How templates mark a DC station (resources/stations/dc-*.json).
            self.dc = template.current_type == "DC"
            self._lines = 1 if self.dc else template.phases
        self.connector_box.blockSignals(False)
        self._show_station_kind()
        self._axes.clear()
        self._read_x = None
        self.redraw()

    def _show_station_kind(self) -> None:
        """DC: current and voltage plots, no phases. AC: the phases the station has."""
        dc = self.dc
        self.phase_label.setVisible(not dc)
        for index, name in enumerate(PHASE_NAMES, start=1):
            self.phase_boxes[name].setVisible(not dc and index <= self._lines)
        self.plots["voltage"].setVisible(dc)
        self.legends["voltage"].setVisible(dc)  # a hidden row takes no room in the layout
        self._set_curve_pens()

    @property
    def buffer(self) -> SampleBuffer | None:
        if self.bridge is None:
            return None
        return self.bridge.samples.get(self.connector_id)

    def _pick_connector(self, _index: int) -> None:
        data = self.connector_box.currentData()
        if data is not None:
            self.connector_id = int(data)
            self._axes.clear()
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
        self.shown[name] = visible
        box = self.phase_boxes[name]
        if box.isChecked() != visible:
            box.setChecked(visible)
        self._redraw_now()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.redraw()  # hidden graphs skip redraws: catch up when shown again

    # ------------------------------------------------------------ palette
    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            colours = plot_colours(self.palette())
            if colours != self.colours:
                self.apply_colours(colours)

    def apply_colours(self, colours: PlotColours) -> None:
        """Repaint every line, axis, legend and label in ``colours`` (a palette switch)."""
        self.colours = colours
        style_view(self.canvas, colours)
        self._set_curve_pens()
        for line in self._crosshairs:
            line.setPen(pg.mkPen(colours.crosshair, width=1))
        for name, colour in zip(PHASE_NAMES, colours.phases, strict=True):
            self.phase_boxes[name].setStyleSheet(
                f"QCheckBox {{ color: {colour}; font-weight: 600; }}"
            )
        self._legends.clear()
        self._redraw_now()
        if self._read_x is not None:
            self.read_at(self._read_x)

    def _set_curve_pens(self) -> None:
        c = self.colours
        curves = self.curves
        curves["power_kw"].setPen(_pen(c.power, 2.0))
        curves["power_kw"].setBrush(pg.mkBrush(c.power_fill))
        curves["limit_kw"].setPen(_pen(c.limit, 2.0, Qt.PenStyle.DashLine))
        for index, colour in enumerate(c.phases, start=1):
            curves[f"i{index}"].setPen(_pen(c.dc_current if self.dc else colour, 2.0))
        curves["voltage_v"].setPen(_pen(c.voltage))
        curves["session_kwh"].setPen(_pen(c.energy))
        curves["soc"].setPen(_pen(c.soc))

    # ------------------------------------------------------------ drawing
    def _redraw_now(self) -> None:
        """Redraw even while paused (a palette or phase choice changes the picture),
        keeping the time span the user zoomed or panned to."""
        if self.isVisible():
            self._draw(follow=not self.paused)

    def redraw(self) -> None:
        if self.paused or not self.isVisible():
            return
        self._draw(follow=True)

    def _draw(self, follow: bool) -> None:
        started = time.perf_counter()
        buf = self.buffer
        if buf is None or not len(buf):
            for curve in self.curves.values():
                curve.setData([], [])
            self._update_legends(empty=True)
            return
        now = buf.last("t")
        since = None if self.window_s is None else now - self.window_s
        t = buf.column("t", since)
        curves = self.curves
        for name in ("power_kw", "limit_kw", "session_kwh", "soc"):
            curves[name].setData(t, buf.column(name, since), connect="finite")
        if self.dc:
            curves["voltage_v"].setData(t, buf.column("voltage_v", since), connect="finite")
        else:
            curves["voltage_v"].setData([], [])
        if follow:
            left = since if since is not None else float(t[0])
            self.plots["power"].setXRange(left, max(now, left + 1.0), padding=0.0)
        self._fit_y("power", self._peak(buf, since, "limit_kw", "power_kw"))
        self._fit_y("energy", self._peak(buf, since, "session_kwh"))
        if self.dc:
            self._fit_y("voltage", self._peak(buf, since, "voltage_v"))
        self._draw_currents(buf, since, t)
        self._update_legends()
        self.redraws += 1
        self.last_redraw_ms = (time.perf_counter() - started) * 1e3

    def _draw_currents(self, buf: SampleBuffer, since: float | None, t: np.ndarray) -> None:
        names = PHASE_NAMES[: self._lines]
        shown = tuple(self.dc or self.shown[n] for n in names)
        columns = tuple(buf.column(f"i{i}", since) for i in range(1, self._lines + 1))
        peak = self._peak(buf, since, *(f"i{i + 1}" for i, on in enumerate(shown) if on))
        fit = self._fit_y("current", peak)
        lines = split_phases(columns, names, shown, SAME_FRACTION * fit.top)
        self._groups = [(g.label, g.complete) for g in lines.groups]
        for slot in range(GROUP_SLOTS):
            curve = self.curves[f"g{slot}"]
            if slot < len(lines.groups):
                group = lines.groups[slot]
                # All shown phases together: solid; a pair (the third apart): dashed.
                style = Qt.PenStyle.SolidLine if group.complete else Qt.PenStyle.DashLine
                curve.setPen(_pen(self.colours.together, 2.5, style))
                curve.setData(t, group.values, connect="finite")
            else:
                curve.setData([], [])
        for index in range(1, 4):
            curve = self.curves[f"i{index}"]
            column = lines.each[index - 1] if index <= len(lines.each) else None
            if column is None or np.all(np.isnan(column)):
                curve.setData([], [])
            else:
                curve.setData(t, column, connect="finite")

    @staticmethod
    def _peak(buf: SampleBuffer, since: float | None, *names: str) -> float:
        peak = 0.0
        for name in names:
            column = buf.column(name, since)
            if len(column) and not np.all(np.isnan(column)):
                peak = max(peak, float(np.nanmax(column)))
        return peak

    def _fit_y(self, plot: str, peak: float) -> AxisFit:
        fit = fit_axis(peak)
        if self._axes.get(plot) != fit:
            self._axes[plot] = fit
            # A little below zero too: an idle trace is not drawn on the frame.
            self.plots[plot].setYRange(-fit.top * FLOOR, fit.top, padding=0.0)
            # Explicit ticks: the top one (at or above the peak) is always labelled.
            ticks = [(v, tick_text(v, fit.step)) for v in fit.ticks]
            self.plots[plot].getAxis("left").setTicks([ticks, []])
        return fit

    # ------------------------------------------------------------ legends
    def _update_legends(self, empty: bool = False) -> None:
        c = self.colours
        # A recorded session (a bundle) may hold no offered limit: no legend for no line.
        limit = [(DASHED, c.limit, "limit")] if empty or self._has_data("limit_kw") else []
        entries: dict[str, list[tuple[str, str, str]]] = {
            "power": [(SOLID, c.power, "power drawn"), *limit],
            "energy": [(SOLID, c.energy, "session energy")],
            "soc": [(SOLID, c.soc, "EV battery")],
            "voltage": [(SOLID, c.voltage, "DC voltage")],
        }
        current: list[tuple[str, str, str]] = []
        if self.dc:
            current.append((SOLID, c.dc_current, "DC current"))
        elif not empty:
            for label, complete in self._groups:
                current.append((SOLID if complete else DASHED, c.together, label))
            for index, name in enumerate(PHASE_NAMES, start=1):
                if self._has_data(f"i{index}"):
                    current.append((SOLID, c.phases[index - 1], name))
        entries["current"] = current
        for key, rows in entries.items():
            signature = (tuple(rows), c.foreground)
            if self._legends.get(key) == signature:
                continue
            self._legends[key] = signature
            html = "<br>".join(
                f'<span style="color:{colour}">{glyph}</span>&nbsp;{text}'
                for glyph, colour, text in rows
            )
            self.legends[key].setText(html, color=c.foreground, size="8pt")

    def _has_data(self, name: str) -> bool:
        _x, y = self.curves[name].getData()
        return y is not None and len(y) > 0 and not np.all(np.isnan(y))

    def legend_text(self, key: str) -> str:
        """The plain text of one plot's legend (what a user reads beside it)."""
        return self.legends[key].item.toPlainText()

    # ------------------------------------------------------------ crosshair and readout
    def _on_mouse(self, event: tuple) -> None:
        pos = event[0]
        buf = self.buffer
        if buf is None or not len(buf):
            return
        for plot in self.plots.values():
            if plot.isVisible() and plot.vb.sceneBoundingRect().contains(pos):
                self.read_at(plot.vb.mapSceneToView(pos).x())
                return

    def read_at(self, x: float) -> str:
        """Move the crosshair to the sample in force at ``x`` and show its values."""
        buf = self.buffer
        if buf is None or not len(buf):
            return ""
        self._read_x = x
        c = self.colours
        t = buf.column("t")
        # Sample-and-hold: the value in force at x is the last sample at or before it.
        i = int(np.clip(np.searchsorted(t, x, side="right") - 1, 0, len(t) - 1))
        for line in self._crosshairs:
            line.setPos(float(t[i]))
            line.setVisible(True)

        def value(name: str) -> float:
            return float(buf.column(name)[i])

        def coloured(colour: str, text: str) -> str:
            return f'<span style="color:{colour}">{text}</span>'

        clock = time.strftime("%H:%M:%S", time.localtime(float(t[i])))
        parts = [
            f"<b>{clock}</b>",
            coloured(c.power, f"P <b>{_fmt(value('power_kw'), 2)}</b> kW"),
            coloured(c.limit, f"limit {_fmt(value('limit_kw'), 2, 'kW')}"),
        ]
        if self.dc:
            parts.append(coloured(c.dc_current, f"<b>I</b> {_fmt(value('i1'), 1, 'A')}"))
            parts.append(coloured(c.voltage, f"<b>U</b> {_fmt(value('voltage_v'), 0, 'V')}"))
        else:
            for index, name in enumerate(PHASE_NAMES[: self._lines], start=1):
                amps = value(f"i{index}")
                if not math.isnan(amps):
                    parts.append(coloured(c.phases[index - 1], f"<b>{name}</b> {amps:.1f} A"))
        parts.append(
            coloured(c.energy, f"session {_fmt(value('session_kwh'), 2, 'kWh')}")
            + f" (meter register {_fmt(value('energy_kwh'), 2, 'kWh')})"
        )
        parts.append(coloured(c.soc, f"SoC {_fmt(value('soc'), 1, '%')}"))
        text = " &nbsp; ".join(parts)
        self.readout.setText(text)
        return text
