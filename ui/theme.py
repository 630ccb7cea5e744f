"""Fusion style with a light or dark palette (following the system), plus base.qss."""

from __future__ import annotations

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


def apply_theme(app: QApplication, scheme: str = "auto") -> str:
    """Apply ``scheme`` ("auto", "light" or "dark"); returns the one applied."""
    app.setStyle("Fusion")
    if scheme == "auto":
        scheme = "dark" if system_prefers_dark() else "light"
    app.setPalette(dark_palette() if scheme == "dark" else light_palette())
    qss = resources_dir() / "themes" / "base.qss"
    app.setStyleSheet(qss.read_text(encoding="utf-8") if qss.exists() else "")
    fg = "#c8ccd2" if scheme == "dark" else "#374151"
    pg.setConfigOptions(antialias=True, foreground=fg, background=None)
    return scheme


def retint_plots(scheme: str) -> None:
    """Axis and legend text of plots that already exist (setConfigOptions covers new ones)."""
    fg = "#c8ccd2" if scheme == "dark" else "#374151"
    for widget in QApplication.allWidgets():
        if not isinstance(widget, pg.GraphicsLayoutWidget):
            continue
        for item in widget.ci.items:
            if not isinstance(item, pg.PlotItem):
                continue
            for name in ("left", "bottom"):
                axis = item.getAxis(name)
                axis.setPen(fg)
                axis.setTextPen(fg)
            if item.legend is not None:
                item.legend.setLabelTextColor(fg)


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
        retint_plots(self.scheme)
        self.changed.emit(self.scheme)
        return self.scheme
