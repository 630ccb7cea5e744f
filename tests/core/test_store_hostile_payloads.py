"""Every frame sink takes every record, whatever the peer put in the payload.

Before issue 11 a payload nested 1,000 levels deep (parsed fine by orjson) broke
the encoders of the SQLite log and the JSON Lines file: the batch went back to
the buffer, every later flush failed the same way, and the log stopped.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from bench.kernel.frames import FrameRecord
from bench.store.db import open_database
from bench.store.messages import MessageLog
from bench.store.sinks import ConsoleSink, JsonlSink


def deep(levels: int) -> list:
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


def record(n: int, payload) -> FrameRecord:
    return FrameRecord(
        1_700_000_000.0 + n,
        "CP1",
        "rx",
        "CALL",
        f"m{n}",
        "DataTransfer",
        payload,
        False,
        raw=f'[2,"m{n}","DataTransfer",…]',
    )


def test_sqlite_log_keeps_a_deep_payload_and_every_frame_after_it(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "log.db")
    log = MessageLog(conn, batch_size=10)
    log.record(record(0, {"x": deep(5000)}))
    for n in range(1, 25):
        log.record(record(n, {"n": n}))
    assert log.count() == 25
    rows = log.query()
    assert rows[0].payload.startswith('[2,"m0"')  # stored as the frame's raw text
    assert rows[-1].payload == {"n": 24}
    log.close()
    conn.close()


def test_jsonl_file_keeps_a_deep_payload_and_every_frame_after_it(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "f.jsonl", batch_size=10)
    sink.record(record(0, {"x": deep(5000)}))
    for n in range(1, 25):
        sink.record(record(n, {"n": n}))
    sink.close()
    lines = (tmp_path / "f.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 25
    assert [json.loads(line)["id"] for line in lines] == [f"m{n}" for n in range(25)]


def test_console_prints_peer_text_with_control_characters_escaped() -> None:
    """Issue 11 #5: no raw ESC or newline from a peer reaches the terminal."""
    out = io.StringIO()
    sink = ConsoleSink(out, colour=False)
    rec = record(1, {"data": "\x1b[2Jcleared\nFORGED LINE"})
    rec.station = "EVIL\x1b[31m\n"
    sink.record(rec)
    sink.record(record(2, {"x": deep(5000)}))
    text = out.getvalue()
    assert "\x1b" not in text
    assert text.count("\n") == 2  # one line per frame, none forged
    assert "EVIL\\x1b[31m\\x0a" in text  # the id is shown, escaped
