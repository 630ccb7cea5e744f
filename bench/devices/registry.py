"""Drivers by name (ARCHITECTURE rule 5).

Driver modules register their class with ``@register`` when imported; importing
``bench.devices.serial`` imports every serial driver module, and the look-ups
here do that import on first use, so a caller never has to remember it.

A device is named on the command line as ``DRIVER:PORT[,key=value...]``, e.g.
``openevse:/dev/ttyUSB0,baudrate=115200`` or ``sdm630:serial:A10K3J2Q,device_id=2``
(the port may itself contain colons: only the first one separates the driver).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bench.devices.base import ROLES, DeviceDriver

if TYPE_CHECKING:
    from bench.model.clock import Clock

_DRIVERS: dict[str, type[DeviceDriver]] = {}
_T = TypeVar("_T", bound=type[DeviceDriver])
_loaded = False


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A driver name, a port and typed options: everything needed to create a driver."""

    name: str
    port: str
    options: dict[str, Any] = field(default_factory=dict)
    # Which connector of the station the device belongs to (``connector=N``): a dual
    # station can have a controller, meter and reader per connector.
    connector: int = 1

    def __str__(self) -> str:
        extra = "".join(f",{k}={v}" for k, v in self.options.items())
        where = f",connector={self.connector}" if self.connector != 1 else ""
        return f"{self.name}:{self.port}{extra}{where}"


def register(cls: _T) -> _T:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__} has no driver name")
    if getattr(cls, "role", None) not in ROLES:
        raise TypeError(f"{cls.__name__}: role must be one of {ROLES}")
    known = _DRIVERS.get(name)
    if known is not None and known is not cls:
        raise ValueError(f"driver name {name!r} is taken by {known.__qualname__}")
    _DRIVERS[name] = cls
    return cls


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        importlib.import_module("bench.devices.serial")


def driver_class(name: str) -> type[DeviceDriver]:
    """The driver class registered as ``name``; KeyError listing the known names otherwise."""
    _load()
    try:
        return _DRIVERS[name]
    except KeyError:
        known = ", ".join(sorted(_DRIVERS)) or "none"
        raise KeyError(f"unknown device driver {name!r}; known drivers: {known}") from None


def drivers(role: str | None = None) -> list[type[DeviceDriver]]:
    """Every registered driver class (of ``role`` when given), sorted by name."""
    _load()
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return [c for _, c in sorted(_DRIVERS.items()) if role is None or c.role == role]


def parse_device_spec(text: str) -> DeviceSpec:
    """``"openevse:/dev/ttyUSB0,baudrate=115200"`` -> DeviceSpec with options typed by the driver.

    ValueError (clear message) for a malformed spec, an unknown setting or a bad value;
    KeyError for an unknown driver.
    """
    head, *pairs = [part.strip() for part in text.split(",")]
    name, sep, port = head.partition(":")
    name, port = name.strip(), port.strip()
    if not sep or not name or not port:
        raise ValueError(f"device {text!r}: expected DRIVER:PORT[,key=value...]")
    cls = driver_class(name)
    by_key = {s.key: s for s in cls.settings}
    options: dict[str, Any] = {}
    connector = 1
    for pair in pairs:
        if not pair:
            continue
        key, eq, value = pair.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ValueError(f"device {text!r}: expected key=value, got {pair!r}")
        if key == "connector":  # where the device goes, not a driver setting
            if not value.strip().isdigit() or int(value) < 1:
                raise ValueError(f"device {text!r}: connector must be a number from 1")
            connector = int(value)
            continue
        setting = by_key.get(key)
        if setting is None:
            known = ", ".join(by_key) or "none"
            raise ValueError(f"{name}: unknown setting {key!r}; known settings: {known}")
        options[key] = setting.parse(value)
    return DeviceSpec(name, port, options, connector)


def create(spec: DeviceSpec, clock: Clock) -> DeviceDriver:
    """A new, unattached driver for ``spec``, to be attached to ``spec.connector``."""
    cls = driver_class(spec.name)
    driver = cls(spec.port, spec.options, clock=clock)
    driver.connector_id = spec.connector
    return driver
