"""An emulated OpenEVSE attached as a station, against the built-in CSMS (issue 6, "Done means").

Everything is real: the controller emulator answers RAPI on a pseudo-terminal,
the driver opens the pty's path as it would open /dev/ttyUSB0, the station
talks OCPP-J 1.6 over a loopback WebSocket to the built-in CSMS.
"""

from __future__ import annotations

from typing import Any

from bench.devices.serial.openevse import OpenEvseDriver
from tests.devices.openevse_support import FAST, emulated_openevse
from tests.e2e.conftest import WAIT, csms, make_cp, make_csms, status_sent, wait_until
from tests.e2e.smart_support import periodic, profile, readings

__all__ = ["csms", "make_cp", "make_csms"]  # fixtures shared with the e2e suite

METER_KEYS = {
    "MeterValueSampleInterval": "10",
    "MeterValuesSampledData": "Current.Import,Energy.Active.Import.Register",
}


async def _sample_with_current(csms: Any, amps: float) -> dict[str, Any]:
    """The first periodic MeterValues.req whose L1 current is ``amps`` (within 0.05 A)."""
    for _ in range(100):
        msg = await csms.wait_for_message("CP1", "MeterValues", periodic, WAIT)
        values = readings(msg, "Current.Import")
        if values and abs(max(values) - amps) < 0.05:
            return msg
    raise AssertionError(f"no MeterValues with {amps} A")


async def test_emulated_openevse_is_a_physical_station_from_plug_to_limit_to_usb_loss(
    csms, make_cp, tmp_path
):
    """1.6 §4.9 Preparing on plug-in; §4.1/§5.11 an accepted card starts the transaction and
    the controller is enabled; §5.16 SetChargingProfile 10 A reaches the controller as
    ``$SC 10 V`` and §4.7 MeterValues follow; §7.6 InternalError (Faulted) while the USB
    device is gone, Charging again once it is back."""
    async with emulated_openevse(tmp_path) as (link, emulator):
        cp = await make_cp(csms.url, keys=METER_KEYS, start=False)
        driver = OpenEvseDriver(link.path, dict(FAST), clock=cp.clock)
        await driver.attach(cp.station, 1)
        try:
            await cp.start()
            await cp.wait_accepted(WAIT)
            await wait_until(lambda: driver.health.connected, what="RAPI link up")
            assert emulator.auth_locked  # no transaction: the EV may plug in, not charge

            emulator.plug(ev_max_amps=32)
            await status_sent(csms, "Preparing")

            cp.present_id("TAG1", 1)  # the card read
            await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
            await wait_until(
                lambda: not emulator.auth_locked and not emulator.sleeping, what="enabled"
            )
            await status_sent(csms, "Charging")
            tx = cp.station.connector(1).transaction
            await wait_until(lambda: tx.protocol_id is not None, what="the transactionId")

            reply = await csms.set_charging_profile(
                "CP1", 1, profile(12, limits=[(0, 10)], transactionId=tx.protocol_id)
            )
            assert reply == {"status": "Accepted"}
            await wait_until(
                lambda: any(f.code == "SC" and f.params == ("10", "V") for f in emulator.received),
                what="$SC 10 V at the controller",
            )
            assert emulator.eeprom_writes == 0  # volatile: smart charging wears no EEPROM
            await wait_until(lambda: emulator.current_a == 10, what="the EV draws 10 A")
            await _sample_with_current(csms, 10.0)

            emulator.unplug_usb()
            faulted = await status_sent(csms, "Faulted")
            assert faulted["errorCode"] == "InternalError"
            emulator.replug_usb()
            await wait_until(
                lambda: driver.health.connected and cp.station.connector(1).fault is None,
                what="the controller back",
            )
            await status_sent(csms, "Charging")
            statuses = [
                r.payload["status"]
                for r in cp.session.sink.sent("CALL", "StatusNotification")
                if r.payload["connectorId"] == 1
            ]
            # SuspendedEVSE between the start and the controller closing its relay is real.
            assert statuses.index("SuspendedEVSE") == statuses.index("Preparing") + 1, statuses
            assert statuses[-2:] == ["Faulted", "Charging"], statuses
            await _sample_with_current(csms, 10.0)
        finally:
            await driver.detach()


async def test_a_station_run_attaches_its_devices_around_start_and_stop(csms, tmp_path):
    """``ocpp-bench run --device openevse:PORT``: the run's station is driven by the hardware."""
    from bench.devices.registry import parse_device_spec
    from bench.runtime import StationOptions, StationRun

    async with emulated_openevse(tmp_path) as (link, emulator):
        spec = parse_device_spec(f"openevse:{link.path},poll=0.05,timeout=0.3,retry=0.05")
        run = StationRun(
            StationOptions(
                csms_url=csms.url,
                station_id="CP1",
                db=str(tmp_path / "run.db"),
                devices=[spec],
            )
        )
        await run.start()
        try:
            await run.cp.wait_accepted(WAIT)
            (driver,) = run.devices
            assert run.station.connector(1).hardware is driver
            emulator.plug()
            await status_sent(csms, "Preparing")
        finally:
            await run.stop()
        assert run.station.devices == () and run.station.connector(1).hardware is None
