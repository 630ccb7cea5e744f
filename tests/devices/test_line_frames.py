"""The bench line protocol's framing and field checks, on byte strings (docs/line-protocol.md)."""

from __future__ import annotations

import json

from bench.devices.serial.line_frames import (
    BENCH_MESSAGES,
    BOARD_MESSAGES,
    MAX_LINE,
    LineDecoder,
    encode,
)


def board() -> LineDecoder:
    return LineDecoder(BOARD_MESSAGES)


def test_encode_writes_one_compact_versioned_line():
    line = encode("limit", id=3, connector=1, amps=10.0)
    assert line == b'{"v":1,"type":"limit","id":3,"connector":1,"amps":10.0}\n'
    frames = LineDecoder(BENCH_MESSAGES).feed(line)
    assert frames[0].message == {"v": 1, "type": "limit", "id": 3, "connector": 1, "amps": 10.0}


def test_lines_split_across_reads_and_crlf_endings_decode():
    dec = board()
    first = dec.feed(b'{"v":1,"type":"state","conn')
    assert first == []
    frames = dec.feed(b'ector":1,"state":"B"}\r\n{"v":1,"type":"alive"}\n')
    assert [f.message["type"] for f in frames] == ["state", "alive"]
    assert dec.counters.frames == 2 and dec.counters.corrupt == 0


def test_bad_json_is_corrupt_and_not_answered():
    dec = board()
    (frame,) = dec.feed(b'{"v":1,"type":"state",\n')
    assert frame.error == "bad-json" and not frame.answerable
    (frame,) = dec.feed(b"\xff\xfe\x00garbage\n")
    assert frame.error == "bad-json"
    assert dec.counters.corrupt == 2


def test_unknown_type_is_answerable_and_counted_apart_from_corrupt():
    dec = board()
    (frame,) = dec.feed(b'{"v":1,"type":"telemetry","x":1}\n')
    assert frame.error == "unknown-type" and frame.answerable and frame.ref == "telemetry"
    assert dec.counters.unknown == 1 and dec.counters.corrupt == 0


def test_wrong_version_and_bad_fields_are_answerable_errors():
    dec = board()
    lines = [
        {"v": 2, "type": "alive"},
        {"type": "alive"},
        {"v": 1, "type": "state", "connector": 1, "state": "Z"},
        {"v": 1, "type": "state", "connector": "1", "state": "A"},
        {"v": 1, "type": "meter", "connector": 1, "voltage": [], "current": [1], "power": 0},
        {"v": 1, "type": "fault", "connector": 1, "code": "x", "active": 1},
        {"v": 1, "type": "hello", "board": "b"},
        [1, 2, 3],
    ]
    frames = dec.feed(b"".join(json.dumps(x).encode() + b"\n" for x in lines))
    assert [f.error for f in frames] == [
        "bad-version",
        "bad-version",
        "bad-field",
        "bad-field",
        "bad-field",
        "bad-field",
        "bad-field",
        "not-an-object",
    ]
    assert all(f.answerable for f in frames)
    assert dec.counters.corrupt == len(lines)


def test_an_overlong_line_is_dropped_once_and_the_next_line_decodes():
    dec = board()
    frames = dec.feed(b"x" * (MAX_LINE + 10))
    frames += dec.feed(b"y" * 300 + b'\n{"v":1,"type":"alive"}\n')
    assert [f.error for f in frames] == ["too-long", None]
    assert dec.counters.corrupt == 1 and dec.counters.frames == 1


def test_every_board_message_in_the_docs_examples_validates():
    examples = [
        {"v": 1, "type": "hello", "board": "relay-box", "firmware": "1.0.0", "connectors": 1},
        {"v": 1, "type": "state", "connector": 1, "state": "C"},
        {
            "v": 1,
            "type": "meter",
            "connector": 1,
            "voltage": [230.1, 229.8, 231.0],
            "current": [16.0, 16.0, 16.0],
            "power": 11040.0,
            "energy": 123456.0,
        },
        {"v": 1, "type": "rfid", "uid": "04A1B2C3D4", "connector": 1},
        {"v": 1, "type": "fault", "connector": 1, "code": "ground_failure", "active": True},
        {"v": 1, "type": "alive", "uptime": 12.5},
        {"v": 1, "type": "pong", "id": 7},
        {"v": 1, "type": "ack", "id": 7},
        {"v": 1, "type": "error", "error": "bad-field", "detail": "amps", "id": 7},
    ]
    frames = board().feed(b"".join(json.dumps(x).encode() + b"\n" for x in examples))
    assert [f.error for f in frames] == [None] * len(examples)
