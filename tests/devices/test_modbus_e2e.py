"""End to end: an emulated SDM630 on a pty is the meter of record of a 1.6 station, and its
readings reach the built-in CSMS in MeterValues (1.6 §3.16, §4.7)."""

from __future__ import annotations

import pytest

from bench.devices.emulators.modbus_meter import MeterEmulator
from bench.devices.registry import create, parse_device_spec
from bench.devices.serial.modbus_maps import SDM630
from tests.e2e.conftest import (  # noqa: F401  (fixtures used by name)
    WAIT,
    csms,
    make_cp,
    make_csms,
    start_charging,
    wait_until,
)


async def test_sdm630_readings_appear_in_meter_values_sent_to_the_csms(csms, make_cp):  # noqa: F811
    emulator = MeterEmulator(SDM630, device_id=3)
    # 13 A and a register far from zero: neither is what the simulation would report.
    emulator.set_load(13.0)
    emulator.set_energy_kwh(4321.0)
    path = await emulator.start()
    try:
        await _run(emulator, path, csms, make_cp)
    finally:
        await emulator.stop()


async def _run(emulator: MeterEmulator, path: str, csms, make_cp) -> None:  # noqa: F811
    cp = await make_cp(
        csms.url,
        keys={
            "MeterValueSampleInterval": "10",
            "MeterValuesSampledData": "Energy.Active.Import.Register,Current.Import,Voltage",
        },
    )
    meter = create(
        parse_device_spec(f"sdm630:{path},device_id=3,poll_interval=0.05,timeout=0.3"),
        cp.station.clock,
    )
    await meter.attach(cp.station, 1)
    try:
        connector = cp.station.connector(1)
        await wait_until(lambda: connector.meter.external is not None, what="the first reading")
        tx_id = await start_charging(cp, csms)
        sample = await csms.wait_for_message(
            "CP1",
            "MeterValues",
            lambda p: (
                p.get("transactionId") == tx_id
                and p["meterValue"][0]["sampledValue"][0].get("context") == "Sample.Periodic"
            ),
            WAIT,
        )
        values = sample["meterValue"][0]["sampledValue"]
        by = {(sv["measurand"], sv.get("phase")): float(sv["value"]) for sv in values}
        for phase in ("L1", "L2", "L3"):
            assert by[("Current.Import", phase)] == pytest.approx(13.0, abs=0.05)
            assert 225.0 <= by[("Voltage", f"{phase}-N")] <= 235.0
        assert by[("Energy.Active.Import.Register", None)] >= 4_321_000
        tx = connector.transaction
        assert tx is not None
        assert tx.meter_start_wh >= 4_321_000  # meterStart: the real register, not the simulation
    finally:
        await meter.detach()
