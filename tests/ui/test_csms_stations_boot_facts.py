"""The console's connected-stations table shows Model and Firmware for both versions.

A 2.0.1 BootNotification nests them in ``chargingStation`` (B01.FR.01,
ChargingStationType: vendorName, model, firmwareVersion) where 1.6 has them at the
top (chargePointVendor, chargePointModel, firmwareVersion, 1.6 §6.2); the table
read only the 1.6 names and showed "—" for every 2.0.1 station.
"""

from __future__ import annotations

from bench.workspace import DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until
from ui.models.csms_stations import COLUMNS, boot_facts


def _row(console, station_id: str) -> dict[str, str]:
    model = console.stations
    row = model.station_ids().index(station_id)
    return {name: model.index(row, column).data() for column, name in enumerate(COLUMNS)}


async def test_a_2_0_1_station_shows_its_model_and_firmware_like_a_1_6_one(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as win:
        csms = await wait_until(lambda: win.workspace.csms, what="the built-in CSMS")
        await win.workspace.add_station("CS201", "ac-11kw", ocpp="2.0.1")
        await csms.wait_for_station("CS201", timeout=15, accepted=True)
        await csms.wait_for_station(DEMO_STATION_ID, timeout=15, accepted=True)
        console = await wait_until(lambda: win.csms_console, what="the console")
        console.refresh()
        v201, v16 = _row(console, "CS201"), _row(console, DEMO_STATION_ID)
        # The template (resources/stations/ac-11kw.json): OCPPBench WB-11, firmware 1.4.2.
        assert (v201["Model"], v201["Firmware"]) == ("OCPPBench WB-11", "1.4.2")
        assert (v16["Model"], v16["Firmware"]) == ("OCPPBench WB-11", "1.4.2")


def test_a_boot_without_the_optional_firmware_shows_a_dash():
    boot = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}
    assert boot_facts(boot) == ("V M", "—")
    assert boot_facts(None) == ("—", "—")
