"""The charging-profile form in a window, opened from the Smart charging tab or the console.

From a station's Smart charging tab ("New profile…"): Send asks the built-in CSMS to
send the SetChargingProfile, as the CSMS console does, when the station is
connected to it; otherwise the window says why it cannot (external CSMS: the bench
plays the charge point and cannot send itself CSMS requests; or not connected now)
and offers Copy JSON and, for an external CSMS, Install locally (the station's own
check and install, no OCPP message). The window stays open after a send so the
preview shows the station's new composite; the reply is shown under the form.

From the CSMS console ("Form…" beside SetChargingProfile): "Use in console" puts
the request into the console's payload editor, to be sent from there.

Both buttons need a request the form calls valid (schema-valid, no spec error).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from bench.csms.server import CentralSystem
from bench.ocpp.api import ChargePointApi
from ui.operations import OperationError
from ui.operations import charging_profiles as ops
from ui.views.profile_form import FormTarget, ProfileForm
from ui.views.profile_preview import status_colour, warning_colour

STATION, CONSOLE = "station", "console"
_CONSOLE_PLACES = 4  # connectors offered for a station that does not run in this bench


class ProfileDialog(QDialog):
    def __init__(
        self,
        target: FormTarget,
        *,
        mode: str = STATION,
        route: Callable[[], ops.Route] | None = None,
        csms: Callable[[], CentralSystem | None] | None = None,
        reporter: Any | None = None,
        initial: dict[str, Any] | None = None,
        place: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if mode not in (STATION, CONSOLE):
            raise ValueError(f"mode {mode!r} is not {STATION!r} or {CONSOLE!r}")
        self.setObjectName("profileDialog")
        self.mode = mode
        self.target = target
        self.route_of = route
        self.csms_of = csms
        self.reporter = reporter
        self.last_outcome: Any = None
        self.result_payload: dict[str, Any] | None = None
        self._sending = False
        what = "New charging profile" if mode == STATION else "SetChargingProfile form"
        self.setWindowTitle(f"{what} — {target.station_id} (OCPP {target.version})")
        self.resize(1240, 860)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:  # never taller or wider than the screen
            self.resize(min(1240, screen.width() - 40), min(860, screen.height() - 60))
        self._outcome_good: bool | None = None

        self.form = ProfileForm(target, initial, place)
        self.banner = QLabel(objectName="routeBanner")
        self.banner.setWordWrap(True)
        self.outcome = QLabel(objectName="sendOutcome")
        self.outcome.setWordWrap(True)
        self.copy_button = QPushButton("Copy JSON", objectName="copyJson")
        self.copy_button.setToolTip("Copy the request to the clipboard")
        self.install_button = QPushButton("Install locally", objectName="installLocally")
        self.install_button.setToolTip(
            "Install the profile on the station itself, without any OCPP message: "
            "its CSMS will not know about it"
        )
        self.send_button = QPushButton(objectName="sendProfile")
        self.close_button = QPushButton("Close" if mode == STATION else "Cancel")
        if mode == STATION:
            self.send_button.setText("Send")
            self.send_button.clicked.connect(self._send_clicked)
        else:
            self.send_button.setText("Use in console")
            self.send_button.clicked.connect(self.use_in_console)
            self.install_button.setVisible(False)
            self.banner.setVisible(False)
        self.send_button.setDefault(True)
        self.copy_button.clicked.connect(self.copy_json)
        self.install_button.clicked.connect(self.install_locally)
        self.close_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.install_button)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.form, 1)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.form.changed.connect(self.update_buttons)
        self.update_buttons()

    # ------------------------------------------------------------ state
    def route(self) -> ops.Route | None:
        return self.route_of() if self.route_of is not None else None

    def update_buttons(self) -> None:
        form = self.form
        self.copy_button.setEnabled(form.payload is not None and form.json_error is None)
        if self.mode == CONSOLE:
            self.send_button.setEnabled(form.valid)
            self.send_button.setToolTip(
                "Put this request into the console's payload editor"
                if form.valid
                else f"Fix the request first: {form.why_not}"
            )
            return
        route = self.route()
        self._show_banner(route)
        can_send = route is not None and route.can_send
        self.send_button.setEnabled(can_send and form.valid and not self._sending)
        if not form.valid:
            self.send_button.setToolTip(f"Fix the request first: {form.why_not}")
        elif route is None or not can_send:
            self.send_button.setToolTip(route.message if route else "No built-in CSMS")
        else:
            self.send_button.setToolTip(f"Send SetChargingProfile to {self.target.station_id}")
        external = route is not None and route.kind == ops.EXTERNAL and self.target.cp is not None
        self.install_button.setVisible(external)
        self.install_button.setEnabled(external and form.valid)

    def _show_banner(self, route: ops.Route | None) -> None:
        if route is None:
            self.banner.setText("There is no built-in CSMS: the profile cannot be sent from here.")
            self.banner.setStyleSheet(f"color: {warning_colour(self)};")
            return
        self.banner.setText(route.message)
        colour = "palette(placeholder-text)" if route.can_send else warning_colour(self)
        self.banner.setStyleSheet(f"color: {colour};")

    def _show_outcome(self, text: str, good: bool) -> None:
        self.outcome.setText(text)
        self._outcome_good = good
        self.outcome.setStyleSheet(f"color: {status_colour(self, good)}; font-weight: 600;")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.update_buttons()  # the banner's colour follows the palette
            if self._outcome_good is not None:
                self._show_outcome(self.outcome.text(), self._outcome_good)

    # ------------------------------------------------------------ actions
    def copy_json(self) -> None:
        if self.form.payload is not None:
            text = json.dumps(self.form.payload, indent=2, ensure_ascii=False)
            QApplication.clipboard().setText(text)

    def use_in_console(self) -> None:
        if self.form.valid and self.form.payload is not None:
            self.result_payload = self.form.payload
            self.accept()

    @asyncSlot()
    async def _send_clicked(self) -> None:
        await self.send()

    async def send(self) -> Any:
        """Send the request through the built-in CSMS; returns the console's SendOutcome."""
        route = self.route()
        csms = self.csms_of() if self.csms_of is not None else None
        payload = self.form.payload
        if route is None or not route.can_send or csms is None or payload is None:
            return None
        if not self.form.valid or self._sending:
            return None
        station = self.target.station_id
        self._sending = True
        self.update_buttons()
        self.outcome.setText(f"SetChargingProfile sent to {station}, waiting for the reply…")
        self.outcome.setStyleSheet("")
        self._outcome_good = None
        try:
            outcome = await ops.send(csms, station, payload)
        finally:
            self._sending = False
            self.update_buttons()
        self.last_outcome = outcome
        status = (outcome.payload or {}).get("status") if outcome.ok else None
        if status == "Accepted":
            self._show_outcome(f"✓ {station} accepted the profile.", True)
            self._report(f"SetChargingProfile to {station}: Accepted", error=False)
        else:
            reason = _reason(outcome)
            self._show_outcome(f"✗ {station}: {reason}", False)
            self._report(f"SetChargingProfile to {station}: {reason}", error=True)
        self.form.refresh()  # the composite "now" includes what was just installed
        return outcome

    def install_locally(self) -> None:
        cp = self.target.cp
        payload = self.form.payload
        if cp is None or payload is None or not self.form.valid:
            return
        try:
            ops.install_locally(cp, payload)
        except OperationError as exc:
            self._show_outcome(f"✗ {exc}", False)
            self._report(str(exc), error=True)
            return
        message = (
            f"✓ Installed on {cp.station_id} without an OCPP message; its CSMS does not know it."
        )
        self._show_outcome(message, True)
        self._report(f"Charging profile installed locally on {cp.station_id}", error=False)
        self.form.refresh()

    def _report(self, message: str, *, error: bool) -> None:
        if self.reporter is None:
            return
        if error:
            self.reporter.report_error(message)
        else:
            self.reporter.report_info(message)


def _reason(outcome: Any) -> str:
    """What a refusal or a failure says, in one line."""
    if outcome.ok:
        info = (outcome.payload or {}).get("statusInfo") or {}
        status = (outcome.payload or {}).get("status", "no status")
        detail = info.get("additionalInfo") or info.get("reasonCode")
        return f"{status}" + (f" ({detail})" if detail else "")
    if outcome.kind == "CALLERROR":
        return f"CALLERROR {outcome.code}: {outcome.message}"
    return f"{outcome.kind}: {outcome.message}"


def open_for_station(
    run: Any,
    csms: Callable[[], CentralSystem | None] | None,
    reporter: Any | None,
    place: int | None,
    parent: QWidget | None,
) -> ProfileDialog:
    """Show the form for one station of this bench, pre-filled for it (Smart charging tab)."""
    cp = run.cp
    station_id = cp.station_id

    def route() -> ops.Route:
        return ops.route(station_id, run.options.csms_url, csms() if csms is not None else None)

    target = FormTarget(cp.version, station_id, cp.clock.now, cp)
    dialog = ProfileDialog(
        target, mode=STATION, route=route, csms=csms, reporter=reporter, place=place, parent=parent
    )
    dialog.show()
    return dialog


def open_for_console(
    csms: CentralSystem,
    station_id: str,
    version: str,
    cp: ChargePointApi | None,
    payload: dict[str, Any] | None,
    use: Callable[[dict[str, Any]], None],
    parent: QWidget | None,
) -> ProfileDialog:
    """Show the form for the console's SetChargingProfile, starting from its payload."""
    now = cp.clock.now if cp is not None else csms.clock.now
    places = len(cp.connector_ids()) if cp is not None else _CONSOLE_PLACES
    target = FormTarget(version, station_id, now, cp, places)
    dialog = ProfileDialog(target, mode=CONSOLE, initial=payload, parent=parent)

    def accepted() -> None:
        if dialog.result_payload is not None:
            use(dialog.result_payload)

    dialog.accepted.connect(accepted)
    dialog.show()
    return dialog
