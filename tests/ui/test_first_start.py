"""First start: the window shows a booted demo station; two clicks start charging (issue 4)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from bench.workspace import DEMO_STATION_ID, DEMO_TAG
from tests.ui.conftest import running_app, wait_until
from ui.models.stations import BADGE_ROLE


async def test_first_start_shows_the_demo_station_booted_against_the_built_in_csms(qtbot, tmp_path):
    """1.6 §4.2: the demo station's BootNotification is Accepted, and the list badge says so."""
    async with running_app(qtbot, tmp_path) as window:
        model = window.station_model
        await wait_until(lambda: model.rowCount() == 1, what="the demo station in the list")
        index = model.index(0)
        assert index.data() == DEMO_STATION_ID
        label, _colour = await wait_until(
            lambda: (
                model.index(0).data(BADGE_ROLE)[0] == "booted" and model.index(0).data(BADGE_ROLE)
            ),
            what="the booted badge",
        )
        assert label == "booted"
        view = window.current_view()
        assert view is not None
        await wait_until(lambda: view.header.values["registration"].text() == "Accepted")
        assert view.header.values["csms"].text().startswith(window.workspace.csms_url)
        await wait_until(lambda: view.card(1).status.text() == "Available", what="Available card")
        assert window.workspace.csms_url.startswith("ws://127.0.0.1:")


async def test_plug_in_then_present_card_shows_a_charging_card_and_feeds_the_graph(qtbot, tmp_path):
    """Two clicks: Plug in, Present card → Authorize, StartTransaction, Charging (1.6 §4.9)."""
    async with running_app(qtbot, tmp_path) as window:
        view = await wait_until(window.current_view, what="the station view")
        await wait_until(lambda: window.bridges[DEMO_STATION_ID].cp.accepted, what="boot accepted")
        card = view.card(1)
        qtbot.mouseClick(card.plug_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Preparing", what="Preparing after plug-in")
        qtbot.mouseClick(card.card_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Charging", what="Charging after the card")
        await wait_until(lambda: card.values["transaction"].text().isdigit(), what="transaction id")
        assert card.values["tag"].text() == DEMO_TAG
        assert card.plug_button.text() == "Unplug"

        bridge = window.bridges[DEMO_STATION_ID]
        bridge.take_sample()
        buffer = bridge.samples[1]
        assert buffer.last("power_kw") > 1.0
        assert buffer.last("limit_kw") >= buffer.last("power_kw") - 0.1
        view.graphs.redraw()
        x, y = view.graphs.curves["power_kw"].getData()
        assert x is not None and len(x) >= 1 and y[-1] > 1.0


async def test_a_fault_from_the_catalogue_shows_a_faulted_card_and_a_status_notification(
    qtbot, tmp_path
):
    """1.6 §4.9/§7.7: a stopping fault → Faulted with its error code, logged as sent."""
    async with running_app(qtbot, tmp_path) as window:
        view = await wait_until(window.current_view, what="the station view")
        await wait_until(lambda: window.bridges[DEMO_STATION_ID].cp.accepted, what="boot accepted")
        card = view.card(1)
        card._raise_fault("ground_failure")
        await wait_until(lambda: card.status.text() == "Faulted", what="Faulted card")
        assert card.values["error"].text().startswith("GroundFailure")
        log = window.workspace.message_log

        def faulted_logged() -> bool:
            return any(
                r.payload.get("status") == "Faulted"
                for r in log.query(action="StatusNotification", type="CALL", direction="tx")
            )

        await wait_until(faulted_logged, what="StatusNotification Faulted in the log")
        card.clear_fault_action.trigger()
        await wait_until(lambda: card.status.text() == "Available", what="Available after clearing")


async def test_a_refused_action_is_reported_in_the_status_bar(qtbot, tmp_path):
    """An RFID reader fault makes Present card fail with a message, not a traceback."""
    async with running_app(qtbot, tmp_path) as window:
        view = await wait_until(window.current_view, what="the station view")
        await wait_until(lambda: window.bridges[DEMO_STATION_ID].cp.accepted, what="boot accepted")
        view.cp.station.raise_fault("reader_failure")
        qtbot.mouseClick(view.card(1).card_button, Qt.MouseButton.LeftButton)
        assert "RFID reader does not respond" in window.statusBar().currentMessage()
        assert window.reporter.last_error is not None


async def test_a_blocked_card_is_refused_and_said_so(qtbot, tmp_path):
    """1.6 §4.1/§7.13: the built-in CSMS answers Blocked; the status bar says refused."""
    async with running_app(qtbot, tmp_path) as window:
        view = await wait_until(window.current_view, what="the station view")
        await wait_until(lambda: window.bridges[DEMO_STATION_ID].cp.accepted, what="boot accepted")
        view.card(1).present("BLOCKED-CARD")
        await wait_until(
            lambda: "refused" in window.statusBar().currentMessage(), what="refusal message"
        )
        assert "Blocked" in window.statusBar().currentMessage()


async def test_closing_the_window_stops_the_station_and_the_csms(qtbot, tmp_path):
    """Closing awaits ChargePoint16.stop for every station, then stops the CSMS."""
    async with running_app(qtbot, tmp_path) as window:
        await wait_until(lambda: window.bridges.get(DEMO_STATION_ID), what="the demo station")
        cp = window.bridges[DEMO_STATION_ID].cp
        await wait_until(lambda: cp.accepted, what="boot accepted")
        window.close()
        assert window.isVisible()  # held open until the shutdown has finished
        await wait_until(window.closed.is_set, what="the shutdown")
        await wait_until(lambda: not window.isVisible(), what="the window to close")
        assert cp.link_state == "stopped"
        assert window.workspace.csms is None
        assert window.workspace.stations == {}
