"""Where a charger run listens and who the station under test is.

Shared by ``ocpp-bench conformance cs`` and the desktop app's "Test a charger":
``charger_bench`` starts the endpoint (the bench as CSMS) and the device under
test: with ``template`` one of the bench's own stations (physical steps automatic),
else a real charger that connects by itself (physical steps prompted).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.conformance.charger.dut import (
    AT_THE_HARDWARE,
    DeviceUnderTest,
    OwnStation,
    RealStation,
    StationActuator,
)
from bench.conformance.charger.endpoint import CsmsEndpoint
from bench.conformance.charger.run import ChargerSettings
from bench.conformance.manual import ChainPrompter, NoPrompter, Prompter
from bench.conformance.results import SystemUnderTest


@dataclass
class ChargerBench:
    endpoint: CsmsEndpoint
    dut: DeviceUnderTest
    prompter: Prompter
    sut: SystemUnderTest
    own: bool  # the station under test is one of the bench's own
    physical_steps: str = ""  # who does them, for the report ("" the operator)


@contextlib.asynccontextmanager
async def charger_bench(
    settings: ChargerSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    cert_file: str | None = None,
    key_file: str | None = None,
    password: str | None = None,
    template: str | None = None,
    station_settings: dict[str, str] | None = None,
    ca_file: str | None = None,
    operator: Prompter | None = None,
    device_specs: list[Any] | None = None,
    folder: Path | None = None,
    ssl_context: ssl.SSLContext | None = None,
    station_cert_file: str | None = None,
    station_key_file: str | None = None,
) -> AsyncIterator[ChargerBench]:
    """The endpoint listening and the device under test, for the ``async with``.

    ``ssl_context`` replaces the one made from ``cert_file``/``key_file`` (a server
    that also asks for client certificates, security profile 3); ``station_cert_file``
    and ``station_key_file`` are the own station's client certificate.
    """
    from bench.csms.cli import server_tls

    context = ssl_context or server_tls(
        [cert_file] if cert_file else [], [key_file] if key_file else []
    )
    tokens = frozenset({settings.valid_id_token})
    endpoint = CsmsEndpoint(
        settings.version,
        settings.station_id,
        host=host,
        port=port,
        ssl_context=context,
        password=password,
        heartbeat_interval=settings.heartbeat_interval,
        accepted_tokens=lambda: tokens,
        call_timeout=settings.timeout,
    )
    async with endpoint:
        dut: DeviceUnderTest
        if template is not None:
            dut = OwnStation(
                endpoint,
                settings,
                template,
                station_settings=station_settings,
                password=password,
                ca_file=ca_file,
                cert_file=station_cert_file,
                key_file=station_key_file,
                folder=folder,
                device_specs=device_specs,
            )
            hardware = _drives_the_connectors(device_specs or [])
            actuator = StationActuator(dut, AT_THE_HARDWARE if hardware else frozenset())
            # Steps at the hardware go to the operator (a person, or a test's emulator).
            prompter: Prompter = (
                ChainPrompter(actuator, operator) if operator is not None else actuator
            )
        else:
            dut = RealStation(endpoint, settings)
            prompter = ChainPrompter(operator) if operator is not None else NoPrompter()
        sut = SystemUnderTest(
            "cs",
            endpoint.station_url,
            settings.version,
            settings.station_id,
            features=tuple(sorted(settings.features)),
            features_source=settings.features_source if settings.features else "",
        )
        try:
            who = ""
            if template is not None:
                who = "done by the bench's own station through its station API"
                if device_specs and operator is not None:
                    who += "; at the attached hardware by the operator"
            yield ChargerBench(
                endpoint, dut, prompter, sut, own=template is not None, physical_steps=who
            )
        finally:
            await dut.close()


def _drives_the_connectors(specs: list[Any]) -> bool:
    """Is a charge controller (a ``station`` driver) attached: the EV side is real then."""
    from bench.devices.registry import driver_class

    return any(driver_class(spec.name).role == "station" for spec in specs)
