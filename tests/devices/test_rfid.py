"""RFID readers: framing on byte strings, and each driver against its emulator over a real pty.

A card read becomes ``station.present_id`` (the model's IdPresented event); a lost
reader is 1.6 §7.6 ReaderFailure on the station.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bench.devices.emulators.rfid import RfidEmulator
from bench.devices.registry import create, parse_device_spec
from bench.devices.serial.rfid import RfidReader
from bench.devices.serial.rfid_frames import (
    Debouncer,
    Rdm6300Decoder,
    TextLineDecoder,
    encode_rdm6300,
    format_rdm6300,
    rdm6300_checksum,
)
from bench.model.changes import IdPresented
from bench.model.clock import SystemClock
from bench.model.station import Station
from bench.model.templates import build_station
from tests.waiting import wait_until

WAIT = 5.0


# ------------------------------------------------------------------ pure framing
def test_text_decoder_takes_any_line_ending_and_normalises_the_uid():
    dec = TextLineDecoder()
    assert dec.feed(b"04a1b2c3\r\n04:A1:B2:C4\r") == ["04A1B2C3", "04A1B2C4"]
    assert dec.feed(b"\n04 a1 b2") == []  # the rest waits for its line end
    assert dec.feed(b" c5\n") == ["04A1B2C5"]
    assert dec.counters.frames == 3 and dec.counters.corrupt == 0


def test_text_decoder_counts_non_hex_lines_and_endless_garbage_as_corrupt():
    dec = TextLineDecoder()
    assert dec.feed(b"hello world\r\n\xff\xfe\r\nAB\r\n") == []
    assert dec.counters.corrupt == 3
    assert dec.feed(b"x" * 200) == [] and dec.counters.corrupt == 4
    assert dec.feed(b"\r\nDEADBEEF\r\n") == ["DEADBEEF"]


def test_text_decoder_with_a_fixed_line_ending_splits_only_on_it():
    dec = TextLineDecoder("CR")
    assert dec.feed(b"0A0B0C0D\r0A0B0C0E\r") == ["0A0B0C0D", "0A0B0C0E"]
    with pytest.raises(ValueError):
        TextLineDecoder("TAB")


def test_rdm6300_checksum_is_the_xor_of_the_five_data_bytes():
    # 0x62 ^ 0xE3 ^ 0x08 ^ 0x6C ^ 0xED = 0x08
    assert rdm6300_checksum("62E3086CED") == 0x08
    frame = encode_rdm6300("62E3086CED")
    assert frame == b"\x0262E3086CED08\x03" and len(frame) == 14


def test_rdm6300_decoder_resynchronises_and_counts_bad_checksums():
    dec = Rdm6300Decoder()
    good = encode_rdm6300("0102030405")
    bad = encode_rdm6300("0102030405", bad_checksum=True)
    stream = b"\xaa\x55" + good[:5] + good + bad + good[:9]
    assert dec.feed(stream) == ["0102030405"]
    assert dec.counters.checksum_errors == 1
    assert dec.counters.corrupt >= 2  # leading noise and the cut-off frame
    # The head of the last frame waits in the buffer; its tail completes it.
    assert dec.feed(good[9:]) == ["0102030405"]
    assert dec.counters.frames == 2


def test_rdm6300_uid_formats():
    assert format_rdm6300("0A00BC614E", "hex10") == "0A00BC614E"
    assert format_rdm6300("0A00BC614E", "hex8") == "00BC614E"
    assert format_rdm6300("0A00BC614E", "dec10") == "0012345678"


def test_debouncer_lets_one_read_per_window_through():
    d = Debouncer(2.0)
    assert d.accept("A", 0.0)
    assert not d.accept("A", 0.5) and not d.accept("A", 1.9)
    assert d.accept("B", 1.9)
    assert d.accept("A", 2.0)


# ------------------------------------------------------------------ over a pty
@pytest.fixture
def station() -> Station:
    return build_station("CP-RF", "ac-11kw", SystemClock(speed=1.0))


@pytest.fixture
async def readers() -> AsyncIterator[list[RfidEmulator]]:
    made: list[RfidEmulator] = []
    yield made
    for r in made:
        await r.stop()


def presented(station: Station) -> list[IdPresented]:
    seen: list[IdPresented] = []
    station.events.subscribe(lambda e: seen.append(e) if isinstance(e, IdPresented) else None)
    return seen


async def test_a_text_reader_line_presents_the_card_at_the_station(station, readers):
    emu = RfidEmulator("text", line_ending="CR")
    readers.append(emu)
    path = await emu.start()
    driver = create(parse_device_spec(f"rfid-text:{path}"), station.clock)
    assert isinstance(driver, RfidReader)
    seen = presented(station)
    await driver.attach(station, 1)
    try:
        await wait_until(lambda: driver.health.connected, what="connected")
        emu.command("card 04a1b2c3d4")
        await wait_until(lambda: seen, what="a card")
        assert seen[0].id_tag == "04A1B2C3D4" and seen[0].connector_id == 1
        emu.command("garbage")
        await wait_until(lambda: driver.health.corrupt >= 1, what="garbage counted")
        emu.command("card 0011AABB")
        await wait_until(lambda: len(seen) == 2, what="the second card")
    finally:
        await driver.detach()


async def test_an_rdm6300_held_card_is_debounced_to_one_read(station, readers):
    emu = RfidEmulator("rdm6300", repeats=6, period=0.03)
    readers.append(emu)
    path = await emu.start()
    driver = create(parse_device_spec(f"rdm6300:{path},uid_format=hex8"), station.clock)
    seen = presented(station)
    await driver.attach(station, 1)
    try:
        await wait_until(lambda: driver.health.connected, what="connected")
        emu.present("00BC614E")
        await wait_until(lambda: driver.health.frames >= 6, what="all repeats")
        assert [e.id_tag for e in seen] == ["00BC614E"]
        emu.command("badsum 00BC614E")
        await wait_until(lambda: driver.health.checksum_errors == 1, what="checksum error")
        assert len(seen) == 1
    finally:
        await driver.detach()


async def test_a_pulled_reader_is_reader_failure_until_it_is_back(station, readers, tmp_path):
    """1.6 §7.6 ReaderFailure while the reader's port is gone; cleared when it returns."""
    emu = RfidEmulator("text", link_path=str(tmp_path / "ttyRFID"))
    readers.append(emu)
    path = await emu.start()
    driver = create(parse_device_spec(f"rfid-text:{path}"), station.clock)
    seen = presented(station)
    await driver.attach(station, 1)
    try:
        await wait_until(lambda: driver.health.connected, what="connected")
        emu.command("unplug")
        await wait_until(lambda: station.fault is not None, what="the reader fault")
        assert station.fault.error_code == "ReaderFailure"
        emu.command("replug")
        await wait_until(lambda: station.fault is None, timeout=WAIT, what="recovery")
        emu.present("CAFEBABE")
        await wait_until(lambda: seen, what="a card after the replug")
    finally:
        await driver.detach()
    assert station.fault is None
