"""The OpenEVSE driver against the emulated controller over a real pty."""

from __future__ import annotations

import pytest

from bench.devices.serial.openevse import CONTROLLER_LOST, STATE_FAULTS
from tests.devices.openevse_support import openevse_rig
from tests.waiting import wait_until


async def test_plugging_the_ev_at_the_controller_plugs_a_physical_ev_into_the_connector(tmp_path):
    async with openevse_rig(tmp_path) as rig:
        await wait_until(lambda: rig.driver.health.connected, what="link up")
        assert rig.connector.physical and rig.connector.hardware is rig.driver
        rig.emulator.plug()
        await wait_until(lambda: rig.connector.plugged, what="plugged")
        assert rig.connector.ev is not None and rig.connector.ev.spec.name == "family-ev"
        rig.emulator.unplug()
        await wait_until(lambda: not rig.connector.plugged, what="unplugged")


async def test_without_a_transaction_the_controller_is_auth_locked_and_a_transaction_unlocks_it(
    tmp_path,
):
    async with openevse_rig(tmp_path) as rig:
        rig.emulator.plug(ev_max_amps=16)
        await wait_until(lambda: rig.connector.plugged)
        await wait_until(lambda: rig.emulator.auth_locked and not rig.emulator.sleeping)
        assert rig.emulator.current_a == 0
        rig.connector.begin_transaction("TAG1", 0, rig.station.clock.now())
        await wait_until(lambda: rig.emulator.current_a > 0, what="controller charging")
        await wait_until(lambda: rig.connector.meter.current_a[0] > 0, what="metered current")
        rig.connector.end_transaction()
        await wait_until(lambda: rig.emulator.auth_locked and rig.emulator.current_a == 0)


async def test_a_smart_charging_limit_goes_out_as_a_volatile_set_current(tmp_path):
    async with openevse_rig(tmp_path) as rig:
        rig.emulator.plug(ev_max_amps=32)
        await wait_until(lambda: rig.connector.plugged)
        rig.connector.begin_transaction("TAG1", 0, rig.station.clock.now())
        rig.connector.set_limit(10, "TxProfile")
        await wait_until(lambda: rig.emulator.capacity == 10, what="$SC 10")
        assert any(f.code == "SC" and f.params == ("10", "V") for f in rig.emulator.received)
        assert rig.emulator.eeprom_writes == 0
        await wait_until(lambda: abs(rig.connector.meter.current_a[0] - 10) < 0.01)
        rig.connector.set_limit(0, "TxProfile")  # below 6 A: the controller sleeps
        await wait_until(lambda: rig.emulator.sleeping and rig.emulator.current_a == 0)


@pytest.mark.parametrize(
    "name, code",
    [
        ("gfci", "GroundFailure"),
        ("over-current", "OverCurrentFailure"),
        ("stuck-relay", "PowerSwitchFailure"),
        ("over-temp", "HighTemperature"),
        ("diode", "EVCommunicationError"),
    ],
)
async def test_controller_fault_states_become_connector_faults_and_clear(tmp_path, name, code):
    """1.6 §7.6: each EVSE fault state reports its ChargePointErrorCode."""
    async with openevse_rig(tmp_path) as rig:
        await wait_until(lambda: rig.driver.health.connected)
        rig.emulator.fault(name)
        await wait_until(lambda: rig.connector.fault is not None, what="fault")
        assert rig.connector.fault.error_code == code
        assert rig.connector.fault in STATE_FAULTS.values()
        rig.emulator.clear()
        await wait_until(lambda: rig.connector.fault is None, what="fault cleared")


async def test_the_meter_of_record_reads_energy_and_temperature_from_the_controller(tmp_path):
    async with openevse_rig(tmp_path) as rig:
        rig.emulator.wh_accumulated = 5000
        rig.emulator.plug(ev_max_amps=16)
        await wait_until(lambda: rig.connector.meter.external.temperature_c is not None)
        assert rig.connector.meter.energy_wh == pytest.approx(5000, abs=1)
        assert rig.connector.meter.temperature_c == pytest.approx(24.5)
        assert rig.connector.meter.voltage_v[0] == pytest.approx(230.0)
        rig.connector.begin_transaction("TAG1", 5000, rig.station.clock.now())
        await wait_until(lambda: rig.connector.meter.energy_wh > 5000.01, what="energy rising")


async def test_unplugging_the_usb_device_raises_internal_error_and_replugging_recovers(tmp_path):
    """1.6 §7.6 InternalError while the controller is gone; cleared when it answers again."""
    async with openevse_rig(tmp_path) as rig:
        rig.emulator.plug()
        await wait_until(lambda: rig.connector.plugged and rig.driver.health.connected)
        rig.emulator.unplug_usb()
        await wait_until(lambda: rig.connector.fault is CONTROLLER_LOST, what="controller lost")
        assert rig.connector.fault.error_code == "InternalError"
        assert not rig.driver.health.connected
        rig.emulator.unplug()  # changed while the link was down: re-sync must see it
        rig.emulator.replug_usb()
        await wait_until(lambda: rig.connector.fault is None, what="recovered")
        await wait_until(lambda: not rig.connector.plugged, what="state re-synced")
        assert rig.driver.health.connected


async def test_an_absent_port_at_attach_keeps_retrying_until_the_device_appears(tmp_path):
    async with openevse_rig(tmp_path) as rig:
        await wait_until(lambda: rig.driver.health.connected)
        rig.emulator.unplug_usb()
        await wait_until(lambda: not rig.driver.health.connected)
        # Detach and re-attach while the device is absent: attach returns at once.
        await rig.driver.detach()
        assert rig.connector.fault is None and not rig.connector.physical
        await rig.driver.attach(rig.station, 1)
        await wait_until(lambda: rig.connector.fault is CONTROLLER_LOST)
        rig.emulator.replug_usb()
        await wait_until(lambda: rig.driver.health.connected and rig.connector.fault is None)


async def test_garbage_and_bad_checksums_on_the_line_are_counted_and_survived(tmp_path):
    async with openevse_rig(tmp_path) as rig:
        await wait_until(lambda: rig.driver.health.connected)
        rig.link.write(b"\x00\xffnoise\r$AT 01 01 16 0200^00\r" + b"z" * 300)
        await wait_until(
            lambda: rig.driver.health.checksum_errors >= 1 and rig.driver.health.corrupt >= 2
        )
        rig.emulator.plug()
        await wait_until(lambda: rig.connector.plugged, what="still working")


async def test_the_safety_heartbeat_is_configured_once_and_pulsed(tmp_path):
    async with openevse_rig(tmp_path, heartbeat=3, **{"heartbeat-current": 0}) as rig:
        await wait_until(lambda: rig.emulator.hb_interval == 3, what="$SY 3 0")
        await wait_until(
            lambda: sum(1 for f in rig.emulator.received if f.code == "SY" and not f.params) >= 1,
            timeout=3.0,
            what="a pulse",
        )
        setups = [f for f in rig.emulator.received if f.code == "SY" and len(f.params) == 2]
        assert len(setups) == 1
