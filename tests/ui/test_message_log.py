"""The message log view: SQLite-backed, virtualized, filtered, coloured, following the tail."""

from __future__ import annotations

import json
import sqlite3

import pytest
from PySide6.QtCore import Qt

from bench.ocpp.log import FrameRecord
from bench.store.db import open_database
from bench.store.messages import MessageLog
from tests.ui.conftest import running_app, wait_until
from ui.models.message_log import (
    ERROR_BACKGROUND,
    INVALID_BACKGROUND,
    MAX_PAGES,
    PAGE_SIZE,
    RECORD_ROLE,
    LogFilter,
    MessageLogModel,
)
from ui.views.log_view import LogPanel


def frame(i: int, **kw) -> FrameRecord:
    base = dict(
        ts=1_700_000_000.0 + i,
        station="CP-1" if i % 2 else "CP-2",
        direction="tx",
        type="CALL",
        id=f"m{i}",
        action="Heartbeat" if i % 10 else "StatusNotification",
        payload={"n": i},
        valid=True,
    )
    base.update(kw)
    return FrameRecord(**base)


@pytest.fixture
def message_log(tmp_path) -> MessageLog:
    conn: sqlite3.Connection = open_database(tmp_path / "log.db")
    log = MessageLog(conn, batch_size=10_000)
    yield log
    log.close()
    conn.close()


def test_the_model_pages_a_large_log_and_holds_only_a_few_pages(qapp, message_log):
    for i in range(50_000):
        message_log.record(frame(i))
    model = MessageLogModel(message_log)
    assert model.rowCount() == 50_000
    for row in (0, 1, 12_345, 25_000, 37_777, 49_999):
        assert model.index(row, 0).data(RECORD_ROLE).payload == {"n": row}
    for row in range(0, 50_000, 997):  # scroll through the whole log
        model.index(row, 7).data()
    assert model.cached_rows <= PAGE_SIZE * MAX_PAGES


def test_new_frames_are_appended_at_the_bottom_by_poll(qapp, message_log):
    for i in range(1000):
        message_log.record(frame(i))
    model = MessageLogModel(message_log)
    model.index(999, 0).data()  # cache the last (partial) page
    for i in range(1000, 1010):
        message_log.record(frame(i))
    assert model.rowCount() == 1000
    assert model.poll() == 10
    assert model.rowCount() == 1010
    assert model.index(1009, 0).data(RECORD_ROLE).payload == {"n": 1009}
    assert model.index(999, 0).data(RECORD_ROLE).payload == {"n": 999}
    assert model.poll() == 0


def test_filters_narrow_the_rows_to_what_sqlite_matches(qapp, message_log):
    for i in range(300):
        message_log.record(frame(i))
    model = MessageLogModel(message_log)
    model.set_filter(LogFilter(action="StatusNotification"))
    assert model.rowCount() == 30
    assert {model.index(r, 4).data() for r in range(30)} == {"StatusNotification"}
    model.set_filter(LogFilter(station="CP-1", action="StatusNotification"))
    assert model.rowCount() == 0
    model.set_filter(LogFilter(text="123"))  # payload search: only {"n": 123} of 0..299
    assert model.rowCount() == 1
    message_log.record(frame(1123))
    message_log.record(frame(124))
    assert model.poll() == 1  # only the new row that matches the filter


def test_callerror_and_invalid_frames_are_coloured(qapp, message_log):
    message_log.record(frame(1))
    message_log.record(frame(2, type="CALLERROR", error="NotImplemented", payload={}))
    message_log.record(frame(3, valid=False, error="missing status"))
    model = MessageLogModel(message_log)
    role = Qt.ItemDataRole.BackgroundRole
    assert model.index(0, 0).data(role) is None
    assert model.index(1, 0).data(role).color() == ERROR_BACKGROUND
    assert model.index(2, 0).data(role).color() == INVALID_BACKGROUND
    assert model.index(1, 7).data().startswith("NotImplemented")


async def test_the_panel_follows_new_frames_until_the_user_scrolls_up(qapp, qtbot, message_log):
    for i in range(500):
        message_log.record(frame(i))
    panel = LogPanel(message_log)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    await wait_until(panel.isVisible)
    bar = panel.table.verticalScrollBar()
    await wait_until(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), what="bottom")
    for i in range(500, 520):
        message_log.record(frame(i))
    panel.poll()
    assert bar.value() == bar.maximum()
    bar.setValue(0)  # the user scrolls up: the view stays put
    assert not panel.following and not panel.follow_button.isChecked()
    for i in range(520, 540):
        message_log.record(frame(i))
    panel.poll()
    assert bar.value() == 0
    panel.follow_button.click()
    assert bar.value() == bar.maximum()
    panel.stop()


async def test_the_panel_filters_and_shows_pretty_json_and_exports(
    qapp, qtbot, message_log, tmp_path
):
    for i in range(200):
        message_log.record(frame(i))
    panel = LogPanel(message_log)
    qtbot.addWidget(panel)
    panel.action.setCurrentIndex(panel.action.findData("StatusNotification"))
    assert panel.model.rowCount() == 20
    assert panel.count_label.text() == "20 frames"
    panel.select_row(0)
    text = panel.detail.toPlainText()
    assert '"n": 0' in text and "StatusNotification" in text
    out = tmp_path / "filtered.jsonl"
    assert panel.export(out) == 20
    lines = out.read_text().splitlines()
    assert all(json.loads(line)["action"] == "StatusNotification" for line in lines)
    panel.text.setText("no such payload")
    panel.apply_filter()
    assert panel.model.rowCount() == 0
    panel.stop()


async def test_the_window_log_shows_the_demo_stations_frames_from_sqlite(qtbot, tmp_path):
    """Every frame is logged (ARCHITECTURE rule 4): the boot exchange appears in the view."""
    async with running_app(qtbot, tmp_path) as window:
        panel = await wait_until(lambda: window.log_panel, what="the log panel")

        def has_boot() -> bool:
            panel.poll()
            model = panel.model
            return any(
                model.index(r, 4).data() == "BootNotification" for r in range(model.rowCount())
            )

        await wait_until(has_boot, what="BootNotification in the log view")
        panel.type.setCurrentIndex(panel.type.findData("CALLRESULT"))
        panel.action.setCurrentIndex(panel.action.findData("BootNotification"))
        assert panel.model.rowCount() >= 1
        panel.select_row(0)
        assert '"status": "Accepted"' in panel.detail.toPlainText()
