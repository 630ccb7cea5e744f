"""Shared helpers for the OpenEVSE tests: an emulator on a real pty and a station it drives."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.devices.emulators.openevse import OpenEvseEmulator
from bench.devices.emulators.pty import PtyLink
from bench.devices.serial.openevse import OpenEvseDriver
from bench.model.clock import SystemClock
from bench.model.station import Station
from bench.model.templates import build_station

WAIT = 5.0  # real seconds any one condition may take

FAST = {"poll": 0.05, "timeout": 0.3, "retry": 0.05, "heartbeat": 0}


@dataclass
class Rig:
    emulator: OpenEvseEmulator
    driver: OpenEvseDriver
    station: Station
    link: PtyLink

    @property
    def connector(self):
        return self.station.connector(1)


@contextlib.asynccontextmanager
async def emulated_openevse(
    tmp_path: Path, **emulator_kw: Any
) -> AsyncIterator[tuple[PtyLink, OpenEvseEmulator]]:
    """An emulated controller behind a symlink in ``tmp_path`` (so its path survives re-plug)."""
    link = PtyLink(tmp_path / "ttyOPENEVSE")
    link.open()
    emulator = OpenEvseEmulator(link, **emulator_kw)
    task = asyncio.get_running_loop().create_task(emulator.serve(), name="openevse-emulator")
    try:
        yield link, emulator
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        link.close()


@contextlib.asynccontextmanager
async def openevse_rig(
    tmp_path: Path, station: Station | None = None, **options: Any
) -> AsyncIterator[Rig]:
    """Emulator + driver attached to ``station`` (a fresh single-connector one by default)."""
    async with emulated_openevse(tmp_path) as (link, emulator):
        if station is None:
            station = build_station("HW1", "ac-11kw", SystemClock())
        driver = OpenEvseDriver(link.path, {**FAST, **options}, clock=station.clock)
        await driver.attach(station, 1)
        try:
            yield Rig(emulator, driver, station, link)
        finally:
            await driver.detach()
