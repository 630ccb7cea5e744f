"""Tools ▸ Proxy…: a real charger and a real CSMS talking through the bench (issue 17).

The window starts a ``bench.proxy.ProxyServer`` in front of a CSMS (the built-in
one by default), lists the chargers that connect through it, each marked as
proxied, and shows the selected one from what it sends: a card per connector
(status, transaction, power, energy) and live graphs. Its frames go to the main
window's message log. The console sends any CALL to either side with the reply
shown; the rules editor changes the rules in force and releases held frames. The
station tab's "Network faults" button impairs the selected station's charger leg.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from bench.kernel.frames import FanOut, FrameRecord
from bench.proxy.observed import SAMPLE_FIELDS, ObservedConnector, ObservedStation
from bench.proxy.rules import TO_CHARGER, TO_CSMS, RuleBook
from bench.proxy.server import ProxyServer
from bench.proxy.station import ProxiedStation
from ui.operations import perform, perform_async
from ui.operations import proxy as ops
from ui.theme import plot_colours
from ui.views.proxy_faults import ProxyFaultsRow

if TYPE_CHECKING:
    from ui.main_window import MainWindow

REFRESH_MS = 500
EXAMPLE_RULES = [
    {
        "name": "hide meter values from the CSMS",
        "direction": "to_csms",
        "action": "MeterValues",
        "then": "drop",
        "enabled": False,
    },
    {
        "name": "refuse data transfers",
        "action": "DataTransfer",
        "then": "answer",
        "error": {"code": "NotSupported", "description": "not through this proxy"},
    },
]


def _fmt(value: float, unit: str, digits: int = 2) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f} {unit}"


def _effect(rule: Any) -> str:
    """What a rule does, in a few words for the table."""
    if rule.then == "delay":
        return f"delay {rule.seconds:g} s"
    if rule.then == "replace":
        return "replace " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in rule.set.items())
    if rule.then == "answer" and rule.error is not None:
        return f"answer CALLERROR {rule.error.get('code')}"
    if rule.then == "answer":
        return "answer " + json.dumps(rule.result)
    return str(rule.then)


class ObservedCard(QFrame):
    """One connector of a proxied charger, as its last reports describe it."""

    def __init__(self, key: tuple[int, int]) -> None:
        super().__init__()
        self.key = key
        self.setObjectName("proxiedCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(240)
        grid = QGridLayout(self)
        self.title = QLabel()
        bold = QFont()
        bold.setBold(True)
        self.title.setFont(bold)
        self.status = QLabel()
        self.status.setObjectName("proxiedStatus")
        big = QFont()
        big.setPointSize(big.pointSize() + 4)
        big.setBold(True)
        self.status.setFont(big)
        grid.addWidget(self.title, 0, 0, 1, 2)
        grid.addWidget(self.status, 1, 0, 1, 2)
        self.values: dict[str, QLabel] = {}
        for row, name in enumerate(("Transaction", "Id tag", "Power", "Session", "Register"), 2):
            grid.addWidget(QLabel(name), row, 0)
            self.values[name] = QLabel("—")
            self.values[name].setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(self.values[name], row, 1)

    def show_connector(self, c: ObservedConnector) -> None:
        self.title.setText(c.label)
        state = c.status if c.charging_state is None else f"{c.status} · {c.charging_state}"
        self.status.setText(state)
        tx = c.transaction_id or "—"
        self.values["Transaction"].setText(tx if len(tx) <= 14 else tx[:8] + "…")
        self.values["Id tag"].setText(c.id_tag or "—")
        self.values["Power"].setText(_fmt(c.power_w / 1e3, "kW"))
        self.values["Session"].setText(_fmt(c.session_wh / 1e3, "kWh", 3))
        self.values["Register"].setText(_fmt(c.energy_wh / 1e3, "kWh", 3))


class ObservedGraphs(pg.GraphicsLayoutWidget):
    """Power and energy of one connector over time, from its meter values."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("proxiedGraphs")
        colours = plot_colours()
        self.setBackground(colours.background)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for row, (key, title, colour) in enumerate(
            (
                ("power_kw", "Power (kW)", colours.power),
                ("energy_kwh", "Energy (kWh)", colours.energy),
            )
        ):
            plot = self.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem()})
            plot.setLabel("left", title)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            if self.plots:
                plot.setXLink(self.plots["power_kw"])
            self.plots[key] = plot
            self.curves[key] = plot.plot(pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=4)

    def show_samples(self, samples: list[tuple[float, ...]]) -> None:
        rows = np.array(samples, dtype=float) if samples else np.empty((0, len(SAMPLE_FIELDS)))
        t = rows[:, 0] if len(rows) else np.empty(0)
        for key, curve in self.curves.items():
            values = rows[:, SAMPLE_FIELDS.index(key)] if len(rows) else np.empty(0)
            keep = ~np.isnan(values)
            curve.setData(t[keep], values[keep])
            if keep.any():
                # From zero: a charger's small meter noise must not look like swings.
                self.plots[key].setYRange(0, max(float(values[keep].max()) * 1.15, 0.1))


class ProxyWindow(QMainWindow):
    def __init__(self, main: MainWindow) -> None:
        super().__init__(main)
        self.main = main
        self.setWindowTitle("Proxy — OCPP Bench")
        self.resize(1400, 900)
        self.server: ProxyServer | None = None
        self.rules = RuleBook()
        self._cards: dict[tuple[int, int], ObservedCard] = {}
        self._shown: ObservedStation | None = None
        self._frames: list[FrameRecord] = []

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Listen on"))
        self.listen_edit = QLineEdit("127.0.0.1:9000")
        self.listen_edit.setObjectName("proxyListen")
        bar.addWidget(self.listen_edit)
        bar.addWidget(QLabel("Upstream CSMS"))
        self.upstream_edit = QLineEdit(main.workspace.csms_url or "ws://127.0.0.1:9000/ocpp")
        self.upstream_edit.setObjectName("proxyUpstream")
        self.upstream_edit.setMinimumWidth(320)
        bar.addWidget(self.upstream_edit, 1)
        self.start_button = QPushButton("Start proxy")
        self.start_button.setObjectName("proxyStart")
        self.start_button.clicked.connect(self.toggle)
        bar.addWidget(self.start_button)
        self.state_label = QLabel("Stopped")
        self.state_label.setProperty("role", "muted")
        bar.addWidget(self.state_label)

        self.station_list = QListWidget()
        self.station_list.setObjectName("proxiedStations")
        self.station_list.setMinimumWidth(220)
        self.station_list.currentItemChanged.connect(lambda *_: self.refresh())
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Proxied stations"))
        left_layout.addWidget(self.station_list)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._station_tab(), "Station")
        self.tabs.addTab(self._console_tab(), "Console")
        self.tabs.addTab(self._rules_tab(), "Rules")

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self.setCentralWidget(central)

        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # ------------------------------------------------------------------ tabs
    def _station_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.station_title = QLabel("No proxied station yet: point a charger at the proxy")
        self.station_title.setObjectName("proxiedTitle")
        layout.addWidget(self.station_title)
        self.faults_row = ProxyFaultsRow(self.main.reporter)
        layout.addWidget(self.faults_row)
        self.cards_row = QHBoxLayout()
        self.cards_row.addStretch(1)
        layout.addLayout(self.cards_row)
        self.graphs = ObservedGraphs()
        layout.addWidget(self.graphs, 1)
        return tab

    def _console_tab(self) -> QWidget:
        tab = QWidget()
        layout = QGridLayout(tab)
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
        return tab

    def _rules_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.rules_table = QTableWidget(0, 5)
        self.rules_table.setObjectName("rulesTable")
        self.rules_table.setHorizontalHeaderLabels(["Rule", "Direction", "Action", "Match", "Then"])
        self.rules_table.horizontalHeader().setStretchLastSection(True)
        self.rules_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.rules_table, 1)
        layout.addWidget(
            QLabel("Rules (JSON): the first enabled rule that matches a frame applies")
        )
        self.rules_edit = QPlainTextEdit(json.dumps({"rules": EXAMPLE_RULES}, indent=2))
        self.rules_edit.setObjectName("rulesEdit")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.rules_edit.setFont(mono)
        layout.addWidget(self.rules_edit, 2)
        row = QHBoxLayout()
        self.rules_state = QLabel("")
        self.rules_state.setObjectName("rulesState")
        row.addWidget(self.rules_state, 1)
        self.load_button = QPushButton("Load…")
        self.load_button.setObjectName("rulesLoad")
        self.load_button.clicked.connect(self._ask_load)
        row.addWidget(self.load_button)
        self.save_button = QPushButton("Save…")
        self.save_button.setObjectName("rulesSave")
        self.save_button.clicked.connect(self._ask_save)
        row.addWidget(self.save_button)
        self.apply_button = QPushButton("Apply rules")
        self.apply_button.setObjectName("rulesApply")
        self.apply_button.clicked.connect(self.apply_rules)
        row.addWidget(self.apply_button)
        layout.addLayout(row)
        held_row = QHBoxLayout()
        self.held_list = QListWidget()
        self.held_list.setObjectName("heldFrames")
        self.held_list.setMaximumHeight(90)
        held_row.addWidget(self.held_list, 1)
        self.release_button = QPushButton("Release held frames")
        self.release_button.setObjectName("releaseHeld")
        self.release_button.clicked.connect(self.release_all)
        held_row.addWidget(self.release_button)
        layout.addWidget(QLabel("Held frames of the selected station"))
        layout.addLayout(held_row)
        self.apply_rules()
        return tab

    # ------------------------------------------------------------------ actions
    @asyncSlot()
    async def toggle(self) -> None:
        if self.server is not None:
            await self.stop()
            return
        sink: Any = self.main.workspace.message_log
        server = await perform_async(
            self.main.reporter,
            ops.start_proxy,
            self.listen_edit.text(),
            self.upstream_edit.text(),
            self.rules,
            FanOut(sink) if sink is not None else FanOut(),
        )
        if server is None:
            return
        self.server = server
        self.state_label.setText(f"Listening on {server.url} → {server.upstream}")
        self.start_button.setText("Stop proxy")
        self.refresh()

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.close()
        self.state_label.setText("Stopped")
        self.start_button.setText("Start proxy")
        self.refresh()

    def apply_rules(self) -> None:
        count = perform(
            self.main.reporter, ops.apply_rules, self.rules, self.rules_edit.toPlainText()
        )
        if count is None:
            self.rules_state.setText("Not applied: see the status bar")
            return
        self.rules_state.setText(f"{count} rule(s) in force")
        self.rules_table.setRowCount(len(self.rules.rules))
        for row, rule in enumerate(self.rules.rules):
            match = ", ".join(f"{k} = {json.dumps(v)}" for k, v in rule.match.items())
            then = _effect(rule) + ("" if rule.enabled else " (off)")
            for col, text in enumerate(
                (rule.label, rule.direction, rule.action or "any", match, then)
            ):
                self.rules_table.setItem(row, col, QTableWidgetItem(text))
        self.rules_table.resizeColumnsToContents()

    def _ask_load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load rules", "", "Rules (*.json)")
        if path:
            self.load_rules_from(path)

    def _ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save rules", "rules.json", "Rules (*.json)")
        if path:
            self.save_rules_to(path)

    def load_rules_from(self, path: str) -> None:
        """A rule file into the editor, then in force."""
        text = perform(self.main.reporter, ops.read_rules_file, path)
        if text is not None:
            self.rules_edit.setPlainText(text)
            self.apply_rules()

    def save_rules_to(self, path: str) -> None:
        """The rules in force (the last applied) to a file ``--rules`` can read."""
        count = perform(self.main.reporter, ops.save_rules_file, self.rules, path)
        if count is not None:
            self.main.reporter.report_info(f"Saved {count} rule(s) to {path}")

    @asyncSlot()
    async def send(self) -> None:
        station = self.current_station()
        if station is None:
            self.main.reporter.report_error("Select a proxied station first")
            return
        reply = await perform_async(
            self.main.reporter,
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

    @asyncSlot()
    async def release_all(self) -> None:
        station = self.current_station()
        if station is not None:
            await perform_async(self.main.reporter, ops.release, station)
        self.refresh()

    # ------------------------------------------------------------------ view
    def current_station(self) -> ProxiedStation | None:
        item = self.station_list.currentItem()
        if item is None or self.server is None:
            return None
        return self.server.stations.get(item.data(Qt.ItemDataRole.UserRole))

    def refresh(self) -> None:
        stations = self.server.stations if self.server is not None else {}
        shown = [
            self.station_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.station_list.count())
        ]
        if shown != list(stations):
            current = self.station_list.currentItem()
            keep = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
            self.station_list.blockSignals(True)
            self.station_list.clear()
            for sid, station in stations.items():
                item = QListWidgetItem(f"{sid}\n  proxied · {station.subprotocol}")
                item.setData(Qt.ItemDataRole.UserRole, sid)
                item.setToolTip("A real charger connected through the bench's proxy")
                self.station_list.addItem(item)
                if sid == keep:
                    self.station_list.setCurrentItem(item)
            if self.station_list.currentItem() is None and self.station_list.count():
                self.station_list.setCurrentRow(0)
            self.station_list.blockSignals(False)
        station = self.current_station()
        self._show_station(station)

    def _show_station(self, station: ProxiedStation | None) -> None:
        self.faults_row.show_station(self.server, None if station is None else station.station_id)
        self.held_list.clear()
        if station is None:
            self.station_title.setText("No proxied station yet: point a charger at the proxy")
            self.graphs.show_samples([])
            return
        for held in station.held:
            self.held_list.addItem(
                f"#{held.number} {held.frame.type} {held.frame.action} ({held.rule})"
            )
        observed = station.observed
        self.station_title.setText(
            f"{station.station_id} — proxied, {station.subprotocol}; cards and graphs from "
            "its StatusNotification, transaction messages and MeterValues"
        )
        if observed is not self._shown:
            for card in self._cards.values():
                card.deleteLater()
            self._cards.clear()
            self._shown = observed
        for key in sorted(observed.connectors):
            card = self._cards.get(key)
            if card is None:
                card = self._cards[key] = ObservedCard(key)
                self.cards_row.insertWidget(self.cards_row.count() - 1, card)
            card.show_connector(observed.connectors[key])
        charging = [c for c in observed.connectors.values() if c.samples]
        self.graphs.show_samples(charging[0].samples if charging else [])


class ProxiedList(QWidget):
    """Under the main window's stations: the chargers proxied right now, marked as such."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        title = QLabel("Proxied (Tools ▸ Proxy…)")
        title.setProperty("role", "muted")
        layout.addWidget(title)
        self.list = QListWidget()
        self.list.setObjectName("proxiedInStations")
        self.list.setMaximumHeight(140)
        layout.addWidget(self.list)
        self.setVisible(False)

    def show_stations(self, stations: dict[str, ProxiedStation]) -> None:
        self.setVisible(bool(stations))
        rows = [(sid, _summary(station)) for sid, station in stations.items()]
        shown = [
            (self.list.item(i).data(Qt.ItemDataRole.UserRole), self.list.item(i).text())
            for i in range(self.list.count())
        ]
        if [(sid, text) for sid, text in rows] == shown:
            return
        self.list.clear()
        for sid, text in rows:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, sid)
            item.setToolTip("A real charger talking to its CSMS through the bench's proxy")
            self.list.addItem(item)


def _summary(station: ProxiedStation) -> str:
    statuses = [c.status for _, c in sorted(station.observed.connectors.items())]
    state = f" · {', '.join(statuses)}" if statuses else ""
    return f"{station.station_id}\n  proxied · {station.subprotocol}{state}"


class ProxyMenu:
    """Tools ▸ Proxy… in the main window, the window it opens (one, kept), and the
    proxied stations listed under the main window's own stations."""

    def __init__(self, window: MainWindow, tools_menu: Any) -> None:
        self.main = window
        self.window: ProxyWindow | None = None
        self.open_action = QAction("Proxy…", window)
        self.open_action.setToolTip("Put the bench between a real charger and a real CSMS")
        self.open_action.triggered.connect(self.show)
        tools_menu.addAction(self.open_action)
        self.proxied = ProxiedList()
        self.proxied.list.itemActivated.connect(self._open_station)
        self.proxied.list.itemClicked.connect(self._open_station)
        dock = window.stations_dock
        stations = dock.widget()
        both = QWidget()
        layout = QVBoxLayout(both)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(stations, 1)
        layout.addWidget(self.proxied)
        dock.setWidget(both)
        self.timer = QTimer(window, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def show(self) -> ProxyWindow:
        if self.window is None:
            self.window = ProxyWindow(self.main)
            self.timer.start()
        self.window.show()
        self.window.raise_()
        return self.window

    def refresh(self) -> None:
        server = self.window.server if self.window is not None else None
        self.proxied.show_stations(server.stations if server is not None else {})

    def _open_station(self, item: QListWidgetItem) -> None:
        window = self.show()
        sid = item.data(Qt.ItemDataRole.UserRole)
        for row in range(window.station_list.count()):
            if window.station_list.item(row).data(Qt.ItemDataRole.UserRole) == sid:
                window.station_list.setCurrentRow(row)
        window.tabs.setCurrentIndex(0)

    async def stop(self) -> None:
        self.timer.stop()
        if self.window is not None:
            self.window.timer.stop()
            await self.window.stop()
            self.window.close()


def install(window: MainWindow) -> ProxyMenu:
    return ProxyMenu(window, window.conformance.menu)
