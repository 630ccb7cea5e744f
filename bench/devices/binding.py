"""Attach a set of hardware drivers to one station: what makes a station physical.

A station-role driver (OpenEVSE, a line-protocol board) drives the connector's
state; a meter-role driver becomes the connector's meter of record; an
rfid-role driver presents cards. When both a controller and a separate meter
are attached, the separate meter wins: the controller's own readings are
switched off (its ``meter`` setting), unless the user set it explicitly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bench.devices.registry import DeviceSpec, create, driver_class

if TYPE_CHECKING:
    from bench.devices.base import DeviceDriver
    from bench.model.clock import Clock
    from bench.model.station import Station

log = logging.getLogger(__name__)


def build_drivers(specs: Sequence[DeviceSpec], clock: Clock) -> list[DeviceDriver]:
    """Unattached drivers for ``specs`` (KeyError/ValueError for bad names or options)."""
    roles = [driver_class(spec.name).role for spec in specs]
    # A separate meter is the meter of record of its own connector only.
    metered = {spec.connector for spec, role in zip(specs, roles, strict=True) if role == "meter"}
    drivers: list[DeviceDriver] = []
    for spec, role in zip(specs, roles, strict=True):
        driver = create(spec, clock)
        keys = {s.key for s in driver.settings}
        separate_meter = spec.connector in metered
        if separate_meter and role == "station" and "meter" in keys and "meter" not in spec.options:
            driver.options["meter"] = False
        drivers.append(driver)
    return drivers


def check_connectors(drivers: Sequence[DeviceDriver], station: Station) -> None:
    """ValueError naming the first driver meant for a connector the station lacks."""
    count = len(station.connectors)
    for driver in drivers:
        if not 1 <= driver.connector_id <= count:
            raise ValueError(
                f"{driver.name}:{driver.port}: connector {driver.connector_id} does not exist "
                f"(station {station.id} has {count})"
            )


async def attach_all(drivers: Sequence[DeviceDriver], station: Station) -> None:
    """Attach every driver to its connector (each returns at once, even with its device
    absent)."""
    check_connectors(drivers, station)
    done: list[DeviceDriver] = []
    try:
        for driver in drivers:
            await driver.attach(station, driver.connector_id)
            done.append(driver)
    except BaseException:
        await detach_all(done)
        raise


async def detach_all(drivers: Sequence[DeviceDriver]) -> None:
    """Detach in reverse order; one failing detach does not keep the others attached."""
    first: BaseException | None = None
    for driver in reversed(drivers):
        try:
            await driver.detach()
        except Exception as exc:
            log.error("detaching %r failed", driver, exc_info=exc)
            first = first or exc
    if first is not None:
        raise first
