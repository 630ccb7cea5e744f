"""The station header: who it is, where it connects, and how the link is doing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bench.ocpp.api import ChargePointApi, LinkState, Registration
from ui.models.badges import link_badge


def heartbeat_age(cp: ChargePointApi) -> str:
    heartbeat = cp.heartbeat()
    if heartbeat.last_at is None:
        return "none yet" if cp.registration_state() is Registration.ACCEPTED else "—"
    age = max(0.0, cp.clock.monotonic() - heartbeat.last_at)
    return f"{age:.0f} s ago (every {heartbeat.interval_s} s)"


class StationHeader(QFrame):
    def __init__(self, cp: ChargePointApi, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cp = cp
        self.setObjectName("stationHeader")
        station = cp.station
        identity = station.identity
        self.title = QLabel(station.id)
        self.title.setObjectName("stationTitle")
        self.subtitle = QLabel(
            f"{identity.vendor} {identity.model}  ·  firmware {identity.firmware_version}"
            f"  ·  {station.template.name}  ·  OCPP {cp.version}"
        )
        self.subtitle.setProperty("role", "muted")
        self.badge = QLabel()
        self.badge.setObjectName("linkBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)

        top = QHBoxLayout()
        names = QVBoxLayout()
        names.addWidget(self.title)
        names.addWidget(self.subtitle)
        top.addLayout(names, 1)
        top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)

        self.values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        for col, (key, label) in enumerate(
            (
                ("csms", "CSMS"),
                ("registration", "Registration"),
                ("heartbeat", "Heartbeat"),
                ("queued", "Queued messages"),
                ("faults", "Network faults"),
            )
        ):
            name = QLabel(label)
            name.setProperty("role", "fieldName")
            value = QLabel("—")
            value.setObjectName(f"header_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, 0, col)
            grid.addWidget(value, 1, col)
            self.values[key] = value
        grid.setColumnStretch(0, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid)
        self.refresh()

    def refresh(self) -> None:
        cp = self.cp
        label, colour = link_badge(cp)
        if self.badge.text() != label:
            self.badge.setText(label)
            self.badge.setStyleSheet(
                f"background:{colour}; color:white; border-radius:10px; padding:4px 14px;"
                " font-weight:600;"
            )
        network = cp.network()
        offline = network.link is LinkState.OFFLINE
        detail = network.last_error if offline and network.last_error else ""
        text = f"{network.url}  ·  security profile {cp.security_profile()}"
        self.values["csms"].setText(text + (f"  ({detail})" if detail else ""))
        self.values["registration"].setText(cp.registration_state().value)
        self.values["heartbeat"].setText(heartbeat_age(cp))
        self.values["queued"].setText(str(cp.queue_length()))
        self.values["faults"].setText(cp.impairment().describe())
