"""One connector as a card: its OCPP status in colour, what it is doing, and its actions.

The card reads the core on ``refresh`` (the station bridge calls it, coalesced)
and sends every click to an operation in ``ui.operations.connector`` or
``ui.operations.station`` through ``perform``, which reports failures in the
status bar.

A connector driven by real hardware (issue 6) carries a "physical" badge and
rows for its link health (state, frames, errors, last seen), refreshed on the
drivers' ``HealthChanged`` events (``ui.models.hardware.HealthWatch``); the
cable and the EV are then the hardware's, so the buttons that simulate them
are disabled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bench.facts.station import TxEventTracker, transaction_view
from bench.model.connector import Connector
from bench.model.faults import FAULTS
from bench.ocpp.api import ChargePointApi, LimitOrigin
from ui.errors import ErrorReporter
from ui.models import hardware as hw
from ui.models.badges import status_colour
from ui.operations import connector as ops
from ui.operations import perform
from ui.operations import station as station_ops

FIELDS = (
    ("error", "Error code"),
    ("transaction", "Transaction"),
    ("tag", "Tag"),
    ("power", "Power"),
    ("energy", "Session energy"),
    ("soc", "EV state of charge"),
    ("limit", "Offered limit"),
)
# 2.0.1: no error code in StatusNotification; the transaction has a charging state and a
# stream of TransactionEvents (E01-E03) whose last one the card shows.
FIELDS_201 = (
    ("error", "Fault"),
    ("transaction", "Transaction"),
    ("charging_state", "Charging state"),
    ("tx_event", "Last TransactionEvent"),
    ("trigger", "Trigger reason"),
    ("tag", "Id token"),
    ("power", "Power"),
    ("energy", "Session energy"),
    ("soc", "EV state of charge"),
    ("limit", "Offered limit"),
)
# Rows shown only for a connector with hardware behind it.
HARDWARE_FIELDS = (
    ("hardware", "Hardware"),
    ("link", "Link"),
    ("frames", "Frames"),
    ("link_errors", "Link errors"),
    ("last_seen", "Last seen"),
)
PHYSICAL_COLOUR = "#6c5ce7"


def limit_text(connector: Connector) -> str:
    """The limit in force and where it comes from (the lowest of all wins)."""
    amps = connector.current_limit_a
    sources = []
    if connector.local_limit_a is not None and connector.local_limit_a <= amps:
        sources.append("local")
    if connector.limit_a is not None and connector.limit_a <= amps:
        sources.append(connector.limit_source or "smart charging")
    cable = connector.effective_cable_max_a
    if cable is not None and cable <= amps and not sources:
        sources.append("cable")
    if not sources:
        sources.append("hardware")
    return f"{amps:.1f} A · {', '.join(sources)}"


def short_id(transaction_id: str) -> str:
    """A 2.0.1 transaction id is often a UUID: its first block is enough to tell them apart."""
    return transaction_id if len(transaction_id) <= 14 else transaction_id[:8] + "…"


def tool_button(text: str, tip: str, name: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setObjectName(name)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class ConnectorCard(QFrame):
    def __init__(
        self,
        cp: ChargePointApi,
        connector: Connector,
        reporter: ErrorReporter,
        default_ev: Callable[[], str],
        tags: Callable[[], dict[str, str]],
        default_tag: Callable[[], str],
        parent: QWidget | None = None,
        tx_events: TxEventTracker | None = None,
    ) -> None:
        super().__init__(parent)
        self.cp = cp
        # A station that reports TransactionEvents (2.0.1 E01-E03) shows a charging state
        # and the last event; one with StatusNotification error codes (1.6) shows those.
        self.event_rows = tx_events is not None
        self.external_limits = cp.external_limit_origin() is LimitOrigin.EXTERNAL
        self.tx_events = tx_events
        self.connector = connector
        self.reporter = reporter
        self._default_ev = default_ev
        self._tags = tags
        self._default_tag = default_tag
        self.setObjectName(f"connectorCard{connector.id}")
        self.setProperty("card", True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # 2.0.1 rows carry longer words (trigger reasons, UUID transaction ids).
        self.setMinimumWidth(370 if self.event_rows else 340)

        title = QLabel(f"Connector {connector.id}")
        title.setProperty("role", "cardTitle")
        self.status = QLabel()
        self.status.setObjectName("statusPill")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setMinimumWidth(120)
        self.physical_badge = QLabel("physical")
        self.physical_badge.setObjectName("physicalBadge")
        self.physical_badge.setStyleSheet(
            f"color:{PHYSICAL_COLOUR}; border:1px solid {PHYSICAL_COLOUR};"
            " border-radius:8px; padding:1px 8px; font-weight:600;"
        )
        self.physical_badge.hide()
        head = QHBoxLayout()
        head.addWidget(title)
        head.addWidget(self.physical_badge)
        head.addStretch(1)
        head.addWidget(self.status)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(3)
        self.values: dict[str, QLabel] = {}
        self.hardware_labels: list[QLabel] = []
        fields = (*(FIELDS_201 if self.event_rows else FIELDS), *HARDWARE_FIELDS)
        hardware_keys = {key for key, _ in HARDWARE_FIELDS}
        for row, (key, label) in enumerate(fields):
            name = QLabel(label)
            name.setProperty("role", "fieldName")
            value = QLabel("—")
            value.setObjectName(f"field_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            self.values[key] = value
            if key in hardware_keys:
                name.hide()
                value.hide()
                self.hardware_labels += [name, value]
        grid.setColumnStretch(1, 1)
        self.health_watch = hw.HealthWatch(self)
        self.health_watch.changed.connect(self.refresh_hardware)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(grid)
        layout.addLayout(self._build_actions())
        self.refresh()

    # ------------------------------------------------------------ actions
    def _build_actions(self) -> QGridLayout:
        self.plug_button = tool_button(
            "Plug in", "Plug an EV in (arrow: pick the EV)", "plugButton"
        )
        self.plug_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        plug_menu = QMenu(self.plug_button)
        for name in ops.ev_templates():
            action = QAction(name, plug_menu)
            action.triggered.connect(lambda _=False, n=name: self._plug(n))
            plug_menu.addAction(action)
        self.plug_button.setMenu(plug_menu)
        self.plug_button.clicked.connect(self._plug_or_unplug)

        self.card_button = tool_button(
            "Present card", "Hold an RFID card to the reader (arrow: pick the tag)", "cardButton"
        )
        self.card_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.card_menu = QMenu(self.card_button)
        self.card_menu.aboutToShow.connect(self._fill_card_menu)
        self.card_button.setMenu(self.card_menu)
        self.card_button.clicked.connect(lambda: self.present(self._default_tag()))

        self.fault_button = tool_button("Fault", "Inject a fault from the catalogue", "faultButton")
        self.fault_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        fault_menu = QMenu(self.fault_button)
        self.clear_fault_action = QAction("Clear fault", fault_menu)
        self.clear_fault_action.triggered.connect(
            lambda: perform(self.reporter, ops.clear_fault, self.connector)
        )
        fault_menu.addAction(self.clear_fault_action)
        fault_menu.addSeparator()
        for fault in FAULTS.values():
            if fault.scope != "connector":
                continue
            action = QAction(f"{fault.name.replace('_', ' ')}  ({fault.error_code})", fault_menu)
            action.setToolTip(fault.description)
            action.triggered.connect(lambda _=False, n=fault.name: self._raise_fault(n))
            fault_menu.addAction(action)
        self.fault_button.setMenu(fault_menu)

        self.suspend_button = tool_button("Suspend EV", "The EV pauses / resumes", "suspendButton")
        self.suspend_button.clicked.connect(
            lambda: perform(self.reporter, ops.toggle_ev_suspended, self.connector)
        )
        self.soc_button = tool_button("Set SoC…", "Set the EV's state of charge", "socButton")
        self.soc_button.clicked.connect(self._ask_soc)
        self.limit_button = tool_button("Limit…", "Set a local current limit", "limitButton")
        self.limit_button.clicked.connect(self._ask_limit)

        grid = QGridLayout()
        grid.setSpacing(4)
        for i, button in enumerate(
            (
                self.plug_button,
                self.card_button,
                self.fault_button,
                self.suspend_button,
                self.soc_button,
                self.limit_button,
            )
        ):
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            grid.addWidget(button, i // 3, i % 3)
        return grid

    def _plug_or_unplug(self) -> None:
        if self.connector.plugged:
            perform(self.reporter, ops.unplug, self.cp, self.connector.id)
        else:
            self._plug(self._default_ev())

    def _plug(self, template: str) -> None:
        if perform(self.reporter, ops.plug_in, self.cp, self.connector.id, template) is not None:
            self.reporter.report_info(f"Connector {self.connector.id}: {template} plugged in")

    def present(self, tag: str) -> None:
        if perform(self.reporter, station_ops.present_card, self.cp, tag, self.connector.id):
            self.reporter.report_info(f"Card {tag} presented at connector {self.connector.id}")

    def _fill_card_menu(self) -> None:
        self.card_menu.clear()
        for tag, status in self._tags().items():
            action = QAction(f"{tag}  ({status})", self.card_menu)
            action.triggered.connect(lambda _=False, t=tag: self.present(t))
            self.card_menu.addAction(action)
        self.card_menu.addSeparator()
        other = QAction("Other tag…", self.card_menu)
        other.triggered.connect(self._ask_tag)
        self.card_menu.addAction(other)

    def _ask_tag(self) -> None:
        tag, ok = QInputDialog.getText(self, "Present card", "RFID tag (idTag):")
        if ok:
            self.present(tag)

    def _raise_fault(self, name: str) -> None:
        perform(self.reporter, ops.raise_fault, self.connector, name)

    def _ask_soc(self) -> None:
        ev = self.connector.ev
        current = ev.soc if ev is not None else 50.0
        pct, ok = QInputDialog.getDouble(
            self, "State of charge", "EV state of charge (%):", current, 0, 100, 1
        )
        if ok:
            perform(self.reporter, ops.set_soc, self.connector, pct)

    def _ask_limit(self) -> None:
        # 1.6: a local cap; 2.0.1: an external limit the CSMS hears of (K12).
        current = None if self.external_limits else self.connector.local_limit_a
        amps, ok = QInputDialog.getDouble(
            self,
            "External current limit" if self.external_limits else "Local current limit",
            "Limit per phase in A (0 removes the limit):",
            current if current is not None else self.connector.hardware_max_a,
            0,
            1000,
            1,
        )
        if ok:
            perform(self.reporter, ops.set_limit, self.cp, self.connector, amps or None)

    # ------------------------------------------------------------ view
    def refresh(self) -> None:
        c = self.connector
        report = self.cp.connector(c.id)
        tx = transaction_view(self.cp, c)
        # 2.0.1 says only "Occupied": the pill adds the transaction's charging state.
        state = tx.charging_state if tx is not None else None
        pill = (
            f"{report.status} · {state}" if state and report.status == "Occupied" else report.status
        )
        colour = status_colour(state if state and report.status == "Occupied" else report.status)
        if self.status.text() != pill:
            self.status.setText(pill)
            self.status.setStyleSheet(
                f"background:{colour}; color:white; border-radius:10px;"
                " padding:3px 12px; font-weight:600;"
            )
        self.setStyleSheet(f"#{self.objectName()} {{ border-left: 5px solid {colour}; }}")
        values = self.values
        if self.event_rows:
            self._refresh_event_rows(tx)
        else:
            values["error"].setText(
                report.error_code
                if report.error_code == "NoError"
                else f"{report.error_code} ({report.vendor_error_code or ''})"
            )
        if tx is not None:
            values["transaction"].setText(short_id(tx.transaction_id))
            values["transaction"].setToolTip(tx.transaction_id)
            values["tag"].setText(tx.token)
            if tx.meter_start_wh is not None:
                session_wh = max(0, c.energy_wh - tx.meter_start_wh)
                values["energy"].setText(f"{session_wh / 1000:.2f} kWh")
            else:
                values["energy"].setText("—")
        else:
            values["transaction"].setText("—")
            values["tag"].setText("—")
            values["energy"].setText("—")
        meter = c.meter
        amps = " / ".join(f"{a:.1f}" for a in meter.current_a)
        values["power"].setText(f"{meter.power_w / 1000:.2f} kW  ({amps} A)")
        ev = c.ev
        if ev is None:
            values["soc"].setText("no EV")
        else:
            paused = "  · suspended" if ev.suspended else ""
            values["soc"].setText(f"{ev.soc:.1f} %  ({ev.spec.name}){paused}")
        if c.physical:  # the model's stand-in EV: a controller does not know the SoC
            values["soc"].setText("EV plugged in" if ev is not None else "no EV")
        values["limit"].setText(limit_text(c))
        self.plug_button.setText("Unplug" if c.plugged else "Plug in")
        self.suspend_button.setText(
            "Resume EV" if ev is not None and ev.suspended else "Suspend EV"
        )
        self.suspend_button.setEnabled(ev is not None)
        self.soc_button.setEnabled(ev is not None)
        self.clear_fault_action.setEnabled(c.fault is not None)
        physical = c.physical
        self.plug_button.setEnabled(not physical)
        self.suspend_button.setEnabled(ev is not None and not physical)
        self.soc_button.setEnabled(ev is not None and not physical)
        self.refresh_hardware()

    # ------------------------------------------------------------ hardware (issue 6)
    def refresh_hardware(self) -> None:
        """The physical badge and the link-health rows, from the drivers' own health."""
        found = hw.devices_of(self.connector)
        # A stopped station's drivers are detached: keep showing the last ones (disconnected).
        if found:
            self.health_watch.track(found)
        drivers = self.health_watch.drivers
        physical = bool(drivers)
        self.physical_badge.setHidden(not physical)
        for label in self.hardware_labels:
            label.setHidden(not physical)
        if not physical:
            return
        self.physical_badge.setToolTip("\n".join(hw.device_text(d) for d in drivers))
        several = len(drivers) > 1

        def lines(text_of) -> str:
            return "\n".join((f"{d.name}: " if several else "") + text_of(d) for d in drivers)

        values = self.values
        values["hardware"].setText("\n".join(hw.device_text(d, short=True) for d in drivers))
        values["hardware"].setToolTip("\n".join(hw.device_text(d) for d in drivers))
        values["link"].setText(lines(lambda d: hw.link_text(d.health, short=True)))
        values["link"].setToolTip(lines(lambda d: hw.link_text(d.health)))
        colour = "#27ae60" if all(d.health.connected for d in drivers) else "#c0392b"
        values["link"].setStyleSheet(f"color:{colour}; font-weight:600;")
        values["frames"].setText(lines(lambda d: f"{d.health.frames:,}"))
        values["link_errors"].setText(lines(lambda d: hw.errors_text(d.health)))
        values["last_seen"].setText(
            lines(lambda d: hw.last_seen_text(d.health, d.clock.monotonic()))
        )

    def _refresh_event_rows(self, tx: Any) -> None:
        c, values = self.connector, self.values
        fault = c.fault or c.station.fault
        values["error"].setText("none" if fault is None else fault.name.replace("_", " "))
        values["charging_state"].setText((tx.charging_state or "—") if tx is not None else "—")
        last = self.tx_events.last.get(c.id) if self.tx_events is not None else None
        if last is None:
            values["tx_event"].setText("—")
            values["trigger"].setText("—")
        else:
            # The Ended event of the last transaction stays until the next one starts.
            values["tx_event"].setText(f"{last.event_type} · seqNo {last.seq_no}")
            values["trigger"].setText(last.trigger_reason)
            values["tx_event"].setToolTip(
                f"transactionId {last.transaction_id}"
                + (f", chargingState {last.charging_state}" if last.charging_state else "")
            )
