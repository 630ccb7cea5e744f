"""The device commands of ``ocpp-bench`` (hooked into bench/cli.py).

ocpp-bench ports                      serial ports found: path, vid:pid, USB serial number
ocpp-bench emulate KIND [--link PATH] a device on a pseudo-terminal, with a control prompt
ocpp-bench run ... --device DRIVER:PORT[,k=v] --meter DRIVER:PORT[,device_id=N] --rfid DRIVER:PORT
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable, Sequence

from bench.devices.base import DeviceDriver
from bench.devices.registry import DeviceSpec, driver_class, drivers, parse_device_spec

# emulate KIND -> module in bench.devices.emulators (each has run_emulator(kind, link, prompt)).
EMULATOR_MODULES: dict[str, str] = {
    "openevse": "openevse",
    "sdm630": "modbus_meter",
    "sdm120": "modbus_meter",
    "abb-b23": "modbus_meter",
    "rfid": "rfid",
    "rdm6300": "rfid",
    "line": "line",
}
# Which role each run option accepts.
OPTION_ROLES = {"device": "station", "meter": "meter", "rfid": "rfid"}


def add_device_arguments(run: argparse.ArgumentParser) -> None:
    """--device/--meter/--rfid on ``ocpp-bench run``."""
    run.add_argument(
        "--device",
        action="append",
        default=[],
        metavar="DRIVER:PORT[,k=v]",
        help="hardware that drives the station, e.g. openevse:/dev/ttyUSB0 "
        "(repeatable; ,connector=N for a connector other than 1)",
    )
    run.add_argument(
        "--meter",
        action="append",
        default=[],
        metavar="DRIVER:PORT[,device_id=N]",
        help="meter of record, e.g. sdm630:/dev/ttyUSB1,device_id=2",
    )
    run.add_argument(
        "--rfid",
        action="append",
        default=[],
        metavar="DRIVER:PORT",
        help="card reader, e.g. rdm6300:/dev/ttyUSB2",
    )


def add_device_commands(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("ports", help="list the serial ports found (path, vid:pid, USB serial number)")
    emulate = sub.add_parser("emulate", help="emulate a device on a pseudo-terminal")
    emulate.add_argument("kind", choices=sorted(EMULATOR_MODULES), help="device to emulate")
    emulate.add_argument(
        "--link", metavar="PATH", help="also make PATH a symlink to the pty (stable across re-plug)"
    )
    emulate.add_argument("--no-prompt", action="store_true", help="serve without a control prompt")


def device_specs(args: argparse.Namespace) -> list[DeviceSpec]:
    """The run's device specs, checked against the option's role; ValueError with a clear line."""
    specs: list[DeviceSpec] = []
    for option, role in OPTION_ROLES.items():
        for text in getattr(args, option, None) or ():
            try:
                spec = parse_device_spec(text)
            except KeyError as exc:
                raise ValueError(str(exc.args[0])) from None
            actual = driver_class(spec.name).role
            if actual != role:
                fitting = ", ".join(c.name for c in drivers(role)) or "none"
                raise ValueError(
                    f"--{option} {spec.name}: that driver is a {actual} driver; "
                    f"--{option} takes {fitting}"
                )
            specs.append(spec)
    return specs


def list_ports_command() -> int:
    from bench.devices.serial.discovery import list_serial_ports

    ports = list_serial_ports()
    if not ports:
        print("no serial ports found", flush=True)
    for info in ports:
        print(info.line(), flush=True)
    return 0


def emulate_command(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"bench.devices.emulators.{EMULATOR_MODULES[args.kind]}")
    try:
        asyncio.run(module.run_emulator(args.kind, args.link, not args.no_prompt))
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as exc:
        print(f"ocpp-bench: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


def run_device_command(args: argparse.Namespace) -> int:
    """``ports`` and ``emulate``."""
    if args.command == "ports":
        return list_ports_command()
    return emulate_command(args)


def watch_health(
    devices: Sequence[DeviceDriver], echo: Callable[[str], None]
) -> Callable[[], None]:
    """Print a device's link health whenever it connects or drops (``ocpp-bench run``).

    Frame counts change all the time; only the connection state is news on a terminal.
    Returns a function that stops watching.
    """
    stops = []
    for device in devices:
        last: list[bool | None] = [None]

        def changed(event: object, device: DeviceDriver = device, last=last) -> None:
            health = getattr(event, "health", None)
            if health is None or health.connected == last[0]:
                return
            last[0] = health.connected
            echo(f"hardware {device.name}:{device.port}: {health.summary()}")

        stops.append(device.events.subscribe(changed))

    def stop() -> None:
        for unsubscribe in stops:
            unsubscribe()

    return stop


def health_report(devices: Sequence[DeviceDriver]) -> list[str]:
    """One line per device: its link health at the end of a run."""
    return [f"hardware {d.name}:{d.port}: {d.health.summary()}" for d in devices]
