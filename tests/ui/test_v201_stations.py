"""OCPP 2.0.1 stations in the desktop app: the version per station, tabs, cards, log filter.

Real app, real built-in CSMS on 127.0.0.1 (OS-assigned port), offscreen (issue 5, GUI part).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from bench.workspace import BUILTIN_PROFILE, DEMO_STATION_ID, Workspace, WorkspaceOptions
from tests.ui.conftest import running_app, wait_until
from ui.models.stations import VERSION_ROLE
from ui.operations import connector as connector_ops
from ui.operations import stations as station_ops
from ui.views.station_dialogs import AddStationDialog

STATION = "CP201-TEST"
TAG = "DEMO-TAG-0001"


async def add_v201(window, station_id: str = STATION, template: str = "ac-11kw", speed=10.0):
    """Add a 2.0.1 station the way the Add stations dialog does, show it, wait for Accepted."""
    request = station_ops.NewStation(
        station_id, template, "family-ev", BUILTIN_PROFILE, speed=speed, ocpp_version="2.0.1"
    )
    await station_ops.add_stations(window.workspace, request)
    bridge = window.bridges[station_id]
    await wait_until(lambda: bridge.cp.accepted, what="BootNotification Accepted")
    window.show_station(bridge)
    return window.current_view()


def tab_titles(view) -> list[str]:
    return [view.tabs.tabText(i) for i in range(view.tabs.count())]


async def test_a_station_added_as_201_connects_with_ocpp201_and_shows_the_201_tabs(qtbot, tmp_path):
    """Issue 5: the OCPP version is a per-station setting; subprotocol ocpp2.0.1 is negotiated."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        assert view.cp.version == "2.0.1"
        csms = window.workspace.csms
        assert csms.protocol_version(STATION) == "2.0.1"
        assert tab_titles(view) == [
            "Live graphs",
            "Smart charging",
            "Device model",
            "Monitors",
            "Display",
        ]
        assert "OCPP 2.0.1" in view.header.subtitle.text()
        # The 1.6 demo station beside it keeps its 1.6 tabs.
        window.show_station(window.bridges[DEMO_STATION_ID])
        demo = window.current_view()
        assert demo.cp.version == "1.6"
        assert tab_titles(demo) == ["Live graphs", "Smart charging", "Configuration"]
        # The station list says which version each station speaks.
        model = window.station_model
        versions = {
            model.index(row, 0).data(): model.index(row, 0).data(VERSION_ROLE)
            for row in range(model.rowCount())
        }
        assert versions == {STATION: "OCPP 2.0.1", DEMO_STATION_ID: "OCPP 1.6"}


async def test_the_version_chosen_for_a_station_survives_a_restart(tmp_path: Path):
    """A restored station speaks the version it was added with, not its profile's default."""
    options = WorkspaceOptions(data_dir=tmp_path / "data", speed=10.0)
    first = Workspace(options)
    await first.start()
    try:
        await first.add_station("KEEP-201", "ac-11kw", ocpp="2.0.1")
        assert first.stations["KEEP-201"].cp.version == "2.0.1"
        assert first.ocpp_version("KEEP-201") == "2.0.1"
        assert first.ocpp_version(DEMO_STATION_ID) == "1.6"
    finally:
        await first.stop()
    again = Workspace(options)
    await again.start()
    try:
        assert again.stations["KEEP-201"].cp.version == "2.0.1"
        assert again.stations[DEMO_STATION_ID].cp.version == "1.6"
        copy = await again.duplicate_station("KEEP-201", "KEEP-202")
        assert copy.cp.version == "2.0.1"  # a duplicate speaks what its original speaks
        await again.remove_station("KEEP-202")
        assert "KEEP-202" not in again.versions
    finally:
        await again.stop()


async def test_an_unknown_version_is_refused_before_anything_is_added(tmp_path: Path):
    options = WorkspaceOptions(data_dir=tmp_path / "data", demo=False)
    workspace = Workspace(options)
    await workspace.start()
    try:
        try:
            await workspace.add_station("X", "ac-11kw", "ws://127.0.0.1:9/", ocpp="3.0")
        except ValueError as exc:
            assert "not supported" in str(exc)
        else:
            raise AssertionError("OCPP 3.0 was accepted")
        assert workspace.stations == {}
    finally:
        await workspace.stop()


async def test_the_add_stations_dialog_offers_201_and_follows_the_profile_until_chosen(qtbot):
    dialog = AddStationDialog([], set(), default_ev="family-ev")
    qtbot.addWidget(dialog)
    versions = [dialog.ocpp.itemData(i) for i in range(dialog.ocpp.count())]
    assert versions == ["1.6", "2.0.1"]
    model = dialog.ocpp.model()
    assert all(model.item(i).isEnabled() for i in range(dialog.ocpp.count()))
    dialog.ocpp.setCurrentIndex(1)
    dialog.station_id.setText("NEW-201")
    assert dialog.request().ocpp_version == "2.0.1"


async def test_a_201_connector_card_shows_charging_state_transaction_and_last_event(
    qtbot, tmp_path
):
    """E01-E03: the card shows the transaction id, its chargingState and the last
    TransactionEvent (type, seqNo, triggerReason); the pill says Occupied with the state."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        card = view.card(1)
        labels = [card.values[key] for key in ("charging_state", "tx_event", "trigger")]
        assert all(label.text() == "—" for label in labels)
        cp = view.cp
        connector = cp.station.connector(1)
        connector.plug_in(Ev(load_ev_template("family-ev")))
        card.present(TAG)  # the card's own Present card action (C01 Authorize)
        await wait_until(
            lambda: f"card {TAG} accepted" in window.statusBar().currentMessage(),
            what="the verdict in the status bar",
        )
        tx = await wait_until(lambda: cp.transactions.active(1), what="a transaction")
        await wait_until(lambda: tx.charging_state == "Charging", what="Charging")
        await wait_until(
            lambda: card.values["charging_state"].text() == "Charging", what="card refreshed"
        )
        assert card.status.text() == "Occupied · Charging"
        assert card.values["transaction"].toolTip() == tx.transaction_id
        assert tx.transaction_id.startswith(card.values["transaction"].text().rstrip("…"))
        assert card.values["tag"].text() == TAG
        event_text = card.values["tx_event"].text()
        assert event_text.split(" · ")[0] in ("Started", "Updated")
        assert view.tx_events.last[1].transaction_id == tx.transaction_id
        assert f"seqNo {view.tx_events.last[1].seq_no}" in event_text
        assert card.values["trigger"].text() == view.tx_events.last[1].trigger_reason

        connector.unplug()
        await wait_until(
            lambda: card.values["tx_event"].text().startswith("Ended"), what="the Ended event"
        )
        assert card.values["transaction"].text() == "—"
        assert card.status.text() in ("Available", "Occupied")


async def test_the_log_action_filter_lists_the_actions_of_both_versions(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        combo = window.log_panel.action
        names = {combo.itemData(i) for i in range(combo.count())}
        assert {"StartTransaction", "ChangeConfiguration"} <= names  # 1.6 only
        assert {"TransactionEvent", "SetVariables", "NotifyEvent"} <= names  # 2.0.1 only
        assert "BootNotification" in names
        index = combo.findData("TransactionEvent")
        assert combo.itemData(index, Qt.ItemDataRole.ToolTipRole) == "OCPP 2.0.1"


async def test_the_cards_limit_on_a_201_station_is_an_external_limit_the_csms_hears_of(
    qtbot, tmp_path
):
    """K12: a limit set from the bench is installed as an external constraint and reported
    with NotifyChargingLimit; the card shows the lower offered limit while charging."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        card = view.card(1)
        csms = window.workspace.csms
        cp = view.cp
        connector = cp.station.connector(1)
        connector.plug_in(Ev(load_ev_template("family-ev")))
        cp.station.present_id(TAG, 1)
        await wait_until(lambda: connector.meter.power_w > 1000, what="charging")
        mark = csms.mark()
        connector_ops.set_limit(cp, connector, 10.0)
        payload = await csms.wait_for_message(STATION, "NotifyChargingLimit", since=mark)
        assert payload["evseId"] == 1
        await wait_until(
            lambda: card.values["limit"].text().startswith("10.0 A"), what="the card's limit"
        )
