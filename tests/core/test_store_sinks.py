"""The JSON Lines file sink and the terminal sink (bench/store/sinks.py)."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.kernel.frames import FrameRecord
from bench.store.sinks import ConsoleSink, JsonlSink

TS = datetime(2026, 1, 1, 12, 34, 56, 789000, tzinfo=UTC).timestamp()


def rec(**changes) -> FrameRecord:
    base = FrameRecord(
        ts=TS,
        station="CP-7",
        direction="tx",
        type="CALL",
        id="42",
        action="StatusNotification",
        payload={"connectorId": 1, "errorCode": "NoError", "status": "Available"},
        valid=True,
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


# -- JsonlSink -------------------------------------------------------------


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_sink_writes_the_as_json_dict_shape_on_flush(tmp_path: Path):
    path = tmp_path / "logs" / "run.jsonl"
    sink = JsonlSink(path)
    records = [rec(), rec(direction="rx", type="CALLRESULT", payload={}, latency_ms=3.21)]
    for r in records:
        sink.record(r)
    assert path.read_text(encoding="utf-8") == ""  # buffered until flushed

    assert sink.flush() == 2

    assert read_lines(path) == [json.loads(json.dumps(r.as_json_dict())) for r in records]
    sink.close()


def test_jsonl_sink_file_is_valid_json_lines_after_every_automatic_flush(tmp_path: Path):
    path = tmp_path / "run.jsonl"
    sink = JsonlSink(path, batch_size=3)
    for n in range(7):
        sink.record(rec(id=str(n), payload={"text": "é\nnew line"}))
        text = path.read_text(encoding="utf-8")
        assert text == "" or text.endswith("\n")
        assert [line["id"] for line in read_lines(path)] == [
            str(i) for i in range(n + 1 - (n + 1) % 3)
        ]
    sink.close()
    assert len(read_lines(path)) == 7


def test_jsonl_sink_appends_to_an_existing_file(tmp_path: Path):
    path = tmp_path / "run.jsonl"
    first = JsonlSink(path)
    first.record(rec(id="a"))
    first.close()
    second = JsonlSink(path)
    second.record(rec(id="b"))
    second.close()
    second.close()  # closing twice is harmless
    assert [line["id"] for line in read_lines(path)] == ["a", "b"]


async def test_jsonl_sink_flusher_writes_periodically_and_on_cancel(tmp_path: Path):
    path = tmp_path / "run.jsonl"
    sink = JsonlSink(path, batch_size=10_000)
    task = asyncio.create_task(sink.run_flusher(interval=0.02))
    sink.record(rec(id="1"))

    for _ in range(500):  # bounded: 5 s at most
        if path.read_text(encoding="utf-8"):
            break
        await asyncio.sleep(0.01)
    assert [line["id"] for line in read_lines(path)] == ["1"]
    sink.record(rec(id="2"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [line["id"] for line in read_lines(path)] == ["1", "2"]
    sink.close()


# -- ConsoleSink -----------------------------------------------------------


def console(**kwargs) -> tuple[ConsoleSink, io.StringIO]:
    out = io.StringIO()
    return ConsoleSink(out, **kwargs), out


def test_console_line_for_a_sent_call_shows_time_station_arrow_type_action_payload():
    sink, out = console()
    sink.record(rec())
    assert out.getvalue() == (
        "12:34:56.789 CP-7 → CALL StatusNotification "
        '{"connectorId":1,"errorCode":"NoError","status":"Available"}\n'
    )


def test_console_line_for_a_received_reply_uses_the_left_arrow_and_shows_latency():
    sink, out = console()
    sink.record(
        rec(
            direction="rx",
            type="CALLRESULT",
            action="Heartbeat",
            payload={"currentTime": "x"},
            latency_ms=12.345,
        )
    )
    assert out.getvalue() == (
        '12:34:56.789 CP-7 ← CALLRESULT Heartbeat (12.3 ms) {"currentTime":"x"}\n'
    )


def test_console_marks_a_callerror_with_its_code():
    sink, out = console()
    sink.record(
        rec(
            direction="rx",
            type="CALLERROR",
            action="Authorize",
            payload={},
            error="NotImplemented",
            valid=None,
        )
    )
    assert out.getvalue() == "12:34:56.789 CP-7 ← CALLERROR Authorize !! NotImplemented {}\n"


def test_console_marks_an_invalid_frame_with_the_reason():
    sink, out = console()
    sink.record(rec(valid=False, error="connectorId: -1 is less than 0"))
    line = out.getvalue()
    assert line.startswith(
        "12:34:56.789 CP-7 → CALL StatusNotification ✗ INVALID: connectorId: -1 is less than 0 {"
    )


def test_console_shows_a_malformed_frame_as_its_raw_text():
    sink, out = console()
    sink.record(
        rec(
            direction="rx",
            type="MALFORMED",
            action=None,
            id=None,
            payload="[2,oops",
            valid=None,
            error="not JSON",
        )
    )
    assert out.getvalue() == "12:34:56.789 CP-7 ← MALFORMED - (not JSON) [2,oops\n"


def test_console_truncates_long_payloads_to_about_120_characters():
    sink, out = console()
    sink.record(rec(payload={"data": "x" * 500}))
    summary = out.getvalue().rstrip("\n").split(" ", 5)[5]
    assert len(summary) == 120
    assert summary.endswith("…")


def test_console_uses_no_colour_on_a_non_tty_and_colour_when_forced():
    plain, plain_out = console()
    plain.record(rec(type="CALLERROR", error="InternalError", direction="rx"))
    assert "\x1b[" not in plain_out.getvalue()

    coloured, coloured_out = console(colour=True)
    coloured.record(rec(type="CALLERROR", error="InternalError", direction="rx"))
    assert "\x1b[1;31m" in coloured_out.getvalue()  # errors in red


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_console_colours_a_tty_unless_no_color_is_set(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert ConsoleSink(FakeTty()).colour is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert ConsoleSink(FakeTty()).colour is False
