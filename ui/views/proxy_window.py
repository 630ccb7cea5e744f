"""Tools ▸ Proxy…: a real charger and a real CSMS talking through the bench (issue 17).

The window starts a ``bench.proxy.ProxyServer`` in front of a CSMS (the built-in
one by default), lists the chargers that connect through it, each marked as
proxied, and shows the selected one from what it sends, with the same view the
main window shows it in (``ui.views.proxied_station``): a card per connector and
live graphs, the network faults of both legs. Its frames go to the main window's
message log. The console sends any CALL to either side with the reply shown; the
rules editor changes the rules in force and releases held frames.

``ProxyMenu`` keeps one ``ProxiedSource`` per charger that has connected, and puts
it in the main window's station list as a proxied row (issue 17): it appears when
the charger connects and says "disconnected" once it leaves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QFileDialog,
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

from bench.kernel.frames import FanOut
from bench.proxy.rules import RuleBook
from bench.proxy.server import ProxyServer
from bench.proxy.station import ProxiedStation
from ui.models.proxied_source import ProxiedSource
from ui.operations import perform, perform_async
from ui.operations import proxy as ops
from ui.views.proxied_station import ProxiedConsole, ProxiedStationView

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


class ProxyWindow(QMainWindow):
    def __init__(self, main: MainWindow, sources: Callable[[str], ProxiedSource | None]) -> None:
        super().__init__(main)
        self.main = main
        self.sources = sources  # the proxied stations' sources, kept by ProxyMenu
        self.setWindowTitle("Proxy — OCPP Bench")
        self.resize(1400, 900)
        self.server: ProxyServer | None = None
        self.rules = RuleBook()

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
        # The main window's view of a proxied station; its console is this window's tab.
        self.view = ProxiedStationView(self.main.reporter, console=False)
        self.faults_row = self.view.faults_row
        self.graphs = self.view.graphs
        return self.view

    def _console_tab(self) -> QWidget:
        self.console = ProxiedConsole(self.main.reporter, self.current_station)
        self.side_combo = self.console.side_combo
        self.action_edit = self.console.action_edit
        self.payload_edit = self.console.payload_edit
        self.send_button = self.console.send_button
        self.reply_view = self.console.reply_view
        return self.console

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
        self.held_list.clear()
        source = None if station is None else self.sources(station.station_id)
        self.view.set_source(source)
        if station is None:
            return
        for held in station.held:
            self.held_list.addItem(
                f"#{held.number} {held.frame.type} {held.frame.action} ({held.rule})"
            )


class ProxyMenu:
    """Tools ▸ Proxy… in the main window, the window it opens (one, kept), and the
    proxied stations as rows of the main window's station list."""

    def __init__(self, window: MainWindow, tools_menu: Any) -> None:
        self.main = window
        self.window: ProxyWindow | None = None
        self.sources: dict[str, ProxiedSource] = {}  # every charger seen, by id
        self.open_action = QAction("Proxy…", window)
        self.open_action.setToolTip("Put the bench between a real charger and a real CSMS")
        self.open_action.triggered.connect(self.show)
        tools_menu.addAction(self.open_action)
        self.timer = QTimer(window, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def show(self) -> ProxyWindow:
        if self.window is None:
            self.window = ProxyWindow(self.main, self.source_for)
            self.timer.start()
        self.window.show()
        self.window.raise_()
        return self.window

    def source_for(self, station_id: str) -> ProxiedSource | None:
        """The row of ``station_id``, made now if its charger connected since the last tick."""
        if station_id not in self.sources:
            self.refresh()
        return self.sources.get(station_id)

    def refresh(self) -> None:
        """Rows for chargers that connected; each row follows its charger's connection."""
        server = self.window.server if self.window is not None else None
        stations = server.stations if server is not None else {}
        added = False
        for sid, station in stations.items():
            if sid not in self.sources:
                self.sources[sid] = ProxiedSource(sid, self.main)
                self.main.station_model.add_proxied(self.sources[sid])
                added = True
            self.sources[sid].follow(server, station)
        for sid, source in self.sources.items():
            if sid not in stations:
                source.follow(server, None)  # left (or the proxy stopped): "disconnected"
        if added:
            self.main._refresh_station_filter()

    async def stop(self) -> None:
        self.timer.stop()
        if self.window is not None:
            self.window.timer.stop()
            await self.window.stop()
            self.window.close()


def install(window: MainWindow) -> ProxyMenu:
    return ProxyMenu(window, window.conformance.menu)
