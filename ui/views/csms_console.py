"""The built-in CSMS console: who is connected, send any request, edit the tag list.

Left: the stations the CSMS knows (registration, model, heartbeat age,
connectors, open transactions) and a feed of what they send it, both driven by
``CentralSystem.events``. Right, tab "Send": pick a station and any
CSMS-initiated request of the version it speaks (1.6: Core, the five optional
profiles, the security extension; 2.0.1: every functional block), edit the
payload (pre-filled from the schema, checked as you type), Send, and read the
reply or CALLERROR. Tab "Tags": the CSMS's id tags. Tab "Sessions": its
transactions, live (``ui.views.csms_sessions``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from bench.csms import console as catalogue
from bench.csms.config import TagEntry
from bench.csms.server import CentralSystem, StationEvent
from bench.csms.tag_store import TagStore
from ui.errors import ErrorReporter
from ui.models.csms_stations import CsmsStationsModel
from ui.operations import csms_console as ops
from ui.operations import perform
from ui.views.csms_sessions import CsmsSessionsPanel
from ui.views.json_view import JsonHighlighter
from ui.views.payload_editor import PayloadEditor
from ui.views.tag_editor import TagEditor

# The action picked when the console first shows a version's list.
_FIRST_ACTION = {"1.6": "RemoteStartTransaction", "2.0.1": "RequestStartTransaction"}
REFRESH_MS = 250  # coalesce bursts of CSMS events into one table refresh
AGE_MS = 1000  # heartbeat ages move without events
ACTIVITY_LIMIT = 500


def reply_summary(reply: dict[str, Any] | None, error: str | None) -> str:
    """One word for what the CSMS answered: a status, a CALLERROR code, or "ok"."""
    if error:
        return f"CALLERROR {error}"
    if not reply:
        return "ok"
    status = reply.get("status") or (reply.get("idTagInfo") or {}).get("status")
    return str(status) if status else "ok"


def describe_outcome(outcome: ops.SendOutcome) -> str:
    """Header lines (starting with #, greyed by the highlighter) then the payload."""
    took = f" · {outcome.elapsed_ms:.1f} ms" if outcome.elapsed_ms is not None else ""
    kind = outcome.kind + (f" {outcome.code}" if outcome.code else "")
    lines = [f"# {kind} · {outcome.action} · {outcome.station}{took}"]
    if outcome.message:
        lines.append(f"# {outcome.message}")
    if outcome.payload is not None:
        lines += ["", json.dumps(outcome.payload, indent=2, ensure_ascii=False)]
    return "\n".join(lines)


class CsmsConsole(QWidget):
    def __init__(
        self,
        csms: CentralSystem,
        reporter: ErrorReporter,
        tag_store: TagStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.csms = csms
        self.reporter = reporter
        self.tag_store = tag_store
        self.last_outcome: ops.SendOutcome | None = None
        self._sending = False
        self.version = "1.6"  # of the chosen station; the action list follows it
        # The station the "To" picker shows: the one selected in the station list
        # (follow_station), or the one the user picked in the console itself.
        self._wanted: str | None = None

        # ---- stations and activity
        self.stations = CsmsStationsModel(csms, self)
        self.table = QTableView()
        self.table.setObjectName("csmsStations")
        self.table.setModel(self.stations)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column, width in enumerate((150, 58, 88, 118, 62, 72, 130)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._station_double_clicked)
        self.activity = QListWidget()
        self.activity.setObjectName("csmsActivity")
        self.activity.setUniformItemSizes(True)  # a fixed row height: cheap at 500 lines
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self._titled("Connected stations", self.table))
        left.addWidget(self._titled("What the stations send", self.activity))
        left.setSizes([300, 200])  # the table gets more: a row per station
        # ---- send form
        self.station_combo = QComboBox()
        self.station_combo.setObjectName("consoleStation")
        self.station_combo.setMinimumContentsLength(14)
        self.action_combo = QComboBox()
        self.action_combo.setObjectName("consoleAction")
        self.action_combo.setMaxVisibleItems(30)
        # Not as wide as the longest action name: the reply beside it needs the room.
        self.action_combo.setMinimumContentsLength(18)
        self.action_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self._fill_actions()
        self.template_button = QPushButton("Template")
        self.template_button.setToolTip("Replace the payload with a fresh template")
        # Issue 10: SetChargingProfile has a form (ui/views/profile_dialog.py).
        self.form_button = QPushButton("Form…")
        self.form_button.setObjectName("consoleProfileForm")
        self.form_button.setToolTip("Build the charging profile in a form, with a preview")
        self.form_button.clicked.connect(self.open_profile_form)
        self.profile_dialog: Any = None
        # The charge point of a station that runs in this bench (set by the main window).
        self.local_station: Callable[[str], Any] | None = None
        self.force_box = QCheckBox("Force")
        self.force_box.setToolTip(
            "Send even where 1.6 §4.2 / 2.0.1 B02-B03 forbid it (station Pending or Rejected)"
        )
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("consoleSend")
        self.send_button.setDefault(True)
        form = QHBoxLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addWidget(QLabel("To"))
        form.addWidget(self.station_combo)
        form.addWidget(self.action_combo, 1)
        form.addWidget(self.template_button)
        form.addWidget(self.form_button)
        form.addWidget(self.force_box)
        form.addWidget(self.send_button)
        self.editor = PayloadEditor()
        request = QWidget()
        request_layout = QVBoxLayout(request)
        request_layout.setContentsMargins(0, 0, 0, 0)
        request_layout.addLayout(form)
        request_layout.addWidget(self.editor, 1)

        self.reply = QPlainTextEdit()
        self.reply.setObjectName("consoleReply")
        self.reply.setReadOnly(True)
        self.reply.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.reply.setPlaceholderText("The station's reply appears here")
        self._reply_highlighter = JsonHighlighter(self.reply.document())
        send_tab = QSplitter(Qt.Orientation.Horizontal)
        send_tab.addWidget(request)
        send_tab.addWidget(self._titled("Reply", self.reply))
        send_tab.setSizes([560, 420])  # proportions; Qt scales them to the width it has

        # ---- tags
        self.tag_editor = TagEditor(csms.clock.now, self._apply_tags)
        self.tag_editor.set_entries(csms.config.tags)

        self.tabs = QTabWidget()
        self.tabs.addTab(send_tab, "Send a request")
        self.tabs.addTab(self.tag_editor, "Tags")
        self.sessions = CsmsSessionsPanel(csms, reporter)
        self.tabs.addTab(self.sessions, "Sessions")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setSizes([790, 810])  # the station table's columns fit at 1600 px
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        # ---- wiring
        self.action_combo.currentIndexChanged.connect(self._action_changed)
        self.template_button.clicked.connect(self.reset_template)
        self.station_combo.currentIndexChanged.connect(self._station_changed)
        self.station_combo.activated.connect(self._station_picked)  # by the user only
        self.editor.validity_changed.connect(self._update_send_button)
        self.send_button.clicked.connect(self._send_clicked)
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh.timeout.connect(self.refresh)
        self._ages = QTimer(self, interval=AGE_MS)
        self._ages.timeout.connect(self._refresh_if_visible)
        self._ages.start()
        self._unsubscribe: Callable[[], None] | None = csms.events.subscribe(self._on_event)
        self.select_action(_FIRST_ACTION[self.version])
        self.refresh()

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        label = QLabel(title)
        label.setProperty("role", "muted")
        layout.addWidget(label)
        layout.addWidget(widget, 1)
        return box

    def _fill_actions(self) -> None:
        model = self.action_combo.model()
        assert isinstance(model, QStandardItemModel)
        for profile, group in catalogue.profiles(self.version).items():
            self.action_combo.addItem(f"— {profile} —", None)
            header = model.item(self.action_combo.count() - 1)
            header.setEnabled(False)  # a heading, not a choice
            for action in group:
                self.action_combo.addItem(f"   {action}", action)

    # ------------------------------------------------------------ stations and events
    def _on_event(self, event: Any) -> None:
        if not isinstance(event, StationEvent):
            return
        if event.kind == "message" and event.message is not None:
            msg = event.message
            self._add_activity(
                msg.received,
                f"{msg.station}  {msg.action}  → {reply_summary(msg.reply, msg.error)}",
            )
        else:
            self._add_activity(self.csms.clock.now(), f"{event.station}  {event.kind}")
        if not self._refresh.isActive():
            self._refresh.start()

    def _add_activity(self, when: datetime, text: str) -> None:
        self.activity.addItem(f"{when.astimezone().strftime('%H:%M:%S')}  {text}")
        while self.activity.count() > ACTIVITY_LIMIT:
            self.activity.takeItem(0)
        self.activity.scrollToBottom()

    def _refresh_if_visible(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Re-read the stations from the CSMS and keep the station picker in step."""
        self.stations.refresh()
        connected = self.stations.connected_ids()
        wanted = self._wanted if self._wanted is not None else self.station_combo.currentData()
        items = [(station_id, station_id) for station_id in connected]
        if self._wanted is not None and self._wanted not in connected:
            # Never fall back to another station: Send would go where the user did not look.
            items.insert(0, (f"{self._wanted} (not connected to the built-in CSMS)", None))
        if not items:
            items.append(("no station connected", None))
        combo = self.station_combo
        shown = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
        index = next((i for i, (_text, data) in enumerate(items) if data == wanted), 0)
        if shown != items or combo.currentIndex() != index:
            combo.blockSignals(True)
            if shown != items:
                combo.clear()
                for text, data in items:
                    combo.addItem(text, data)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self._sync_version()
        self._update_send_button()

    def follow_station(self, station_id: str | None) -> None:
        """The station selected in the station list: Send goes to it from now on."""
        self._wanted = station_id
        self.refresh()

    def _station_picked(self, _index: int) -> None:
        picked = self.station_combo.currentData()
        if picked is not None:
            self._wanted = picked
            self.refresh()  # drops a "not connected" entry the user chose away from

    def _station_changed(self, *_args: Any) -> None:
        self._sync_version()
        self._update_send_button()

    def _sync_version(self) -> None:
        """Offer the chosen station's version's actions (a 2.0.1 station gets 2.0.1's)."""
        station = self.station_combo.currentData()
        version = self.csms.protocol_version(station) if station is not None else None
        if version is None or version == self.version:
            return
        current = self.current_action()
        self.version = version
        self.action_combo.blockSignals(True)
        self.action_combo.clear()
        self._fill_actions()
        self.action_combo.blockSignals(False)
        keep = current in catalogue.actions(version)
        self.select_action(current if keep and current else _FIRST_ACTION[version])

    def _station_double_clicked(self, index: Any) -> None:
        self.select_station(self.stations.infos[index.row()].id)

    # ------------------------------------------------------------ the request
    def select_station(self, station_id: str) -> None:
        index = self.station_combo.findData(station_id)
        if index < 0:
            raise LookupError(f"station {station_id} is not connected to the built-in CSMS")
        self._wanted = station_id
        self.station_combo.setCurrentIndex(index)

    def select_action(self, action: str) -> None:
        index = self.action_combo.findData(action)
        if index < 0:
            raise LookupError(f"{action} is not a CSMS-initiated {self.version} request")
        if index == self.action_combo.currentIndex():
            self._action_changed(index)
        else:
            self.action_combo.setCurrentIndex(index)

    def current_action(self) -> str | None:
        return self.action_combo.currentData()

    def _action_changed(self, _index: int) -> None:
        self.form_button.setVisible(self.current_action() == "SetChargingProfile")
        self.reset_template()

    def open_profile_form(self) -> Any:
        """The charging-profile form; "Use in console" fills the payload editor with it."""
        from ui.views.profile_dialog import open_for_console

        station = self.station_combo.currentData()
        if self.current_action() != "SetChargingProfile":
            return None
        if self.profile_dialog is not None:
            self.profile_dialog.close()
        cp = self.local_station(station) if self.local_station and station else None
        self.profile_dialog = open_for_console(
            self.csms,
            station or "no station",
            self.version,
            cp,
            self.editor.payload,
            self._use_profile,
            self,
        )
        return self.profile_dialog

    def _use_profile(self, payload: dict[str, Any]) -> None:
        self.editor.set_payload("SetChargingProfile", payload, self.version)

    def reset_template(self) -> None:
        action = self.current_action()
        if action is None:
            return
        hints = {}
        accepted = [t for t, e in self.csms.config.tags.items() if e.status == "Accepted"]
        if accepted:
            hints["idTag"] = accepted[0]  # a tag the CSMS will accept
        payload = catalogue.template(action, self.csms.clock.now(), hints, self.version)
        self.editor.set_payload(action, payload, self.version)

    def _update_send_button(self, *_args: Any) -> None:
        station = self.station_combo.currentData()
        ready = station is not None and self.editor.valid and not self._sending
        self.send_button.setEnabled(ready)
        if station is None and self._wanted is not None:
            self.send_button.setToolTip(f"{self._wanted} is not connected to the built-in CSMS")
        elif station is None:
            self.send_button.setToolTip("No station is connected to the built-in CSMS")
        elif not self.editor.valid:
            self.send_button.setToolTip(f"Fix the payload first: {self.editor.error}")
        else:
            self.send_button.setToolTip(f"Send {self.current_action()} to {station}")

    @asyncSlot()
    async def _send_clicked(self) -> None:
        await self.send()

    async def send(self) -> ops.SendOutcome | None:
        """Send the editor's payload to the chosen station and show what came back."""
        station = self.station_combo.currentData()
        action = self.current_action()
        payload = self.editor.payload
        if station is None or action is None or payload is None or self._sending:
            return None
        self._sending = True
        self._update_send_button()
        self.reply.setPlainText(f"# {action} sent to {station}, waiting for the reply…")
        try:
            outcome = await ops.send(
                self.csms, station, action, payload, force=self.force_box.isChecked()
            )
        finally:
            self._sending = False
            self._update_send_button()
        self.last_outcome = outcome
        self.reply.setPlainText(describe_outcome(outcome))
        if outcome.ok:
            answer = reply_summary(outcome.payload, None)
        elif outcome.kind == "CALLERROR":
            answer = f"CALLERROR {outcome.code}"
        else:
            answer = outcome.kind
        self._add_activity(self.csms.clock.now(), f"CSMS → {station}  {action}  ← {answer}")
        if outcome.kind in ("NOT SENT", "NO REPLY"):
            self.reporter.report_error(f"{action} to {station}: {outcome.message}")
        else:
            self.reporter.report_info(f"{action} to {station}: {answer}")
        return outcome

    # ------------------------------------------------------------ tags
    def _apply_tags(self, tags: dict[str, TagEntry]) -> None:
        perform(self.reporter, ops.apply_tags, self.csms, self.tag_store, tags)

    def stop(self) -> None:
        self._refresh.stop()
        self._ages.stop()
        self.tag_editor.stop()
        self.sessions.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
