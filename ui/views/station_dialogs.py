"""The Add station dialog: template, id (or a numbered batch), EV default, CSMS profile, speed.

The dialog only collects a ``NewStation``; adding is ``ui.operations.stations``'
job. It checks the ids before closing, so a taken id is shown next to the field
instead of as an error after the dialog has gone.
"""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bench.store.workspace import CsmsProfile
from ui.models.profiles import describe
from ui.operations import OperationError
from ui.operations import stations as ops


class AddStationDialog(QDialog):
    """Collects one ``NewStation``; ``request()`` reads it once the dialog is accepted."""

    def __init__(
        self,
        profiles: list[CsmsProfile],
        taken: Collection[str],
        *,
        default_ev: str,
        default_profile: str | None = None,
        speed: float = 1.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add stations")
        self.setObjectName("addStationDialog")
        self._taken = taken
        self._id_edited = False

        self.template = QComboBox()
        for name, description in ops.station_templates():
            self.template.addItem(f"{name}  —  {description}", name)
        self.station_id = QLineEdit()
        self.station_id.setPlaceholderText("e.g. CP-001")
        self.station_id.textEdited.connect(self._mark_edited)
        self.count = QSpinBox(minimum=1, maximum=ops.MAX_BATCH)
        self.count.setToolTip("More than one: ids are numbered on from the one above")
        self.count.valueChanged.connect(self._show_range)
        self.ev = QComboBox()
        for name in ops.ev_templates():
            self.ev.addItem(name, name)
        self.ev.setCurrentIndex(max(0, self.ev.findData(default_ev)))
        self.profile = QComboBox()
        for profile in profiles:
            self.profile.addItem(profile.name, profile.name)
            self.profile.setItemData(
                self.profile.count() - 1, describe(profile), Qt.ItemDataRole.ToolTipRole
            )
        if default_profile is not None:
            self.profile.setCurrentIndex(max(0, self.profile.findData(default_profile)))
        self.profile_hint = QLabel()
        self.profile_hint.setProperty("role", "muted")
        self.profile.currentIndexChanged.connect(lambda _i: self._show_profile(profiles))
        # Per station (issue 5): the profile's version is only the starting choice.
        self.ocpp = QComboBox()
        self.ocpp.setObjectName("ocppVersion")
        for version in ops.ocpp_versions():
            self.ocpp.addItem(f"OCPP {version}", version)
        self.ocpp.setToolTip("The protocol these stations speak (subprotocol ocpp1.6 / ocpp2.0.1)")
        self._ocpp_chosen = False
        self.ocpp.activated.connect(self._mark_ocpp_chosen)
        self.speed = QDoubleSpinBox(minimum=0.1, maximum=3600.0, decimals=1, suffix=" ×")
        self.speed.setValue(speed)
        self.speed.setToolTip("Virtual time factor: 60 runs an hour of charging in a minute")
        self.range_hint = QLabel()
        self.range_hint.setProperty("role", "muted")
        self.error = QLabel()
        self.error.setObjectName("addStationError")
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Station template", self.template)
        form.addRow("Station id", self.station_id)
        form.addRow("How many", self.count)
        form.addRow("", self.range_hint)
        form.addRow("EV default", self.ev)
        form.addRow("CSMS profile", self.profile)
        form.addRow("", self.profile_hint)
        form.addRow("OCPP version", self.ocpp)
        form.addRow("Speed", self.speed)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        self.buttons.accepted.connect(self._try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.template.currentIndexChanged.connect(self._suggest_id)
        self._suggest_id()
        self._show_profile(profiles)
        self.setMinimumWidth(520)

    # ------------------------------------------------------------ reading
    def request(self) -> ops.NewStation:
        return ops.NewStation(
            station_id=self.station_id.text().strip(),
            template=self.template.currentData(),
            ev_template=self.ev.currentData(),
            profile=self.profile.currentData(),
            speed=self.speed.value(),
            ocpp_version=self.ocpp.currentData(),
            count=self.count.value(),
        )

    # ------------------------------------------------------------ behaviour
    def _mark_edited(self, _text: str) -> None:
        self._id_edited = True
        self._show_range()

    def _suggest_id(self, _index: int = 0) -> None:
        template = self.template.currentData()
        if template and not self._id_edited:
            self.station_id.setText(ops.suggested_id(template, self._taken))
        self._show_range()

    def _show_range(self, _value: int = 0) -> None:
        count = self.count.value()
        if count == 1:
            self.range_hint.setText("")
            return
        try:
            ids = ops.batch_ids(self.station_id.text(), count, self._taken)
        except OperationError as exc:
            self.range_hint.setText(str(exc))
            return
        self.range_hint.setText(f"{ids[0]} … {ids[-1]}")

    def _mark_ocpp_chosen(self, _index: int) -> None:
        self._ocpp_chosen = True

    def _show_profile(self, profiles: list[CsmsProfile]) -> None:
        name = self.profile.currentData()
        profile = next((p for p in profiles if p.name == name), None)
        self.profile_hint.setText(describe(profile) if profile else "No CSMS profile")
        if profile is not None and not self._ocpp_chosen:
            found = self.ocpp.findData(profile.ocpp_version)
            if found >= 0:
                self.ocpp.setCurrentIndex(found)

    def _try_accept(self) -> None:
        request = self.request()
        if request.profile is None:
            self.error.setText("Add a CSMS profile first (Station ▸ CSMS profiles…)")
            return
        try:
            ops.batch_ids(request.station_id, request.count, self._taken)
        except OperationError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.accept()
