"""Operations on hardware: the choices of "Attach hardware…" and creating a physical station.

Qt-free (ARCHITECTURE rule 8): the dialog collects widget values, these
functions turn them into ``DeviceSpec`` s exactly as the command line does
(``Setting.parse`` on the text of each value, so a range or a choice is checked
in one place) and ask the workspace for a station driven by that hardware.
Nothing here names a driver: everything comes from the registry (rule 6).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.devices.base import ROLES, DeviceDriver, Setting
from bench.devices.registry import DeviceSpec, driver_class, drivers
from bench.devices.serial.discovery import SERIAL_PREFIX, PortInfo, list_serial_ports
from bench.model.templates import load_station_template
from bench.workspace import STATION_OCPP_VERSIONS, Workspace
from ui.operations import OperationError
from ui.operations.stations import suggested_id

DEFAULT_TEMPLATE = "ac-11kw"
# How the dialog names each role's group of drivers.
ROLE_TITLES: dict[str, str] = {
    "station": "Charge controllers",
    "meter": "Energy meters",
    "rfid": "Card readers",
}


@dataclass(frozen=True, slots=True)
class NewPhysicalStation:
    """What the Attach hardware dialog asks for."""

    station_id: str
    devices: tuple[DeviceSpec, ...]
    profile: str
    template: str = DEFAULT_TEMPLATE
    ocpp_version: str = "1.6"
    ev_template: str = "family-ev"


# ------------------------------------------------------------ choices for the dialog
def drivers_by_role() -> list[tuple[str, list[type[DeviceDriver]]]]:
    """(role title, driver classes) for every role that has drivers, in ``ROLES`` order."""
    out = []
    for role in ROLES:
        found = drivers(role)
        if found:
            out.append((ROLE_TITLES.get(role, role), found))
    return out


def discovered_ports() -> list[PortInfo]:
    """The serial ports the OS reports now; OperationError when discovery itself fails."""
    try:
        return list_serial_ports()
    except OSError as exc:  # e.g. an unreadable /sys on a locked-down machine
        raise OperationError(f"Listing the serial ports failed: {exc}") from exc


def template_connectors(template: str | None) -> int | None:
    """How many connectors the station template has; None when it cannot be read (the
    template list already says why, and attaching it fails with the reason)."""
    if not template:
        return None
    try:
        return load_station_template(template).connectors
    except (OSError, ValueError):
        return None


def port_label(info: PortInfo) -> str:
    """``/dev/ttyUSB0 — 0403:6001 · serial A10K3J2Q · FT232R USB UART`` for the port list."""
    parts = [info.vid_pid]
    if info.serial_number:
        parts.append(f"serial {info.serial_number}")
    if info.description and info.description != "n/a":
        parts.append(info.description)
    return f"{info.device} — {' · '.join(parts)}"


def port_name(path: str, usb_serial: str | None = None) -> str:
    """The port as a driver takes it: ``serial:SN`` (found again after re-plug) or a path."""
    if usb_serial:
        return f"{SERIAL_PREFIX}{usb_serial.strip()}"
    path = path.strip()
    if not path:
        raise OperationError("Pick a serial port or type its path")
    return path


def setting_text(setting: Setting, value: Any) -> str:
    """``value`` as the command line would spell it (what ``Setting.parse`` reads)."""
    if setting.kind == "bool":
        return "yes" if value else "no"
    return repr(value) if isinstance(value, float) else str(value)


def device_spec(
    driver: str, port: str, values: Mapping[str, Any], connector: int = 1
) -> DeviceSpec:
    """A spec for ``driver`` on ``port`` (for ``connector``) with the settings that differ
    from the defaults.

    Every value goes through the driver's ``Setting.parse``, so a value the command
    line would refuse is refused here with the same message. Defaults are left out:
    the saved spec stays short and a later default change applies.
    """
    try:
        cls = driver_class(driver)
    except KeyError as exc:
        raise OperationError(str(exc.args[0])) from None
    by_key = {s.key: s for s in cls.settings}
    options: dict[str, Any] = {}
    for key, value in values.items():
        setting = by_key.get(key)
        if setting is None:
            raise OperationError(f"{cls.title} has no setting {key!r}")
        try:
            typed = setting.parse(setting_text(setting, value))
        except ValueError as exc:
            raise OperationError(f"{cls.title}: {exc}") from None
        if typed != setting.default:
            options[key] = typed
    if connector < 1:
        raise OperationError(f"{cls.title}: connector must be a number from 1")
    return DeviceSpec(driver, port, options, connector)


def check_devices(specs: Sequence[DeviceSpec], connectors: int | None = None) -> None:
    """One device per port; per connector at most one controller and one meter of record.

    With ``connectors`` (the template's count), a device meant for a connector the
    station lacks is refused here rather than when the station starts.
    """
    if not specs:
        raise OperationError("Pick the hardware to attach")
    ports = [spec.port for spec in specs]
    for port in ports:
        if ports.count(port) > 1:
            raise OperationError(f"Port {port} is named twice: each device needs its own port")
    if connectors is not None:
        for spec in specs:
            if not 1 <= spec.connector <= connectors:
                raise OperationError(
                    f"{spec.name} on {spec.port}: connector {spec.connector} does not exist "
                    f"(the station has {connectors})"
                )
    placed = [(driver_class(spec.name).role, spec.connector) for spec in specs]
    several = len({connector for _role, connector in placed}) > 1 or (connectors or 1) > 1
    for role, noun in (("station", "charge controller"), ("meter", "meter")):
        for connector in sorted({c for r, c in placed if r == role}):
            count = placed.count((role, connector))
            if count > 1:
                where = f"Connector {connector}" if several else "A station"
                raise OperationError(f"{where} has one {noun}; {count} were picked")


def suggested_station_id(driver: str, taken: Collection[str]) -> str:
    """``OPENEVSE-001`` for the first OpenEVSE, and so on."""
    return suggested_id(driver, taken)


# ------------------------------------------------------------ the operation
async def attach_hardware(workspace: Workspace, request: NewPhysicalStation) -> str:
    """Create the physical station of ``request`` and start it; returns its id.

    Hardware runs in real time, so the station's virtual-time speed is 1.
    """
    if request.ocpp_version not in STATION_OCPP_VERSIONS:
        raise OperationError(f"OCPP {request.ocpp_version} is not supported")
    station_id = request.station_id.strip()
    if not station_id:
        raise OperationError("Type a station id")
    if station_id in workspace.stations:
        raise OperationError(f"A station named {station_id!r} already exists")
    check_devices(request.devices, template_connectors(request.template))
    for spec in request.devices:
        user = workspace.port_user(spec.port)
        if user is not None:
            raise OperationError(f"Port {spec.port} is already attached to station {user}")
    workspace.profile(request.profile)  # an unknown profile fails before anything starts
    await workspace.add_station(
        station_id,
        request.template,
        ev_template=request.ev_template,
        profile=request.profile,
        speed=1.0,
        ocpp=request.ocpp_version,
        devices=request.devices,
    )
    return station_id
