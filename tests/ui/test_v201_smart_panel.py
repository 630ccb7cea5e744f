"""The Smart charging tab of a 2.0.1 station: profiles, the 24 h composite, external limits.

Real app and built-in CSMS over a loopback WebSocket, offscreen. Transactions are
real (an EV plugged in, a card presented); profiles come from the CSMS as a real
CSMS sends them (K01 SetChargingProfile, K10 ClearChargingProfile) and external
limits from the bench playing an energy manager (K11/K12, ``set_external_limit``).
Set OCPP_BENCH_SCREENS to a folder to keep a screenshot of the tab.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from tests.ui.conftest import running_app, wait_until
from tests.ui.test_v201_stations import STATION, TAG, add_v201
from ui.views.smart_panel import COLUMNS, PERIODS


def screenshot(widget: QWidget, name: str) -> None:
    folder = os.environ.get("OCPP_BENCH_SCREENS")
    if folder:
        widget.grab().save(str(Path(folder) / name))


def profile(
    pid: int, purpose: str, limits: list[tuple[int, float]], **extra: Any
) -> dict[str, Any]:
    """A Relative 2.0.1 ChargingProfileType in amps (part 2 §2 ChargingProfileType)."""
    return {
        "id": pid,
        "stackLevel": extra.pop("level", 0),
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": extra.pop("kind", "Relative"),
        "chargingSchedule": [
            {
                "id": 1,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": s, "limit": v} for s, v in limits],
                **extra.pop("schedule", {}),
            }
        ],
        **extra,
    }


def rows(panel) -> list[list[str]]:
    out = []
    for g in range(panel.tree.topLevelItemCount()):
        group = panel.tree.topLevelItem(g)
        for p in range(group.childCount()):
            out.append([group.child(p).text(c) for c in range(len(COLUMNS))])
    return out


def groups(panel) -> list[str]:
    return [panel.tree.topLevelItem(g).text(0) for g in range(panel.tree.topLevelItemCount())]


async def charging_view(window, qtbot):
    """A 2.0.1 station charging on EVSE 1 with its Smart charging tab up (Ctrl+2)."""
    view = await add_v201(window)
    window.resize(1600, 1000)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    next(a for a in menu.actions() if a.text() == "Smart charging").trigger()
    assert view.tabs.currentWidget() is view.smart_panel
    cp = view.cp
    cp.station.connector(1).plug_in(Ev(load_ev_template("family-ev")))
    cp.station.present_id(TAG, 1)
    await wait_until(
        lambda: cp.transactions.active(1) is not None and cp.station.connector(1).power_w > 0,
        timeout=30,
        what="charging on EVSE 1",
    )
    return view, view.smart_panel, cp.transactions.active(1).transaction_id


async def test_a_tx_profile_from_the_csms_is_listed_charted_and_caps_the_charging_evse(
    qtbot, tmp_path
):
    """K01.FR.03/04/07: a TxProfile on the running transaction (10 A, after an hour 6 A)
    shows under EVSE 1, the 24 h composite steps 10 -> 6 A as K08 reports it, and the
    limit in force on EVSE 1 is the profile's."""
    async with running_app(qtbot, tmp_path) as window:
        view, panel, tx_id = await charging_view(window, qtbot)
        cp = view.cp
        assert rows(panel) == [] and panel.empty.isVisibleTo(panel)
        assert "K01" in panel.empty.text()
        assert [panel.connector_box.itemText(i) for i in range(panel.connector_box.count())] == [
            "EVSE 1",
            "Station (EVSE 0)",
        ]
        assert list(panel.chart.limits) == [16.0]  # nothing limits: the 16 A rating

        tx = profile(3, "TxProfile", [(0, 10.0), (3600, 6.0)], transactionId=tx_id, level=1)
        reply = await window.workspace.csms.v201.set_charging_profile(STATION, 1, tx)
        assert reply["status"] == "Accepted"
        await wait_until(lambda: len(rows(panel)) == 1, what="the TxProfile row")
        row = rows(panel)[0]
        assert row[:4] == ["#3", f"TxProfile (transaction {tx_id[:8]}…)", "1", "Relative"]
        assert f"transaction {tx_id}" in panel.tree.topLevelItem(0).child(0).toolTip(1)
        assert row[PERIODS] == "+0:00 10.0 A  ·  +1:00 6.0 A"
        assert groups(panel) == ["EVSE 1 — 1 profile"]

        # The chart is what GetCompositeSchedule would answer (K08.FR.02), over 24 h.
        await wait_until(lambda: list(panel.chart.limits) == [10.0, 6.0], what="the chart")
        expected = cp.smart.composite(1, 24 * 3600, "A")["chargingSchedulePeriod"]
        assert [p["limit"] for p in expected] == [10.0, 6.0]
        # Relative: the step falls an hour after the transaction started (the chart's "now"
        # and the composite's differ by the virtual seconds between the two reads).
        started = cp.station.connector(1).transaction.started_at.timestamp()
        assert abs(panel.chart.edges[1] - (started + 3600)) <= 1
        assert panel.chart.edges[-1] - panel.chart.edges[0] == 24 * 3600
        assert "10.0 A" in panel.now_label.text()
        assert cp.station.connector(1).limit_a == 10.0
        await wait_until(
            lambda: (
                "10.0 A" in panel.limit_label.text() and "TxProfile #3" in panel.limit_label.text()
            ),
            what="the limit in force",
        )
        card = view.card(1).values
        await wait_until(
            lambda: "10.0 A" in card["limit"].text() and card["transaction"].text() != "—",
            what="the card showing the capped transaction",
        )
        screenshot(window, "v201_smart.png")

        panel.unit_buttons["W"].click()  # 3 phases x 230 V: 10 A -> 6900 W, 6 A -> 4140 W
        assert list(panel.chart.limits) == [6900.0, 4140.0]
        panel.unit_buttons["A"].click()

        # K10: cleared by the CSMS, the row goes and the composite is the rating again.
        reply = await window.workspace.csms.v201.clear_charging_profile(STATION, 3)
        assert reply["status"] == "Accepted"
        await wait_until(lambda: rows(panel) == [], what="the row gone")
        assert list(panel.chart.limits) == [16.0]
        await wait_until(lambda: "no limit in force" in panel.limit_label.text(), what="freed")


async def test_a_station_maximum_sits_under_evse_zero_and_caps_the_station_composite(
    qtbot, tmp_path
):
    """K01, part 2 §3.5: a ChargingStationMaxProfile of 12 A on EVSE 0 is grouped under the
    station, and EVSE 0's composite (K08.FR.03) is capped by it."""
    async with running_app(qtbot, tmp_path) as window:
        _view, panel, _tx = await charging_view(window, qtbot)
        maximum = profile(
            9,
            "ChargingStationMaxProfile",
            [(0, 12.0)],
            kind="Absolute",
            schedule={"startSchedule": "2020-01-01T00:00:00Z"},
        )
        reply = await window.workspace.csms.v201.set_charging_profile(STATION, 0, maximum)
        assert reply["status"] == "Accepted"
        await wait_until(lambda: len(rows(panel)) == 1, what="the station row")
        assert groups(panel) == ["Station (EVSE 0) — 1 profile"]
        assert rows(panel)[0][1] == "ChargingStationMaxProfile"
        panel.connector_box.setCurrentIndex(panel.connector_box.findData(0))
        assert panel.chart_connector == 0
        assert list(panel.chart.limits) == [12.0]
        assert "Station (EVSE 0): <b>12.0 A</b> in force" in panel.limit_label.text()


async def test_an_external_limit_shows_the_system_that_set_it(qtbot, tmp_path):
    """K11.FR.05/06, K12.FR.01/04: an EMS limit of 8 A on EVSE 1 is listed as a
    ChargingStationExternalConstraints profile set by EMS, caps the composite, and the
    limit in force names the EMS; released, it goes (K13)."""
    async with running_app(qtbot, tmp_path) as window:
        view, panel, _tx = await charging_view(window, qtbot)
        cp = view.cp
        cp.smart.set_external_limit(1, 8.0, "EMS")
        await wait_until(lambda: len(rows(panel)) == 1, what="the external row")
        row = rows(panel)[0]
        assert row[1] == "ChargingStationExternalConstraints · set by EMS"
        item = panel.tree.topLevelItem(0).child(0)
        assert "chargingLimitSource EMS" in item.toolTip(0)
        assert list(panel.chart.limits) == [8.0]
        await wait_until(
            lambda: "external limit from EMS on EVSE 1" in panel.limit_label.text(),
            what="the source of the limit in force",
        )
        assert "8.0 A" in panel.limit_label.text()
        await window.workspace.csms.wait_for_message(STATION, "NotifyChargingLimit", timeout=10)

        cp.smart.set_external_limit(1, None, "EMS")
        await wait_until(lambda: rows(panel) == [], what="the external limit released")
        assert list(panel.chart.limits) == [16.0]
