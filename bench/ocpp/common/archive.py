"""Diagnostics and security-log archives: the parts every OCPP version shares.

The file format of a diagnostics upload is open (1.6 §5.9: "Format of the
diagnostics file is not prescribed"; 2.0.1 N01 likewise); ours is a ``.zip`` (or
``.tar.gz``) with a ``manifest.json`` (station, creation time on the station's
clock, the requested window, the list of files) and the version's own files.
This module names, packs and unpacks such archives and reads their common
sources: the station's frames from its message log and the security events of a
window (N01.FR.03). What goes into ``state.json`` and ``configuration.json`` is
the version package's business (``v16.diagnostics``, ``v201.diagnostics``).
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
from typing import Any, Protocol

from bench.kernel.frames import FanOut, FrameRecord, FrameSink
from bench.model.station import Station
from bench.ocpp.common.timestamps import iso, parse_iso
from bench.ocpp.session import OcppSession
from bench.store.messages import MessageLog

FORMATS = ("zip", "tar.gz")
MAX_FRAMES = 200_000  # an archive stays bounded however long the log is

DIAGNOSTICS = "diagnostics"
SECURITY = "security-log"


class SecurityLogSource(Protocol):
    def security_log(self) -> list[dict[str, Any]]:
        """The security events, oldest first, each with an ISO ``timestamp``."""
        ...


class LoggedStation(Protocol):
    """What the archive sources read of a charge point: its station, database and session."""

    @property
    def station(self) -> Station: ...

    @property
    def db(self) -> sqlite3.Connection: ...

    @property
    def session(self) -> OcppSession: ...


class SecuredStation(LoggedStation, Protocol):
    @property
    def security(self) -> SecurityLogSource: ...


def archive_name(station_id: str, kind: str, now: datetime, fmt: str = "zip") -> str:
    """``<station>-<kind>-<YYYYmmddTHHMMSSZ>.<ext>``; safe as a file name, at most 255 chars."""
    if fmt not in FORMATS:
        raise ValueError(f"archive format must be one of {FORMATS}")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", station_id)[:180] or "station"
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{safe}-{kind}-{stamp}.{fmt}"


# --------------------------------------------------------------------------- sources
def message_log(cp: LoggedStation) -> MessageLog:
    """The station's message log, with whatever its sinks still buffer written first."""
    for sink in _sinks(cp.session.sink):
        if isinstance(sink, MessageLog):
            sink.flush()
            if sink.conn is cp.db:
                return sink
    return MessageLog(cp.db)


def station_frames(
    cp: LoggedStation, start: datetime | None, stop: datetime | None
) -> list[FrameRecord]:
    """The station's frames with ``start <= ts <= stop``, oldest first."""
    # MessageLog's ``until`` is exclusive; the request's stopTime is inclusive.
    until = stop.timestamp() + 1e-6 if stop is not None else None
    return message_log(cp).query(station=cp.station.id, since=start, until=until, limit=MAX_FRAMES)


def security_events(
    cp: SecuredStation, start: datetime | None, stop: datetime | None
) -> list[dict[str, Any]]:
    """The security block's events with ``start <= timestamp <= stop``, oldest first (N01.FR.03)."""
    return [e for e in cp.security.security_log() if within(e.get("timestamp"), start, stop)]


def within(stamp: Any, start: datetime | None, stop: datetime | None) -> bool:
    """Whether the ISO ``stamp`` lies in ``[start, stop]`` (either end open)."""
    if start is None and stop is None:
        return True
    when = parse_iso(str(stamp))
    if when is None:
        return True  # an entry we cannot place in time is kept rather than hidden
    return (start is None or when >= start) and (stop is None or when <= stop)


# --------------------------------------------------------------------------- packing
def manifest(
    station_id: str,
    kind: str,
    created: datetime,
    start: datetime | None,
    stop: datetime | None,
    files: dict[str, bytes],
) -> dict[str, Any]:
    """The ``manifest.json`` of an archive of ``files`` built at ``created``."""
    return {
        "station": station_id,
        "kind": kind,
        "created": iso(created),
        "startTime": iso(start) if start is not None else None,
        "stopTime": iso(stop) if stop is not None else None,
        "files": {name: len(data) for name, data in files.items()},
    }


def pack(files: dict[str, bytes], fmt: str, manifest: dict[str, Any], now: datetime) -> bytes:
    """A .zip or .tar.gz of ``files`` plus ``manifest.json``; member times are ``now``."""
    members = {"manifest.json": to_json(manifest), **files}
    out = io.BytesIO()
    if fmt == "zip":
        t = now.astimezone(UTC)
        stamp = (t.year, t.month, t.day, t.hour, t.minute, t.second)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=stamp)
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


def to_json(value: Any) -> bytes:
    """``value`` as indented JSON (what goes into an archive's .json members)."""
    return json.dumps(value, indent=2, default=str).encode()


def _sinks(sink: FrameSink | None) -> Iterable[FrameSink]:
    if isinstance(sink, FanOut):
        for inner in sink.sinks:
            yield from _sinks(inner)
    elif sink is not None:
        yield sink
