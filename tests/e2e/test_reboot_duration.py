"""A reboot takes the template's boot duration of station time (issue 10: no instant reconnect).

Real chargers need seconds to come back after a Reset; one CSMS broke on a station
that reconnected 16 ms after it. The stations here run on a ``ManualClock``: the
station's time only moves when the test advances it, so the duration is checked
exactly on the station's clock and the test takes no real time waiting for it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bench.model.clock import ManualClock
from tests.e2e.conftest import CpFactory, sent, wait_until
from tests.e2e.v201.conftest import Cp201Factory
from tests.e2e.v201.conftest import make_cp201 as make_cp201  # the 2.0.1 fixture, here too
from ui.operations import station as station_ops

BOOT_SECONDS = 5.0


async def make_station(
    version: str, url: str, make_cp: CpFactory, make_cp201: Cp201Factory, **kw: Any
) -> Any:
    if version == "1.6":
        return await make_cp(url, "CP1", **kw)
    return await make_cp201(url, "CP1", **kw)


def boots(cp: Any) -> int:
    return len(sent(cp, "CALL", "BootNotification"))


async def ask_for_reboot(version: str, how: str, cp: Any, csms: Any) -> asyncio.Task | None:
    """Reboot ``cp`` the way ``how`` says; the app's Reboot runs as a task (it returns once
    the station is back, which here needs the test to move the clock)."""
    if how == "app":
        return asyncio.create_task(station_ops.reboot(cp))
    if version == "1.6":
        assert await csms.reset("CP1", how) == {"status": "Accepted"}
    else:
        assert (await csms.v201.reset("CP1", how))["status"] == "Accepted"
    return None


@pytest.mark.parametrize(
    ("version", "how"),
    [
        ("1.6", "Soft"),  # 1.6 §5.14
        ("1.6", "Hard"),
        ("1.6", "app"),
        ("2.0.1", "Immediate"),  # B11.FR.03/04
        ("2.0.1", "app"),
    ],
)
async def test_a_reboot_stays_dark_for_the_boot_duration_of_station_time(
    version: str, how: str, csms, make_cp, make_cp201
) -> None:
    clock = ManualClock()
    cp = await make_station(
        version, csms.url, make_cp, make_cp201, clock=clock, boot_seconds=BOOT_SECONDS
    )
    before = boots(cp)
    app = await ask_for_reboot(version, how, cp, csms)
    await wait_until(lambda: cp.powered_off_until is not None, what="the station to go dark")
    assert cp.powered_off_until == clock.monotonic() + BOOT_SECONDS
    assert not cp.station.powered and cp.link_state == "offline"
    clock.advance(BOOT_SECONDS - 1)
    for _ in range(20):
        await asyncio.sleep(0)  # loop turns for a station that would come back too early
    assert not cp.station.powered and boots(cp) == before
    clock.advance(1)
    await wait_until(lambda: cp.accepted and boots(cp) == before + 1, what="the boot after 5 s")
    if app is not None:
        await app


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_boot_duration_of_zero_reconnects_without_station_time_passing(
    version: str, csms, make_cp, make_cp201
) -> None:
    clock = ManualClock()
    cp = await make_station(version, csms.url, make_cp, make_cp201, clock=clock, boot_seconds=0)
    before = boots(cp)
    await station_ops.reboot(cp)
    await wait_until(lambda: cp.accepted and boots(cp) == before + 1, what="the boot")
    assert clock.monotonic() == 0.0
