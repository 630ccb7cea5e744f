"""RAPI framing on byte strings (the firmware's rapi_proc.h examples are the test vectors)."""

from __future__ import annotations

import pytest

from bench.devices.serial.openevse_frames import (
    Frame,
    FrameError,
    FrameReader,
    decode,
    encode,
    xor_checksum,
)


def test_encode_matches_the_firmware_examples_for_both_checksums():
    assert encode("GS") == b"$GS^30\r"
    assert encode("FE", checksum="add") == b"$FE*AF\r"
    assert encode("F0", [1]) == b"$F0 1^43\r"
    assert encode("SL", ["A"], checksum="add") == b"$SL A*24\r"


def test_encode_appends_a_sequence_id_before_the_checksum():
    data = encode("SC", [10, "V"], seq=0x1F)
    body = b"$SC 10 V :1F"
    assert data == body + b"^%02X\r" % xor_checksum(body)
    assert decode(data[:-1]) == Frame("SC", ("10", "V"), 0x1F, "xor")


def test_decode_reads_replies_notifications_and_unchecked_frames():
    assert decode(b"$OK 30 0121^21") == Frame("OK", ("30", "0121"), None, "xor")
    assert decode(b"$FE*AF").checksum == "add"
    assert decode(b"$AT 02 02 16 0108").is_notification
    assert decode(b"$AT 02 02 16 0108").checksum == "none"
    assert decode(b"$OK:1F").seq == 0x1F


@pytest.mark.parametrize(
    "line, is_checksum",
    [
        (b"$GS^31", True),
        (b"$GS^3", True),
        (b"$GS*00", True),
        (b"GS", False),
        (b"$", False),
        (b"$OK 1 :00^00", False),
        (b"$\xff\xfe^00", False),
    ],
)
def test_decode_rejects_bad_lines(line, is_checksum):
    with pytest.raises(FrameError) as caught:
        decode(line)
    if is_checksum:
        assert caught.value.checksum


def test_reader_cuts_a_stream_and_counts_what_it_could_not_read():
    reader = FrameReader()
    frames = reader.feed(b"$OK 1^" + b"")  # partial: nothing yet
    assert frames == []
    good = encode("OK", ["1"])
    frames = reader.feed(
        good[len(b"$OK 1^") :] + b"garbage\r$GS^31\r\n" + encode("AT", ["01", "01", "16", "0200"])
    )
    assert [f.code for f in frames] == ["OK", "AT"]
    assert reader.frames == 2
    assert reader.corrupt == 1
    assert reader.checksum_errors == 1


def test_reader_drops_an_endless_line_and_recovers():
    reader = FrameReader()
    assert reader.feed(b"x" * 500) == []
    assert reader.corrupt == 1
    assert [f.code for f in reader.feed(encode("OK"))] == ["OK"]


def test_noise_before_a_frame_is_counted_but_the_frame_survives():
    reader = FrameReader()
    frames = reader.feed(b"\x00\x13zz" + encode("OK", ["7"]))
    assert frames[0].params == ("7",)
    assert reader.corrupt == 1
