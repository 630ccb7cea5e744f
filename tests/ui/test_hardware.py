"""Station ▸ Attach hardware… and the physical connector card (issue 6).

The attach test is end to end: an OpenEVSE emulator answers RAPI on a real
pseudo-terminal, the dialog's widgets are filled in as a user would, the
workspace starts the station against the built-in CSMS, and the card shows the
link health the driver reports. Screenshots go to ``$OCPP_BENCH_SCREENS`` when
that variable names a folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from bench.devices.registry import drivers
from bench.devices.serial.discovery import PortInfo
from bench.workspace import BUILTIN_PROFILE
from tests.devices.openevse_support import emulated_openevse
from tests.ui.conftest import running_app, wait_until
from ui.operations import hardware as ops
from ui.operations import stations
from ui.views.attach_hardware import AttachHardwareDialog

FAKE_PORTS = [
    PortInfo("/dev/ttyACM0", "OpenEVSE WiFi bridge", 0x2341, 0x0043, "75735353037351F0A1B1"),
    PortInfo("/dev/ttyUSB0", "FT232R USB UART", 0x0403, 0x6001, "A10K3J2Q", "FTDI"),
]
# What makes the OpenEVSE driver quick enough for a test (the dialog's own fields).
# Fast polls and retries; a reply timeout a busy machine cannot exceed by accident, so
# "no link errors" means the link is sound, not that the machine was idle.
FAST = {"poll": 0.05, "timeout": 2.0, "retry": 0.05, "heartbeat": 0}


def screenshot(widget: QWidget, name: str) -> None:
    folder = os.environ.get("OCPP_BENCH_SCREENS")
    if folder:
        widget.grab().save(str(Path(folder) / name))


def click_ok(qtbot, dialog) -> None:
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
    )


def set_setting(dialog_group, key: str, value) -> None:
    editor = dialog_group.settings.editor(key)
    if isinstance(editor, QSpinBox | QDoubleSpinBox):
        editor.setValue(value)
    elif isinstance(editor, QCheckBox):
        editor.setChecked(value)
    elif isinstance(editor, QComboBox):
        editor.setCurrentText(value)
    else:
        editor.setText(value)


def test_the_settings_form_is_built_from_each_drivers_own_description(qtbot):
    """Rule 6: every setting of every registered driver gets an editor of its kind,
    with its range, its default and its help as tooltip; drivers are grouped by role."""
    dialog = AttachHardwareDialog([], [], default_profile=None, discover=lambda: list(FAKE_PORTS))
    qtbot.addWidget(dialog)
    combo = dialog.device.driver
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    headings = [combo.itemText(i) for i in range(combo.count()) if combo.itemData(i) is None]
    assert headings == ["Charge controllers", "Energy meters", "Card readers"]
    assert all(not model.item(i).isEnabled() for i in range(combo.count()) if not combo.itemData(i))
    kinds = {"int": QSpinBox, "float": QDoubleSpinBox, "bool": QCheckBox, "choice": QComboBox}
    for cls in drivers():
        dialog.device.select_driver(cls.name)
        assert [s.key for s in dialog.device.settings.settings] == [s.key for s in cls.settings]
        for setting in cls.settings:
            editor = dialog.device.settings.editor(setting.key)
            assert isinstance(editor, kinds.get(setting.kind, QLineEdit)), (cls.name, setting)
            if setting.help:
                assert setting.help in editor.toolTip()
            if isinstance(editor, QSpinBox | QDoubleSpinBox) and setting.maximum is not None:
                assert editor.maximum() == setting.maximum
                assert editor.minimum() == setting.minimum
        # Untouched, the form gives the defaults: the spec carries no options at all.
        dialog.device.port.set_path("/dev/ttyFAKE9")
        spec = dialog.device.spec()
        assert spec is not None and spec.options == {} and spec.port == "/dev/ttyFAKE9"


def test_ports_are_listed_with_vid_pid_and_serial_and_may_be_chosen_by_serial_number(qtbot):
    dialog = AttachHardwareDialog([], [], default_profile=None, discover=lambda: list(FAKE_PORTS))
    qtbot.addWidget(dialog)
    picker = dialog.device.port
    labels = [picker.ports.itemText(i) for i in range(picker.ports.count())]
    assert "0403:6001" in labels[2] and "A10K3J2Q" in labels[2]
    picker.ports.setCurrentIndex(2)
    assert picker.port() == "/dev/ttyUSB0"
    picker.by_serial.setChecked(True)
    assert picker.port() == "serial:A10K3J2Q"  # found again after a re-plug
    dialog.rfid.setChecked(True)
    dialog.show()
    screenshot(dialog, "hw_attach_dialog_ports.png")
    picker.set_path("/tmp/ttyEMULATED")  # a pty or symlink is typed, not listed
    assert picker.ports.currentIndex() == 0 and not picker.by_serial.isEnabled()
    assert picker.port() == "/tmp/ttyEMULATED"


def test_a_port_used_twice_or_a_missing_profile_is_refused_inside_the_dialog(qtbot):
    dialog = AttachHardwareDialog(
        [], ["OPENEVSE-001"], default_profile=None, discover=lambda: list(FAKE_PORTS)
    )
    qtbot.addWidget(dialog)
    dialog.device.select_driver("openevse")
    assert dialog.station_id.text() == "OPENEVSE-002"  # suggested past the taken id
    dialog.device.port.set_path("/dev/ttyUSB0")
    dialog.meter.setChecked(True)
    dialog.meter.port.set_path("/dev/ttyUSB0")
    dialog.show()
    click_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert "named twice" in dialog.error.text()
    dialog.meter.setChecked(False)
    click_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert "CSMS profile" in dialog.error.text()  # no profile in this bare dialog
    dialog.reject()


def test_a_dual_template_lets_each_device_pick_its_connector_and_checks_them_per_connector(
    qtbot,
):
    """A two-connector station may take a controller on connector 2 (the spec carries
    ``connector=2``); one controller and one meter of record per connector, so a second
    meter on the same connector is refused and the same meter on the other one is not.
    A single-connector template hides the choice."""
    from bench.store.workspace import CsmsProfile

    profile = CsmsProfile("lab", "ws://127.0.0.1:9/")
    dialog = AttachHardwareDialog(
        [profile], [], default_profile="lab", discover=lambda: list(FAKE_PORTS)
    )
    qtbot.addWidget(dialog)
    dialog.show()
    pickers = (dialog.device, dialog.meter, dialog.rfid)
    dialog.meter.setChecked(True)
    dialog.rfid.setChecked(True)
    assert dialog.template.currentData() == ops.DEFAULT_TEMPLATE  # one connector
    assert all(not p.connector.isVisible() and p.connector.maximum() == 1 for p in pickers)

    dialog.template.setCurrentIndex(dialog.template.findData("ac-22kw-dual"))
    assert all(p.connector.isVisible() and p.connector.maximum() == 2 for p in pickers)
    dialog.device.select_driver("openevse")
    dialog.device.port.set_path("/dev/ttyUSB0")
    dialog.device.connector.setValue(2)
    dialog.meter.select_driver("sdm630")
    dialog.meter.port.set_path("/dev/ttyUSB1")
    dialog.meter.connector.setValue(2)
    dialog.rfid.port.set_path("/dev/ttyUSB2")
    request = dialog.request()
    assert request.template == "ac-22kw-dual"
    connectors = {spec.name: spec.connector for spec in request.devices}
    assert connectors == {"openevse": 2, "sdm630": 2, dialog.rfid.driver_name(): 1}
    assert "connector=2" in str(request.devices[0])
    screenshot(dialog, "hw_attach_dialog_dual.png")

    # A meter as the hardware on connector 2 next to a separate meter there: refused.
    dialog.device.select_driver("sdm120")
    assert dialog.meter.isEnabled()  # connector 1 could still take a separate meter
    click_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert "Connector 2 has one meter" in dialog.error.text()
    dialog.meter.connector.setValue(1)
    placed = [(spec.name, spec.connector) for spec in dialog.request().devices]
    assert placed[:2] == [("sdm120", 2), ("sdm630", 1)]

    # Back to one connector: the choice is gone and every device goes on connector 1.
    dialog.template.setCurrentIndex(dialog.template.findData(ops.DEFAULT_TEMPLATE))
    assert all(not p.connector.isVisible() and p.connector.value() == 1 for p in pickers)
    assert not dialog.meter.isEnabled()  # the meter hardware is the meter of record
    dialog.reject()


async def test_attach_hardware_makes_a_physical_station_whose_card_shows_the_link(qtbot, tmp_path):
    """1.6 §4.9 StatusNotification: the card follows the controller; unplugging the USB
    device reports InternalError (Faulted, 1.6 §7.6) and the card's link row turns
    disconnected; re-plugging recovers without restarting anything."""
    async with (
        emulated_openevse(tmp_path) as (link, emulator),
        running_app(qtbot, tmp_path) as window,
    ):
        await wait_until(lambda: window.workspace.csms is not None, what="built-in CSMS")
        dialog = window.hardware_actions.open_dialog()
        dialog.device.select_driver("openevse")
        dialog.device.port.set_path(link.path)
        for key, value in FAST.items():
            set_setting(dialog.device, key, value)
        dialog.station_id.setText("LAB-EVSE-1")
        assert dialog.profile.currentData() == BUILTIN_PROFILE
        screenshot(dialog, "hw_attach_dialog.png")
        click_ok(qtbot, dialog)
        workspace = window.workspace
        await wait_until(lambda: "LAB-EVSE-1" in workspace.stations, what="station added")
        await wait_until(lambda: window.hardware_actions.busy == 0, what="attach done")
        (spec,) = workspace.device_specs("LAB-EVSE-1")
        assert spec.name == "openevse" and spec.port == link.path
        assert spec.options == FAST
        assert workspace.store.setting("station_devices")["LAB-EVSE-1"][0]["port"] == link.path
        run = workspace.stations["LAB-EVSE-1"]
        assert run.options.speed == 1.0
        await run.cp.wait_accepted(15)

        window.station_list.select_station("LAB-EVSE-1")
        view = await wait_until(
            lambda: (v := window.current_view()) is not None and v.cp is run.cp and v,
            what="the station's view",
        )
        card = view.card(1)
        assert not card.physical_badge.isHidden()
        assert "OpenEVSE" in card.values["hardware"].text()
        await wait_until(lambda: card.values["link"].text().startswith("connected"), what="link up")
        assert not card.plug_button.isEnabled()  # the controller reports the cable
        first = int(card.values["frames"].text().replace(",", ""))
        await wait_until(
            lambda: int(card.values["frames"].text().replace(",", "")) > first + 5,
            what="frames counting up",
        )
        assert card.values["link_errors"].text() == "0"
        assert card.values["last_seen"].text().endswith("s ago")

        emulator.plug(ev_max_amps=32)
        await wait_until(lambda: card.status.text() == "Preparing", what="Preparing")
        screenshot(card, "hw_physical_card.png")

        emulator.unplug_usb()
        await wait_until(
            lambda: card.values["link"].text().startswith("disconnected"), what="link down"
        )
        await wait_until(lambda: card.status.text() == "Faulted", what="Faulted")
        assert "InternalError" in card.values["error"].text()
        screenshot(card, "hw_physical_card_unplugged.png")

        emulator.replug_usb()
        await wait_until(
            lambda: card.values["link"].text().startswith("connected"), what="link back"
        )
        await wait_until(lambda: card.status.text() == "Preparing", what="recovered")


async def test_a_physical_station_is_restored_with_its_hardware_and_a_copy_is_virtual(
    qtbot, tmp_path
):
    """The device specs are saved with the station and attached again on the next start."""
    async with emulated_openevse(tmp_path) as (link, _emulator):
        async with running_app(qtbot, tmp_path) as window:
            workspace = window.workspace
            await wait_until(lambda: workspace.csms is not None, what="built-in CSMS")
            spec = ops.device_spec("openevse", link.path, FAST)
            request = ops.NewPhysicalStation("LAB-2", (spec,), BUILTIN_PROFILE)
            await ops.attach_hardware(workspace, request)
            assert workspace.is_physical("LAB-2")
            new_id = await stations.duplicate_station(workspace, "LAB-2")
            assert not workspace.is_physical(new_id)
            assert workspace.stations[new_id].devices == []
        async with running_app(qtbot, tmp_path) as window:
            workspace = window.workspace
            await wait_until(lambda: "LAB-2" in workspace.stations, what="restored")
            run = workspace.stations["LAB-2"]
            (driver,) = run.devices
            assert driver.port == link.path and driver.options["poll"] == 0.05
            await wait_until(lambda: driver.health.connected, what="link up after restore")


async def test_a_port_drives_one_station_and_unreadable_saved_hardware_is_reported(tmp_path):
    """A second station on the same port is refused; a station whose saved device specs
    do not decode is reported and not started as a virtual one behind the user's back."""
    from bench.workspace import Workspace, WorkspaceOptions, WorkspaceProblem
    from ui.operations import OperationError

    options = WorkspaceOptions(data_dir=tmp_path / "data")
    workspace = Workspace(options)
    await workspace.start()
    try:
        spec = ops.device_spec("openevse", str(tmp_path / "absent-tty"), FAST)
        await ops.attach_hardware(
            workspace, ops.NewPhysicalStation("LAB-A", (spec,), BUILTIN_PROFILE)
        )
        try:
            await ops.attach_hardware(
                workspace, ops.NewPhysicalStation("LAB-B", (spec,), BUILTIN_PROFILE)
            )
        except OperationError as exc:
            assert "already attached to station LAB-A" in str(exc)
        else:
            raise AssertionError("a second station on the same port was accepted")
        assert "LAB-B" not in workspace.stations
        workspace.store.set_setting("station_devices", {"LAB-A": [{"port": 3}]})
    finally:
        await workspace.stop()

    problems: list[str] = []
    again = Workspace(options)
    again.events.subscribe(
        lambda e: problems.append(e.message) if isinstance(e, WorkspaceProblem) else None
    )
    await again.start()
    try:
        assert "LAB-A" not in again.stations
        assert any("LAB-A" in p and "hardware" in p for p in problems), problems
    finally:
        await again.stop()
