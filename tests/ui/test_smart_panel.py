"""The smart charging panel follows the CSMS: profiles appear and go, the composite is charted."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt

from bench.workspace import DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until
from ui.views.smart_panel import COLUMNS, PERIODS, offset_text, periods_text


def tx_default(profile_id: int, *limits: tuple[int, float]) -> dict:
    """A Relative TxDefaultProfile in amps (1.6 §7.8) with (startPeriod, limit) periods."""
    return {
        "chargingProfileId": profile_id,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": s, "limit": v} for s, v in limits],
        },
    }


def rows(panel) -> list[list[str]]:
    """Every profile row of the tree as its column texts."""
    out = []
    for g in range(panel.tree.topLevelItemCount()):
        group = panel.tree.topLevelItem(g)
        for p in range(group.childCount()):
            item = group.child(p)
            out.append([item.text(c) for c in range(len(COLUMNS))])
    return out


async def _booted_view(window):
    view = await wait_until(window.current_view, what="the station view")
    await wait_until(lambda: window.bridges[DEMO_STATION_ID].cp.accepted, what="boot accepted")
    # View > Smart charging (Ctrl+2) brings the tab up.
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    next(a for a in menu.actions() if a.text() == "Smart charging").trigger()
    assert view.tabs.currentWidget() is view.smart_panel
    return view, view.smart_panel


async def test_a_profile_set_by_the_csms_appears_in_the_panel_and_its_limit_in_the_chart(
    qtbot, tmp_path
):
    """1.6 §5.16 SetChargingProfile, §5.7 composite: 10 A for an hour, then 6 A; hardware 16 A."""
    async with running_app(qtbot, tmp_path) as window:
        _view, panel = await _booted_view(window)
        assert rows(panel) == [] and panel.empty.isVisibleTo(panel)
        assert list(panel.chart.limits) == [16.0]  # no profile: the hardware rating

        reply = await window.workspace.csms.set_charging_profile(
            DEMO_STATION_ID, 1, tx_default(7, (0, 10), (3600, 6))
        )
        assert reply["status"] == "Accepted"
        await wait_until(lambda: len(rows(panel)) == 1, what="the profile row")
        row = rows(panel)[0]
        assert row[:3] == ["#7", "TxDefaultProfile", "1"]
        assert row[3] == "Relative" and row[4] == "at transaction start" and row[7] == "A"
        assert row[PERIODS] == "+0:00 10.0 A  ·  +1:00 6.0 A"
        assert panel.tree.topLevelItem(0).text(0) == "Connector 1 — 1 profile"
        assert not panel.empty.isVisibleTo(panel)

        chart = panel.chart
        assert list(chart.limits) == [10.0, 6.0]
        assert chart.edges[1] - chart.edges[0] == 3600  # the step falls an hour from now
        assert chart.edges[-1] - chart.edges[0] == 24 * 3600
        x, y = chart.curve.getData()
        assert list(y) == [10.0, 6.0] and len(x) == 3  # stepMode "center": edges, one more
        assert "10.0 A" in panel.now_label.text()

        panel.unit_buttons["W"].click()  # 3 phases x 230 V: 10 A -> 6900 W, 6 A -> 4140 W
        assert panel.unit == "W"
        assert list(chart.limits) == [6900.0, 4140.0]
        assert chart.plotItem.getAxis("left").labelUnits == "W"


async def test_clearing_the_profile_removes_it_from_the_panel_and_the_chart(qtbot, tmp_path):
    """1.6 §5.5 ClearChargingProfile by id: the row goes, the composite returns to 16 A."""
    async with running_app(qtbot, tmp_path) as window:
        _view, panel = await _booted_view(window)
        csms = window.workspace.csms
        await csms.set_charging_profile(DEMO_STATION_ID, 1, tx_default(7, (0, 10)))
        await wait_until(lambda: list(panel.chart.limits) == [10.0], what="10 A composite")
        before = panel.refreshes

        reply = await csms.clear_charging_profile(DEMO_STATION_ID, id=7)
        assert reply["status"] == "Accepted"
        await wait_until(lambda: rows(panel) == [], what="the row removed")
        assert panel.refreshes > before
        assert list(panel.chart.limits) == [16.0]
        assert panel.empty.isVisibleTo(panel)


async def test_a_station_wide_maximum_is_grouped_under_connector_zero_and_caps_the_composite(
    qtbot, tmp_path
):
    """1.6 §3.13.1/§3.13.3: a ChargePointMaxProfile on connector 0 limits connector 1 too."""
    async with running_app(qtbot, tmp_path) as window:
        _view, panel = await _booted_view(window)
        start = datetime(2020, 1, 1, tzinfo=UTC).isoformat()
        station_max = {
            "chargingProfileId": 3,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Recurring",
            "recurrencyKind": "Daily",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "startSchedule": start,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8280}],
            },
        }
        await window.workspace.csms.set_charging_profile(DEMO_STATION_ID, 0, station_max)
        await wait_until(lambda: len(rows(panel)) == 1, what="the station-wide profile")
        assert panel.tree.topLevelItem(0).text(0) == "Station (connector 0) — 1 profile"
        row = rows(panel)[0]
        assert row[1] == "ChargePointMaxProfile"
        assert row[3] == "Recurring Daily"
        assert row[4].startswith("2020-01-01") or row[4].startswith("2019-12-31")  # local time
        assert row[PERIODS] == "+0:00 8.3 kW"
        assert list(panel.chart.limits) == [12.0]  # 8280 W / (3 x 230 V)

        index = panel.connector_box.findData(0)
        panel.connector_box.setCurrentIndex(index)  # connector 0: the whole station
        assert panel.chart_connector == 0
        assert list(panel.chart.limits) == [12.0]


async def test_a_tx_profile_goes_from_the_panel_when_its_transaction_ends(qtbot, tmp_path):
    """1.6 §3.13.1/§7.10: a TxProfile ceases with its transaction; the panel follows live."""
    async with running_app(qtbot, tmp_path) as window:
        view, panel = await _booted_view(window)
        card = view.card(1)
        qtbot.mouseClick(card.plug_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Preparing", what="Preparing")
        qtbot.mouseClick(card.card_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Charging", what="Charging")
        tx_profile = {
            "chargingProfileId": 11,
            "stackLevel": 2,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8}],
            },
        }
        reply = await window.workspace.csms.set_charging_profile(DEMO_STATION_ID, 1, tx_profile)
        assert reply["status"] == "Accepted"
        await wait_until(lambda: len(rows(panel)) == 1, what="the TxProfile row")
        assert rows(panel)[0][1] == "TxProfile"
        assert list(panel.chart.limits) == [8.0]

        qtbot.mouseClick(card.plug_button, Qt.MouseButton.LeftButton)  # unplug: the tx ends
        await wait_until(lambda: rows(panel) == [], what="the TxProfile gone with the tx")
        await wait_until(lambda: list(panel.chart.limits) == [16.0], what="back to 16 A")


def test_offsets_and_period_summaries_read_as_clock_offsets():
    from bench.ocpp.v16.smart_profiles import parse as parse_profile_16

    profile = parse_profile_16(tx_default(1, (0, 16), (5400, 7.5), (90000, 0)))
    assert offset_text(0) == "+0:00"
    assert offset_text(5430) == "+1:30:30"
    assert offset_text(90000) == "+1d 1:00"
    assert periods_text(profile) == "+0:00 16.0 A  ·  +1:30 7.5 A  ·  +1d 1:00 0.0 A"
