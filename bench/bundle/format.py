"""The bundle file: a zip holding a manifest and one member per part of a session.

    manifest.json       format name and version, station, OCPP version, what is inside,
                        and for each part that is missing, why
    frames.jsonl        the station's frames, oldest first, from the station's side:
                        ``tx`` went from the station, ``rx`` came to it
    station.json        the station template as run (settings applied) and the EV template
    configuration.json  1.6 configuration keys, or device_model.json: 2.0.1 variables
    meter.json          the meter trace (``bench.bundle.meter``)
    scenario.txt        the script the station ran, one step per line
    conformance.json    conformance results (the ``results.json`` shape)

A reader refuses a newer format version rather than misreading it.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.kernel.frames import FrameRecord

FORMAT_NAME = "ocpp-bench-bundle"
FORMAT_VERSION = 1
SUFFIX = ".bundle"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


class BundleError(ValueError):
    """A file that is not a bundle this build can read; the message says why."""


@dataclass(slots=True)
class Bundle:
    station: str
    ocpp: str | None  # None when neither a run record nor the frames tell
    frames: list[FrameRecord]
    created: str  # ISO 8601, when the bundle was written
    source: str  # "run": a bench station's database; "log": frames only (the proxy's)
    template: dict[str, Any] | None = None
    ev_template: str | None = None
    settings: list[dict[str, Any]] | None = None
    meter: list[dict[str, Any]] = field(default_factory=list)
    scenario: str | None = None
    conformance: dict[str, Any] | None = None
    # part -> why it is not in the bundle ("template": "no run record for ...")
    missing: dict[str, str] = field(default_factory=dict)

    @property
    def settings_member(self) -> str:
        return "device_model.json" if self.ocpp == "2.0.1" else "configuration.json"

    def manifest(self) -> dict[str, Any]:
        contents = ["frames.jsonl", "meter.json"]
        if self.template is not None:
            contents.append("station.json")
        if self.settings is not None:
            contents.append(self.settings_member)
        if self.scenario is not None:
            contents.append("scenario.txt")
        if self.conformance is not None:
            contents.append("conformance.json")
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "station": self.station,
            "ocpp": self.ocpp,
            "created": self.created,
            "source": self.source,
            "frames": len(self.frames),
            "first_ts": self.frames[0].ts if self.frames else None,
            "last_ts": self.frames[-1].ts if self.frames else None,
            "contents": contents,
            "missing": dict(self.missing),
        }


def _frame_line(rec: FrameRecord) -> str:
    # Epoch seconds as stored (not ISO text): replay timing needs them exact.
    return _dumps(
        {
            "ts": rec.ts,
            "direction": rec.direction,
            "type": rec.type,
            "id": rec.id,
            "action": rec.action,
            "payload": rec.payload,
            "valid": rec.valid,
            "error": rec.error,
            "latency_ms": rec.latency_ms,
        }
    )


def write_bundle(bundle: Bundle, path: str | Path) -> Path:
    """Write ``bundle`` to ``path`` (replaced whole: a half-written file is never left)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(bundle.manifest(), indent=2))
            zf.writestr("frames.jsonl", "".join(_frame_line(r) + "\n" for r in bundle.frames))
            zf.writestr("meter.json", _dumps(bundle.meter))
            if bundle.template is not None:
                station = {"template": bundle.template, "ev_template": bundle.ev_template}
                zf.writestr("station.json", json.dumps(station, indent=2))
            if bundle.settings is not None:
                zf.writestr(bundle.settings_member, json.dumps(bundle.settings, indent=1))
            if bundle.scenario is not None:
                zf.writestr("scenario.txt", bundle.scenario + "\n")
            if bundle.conformance is not None:
                zf.writestr("conformance.json", json.dumps(bundle.conformance, indent=1))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def read_bundle(path: str | Path) -> Bundle:
    """Read a bundle; ``BundleError`` for anything that is not one this build reads."""
    source = Path(path)
    try:
        with zipfile.ZipFile(source) as zf:
            names = set(zf.namelist())
            if "manifest.json" not in names:
                raise BundleError(f"{source}: no manifest.json: not a session bundle")
            manifest = _json(zf, "manifest.json")
            _check_manifest(source, manifest)
            station_id = manifest["station"]
            frames = [_frame(source, station_id, n, line) for n, line in enumerate(_lines(zf), 1)]
            station = _json(zf, "station.json") if "station.json" in names else None
            settings_name = (
                "device_model.json" if manifest.get("ocpp") == "2.0.1" else "configuration.json"
            )
            return Bundle(
                station=station_id,
                ocpp=manifest.get("ocpp"),
                frames=frames,
                created=str(manifest.get("created", "")),
                source=str(manifest.get("source", "log")),
                template=station["template"] if station else None,
                ev_template=station.get("ev_template") if station else None,
                settings=_json(zf, settings_name) if settings_name in names else None,
                meter=_json(zf, "meter.json") if "meter.json" in names else [],
                scenario=(
                    zf.read("scenario.txt").decode("utf-8").rstrip("\n")
                    if "scenario.txt" in names
                    else None
                ),
                conformance=_json(zf, "conformance.json") if "conformance.json" in names else None,
                missing=dict(manifest.get("missing") or {}),
            )
    except zipfile.BadZipFile:
        raise BundleError(f"{source}: not a session bundle (not a zip file)") from None
    except (KeyError, UnicodeDecodeError) as exc:
        raise BundleError(f"{source}: damaged bundle: {exc}") from None


def _check_manifest(source: Path, manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BundleError(f"{source}: manifest.json does not name the {FORMAT_NAME} format")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise BundleError(f"{source}: manifest.json has no valid format_version")
    if version > FORMAT_VERSION:
        raise BundleError(
            f"{source}: bundle format {version} is newer than this ocpp-bench reads"
            f" ({FORMAT_VERSION}); update ocpp-bench"
        )
    if not isinstance(manifest.get("station"), str):
        raise BundleError(f"{source}: manifest.json names no station")


def _json(zf: zipfile.ZipFile, name: str) -> Any:
    try:
        return json.loads(zf.read(name))
    except ValueError as exc:
        raise BundleError(f"damaged bundle: {name} is not JSON: {exc}") from None


def _lines(zf: zipfile.ZipFile) -> list[str]:
    if "frames.jsonl" not in zf.namelist():
        raise BundleError("damaged bundle: frames.jsonl is missing")
    return [line for line in zf.read("frames.jsonl").decode("utf-8").splitlines() if line]


def _frame(source: Path, station: str, number: int, line: str) -> FrameRecord:
    try:
        data = json.loads(line)
        return FrameRecord(
            ts=float(data["ts"]),
            station=station,
            direction=data["direction"],
            type=data["type"],
            id=data.get("id"),
            action=data.get("action"),
            payload=data.get("payload"),
            valid=data.get("valid"),
            error=data.get("error"),
            latency_ms=data.get("latency_ms"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{source}: frames.jsonl line {number} is damaged: {exc}") from None
