"""The 2.0.1 Display tab shows the station's own screen during a charge, not "no message".

State, power and session energy come from the station (bench.ocpp.v201.display,
``screen``); a CSMS message set with SetDisplayMessage (O01) takes its place while
it is up and the status screen comes back when it is cleared (O05).
"""

from __future__ import annotations

from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from tests.ui.conftest import running_app, wait_until
from tests.ui.test_v201_stations import STATION, TAG, add_v201


async def test_the_display_tab_shows_charging_power_and_energy_then_a_csms_message_on_top(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        view.tabs.setCurrentWidget(view.display_panel)
        screen = view.display_panel.screens[1]
        connector = view.cp.station.connector(1)
        connector.plug_in(Ev(load_ev_template("family-ev")))
        view.card(1).present(TAG)
        await wait_until(lambda: connector.drawing, what="the EV charging")
        await wait_until(lambda: screen.text.text().startswith("Charging\n"), what="Charging")
        assert " kW · " in screen.text.text() and screen.text.text().endswith(" kWh")
        assert screen.detail.text() == "station screen"

        csms = window.workspace.csms
        message = {
            "id": 3,
            "priority": "InFront",
            "message": {"format": "UTF8", "content": "Thank you for charging with us"},
        }
        assert (await csms.v201.set_display_message(STATION, message))["status"] == "Accepted"
        await wait_until(
            lambda: screen.text.text() == "Thank you for charging with us", what="the message"
        )
        assert "message #3" in screen.detail.text()
        await csms.v201.clear_display_message(STATION, 3)
        await wait_until(lambda: screen.text.text().startswith("Charging"), what="status back")
