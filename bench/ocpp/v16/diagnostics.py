"""The 1.6 diagnostics and security-log archives (1.6 §5.9, whitepaper N01).

Packing, naming and the shared sources are in ``bench.ocpp.common.archive``; a
1.6 diagnostics archive holds:

- ``messages.jsonl``: every frame of the station's message log whose timestamp
  lies in ``[start, stop]`` (one JSON object a line, the ``ocpp-bench run --log``
  shape);
- ``configuration.json``: every configuration key with its value (write-only keys
  such as ``AuthorizationKey`` are left out, as GetConfiguration leaves them out);
- ``state.json``: identity, link and registration, each connector's status and
  transaction, and the firmware/diagnostics/log transfer state.

A security log (GetLog ``SecurityLog``, N01.FR.03) holds ``security.jsonl``: the
security block's events of the window.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from bench.model.clock import Clock
from bench.ocpp.common.archive import (
    DIAGNOSTICS,
    SECURITY,
    SecuredStation,
    manifest,
    pack,
    security_events,
    station_frames,
    to_json,
)
from bench.ocpp.common.timestamps import iso
from bench.ocpp.v16.config import Configuration
from bench.ocpp.v16.status import StatusReport
from bench.store.sinks import json_line


class TransferState(Protocol):
    """The firmware block's transfer statuses, as a diagnostics archive shows them."""

    @property
    def firmware_status(self) -> str: ...

    @property
    def diagnostics_status(self) -> str: ...

    @property
    def log_status(self) -> str: ...


class Station16(SecuredStation, Protocol):
    """What a 1.6 archive reads of its charge point."""

    @property
    def clock(self) -> Clock: ...

    @property
    def config(self) -> Configuration: ...

    @property
    def firmware(self) -> TransferState: ...

    @property
    def link_state(self) -> str: ...

    @property
    def registration(self) -> str: ...

    def status_of(self, connector_id: int) -> StatusReport: ...


def build_archive(
    cp: Station16,
    kind: str,
    start: datetime | None = None,
    stop: datetime | None = None,
    fmt: str = "zip",
) -> bytes:
    """The ``kind`` archive (DIAGNOSTICS or SECURITY) of ``cp`` for ``[start, stop]``."""
    if kind == SECURITY:
        return build_security_log(cp, start, stop, fmt)
    return build_diagnostics(cp, start, stop, fmt)


def build_diagnostics(
    cp: Station16,
    start: datetime | None = None,
    stop: datetime | None = None,
    fmt: str = "zip",
) -> bytes:
    """The diagnostics archive of ``cp`` for the window ``[start, stop]`` (either open)."""
    lines = "".join(json_line(rec) + "\n" for rec in station_frames(cp, start, stop))
    config, _ = cp.config.report(None)
    files = {
        "messages.jsonl": lines.encode(),
        "configuration.json": to_json(config),
        "state.json": to_json(station_state(cp)),
    }
    now = cp.clock.now()
    return pack(files, fmt, manifest(cp.station.id, DIAGNOSTICS, now, start, stop, files), now)


def build_security_log(
    cp: Station16,
    start: datetime | None = None,
    stop: datetime | None = None,
    fmt: str = "zip",
) -> bytes:
    """The security-log archive of ``cp`` for the window ``[start, stop]``."""
    events = security_events(cp, start, stop)
    files = {"security.jsonl": "".join(json.dumps(e, default=str) + "\n" for e in events).encode()}
    now = cp.clock.now()
    return pack(files, fmt, manifest(cp.station.id, SECURITY, now, start, stop, files), now)


def station_state(cp: Station16) -> dict[str, Any]:
    identity = cp.station.identity
    connectors = []
    for connector in cp.station.connectors:
        report = cp.status_of(connector.id)
        tx = connector.transaction
        connectors.append(
            {
                "id": connector.id,
                "status": report.status,
                "errorCode": report.error_code,
                "operative": connector.operative,
                "energyWh": connector.energy_wh,
                "transactionId": None if tx is None else tx.protocol_id,
            }
        )
    firmware = cp.firmware
    return {
        "station": cp.station.id,
        "time": iso(cp.clock.now()),
        "identity": {
            "vendor": identity.vendor,
            "model": identity.model,
            "serialNumber": identity.serial_number,
            "firmwareVersion": identity.firmware_version,
        },
        "link": cp.link_state,
        "registration": cp.registration,
        "station_status": cp.status_of(0).status,
        "connectors": connectors,
        "transfers": {
            "firmware": firmware.firmware_status,
            "diagnostics": firmware.diagnostics_status,
            "log": firmware.log_status,
        },
    }
