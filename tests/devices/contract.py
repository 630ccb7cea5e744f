"""The contract every device driver keeps (ARCHITECTURE rule 5), run against every driver.

Cases:

* the driver describes itself: name, role, title, settings whose defaults parse;
* ``parse_device_spec`` types its options with the driver's own settings;
* attaching to an absent port returns at once, reports "disconnected" and keeps
  retrying (hot-plug); detaching undoes what attaching did to the model;
* against the device (its emulator over a real pty, or real hardware) the link
  comes up within ``WAIT`` seconds and a ``HealthChanged`` is emitted.

Emulators register here with ``@emulator_for(name)``: an async context manager
factory taking ``tmp_path`` and yielding the port path. Helper modules add theirs
(``tests/devices/contract_cases_6b.py``); ``test_contract.py`` runs the cases.

Real hardware: ``OCPP_BENCH_HW_PORT=/dev/ttyUSB0 OCPP_BENCH_HW_DRIVER=openevse``
(optionally ``OCPP_BENCH_HW_OPTIONS="baudrate=115200,device_id=2"``) runs the
connect case against that port; otherwise the hardware case skips.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from bench.devices.base import ROLES, SETTING_KINDS, DeviceDriver, HealthChanged
from bench.devices.registry import create, parse_device_spec
from bench.model.clock import SystemClock
from bench.model.templates import build_station
from tests.devices.openevse_support import FAST, emulated_openevse
from tests.waiting import wait_until

WAIT = 5.0
HW_PORT = os.environ.get("OCPP_BENCH_HW_PORT")
HW_DRIVER = os.environ.get("OCPP_BENCH_HW_DRIVER")
HW_OPTIONS = os.environ.get("OCPP_BENCH_HW_OPTIONS", "")

EmulatorFactory = Callable[[Path], AbstractAsyncContextManager[str]]
EMULATORS: dict[str, EmulatorFactory] = {}
# Options that make a driver quick enough for tests (short polls and retries).
FAST_OPTIONS: dict[str, dict[str, Any]] = {}


def emulator_for(*names: str, fast: dict[str, Any] | None = None):
    """Register an emulator factory for the drivers ``names`` (and their quick options)."""

    def deco(factory: EmulatorFactory) -> EmulatorFactory:
        for name in names:
            EMULATORS[name] = factory
            if fast:
                FAST_OPTIONS[name] = dict(fast)
        return factory

    return deco


@emulator_for("openevse", fast=FAST)
@contextlib.asynccontextmanager
async def _openevse(tmp_path: Path) -> AsyncIterator[str]:
    async with emulated_openevse(tmp_path) as (link, _emulator):
        yield link.path


def _fast(cls: type[DeviceDriver]) -> dict[str, Any]:
    known = {s.key for s in cls.settings}
    return {k: v for k, v in FAST_OPTIONS.get(cls.name, {}).items() if k in known}


# ---------------------------------------------------------------- cases
def check_describes_itself(cls: type[DeviceDriver]) -> None:
    assert isinstance(cls.name, str) and cls.name, cls
    assert cls.role in ROLES, cls
    assert isinstance(cls.title, str) and cls.title, cls
    keys = [s.key for s in cls.settings]
    assert len(keys) == len(set(keys)), f"{cls.name}: duplicate setting keys"
    for s in cls.settings:
        assert s.kind in SETTING_KINDS and s.label, (cls.name, s)
        if s.default is not None:
            text = ("yes" if s.default else "no") if s.kind == "bool" else str(s.default)
            assert s.parse(text) == s.default, (cls.name, s.key)


def check_spec_parses(cls: type[DeviceDriver]) -> None:
    pairs = [
        f"{s.key}={('yes' if s.default else 'no') if s.kind == 'bool' else s.default}"
        for s in cls.settings
        if s.default is not None and s.default != ""
    ]
    spec = parse_device_spec(",".join([f"{cls.name}:/dev/ttyFAKE0", *pairs]))
    assert spec.name == cls.name and spec.port == "/dev/ttyFAKE0"
    for s in cls.settings:
        if s.key in spec.options:
            assert spec.options[s.key] == s.default


async def check_absent_port(cls: type[DeviceDriver], tmp_path: Path) -> None:
    station = build_station("CT1", "ac-11kw", SystemClock())
    spec = parse_device_spec(f"{cls.name}:{tmp_path / 'no-such-tty'}")
    driver = create(spec, station.clock)
    driver.options.update(_fast(cls))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await driver.attach(station, 1)
    try:
        assert loop.time() - started < 1.0, "attach must not wait for the device"
        # The driver tries the port in the background and says why it failed.
        await wait_until(lambda: driver.health.detail, what="a failed open reported")
        assert not driver.health.connected
    finally:
        await driver.detach()
    connector = station.connector(1)
    assert driver not in station.devices
    assert connector.hardware is None
    assert connector.fault is None and station.fault is None
    assert connector.meter.external is None


async def check_connects(cls: type[DeviceDriver], port: str, options: dict[str, Any]) -> None:
    station = build_station("CT2", "ac-11kw", SystemClock())
    driver = create(parse_device_spec(f"{cls.name}:{port}"), station.clock)
    driver.options.update(_fast(cls))
    driver.options.update(options)
    seen: list[HealthChanged] = []
    driver.events.subscribe(seen.append)
    await driver.attach(station, 1)
    try:
        assert driver in station.devices
        await wait_until(lambda: driver.health.connected, WAIT, f"{cls.name} link up")
        await wait_until(lambda: any(e.health.connected for e in seen), WAIT, "HealthChanged")
        assert station.connector(1).fault is None
    finally:
        await driver.detach()
    assert driver not in station.devices


def hardware_options() -> dict[str, Any]:
    if not HW_DRIVER:
        return {}
    spec = parse_device_spec(f"{HW_DRIVER}:{HW_PORT}" + (f",{HW_OPTIONS}" if HW_OPTIONS else ""))
    return spec.options
