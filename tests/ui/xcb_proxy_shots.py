"""Screenshots of Tools ▸ Proxy… with a charger proxied to the built-in CSMS (issue 17).

Runs inside the real app (``ocpp-bench --drive tests.ui.xcb_proxy_shots:drive``): opens
the proxy window, starts the proxy in front of the built-in CSMS, and plays the lab
charger with a bench station started from outside and pointed at the proxy. It plugs
an EV in and presents the demo card, waits for meter values on the graphs, puts a
latency fault on the charger's leg from the "Network faults" button and saves
``proxy-station.png`` (the fault cleared after it) and the main window with the
charger selected in its station list (a row marked as proxied: its cards, graphs
and both legs' frames in the log) as ``proxy-main.png``; then applies a set of
rules, one of which holds the charger's next StatusNotification, and saves
``proxy-rules.png``. Then it quits.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from bench.model.templates import load_ev_template
from bench.runtime import StationOptions, StationRun
from bench.workspace import DEMO_TAG
from tests.ui.xcb_shots import SHOTS_ENV, quit_answering_yes, report, wait_for
from ui.main_window import MainWindow
from ui.screenshot import grab_window

LAB = "LAB-WALLBOX-7"
RULES = [
    {
        "name": "hide meter values from the CSMS",
        "direction": "to_csms",
        "action": "MeterValues",
        "then": "drop",
        "enabled": False,
    },
    {
        "name": "refuse data transfers",
        "action": "DataTransfer",
        "then": "answer",
        "error": {"code": "NotSupported", "description": "not through this proxy"},
    },
    {
        "name": "shorter heartbeat",
        "direction": "to_charger",
        "action": "BootNotification",
        "type": "CALLRESULT",
        "then": "replace",
        "set": {"interval": 60},
    },
    {
        "name": "look at Finishing first",
        "direction": "to_csms",
        "action": "StatusNotification",
        "match": {"status": "Finishing"},
        "then": "hold",
    },
]


async def drive(window: MainWindow) -> None:
    from bench.model.ev import Ev

    folder = Path(os.environ.get(SHOTS_ENV) or "shots")
    await wait_for(lambda: window.workspace.csms_url, "the built-in CSMS")
    proxy = window.proxy.show()
    proxy.move(window.pos())
    proxy.resize(1600, 1000)
    proxy.listen_edit.setText("127.0.0.1:0")
    proxy.start_button.click()
    await wait_for(lambda: proxy.server is not None, "the proxy listening")
    assert proxy.server is not None
    report(f"proxy on {proxy.server.url}")
    charger = StationRun(
        StationOptions(
            csms_url=proxy.server.url,
            station_id=LAB,
            speed=20.0,
            db=str(folder / "lab-charger.db"),
            settings={"boot_seconds": "0"},
        )
    )
    await charger.start()
    try:
        await charger.cp.wait_accepted(30)
        connector = charger.cp.station.connector(1)
        connector.plug_in(Ev(load_ev_template("family-ev")))
        charger.cp.present_id(DEMO_TAG)
        await wait_for(
            lambda: (
                proxy.view.cards.get((0, 1)) is not None
                and proxy.view.cards[(0, 1)].status.text() == "Charging"
            ),
            "Charging on the card",
        )
        observed = proxy.current_station()
        assert observed is not None
        await wait_for(
            lambda: len(observed.observed.connectors[(0, 1)].samples) >= 12, "12 meter samples"
        )
        proxy.faults_row.button.apply("latency 800ms jitter 200ms")
        proxy.refresh()
        await asyncio.sleep(0)
        grab_window(proxy).save(str(folder / "proxy-station.png"), "PNG")
        report(f"shot {folder / 'proxy-station.png'}")
        proxy.faults_row.button.apply("off")

        # The main window: the proxied charger a row of its station list, selected.
        proxy.hide()
        await wait_for(lambda: LAB in window.proxy.sources, "the proxied station in the list")
        window.station_list.select_station(LAB)
        view = window.proxied_view
        assert view is not None
        await wait_for(lambda: (0, 1) in view.cards, "its connector card")
        for _ in range(5):
            await asyncio.sleep(0.05)
        grab_window(window).save(str(folder / "proxy-main.png"), "PNG")
        report(f"shot {folder / 'proxy-main.png'}")
        proxy.show()
        proxy.raise_()
        await asyncio.sleep(0.1)

        proxy.rules_edit.setPlainText(json.dumps({"rules": RULES}, indent=2))
        proxy.apply_button.click()
        charger.cp.present_id(DEMO_TAG)  # stops: the Finishing status is held
        await wait_for(lambda: bool(observed.held), "a held StatusNotification")
        proxy.tabs.setCurrentIndex(2)
        proxy.refresh()
        await asyncio.sleep(0)
        grab_window(proxy).save(str(folder / "proxy-rules.png"), "PNG")
        report(f"shot {folder / 'proxy-rules.png'}")

        proxy.tabs.setCurrentIndex(1)
        proxy.send_button.click()
        await wait_for(lambda: proxy.reply_view.toPlainText(), "the console's reply")
        grab_window(proxy).save(str(folder / "proxy-console.png"), "PNG")
        report(f"shot {folder / 'proxy-console.png'}")
    finally:
        await charger.stop()
    await quit_answering_yes(window)
