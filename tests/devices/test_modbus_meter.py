"""Modbus RTU meters: register codecs, and each driver against its emulator over a real pty.

1.6 §7.6 (ChargePointErrorCode PowerMeterFailure) for a lost meter.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench.devices.base import HealthChanged
from bench.devices.emulators.modbus_meter import MeterEmulator, crc16, with_crc
from bench.devices.registry import create, driver_class, parse_device_spec
from bench.devices.serial.modbus_maps import (
    ABB_B23,
    MAPS,
    SDM120,
    SDM630,
    Field,
    Values,
    decode,
    decode_field,
    encode,
    encode_field,
)
from bench.devices.serial.modbus_meter import ModbusMeter
from bench.model.clock import SystemClock
from bench.model.station import Station
from bench.model.templates import build_station
from tests.waiting import wait_until

WAIT = 5.0
FAST = {"poll_interval": 0.05, "timeout": 0.2, "fail_after": 2}


# ------------------------------------------------------------------ pure codecs
def test_crc16_matches_the_modbus_reference_value():
    """The classic example request 01 03 00 00 00 0A has CRC C5 CD (low byte first)."""
    assert with_crc(bytes.fromhex("01030000000A")).hex() == "01030000000ac5cd"
    assert crc16(b"123456789") == 0x4B37


def test_sdm_float_registers_decode_big_endian_ieee754():
    """SDM: 32-bit IEEE float, high word first: 230.0 V is 0x4366 0x0000."""
    f = Field(0x0000, "float32")
    assert encode_field(f, 230.0) == [0x4366, 0x0000]
    assert decode_field(f, [0x4366, 0x0000]) == 230.0


def test_abb_b23_integer_registers_decode_with_their_scaling():
    """B23: voltage u32 x0.1 V, energy u64 x0.01 kWh, power s32 x0.01 W (negative: export)."""
    volts = ABB_B23.voltage[0]
    assert decode_field(volts, [0x0000, 0x08FC]) == pytest.approx(230.0)
    energy = ABB_B23.energy_import
    assert decode_field(energy, [0, 0, 0x0001, 0x86A0]) == pytest.approx(1_000_000.0)  # 1000 kWh
    assert decode_field(ABB_B23.total_power, [0xFFFF, 0xFC18]) == pytest.approx(-10.0)


@pytest.mark.parametrize("name", sorted(MAPS))
def test_every_map_round_trips_through_its_read_blocks(name: str):
    rmap = MAPS[name]
    n = rmap.phases
    values = Values([231.5] * n, [16.0] * n, [3704.0] * n, 3704.0 * n, 12_340.0, 50.0)
    image = encode(rmap, values)
    blocks = {b.address: [image.get(b.address + i, 0) for i in range(b.count)] for b in rmap.blocks}
    got = decode(rmap, blocks)
    assert got.voltage_v == pytest.approx(values.voltage_v)
    assert got.current_a == pytest.approx(values.current_a)
    assert got.total_power_w == pytest.approx(values.total_power_w)
    assert got.energy_wh == pytest.approx(values.energy_wh)


def test_sdm_import_energy_is_read_from_0x0048_in_kwh():
    """Total *import* kWh is 0x0048 (0x0156 is import plus export)."""
    assert SDM630.energy_import.address == 0x0048
    assert SDM630.energy_import.scale == 1000.0
    assert SDM120.function == 4 and ABB_B23.function == 3


def test_a_nan_register_is_rejected_not_reported():
    blocks = {0x0000: [0x7FC0, 0] * 7, 0x0046: [0x4248, 0, 0x4248, 0]}
    with pytest.raises(ValueError, match="no number"):
        decode(SDM120, blocks)


def test_emulator_answers_a_wrong_function_with_illegal_function_and_ignores_other_ids():
    emu = MeterEmulator(SDM630, device_id=7)
    holding = with_crc(bytes.fromhex("070300000002"))
    reply = emu.feed(holding)
    assert reply == [with_crc(bytes([7, 0x83, 0x01]))]
    assert emu.feed(with_crc(bytes.fromhex("010400000002"))) == []
    # Noise before a request is skipped; the request behind it is still answered.
    replies = emu.feed(b"\x55\xaa\x13" + with_crc(bytes.fromhex("070400000002")))
    assert len(replies) == 1 and replies[0][:3] == bytes([7, 4, 4])


def test_driver_settings_parse_from_a_device_spec():
    spec = parse_device_spec("sdm630:/dev/ttyUSB3,device_id=12,baudrate=19200,parity=E")
    assert spec.options == {"device_id": 12, "baudrate": "19200", "parity": "E"}
    with pytest.raises(ValueError, match="maximum"):
        parse_device_spec("sdm120:/dev/ttyUSB3,device_id=300")
    assert driver_class("abb-b23").role == "meter"
    assert {s.key for s in driver_class("sdm120").settings} >= {"device_id", "baudrate", "parity"}


# ------------------------------------------------------------------ over a pty
@pytest.fixture
def station() -> Station:
    return build_station("CP-MB", "ac-11kw", SystemClock(speed=1.0))


@pytest.fixture
async def emulators() -> AsyncIterator[list[MeterEmulator]]:
    made: list[MeterEmulator] = []
    yield made
    for emu in made:
        await emu.stop()


async def attach(
    name: str, station: Station, emulators: list[MeterEmulator], **options: Any
) -> tuple[ModbusMeter, MeterEmulator]:
    emu = MeterEmulator(MAPS[name], device_id=options.get("device_id", 1))
    emulators.append(emu)
    path = await emu.start()
    driver = create(parse_device_spec(f"{name}:{path}"), station.clock)
    driver.options.update({**FAST, **options})
    assert isinstance(driver, ModbusMeter)
    await driver.attach(station, 1)
    return driver, emu


@pytest.mark.parametrize("name", ["sdm630", "sdm120", "abb-b23"])
async def test_meter_readings_become_the_connectors_meter_of_record(
    name: str, station: Station, emulators: list[MeterEmulator]
):
    # A pty takes no parity setting, so the B23's even parity is turned off here.
    driver, emu = await attach(name, station, emulators, device_id=5, parity="N")
    try:
        emu.set_load(16.0)
        emu.set_energy_kwh(1234.5)
        meter = station.connector(1).meter
        await wait_until(
            lambda: meter.external is not None and meter.current_a[0] == pytest.approx(16.0),
            what="a reading",
        )
        assert meter.energy_wh == pytest.approx(1_234_500.0, abs=50.0)
        assert 225.0 < meter.voltage_v[0] < 235.0
        expected_phases = MAPS[name].phases
        assert meter.power_w == pytest.approx(
            16.0 * sum(meter.voltage_v[:expected_phases]), rel=0.02
        )
        assert driver.health.connected and driver.health.frames >= len(MAPS[name].blocks)
        emu.set_load(6.0)
        await wait_until(lambda: meter.current_a[0] == pytest.approx(6.0), what="the load change")
    finally:
        await driver.detach()
    assert station.connector(1).meter.external is None


async def test_a_silent_meter_raises_power_meter_failure_and_recovers(
    station: Station, emulators: list[MeterEmulator]
):
    """1.6 §7.6: a meter that stops answering is PowerMeterFailure; it clears when it answers."""
    driver, emu = await attach("sdm630", station, emulators)
    connector = station.connector(1)
    try:
        await wait_until(lambda: driver.health.connected, what="connected")
        emu.muted = True
        await wait_until(lambda: connector.fault is not None, what="the fault")
        assert connector.fault.error_code == "PowerMeterFailure"
        assert driver.health.timeouts >= 2 and not driver.health.connected
        emu.muted = False
        await wait_until(lambda: connector.fault is None, what="the fault to clear")
        assert driver.health.connected
    finally:
        await driver.detach()


async def test_a_pulled_adapter_is_a_fault_and_a_replug_recovers_without_restart(
    station: Station, emulators: list[MeterEmulator], tmp_path
):
    emu = MeterEmulator(SDM630, link_path=str(tmp_path / "ttyMETER"))
    emulators.append(emu)
    path = await emu.start()
    driver = create(parse_device_spec(f"sdm630:{path}"), station.clock)
    driver.options.update(FAST)
    health: list[HealthChanged] = []
    driver.events.subscribe(health.append)
    await driver.attach(station, 1)
    connector = station.connector(1)
    try:
        emu.set_load(10.0)
        await wait_until(lambda: connector.meter.external is not None, what="a reading")
        emu.unplug()
        await wait_until(lambda: connector.fault is not None, what="the fault")
        assert connector.fault.error_code == "PowerMeterFailure"
        emu.replug()
        await wait_until(lambda: connector.fault is None, what="recovery")
        assert any(not h.health.connected for h in health) and health[-1].health.connected
    finally:
        await driver.detach()


async def test_bad_crc_replies_and_garbage_are_counted_and_survived(
    station: Station, emulators: list[MeterEmulator]
):
    driver, emu = await attach("sdm120", station, emulators, fail_after=50)
    connector = station.connector(1)
    try:
        await wait_until(lambda: driver.health.connected, what="connected")
        emu.command("crc")
        await wait_until(lambda: driver.health.checksum_errors >= 1, what="a checksum error")
        emu.command("garbage")
        frames = driver.health.frames
        await wait_until(lambda: driver.health.frames > frames + 4, what="polling going on")
        assert connector.fault is None  # a single bad frame is not a lost meter
        assert math.isfinite(connector.meter.energy_wh)
    finally:
        await driver.detach()
