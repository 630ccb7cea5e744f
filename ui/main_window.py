"""The main window: stations on the left, the selected station in the middle, the log below.

The window is a view of a ``Workspace``: it subscribes to its events (stations
added and removed) and builds one ``StationBridge`` per station. Closing the
window first awaits an orderly shutdown (every station's ChargePoint16.stop, then
the CSMS), and only then lets the window close.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from bench.csms.tag_store import TagStore
from bench.workspace import (
    StationAdded,
    StationRemoved,
    StationReplaced,
    Workspace,
    WorkspaceProblem,
)
from ui import shortcuts
from ui.errors import ErrorReporter
from ui.models.bridge import StationBridge
from ui.models.proxied_source import ProxiedSource
from ui.models.stations import StationListModel
from ui.operations import csms_console as console_ops
from ui.operations import perform
from ui.views.attach_hardware import HardwareActions
from ui.views.bundle_actions import install as install_bundles
from ui.views.conformance_window import install as install_conformance
from ui.views.csms_console import CsmsConsole
from ui.views.load_test_menu import install as install_load_test
from ui.views.log_view import LogPanel
from ui.views.proxied_station import ProxiedStationView
from ui.views.proxy_window import install as install_proxy
from ui.views.quit_dialog import ask_before_quitting, live_transactions
from ui.views.scenario_dock import install as install_scenario_runner
from ui.views.station_actions import StationActions
from ui.views.station_list import StationList
from ui.views.station_view import StationView

log = logging.getLogger(__name__)

STATIONS_WIDTH = 280
BOTTOM_HEIGHT = 300
ERROR_MS = 12_000
INFO_MS = 6_000


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace, reporter: ErrorReporter) -> None:
        super().__init__()
        self.workspace = workspace
        self.reporter = reporter
        self.closed = asyncio.Event()  # set once the shutdown has finished
        self._shutdown_task: asyncio.Task[None] | None = None
        self._shut_down = False
        self.quit_question: QMessageBox | None = None  # open while asking before quitting
        self._quit_confirmed = False
        self.setWindowTitle("OCPP Bench")
        self.resize(1600, 1000)

        self.station_model = StationListModel(self)
        self.bridges: dict[str, StationBridge] = {}
        self.views: dict[str, StationView] = {}
        self.proxied_view: ProxiedStationView | None = None  # shared by the proxied rows
        self._log_follows: str | None = None  # the proxied station the log was narrowed to
        # The log's station filter is rebuilt once per burst of adds/removes, not per
        # station: adding 300 stations would otherwise refill the combo 300 times.
        self._station_filter_timer = QTimer(self, singleShot=True, interval=150)
        self._station_filter_timer.timeout.connect(self._refresh_station_filter)

        self.stack = QStackedWidget()
        self.placeholder = QLabel("Starting the built-in CSMS and the demo station…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setProperty("role", "muted")
        self.stack.addWidget(self.placeholder)
        self.setCentralWidget(self.stack)

        self.station_list = StationList(self.station_model)
        self.station_list.selected.connect(self.show_station)
        self.stations_dock = self._dock("Stations", "stationsDock", self.station_list)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.stations_dock)
        self.log_panel: LogPanel | None = None
        self.log_dock = self._dock("Message log", "logDock", QWidget())
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self.csms_console: CsmsConsole | None = None
        self.console_dock = self._dock("CSMS console", "csmsConsoleDock", QWidget())
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.console_dock)
        self.tabifyDockWidget(self.log_dock, self.console_dock)
        self.log_dock.raise_()
        # Default proportions at 1600x1000: the station list as wide as its rows, the
        # log and console tall enough for their tables, the rest for the station.
        self.resizeDocks([self.stations_dock], [STATIONS_WIDTH], Qt.Orientation.Horizontal)
        self.resizeDocks([self.log_dock], [BOTTOM_HEIGHT], Qt.Orientation.Vertical)

        self.csms_label = QLabel()
        self.statusBar().addPermanentWidget(self.csms_label)
        reporter.error.connect(self.show_error)
        reporter.info.connect(self.show_info)
        self.station_actions = StationActions(
            workspace, reporter, self, self.station_list.current_station_id
        )
        self.station_list.set_actions(self.station_actions.list_actions)
        self.station_list.selected.connect(self.station_actions.update_state)
        self.station_actions.added.connect(self.station_list.select_station)
        self.hardware_actions = HardwareActions(workspace, reporter, self)
        self.hardware_actions.added.connect(self.station_list.select_station)
        self._build_menus()
        self.window_actions = shortcuts.install(self)  # navigation, find/export log, palette
        self.scenarios = install_scenario_runner(self)  # dock, Scenario menu (issue 10)
        self.conformance = install_conformance(self)  # Tools ▸ Conformance… (issue 13)
        self.bundles = install_bundles(self)  # File ▸ Export session…, Open bundle… (issue 17)
        self.proxy = install_proxy(self)  # Tools ▸ Proxy… (issue 17)
        self.load_test = install_load_test(self)  # Tools ▸ Load test… (issue 16)
        self._unsubscribe = workspace.events.subscribe(self._on_workspace_event)

    # ------------------------------------------------------------ construction
    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        return dock

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        station_menu = bar.addMenu("&Station")
        for action in (*self.station_actions.list_actions, self.station_actions.profiles_action):
            station_menu.addAction(action)
        station_menu.addAction(self.hardware_actions.attach_action)
        station_menu.addSeparator()
        toolbar = self.addToolBar("Actions")
        toolbar.setObjectName("actionsToolbar")
        toolbar.setMovable(False)
        self.plug_action = QAction("Plug in / unplug", self, shortcut="Ctrl+P")
        self.plug_action.triggered.connect(lambda: self._card_click("plug_button"))
        self.card_action = QAction("Present card", self, shortcut="Ctrl+T")
        self.card_action.triggered.connect(lambda: self._card_click("card_button"))
        self.network_action = QAction("Cut / restore network", self, shortcut="Ctrl+N")
        self.network_action.triggered.connect(lambda: self._view_click("network_button"))
        self.reboot_action = QAction("Reboot", self, shortcut="Ctrl+Shift+R")
        self.reboot_action.triggered.connect(lambda: self._view_click("reboot_button"))
        for action in (self.plug_action, self.card_action, self.network_action, self.reboot_action):
            station_menu.addAction(action)
            toolbar.addAction(action)

        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.stations_dock.toggleViewAction())
        log_toggle = self.log_dock.toggleViewAction()
        log_toggle.setShortcut("Ctrl+L")
        view_menu.addAction(log_toggle)
        console_toggle = self.console_dock.toggleViewAction()
        console_toggle.setShortcut("Ctrl+K")
        console_toggle.triggered.connect(lambda on: on and self.console_dock.raise_())
        view_menu.addAction(console_toggle)
        view_menu.addSeparator()
        station_tabs = (
            ("Live graphs", "graphs"),
            ("Smart charging", "smart_panel"),
            ("Configuration", "config_panel"),
            ("Device model (2.0.1)", "device_model_panel"),
            ("Monitors (2.0.1)", "monitors_panel"),
            ("Display (2.0.1)", "display_panel"),
        )
        for number, (label, panel) in enumerate(station_tabs, start=1):
            tab_action = QAction(label, self, shortcut=f"Ctrl+{number}")
            tab_action.triggered.connect(lambda _=False, name=panel: self._show_tab(name))
            view_menu.addAction(tab_action)

        help_menu = bar.addMenu("&Help")
        about = QAction("About OCPP Bench", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "OCPP Bench",
            "OCPP Bench: virtual charge points speaking OCPP 1.6J or 2.0.1 to any CSMS.\n"
            "Plug an EV in and present a card to start charging.",
        )

    # ------------------------------------------------------------ workspace events
    def _on_workspace_event(self, event: Any) -> None:
        if isinstance(event, StationAdded):
            self.add_station(event.run)
        elif isinstance(event, StationRemoved):
            self.remove_station(event.station_id)
        elif isinstance(event, StationReplaced):
            self.replace_station(event.run)
        elif isinstance(event, WorkspaceProblem):
            self.show_error(event.message)

    def attach_log(self) -> None:
        """Create the log panel once the workspace's database is open."""
        if self.log_panel is None and self.workspace.message_log is not None:
            self.log_panel = LogPanel(self.workspace.message_log)
            self.log_panel.exported.connect(
                lambda path, n: self.show_info(f"Exported {n:,} frames to {path}")
            )
            self.log_panel.copied.connect(
                lambda n: self.show_info(f"Copied {n:,} frames as JSON Lines")
            )
            self.log_dock.setWidget(self.log_panel)
            self.log_panel.set_stations(self._station_ids())
        self.attach_console()
        url = self.workspace.csms_url
        self.csms_label.setText(f"Built-in CSMS: {url}" if url else "No built-in CSMS")

    def attach_console(self) -> None:
        """Create the CSMS console once the built-in CSMS runs (with the saved tag list)."""
        csms = self.workspace.csms
        if self.csms_console is not None or csms is None:
            return
        store = TagStore(self.workspace.options.data_dir)
        perform(self.reporter, console_ops.restore_tags, csms, store)
        self.csms_console = console = CsmsConsole(csms, self.reporter, store)
        from ui.operations.charging_profiles import local_charge_point  # issue 10: the form

        console.local_station = lambda sid: local_charge_point(self.workspace, sid)
        self.console_dock.setWidget(console)
        # Send goes to the station on screen, not to the first one connected.
        self.station_list.selected.connect(
            lambda bridge: console.follow_station(bridge.station_id if bridge else None)
        )
        console.follow_station(self.station_list.current_station_id())

    def add_station(self, run: Any) -> StationBridge:
        self.attach_log()
        bridge = StationBridge(run, self)
        bridge.authorization.connect(
            lambda tag, status, sid=bridge.station_id: self._authorization(sid, tag, status)
        )
        self.bridges[bridge.station_id] = bridge
        self.station_model.add(bridge)
        self._station_filter_timer.start()
        if len(self.bridges) == 1:
            self.station_list.select_row(0)
        return bridge

    def remove_station(self, station_id: str) -> None:
        bridge = self.station_model.remove(station_id)
        view = self.views.pop(station_id, None)
        if view is not None:
            view.dispose()
            self.stack.removeWidget(view)
            view.deleteLater()
        if bridge is not None:
            bridge.dispose()
            self.bridges.pop(station_id, None)
        self._station_filter_timer.start()

    def _station_ids(self) -> list[str]:
        return [*self.bridges, *(s.station_id for s in self.station_model.proxied)]

    def _refresh_station_filter(self) -> None:
        if self.log_panel is not None:
            self.log_panel.set_stations(self._station_ids())

    def replace_station(self, run: Any) -> StationBridge:
        """A stopped station started again: new bridge in the same row, a fresh view."""
        shown = self.current_view()
        bridge = StationBridge(run, self)
        bridge.authorization.connect(
            lambda tag, status, sid=bridge.station_id: self._authorization(sid, tag, status)
        )
        old = self.station_model.replace(bridge)
        self.bridges[bridge.station_id] = bridge
        view = self.views.pop(bridge.station_id, None)
        if view is not None:
            view.dispose()
            self.stack.removeWidget(view)
            view.deleteLater()
        if old is not None:
            old.dispose()
        if view is not None and view is shown:
            self.show_station(bridge)
        self.station_actions.update_state()
        return bridge

    def show_station(self, bridge: StationBridge | ProxiedSource | None) -> None:
        previous = self.current_view()
        if previous is not None:
            previous.cp.watch(False)  # nobody looks at it any more: physics at its own pace
        simulated = not isinstance(bridge, ProxiedSource)
        # A proxied charger is not simulated: no plug, card, cable or reboot to act on.
        for action in (self.plug_action, self.card_action, self.network_action, self.reboot_action):
            action.setEnabled(simulated)
        if isinstance(bridge, ProxiedSource):
            self.show_proxied(bridge)
            return
        if self._log_follows is not None and self.log_panel is not None:
            # The log was narrowed to the proxied charger shown before: open it up again.
            if self.log_panel.station.currentData() == self._log_follows:
                self.log_panel.station.setCurrentIndex(0)
            self._log_follows = None
        if bridge is None:
            self.stack.setCurrentWidget(self.placeholder)
            return
        view = self.views.get(bridge.station_id)
        if view is None:
            view = StationView(
                bridge,
                self.reporter,
                default_ev=lambda run=bridge.run: run.options.ev_template,
                tags=self.workspace.tags,
                default_tag=lambda: self.workspace.default_tag,
                csms=lambda: self.workspace.csms,
            )
            self.views[bridge.station_id] = view
            self.stack.addWidget(view)
        self.stack.setCurrentWidget(view)
        view.cp.watch(True)  # its live values refresh every physics interval while shown

    def show_proxied(self, source: ProxiedSource) -> None:
        """A proxied charger's cards, graphs, faults and console; its frames in the log."""
        if self.proxied_view is None:
            self.proxied_view = ProxiedStationView(self.reporter)
            self.stack.addWidget(self.proxied_view)
        self.proxied_view.set_source(source)
        self.stack.setCurrentWidget(self.proxied_view)
        if self.log_panel is not None:
            # Both legs of its frames: the log's leg column tells them apart.
            self._refresh_station_filter()
            self.log_panel.station.setCurrentIndex(
                max(0, self.log_panel.station.findData(source.station_id))
            )
            self._log_follows = source.station_id

    def current_view(self) -> StationView | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, StationView) else None

    def _card_click(self, button: str) -> None:
        view = self.current_view()
        if view is None:
            self.show_error("Select a station first")
            return
        getattr(view.cards[0], button).click()

    def _show_tab(self, panel: str) -> None:
        """Bring one of the station view's tabs (graphs, smart charging, configuration) up."""
        view = self.current_view()
        if view is None:
            self.show_error("Select a station first")
            return
        widget = getattr(view, panel, None)
        if widget is None:
            # The tabs follow the station's OCPP version (1.6 / 2.0.1).
            self.show_error(f"{view.cp.station.id} (OCPP {view.cp.version}) has no such tab")
            return
        view.tabs.setCurrentWidget(widget)

    def _view_click(self, button: str) -> None:
        view = self.current_view()
        if view is None:
            self.show_error("Select a station first")
            return
        getattr(view, button).click()

    def _authorization(self, station_id: str, tag: str, status: str) -> None:
        if status == "Accepted":
            self.show_info(f"{station_id}: card {tag} accepted")
        else:
            self.show_error(f"{station_id}: card {tag} refused by the CSMS ({status})")

    # ------------------------------------------------------------ status bar
    def show_error(self, message: str) -> None:
        self.statusBar().setStyleSheet("QStatusBar { color: #c0392b; font-weight: 600; }")
        self.statusBar().showMessage(f"⚠  {message}", ERROR_MS)

    def show_info(self, message: str) -> None:
        self.statusBar().setStyleSheet("")
        self.statusBar().showMessage(message, INFO_MS)

    # ------------------------------------------------------------ layout persistence
    def restore_layout(self, settings: QSettings) -> None:
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.window_actions.save(settings)

    # ------------------------------------------------------------ shutdown
    async def shutdown(self) -> None:
        """Stop the log poller and the bridges, then every station and the CSMS."""
        if self._shut_down:
            return
        self.statusBar().showMessage("Stopping stations…")
        if self.log_panel is not None:
            self.log_panel.stop()
        if self.csms_console is not None:
            self.csms_console.stop()
        self._unsubscribe()
        await self.scenarios.stop()  # a running script lets go of its station first
        await self.conformance.stop()  # a conformance run stops its station and CSMS
        await self.proxy.stop()  # its legs close before the message log does
        await self.load_test.stop()  # a load run's Locust processes stop their stations
        for view in self.views.values():
            view.dispose()
        for bridge in self.bridges.values():
            bridge.dispose()
        try:
            await self.workspace.stop()
        finally:
            self._shut_down = True
            self.closed.set()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._shut_down:
            event.accept()
            return
        event.ignore()
        if self._shutdown_task is not None:
            return
        if self.quit_question is not None:  # already asking
            self.quit_question.raise_()
            return
        live = live_transactions(self.workspace)
        if live and not self._quit_confirmed:
            self.quit_question = ask_before_quitting(self, live, self._quit_answered)
            return
        self._shutdown_task = asyncio.ensure_future(self._close_after_shutdown())

    def _quit_answered(self, quit_anyway: bool) -> None:
        self.quit_question = None
        if quit_anyway:
            self._quit_confirmed = True
            self.close()

    async def _close_after_shutdown(self) -> None:
        try:
            await self.shutdown()
        finally:
            self.close()
