"""Proxied chargers as rows of the main station list (issue 17 part 1).

The "real charger" is a bench station run outside the app, pointed at the proxy
that Tools ▸ Proxy… started in front of the built-in CSMS, all over 127.0.0.1.
"""

from __future__ import annotations

from bench.proxy.rules import TO_CSMS
from bench.runtime import StationOptions, StationRun
from bench.workspace import DEMO_TAG
from tests.e2e.conftest import ev
from tests.ui.conftest import running_app, wait_until
from ui.models.proxied_source import ProxiedSource
from ui.models.stations import BADGE_ROLE, ENTRY_ROLE, PROXIED_ROLE, SUBTITLE_ROLE, VERSION_ROLE
from ui.views.proxied_station import ProxiedStationView

LAB = "LAB-WALLBOX-3"


def _points(curve) -> int:
    xs, _ = curve.getData()
    return 0 if xs is None else len(xs)


async def _charger_through_the_proxy(window, tmp_path, ocpp: str = "1.6") -> StationRun:
    await wait_until(lambda: window.workspace.csms_url, what="the built-in CSMS")
    proxy_window = window.proxy.show()
    proxy_window.listen_edit.setText("127.0.0.1:0")
    proxy_window.start_button.click()
    server = await wait_until(lambda: proxy_window.server, what="the proxy listening")
    proxy_window.hide()  # the main window is what these tests look at
    charger = StationRun(
        StationOptions(
            csms_url=server.url,
            station_id=LAB,
            ocpp=ocpp,
            speed=30.0,
            db=str(tmp_path / "lab.db"),
            settings={"boot_seconds": "0"},
        )
    )
    await charger.start()
    return charger


def _proxied_row(window):
    model = window.station_list.proxy
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data() == LAB:
            return index
    return None


async def test_a_charger_connecting_to_the_proxy_becomes_a_station_row_marked_proxied(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as window:
        charger = await _charger_through_the_proxy(window, tmp_path)
        try:
            index = await wait_until(lambda: _proxied_row(window), what="the proxied row")
            assert index.data(PROXIED_ROLE) is True
            assert index.data(BADGE_ROLE)[0] == "proxied"
            assert index.data(VERSION_ROLE) == "OCPP 1.6"
            assert index.data(SUBTITLE_ROLE).startswith("Proxied charger")
            # The bench's own demo station keeps its row above it.
            assert window.station_list.proxy.rowCount() == 2
            assert window.station_list.select_station(LAB)
            view = window.stack.currentWidget()
            assert isinstance(view, ProxiedStationView)
            assert view.title.text() == LAB
            assert "proxied" in view.mark.text()
            # Nothing to plug in, no card to present, no cable to cut: not simulated here.
            for action in (
                window.plug_action,
                window.card_action,
                window.network_action,
                window.reboot_action,
            ):
                assert not action.isEnabled()
            assert not window.station_actions.remove_action.isEnabled()
            # Its network faults: one button per leg, aimed at this station.
            assert view.faults_row.button.isEnabled()
            assert view.faults_row.csms_button.isEnabled()
            # Back on the bench's own station, its buttons come back.
            window.station_list.select_row(0)
            assert window.plug_action.isEnabled()
        finally:
            await charger.stop()


async def test_a_proxied_rows_cards_follow_its_status_notifications_and_its_graph_its_meter_values(
    qtbot, tmp_path
):
    """1.6 §4.9 StatusNotification on the card, §4.7 MeterValues on the graphs."""
    async with running_app(qtbot, tmp_path) as window:
        charger = await _charger_through_the_proxy(window, tmp_path)
        try:
            await charger.cp.wait_accepted(15)
            await wait_until(lambda: _proxied_row(window), what="the proxied row")
            window.station_list.select_station(LAB)
            view = window.stack.currentWidget()
            card = await wait_until(lambda: view.cards.get((0, 1)), what="connector 1's card")
            await wait_until(lambda: card.status.text() == "Available", what="Available")
            charger.cp.station.connector(1).plug_in(ev())
            charger.cp.present_id(DEMO_TAG)
            await wait_until(lambda: card.status.text() == "Charging", what="Charging")
            assert card.values["Transaction"].text() != "—"
            index = _proxied_row(window)
            await wait_until(
                lambda: "Charging" in index.data(SUBTITLE_ROLE), what="Charging on the row"
            )
            await wait_until(
                lambda: _points(view.graphs.curves["power_kw"]) >= 2,
                what="two meter values on the power graph",
            )
            _, power = view.graphs.curves["power_kw"].getData()
            assert max(power) > 0
            # Its frames, both legs, are what the main log now shows.
            assert window.log_panel.station.currentData() == LAB
            log = window.workspace.message_log
            assert log.count(station=LAB, action="MeterValues", leg="charger") >= 1
            assert log.count(station=LAB, action="MeterValues", leg="csms") >= 1
        finally:
            await charger.stop()


async def test_a_proxied_row_shows_disconnected_after_the_charger_leaves(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        charger = await _charger_through_the_proxy(window, tmp_path)
        stopped = False
        try:
            await charger.cp.wait_accepted(15)
            index = await wait_until(lambda: _proxied_row(window), what="the proxied row")
            window.station_list.select_station(LAB)
            view = window.stack.currentWidget()
            assert view.link.text() == "connected"
            await charger.stop()
            stopped = True
            await wait_until(
                lambda: _proxied_row(window).data(BADGE_ROLE)[0] == "disconnected",
                what="the row marked disconnected",
            )
            assert view.link.text() == "disconnected"
            assert _proxied_row(window).row() == index.row()  # the row stays, in place
            source = _proxied_row(window).data(ENTRY_ROLE)
            assert isinstance(source, ProxiedSource) and not source.connected
        finally:
            if not stopped:
                await charger.stop()


async def test_a_proxied_row_s_console_sends_to_the_csms_as_if_from_the_charger(qtbot, tmp_path):
    """1.6 §4.6 Heartbeat from the bench, on the charger's behalf; the reply stays here."""
    async with running_app(qtbot, tmp_path) as window:
        charger = await _charger_through_the_proxy(window, tmp_path)
        try:
            await charger.cp.wait_accepted(15)
            await wait_until(lambda: _proxied_row(window), what="the proxied row")
            window.station_list.select_station(LAB)
            view = window.stack.currentWidget()
            console = view.console
            view.tabs.setCurrentWidget(console)
            console.side_combo.setCurrentIndex(console.side_combo.findData(TO_CSMS))
            console.action_edit.setText("Heartbeat")
            console.payload_edit.setPlainText("{}")
            console.send_button.click()
            text = await wait_until(lambda: console.reply_view.toPlainText(), what="the reply")
            assert text.startswith("CALLRESULT (valid)")
            assert "currentTime" in text
        finally:
            await charger.stop()


async def test_a_proxied_2_0_1_row_follows_transaction_events_on_its_evse_card_and_graph(
    qtbot, tmp_path
):
    """2.0.1 G01 StatusNotification and E01-E07 TransactionEvent (chargingState, meterValue)."""
    async with running_app(qtbot, tmp_path) as window:
        charger = await _charger_through_the_proxy(window, tmp_path, ocpp="2.0.1")
        try:
            await charger.cp.wait_accepted(15)
            index = await wait_until(lambda: _proxied_row(window), what="the proxied row")
            assert index.data(VERSION_ROLE) == "OCPP 2.0.1"
            window.station_list.select_station(LAB)
            view = window.stack.currentWidget()
            charger.cp.station.connector(1).plug_in(ev())
            charger.cp.present_id(DEMO_TAG)
            card = await wait_until(lambda: view.cards.get((1, 1)), what="EVSE 1's card")
            await wait_until(
                lambda: card.status.text() == "Occupied · Charging", what="charging on the card"
            )
            assert card.title.text() == "EVSE 1 / connector 1"
            await wait_until(
                lambda: _points(view.graphs.curves["power_kw"]) >= 2,
                what="two meter values on the power graph",
            )
        finally:
            await charger.stop()
