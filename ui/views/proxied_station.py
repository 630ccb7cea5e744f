"""A proxied charger on screen: its cards, live graphs, network faults and console.

Shared by the main window (a proxied station selected in the station list) and
Tools ▸ Proxy… (its Station tab), so the two never drift apart. Everything shown
comes from what the charger sent through the proxy (``ProxiedSource``): the
connector cards from StatusNotification and the transaction messages, the graphs
(power, current per phase, energy, state of charge) from its MeterValues, as far
as they carry each measurand. There are no plug, card or fault buttons: the bench
does not simulate this charger, it only listens to it. What the bench can do to
it is shown: the network faults of either leg, and the console, which sends a
CALL to either side (to the charger as if from the CSMS, to the CSMS as if from
the charger) with the reply shown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from bench.proxy.observed import ObservedConnector
from bench.proxy.rules import TO_CHARGER, TO_CSMS
from bench.proxy.station import ProxiedStation
from ui.errors import ErrorReporter
from ui.models.badges import BADGE_TEXT, status_colour
from ui.models.proxied_source import ProxiedSource
from ui.operations import perform_async
from ui.operations import proxy as ops
from ui.views.graphs import LiveGraphs
from ui.views.proxy_faults import ProxyFaultsRow

# The marks of a proxied station, in the station list and on its view.
PROXIED_COLOUR = "#0f6b73"  # white text on it: 6.3:1 (WCAG AA)
DISCONNECTED_COLOUR = "#b03a2e"
CARD_WIDTH = 290  # a status pill and "16.0 / 16.0 / 16.0 A" side by side
NOT_OFFERED = (
    "No plug, card or fault buttons: the bench listens to this charger, it does not simulate it."
)


def _fmt(value: float, unit: str, digits: int = 2) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f} {unit}"


def _pill(label: QLabel, text: str, colour: str) -> None:
    label.setText(text)
    label.setStyleSheet(
        f"QLabel {{ background: {colour}; color: {BADGE_TEXT}; border-radius: 9px;"
        " padding: 2px 10px; font-weight: 600; }"
    )


class ObservedCard(QFrame):
    """One connector of a proxied charger, as its last reports describe it."""

    def __init__(self, key: tuple[int, int]) -> None:
        super().__init__()
        self.key = key
        self.setObjectName("proxiedCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(CARD_WIDTH)
        grid = QGridLayout(self)
        self.title = QLabel()
        bold = QFont()
        bold.setBold(True)
        self.title.setFont(bold)
        self.status = QLabel()
        self.status.setObjectName("proxiedStatus")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.status, 0, 1)
        self.values: dict[str, QLabel] = {}
        for row, name in enumerate(
            ("Transaction", "Id tag", "Power", "Current", "Session", "Register", "SoC"), 1
        ):
            grid.addWidget(QLabel(name), row, 0)
            self.values[name] = QLabel("—")
            self.values[name].setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(self.values[name], row, 1)

    def show_connector(self, c: ObservedConnector) -> None:
        self.title.setText(c.label)
        state = c.status if c.charging_state is None else f"{c.status} · {c.charging_state}"
        _pill(self.status, state, status_colour(c.status))
        tx = c.transaction_id or "—"
        self.values["Transaction"].setText(tx if len(tx) <= 14 else tx[:8] + "…")
        self.values["Id tag"].setText(c.id_tag or "—")
        self.values["Power"].setText(_fmt(c.power_w / 1e3, "kW"))
        shown = [f"{a:.1f}" for a in c.current_a if not math.isnan(a)]
        self.values["Current"].setText(" / ".join(shown) + " A" if shown else "—")
        self.values["Session"].setText(_fmt(c.session_wh / 1e3, "kWh", 3))
        self.values["Register"].setText(_fmt(c.energy_wh / 1e3, "kWh", 3))
        self.values["SoC"].setText(_fmt(c.soc, "%", 0))


class ProxiedConsole(QWidget):
    """Send any CALL to either side of a proxied station; the reply below."""

    def __init__(
        self, reporter: ErrorReporter, station: Callable[[], ProxiedStation | None]
    ) -> None:
        super().__init__()
        self.reporter = reporter
        self.station = station
        layout = QGridLayout(self)
        self.side_combo = QComboBox()
        self.side_combo.setObjectName("consoleSide")
        self.side_combo.addItem("To the charger (as if from the CSMS)", TO_CHARGER)
        self.side_combo.addItem("To the CSMS (as if from the charger)", TO_CSMS)
        self.action_edit = QLineEdit("GetConfiguration")
        self.action_edit.setObjectName("consoleAction")
        self.payload_edit = QPlainTextEdit('{"key": ["HeartbeatInterval"]}')
        self.payload_edit.setObjectName("consolePayload")
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("consoleSend")
        self.send_button.clicked.connect(self.send)
        self.reply_view = QPlainTextEdit()
        self.reply_view.setObjectName("consoleReply")
        self.reply_view.setReadOnly(True)
        layout.addWidget(QLabel("Send"), 0, 0)
        layout.addWidget(self.side_combo, 0, 1)
        layout.addWidget(QLabel("Action"), 1, 0)
        layout.addWidget(self.action_edit, 1, 1)
        layout.addWidget(QLabel("Payload"), 2, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.payload_edit, 2, 1)
        layout.addWidget(self.send_button, 3, 1, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(QLabel("Reply"), 4, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.reply_view, 4, 1)

    @asyncSlot()
    async def send(self) -> None:
        station = self.station()
        if station is None:
            self.reporter.report_error("The proxied charger is not connected")
            return
        reply = await perform_async(
            self.reporter,
            ops.send_call,
            station,
            self.side_combo.currentData(),
            self.action_edit.text(),
            self.payload_edit.toPlainText(),
        )
        if reply is None:
            return
        verdict = "valid" if reply.valid else f"invalid: {reply.error}"
        self.reply_view.setPlainText(
            f"{reply.type} ({verdict})\n{json.dumps(reply.payload, indent=2)}"
        )


class ProxiedStationView(QWidget):
    """One proxied charger: header, faults of both legs, connector cards, graphs, console."""

    def __init__(self, reporter: ErrorReporter, *, console: bool = True) -> None:
        super().__init__()
        self.setObjectName("proxiedStationView")
        self.source: ProxiedSource | None = None
        self.cards: dict[tuple[int, int], ObservedCard] = {}

        self.title = QLabel("No proxied station yet: point a charger at the proxy")
        self.title.setObjectName("proxiedTitle")
        big = QFont()
        big.setPointSize(big.pointSize() + 5)
        big.setBold(True)
        self.title.setFont(big)
        self.mark = QLabel()
        self.mark.setObjectName("proxiedMark")
        self.link = QLabel()
        self.link.setObjectName("proxiedLink")
        self.subtitle = QLabel()
        self.subtitle.setProperty("role", "muted")
        self.subtitle.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.link, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)

        self.faults_row = ProxyFaultsRow(reporter)
        # Cards in a column on the left, the tabs beside them, as a bench station's view.
        cards_column = QWidget()
        self.cards_row = QVBoxLayout(cards_column)
        self.cards_row.setContentsMargins(0, 0, 0, 0)
        self.cards_row.addStretch(1)
        scroller = QScrollArea()
        scroller.setWidget(cards_column)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setMinimumWidth(CARD_WIDTH + 16)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.graphs = LiveGraphs()
        self.graphs.setMinimumHeight(300)
        self.tabs.addTab(self.graphs, "Live graphs")
        self.console: ProxiedConsole | None = None
        if console:
            self.console = ProxiedConsole(reporter, self.current_station)
            self.tabs.addTab(self.console, "Console")

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(scroller)
        body.addWidget(self.tabs)
        body.setStretchFactor(1, 1)
        body.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addLayout(top)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.faults_row)
        layout.addWidget(body, 1)
        self.refresh()

    def current_station(self) -> ProxiedStation | None:
        return None if self.source is None else self.source.link

    def set_source(self, source: ProxiedSource | None) -> None:
        """Show ``source`` (None: nothing) and follow its changes until told otherwise."""
        if source is self.source:
            self.refresh()
            return
        if self.source is not None:
            self.source.changed.disconnect(self.refresh)
            self.source.shape_changed.disconnect(self._reshape)
        self.source = source
        for card in self.cards.values():
            card.deleteLater()
        self.cards.clear()
        if source is not None:
            source.changed.connect(self.refresh)
            source.shape_changed.connect(self._reshape)
        self.graphs.set_bridge(source)  # type: ignore[arg-type]  # the bridge's face
        if source is not None:
            self.graphs.window_box.setCurrentIndex(self.graphs.window_box.count() - 1)  # All
        self.refresh()

    def _reshape(self) -> None:
        # Connectors seen for the first time, or a second phase: the graphs rebuild.
        self.graphs.set_bridge(self.source)  # type: ignore[arg-type]

    def refresh(self) -> None:
        source = self.source
        if source is None:
            self.title.setText("No proxied station yet: point a charger at the proxy")
            self.mark.clear()
            self.mark.setStyleSheet("")
            self.link.clear()
            self.link.setStyleSheet("")
            self.subtitle.setText("")
            self.faults_row.show_station(None, None)
            return
        self.title.setText(source.station_id)
        _pill(self.mark, "⇄ proxied", PROXIED_COLOUR)
        if source.connected:
            _pill(self.link, "connected", "#1e7e3c")
        else:
            _pill(self.link, "disconnected", DISCONNECTED_COLOUR)
        upstream = source.server.upstream if source.server is not None else "—"
        self.subtitle.setText(
            f"A real charger talking to {upstream} through the bench's proxy · OCPP "
            f"{source.version}. Cards and graphs come from its StatusNotification, "
            f"transaction messages and MeterValues. {NOT_OFFERED}"
        )
        self.faults_row.show_station(source.server, source.station_id)
        for key, connector in sorted(source.connectors.items()):
            card = self.cards.get(key)
            if card is None:
                card = self.cards[key] = ObservedCard(key)
                self.cards_row.insertWidget(self.cards_row.count() - 1, card)
            card.show_connector(connector)
