"""Fusion style with a light or dark palette (following the system), plus base.qss."""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from bench.model.templates import resources_dir

CHOICES = ("auto", "light", "dark")


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#23272e",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1b1e23",
        QPalette.ColorRole.AlternateBase: "#262a31",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#2d323a",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#2b6cb0",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2d323a",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#9aa3ad",
        QPalette.ColorRole.Mid: "#3c434d",
        QPalette.ColorRole.Midlight: "#343a43",
        QPalette.ColorRole.Light: "#4a525d",
        QPalette.ColorRole.Dark: "#15171b",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b737d"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b737d"))
    return p


def light_palette() -> QPalette:
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.ColorRole.Window, QColor("#f3f4f6"))
    p.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f7f8fa"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#d0d4da"))
    p.setColor(QPalette.ColorRole.Midlight, QColor("#e4e7eb"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#6b7280"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2b6cb0"))
    return p


def is_dark(palette: QPalette | None = None) -> bool:
    """True when text is drawn on a dark base (the dark palette is in force)."""
    palette = palette if palette is not None else QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


@dataclass(frozen=True, slots=True)
class PlotColours:
    """Every colour a plot paints itself, for one palette.

    Plots paint on the palette's base colour (like the cards beside them); series
    colours are picked per palette so each keeps at least 3:1 contrast with that
    background (WCAG's figure for graphical objects): the light palette's dark blue
    would sink into the dark palette's near-black.
    """

    background: str
    foreground: str  # axes, tick labels, legend text
    crosshair: str
    power: str
    power_fill: tuple[int, int, int, int]
    limit: str
    energy: str
    soc: str
    voltage: str
    dc_current: str
    phases: tuple[str, str, str]  # L1, L2, L3
    together: str  # one line standing for phases that coincide
    schedule: str  # the composite schedule (smart charging tab)
    schedule_fill: tuple[int, int, int, int]
    hardware: str  # the hardware rating under the schedule
    now: str  # the "now" marker on the schedule


LIGHT_PLOTS = PlotColours(
    background="#ffffff",
    foreground="#374151",
    crosshair="#6b7280",
    power="#1f5fbf",
    power_fill=(31, 95, 191, 40),
    limit="#c25400",
    energy="#2e7d32",
    soc="#8e44ad",
    voltage="#7a5c00",
    dc_current="#c0392b",
    phases=("#d1401f", "#1f6fd1", "#178a4a"),
    together="#1f2937",
    schedule="#1f5fbf",
    schedule_fill=(31, 95, 191, 45),
    hardware="#6b7280",
    now="#c25400",
)
DARK_PLOTS = PlotColours(
    background="#1b1e23",
    foreground="#c8ccd2",
    crosshair="#9aa3ad",
    power="#6ea8ff",
    power_fill=(110, 168, 255, 50),
    limit="#ffa94d",
    energy="#5fd38d",
    soc="#d6a4f0",
    voltage="#f2cc60",
    dc_current="#ff8a7a",
    phases=("#ff7b5c", "#6ea8ff", "#4cd68a"),
    together="#eef0f3",
    schedule="#6ea8ff",
    schedule_fill=(110, 168, 255, 55),
    hardware="#9aa3ad",
    now="#ffa94d",
)


def plot_colours(palette: QPalette | None = None) -> PlotColours:
    return DARK_PLOTS if is_dark(palette) else LIGHT_PLOTS


def style_plot(plot: pg.PlotItem, colours: PlotColours) -> None:
    """Axes, their titles and the legend of one plot in ``colours`` (drawn at once)."""
    for name in ("left", "bottom", "right", "top"):
        if name not in plot.axes:
            continue
        axis = plot.getAxis(name)
        axis.setPen(colours.foreground)  # the grid lines derive from it
        axis.setTextPen(colours.foreground)  # re-renders the axis title too
    legend = plot.legend
    if legend is not None:
        legend.setLabelTextColor(colours.foreground)
        for _sample, label in legend.items:
            label.setText(label.text)  # setLabelTextColor keeps old text until re-rendered
        legend.setBrush(pg.mkBrush(colours.background))


def style_view(view: pg.GraphicsView, colours: PlotColours) -> None:
    """The canvas and every plot on a pyqtgraph widget (PlotWidget or GraphicsLayoutWidget)."""
    view.setBackground(colours.background)
    for item in view.scene().items():
        if isinstance(item, pg.PlotItem):
            style_plot(item, colours)
    view.viewport().update()


def retint_plots(scheme: str) -> None:
    """Recolour every pyqtgraph widget that exists (setConfigOptions covers new ones)."""
    colours = DARK_PLOTS if scheme == "dark" else LIGHT_PLOTS
    for widget in QApplication.allWidgets():
        if isinstance(widget, pg.GraphicsView):
            style_view(widget, colours)


def apply_theme(app: QApplication, scheme: str = "auto") -> str:
    """Apply ``scheme`` ("auto", "light" or "dark"); returns the one applied.

    Widgets hear of the switch through Qt's PaletteChange event (views that paint
    their own colours, like the live graphs and the JSON pane, recolour there);
    pyqtgraph widgets that do not are recoloured here.
    """
    app.setStyle("Fusion")
    if scheme == "auto":
        scheme = "dark" if system_prefers_dark() else "light"
    app.setPalette(dark_palette() if scheme == "dark" else light_palette())
    qss = resources_dir() / "themes" / "base.qss"
    app.setStyleSheet(qss.read_text(encoding="utf-8") if qss.exists() else "")
    colours = DARK_PLOTS if scheme == "dark" else LIGHT_PLOTS
    pg.setConfigOptions(antialias=True, foreground=colours.foreground, background=None)
    retint_plots(scheme)
    return scheme


class ThemeController(QObject):
    """The palette choice ("auto", "light", "dark") with "auto" following the system live.

    ``changed`` carries the scheme applied ("light" or "dark") after every switch, so
    views that paint their own colours can repaint.
    """

    changed = Signal(str)

    def __init__(self, app: QApplication, choice: str = "auto") -> None:
        super().__init__(app)
        if choice not in CHOICES:
            choice = "auto"
        self.app = app
        self.choice = choice
        self.scheme = apply_theme(app, choice)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_changed)

    def set_choice(self, choice: str) -> str:
        if choice not in CHOICES:
            raise ValueError(f"theme must be one of {CHOICES}, not {choice!r}")
        self.choice = choice
        return self._apply()

    def _system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.choice == "auto":
            self._apply()

    def _apply(self) -> str:
        self.scheme = apply_theme(self.app, self.choice)
        self.changed.emit(self.scheme)
        return self.scheme
