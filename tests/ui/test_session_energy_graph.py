"""The energy graph plots the session energy the connector card shows, not the meter register."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt

from bench.workspace import DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until

REGISTER_WH = 850_000.0  # a meter that has counted 850 kWh before this session


async def test_the_energy_graph_follows_the_cards_session_energy_and_names_the_register(
    qtbot, tmp_path
):
    """1.6 §6.45: meterStart is the register at the start; the session is what came after."""
    async with running_app(qtbot, tmp_path) as window:
        view = await wait_until(window.current_view, what="the station view")
        bridge = window.bridges[DEMO_STATION_ID]
        await wait_until(lambda: bridge.cp.accepted, what="boot accepted")
        connector = bridge.station.connectors[0]
        connector.meter.energy_wh = REGISTER_WH
        bridge.take_sample()
        assert math.isnan(bridge.samples[1].last("session_kwh"))  # no session yet: a gap

        card = view.card(1)
        qtbot.mouseClick(card.plug_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Preparing", what="Preparing")
        qtbot.mouseClick(card.card_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Charging", what="Charging")
        await wait_until(lambda: card.values["energy"].text() != "—", what="session energy")

        bridge.take_sample()
        card.refresh()
        buffer = bridge.samples[1]
        on_card = float(card.values["energy"].text().split()[0])
        assert buffer.last("session_kwh") == pytest.approx(on_card, abs=0.01)
        assert buffer.last("energy_kwh") >= REGISTER_WH / 1e3  # the register, kept apart

        graphs = view.graphs
        graphs.redraw()
        _x, y = graphs.curves["session_kwh"].getData()
        assert y[-1] == pytest.approx(on_card, abs=0.01)
        assert graphs.plots["energy"].vb.viewRange()[1][1] < 10  # not an 850 kWh axis
        assert graphs.legend_text("energy") == "━━ session energy"
        text = graphs.read_at(buffer.last("t"))
        assert f"session {buffer.last('session_kwh'):.2f} kWh" in text
        assert f"meter register {buffer.last('energy_kwh'):.2f} kWh" in text
