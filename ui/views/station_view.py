"""The selected station: header, actions, one card per connector; tabs beside the cards.

The tabs follow what the station has (``ChargePointApi.facet``): live graphs and
smart charging for every station; configuration keys where it has them (1.6); the
device model, monitors and the virtual display where it has those (2.0.1, issue 5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QMenu,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from bench.facts.station import TxEventTracker
from bench.model.faults import FAULTS
from bench.ocpp.api import ChargePointApi
from bench.ocpp.v16.config import Configuration
from bench.ocpp.v201.facets import (
    DeviceModelAccess,
    DisplayScreens,
    MonitorList,
    TransactionEvents,
)
from ui.errors import ErrorReporter
from ui.models.bridge import StationBridge
from ui.operations import perform, perform_async
from ui.operations import station as ops
from ui.views.config_panel import ConfigPanel
from ui.views.connector_card import ConnectorCard, tool_button
from ui.views.graphs import LiveGraphs
from ui.views.network_faults_menu import NetworkFaultsButton
from ui.views.station_header import StationHeader


class StationView(QWidget):
    def __init__(
        self,
        bridge: StationBridge,
        reporter: ErrorReporter,
        *,
        default_ev: Callable[[], str],
        tags: Callable[[], dict[str, str]],
        default_tag: Callable[[], str],
        csms: Callable[[], Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.csms = csms  # the built-in CSMS: the Smart charging tab sends profiles with it
        self.cp: ChargePointApi = bridge.cp
        self._power_busy = False  # a power cut or restore is under way
        self.reporter = reporter
        self.header = StationHeader(self.cp)
        # 2.0.1: the last TransactionEvent per EVSE, shown on the cards (E01-E03).
        events = self.cp.facet(TransactionEvents)
        self.tx_events = TxEventTracker(events) if events is not None else None

        self.reboot_button = tool_button("Reboot", "Power-cycle the station", "rebootButton")
        self.reboot_button.clicked.connect(self._reboot)
        self.power_button = tool_button(
            "Power cut", "Cut the station's supply / bring it back", "powerButton"
        )
        self.power_button.clicked.connect(self._toggle_power)
        self.network_button = tool_button(
            "Cut network", "Drop the link to the CSMS / bring it back", "networkButton"
        )
        self.network_button.clicked.connect(
            lambda: perform(self.reporter, ops.toggle_network, self.cp)
        )
        self.faults_button = NetworkFaultsButton(self.cp, self.reporter)
        self.station_fault_button = tool_button(
            "Station fault", "Station-wide faults (connector 0)", "stationFaultButton"
        )
        self.station_fault_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.station_fault_button)
        self.clear_station_fault = QAction("Clear station fault", menu)
        self.clear_station_fault.triggered.connect(
            lambda: perform(self.reporter, ops.clear_station_fault, self.cp)
        )
        menu.addAction(self.clear_station_fault)
        menu.addSeparator()
        for fault in FAULTS.values():
            if fault.scope == "station":
                action = QAction(f"{fault.name.replace('_', ' ')}  ({fault.error_code})", menu)
                action.triggered.connect(
                    lambda _=False, n=fault.name: perform(
                        self.reporter, ops.raise_station_fault, self.cp, n
                    )
                )
                menu.addAction(action)
        self.station_fault_button.setMenu(menu)
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        buttons = (
            self.reboot_button,
            self.power_button,
            self.network_button,
            self.faults_button,
            self.station_fault_button,
        )
        for button in buttons:
            actions.addWidget(button)
        actions.addStretch(1)
        self.header.layout().addLayout(actions)

        self.cards = [
            ConnectorCard(
                self.cp,
                connector,
                reporter,
                default_ev=default_ev,
                tags=tags,
                default_tag=default_tag,
                tx_events=self.tx_events,
            )
            for connector in self.cp.station.connectors
        ]
        # Cards in a column on the left, the graphs beside them: both stay readable
        # at 1600x1000 with the log docked below.
        cards_column = QWidget()
        column = QVBoxLayout(cards_column)
        column.setContentsMargins(0, 0, 0, 0)
        for card in self.cards:
            column.addWidget(card)
        column.addStretch(1)
        scroller = QScrollArea()
        scroller.setWidget(cards_column)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setMinimumWidth(cards_column.sizeHint().width() + 16)

        self.graphs = graphs = LiveGraphs()
        graphs.setMinimumHeight(260)
        # The panels share the space beside the cards as tabs; hidden tabs cost nothing
        # (they skip their redraws).
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stationTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(graphs, "Live graphs")
        # What each tab beside the cards calls to let go of the station (events, timers).
        self.disposers: list[Callable[[], None]] = []
        self._add_tabs(bridge, reporter)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(scroller)
        body.addWidget(self.tabs)
        body.setStretchFactor(1, 1)
        body.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addWidget(self.header)
        layout.addWidget(body, 1)

        bridge.changed.connect(self.refresh)
        graphs.set_bridge(bridge)
        self.refresh()

    def _add_tabs(self, bridge: StationBridge, reporter: ErrorReporter) -> None:
        from ui.views.device_model_panel import DeviceModelPanel
        from ui.views.display_panel import DisplayPanel
        from ui.views.monitors_panel import MonitorsPanel
        from ui.views.smart_panel import SmartPanel

        cp = self.cp
        # 1.6 §3.13 / K01-K13 through bench.facts.smart
        self.smart_panel = SmartPanel(bridge, csms=self.csms, reporter=reporter)
        self._add_tab(self.smart_panel, "Smart charging", self.smart_panel.dispose)
        if cp.facet(Configuration) is not None:
            self.config_panel = ConfigPanel(bridge, reporter)
            self._add_tab(self.config_panel, "Configuration", self.config_panel.dispose)
        if cp.facet(DeviceModelAccess) is not None:
            self.device_model_panel = DeviceModelPanel(bridge, reporter)
            self._add_tab(self.device_model_panel, "Device model", self.device_model_panel.dispose)
        if cp.facet(MonitorList) is not None:
            self.monitors_panel = MonitorsPanel(bridge)
            self._add_tab(self.monitors_panel, "Monitors", self.monitors_panel.dispose)
        if cp.facet(DisplayScreens) is not None:
            self.display_panel = DisplayPanel(bridge)
            self._add_tab(self.display_panel, "Display", self.display_panel.dispose)

    def _add_tab(self, panel: QWidget, title: str, dispose: Callable[[], None]) -> None:
        self.tabs.addTab(panel, title)
        self.disposers.append(dispose)

    def card(self, connector_id: int) -> ConnectorCard:
        return self.cards[connector_id - 1]

    def refresh(self) -> None:
        self.header.refresh()
        for card in self.cards:
            card.refresh()
        self.network_button.setText(
            "Cut network" if ops.network_enabled(self.cp) else "Restore network"
        )
        self.clear_station_fault.setEnabled(self.cp.station.fault is not None)
        self.faults_button.refresh()
        power = self.cp.power()
        self.power_button.setText("Power restore" if power.cut else "Power cut")
        # While it boots (after a reboot or a restore) there is nothing to cut or restore.
        self.power_button.setEnabled((power.on or power.cut) and not self._power_busy)

    @asyncSlot()
    async def _reboot(self) -> None:
        self.reporter.report_info(f"{self.cp.station.id}: rebooting…")
        self.reboot_button.setEnabled(False)
        try:
            await perform_async(self.reporter, ops.reboot, self.cp)
        finally:
            self.reboot_button.setEnabled(True)

    @asyncSlot()
    async def _toggle_power(self) -> None:
        restore = self.cp.power().cut
        self.reporter.report_info(
            f"{self.cp.station_id}: " + ("power back, booting…" if restore else "power cut")
        )
        self._power_busy = True
        self.power_button.setEnabled(False)
        try:
            operation = ops.power_restore if restore else ops.power_cut
            await perform_async(self.reporter, operation, self.cp)
        finally:
            self._power_busy = False
            self.refresh()

    def dispose(self) -> None:
        self.bridge.changed.disconnect(self.refresh)
        self.graphs.set_bridge(None)
        for dispose in self.disposers:
            dispose()
        if self.tx_events is not None:
            self.tx_events.dispose()
