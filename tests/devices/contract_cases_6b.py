"""Emulators for the contract suite (tests/devices/contract.py): Modbus meters, RFID readers
and the line-protocol board, each on a real pty."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bench.devices.emulators.line import LineBoardEmulator
from bench.devices.emulators.modbus_meter import MeterEmulator
from bench.devices.emulators.rfid import RfidEmulator
from bench.devices.serial.modbus_maps import MAPS
from tests.devices.contract import emulator_for

MODBUS_FAST = {"poll_interval": 0.05, "timeout": 0.2, "fail_after": 2}


def _meter(name: str):
    # A pty accepts no parity setting, so the ABB B23's even parity is switched off here.
    @emulator_for(name, fast={**MODBUS_FAST, "parity": "N"})
    @contextlib.asynccontextmanager
    async def factory(tmp_path: Path) -> AsyncIterator[str]:
        emulator = MeterEmulator(MAPS[name], link_path=str(tmp_path / f"tty-{name}"))
        emulator.set_load(8.0)
        try:
            yield await emulator.start()
        finally:
            await emulator.stop()

    return factory


for _name in MAPS:
    _meter(_name)


def _reader(name: str, kind: str):
    @emulator_for(name)
    @contextlib.asynccontextmanager
    async def factory(tmp_path: Path) -> AsyncIterator[str]:
        emulator = RfidEmulator(kind, link_path=str(tmp_path / f"tty-{name}"))
        try:
            yield await emulator.start()
        finally:
            await emulator.stop()

    return factory


_reader("rfid-text", "text")
_reader("rdm6300", "rdm6300")


@emulator_for("line", fast={"keepalive": 0.2, "retry": 0.05})
@contextlib.asynccontextmanager
async def _line(tmp_path: Path) -> AsyncIterator[str]:
    board = LineBoardEmulator(
        meter_interval=0.1, keepalive=0.2, link_path=str(tmp_path / "tty-line")
    )
    try:
        yield await board.start()
    finally:
        await board.stop()
