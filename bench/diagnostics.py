"""Real diagnostics and security-log archives for a station (1.6 §5.9, whitepaper N01).

1.6 §5.9 leaves the file format open ("Format of the diagnostics file is not
prescribed"); ours is a ``.zip`` (or ``.tar.gz``) holding:

- ``manifest.json``: station, when it was built (virtual clock), the requested
  window and the list of files;
- ``messages.jsonl``: every frame of the station's message log whose timestamp
  lies in ``[start, stop]`` (one JSON object a line, the ``ocpp-bench run --log``
  shape), read from the store's ``MessageLog`` in the station's database;
- ``configuration.json``: every configuration key with its value (write-only keys
  such as ``AuthorizationKey`` are left out, as GetConfiguration leaves them out);
- ``state.json``: identity, link and registration, each connector's status and
  transaction, and the firmware/diagnostics/log transfer state.

A security log (GetLog ``SecurityLog``, N01.FR.03) holds ``manifest.json`` and
``security.jsonl``: the security events of the window. Their source is the
security block's own log when it offers one (``cp.security.security_log()``
returning dicts with an ISO ``timestamp``), otherwise the SecurityEventNotification requests the
station sent, taken from its message log.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tarfile
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from bench.kernel.frames import FanOut
from bench.ocpp.common.timestamps import iso, parse_iso
from bench.store.messages import MessageLog
from bench.store.sinks import json_line

if TYPE_CHECKING:
    from bench.model.station import Station
    from bench.ocpp.session import OcppSession
    from bench.ocpp.v16.charge_point import ChargePoint16


class FrameSource(Protocol):
    """What reading a station's message log needs (a charge point of either version)."""

    @property
    def station(self) -> Station: ...
    @property
    def session(self) -> OcppSession: ...
    @property
    def db(self) -> sqlite3.Connection: ...


FORMATS = ("zip", "tar.gz")
MAX_FRAMES = 200_000  # a diagnostics file stays bounded however long the log is

DIAGNOSTICS = "diagnostics"
SECURITY = "security-log"


def archive_name(station_id: str, kind: str, now: datetime, fmt: str = "zip") -> str:
    """``<station>-<kind>-<YYYYmmddTHHMMSSZ>.<ext>``; safe as a file name, at most 255 chars."""
    if fmt not in FORMATS:
        raise ValueError(f"archive format must be one of {FORMATS}")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", station_id)[:180] or "station"
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{safe}-{kind}-{stamp}.{fmt}"


def build_diagnostics(
    cp: ChargePoint16,
    start: datetime | None = None,
    stop: datetime | None = None,
    fmt: str = "zip",
) -> bytes:
    """The diagnostics archive of ``cp`` for the window ``[start, stop]`` (either open)."""
    lines = "".join(json_line(rec) + "\n" for rec in station_frames(cp, start, stop))
    config, _ = cp.config.report(None)
    files = {
        "messages.jsonl": lines.encode(),
        "configuration.json": _json(config),
        "state.json": _json(station_state(cp)),
    }
    return pack(files, fmt, _manifest(cp, DIAGNOSTICS, start, stop, files), cp.clock.now())


def build_security_log(
    cp: ChargePoint16,
    start: datetime | None = None,
    stop: datetime | None = None,
    fmt: str = "zip",
) -> bytes:
    """The security-log archive of ``cp`` for the window ``[start, stop]``."""
    events = security_events(cp, start, stop)
    files = {"security.jsonl": "".join(json.dumps(e, default=str) + "\n" for e in events).encode()}
    return pack(files, fmt, _manifest(cp, SECURITY, start, stop, files), cp.clock.now())


# --------------------------------------------------------------------------- sources
def message_log(cp: FrameSource) -> MessageLog:
    """The station's message log, with whatever its sinks still buffer written first."""
    for sink in _sinks(cp.session.sink):
        if isinstance(sink, MessageLog):
            sink.flush()
            if sink.conn is cp.db:
                return sink
    return MessageLog(cp.db)


def station_frames(cp: FrameSource, start: datetime | None, stop: datetime | None) -> list[Any]:
    """The station's frames with ``start <= ts <= stop``, oldest first."""
    # MessageLog's ``until`` is exclusive; the request's stopTime is inclusive.
    until = stop.timestamp() + 1e-6 if stop is not None else None
    return message_log(cp).query(station=cp.station.id, since=start, until=until, limit=MAX_FRAMES)


def security_events(
    cp: ChargePoint16, start: datetime | None, stop: datetime | None
) -> list[dict[str, Any]]:
    """The security events with ``start <= timestamp <= stop``, oldest first (N01.FR.03)."""
    own_log = getattr(cp.security, "security_log", None)
    if callable(own_log):
        return [e for e in own_log() if within(e.get("timestamp"), start, stop)]
    until = stop.timestamp() + 1e-6 if stop is not None else None
    frames = message_log(cp).query(
        station=cp.station.id,
        direction="tx",
        type="CALL",
        action="SecurityEventNotification",
        since=start,
        until=until,
        limit=MAX_FRAMES,
    )
    return [dict(rec.payload) for rec in frames if isinstance(rec.payload, dict)]


def within(stamp: Any, start: datetime | None, stop: datetime | None) -> bool:
    """Whether an ISO ``stamp`` lies in ``[start, stop]`` (either end open)."""
    if start is None and stop is None:
        return True
    when = parse_iso(str(stamp))
    if when is None:
        return True  # an entry we cannot place in time is kept rather than hidden
    return (start is None or when >= start) and (stop is None or when <= stop)


def station_state(cp: ChargePoint16) -> dict[str, Any]:
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
            "firmware": getattr(firmware, "firmware_status", None),
            "diagnostics": getattr(firmware, "diagnostics_status", None),
            "log": getattr(firmware, "log_status", None),
        },
    }


# --------------------------------------------------------------------------- packing
def pack(files: dict[str, bytes], fmt: str, manifest: dict[str, Any], now: datetime) -> bytes:
    """A .zip or .tar.gz of ``files`` plus ``manifest.json``; member times are ``now``."""
    members = {"manifest.json": _json(manifest), **files}
    out = io.BytesIO()
    if fmt == "zip":
        stamp = now.astimezone(UTC).timetuple()[:6]
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
    elif fmt == "tar.gz":
        with tarfile.open(fileobj=out, mode="w:gz") as archive:
            for name, data in members.items():
                member = tarfile.TarInfo(name)
                member.size = len(data)
                member.mtime = int(now.timestamp())
                archive.addfile(member, io.BytesIO(data))
    else:
        raise ValueError(f"archive format must be one of {FORMATS}")
    return out.getvalue()


def unpack(data: bytes) -> dict[str, bytes]:
    """The members of an archive made by ``pack`` (either format), by name."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        out: dict[str, bytes] = {}
        for member in archive.getmembers():
            handle = archive.extractfile(member)
            if handle is not None:
                out[member.name] = handle.read()
        return out


def _manifest(
    cp: ChargePoint16,
    kind: str,
    start: datetime | None,
    stop: datetime | None,
    files: dict[str, bytes],
) -> dict[str, Any]:
    return {
        "station": cp.station.id,
        "kind": kind,
        "created": iso(cp.clock.now()),
        "startTime": iso(start) if start is not None else None,
        "stopTime": iso(stop) if stop is not None else None,
        "files": {name: len(data) for name, data in files.items()},
    }


def _sinks(sink: Any) -> Iterable[Any]:
    if isinstance(sink, FanOut):
        for inner in sink.sinks:
            yield from _sinks(inner)
    elif sink is not None:
        yield sink


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, default=str).encode()
