"""2.0.1 panels that follow the station live: the device-model browser and fired monitors.

Real app and built-in CSMS over a loopback WebSocket, offscreen. The browser is
kept current by the charge point's ``VariableChanged`` events (no polling); a
monitor's event names the EVSE its component sits on (N07).
"""

from __future__ import annotations

from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from bench.ocpp.v201.device_model import ComponentKey, VariableKey
from tests.ui.conftest import running_app, wait_until
from tests.ui.test_v201_stations import STATION, TAG, add_v201
from ui.models.device_model import VALUE
from ui.views.monitors_panel import fired_where


def value(panel, component: str, variable: str) -> str:
    return panel.model.value_index(component, variable).siblingAtColumn(VALUE).data()


async def test_the_browser_follows_variable_changed_events_and_never_rereads_on_the_tick(
    qtbot, tmp_path
):
    """B05.FR.10 (a CSMS SetVariables) and the station's own measured EVSE Power both reach
    the visible browser through VariableChanged; the bridge's tick re-reads nothing."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        view.tabs.setCurrentWidget(view.device_model_panel)
        panel = view.device_model_panel
        cp = view.cp
        full_reads: list[int] = []
        read_all = panel.model.refresh
        panel.model.refresh = lambda: full_reads.append(1) or read_all()
        view.bridge.changed.emit()
        assert full_reads == []

        reply = await window.workspace.csms.v201.set_variables(
            STATION, [("OCPPCommCtrlr", "HeartbeatInterval", "77")]
        )
        assert reply["setVariableResult"][0]["attributeStatus"] == "Accepted"
        await wait_until(
            lambda: value(panel, "OCPPCommCtrlr", "HeartbeatInterval") == "77",
            what="the CSMS's value in the browser",
        )
        assert panel.updates >= 1 and full_reads == []  # cell by cell, no full re-read

        cp.station.connector(1).plug_in(Ev(load_ev_template("family-ev")))
        cp.station.present_id(TAG, 1)
        await wait_until(
            lambda: value(panel, "EVSE 1", "Power") not in ("", "0"),
            timeout=30,
            what="the measured power in the browser",
        )
        stored = cp.device_model.value(ComponentKey("EVSE", evse=1), VariableKey("Power"))
        await wait_until(lambda: value(panel, "EVSE 1", "Power") == stored, what="in step")
        assert full_reads == []


async def test_a_hidden_browser_ignores_changes_and_catches_up_when_shown(qtbot, tmp_path):
    """While another tab is up no cell is touched; showing the browser re-reads it all once."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        panel = view.device_model_panel
        view.tabs.setCurrentWidget(view.graphs)
        assert not panel.isVisible()
        before = value(panel, "TxCtrlr", "EVConnectionTimeOut")
        view.cp.set_own_variable("TxCtrlr", "EVConnectionTimeOut", "91")
        await wait_until(lambda: not panel._apply_changes.isActive(), what="a loop turn")
        assert value(panel, "TxCtrlr", "EVConnectionTimeOut") == before != "91"
        assert panel.updates == 0
        view.tabs.setCurrentWidget(panel)
        assert value(panel, "TxCtrlr", "EVConnectionTimeOut") == "91"


async def test_a_fired_monitor_names_the_evse_of_its_component(qtbot, tmp_path):
    """N07: the events table says "EVSE 1 · Power", not just "EVSE · Power"; a fault on the
    connector (hard-wired Problem) names its EVSE too."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        view.tabs.setCurrentWidget(view.monitors_panel)
        panel = view.monitors_panel
        cp = view.cp
        fired = []
        cp.events.subscribe(
            lambda e: fired.append(e) if type(e).__name__ == "MonitorFired" else None
        )
        cp.monitoring.report_problem(ComponentKey("EVSE", evse=1), "Problem", "true", False)
        assert fired and fired[-1].evse_id == 1
        cp.monitoring.report_problem("ChargingStation", "Problem", "true", False)
        assert fired[-1].evse_id is None
        events = panel.events
        await wait_until(lambda: events.rowCount() >= 2, what="both events in the table")
        shown = {events.item(r, 4).text() for r in range(events.rowCount())}
        assert {"EVSE 1 · Problem", "ChargingStation · Problem"} <= shown


def test_what_fired_is_named_with_its_evse() -> None:
    assert fired_where("EVSE", "Power", 1) == "EVSE 1 · Power"
    assert fired_where("Connector", "Problem", 2) == "EVSE 2 · Connector · Problem"
    assert fired_where("ChargingStation", "Problem", None) == "ChargingStation · Problem"
