"""Station ▸ Attach hardware…: a physical station from a driver, a port and the driver's settings.

Every form here is built from what the registry and the drivers describe
(ARCHITECTURE rule 6): the driver list from ``registry.drivers()`` grouped by
role, the settings form from ``driver.settings`` (int/float spin boxes with the
setting's range, a checkbox for a bool, a combo for a choice, a line edit for
text; the help as tooltip). Adding a driver never touches this file.

The dialog only collects a ``NewPhysicalStation``; ``HardwareActions`` runs
``ui.operations.hardware.attach_hardware`` through ``perform_async``, the one
place errors become a status-bar message. Dialogs open window-modal with
``open()`` (no nested event loop under qasync).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from bench.devices.base import DeviceDriver, Setting
from bench.devices.registry import DeviceSpec, driver_class
from bench.devices.serial.discovery import PortInfo
from bench.store.workspace import CsmsProfile
from bench.workspace import BUILTIN_PROFILE, Workspace
from ui.errors import ErrorReporter
from ui.models.profiles import describe
from ui.operations import OperationError, perform_async
from ui.operations import hardware as ops
from ui.operations import stations as station_ops

Discover = Callable[[], list[PortInfo]]
_INT_RANGE = (-(2**31), 2**31 - 1)  # what a QSpinBox holds
_FLOAT_RANGE = (-1e9, 1e9)


# ------------------------------------------------------------ settings form
def _tooltip(setting: Setting) -> str:
    bounds = []
    if setting.minimum is not None:
        bounds.append(f"min {setting.minimum:g}")
    if setting.maximum is not None:
        bounds.append(f"max {setting.maximum:g}")
    extra = f" ({', '.join(bounds)})" if bounds else ""
    return (setting.help or setting.label) + extra


def editor_for(setting: Setting) -> QWidget:
    """The widget that edits ``setting``, showing its default."""
    kind, default = setting.kind, setting.default
    widget: QWidget
    if kind == "int":
        spin = QSpinBox()
        low = _INT_RANGE[0] if setting.minimum is None else int(setting.minimum)
        high = _INT_RANGE[1] if setting.maximum is None else int(setting.maximum)
        spin.setRange(max(low, _INT_RANGE[0]), min(high, _INT_RANGE[1]))
        spin.setValue(int(default) if default is not None else spin.minimum())
        widget = spin
    elif kind == "float":
        dspin = QDoubleSpinBox()
        dspin.setDecimals(3)
        low = _FLOAT_RANGE[0] if setting.minimum is None else float(setting.minimum)
        high = _FLOAT_RANGE[1] if setting.maximum is None else float(setting.maximum)
        dspin.setRange(low, high)
        dspin.setSingleStep(0.1 if high - low <= 100 else 1.0)
        dspin.setValue(float(default) if default is not None else low)
        widget = dspin
    elif kind == "bool":
        box = QCheckBox()
        box.setChecked(bool(default))
        widget = box
    elif kind == "choice":
        combo = QComboBox()
        combo.addItems(list(setting.choices))
        if default is not None:
            combo.setCurrentText(str(default))
        widget = combo
    else:
        line = QLineEdit("" if default is None else str(default))
        widget = line
    widget.setObjectName(f"setting_{setting.key}")
    widget.setToolTip(_tooltip(setting))
    return widget


def editor_value(setting: Setting, widget: QWidget) -> Any:
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QLineEdit):
        return widget.text()
    raise TypeError(f"no value for {setting.key} from {widget!r}")


class SettingsForm(QWidget):
    """A form for one driver's ``settings``; ``values()`` reads them back, typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.settings: tuple[Setting, ...] = ()
        self.editors: dict[str, QWidget] = {}

    def set_settings(self, settings: Sequence[Setting]) -> None:
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.settings = tuple(settings)
        self.editors = {}
        for setting in self.settings:
            editor = editor_for(setting)
            label = QLabel(setting.label)
            label.setToolTip(editor.toolTip())
            self.layout_.addRow(label, editor)
            # Rows added to a visible form would only appear on the next event-loop turn.
            label.show()
            editor.show()
            self.editors[setting.key] = editor

    def editor(self, key: str) -> QWidget:
        return self.editors[key]

    def values(self) -> dict[str, Any]:
        return {s.key: editor_value(s, self.editors[s.key]) for s in self.settings}


# ------------------------------------------------------------ port picker
class PortPicker(QWidget):
    """A discovered port (vid:pid, serial number) or a typed path; optionally "by USB serial"."""

    OTHER = "Other: type the path below"

    def __init__(self, discover: Discover, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._discover = discover
        self.found: list[PortInfo] = []
        self._problem = ""  # why discovery failed, if it did
        self.ports = QComboBox()
        self.ports.setObjectName("portList")
        self.ports.setToolTip("Serial ports found: path, USB vendor:product id, serial number")
        self.ports.currentIndexChanged.connect(self._picked)
        self.refresh_button = QToolButton()
        self.refresh_button.setText("Refresh")
        self.refresh_button.setToolTip("List the serial ports again (after plugging one in)")
        self.refresh_button.clicked.connect(self.refresh)
        self.path = QLineEdit()
        self.path.setObjectName("portPath")
        self.path.setPlaceholderText("/dev/ttyUSB0, COM3, a pty or a symlink")
        self.path.textEdited.connect(self._typed)
        self.by_serial = QCheckBox("Find it by its USB serial number (stable across re-plug)")
        self.by_serial.setObjectName("bySerial")
        self.by_serial.toggled.connect(lambda _on: self._show_hint())
        self.hint = QLabel()
        self.hint.setObjectName("portHint")
        self.hint.setProperty("role", "muted")
        row = QHBoxLayout()
        row.addWidget(self.ports, 1)
        row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.path)
        layout.addWidget(self.by_serial)
        layout.addWidget(self.hint)
        self.refresh()

    def refresh(self) -> None:
        try:
            self.found = self._discover()
            self._problem = ""
        except OperationError as exc:
            self.found, self._problem = [], str(exc)
        self.ports.blockSignals(True)
        self.ports.clear()
        self.ports.addItem(self.OTHER, None)
        for index, info in enumerate(self.found):
            self.ports.addItem(ops.port_label(info), index)
        self.ports.blockSignals(False)
        self.ports.setCurrentIndex(1 if self.found else 0)
        self._picked(self.ports.currentIndex())

    def selected(self) -> PortInfo | None:
        index = self.ports.currentData()
        return self.found[index] if isinstance(index, int) else None

    def set_path(self, path: str) -> None:
        """Type ``path`` (a pty, a symlink, a port not listed)."""
        self.path.setText(path)
        self._typed(path)

    def port(self) -> str:
        """The port as the driver takes it; OperationError when none is given."""
        info = self.selected()
        serial = info.serial_number if info is not None and self.by_serial.isChecked() else None
        return ops.port_name(self.path.text(), serial)

    def _picked(self, _index: int) -> None:
        info = self.selected()
        if info is not None:
            self.path.setText(info.device)
        has_serial = info is not None and bool(info.serial_number)
        self.by_serial.setEnabled(has_serial)
        if not has_serial:
            self.by_serial.setChecked(False)
        self._show_hint()

    def _typed(self, text: str) -> None:
        # A typed path is its own port, unless it is one of the listed ones.
        match = next((i for i, p in enumerate(self.found) if p.device == text.strip()), None)
        self.ports.blockSignals(True)
        self.ports.setCurrentIndex(0 if match is None else match + 1)
        self.ports.blockSignals(False)
        info = self.selected()
        self.by_serial.setEnabled(info is not None and bool(info.serial_number))
        if not self.by_serial.isEnabled():
            self.by_serial.setChecked(False)
        self._show_hint()

    def _show_hint(self) -> None:
        # Only what the path field does not already say: the serial-number lookup.
        info = self.selected()
        if self.by_serial.isChecked() and info is not None and info.serial_number:
            self.hint.setText(f"Opened as {ops.port_name('', info.serial_number)}, wherever it is")
        elif not self.found:
            self.hint.setText(self._problem or "No serial ports found: type the path of the device")
        else:
            self.hint.setText("")
        self.hint.setVisible(bool(self.hint.text()))


# ------------------------------------------------------------ one device
class DevicePicker(QGroupBox):
    """Driver, port, connector and the driver's settings; optional (checkable) for meter
    and reader. The connector row shows only for a template with several connectors."""

    changed = Signal()

    def __init__(
        self,
        title: str,
        groups: list[tuple[str, list[type[DeviceDriver]]]],
        discover: Discover,
        *,
        optional: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, parent)
        self.driver = QComboBox()
        self.driver.setObjectName("driver")
        model = self.driver.model()
        headers = len(groups) > 1
        for role_title, classes in groups:
            if headers:  # a disabled heading per role
                self.driver.addItem(role_title, None)
                if isinstance(model, QStandardItemModel):
                    model.item(self.driver.count() - 1).setEnabled(False)
            for cls in classes:
                self.driver.addItem(("    " if headers else "") + cls.title, cls.name)
                self.driver.setItemData(
                    self.driver.count() - 1, f"driver {cls.name}", Qt.ItemDataRole.ToolTipRole
                )
        self.port = PortPicker(discover)
        self.connector = QSpinBox()
        self.connector.setObjectName("connector")
        self.connector.setRange(1, 1)
        self.connector.setToolTip("The station connector this device belongs to")
        self.settings = SettingsForm()
        # The body folds away while an optional device is not wanted.
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.addRow("Driver", self.driver)
        form.addRow("Port", self.port)
        form.addRow("Connector", self.connector)
        form.setRowVisible(self.connector, False)  # until a template has several
        self._form = form
        body.addLayout(form)
        settings_title = QLabel("Driver settings")
        settings_title.setProperty("role", "fieldName")
        body.addWidget(settings_title)
        body.addWidget(self.settings)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body)
        layout.addStretch(1)
        if optional:
            self.setCheckable(True)
            self.setChecked(False)
            self.body.setVisible(False)
            self.toggled.connect(self.body.setVisible)
        self.driver.currentIndexChanged.connect(self._driver_changed)
        first = next((i for i in range(self.driver.count()) if self.driver.itemData(i)), 0)
        self.driver.setCurrentIndex(first)
        self._driver_changed(first)

    def select_driver(self, name: str) -> None:
        index = self.driver.findData(name)
        if index < 0:
            raise LookupError(f"no driver {name!r} in {self.title()}")
        self.driver.setCurrentIndex(index)

    def driver_name(self) -> str | None:
        return self.driver.currentData()

    def set_connectors(self, count: int) -> None:
        """Offer connectors 1..``count``; the row is hidden for a single-connector station."""
        self.connector.setRange(1, max(1, count))
        self._form.setRowVisible(self.connector, count > 1)

    def spec(self) -> DeviceSpec | None:
        """The device as a spec, None when the group is unchecked; OperationError if unusable."""
        if self.isCheckable() and not self.isChecked():
            return None
        name = self.driver_name()
        if not name:
            raise OperationError(f"{self.title()}: pick a driver")
        return ops.device_spec(
            name, self.port.port(), self.settings.values(), self.connector.value()
        )

    def _driver_changed(self, _index: int) -> None:
        name = self.driver_name()
        self.settings.set_settings(driver_class(name).settings if name else ())
        self.changed.emit()


# ------------------------------------------------------------ the dialog
class AttachHardwareDialog(QDialog):
    """Collects one ``NewPhysicalStation``; ``request()`` reads it (OperationError if unusable)."""

    def __init__(
        self,
        profiles: list[CsmsProfile],
        taken: Collection[str],
        *,
        default_profile: str | None = None,
        discover: Discover = ops.discovered_ports,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Attach hardware")
        self.setObjectName("attachHardwareDialog")
        self._taken = taken
        self._id_edited = False
        groups = ops.drivers_by_role()
        by_role = {classes[0].role: (title, classes) for title, classes in groups}
        self.device = DevicePicker("Hardware", groups, discover)
        self.device.setObjectName("deviceGroup")
        self.meter = DevicePicker(
            "Separate meter of record (optional)",
            [by_role["meter"]] if "meter" in by_role else [],
            discover,
            optional=True,
        )
        self.meter.setObjectName("meterGroup")
        self.rfid = DevicePicker(
            "Card reader (optional)",
            [by_role["rfid"]] if "rfid" in by_role else [],
            discover,
            optional=True,
        )
        self.rfid.setObjectName("rfidGroup")

        self.station_id = QLineEdit()
        self.station_id.setObjectName("stationId")
        self.station_id.textEdited.connect(self._mark_edited)
        self.template = QComboBox()
        for name, description in station_ops.station_templates():
            self.template.addItem(f"{name}  —  {description}", name)
        self.template.setCurrentIndex(max(0, self.template.findData(ops.DEFAULT_TEMPLATE)))
        self.template.setToolTip("What the station reports (vendor, model, ratings)")
        self.template.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.template.setMinimumContentsLength(24)
        self.template.currentIndexChanged.connect(lambda _i: self._template_changed())
        self.profile = QComboBox()
        for profile in profiles:
            self.profile.addItem(profile.name, profile.name)
            self.profile.setItemData(
                self.profile.count() - 1, describe(profile), Qt.ItemDataRole.ToolTipRole
            )
        self.profile.setCurrentIndex(max(0, self.profile.findData(default_profile)))
        self.ocpp = QComboBox()
        self.ocpp.setObjectName("ocppVersion")
        for version in station_ops.ocpp_versions():
            self.ocpp.addItem(f"OCPP {version}", version)
        self._ocpp_chosen = False
        self.ocpp.activated.connect(self._mark_ocpp_chosen)
        self.profile.currentIndexChanged.connect(lambda _i: self._follow_profile(profiles))
        self._follow_profile(profiles)
        realtime = QLabel("Hardware runs in real time: the station's speed is 1×.")
        realtime.setProperty("role", "muted")

        station_box = QGroupBox("Station")
        station_form = QFormLayout(station_box)
        station_form.addRow("Station id", self.station_id)
        station_form.addRow("Template", self.template)
        station_form.addRow("CSMS profile", self.profile)
        station_form.addRow("OCPP version", self.ocpp)
        station_form.addRow("", realtime)

        self.error = QLabel()
        self.error.setObjectName("attachHardwareError")
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Attach")
        self.buttons.accepted.connect(self._try_accept)
        self.buttons.rejected.connect(self.reject)

        right = QVBoxLayout()
        right.addWidget(station_box)
        right.addWidget(self.meter)
        right.addWidget(self.rfid)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(self.device, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.device.changed.connect(self._device_changed)
        self._template_changed()  # also runs _device_changed
        self.setMinimumWidth(900)

    # ------------------------------------------------------------ reading
    def request(self) -> ops.NewPhysicalStation:
        specs = [
            spec
            for spec in (self.device.spec(), self.meter.spec(), self.rfid.spec())
            if spec is not None
        ]
        ops.check_devices(specs, self.connectors())
        profile = self.profile.currentData()
        if profile is None:
            raise OperationError("Add a CSMS profile first (Station ▸ CSMS profiles…)")
        return ops.NewPhysicalStation(
            station_id=self.station_id.text().strip(),
            devices=tuple(specs),
            profile=profile,
            template=self.template.currentData(),
            ocpp_version=self.ocpp.currentData(),
        )

    def connectors(self) -> int:
        """How many connectors the chosen template has (1 if it cannot be read)."""
        return ops.template_connectors(self.template.currentData()) or 1

    # ------------------------------------------------------------ behaviour
    def _mark_edited(self, _text: str) -> None:
        self._id_edited = True

    def _mark_ocpp_chosen(self, _index: int) -> None:
        self._ocpp_chosen = True

    def _device_changed(self) -> None:
        name = self.device.driver_name()
        if name and not self._id_edited:
            self.station_id.setText(ops.suggested_station_id(name, self._taken))
        # A meter picked as the hardware is the meter of record: no second one, unless
        # the station has another connector it could meter (checked per connector).
        is_meter = name is not None and driver_class(name).role == "meter"
        is_meter = is_meter and self.connectors() == 1
        if is_meter:
            self.meter.setChecked(False)
        self.meter.setEnabled(not is_meter and self.meter.driver.count() > 0)
        self.rfid.setEnabled(self.rfid.driver.count() > 0)

    def _template_changed(self) -> None:
        count = self.connectors()
        for picker in (self.device, self.meter, self.rfid):
            picker.set_connectors(count)
        self._device_changed()

    def _follow_profile(self, profiles: list[CsmsProfile]) -> None:
        name = self.profile.currentData()
        profile = next((p for p in profiles if p.name == name), None)
        if profile is not None and not self._ocpp_chosen:
            found = self.ocpp.findData(profile.ocpp_version)
            if found >= 0:
                self.ocpp.setCurrentIndex(found)

    def _try_accept(self) -> None:
        try:
            request = self.request()
            station_ops.batch_ids(request.station_id, 1, self._taken)
        except OperationError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.accept()


# ------------------------------------------------------------ the menu action
class HardwareActions(QObject):
    """The "Attach hardware…" action: opens the dialog, runs the operation."""

    added = Signal(str)  # the new physical station (to select it)

    def __init__(
        self,
        workspace: Workspace,
        reporter: ErrorReporter,
        window: QWidget,
        *,
        discover: Discover = ops.discovered_ports,
    ) -> None:
        super().__init__(window)
        self.workspace = workspace
        self.reporter = reporter
        self.window = window
        self.discover = discover
        self.dialog: AttachHardwareDialog | None = None
        self.busy = 0  # operations in flight (tests wait for 0)
        self.attach_action = QAction(
            "Attach hardware…", self, shortcut=QKeySequence("Ctrl+Shift+H")
        )
        self.attach_action.setToolTip(
            "A physical station: a charge controller, meter or card reader on a serial port"
        )
        self.attach_action.triggered.connect(self.open_dialog)

    def open_dialog(self) -> AttachHardwareDialog:
        dialog = AttachHardwareDialog(
            self.workspace.profiles(),
            self.workspace.stations,
            default_profile=BUILTIN_PROFILE,
            discover=self.discover,
            parent=self.window,
        )
        dialog.accepted.connect(lambda d=dialog: self._attach(d.request()))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    @asyncSlot(object)
    async def _attach(self, request: ops.NewPhysicalStation) -> None:
        self.busy += 1
        try:
            station_id = await perform_async(
                self.reporter, ops.attach_hardware, self.workspace, request
            )
        finally:
            self.busy -= 1
        if station_id:
            self.added.emit(station_id)
            devices = ", ".join(f"{spec.name} on {spec.port}" for spec in request.devices)
            self.reporter.report_info(f"Attached {station_id}: {devices}")
