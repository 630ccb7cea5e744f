"""A session bundle, browsed offline: the same log, graphs and cards as a live station.

Read-only by construction: the frames go into a message log in memory (the
bundle file is never written), the cards have no buttons, the graphs show the
recorded meter trace with the whole session in view. The header says where the
session came from and which parts the bundle does not have, and why.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bench.bundle.format import Bundle
from bench.store.db import open_database
from bench.store.messages import MessageLog
from ui.models.bundle_source import BundleSource
from ui.views.bundle_card import RecordedCard
from ui.views.graphs import LiveGraphs
from ui.views.log_view import LogPanel

SOURCES = {
    "run": "recorded by a bench station",
    "log": "frames only (a proxied charger, or a log without a run record)",
}


class BundleWindow(QMainWindow):
    def __init__(self, bundle: Bundle, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.setWindowTitle(f"{bundle.station}: session bundle {title} (read-only)")
        self.resize(1500, 950)
        self.bundle = bundle
        self.source = BundleSource(bundle, self)
        # The log view pages a message log: one in memory, filled once from the bundle.
        self.db = open_database(":memory:")
        self.log = MessageLog(self.db)
        for rec in bundle.frames:
            self.log.record(rec)
        self.log.flush()

        self.header = QLabel(self._header_text())
        self.header.setObjectName("bundleHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)

        self.cards = [RecordedCard(state, bundle.ocpp) for state in self.source.states]
        column_widget = QWidget()
        column = QVBoxLayout(column_widget)
        column.setContentsMargins(0, 0, 0, 0)
        for card in self.cards:
            column.addWidget(card)
        column.addStretch(1)
        scroller = QScrollArea()
        scroller.setWidget(column_widget)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setMinimumWidth(column_widget.sizeHint().width() + 16)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.graphs = LiveGraphs()
        self.graphs.setMinimumHeight(260)
        self.tabs.addTab(self.graphs, "Graphs")
        self.settings_table = self._settings_table()
        settings_title = "Device model" if bundle.ocpp == "2.0.1" else "Configuration"
        self.tabs.addTab(self.settings_table, settings_title)
        self.tabs.addTab(self._text_tab(self._template_text()), "Station template")
        self.tabs.addTab(self._text_tab(bundle.scenario or "(no scenario)"), "Scenario")
        if bundle.conformance is not None:
            conformance = json.dumps(bundle.conformance, indent=2)
            self.tabs.addTab(self._text_tab(conformance), "Conformance")

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(scroller)
        body.addWidget(self.tabs)
        body.setStretchFactor(1, 1)
        body.setChildrenCollapsible(False)
        self.log_panel = LogPanel(self.log)
        self.log_panel.set_stations([bundle.station])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(body)
        split.addWidget(self.log_panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.header)
        layout.addWidget(split, 1)
        self.setCentralWidget(central)

        self.graphs.set_bridge(self.source)  # type: ignore[arg-type]  # the same face
        self.graphs.window_box.setCurrentIndex(self.graphs.window_box.count() - 1)  # All

    def _header_text(self) -> str:
        b = self.bundle
        first = _when(b.frames[0].ts) if b.frames else "—"
        last = _when(b.frames[-1].ts) if b.frames else "—"
        lines = [
            f"<b style='font-size:15pt'>{b.station}</b> &nbsp; OCPP {b.ocpp or '?'} &nbsp;·&nbsp; "
            f"{SOURCES.get(b.source, b.source)} &nbsp;·&nbsp; {len(b.frames):,} frames, "
            f"{first} to {last} &nbsp;·&nbsp; bundle written {b.created}"
        ]
        for part, why in b.missing.items():
            lines.append(f"<span style='color:#6b7280'>No {part}: {why}</span>")
        return "<br>".join(lines)

    def _settings_table(self) -> QTableWidget:
        rows = self.bundle.settings or []
        table = QTableWidget(len(rows), 3)
        table.setObjectName("bundleSettings")
        table.setHorizontalHeaderLabels(["Name", "Value", "Writable"])
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for n, row in enumerate(rows):
            value = "(secret)" if row.get("secret") else str(row.get("value") or "")
            cells = (str(row.get("name")), value, "yes" if row.get("writable") else "no")
            for column, text in enumerate(cells):
                table.setItem(n, column, QTableWidgetItem(text))
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnToContents(0)
        return table

    def _template_text(self) -> str:
        b = self.bundle
        if b.template is None:
            return f"(no station template: {b.missing.get('template', 'not recorded')})"
        return json.dumps({"template": b.template, "ev_template": b.ev_template}, indent=2)

    @staticmethod
    def _text_tab(text: str) -> QPlainTextEdit:
        view = QPlainTextEdit(text)
        view.setReadOnly(True)
        return view

    def closeEvent(self, event: QCloseEvent) -> None:
        self.log_panel.stop()
        self.graphs.set_bridge(None)
        self.log.close()
        self.db.close()
        super().closeEvent(event)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
