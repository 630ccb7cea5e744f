"""Network faults on a proxied charger's leg from Tools ▸ Proxy… (issue 17).

The real app offscreen, the built-in CSMS on 127.0.0.1, and a bench station playing
the lab charger behind the proxy the window started.
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QInputDialog

from tests.ui.conftest import running_app, wait_until
from tests.ui.test_proxy_window import LAB, _proxy_with_a_charger

TICK = 0.01  # asyncio may run a timer up to one clock tick early


def preset(button, label: str):
    (action,) = [a for a in button.menu().actions() if a.text() == label]
    return action


async def test_the_network_faults_button_impairs_the_selected_proxied_charger_and_shows_it(
    qtbot, tmp_path, monkeypatch
) -> None:
    async with running_app(qtbot, tmp_path) as window:
        proxy_window, server, charger = await _proxy_with_a_charger(window, tmp_path)
        try:
            await charger.cp.wait_accepted(15)
            row = proxy_window.faults_row
            button = row.button
            await wait_until(button.isEnabled, what="the button aimed at the station")
            assert button.text() == "Network faults"
            assert row.state.text() == "Charger leg: off · CSMS leg: off"
            labels = [a.text() for a in button.menu().actions()]
            # The charger resolves names and makes its own TLS handshake: not offered here.
            assert "DNS name stops resolving" not in labels
            assert "TLS handshake fails" not in labels

            preset(button, "Latency 800 ms ± 200 ms").trigger()
            assert server.impairment(LAB).describe() == "latency 800ms jitter 200ms"
            assert button.text() == "Network faults: on"
            await wait_until(
                lambda: (
                    row.state.text() == "Charger leg: latency 800ms jitter 200ms · CSMS leg: off"
                ),
                what="the faults in force shown",
            )
            # The charger feels it: its heartbeat waits the latency each way, less jitter.
            answered = charger.cp.heartbeat().last_at
            loop = asyncio.get_running_loop()
            began = loop.time()
            await charger.cp.send_heartbeat()
            assert loop.time() - began >= 2 * (0.8 - 0.2) - TICK
            assert charger.cp.heartbeat().last_at != answered  # slow, not broken

            answers = iter([("loss 5%", True), ("loss lots", True)])
            monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
            button.custom_action.trigger()
            assert server.impairment(LAB).describe() == "latency 800ms jitter 200ms, loss 5%"
            button.custom_action.trigger()
            assert "loss: expected a percentage" in window.statusBar().currentMessage()
            assert server.impairment(LAB).describe() == "latency 800ms jitter 200ms, loss 5%"

            button.clear_action.trigger()
            assert server.impairment(LAB).describe() == "off"
            await wait_until(
                lambda: row.state.text() == "Charger leg: off · CSMS leg: off", what="cleared"
            )
            assert button.text() == "Network faults"
        finally:
            await charger.stop()
