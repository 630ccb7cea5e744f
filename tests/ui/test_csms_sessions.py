"""The CSMS console's Sessions tab: live rows, filters and the CSV export (issue 10).

A real built-in CSMS on 127.0.0.1 and real stations of both OCPP versions charging
in fast virtual time; the table is read as a user reads it (cell text).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from bench.csms.config import CsmsConfig, TagEntry
from bench.csms.server import CentralSystem
from bench.model.clock import SystemClock
from bench.model.templates import build_station
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.ocpp.v201.charge_point import SUBPROTOCOL, ChargePoint201
from bench.store.db import open_database
from bench.transport.config import LinkConfig
from bench.workspace import DEMO_STATION_ID, DEMO_TAG
from tests.e2e.conftest import FAST_KEYS, ev, fast_backoff
from tests.e2e.v201.conftest import FAST_VARIABLES, parse_variable
from tests.ui.conftest import running_app, wait_until
from ui.errors import ErrorReporter
from ui.models.csms_sessions import (
    CONNECTOR,
    COST,
    ENERGY,
    METER,
    OCPP,
    REASON,
    STATION,
    STOP,
    TAG,
    TRANSACTION,
)
from ui.views.csms_sessions import CsmsSessionsPanel

SPEED = 120.0
WAIT = 30.0  # real seconds: the CI machine is slow and busy
TAGS = {"TAG1": TagEntry("Accepted"), "TAG2": TagEntry("Accepted")}


@contextlib.asynccontextmanager
async def charging_bench(tmp_path: Path, **config: Any) -> AsyncIterator[tuple[Any, ...]]:
    """The built-in CSMS with a price, a 1.6 station CP16 and a 2.0.1 station CS201."""
    csms = CentralSystem(
        CsmsConfig(db_path=tmp_path / "csms.db", tags=dict(TAGS), heartbeat_interval=3600,
                   price_per_kwh=0.3, currency="EUR", **config)
    )  # fmt: skip
    await csms.start()
    dbs = [open_database(tmp_path / "cp16.db"), open_database(tmp_path / "cs201.db")]
    cp16 = ChargePoint16(
        build_station("CP16", "ac-11kw", SystemClock(speed=SPEED)),
        LinkConfig(url=csms.url, station_id="CP16", open_timeout=5.0),
        db=dbs[0],
        physics_interval=0.05,
        backoff=fast_backoff(),
    )
    for key, value in FAST_KEYS.items():
        cp16.config.set(key, value)
    cs201 = ChargePoint201(
        build_station("CS201", "ac-11kw", SystemClock(speed=SPEED)),
        LinkConfig(url=csms.url, station_id="CS201", subprotocol=SUBPROTOCOL, open_timeout=5.0),
        db=dbs[1],
        physics_interval=0.05,
        backoff=fast_backoff(),
    )
    for name, value in FAST_VARIABLES.items():
        cs201.set_own_variable(*parse_variable(name), value)
    try:
        for cp in (cp16, cs201):
            await cp.start()
            await cp.wait_accepted(WAIT)
        yield csms, cp16, cs201
    finally:
        for cp in (cp16, cs201):
            await cp.stop(drain_timeout=1.0)
        await csms.stop()
        for db in dbs:
            db.close()


def cells(panel: CsmsSessionsPanel) -> list[dict[int, str]]:
    """The rows as shown (filtered, sorted): column -> cell text."""
    proxy = panel.proxy
    return [
        {c: proxy.index(r, c).data() for c in range(proxy.columnCount())}
        for r in range(proxy.rowCount())
    ]


def row_of(panel: CsmsSessionsPanel, station: str) -> dict[int, str] | None:
    return next((row for row in cells(panel) if row[STATION] == station), None)


def energy(panel: CsmsSessionsPanel, station: str) -> float:
    row = row_of(panel, station)
    return float(row[ENERGY]) if row is not None and row[ENERGY] != "—" else -1.0


def pick(combo, data: Any) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)


async def test_sessions_of_both_versions_appear_grow_stop_filter_and_export(qtbot, tmp_path):
    """1.6 §4.8/§4.7/§4.10 and 2.0.1 E01/E02/E06/J02: one row per transaction, energy
    rising with the meter values, the stop reason once stopped; the filters narrow
    the rows and the CSV holds exactly the rows shown."""
    async with charging_bench(tmp_path) as (csms, cp16, cs201):
        panel = CsmsSessionsPanel(csms, ErrorReporter())
        qtbot.addWidget(panel)
        try:
            for cp, tag in ((cp16, "TAG1"), (cs201, "TAG2")):
                cp.station.connector(1).plug_in(ev())
                cp.present_id(tag, 1)
            await wait_until(lambda: len(cells(panel)) == 2, WAIT, "two session rows")
            row16, row201 = row_of(panel, "CP16"), row_of(panel, "CS201")
            assert (row16[OCPP], row16[CONNECTOR], row16[TAG]) == ("1.6", "1", "TAG1")
            assert (row201[OCPP], row201[CONNECTOR], row201[TAG]) == ("2.0.1", "EVSE 1", "TAG2")
            assert row16[STOP] == row201[STOP] == "open"
            assert row16[REASON] == "—"
            tx16 = cp16.station.connector(1).transaction
            await wait_until(lambda: tx16.protocol_id is not None, WAIT, "CP16's transactionId")
            assert row16[TRANSACTION] == str(tx16.protocol_id)

            # Energy grows as meter values arrive, and so do the counts and the cost.
            first = {s: max(energy(panel, s), 0.0) for s in ("CP16", "CS201")}
            for station in ("CP16", "CS201"):
                await wait_until(
                    lambda s=station: energy(panel, s) > first[s] + 0.1,
                    WAIT,
                    f"{station}'s energy to grow",
                )
            for station in ("CP16", "CS201"):
                row = row_of(panel, station)
                assert int(row[METER]) > 0
                assert row[COST].endswith(" EUR")

            # A click on a header sorts by that column, numbers as numbers.
            panel.table.sortByColumn(ENERGY, Qt.SortOrder.DescendingOrder)
            shown = [float(r[ENERGY]) for r in cells(panel)]
            assert shown == sorted(shown, reverse=True)
            panel.table.sortByColumn(ENERGY, Qt.SortOrder.AscendingOrder)
            shown = [float(r[ENERGY]) for r in cells(panel)]
            assert shown == sorted(shown)

            # The 1.6 driver stops: the row closes with its reason; the other stays open.
            cp16.present_id("TAG1", 1)
            await wait_until(
                lambda: row_of(panel, "CP16")[STOP] != "open", WAIT, "CP16's session to stop"
            )
            stopped = row_of(panel, "CP16")
            assert stopped[REASON] == "Local"
            [tx] = csms.transactions("CP16")
            assert stopped[ENERGY] == f"{(tx.meter_stop - tx.meter_start) / 1000:.3f}"
            assert row_of(panel, "CS201")[STOP] == "open"

            # Filters: by station, by tag, open/closed, free text.
            pick(panel.station_combo, "CP16")
            assert [r[STATION] for r in cells(panel)] == ["CP16"]
            pick(panel.station_combo, "__all__")
            pick(panel.tag_combo, "TAG2")
            assert [r[STATION] for r in cells(panel)] == ["CS201"]
            pick(panel.tag_combo, "__all__")
            pick(panel.state_combo, "closed")
            assert [r[STATION] for r in cells(panel)] == ["CP16"]
            assert panel.count.text() == "1 of 2 sessions"
            pick(panel.state_combo, "any")
            panel.text.setText("cs2")
            assert [r[STATION] for r in cells(panel)] == ["CS201"]
            panel.text.setText("")
            assert len(cells(panel)) == 2

            # Export what is shown: the closed session only.
            pick(panel.state_combo, "closed")
            out = tmp_path / "sessions.csv"
            exported: list[tuple[str, int]] = []
            panel.exported.connect(lambda path, n: exported.append((path, n)))
            assert panel.export(out) == 1
            assert exported == [(str(out), 1)]
            [line] = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
            assert (line["station"], line["ocpp"], line["id_tag"]) == ("CP16", "1.6", "TAG1")
            assert (line["stop_reason"], line["state"], line["currency"]) == (
                "Local",
                "closed",
                "EUR",
            )
            assert line["energy_kwh"] == stopped[ENERGY]
            assert line["start"].endswith("Z") and line["stop"].endswith("Z")
        finally:
            panel.stop()


async def test_meter_values_update_rows_in_place_and_are_batched(qtbot, tmp_path):
    """Hundreds of charging stations must not rebuild the table: a burst of meter values
    becomes one re-read of the sessions that moved, changed in place, no reset."""
    async with charging_bench(tmp_path) as (csms, cp16, cs201):
        panel = CsmsSessionsPanel(csms, ErrorReporter())
        qtbot.addWidget(panel)
        model = panel.model
        try:
            cs201.station.connector(1).plug_in(ev())
            cs201.present_id("TAG2", 1)
            cp16.station.connector(1).plug_in(ev())
            cp16.present_id("TAG1", 1)
            await wait_until(lambda: len(cells(panel)) == 2, WAIT, "two session rows")
            cs201.present_id("TAG2", 1)  # CS201 stops; only CP16 goes on sending
            await wait_until(lambda: row_of(panel, "CS201")[STOP] != "open", WAIT, "the stop")
            await wait_until(lambda: model.pending == 0, WAIT, "the last flush")

            resets: list[str] = []
            model.modelAboutToBeReset.connect(lambda: resets.append("reset"))
            model.layoutAboutToBeChanged.connect(lambda: resets.append("layout"))
            touched: list[tuple[int, int]] = []
            model.dataChanged.connect(lambda a, b, _r=None: touched.append((a.row(), b.row())))
            flushes: list[tuple[int, int]] = []
            model.flushed.connect(lambda added, updated: flushes.append((added, updated)))
            model._timer.setInterval(3_600_000)  # hold the batch until the test flushes it

            before = energy(panel, "CP16")
            moved = csms.mark()
            for _ in range(3):  # three MeterValues, each announcing CP16's session
                await csms.wait_for_message("CP16", "MeterValues", timeout=WAIT, since=moved)
            assert model.pending == 1  # three announcements, one session to re-read
            assert energy(panel, "CP16") == before  # nothing re-read yet
            model.flush()
            assert flushes == [(0, 1)]
            cp16_row = model._rows[next(k for k in model._rows if k.station == "CP16")]
            assert touched == [(cp16_row, cp16_row)]
            assert energy(panel, "CP16") > before
            assert resets == []
        finally:
            panel.stop()


async def test_the_console_has_a_sessions_tab_showing_the_demo_stations_charge(qtbot, tmp_path):
    """The desktop app: plug in and swipe the card on the demo station; its session shows
    in the CSMS console's Sessions tab with the demo tag, and closes when it stops."""
    async with running_app(qtbot, tmp_path) as window:
        csms = window.workspace.csms
        await csms.wait_for_station(DEMO_STATION_ID, timeout=15, accepted=True)
        console = await wait_until(lambda: window.csms_console, what="the console")
        panel = console.sessions
        tab = console.tabs.indexOf(panel)
        assert console.tabs.tabText(tab) == "Sessions"
        console.tabs.setCurrentIndex(tab)
        view = window.current_view()
        card = view.card(1)
        qtbot.mouseClick(card.plug_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Preparing", what="Preparing")
        qtbot.mouseClick(card.card_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: card.status.text() == "Charging", what="Charging")
        row = await wait_until(lambda: row_of(panel, DEMO_STATION_ID), what="the session row")
        assert (row[TAG], row[STOP], row[CONNECTOR]) == (DEMO_TAG, "open", "1")
        qtbot.mouseClick(card.card_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: row_of(panel, DEMO_STATION_ID)[STOP] != "open", what="stop")
        assert row_of(panel, DEMO_STATION_ID)[REASON] == "Local"
        assert panel.count.text() == "1 session"
