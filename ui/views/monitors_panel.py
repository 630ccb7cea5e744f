"""The monitors of a 2.0.1 station and the events they fired (part 2 N04-N08).

Top: every active monitor ``MonitorList.monitors()`` holds — id, who made it
(hard-wired, pre-configured, custom), component and variable, type, value,
severity, and whether a threshold is passed now. Bottom: the events fired since
the panel opened, newest first, from the block's ``MonitorFired`` events (each one
a NotifyEvent eventData, or filtered out by MonitoringLevel, N07.FR.15), named by
where the component sits ("EVSE 1 · Power").

Both follow the block's ``MonitorsChanged`` / ``MonitorFired`` events; the tables
are rebuilt at most once per bridge refresh, and only while visible.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.ocpp.v201.facets import DeviceModelAccess, MonitorList
from ui.models.bridge import StationBridge
from ui.operations.device_model import component_label, variable_label
from ui.views.facets import required

MONITOR_COLUMNS = ("Id", "Kind", "Component", "Variable", "Type", "Value", "Severity", "State")
EVENT_COLUMNS = ("Time", "Event", "Monitor", "Trigger", "Component · variable", "Actual", "Sent")
MAX_EVENTS = 500
# Severity levels (part 2 §3.77 / N: 0 Danger … 9 Debug).
SEVERITY_NAMES = (
    "Danger",
    "Hardware failure",
    "System failure",
    "Critical",
    "Error",
    "Alert",
    "Warning",
    "Notice",
    "Informational",
    "Debug",
)
_KIND_TEXT = {
    "HardWiredMonitor": "hard-wired",
    "PreconfiguredMonitor": "pre-configured",
    "CustomMonitor": "custom",
}


@dataclass(frozen=True, slots=True)
class FiredRow:
    time: str
    event_id: int
    monitor_id: int | None
    trigger: str
    cleared: bool
    what: str
    actual: str
    reported: bool


def fired_where(component: str, variable: str, evse_id: int | None) -> str:
    """What fired and on which EVSE: ``EVSE 1 · Power``, ``EVSE 2 · Connector · Problem``."""
    if evse_id is None:
        return f"{component} · {variable}"
    if component == "EVSE":
        return f"EVSE {evse_id} · {variable}"
    return f"EVSE {evse_id} · {component} · {variable}"


def severity_text(severity: int) -> str:
    name = SEVERITY_NAMES[severity] if 0 <= severity < len(SEVERITY_NAMES) else ""
    return f"{severity} {name}".strip()


def _item(text: Any, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(str(text))
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if tip:
        item.setToolTip(tip)
    return item


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.setAlternatingRowColors(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


class MonitorsPanel(QWidget):
    def __init__(self, bridge: StationBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.cp = bridge.cp
        self.monitor_access = required(self.cp, MonitorList)
        self.device_model = required(self.cp, DeviceModelAccess)
        self.fired: deque[FiredRow] = deque(maxlen=MAX_EVENTS)
        self._dirty = True

        self.monitors_title = QLabel("Monitors")
        self.monitors_title.setProperty("role", "cardTitle")
        self.monitors = _table(MONITOR_COLUMNS, "monitorsTable")
        self.events_title = QLabel("Events fired (NotifyEvent)")
        self.events_title.setProperty("role", "cardTitle")
        self.events = _table(EVENT_COLUMNS, "monitorEventsTable")
        hint = QLabel(
            "Monitors are set by the CSMS (SetVariableMonitoring, SetMonitoringBase); a threshold "
            "fires once when passed and once, cleared, when the value returns (N07)."
        )
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.monitors_title)
        top_layout.addWidget(self.monitors, 1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.events_title)
        bottom_layout.addWidget(self.events, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(split, 1)
        layout.addWidget(hint)

        self._unsubscribe: Callable[[], None] | None = self.cp.subscribe(self._on_cp_event)
        bridge.changed.connect(self.refresh)
        self.refresh(force=True)

    # ------------------------------------------------------------ data
    def monitor_list(self) -> list[Any]:
        return self.monitor_access.monitors()

    def _on_cp_event(self, event: Any) -> None:
        name = type(event).__name__
        if name == "MonitorFired":
            what = fired_where(event.component, event.variable, getattr(event, "evse_id", None))
            self.fired.appendleft(
                FiredRow(
                    self.cp.clock.now().strftime("%H:%M:%S"),
                    event.event_id,
                    event.monitor_id,
                    event.trigger,
                    event.cleared,
                    what,
                    event.actual,
                    event.reported,
                )
            )
            self._dirty = True
        elif name in ("MonitorsChanged", "VariableMonitoringChanged"):
            self._dirty = True

    # ------------------------------------------------------------ view
    def refresh(self, force: bool = False) -> None:
        if not force and not (self._dirty and self.isVisible()):
            return
        self._dirty = False
        self._fill_monitors()
        self._fill_events()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh(force=True)

    def _fill_monitors(self) -> None:
        monitors = self.monitor_list()
        table = self.monitors
        table.setRowCount(len(monitors))
        for row, m in enumerate(monitors):
            kind = str(getattr(m, "kind", ""))
            tripped = bool(getattr(m, "tripped", False))
            state = "passed" if tripped else ""
            if getattr(m, "transaction", False):
                state = (state + " · transaction only").strip(" ·")
            vdef = self.device_model.definition.lookup(m.component, m.variable)
            unit = vdef.characteristics.unit if vdef is not None else None
            if str(m.type).startswith("Periodic"):
                unit = "s"  # a periodic monitor's value is its interval (N04)
            value = f"{m.value:g}" + (f" {unit}" if unit else "")
            cells = (
                m.id,
                _KIND_TEXT.get(kind, kind),
                component_label(m.component),
                variable_label(m.variable),
                str(m.type),
                value,
                severity_text(int(m.severity)),
                state,
            )
            for column, text in enumerate(cells):
                item = _item(text)
                if tripped:
                    item.setForeground(QBrush(QColor("#c0392b")))
                table.setItem(row, column, item)
        self.monitors_title.setText(f"Monitors ({len(monitors)})")

    def _fill_events(self) -> None:
        table = self.events
        table.setRowCount(len(self.fired))
        for row, fired in enumerate(self.fired):
            trigger = fired.trigger + (" (cleared)" if fired.cleared else "")
            sent = "yes" if fired.reported else "filtered (MonitoringLevel)"
            cells = (
                fired.time,
                fired.event_id,
                "" if fired.monitor_id is None else fired.monitor_id,
                trigger,
                fired.what,
                fired.actual,
                sent,
            )
            for column, text in enumerate(cells):
                table.setItem(row, column, _item(text))
        self.events_title.setText(f"Events fired (NotifyEvent) · {len(self.fired)}")

    def dispose(self) -> None:
        self.bridge.changed.disconnect(self.refresh)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
