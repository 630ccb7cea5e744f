"""The message log view: SQLite-backed, virtualized, filtered, coloured, following the tail."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from bench.kernel.frames import FrameRecord
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


def test_the_frame_counter_says_one_frame_and_counts_more_frames_in_the_plural(
    qapp, qtbot, message_log
):
    panel = LogPanel(message_log)
    qtbot.addWidget(panel)
    assert panel.count_label.text() == "0 frames"
    message_log.record(frame(0))
    panel.poll()
    assert panel.count_label.text() == "1 frame"
    for i in range(1, 1234):
        message_log.record(frame(i))
    panel.poll()
    assert panel.count_label.text() == "1,234 frames"
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

        def has_reply() -> bool:
            # The CSMS's reply is written after the request: on a busy machine it may
            # reach the database a poll later than the request did.
            panel.poll()
            return panel.model.rowCount() >= 1

        await wait_until(has_reply, what="the BootNotification reply in the filtered view")
        panel.select_row(0)
        assert '"status": "Accepted"' in panel.detail.toPlainText()


def _exchange(message_log: MessageLog) -> None:
    """A station-initiated exchange and a CSMS-initiated one, with noise in between."""
    message_log.record(
        frame(1, station="CP-1", id="a1", action="Authorize", payload={"idTag": "T"})
    )
    message_log.record(frame(3, station="CP-1", id="noise"))
    message_log.record(
        frame(
            5, station="CP-1", id="a1", direction="rx", type="CALLRESULT", action="Authorize",
            payload={"idTagInfo": {"status": "Accepted"}}, latency_ms=7.25,
        )
    )  # fmt: skip
    message_log.record(
        frame(7, station="CP-1", id="r9", direction="rx", action="Reset", payload={"type": "Soft"})
    )
    message_log.record(
        frame(
            9, station="CP-1", id="r9", type="CALLERROR", action="Reset",
            payload={"errorCode": "NotSupported"}, error="NotSupported",
        )
    )  # fmt: skip


async def test_the_detail_pane_shows_the_paired_reply_of_a_request_and_vice_versa(
    qapp, qtbot, message_log
):
    """OCPP-J 1.6 §4.1.1: the reply carries the request's message id; the pane pairs them."""
    _exchange(message_log)
    panel = LogPanel(message_log)
    qtbot.addWidget(panel)
    panel.select_row(0)  # the Authorize CALL
    text = panel.detail.toPlainText()
    assert text.index("request  (selected)") < text.index('"idTag": "T"')
    assert text.index("── reply") < text.index('"status": "Accepted"')
    assert "latency 7.2 ms" in text or "latency 7.3 ms" in text
    panel.select_row(2)  # its CALLRESULT: the request is shown above it
    text = panel.detail.toPlainText()
    assert text.index('"idTag": "T"') < text.index("reply  (selected)")
    panel.select_row(3)  # a CSMS-initiated Reset answered with a CALLERROR (no latency)
    text = panel.detail.toPlainText()
    assert "CALLERROR NotSupported" in text and "ms after the request" in text
    panel.select_row(1)  # a CALL nobody answered
    assert "no reply in the log" in panel.detail.toPlainText()
    panel.stop()


def test_latency_is_shown_for_replies_only(qapp, message_log):
    _exchange(message_log)
    model = MessageLogModel(message_log)
    assert model.index(0, 6).data() == ""
    assert model.index(2, 6).data() == "7.2 ms" or model.index(2, 6).data() == "7.3 ms"


async def test_ctrl_c_copies_the_selected_rows_as_json_lines(qapp, qtbot, message_log):
    _exchange(message_log)
    panel = LogPanel(message_log)
    qtbot.addWidget(panel)
    panel.show()
    await wait_until(panel.isVisible)
    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(panel.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert len(lines) == 3
    expected = [rec.as_json_dict() for rec in message_log.query(limit=3)]
    assert [json.loads(line) for line in lines] == json.loads(json.dumps(expected))
    assert json.loads(lines[2])["latency_ms"] == 7.25
    assert panel.copy_selection() == 3  # the context menu's action does the same
    panel.stop()


def test_the_filtered_view_exports_to_csv(qapp, qtbot, message_log, tmp_path):
    _exchange(message_log)
    panel = LogPanel(message_log)
    qtbot.addWidget(panel)
    panel.direction.setCurrentIndex(panel.direction.findData("rx"))
    assert panel.model.rowCount() == 2
    out = tmp_path / "rx.csv"
    assert panel.export(out) == 2
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["id"], r["type"], r["action"]) for r in rows] == [
        ("a1", "CALLRESULT", "Authorize"),
        ("r9", "CALL", "Reset"),
    ]
    assert rows[0]["latency_ms"] == "7.25" and rows[1]["latency_ms"] == ""
    assert json.loads(rows[0]["payload"]) == {"idTagInfo": {"status": "Accepted"}}
    assert rows[0]["station"] == "CP-1" and rows[0]["direction"] == "rx"
    panel.stop()


async def test_a_request_sent_from_the_csms_console_is_paired_with_the_reply_in_the_log(
    qtbot, tmp_path
):
    """The console's GetConfiguration (1.6 §5.8) appears in the log with its reply beside it."""
    async with running_app(qtbot, tmp_path) as window:
        csms = window.workspace.csms
        await csms.wait_for_station("DEMO-AC-11KW", timeout=15, accepted=True)
        console = await wait_until(lambda: window.csms_console, what="the console")
        console.refresh()
        console.select_station("DEMO-AC-11KW")
        console.select_action("GetConfiguration")
        outcome = await console.send()
        assert outcome.kind == "CALLRESULT"
        panel = window.log_panel
        panel.action.setCurrentIndex(panel.action.findData("GetConfiguration"))
        panel.type.setCurrentIndex(panel.type.findData("CALL"))
        await wait_until(lambda: panel.poll() or panel.model.rowCount() == 1, what="the CALL")
        panel.select_row(0)
        text = panel.detail.toPlainText()
        assert "request  (selected)" in text and "HeartbeatInterval" in text
        assert "# CALLRESULT GetConfiguration" in text and '"configurationKey"' in text
