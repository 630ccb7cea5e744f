"""The charging-profile form (issue 10): built as a user fills it in, checked as typed,
previewed, and sent by the built-in CSMS to a real station whose limit then changes.

Real app, real built-in CSMS and stations over loopback WebSockets, offscreen.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication, QComboBox

from bench.csms.config import CsmsConfig
from bench.csms.server import CentralSystem
from bench.model.clock import SystemClock
from bench.model.ev import Ev
from bench.model.templates import build_station, load_ev_template
from bench.ocpp import profile_builder as pb
from bench.ocpp.v201.charge_point import SUBPROTOCOL, ChargePoint201
from bench.store.db import open_database
from bench.transport.config import LinkConfig
from bench.workspace import DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until
from tests.ui.test_v201_stations import STATION, TAG, add_v201
from ui.theme import apply_theme


def pick(combo: QComboBox, text: str) -> None:
    """Choose ``text`` in a drop-down, as a user does."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not offered"
    combo.setCurrentIndex(index)


def retype(qtbot, editor: Any, text: str) -> None:
    """Select what a line edit or spin box holds and type ``text`` over it."""
    line = editor.lineEdit() if hasattr(editor, "lineEdit") else editor
    line.selectAll()
    qtbot.keyClicks(line, text)


async def smart_tab(window, station_id: str = DEMO_STATION_ID):
    window.show_station(window.bridges[station_id])
    view = await wait_until(window.current_view, what="the station view")
    await wait_until(lambda: view.cp.accepted, what="boot accepted")
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    next(a for a in menu.actions() if a.text() == "Smart charging").trigger()
    return view, view.smart_panel


async def charging_16(window, qtbot):
    """The demo station (1.6) charging on connector 1, plugged and carded through its card."""
    view, panel = await smart_tab(window)
    card = view.card(1)
    qtbot.mouseClick(card.plug_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: card.status.text() == "Preparing", what="Preparing")
    qtbot.mouseClick(card.card_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: card.status.text() == "Charging", what="Charging")
    connector = view.cp.station.connector(1)
    await wait_until(
        lambda: connector.transaction is not None and connector.transaction.protocol_id,
        what="the transaction id from StartTransaction.conf",
    )
    return view, panel


def open_form(qtbot, panel):
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    dialog = panel.profile_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.addWidget(dialog)
    return dialog, dialog.form


async def test_a_1_6_profile_built_in_the_form_is_sent_and_caps_the_charging_connector(
    qtbot, tmp_path
):
    """1.6 §5.16: New profile… on the Smart charging tab, pre-filled for connector 1; the user
    makes it a TxProfile of 10 A then 6 A; the preview shows it under the 16 A rating; Send
    goes through the built-in CSMS, the station accepts, and its limit becomes 10 A."""
    async with running_app(qtbot, tmp_path) as window:
        view, panel = await charging_16(window, qtbot)
        connector = view.cp.station.connector(1)
        dialog, form = open_form(qtbot, panel)
        assert "built-in CSMS" in dialog.banner.text()
        assert form.place_box.currentData() == 1 and form.version == "1.6"
        assert form.valid and dialog.send_button.isEnabled()

        pick(form.purpose_box, "TxProfile")
        tx_id = str(connector.transaction.protocol_id)
        assert form.tx_edit.text() == tx_id  # the running transaction, filled in
        retype(qtbot, form.stack_spin, "2")
        form.table.set_text(0, "limit", "10")
        qtbot.mouseClick(form.add_button, Qt.MouseButton.LeftButton)
        form.table.set_text(1, "start", "1:00")
        form.table.set_text(1, "limit", "6")
        assert form.valid, form.why_not

        sent = json.loads(form.json_edit.toPlainText())
        profile = sent["csChargingProfiles"]
        assert (profile["chargingProfilePurpose"], profile["stackLevel"]) == ("TxProfile", 2)
        assert profile["transactionId"] == int(tx_id)
        assert profile["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 10.0},
            {"startPeriod": 3600, "limit": 6.0},
        ]
        preview = form.preview_pane.preview
        elapsed = (preview.start - connector.transaction.started_at).total_seconds()
        # Relative: counted from the transaction's start (1.6 §7.9).
        assert [preview.own_at(s - elapsed) for s in (10, 3599, 3601)] == [10.0, 10.0, 6.0]
        assert preview.before_at(10) == 16.0  # nothing installed yet: the rating
        assert [preview.after_at(s - elapsed) for s in (10, 3601)] == [10.0, 6.0]
        assert "would accept" in form.preview_pane.verdict.text()

        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
        outcome = await wait_until(lambda: dialog.last_outcome, what="the reply")
        assert outcome.payload == {"status": "Accepted"}
        assert "accepted" in dialog.outcome.text()
        await wait_until(lambda: connector.limit_a == 10.0, what="the 10 A limit")
        assert connector.limit_source.startswith("TxProfile #")
        await wait_until(lambda: panel.tree.topLevelItemCount() == 1, what="the profile row")
        # The preview's "now" includes what was just installed; sending again replaces it.
        assert form.preview_pane.preview.before_at(10) == 10.0
        assert any("(same id, 1.6 §5.16.3)" in m for m in form.messages(pb.PROFILE_ID))


async def test_a_2_0_1_tx_profile_from_the_form_caps_the_charging_evse(qtbot, tmp_path):
    """K01.FR.03/04: a TxProfile names the running transaction (the form fills it in);
    sent through the built-in CSMS, the EVSE's limit becomes the profile's 8 A."""
    async with running_app(qtbot, tmp_path) as window:
        view = await add_v201(window)
        cp = view.cp
        cp.station.connector(1).plug_in(Ev(load_ev_template("family-ev")))
        cp.station.present_id(TAG, 1)
        await wait_until(lambda: cp.transactions.active(1) is not None, what="a transaction")
        _view, panel = await smart_tab(window, STATION)
        dialog, form = open_form(qtbot, panel)
        assert form.version == "2.0.1" and not form.table.isColumnHidden(3)  # phaseToUse

        pick(form.purpose_box, "TxProfile")
        tx_id = cp.transactions.active(1).transaction_id
        assert form.tx_edit.text() == tx_id
        form.table.set_text(0, "limit", "8")
        assert form.valid, form.why_not
        payload = form.payload
        assert payload["evseId"] == 1
        assert payload["chargingProfile"]["transactionId"] == tx_id
        assert payload["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 8.0}
        ]
        assert form.preview_pane.preview.after_at(60) == 8.0

        outcome = await dialog.send()
        assert outcome.payload == {"status": "Accepted"}
        await wait_until(lambda: cp.station.connector(1).limit_a == 8.0, what="the 8 A limit")


async def test_mistakes_are_shown_on_the_field_as_they_are_typed_and_block_sending(qtbot, tmp_path):
    """Each rule on its field: stack level >= 0 (1.6 §7.8), the first period at 0 and periods
    in increasing start (errata 3.45, §7.14), validTo after validFrom; a limit above the
    16 A rating is only a warning (the station caps it); K01.FR.03/09 on 2.0.1."""
    async with running_app(qtbot, tmp_path) as window:
        _view, panel = await smart_tab(window)
        dialog, form = open_form(qtbot, panel)
        assert form.valid

        retype(qtbot, form.stack_spin, "-1")
        assert form.messages(pb.STACK_LEVEL) == ["stack level -1: the lowest is 0 (1.6 §7.8)"]
        assert form.rows[pb.STACK_LEVEL].message.isVisibleTo(form)
        assert not dialog.send_button.isEnabled()
        assert "stack level -1" in dialog.send_button.toolTip()
        retype(qtbot, form.stack_spin, "0")
        assert not form.rows[pb.STACK_LEVEL].message.isVisibleTo(form)
        assert dialog.send_button.isEnabled()

        form.table.set_text(0, "start", "0:10")
        assert any("first period starts at 0:00" in m for m in form.messages(pb.PERIODS))
        assert form.table.cell(0, "start").toolTip().startswith("period 1: the first period")
        form.table.set_text(0, "start", "0")
        qtbot.mouseClick(form.add_button, Qt.MouseButton.LeftButton)
        form.table.set_text(1, "start", "0:00")
        assert any("not after the period before it" in m for m in form.messages(pb.PERIODS))
        assert not form.valid
        form.table.set_text(1, "start", "2:00")
        form.table.set_text(1, "limit", "40")
        warnings = [p for p in form.problems if p.column == "limit"]
        assert [p.severity for p in warnings] == [pb.WARNING]
        assert "16.0 A" in warnings[0].message
        assert form.valid and dialog.send_button.isEnabled()  # a warning does not block

        form.valid_from.box.click()
        form.valid_to.box.click()
        start = form.valid_from.edit.dateTime()
        form.valid_to.edit.setDateTime(start.addSecs(-3600))
        assert form.messages(pb.VALID_TO) == ["the profile stops being valid before it starts"]
        assert not form.valid
        form.valid_to.edit.setDateTime(QDateTime(start.addSecs(3600)))
        assert form.valid

        # 2.0.1: a TxProfile without a transaction is an error; none runs: a warning too.
        view201 = await add_v201(window)
        _view, panel201 = await smart_tab(window, view201.cp.station.id)
        dialog201, form201 = open_form(qtbot, panel201)
        pick(form201.purpose_box, "TxProfile")
        assert form201.messages(pb.TRANSACTION) == [
            "a TxProfile names its transaction (K01.FR.03)",
            "no transaction runs on EVSE 1: the station will refuse a TxProfile (K01.FR.09)",
        ]
        assert not dialog201.send_button.isEnabled()
        assert "K01.FR.03" in dialog201.send_button.toolTip()


async def test_the_json_tab_round_trips_with_the_form(qtbot, tmp_path):
    """Hand-written JSON fills the form; a form edit rewrites the JSON; broken JSON or a
    schema violation (OCPP-J §4.2.3) leaves nothing to send."""
    async with running_app(qtbot, tmp_path) as window:
        _view, panel = await smart_tab(window)
        dialog, form = open_form(qtbot, panel)
        form.tabs.setCurrentIndex(1)
        payload = json.loads(form.json_edit.toPlainText())
        profile = payload["csChargingProfiles"]
        profile["stackLevel"] = 3
        profile["chargingSchedule"]["chargingSchedulePeriod"].append(
            {"startPeriod": 5400, "limit": 7.5, "numberPhases": 1}
        )
        form.json_edit.setPlainText(json.dumps(payload, indent=2))
        assert form.stack_spin.value() == 3
        assert form.table.rowCount() == 2
        assert [form.table.cell(1, c).text() for c in ("start", "limit", "numberPhases")] == [
            "1:30",
            "7.5",
            "1",
        ]
        assert form.valid and form.payload == payload

        form.json_edit.setPlainText('{"connectorId": 1,')
        assert not form.valid and not dialog.send_button.isEnabled()
        assert form.status.text().startswith("✗ JSON, line 1")
        form.json_edit.setPlainText(json.dumps({**payload, "connectorId": "one"}))
        assert not form.valid and "connectorId" in form.status.text()

        form.tabs.setCurrentIndex(0)
        retype(qtbot, form.stack_spin, "4")
        rewritten = json.loads(form.json_edit.toPlainText())
        assert rewritten["csChargingProfiles"]["stackLevel"] == 4
        assert rewritten["connectorId"] == 1 and form.valid


async def test_the_console_form_fills_the_payload_editor_and_the_console_sends_it(qtbot, tmp_path):
    """In the CSMS console, Form… beside SetChargingProfile opens the same form with the
    editor's payload; Use in console puts the form's request back into the editor."""
    async with running_app(qtbot, tmp_path) as window:
        csms = window.workspace.csms
        await csms.wait_for_station(DEMO_STATION_ID, timeout=15, accepted=True)
        console = await wait_until(lambda: window.csms_console, what="the console")
        console.refresh()
        console.select_station(DEMO_STATION_ID)
        console.select_action("GetCompositeSchedule")
        assert not console.form_button.isVisibleTo(console)
        console.select_action("SetChargingProfile")
        assert console.form_button.isVisibleTo(console)

        qtbot.mouseClick(console.form_button, Qt.MouseButton.LeftButton)
        dialog = console.profile_dialog
        qtbot.addWidget(dialog)
        form = dialog.form
        assert form.target.cp is not None  # the demo station runs in this bench
        assert form.table.cell(0, "limit").text() == "10"  # the console's template
        form.table.set_text(0, "limit", "7")
        retype(qtbot, form.id_spin, "42")
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
        assert not dialog.isVisible()

        sent = console.editor.payload
        assert sent["csChargingProfiles"]["chargingProfileId"] == 42
        period = sent["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]
        assert period == {"startPeriod": 0, "limit": 7.0}
        outcome = await console.send()
        assert outcome.payload == {"status": "Accepted"}
        cp = window.bridges[DEMO_STATION_ID].cp
        assert [e.profile.id for e in cp.smart.store] == [42]


async def test_a_station_on_an_external_csms_explains_why_it_cannot_send_and_installs_locally(
    qtbot, tmp_path
):
    """The bench plays the charge point: it cannot send itself CSMS requests. Send stays
    disabled with the reason; Install locally puts the profile on the station directly."""
    other = CentralSystem(CsmsConfig(db_path=str(tmp_path / "other.db")))
    await other.start()
    try:
        async with running_app(qtbot, tmp_path) as window:
            await window.workspace.add_station("EXT-1", "ac-11kw", csms_url=other.url)
            await other.wait_for_station("EXT-1", timeout=15, accepted=True)
            view, panel = await smart_tab(window, "EXT-1")
            dialog, form = open_form(qtbot, panel)
            assert "external CSMS" in dialog.banner.text()
            assert "cannot send itself CSMS requests" in dialog.banner.text()
            assert form.valid and not dialog.send_button.isEnabled()
            assert "external CSMS" in dialog.send_button.toolTip()
            assert await dialog.send() is None
            assert dialog.install_button.isVisible() and dialog.install_button.isEnabled()

            form.table.set_text(0, "limit", "9")
            qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
            assert "Installed on EXT-1 without an OCPP message" in dialog.outcome.text()
            assert [e.profile.schedule.periods[0].limit for e in view.cp.smart.store] == [9.0]
            await wait_until(lambda: panel.tree.topLevelItemCount() == 1, what="the row")
    finally:
        await other.stop()


async def test_the_preview_follows_a_palette_switch(qtbot, tmp_path):
    """The preview reads its colours from the palette and again when it changes."""
    async with running_app(qtbot, tmp_path) as window:
        _view, panel = await smart_tab(window)
        _dialog, form = open_form(qtbot, panel)
        chart = form.preview_pane.chart
        light_base = chart.backgroundBrush().color().name()
        light_pen = chart.after.opts["pen"].color().name()
        try:
            apply_theme(QApplication.instance(), "dark")
            await wait_until(
                lambda: chart.backgroundBrush().color().name() != light_base, what="repaint"
            )
            assert chart.backgroundBrush().color().lightness() < 128
            assert chart.after.opts["pen"].color().name() != light_pen
            assert chart.after.opts["pen"].color() == chart.colours()["after"]
        finally:
            apply_theme(QApplication.instance(), "light")


async def test_a_station_that_does_not_run_here_is_checked_on_the_schema_and_the_spec_only(
    qtbot, tmp_path
):
    """A charge point from elsewhere on the built-in CSMS: no station settings or composite to
    read, so the form says so and previews the profile alone; K01 rules still apply."""
    async with running_app(qtbot, tmp_path) as window:
        csms = window.workspace.csms
        db = open_database(tmp_path / "elsewhere.db")
        st = build_station("ELSEWHERE", "ac-11kw", SystemClock())
        link = LinkConfig(url=csms.url, station_id="ELSEWHERE", subprotocol=SUBPROTOCOL)
        cp = ChargePoint201(st, link, db=db, call_timeout=5.0)
        try:
            await cp.start()
            await cp.wait_accepted(15)
            console = await wait_until(lambda: window.csms_console, what="the console")
            console.refresh()
            console.select_station("ELSEWHERE")
            console.select_action("SetChargingProfile")
            dialog = console.open_profile_form()
            qtbot.addWidget(dialog)
            form = dialog.form
            assert form.target.cp is None and form.version == "2.0.1"
            assert "does not run in this bench" in form.preview_pane.verdict.text()
            assert form.valid
            preview = form.preview_pane.preview
            assert preview.own_at(0) == 10.0 and preview.after is None
            assert "no composite schedule" in form.preview_pane.caption.text()

            pick(form.purpose_box, "TxProfile")
            assert form.messages(pb.TRANSACTION) == [
                "a TxProfile names its transaction (K01.FR.03)"
            ]
            assert not dialog.send_button.isEnabled()
            qtbot.keyClicks(form.tx_edit, "TX-FROM-ELSEWHERE")
            assert form.valid and dialog.send_button.isEnabled()
            qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
            assert console.editor.payload["chargingProfile"]["transactionId"] == (
                "TX-FROM-ELSEWHERE"
            )
        finally:
            await cp.stop(drain_timeout=1.0)
            db.close()
