"""A proxied station's "Network faults" row: one button per leg (issue 17).

The station view's button (presets, custom, clear) aimed at a proxied station's
charger leg, a second one at its CSMS leg, and a line saying what is in force on
both legs. The faults belong to
the station, not to one connection: they stay across its reconnects until cleared.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from bench.proxy.server import ProxyServer
from bench.proxy.station import CSMS
from ui.errors import ErrorReporter
from ui.operations import proxy as ops
from ui.views.network_faults_menu import NetworkFaultsButton

IDLE = "Network faults: select a proxied station"


class ProxyFaultsRow(QWidget):
    def __init__(self, reporter: ErrorReporter) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.state = QLabel(IDLE)
        self.state.setObjectName("proxiedFaults")
        self.button = NetworkFaultsButton(
            None,
            reporter,
            presets=ops.CHARGER_LEG_PRESETS,
            what="the leg between the charger and the bench (kept across its reconnects)",
        )
        self.button.setObjectName("proxiedFaultsButton")
        # The upstream leg has the faults of a connection being opened too (dnsfail,
        # tlsfail): the proxy opens it (bench.proxy.faults).
        self.csms_button = NetworkFaultsButton(
            None,
            reporter,
            what="the leg between the bench and the CSMS (kept across reconnects)",
            label="CSMS leg faults",
        )
        self.csms_button.setObjectName("proxiedCsmsFaultsButton")
        layout.addWidget(self.button)
        layout.addWidget(self.csms_button)
        layout.addWidget(self.state, 1)
        self._shown: tuple[ProxyServer, str] | None = None

    def show_station(self, server: ProxyServer | None, station_id: str | None) -> None:
        """Aim the button at ``station_id``'s charger leg (None: nothing selected)."""
        wanted = None if server is None or station_id is None else (server, station_id)
        if wanted != self._shown:
            self._shown = wanted
            self.button.retarget(None if wanted is None else ops.ProxiedLeg(*wanted))
            self.csms_button.retarget(
                None if wanted is None else ops.ProxiedLeg(*wanted, side=CSMS)
            )
        else:
            self.button.refresh()  # changed meanwhile from elsewhere (a script, a test)
            self.csms_button.refresh()
        if wanted is None:
            self.state.setText(IDLE)
            return
        server, station_id = wanted
        charger = server.impairment(station_id, "charger").describe()
        csms = server.impairment(station_id, "csms").describe()
        self.state.setText(f"Charger leg: {charger} · CSMS leg: {csms}")
