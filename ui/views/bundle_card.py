"""One connector of a recorded session: the look of a live connector card, no buttons.

It shows what the frames said last (``bench.bundle.summary.ConnectorState``):
the status pill in the same colours as a live card, the error code (1.6) or the
charging state and last TransactionEvent (2.0.1), the last transaction with its
token, the session energy and the last power the meter reported (the recording
holds nothing after it: a card of an ended session still shows it).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bench.bundle.summary import ConnectorState
from ui.models.badges import status_colour
from ui.views.connector_card import short_id

FIELDS_16 = (
    ("error", "Error code"),
    ("transaction", "Transaction"),
    ("tag", "Tag"),
    ("power", "Last power"),
    ("energy", "Session energy"),
)
FIELDS_201 = (
    ("transaction", "Transaction"),
    ("charging_state", "Charging state"),
    ("last_event", "Last event"),
    ("tag", "Token"),
    ("power", "Last power"),
    ("energy", "Session energy"),
)


class RecordedCard(QFrame):
    def __init__(self, state: ConnectorState, ocpp: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.setObjectName(f"connectorCard{state.place}")
        self.setProperty("card", True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(340)
        title = QLabel(f"{'EVSE' if ocpp == '2.0.1' else 'Connector'} {state.place}")
        title.setProperty("role", "cardTitle")
        recorded = QLabel("recorded")
        recorded.setProperty("role", "muted")
        self.status = QLabel(state.status)
        self.status.setObjectName("statusPill")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setMinimumWidth(120)
        colour = status_colour(state.status)
        self.status.setStyleSheet(
            f"background:{colour}; color:white; border-radius:10px;"
            " padding:3px 12px; font-weight:600;"
        )
        self.setStyleSheet(f"#{self.objectName()} {{ border-left: 5px solid {colour}; }}")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addWidget(recorded)
        head.addStretch(1)
        head.addWidget(self.status)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(3)
        self.values: dict[str, QLabel] = {}
        for row, (key, label) in enumerate(FIELDS_201 if ocpp == "2.0.1" else FIELDS_16):
            name = QLabel(label)
            name.setProperty("role", "fieldName")
            value = QLabel(self._text(key))
            value.setObjectName(f"field_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            self.values[key] = value
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(grid)

    def _text(self, key: str) -> str:
        s = self.state
        if key == "error":
            return s.error_code or "—"
        if key == "transaction":
            if s.transaction is None:
                return "—"
            return short_id(s.transaction) + (" (ended)" if s.ended else " (open)")
        if key == "tag":
            return s.tag or "—"
        if key == "charging_state":
            return s.charging_state or "—"
        if key == "last_event":
            return s.last_event or "—"
        if key == "power":
            return "—" if s.power_kw is None else f"{s.power_kw:.2f} kW"
        if key == "energy":
            return "—" if s.session_kwh is None else f"{s.session_kwh:.2f} kWh"
        raise KeyError(key)
