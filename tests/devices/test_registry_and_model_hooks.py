"""The shared device interface: settings, the registry, specs, and the model's hardware hooks."""

from __future__ import annotations

import asyncio
import os

import pytest

from bench.devices.base import Setting
from bench.devices.cli import EMULATOR_MODULES, device_specs
from bench.devices.emulators.pty import PtyClosed, PtyLink
from bench.devices.registry import DeviceSpec, driver_class, drivers, parse_device_spec
from bench.model.clock import ManualClock
from bench.model.meter import MeterReading
from bench.model.templates import build_station


def test_settings_parse_typed_values_and_explain_bad_ones():
    amps = Setting("amps", "Amps", "int", 16, minimum=6, maximum=32)
    assert amps.parse(" 10 ") == 10
    with pytest.raises(ValueError, match="below the minimum"):
        amps.parse("5")
    with pytest.raises(ValueError, match="whole number"):
        amps.parse("ten")
    assert Setting("on", "On", "bool").parse("Yes") is True
    with pytest.raises(ValueError, match="one of a, b"):
        Setting("c", "C", "choice", choices=("a", "b")).parse("z")


def test_a_device_spec_names_driver_port_and_typed_options():
    spec = parse_device_spec("openevse:serial:A10K3J2Q,baudrate=38400,meter=no")
    assert spec == DeviceSpec("openevse", "serial:A10K3J2Q", {"baudrate": 38400, "meter": False})
    with pytest.raises(ValueError, match="unknown setting 'speed'"):
        parse_device_spec("openevse:/dev/ttyUSB0,speed=3")
    with pytest.raises(ValueError, match="DRIVER:PORT"):
        parse_device_spec("openevse")
    with pytest.raises(KeyError, match=r"known drivers: .*openevse"):
        driver_class("nope")


def test_drivers_are_listed_by_role():
    assert driver_class("openevse") in drivers("station")
    assert all(cls.role == "meter" for cls in drivers("meter"))


def test_run_options_only_take_drivers_of_their_role():
    class Args:
        device = ["openevse:/dev/ttyUSB0"]
        meter = []
        rfid = []

    assert [s.name for s in device_specs(Args())] == ["openevse"]
    Args.meter = ["openevse:/dev/ttyUSB1"]
    with pytest.raises(ValueError, match="--meter openevse: that driver is a station driver"):
        device_specs(Args())


def test_every_emulate_kind_names_an_emulator_module():
    assert set(EMULATOR_MODULES) >= {"openevse", "sdm630", "rfid", "line"}


def test_an_external_meter_replaces_the_physics_and_a_lost_one_raises_power_meter_failure():
    """1.6 §7.6 PowerMeterFailure while the meter of record is lost; cleared by a reading."""
    clock = ManualClock()
    station = build_station("M1", "ac-11kw", clock)
    connector = station.connector(1)
    meter = connector.meter
    meter.set_external(MeterReading([231.0], [10.0], 2310.0, None, 0.0))
    assert meter.voltage_v[0] == 231.0 and meter.current_a == [10.0, 0.0, 0.0]
    clock.advance(3600)
    station.tick()
    assert meter.energy_wh == pytest.approx(2310.0)  # integrated from power: no register given
    meter.set_external(MeterReading([230.0], [0.0], 0.0, 12345.0, 3600.0))
    assert meter.energy_wh == 12345.0  # the real register is authoritative
    meter.external_failed("no reply")
    assert connector.fault is not None and connector.fault.error_code == "PowerMeterFailure"
    meter.set_external(MeterReading([230.0], [0.0], 0.0, 12345.0, 3601.0))
    assert connector.fault is None
    meter.set_external(None)
    assert meter.external is None


def _linked(path: str) -> bool:
    return os.path.islink(path)


async def test_a_pty_link_vanishes_on_unplug_and_comes_back_behind_the_same_path(tmp_path):
    link = PtyLink(tmp_path / "ttyX")
    path = link.open()
    try:
        assert _linked(path)
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        os.write(fd, b"hello")
        assert await asyncio.wait_for(link.read(), 2.0) == b"hello"
        link.write(b"back")
        assert os.read(fd, 10) == b"back"
        link.unplug()
        assert not _linked(path)
        try:  # the driver's side breaks (EIO or end of file), as a pulled USB adapter does
            assert os.read(fd, 10) == b""
        except OSError:
            pass
        os.close(fd)
        with pytest.raises(PtyClosed):
            await link.read()
        link.replug()
        assert _linked(path) and link.plugged
    finally:
        link.close()


def test_a_device_spec_may_name_the_connector_it_belongs_to():
    spec = parse_device_spec("sdm120:/dev/ttyUSB3,device_id=4,connector=2")
    assert spec.connector == 2 and spec.options == {"device_id": 4}
    assert str(spec).endswith(",connector=2")
    assert parse_device_spec(str(spec)) == spec
    with pytest.raises(ValueError, match="connector must be a number from 1"):
        parse_device_spec("sdm120:/dev/ttyUSB3,connector=0")


async def test_each_device_goes_to_its_connector_and_a_meter_only_overrides_its_own():
    """A dual station: a controller and a meter per connector; a meter of record on
    connector 2 leaves connector 1's controller reading its own meter."""
    from bench.devices.binding import attach_all, build_drivers, detach_all

    station = build_station("DUAL", "ac-22kw-dual", ManualClock())
    specs = [
        parse_device_spec("openevse:/tmp/none-a"),
        parse_device_spec("openevse:/tmp/none-b,connector=2"),
        parse_device_spec("sdm630:/tmp/none-c,connector=2"),
    ]
    controller_1, controller_2, meter_2 = build_drivers(specs, station.clock)
    assert controller_1.options["meter"] is True
    assert controller_2.options["meter"] is False
    await attach_all([controller_1, controller_2, meter_2], station)
    try:
        assert station.connector(1).hardware is controller_1
        assert station.connector(2).hardware is controller_2
    finally:
        await detach_all([controller_1, controller_2, meter_2])
    single = build_station("ONE", "ac-11kw", ManualClock())
    with pytest.raises(ValueError, match="connector 2 does not exist"):
        await attach_all(build_drivers([specs[1]], single.clock), single)
