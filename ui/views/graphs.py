"""Live graphs of one connector on a shared time axis (pyqtgraph).

Four plots stacked and x-linked: power drawn against the active limit (a step
line: a limit holds until it changes), current per phase, the energy register
and the EV's state of charge. The time axis is the station's clock (virtual
time at speed > 1). A rolling window (1, 5, 15, 60 minutes or everything) keeps
the x range moving; Pause freezes it so the user can zoom and pan with the
mouse. A crosshair reads the values under the cursor.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.models.bridge import StationBridge
from ui.models.samples import SampleBuffer

WINDOWS = (("1 min", 60.0), ("5 min", 300.0), ("15 min", 900.0), ("60 min", 3600.0), ("All", None))
PHASE_COLOURS = ("#c0392b", "#2c3e50", "#7f8c8d")
POWER_COLOUR = "#1f5fbf"
LIMIT_COLOUR = "#e67e22"
ENERGY_COLOUR = "#2e9d4f"
SOC_COLOUR = "#8e44ad"


def _pen(colour: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine):
    return pg.mkPen(colour, width=width, style=style)


class LiveGraphs(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge: StationBridge | None = None
        self.connector_id = 1
        self.window_s: float | None = 300.0
        self.paused = False
        self.redraws = 0

        self.connector_box = QComboBox()
        self.window_box = QComboBox()
        for label, seconds in WINDOWS:
            self.window_box.addItem(label, seconds)
        self.window_box.setCurrentIndex(1)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.readout = QLabel()
        self.readout.setObjectName("graphReadout")
        self.readout.setProperty("role", "muted")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Connector"))
        bar.addWidget(self.connector_box)
        bar.addWidget(QLabel("Window"))
        bar.addWidget(self.window_box)
        bar.addWidget(self.pause_button)
        bar.addStretch(1)
        bar.addWidget(self.readout)

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
            axis = pg.DateAxisItem(orientation="bottom") if row == len(specs) - 1 else None
            plot = self.canvas.addPlot(row=row, col=0, axisItems={"bottom": axis} if axis else None)
            plot.setLabel("left", f"{title} ({unit})")
            plot.getAxis("left").setWidth(56)
            plot.getAxis("left").enableAutoSIPrefix(False)  # kWh stays kWh, no "(x0.001)"
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            if row < len(specs) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
                plot.getAxis("bottom").setHeight(4)
            if key != "power":
                plot.setXLink(self.plots["power"])
            self.plots[key] = plot
        self.plots["soc"].setYRange(0, 100)
        self.plots["power"].addLegend(offset=(-10, 8), labelTextSize="8pt")
        self.plots["current"].addLegend(offset=(-10, 8), labelTextSize="8pt")

        self.curves = {
            "limit_kw": self.plots["power"].plot(
                pen=_pen(LIMIT_COLOUR, 2, Qt.PenStyle.DashLine), stepMode="left", name="limit"
            ),
            "power_kw": self.plots["power"].plot(
                pen=_pen(POWER_COLOUR), name="power", fillLevel=0, brush=(31, 95, 191, 40)
            ),
            "i1": self.plots["current"].plot(pen=_pen(PHASE_COLOURS[0]), name="L1"),
            "i2": self.plots["current"].plot(pen=_pen(PHASE_COLOURS[1]), name="L2"),
            "i3": self.plots["current"].plot(pen=_pen(PHASE_COLOURS[2]), name="L3"),
            "energy_kwh": self.plots["energy"].plot(pen=_pen(ENERGY_COLOUR)),
            "soc": self.plots["soc"].plot(pen=_pen(SOC_COLOUR)),
        }
        for curve in self.curves.values():
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
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
        self.connector_box.blockSignals(False)
        self.redraw()

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

    # ------------------------------------------------------------ drawing
    def redraw(self) -> None:
        if self.paused or not self.isVisible():
            return
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
        self.plots["power"].setXRange(left, now, padding=0.0)
        # Zero-based y axes: an idle connector reads 0, not a band around it.
        self._fit_y("power", buf, since, "limit_kw", "power_kw")
        self._fit_y("current", buf, since, "i1", "i2", "i3")
        self._fit_y("energy", buf, since, "energy_kwh")
        self.redraws += 1

    def _fit_y(self, plot: str, buf: SampleBuffer, since: float | None, *names: str) -> None:
        peak = 0.0
        for name in names:
            column = buf.column(name, since)
            if len(column) and not np.all(np.isnan(column)):
                peak = max(peak, float(np.nanmax(column)))
        self.plots[plot].setYRange(0, max(1.0, peak) * 1.1, padding=0.0)

    def _on_mouse(self, event: tuple) -> None:
        pos = event[0]
        buf = self.buffer
        plot = self.plots["power"]
        if buf is None or not len(buf) or not self.canvas.sceneBoundingRect().contains(pos):
            return
        x = plot.vb.mapSceneToView(pos).x()
        t = buf.column("t")
        i = int(np.clip(np.searchsorted(t, x), 0, len(t) - 1))
        for line in self._crosshairs:
            line.setPos(float(t[i]))
            line.setVisible(True)

        def fmt(name: str, digits: int = 1) -> str:
            value = buf.column(name)[i]
            return "—" if math.isnan(value) else f"{value:.{digits}f}"

        self.readout.setText(
            f"P {fmt('power_kw', 2)} kW · limit {fmt('limit_kw', 2)} kW · "
            f"I {fmt('i1')}/{fmt('i2')}/{fmt('i3')} A · E {fmt('energy_kwh', 2)} kWh · "
            f"SoC {fmt('soc')} %"
        )
