"""The driver contract (tests/devices/contract.py) for every registered driver."""

from __future__ import annotations

import importlib

import pytest

from bench.devices.registry import driver_class, drivers
from tests.devices import contract

try:  # more emulators, registered by the other drivers' tests when present
    importlib.import_module("tests.devices.contract_cases_6b")
except ModuleNotFoundError as exc:
    if exc.name != "tests.devices.contract_cases_6b":
        raise

NAMES = [cls.name for cls in drivers()]


def test_every_driver_of_the_issue_is_registered():
    assert "openevse" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_driver_describes_itself_and_its_settings_parse(name):
    contract.check_describes_itself(driver_class(name))


@pytest.mark.parametrize("name", NAMES)
def test_device_spec_options_are_typed_by_the_drivers_settings(name):
    contract.check_spec_parses(driver_class(name))


@pytest.mark.parametrize("name", NAMES)
async def test_attach_to_an_absent_port_returns_at_once_and_detach_undoes_it(name, tmp_path):
    await contract.check_absent_port(driver_class(name), tmp_path)


@pytest.mark.parametrize("name", NAMES)
async def test_driver_links_up_with_its_emulator_over_a_real_pty(name, tmp_path):
    factory = contract.EMULATORS.get(name)
    if factory is None:
        pytest.skip(f"no emulator registered for {name} in tests/devices/contract.py")
    async with factory(tmp_path) as port:
        await contract.check_connects(driver_class(name), port, {})


@pytest.mark.skipif(
    not (contract.HW_PORT and contract.HW_DRIVER),
    reason="set OCPP_BENCH_HW_PORT and OCPP_BENCH_HW_DRIVER to run against real hardware",
)
async def test_driver_links_up_with_real_hardware():
    cls = driver_class(contract.HW_DRIVER or "")
    await contract.check_connects(cls, contract.HW_PORT or "", contract.hardware_options())
