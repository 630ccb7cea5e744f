"""The built-in CSMS console: stations, any CSMS-initiated request, the tag list (issue 4)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from bench.csms.config import TagEntry
from bench.csms.tag_store import TagStore
from bench.workspace import DEMO_STATION_ID, DEMO_TAG
from tests.ui.conftest import running_app, wait_until
from ui.models.tags import STATUS


async def _ready(window):
    """The console with the demo station connected, accepted and picked as the target."""
    csms = window.workspace.csms
    await csms.wait_for_station(DEMO_STATION_ID, timeout=15, accepted=True)
    bridge = await wait_until(lambda: window.bridges.get(DEMO_STATION_ID), what="the bridge")
    await wait_until(lambda: bridge.cp.accepted, what="the station's boot accepted")
    console = await wait_until(lambda: window.csms_console, what="the console")
    console.refresh()
    console.select_station(DEMO_STATION_ID)
    return console


def _edit(console, change) -> None:
    """Edit the payload in the editor as a user would: change the JSON text."""
    payload = json.loads(console.editor.text.toPlainText())
    change(payload)
    console.editor.set_text(json.dumps(payload, indent=2))


async def test_the_console_lists_the_connected_demo_station_with_its_boot_details(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        console = await _ready(window)
        model = console.stations
        await wait_until(lambda: model.rowCount() == 1, what="one station row")
        assert model.index(0, 0).data() == DEMO_STATION_ID
        assert model.index(0, 1).data() == "online"
        assert model.index(0, 2).data() == "Accepted"
        assert model.index(0, 3).data() != "—"  # vendor and model from BootNotification

        # what the station sent the CSMS, as the CSMS saw it (csms.events)
        def feed() -> list[str]:
            return [console.activity.item(i).text() for i in range(console.activity.count())]

        await wait_until(lambda: any("StatusNotification" in t for t in feed()), what="the feed")
        assert any("BootNotification  → Accepted" in t for t in feed())


async def test_set_charging_profile_from_the_console_reaches_the_station_and_caps_charging(
    qtbot, tmp_path
):
    """1.6 §5.16: a TxDefaultProfile of 6 A sent from the console; the reply shows Accepted,
    the connector's offered limit steps down and the EV draws no more than it."""
    async with running_app(qtbot, tmp_path) as window:
        console = await _ready(window)
        view = window.current_view()
        card = view.card(1)
        qtbot.mouseClick(card.plug_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Preparing", what="Preparing")
        qtbot.mouseClick(card.card_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Charging", what="Charging")
        connector = view.cp.station.connectors[0]
        assert connector.current_limit_a > 6.0

        console.select_action("SetChargingProfile")
        assert console.editor.valid  # the template is valid as pre-filled

        def six_amps(payload):
            period = payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
            period[0]["limit"] = 6.0

        _edit(console, six_amps)
        assert console.send_button.isEnabled()
        qtbot.mouseClick(console.send_button, Qt.MouseButton.LeftButton)
        outcome = await wait_until(lambda: console.last_outcome, what="the reply")
        assert outcome.kind == "CALLRESULT" and outcome.payload == {"status": "Accepted"}
        text = console.reply.toPlainText()
        assert text.startswith("# CALLRESULT · SetChargingProfile · " + DEMO_STATION_ID)
        assert '"status": "Accepted"' in text
        await wait_until(lambda: connector.current_limit_a <= 6.0, what="the 6 A limit")
        bridge = window.bridges[DEMO_STATION_ID]

        def power_follows() -> bool:
            bridge.take_sample()
            return bridge.samples[1].last("power_kw") <= bridge.samples[1].last("limit_kw") + 0.1

        await wait_until(power_follows, what="power under the limit line")
        assert bridge.samples[1].last("limit_kw") < 11.0 * 6 / 16 + 0.5


async def test_remote_start_from_the_console_starts_a_transaction_on_the_station(qtbot, tmp_path):
    """1.6 §5.11: RemoteStartTransaction Accepted, then the station sends StartTransaction."""
    async with running_app(qtbot, tmp_path) as window:
        console = await _ready(window)
        csms = window.workspace.csms
        card = window.current_view().card(1)
        qtbot.mouseClick(card.plug_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Preparing", what="Preparing")
        mark = csms.mark()

        console.select_action("RemoteStartTransaction")
        assert json.loads(console.editor.text.toPlainText()) == {
            "idTag": DEMO_TAG,
            "connectorId": 1,
        }
        qtbot.mouseClick(console.send_button, Qt.MouseButton.LeftButton)
        outcome = await wait_until(lambda: console.last_outcome, what="the reply")
        assert outcome.payload == {"status": "Accepted"}
        start = await csms.wait_for_message(DEMO_STATION_ID, "StartTransaction", since=mark)
        assert start["idTag"] == DEMO_TAG
        await wait_until(lambda: card.status.text() == "Charging", what="Charging")


async def test_an_invalid_payload_is_flagged_as_typed_and_cannot_be_sent(qtbot, tmp_path):
    """OCPP-J 1.6 §4.2.3: what would earn a TypeConstraintViolation is caught before sending."""
    async with running_app(qtbot, tmp_path) as window:
        console = await _ready(window)
        console.select_action("SetChargingProfile")
        assert console.send_button.isEnabled()

        _edit(console, lambda p: p.update(connectorId="one"))
        assert not console.editor.valid
        assert not console.send_button.isEnabled()
        status = console.editor.status.text()
        assert "TypeConstraintViolation" in status and "connectorId" in status

        console.template_button.click()
        _edit(console, lambda p: p["csChargingProfiles"].pop("chargingSchedule"))
        assert "chargingSchedule" in console.editor.status.text()
        assert not console.send_button.isEnabled()

        console.editor.set_text('{"connectorId": 1,')
        assert console.editor.status.text().startswith("✗ JSON, line 1")
        assert not console.send_button.isEnabled()
        assert await console.send() is None  # nothing leaves, whatever the path

        console.template_button.click()
        assert console.editor.valid and console.send_button.isEnabled()


async def test_a_callerror_from_the_station_is_shown_as_the_answer(qtbot, tmp_path):
    """OCPP-J 1.6 §4.2.3: the console shows a CALLERROR's code rather than failing."""
    async with running_app(qtbot, tmp_path) as window:
        console = await _ready(window)
        console.select_action("RemoteStopTransaction")
        _edit(console, lambda p: p.update(transactionId=987654))
        outcome = await console.send()
        # no such transaction: the station answers Rejected (1.6 §5.12), a CALLRESULT
        assert outcome.kind == "CALLRESULT" and outcome.payload == {"status": "Rejected"}
        console.select_action("CancelReservation")
        outcome = await console.send()
        assert outcome.kind in ("CALLRESULT", "CALLERROR")
        assert console.reply.toPlainText().startswith(f"# {outcome.kind}")


async def test_editing_the_tag_list_changes_what_authorize_returns_and_is_saved(qtbot, tmp_path):
    """1.6 §4.1/§7.28: the built-in CSMS answers Authorize from the tag list as edited."""
    async with running_app(qtbot, tmp_path) as window:
        console = await _ready(window)
        csms = window.workspace.csms
        editor = console.tag_editor
        model = editor.model
        row = next(i for i, r in enumerate(model.rows) if r.tag == DEMO_TAG)
        assert model.setData(model.index(row, STATUS), "Blocked")
        assert csms.config.tags[DEMO_TAG].status == "Blocked"

        mark = csms.mark()
        window.current_view().card(1).present(DEMO_TAG)
        exchange = await csms.wait_for_exchange(DEMO_STATION_ID, "Authorize", since=mark)
        assert exchange.reply["idTagInfo"]["status"] == "Blocked"

        new_row = model.add_row("NEW-CARD-7", "Accepted")
        model.setData(model.index(new_row, 3), "FLEET-7")  # parent id tag
        mark = csms.mark()
        window.current_view().card(1).present("NEW-CARD-7")
        exchange = await csms.wait_for_exchange(DEMO_STATION_ID, "Authorize", since=mark)
        assert exchange.reply["idTagInfo"] == {"status": "Accepted", "parentIdTag": "FLEET-7"}

        saved = TagStore(tmp_path / "data").load()
        assert saved[DEMO_TAG].status == "Blocked"
        assert saved["NEW-CARD-7"] == TagEntry("Accepted", parent_id_tag="FLEET-7")


async def test_an_invalid_tag_edit_is_shown_and_not_applied(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        console = await _ready(window)
        csms = window.workspace.csms
        model = console.tag_editor.model
        before = dict(csms.config.tags)
        model.setData(model.index(0, 2), "2030-01-01T00:00:00")  # no time zone
        assert "time zone" in console.tag_editor.state.text()
        assert csms.config.tags == before
        model.setData(model.index(0, 2), "2020-01-01T00:00:00Z")  # a date in the past
        assert "applied" in console.tag_editor.state.text()
        assert model.index(0, 4).data() == "Expired"  # what Authorize would answer now


async def test_a_saved_tag_list_is_in_force_after_the_next_start(qtbot, tmp_path):
    TagStore(tmp_path / "data").save({"ONLY-CARD": TagEntry("Accepted")})
    async with running_app(qtbot, tmp_path) as window:
        console = await _ready(window)
        assert set(window.workspace.csms.config.tags) == {"ONLY-CARD"}
        assert [r.tag for r in console.tag_editor.model.rows] == ["ONLY-CARD"]
        console.select_action("RemoteStartTransaction")  # the template names a known tag
        assert json.loads(console.editor.text.toPlainText())["idTag"] == "ONLY-CARD"
