"""The virtual display of a 2.0.1 station and the messages the CSMS configured (part 2 O01-O06).

Top: one screen per EVSE showing what
``DisplayScreens.screen(evse_id)`` says is on it now — the station's own status screen
(state, power, session energy, tariff or cost), unless a CSMS message takes
precedence: AlwaysFront first, InFront messages in turn, NormalCycle messages
taking turns with the status screen — with the priority and message id under it.
Bottom: every configured MessageInfoType (``DisplayScreens.messages()``): id, priority,
state, EVSE, content, time window, transaction.

Follows the block's ``DisplayMessagesChanged`` event; while visible it also
redraws once per bridge refresh, as cycling messages take turns with time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.ocpp.v201.facets import DisplayScreens
from ui.models.bridge import StationBridge
from ui.views.facets import required

MESSAGE_COLUMNS = ("Id", "Priority", "State", "EVSE", "Content", "From", "Until", "Transaction")
BLANK = "—  no message  —"
SCREEN_STYLE = (
    "QFrame#displayScreen { background: #14241a; border: 3px solid #3b4a40; border-radius: 8px; }"
    " QLabel { color: #9ef0b4; font-family: 'DejaVu Sans Mono', monospace; }"
)


def screen_text(current: Any) -> tuple[str, str]:
    """(content, detail line) of what ``DisplayScreens.screen`` returned."""
    if current is None:
        return BLANK, ""
    if isinstance(current, str):
        return current, ""
    if isinstance(current, dict):  # a MessageInfoType
        content = current.get("message", {}).get("content", "")
        return content, f"{current.get('priority', '')} · message #{current.get('id', '')}"
    content = str(getattr(current, "content", current))
    priority = getattr(current, "priority", "")
    message_id = getattr(current, "message_id", None)
    if getattr(current, "station_screen", False):
        return content, "station screen"
    source = f"message #{message_id}" if message_id is not None else "station text"
    return content, f"{priority} · {source}".strip(" ·")


class Screen(QFrame):
    """One display: a dark panel with big text, and what it shows in small type."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("displayScreen")
        self.setStyleSheet(SCREEN_STYLE)
        self.setMinimumHeight(96)
        self.title = QLabel(title)
        self.title.setStyleSheet("color: #6fae82; font-size: 10px;")
        self.text = QLabel(BLANK)
        self.text.setObjectName("displayText")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setStyleSheet("font-size: 17px; font-weight: 600;")
        self.detail = QLabel("")
        self.detail.setStyleSheet("color: #6fae82; font-size: 10px;")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.detail)

    def show_current(self, current: Any) -> None:
        content, detail = screen_text(current)
        if self.text.text() != content:
            self.text.setText(content)
        self.detail.setText(detail)


def _cell(text: Any) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


class DisplayPanel(QWidget):
    def __init__(self, bridge: StationBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.cp = bridge.cp
        self.display = required(self.cp, DisplayScreens)
        self._dirty = True

        screens = QGridLayout()
        screens.setSpacing(8)
        # One screen per EVSE: a message for no EVSE in particular shows on all of them.
        self.screens: dict[int | None, Screen] = {}
        for n, connector in enumerate(self.cp.station.connectors):
            screen = Screen(f"EVSE {connector.id}")
            self.screens[connector.id] = screen
            screens.addWidget(screen, n // 2, n % 2)

        self.title = QLabel("Configured messages")
        self.title.setProperty("role", "cardTitle")
        self.table = QTableWidget(0, len(MESSAGE_COLUMNS))
        self.table.setObjectName("displayMessagesTable")
        self.table.setHorizontalHeaderLabels(list(MESSAGE_COLUMNS))
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(
            MESSAGE_COLUMNS.index("Content"), QHeaderView.ResizeMode.Stretch
        )
        hint = QLabel(
            "The CSMS sets messages with SetDisplayMessage and removes them with "
            "ClearDisplayMessage (O01-O06). AlwaysFront wins; InFront messages take turns in "
            "front; NormalCycle ones take turns with the station's own screen."
        )
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(screens)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)

        self._unsubscribe: Callable[[], None] | None = self.cp.subscribe(self._on_cp_event)
        bridge.changed.connect(self.refresh)
        self.refresh(force=True)

    def _on_cp_event(self, event: Any) -> None:
        if type(event).__name__ == "DisplayMessagesChanged":
            self._dirty = True

    # ------------------------------------------------------------ data
    def messages(self) -> list[dict[str, Any]]:
        return self.display.messages()

    def current(self, evse_id: int | None) -> Any:
        return self.display.screen(evse_id)

    # ------------------------------------------------------------ view
    def refresh(self, force: bool = False) -> None:
        if not force and not self.isVisible():
            return
        for evse_id, screen in self.screens.items():
            screen.show_current(self.current(evse_id))
        if force or self._dirty:
            self._dirty = False
            self._fill_table()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh(force=True)

    def _fill_table(self) -> None:
        messages = self.messages()
        self.table.setRowCount(len(messages))
        for row, message in enumerate(messages):
            display = message.get("display") or {}
            evse = (display.get("evse") or {}).get("id")
            cells = (
                message.get("id"),
                message.get("priority"),
                message.get("state", "any"),
                "all" if evse is None else evse,
                (message.get("message") or {}).get("content", ""),
                message.get("startDateTime", ""),
                message.get("endDateTime", ""),
                message.get("transactionId", ""),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, _cell(text))
        self.title.setText(f"Configured messages ({len(messages)})")

    def dispose(self) -> None:
        self.bridge.changed.disconnect(self.refresh)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
