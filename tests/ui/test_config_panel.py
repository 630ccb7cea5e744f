"""The configuration panel: keys with type, access, value; edits go the ChangeConfiguration way."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemDelegate, QComboBox, QLineEdit

from bench.workspace import DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until
from ui.models.config_model import ACCESS, COLUMNS, KEY, TYPE, VALUE
from ui.operations.configuration import MASK, change_key

SECRET = "0123456789abcdef0123456789ABCDEF"
ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.EditRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.StatusTipRole,
    Qt.ItemDataRole.WhatsThisRole,
    Qt.ItemDataRole.AccessibleTextRole,
)


async def _config_view(window):
    view = await wait_until(window.current_view, what="the station view")
    await wait_until(lambda: window.bridges[DEMO_STATION_ID].cp.accepted, what="boot accepted")
    view.tabs.setCurrentWidget(view.config_panel)
    return view, view.config_panel


def status_text(window) -> str:
    return window.statusBar().currentMessage()


async def test_the_panel_lists_every_key_with_type_access_and_value(qtbot, tmp_path):
    """1.6 §9: each key with its type and access; read-only keys cannot be edited."""
    async with running_app(qtbot, tmp_path) as window:
        view, panel = await _config_view(window)
        model = panel.model
        config = view.cp.config
        assert model.rowCount() == len(config.describe())
        row = model.row_of("HeartbeatInterval")
        cells = [model.index(row, c).data() for c in range(len(COLUMNS))]
        assert cells[KEY] == "HeartbeatInterval"
        assert cells[VALUE] == config.raw("HeartbeatInterval")
        assert cells[TYPE] == "integer" and cells[ACCESS] == "read-write"
        assert model.index(row, VALUE).flags() & Qt.ItemFlag.ItemIsEditable

        ro = model.row_of("NumberOfConnectors")
        assert model.index(ro, ACCESS).data() == "read-only"
        assert not model.index(ro, VALUE).flags() & Qt.ItemFlag.ItemIsEditable

        panel.search.setText("heartbeat")
        assert panel.proxy.rowCount() == 1
        panel.search.clear()
        panel.writable.setChecked(True)
        assert 0 < panel.proxy.rowCount() < model.rowCount()


async def test_editing_heartbeat_interval_changes_the_station_and_reports_accepted(qtbot, tmp_path):
    """1.6 §5.3/§9.1.13: a valid HeartbeatInterval is Accepted and applied to the station."""
    async with running_app(qtbot, tmp_path) as window:
        view, panel = await _config_view(window)
        cp = view.cp
        index = panel.index_of("HeartbeatInterval")
        panel.table.setCurrentIndex(index)
        panel.table.edit(index)
        editor = await wait_until(
            lambda: panel.table.findChild(QLineEdit, "configValueEditor"), what="the editor"
        )
        editor.setText("123")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        await wait_until(lambda: cp.config.value("HeartbeatInterval") == 123, what="the change")
        assert cp.heartbeat_interval == 123  # the station applies it, as for the CSMS
        assert panel.model.value_text("HeartbeatInterval") == "123"
        assert "HeartbeatInterval = 123: Accepted" in status_text(window)


async def test_a_bad_heartbeat_interval_is_refused_with_the_reason(qtbot, tmp_path):
    """1.6 §5.3: a value the key cannot hold is Rejected; the value stays; the user is told why."""
    async with running_app(qtbot, tmp_path) as window:
        view, panel = await _config_view(window)
        cp = view.cp
        before = cp.config.raw("HeartbeatInterval")
        outcome = panel.edit_key("HeartbeatInterval", "soon")
        assert outcome is not None and outcome.status == "Rejected"
        assert cp.config.raw("HeartbeatInterval") == before
        assert panel.model.value_text("HeartbeatInterval") == before
        message = window.reporter.last_error
        assert (
            message == f"{DEMO_STATION_ID}: HeartbeatInterval: Rejected — 'soon' is not an integer"
        )
        assert "Rejected" in status_text(window)

        outcome = panel.edit_key("HeartbeatInterval", "-5")
        assert outcome.status == "Rejected" and "below the minimum 0" in outcome.reason


async def test_a_value_the_csms_changes_shows_up_in_the_panel(qtbot, tmp_path):
    """1.6 §5.3: ChangeConfiguration from the built-in CSMS; the visible panel follows."""
    async with running_app(qtbot, tmp_path) as window:
        _view, panel = await _config_view(window)
        reply = await window.workspace.csms.change_configuration(
            DEMO_STATION_ID, "MeterValueSampleInterval", "15"
        )
        assert reply["status"] == "Accepted"
        await wait_until(
            lambda: panel.model.value_text("MeterValueSampleInterval") == "15", what="new value"
        )


async def test_a_boolean_key_is_edited_with_a_true_false_list(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        view, panel = await _config_view(window)
        index = panel.index_of("LocalPreAuthorize")
        panel.table.edit(index)
        box = await wait_until(
            lambda: panel.table.findChild(QComboBox, "configBoolEditor"), what="the list"
        )
        assert [box.itemText(i) for i in range(box.count())] == ["true", "false"]
        box.setCurrentText("true")
        panel.table.commitData(box)
        assert view.cp.config.value("LocalPreAuthorize") is True


async def test_the_authorization_key_is_masked_and_never_shows_its_value(qtbot, tmp_path):
    """Security whitepaper §3.1 / 1.6-J errata: AuthorizationKey is write-only, never shown."""
    async with running_app(qtbot, tmp_path) as window:
        view, panel = await _config_view(window)
        model = panel.model
        row = model.row_of("AuthorizationKey")
        assert model.index(row, ACCESS).data() == "write-only"
        assert model.index(row, VALUE).data() == "(not set)"

        outcome = panel.edit_key("AuthorizationKey", SECRET)
        assert outcome.status == "RebootRequired"  # the key applies to the next connection
        assert view.cp.config.raw("AuthorizationKey") == SECRET
        assert model.index(row, VALUE).data() == MASK

        def leaks() -> list[str]:
            found = []
            for column in range(model.columnCount()):
                for role in ROLES:
                    value = model.index(row, column).data(role)
                    if value is not None and SECRET.lower() in str(value).lower():
                        found.append(f"column {column} role {role}")
            return found

        assert leaks() == []
        assert SECRET not in status_text(window) and MASK in status_text(window)

        # The editor starts empty and masks what is typed.
        index = panel.index_of("AuthorizationKey")
        panel.table.edit(index)
        editor = await wait_until(
            lambda: panel.table.findChild(QLineEdit, "configValueEditor"), what="the editor"
        )
        assert editor.text() == "" and editor.echoMode() == QLineEdit.EchoMode.Password
        panel.table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.RevertModelCache)
        assert view.cp.config.raw("AuthorizationKey") == SECRET  # closing without typing: kept

        # A refused key is explained without echoing what was typed.
        bad = "zz" + SECRET[2:]
        outcome = panel.edit_key("AuthorizationKey", bad)
        assert outcome.status == "Rejected"
        assert bad not in window.reporter.last_error
        assert view.cp.config.raw("AuthorizationKey") == SECRET


def test_change_key_explains_a_read_only_refusal():
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.keys import ALL_KEYS

    config = Configuration(ALL_KEYS)
    outcome = change_key(config, "NumberOfConnectors", "4")
    assert (outcome.status, outcome.reason) == ("Rejected", "the key is read-only")
    assert change_key(config, "NoSuchKey", "1").status == "NotSupported"
    assert change_key(config, "ConnectorPhaseRotation", "1.RST").status == "RebootRequired"
