"""Tools ▸ Proxy… (issue 17 part 1): a charger proxied to the built-in CSMS, in the app.

The "real charger" is a bench station run outside the window (as a lab charger
would be), pointed at the proxy the window started.
"""

from __future__ import annotations

import json

from bench.runtime import StationOptions, StationRun
from bench.workspace import DEMO_TAG
from tests.e2e.conftest import ev
from tests.ui.conftest import running_app, wait_until

LAB = "LAB-WALLBOX-1"


def _points(curve) -> int:
    xs, _ = curve.getData()
    return 0 if xs is None else len(xs)


async def _proxy_with_a_charger(window, tmp_path):
    await wait_until(lambda: window.workspace.csms_url, what="the built-in CSMS")
    proxy_window = window.proxy.show()
    proxy_window.listen_edit.setText("127.0.0.1:0")
    proxy_window.start_button.click()
    server = await wait_until(lambda: proxy_window.server, what="the proxy listening")
    charger = StationRun(
        StationOptions(
            csms_url=server.url,
            station_id=LAB,
            speed=30.0,
            db=str(tmp_path / "lab.db"),
            settings={"boot_seconds": "0"},
        )
    )
    await charger.start()
    return proxy_window, server, charger


async def test_a_proxied_charger_is_listed_as_proxied_with_cards_and_graphs_from_its_frames(
    qtbot, tmp_path
):
    """1.6 §4.9/§4.8/§4.7: status, transaction and meter values of the real charger."""
    async with running_app(qtbot, tmp_path) as window:
        proxy_window, _server, charger = await _proxy_with_a_charger(window, tmp_path)
        try:
            await charger.cp.wait_accepted(15)
            item = await wait_until(
                lambda: proxy_window.station_list.item(0), what="the proxied station listed"
            )
            assert item.text().splitlines()[0] == LAB
            assert "proxied · ocpp1.6" in item.text()
            charger.cp.station.connector(1).plug_in(ev())
            charger.cp.present_id(DEMO_TAG)
            card = await wait_until(
                lambda: proxy_window.view.cards.get((0, 1)), what="the connector card"
            )
            await wait_until(lambda: card.status.text() == "Charging", what="Charging on the card")
            await wait_until(
                lambda: _points(proxy_window.graphs.curves["power_kw"]) >= 2,
                what="two points on the power graph",
            )
            assert card.values["Transaction"].text() != "—"
            # A row of the main window's own station list, marked as proxied, with its status.
            source = window.proxy.sources[LAB]
            await wait_until(lambda: source.statuses() == ["Charging"], what="its row's status")
            assert source in window.station_model.proxied
            assert card.values["Power"].text().endswith("kW")
            # The same frames are in the main window's message log, on both legs.
            log = window.workspace.message_log
            assert log.count(station=LAB, action="StartTransaction", leg="charger") >= 1
            assert log.count(station=LAB, action="StartTransaction", leg="csms") >= 1
        finally:
            await charger.stop()


async def test_the_console_sends_to_the_charger_and_shows_the_reply(qtbot, tmp_path):
    """1.6 §5.8 GetConfiguration, to the charger as if from the CSMS."""
    async with running_app(qtbot, tmp_path) as window:
        proxy_window, _server, charger = await _proxy_with_a_charger(window, tmp_path)
        try:
            await charger.cp.wait_accepted(15)
            await wait_until(lambda: proxy_window.current_station(), what="the station selected")
            proxy_window.tabs.setCurrentIndex(1)
            proxy_window.action_edit.setText("GetConfiguration")
            proxy_window.payload_edit.setPlainText('{"key": ["HeartbeatInterval"]}')
            proxy_window.send_button.click()
            text = await wait_until(
                lambda: proxy_window.reply_view.toPlainText(), what="the reply shown"
            )
            assert text.startswith("CALLRESULT (valid)")
            assert "HeartbeatInterval" in text
        finally:
            await charger.stop()


async def test_the_rules_editor_applies_valid_rules_and_refuses_a_broken_one(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        proxy_window = window.proxy.show()
        rules = [{"name": "quiet", "action": "Heartbeat", "then": "drop"}]
        proxy_window.rules_edit.setPlainText(json.dumps(rules))
        proxy_window.apply_button.click()
        assert proxy_window.rules_state.text() == "1 rule(s) in force"
        assert proxy_window.rules_table.item(0, 0).text() == "quiet"
        assert proxy_window.rules_table.item(0, 4).text() == "drop"  # what the rule does
        assert [r.then for r in proxy_window.rules.rules] == ["drop"]
        proxy_window.rules_edit.setPlainText('[{"then": "explode"}]')
        proxy_window.apply_button.click()
        assert proxy_window.rules_state.text().startswith("Not applied")
        assert [r.then for r in proxy_window.rules.rules] == ["drop"]  # the old ones stay
        # Saved as a rule file, and read back (what --rules takes on the command line).
        saved = tmp_path / "saved.json"
        proxy_window.save_rules_to(str(saved))
        assert json.loads(saved.read_text())["rules"] == rules
        proxy_window.rules_edit.setPlainText("[]")
        proxy_window.apply_button.click()
        assert proxy_window.rules.rules == []
        proxy_window.load_rules_from(str(saved))
        assert proxy_window.rules_table.item(0, 0).text() == "quiet"
        assert [r.then for r in proxy_window.rules.rules] == ["drop"]


def test_the_message_log_names_the_leg_of_a_proxied_frame_and_pairs_replies_on_it(tmp_path):
    """The two rows of one proxied frame read apart; a reply's request is the same leg's."""
    from bench.kernel.frames import FrameRecord
    from bench.store.db import open_database
    from bench.store.messages import MessageLog
    from ui.models.message_log import MessageLogModel, find_partner

    db = open_database(tmp_path / "log.db")
    log = MessageLog(db)
    for leg in ("charger", "csms"):
        log.record(FrameRecord(1.0, LAB, "tx", "CALL", "h1", "Heartbeat", {}, True, leg=leg))
    for leg in ("csms", "charger"):
        log.record(FrameRecord(2.0, LAB, "rx", "CALLRESULT", "h1", "Heartbeat", {}, True, leg=leg))
    rows = log.query_with_ids()
    assert [MessageLogModel._display(rec, 2) for _, rec in rows] == [
        "→ charger",
        "→ csms",
        "← csms",
        "← charger",
    ]
    row_id, reply_on_charger_leg = rows[3]
    assert find_partner(log, row_id, reply_on_charger_leg).leg == "charger"
    log.close()
    db.close()
