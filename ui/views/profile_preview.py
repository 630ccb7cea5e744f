"""The charging-profile form's preview: the profile's schedule and the station's composite.

Three step lines over the next 24 h (or to a little past the schedule's end, a
week for a Weekly profile), computed by the core (``bench.ocpp.profile_station``,
the same code that answers GetCompositeSchedule, 1.6 §5.7 / 2.0.1 K08):

- "composite with this profile": what the station will impose once it is installed
  (filled, the palette's highlight colour);
- "this profile alone": its own limit, with gaps where it imposes nothing (before
  validFrom, after its duration) (dashed, an accent that reads on either palette);
- "composite now": what the installed profiles impose today (dotted, muted).

Colours come from the widget's palette, read when the chart is drawn and again on
every palette change (light/dark theme switch), so the chart follows the theme.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from bench.ocpp.profile_station import Preview, Series

MAX_LABELS = 8  # more steps than this get no value labels (no room)
MIN_LABEL_FRACTION = 1 / 30  # a step narrower than this share of the span gets none


def limit_text(value: float, unit: str) -> str:
    if unit == "W":
        return f"{value / 1000:.1f} kW" if value >= 1000 else f"{value:.0f} W"
    return f"{value:.1f} A"


def _arrays(series: Series) -> tuple[np.ndarray, np.ndarray]:
    """Edges and values for a ``stepMode="center"`` curve; gaps (None) become NaN."""
    edges = np.asarray([*series.times, series.end], dtype=float)
    values = np.asarray([np.nan if v is None else v for v in series.values], dtype=float)
    return edges, values


class PreviewChart(pg.PlotWidget):
    """Step lines of a ``Preview``; ``preview`` keeps the data it shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._ready = False  # pyqtgraph's constructor already sends palette events
        super().__init__(parent, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.setObjectName("profilePreviewChart")
        self.setMinimumHeight(240)
        plot = self.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.disableAutoRange()
        plot.setMouseEnabled(x=False, y=False)
        plot.getAxis("left").setWidth(64)
        self.legend = plot.addLegend(offset=(-10, 4), labelTextSize="8pt")
        self.before = plot.plot(stepMode="center", connect="finite")
        self.after = plot.plot(stepMode="center", connect="finite", fillLevel=0)
        self.own = plot.plot(stepMode="center", connect="finite")
        self.names = {
            self.before: "composite now",
            self.after: "composite with this profile",
            self.own: "this profile alone",
        }
        # The filled composite at the back; the thin lines stay visible over it.
        self.after.setZValue(0)
        self.before.setZValue(1)
        self.own.setZValue(2)
        self.labels: list[pg.TextItem] = []
        self.preview: Preview | None = None
        self._ready = True
        self._apply_palette()

    # ------------------------------------------------------------ palette
    def colours(self) -> dict[str, QColor]:
        """The chart's colours, from the widget's palette as it is now."""
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        dark = base.lightness() < 128
        return {
            "base": base,
            "text": palette.color(QPalette.ColorRole.Text),
            "after": palette.color(QPalette.ColorRole.Highlight).lighter(135 if dark else 100),
            "own": QColor("#f0a35e" if dark else "#c0600c"),
            "before": palette.color(QPalette.ColorRole.PlaceholderText),
        }

    def _apply_palette(self) -> None:
        c = self.colours()
        self.setBackground(c["base"])
        plot = self.getPlotItem()
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(c["text"])
            axis.setTextPen(c["text"])
        self.legend.setLabelTextColor(c["text"])
        for _sample, label in self.legend.items:
            label.setText(label.text)  # setLabelTextColor alone leaves drawn labels as they were
        self.before.setPen(pg.mkPen(c["before"], width=1.5, style=Qt.PenStyle.DotLine))
        fill = QColor(c["after"])
        fill.setAlpha(55)
        self.after.setPen(pg.mkPen(c["after"], width=2.5))
        self.after.setBrush(fill)
        self.own.setPen(pg.mkPen(c["own"], width=2.0, style=Qt.PenStyle.DashLine))
        for label in self.labels:
            label.setColor(c["after"])

    def changeEvent(self, event: QEvent) -> None:
        palette = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)
        if self._ready and event.type() in palette:
            self._apply_palette()
        super().changeEvent(event)

    # ------------------------------------------------------------ data
    def show_preview(self, preview: Preview | None) -> None:
        self.preview = preview
        plot = self.getPlotItem()
        for label in self.labels:
            plot.removeItem(label)
        self.labels.clear()
        self.legend.clear()  # the legend names only the lines drawn
        for curve in (self.before, self.after, self.own):
            curve.setData([], [])
        if preview is None:
            return
        start, end = preview.start.timestamp(), preview.end.timestamp()
        top = 1.0
        for curve, series in (
            (self.before, preview.before),
            (self.after, preview.after),
            (self.own, preview.own),
        ):
            if series is None or not series.times:
                continue
            edges, values = _arrays(series)
            curve.setData(edges, values)
            self.legend.addItem(curve, self.names[curve])
            if np.isfinite(values).any():
                top = max(top, float(np.nanmax(values)))
        plot.setLabel("left", "Limit", units=preview.unit)
        plot.setXRange(start, end, padding=0.0)
        plot.setYRange(0, top * 1.3, padding=0.0)  # headroom for the legend and labels
        shown = preview.after or preview.own
        if shown is not None and len(shown.times) <= MAX_LABELS:
            self._label_steps(shown, preview.unit, end - start)

    def _label_steps(self, series: Series, unit: str, span: float) -> None:
        colour = self.colours()["after"]
        edges = [*series.times, series.end]
        for left, right, value in zip(edges[:-1], edges[1:], series.values, strict=True):
            if value is None or right - left < span * MIN_LABEL_FRACTION:
                continue
            label = pg.TextItem(limit_text(value, unit), color=colour, anchor=(0.5, 1.15))
            label.setPos((left + right) / 2, value)
            self.getPlotItem().addItem(label, ignoreBounds=True)
            self.labels.append(label)


class PreviewPane(QWidget):
    """Title, what the schedule is counted from, the chart, and the station's verdict."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Preview")
        title.setProperty("role", "cardTitle")
        self.caption = QLabel()
        self.caption.setObjectName("previewCaption")
        self.caption.setProperty("role", "muted")
        self.caption.setWordWrap(True)
        self.chart = PreviewChart()
        self.verdict = QLabel()
        self.verdict.setObjectName("stationVerdict")
        self.verdict.setWordWrap(True)
        self._verdict_good: bool | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.caption)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.verdict)

    @property
    def preview(self) -> Preview | None:
        return self.chart.preview

    def show_preview(self, preview: Preview | None, message: str = "") -> None:
        self.chart.show_preview(preview)
        if preview is None or (preview.own is None and not preview.problem):
            self.caption.setText(message)
            return
        hours = (preview.end - preview.start).total_seconds() / 3600
        span = f"next {hours:.0f} h" if hours >= 1 else f"next {hours * 60:.0f} min"
        text = f"{span} · {preview.note}" if preview.note else span
        if preview.problem:
            text = f"Not shown: {preview.problem}"
        elif preview.after is None:
            text += " · the station is not part of this bench: no composite schedule"
        self.caption.setText(text)

    def show_verdict(self, text: str, good: bool | None) -> None:
        """The station's own check of the request: True accepted, False refused, None unknown."""
        self.verdict.setText(text)
        self._verdict_good = good
        self._colour_verdict()

    def _colour_verdict(self) -> None:
        good = self._verdict_good
        if good is None:
            self.verdict.setProperty("role", "muted")
            self.verdict.setStyleSheet("")
        else:
            self.verdict.setProperty("role", "")
            self.verdict.setStyleSheet(f"color: {status_colour(self, good)}; font-weight: 600;")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._colour_verdict()  # its colours come from this widget's palette


def status_colour(widget: QWidget, good: bool) -> str:
    """Green or red that reads on the widget's palette (lighter on a dark base)."""
    dark = widget.palette().color(QPalette.ColorRole.Base).lightness() < 128
    if good:
        return "#8bd48f" if dark else "#2e7d32"
    return "#ff7b6b" if dark else "#c0392b"


def warning_colour(widget: QWidget) -> str:
    dark = widget.palette().color(QPalette.ColorRole.Base).lightness() < 128
    return "#f5c46b" if dark else "#a15c00"
