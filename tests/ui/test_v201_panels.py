"""The 2.0.1 tabs of a station: device-model browser, monitors, virtual display.

Real app and built-in CSMS over a loopback WebSocket, offscreen. Edits in the
browser go through the station's SetVariables handler (B05); monitors and display
messages are set by the CSMS as a real CSMS would (N04, O01).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit

from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from bench.ocpp.v201.device_model import ComponentKey, VariableKey
from tests.ui.conftest import running_app, wait_until
from tests.ui.test_v201_stations import STATION, TAG, add_v201
from ui.models.device_model import DATA_TYPE, LIMITS, MUTABILITY, NAME, UNIT, VALUE

IDLE = "Available"  # the first line of an idle station's own screen


def lookup(cp, component: str, variable: str, instance: str | None = None):
    return cp.device_model.definition.lookup(
        ComponentKey(component), VariableKey(variable, instance)
    )


def row_cells(panel, component: str, variable: str) -> dict[int, str]:
    index = panel.model.value_index(component, variable)
    return {column: index.siblingAtColumn(column).data() for column in range(LIMITS + 1)}


async def test_the_browser_lists_components_variables_and_attributes(qtbot, tmp_path):
    """Part 1 §4.2: each variable with its attribute type, mutability, data type, unit, limits."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        view.tabs.setCurrentWidget(view.device_model_panel)
        panel = view.device_model_panel
        definition = view.cp.device_model.definition
        assert panel.model.rowCount() == len(definition.components)
        total = sum(len(v.attributes) for v in definition)
        assert panel.model.variable_count() == total

        cells = row_cells(panel, "OCPPCommCtrlr", "HeartbeatInterval")
        assert cells[NAME] == "HeartbeatInterval"
        assert cells[VALUE] == view.cp.variable("OCPPCommCtrlr", "HeartbeatInterval")
        assert cells[MUTABILITY] == "read-write"
        assert (cells[DATA_TYPE], cells[UNIT]) == ("integer", "s")
        assert cells[LIMITS] == "≥ 1"
        editable = panel.model.value_index("OCPPCommCtrlr", "HeartbeatInterval").flags()
        assert editable & Qt.ItemFlag.ItemIsEditable

        # An EVSE component says which EVSE it is; its read-only values cannot be edited.
        evse = panel.model.value_index("EVSE 1", "AvailabilityState")
        assert evse.siblingAtColumn(MUTABILITY).data() == "read-only"
        assert not evse.flags() & Qt.ItemFlag.ItemIsEditable
        assert "Occupied" in evse.siblingAtColumn(LIMITS).data()

        panel.search.setText("heartbeatinterval")
        assert panel.proxy.rowCount() == 1  # only OCPPCommCtrlr keeps a match
        component = panel.proxy.index(0, NAME)
        assert component.data() == "OCPPCommCtrlr"
        assert panel.proxy.rowCount(component) == 1
        panel.search.setText("RealTimeClock")  # values match too (ClockCtrlr.TimeSource)
        assert panel.proxy.index(0, NAME).data() == "ClockCtrlr"
        panel.search.clear()
        panel.writable.setChecked(True)
        assert 0 < panel.proxy.rowCount() < panel.model.rowCount()
        assert "components match" in panel.count.text()


async def test_editing_a_value_goes_through_set_variables_and_the_station_applies_it(
    qtbot, tmp_path
):
    """B05.FR.10: an accepted value is stored and takes effect (the heartbeat is rescheduled)."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        view.tabs.setCurrentWidget(view.device_model_panel)
        panel = view.device_model_panel
        index = panel.reveal("OCPPCommCtrlr", "HeartbeatInterval")
        panel.tree.edit(index)
        editor = await wait_until(
            lambda: panel.tree.findChild(QLineEdit, "dmValueEditor"), what="the editor"
        )
        editor.setText("123")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        cp = view.cp
        await wait_until(lambda: cp.heartbeat_interval == 123, what="the new interval applied")
        assert cp.variable("OCPPCommCtrlr", "HeartbeatInterval") == "123"
        await wait_until(lambda: panel.last_outcome is not None, what="the outcome")
        assert panel.last_outcome.status == "Accepted"
        assert "HeartbeatInterval = 123: Accepted" in panel.result.text()
        assert "HeartbeatInterval = 123: Accepted" in window.statusBar().currentMessage()
        # The cell follows the station's VariableChanged event on the next turn of the loop.
        await wait_until(
            lambda: row_cells(panel, "OCPPCommCtrlr", "HeartbeatInterval")[VALUE] == "123",
            what="the table to show the new value",
        )


async def test_a_value_outside_its_limits_is_rejected_with_the_stations_reason(qtbot, tmp_path):
    """B05.FR.08: a value below minLimit is Rejected; the value stays; the reason is shown."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        panel = view.device_model_panel
        cp = view.cp
        before = cp.variable("TxCtrlr", "EVConnectionTimeOut")
        outcome = await panel.apply(lookup(cp, "TxCtrlr", "EVConnectionTimeOut"), "Actual", "-5")
        assert outcome is not None and outcome.status == "Rejected"
        assert "minLimit" in outcome.reason
        assert cp.variable("TxCtrlr", "EVConnectionTimeOut") == before
        assert "Rejected" in panel.result.text() and "minLimit" in panel.result.text()
        assert "Rejected" in window.statusBar().currentMessage()


async def test_a_boolean_is_edited_with_a_drop_down_of_true_and_false(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        view.tabs.setCurrentWidget(view.device_model_panel)
        panel = view.device_model_panel
        index = panel.reveal("TxCtrlr", "StopTxOnInvalidId")
        panel.tree.edit(index)
        combo = await wait_until(
            lambda: panel.tree.findChild(QComboBox, "dmValueChoice"), what="the drop-down"
        )
        assert [combo.itemText(i) for i in range(combo.count())] == ["true", "false"]
        combo.setCurrentText("false")
        qtbot.keyClick(combo, Qt.Key.Key_Return)
        cp = view.cp
        await wait_until(lambda: cp.variable("TxCtrlr", "StopTxOnInvalidId") == "false")


async def test_the_monitors_panel_lists_a_csms_monitor_and_the_event_it_fires(qtbot, tmp_path):
    """N04 SetVariableMonitoring, N07: an UpperThreshold passed fires a NotifyEvent."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        view.tabs.setCurrentWidget(view.monitors_panel)
        panel = view.monitors_panel
        csms = window.workspace.csms
        reply = await csms.v201.set_variable_monitoring(
            STATION,
            [
                {
                    "value": 2000,
                    "type": "UpperThreshold",
                    "severity": 5,
                    "component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "Power"},
                }
            ],
        )
        result = reply["setMonitoringResult"][0]
        assert result["status"] == "Accepted"
        monitor_id = result["id"]
        table = panel.monitors

        def row_of_monitor() -> int | None:
            for row in range(table.rowCount()):
                if table.item(row, 0).text() == str(monitor_id):
                    return row
            return None

        row = await wait_until(lambda: row_of_monitor() is not None and row_of_monitor())
        cells = [table.item(row, c).text() for c in range(table.columnCount())]
        assert cells[1:7] == ["custom", "EVSE 1", "Power", "UpperThreshold", "2000 W", "5 Alert"]

        cp = view.cp
        cp.station.connector(1).plug_in(Ev(load_ev_template("family-ev")))
        cp.station.present_id(TAG, 1)
        events = panel.events
        await wait_until(
            lambda: any(
                events.item(r, 2).text() == str(monitor_id) for r in range(events.rowCount())
            ),
            timeout=30,
            what="the monitor's event in the table",
        )
        fired = next(
            r for r in range(events.rowCount()) if events.item(r, 2).text() == str(monitor_id)
        )
        assert events.item(fired, 3).text() == "Alerting"
        assert events.item(fired, 4).text() == "EVSE 1 · Power"
        await wait_until(
            lambda: table.item(row_of_monitor(), 7).text() == "passed", what="tripped shown"
        )
        await csms.wait_for_message(STATION, "NotifyEvent", timeout=10)


async def test_the_display_shows_a_csms_message_until_it_is_cleared(qtbot, tmp_path):
    """O01 SetDisplayMessage shows on the EVSE's screen; O05 ClearDisplayMessage removes it."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window, template="ac-22kw-dual")
        view.tabs.setCurrentWidget(view.display_panel)
        panel = view.display_panel
        assert set(panel.screens) == {1, 2}
        assert panel.screens[1].text.text().startswith(IDLE)  # the station's own screen
        csms = window.workspace.csms
        message = {
            "id": 7,
            "priority": "AlwaysFront",
            "message": {"format": "UTF8", "content": "Welcome to the bench"},
            "display": {"name": "Display", "evse": {"id": 2}},
        }
        reply = await csms.v201.set_display_message(STATION, message)
        assert reply["status"] == "Accepted"
        await wait_until(
            lambda: panel.screens[2].text.text() == "Welcome to the bench", what="the message"
        )
        assert panel.screens[1].text.text().startswith(IDLE)  # bound to EVSE 2 only
        assert "AlwaysFront" in panel.screens[2].detail.text()
        assert panel.table.rowCount() == 1
        assert panel.table.item(0, 4).text() == "Welcome to the bench"
        assert panel.table.item(0, 3).text() == "2"

        await csms.v201.clear_display_message(STATION, 7)
        await wait_until(lambda: panel.screens[2].text.text().startswith(IDLE), what="cleared")
        await wait_until(lambda: panel.table.rowCount() == 0, what="the list emptied")
