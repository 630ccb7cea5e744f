"""Station and EV templates: JSON files under ``resources/`` and the station factory.

Station template fields (``resources/stations/<name>.json``):

=====================  ========================================================
name                   template name (defaults to the file name)
description            free text
vendor, model          BootNotification identity
firmware_version       initial firmware version
connectors             number of connectors (>= 1)
current_type           "AC" or "DC"
phases                 AC phases, 1 or 3 (DC: ignored, the meter has one line)
nominal_voltage_v      per-phase voltage (AC, phase to neutral) or DC output voltage
max_current_a          per connector: per-phase current (AC) or DC current
max_power_kw           per connector; required for DC, derived for AC when absent
connector_type         e.g. "Type2", "CCS2", "CHAdeMO"
cable_max_a            rating of a tethered cable; null for a socket outlet
meter_type             energy meter model reported at boot
voltage_noise_pct      +/- spread of the voltage noise (default 0.5)
frequency_hz           grid frequency (default 50)
ambient_temperature_c  starting temperature of the meter (default 25)
serial_prefix          prefix of generated serial numbers (default "SN")
security_extension     OCPP 1.6 only: speaks the 1.6 security whitepaper's
                       messages (security events, certificates, signed
                       firmware, logs); false makes a plain 1.6 station
                       that answers them NotImplemented (default true)
boot_seconds           station-clock seconds from power-off to the first
                       connection attempt of a reboot (default 5; 0: at once)
additional_root_certificate_check
                       OCPP 2.0.1: the read-only SecurityCtrlr variable
                       AdditionalRootCertificateCheck (M05.FR.09-17): a new
                       CSMS root must be signed by the one it replaces, which
                       stays as a fallback until the new one connected
                       (default false)
=====================  ========================================================

The fields a user may change per station describe themselves in
``STATION_SETTINGS`` (ARCHITECTURE rule 6); ``with_settings`` applies such
values to a template, checked against those descriptions.

EV templates (``resources/evs/<name>.json``) hold the fields of ``EvSpec``:
name, description, battery_kwh, max_ac_current_a, ac_phases, max_dc_power_kw,
taper_start_soc, min_taper_fraction, initial_soc, target_soc, cable_max_a,
min_ac_current_a, max_ac_power_kw, iso15118, contract_request.

Unknown fields are an error, so a typo in a template never passes silently.
The resources folder is ``resources/`` at the project root; inside a PyInstaller
bundle it is ``resources/`` under the bundle's data folder (``sys._MEIPASS``); the
environment variable ``OCPP_BENCH_RESOURCES`` overrides both.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench.model.clock import Clock
from bench.model.ev import EvSpec
from bench.model.events import Emitter
from bench.model.settings import Setting
from bench.model.station import Station, StationIdentity

RESOURCES_ENV = "OCPP_BENCH_RESOURCES"


# Station settings a user may change per station, described for forms and the CLI.
BOOT_SECONDS = Setting(
    "boot_seconds",
    "Boot duration (s)",
    "float",
    5.0,
    "Seconds of station time between power-off and the first connection attempt when "
    "the station reboots (Reset, reboot from the bench, power cycle). Real chargers "
    "take seconds; 0 reconnects at once.",
    (),
    0.0,
    600.0,
)
SECURITY_EXTENSION = Setting(
    "security_extension",
    "OCPP 1.6 security extension",
    "bool",
    True,
    "Speak the 1.6 security whitepaper's messages (security events, certificates, "
    "signed firmware, logs). Off: a plain 1.6 station that answers them NotImplemented.",
)
# For testing the tester (issue 14): a station that breaks one behaviour on purpose, so a
# conformance run shows the cases that catch it. Off ("none") unless a user asks.
MISBEHAVIOURS = (
    "none",
    "missing-status",
    "wrong-stop-reason",
    "unanswered-request",
    "invalid-field",
    "late-reply",
)
MISBEHAVE = Setting(
    "misbehave",
    "Deliberate misbehaviour (testing)",
    "choice",
    "none",
    "Break one behaviour on purpose, to see conformance cases catch it: missing-status "
    "(no StatusNotification is sent), wrong-stop-reason (a transaction ends with another "
    "reason than the real one), unanswered-request (requests from the CSMS get no reply), "
    "invalid-field (every message but BootNotification carries a field its schema "
    "forbids), late-reply (replies to the CSMS come 12 s late).",
    MISBEHAVIOURS,
)
UNSIGNED_FIRMWARE = Setting(
    "unsigned_firmware",
    "OCPP 2.0.1 unsigned firmware updates",
    "bool",
    True,
    "Accept a 2.0.1 UpdateFirmware without signing certificate and signature (L02). "
    "Off: secure updates only (L01.FR.21), as a certified station does (TC_L_18_CS).",
)
ADDITIONAL_ROOT_CHECK = Setting(
    "additional_root_certificate_check",
    "OCPP 2.0.1 AdditionalRootCertificateCheck",
    "bool",
    False,
    "The station's read-only SecurityCtrlr.AdditionalRootCertificateCheck (M05.FR.09-17, "
    "part 5 AS-2): a new CSMS root certificate must be signed by the one it replaces; "
    "the old one is kept as a fallback until the new one verified a connection. "
    "Off: CSMS roots are added beside the others.",
)
STATION_SETTINGS: tuple[Setting, ...] = (
    BOOT_SECONDS,
    SECURITY_EXTENSION,
    UNSIGNED_FIRMWARE,
    ADDITIONAL_ROOT_CHECK,
    MISBEHAVE,
)


class TemplateError(ValueError):
    """A template that cannot be found or read; the message says which and why."""


class UnknownTemplateError(TemplateError, LookupError):
    """No template of that name; the message lists the available ones."""


@dataclass(frozen=True, slots=True)
class StationTemplate:
    name: str
    vendor: str
    model: str
    firmware_version: str
    connectors: int
    current_type: str
    nominal_voltage_v: float
    max_current_a: float
    phases: int = 1
    max_power_kw: float | None = None
    connector_type: str = "Type2"
    cable_max_a: float | None = None
    meter_type: str | None = None
    voltage_noise_pct: float = 0.5
    frequency_hz: float = 50.0
    ambient_temperature_c: float = 25.0
    serial_prefix: str = "SN"
    description: str = ""
    security_extension: bool = SECURITY_EXTENSION.default
    boot_seconds: float = BOOT_SECONDS.default
    unsigned_firmware: bool = UNSIGNED_FIRMWARE.default
    additional_root_certificate_check: bool = ADDITIONAL_ROOT_CHECK.default
    misbehave: str = MISBEHAVE.default

    def __post_init__(self) -> None:
        where = f"station template {self.name!r}"
        if self.current_type not in ("AC", "DC"):
            raise ValueError(f"{where}: current_type must be 'AC' or 'DC'")
        if self.connectors < 1:
            raise ValueError(f"{where}: needs at least one connector")
        if self.current_type == "AC" and self.phases not in (1, 3):
            raise ValueError(f"{where}: AC phases must be 1 or 3")
        if self.current_type == "DC":
            if self.max_power_kw is None or self.max_power_kw <= 0:
                raise ValueError(f"{where}: a DC template needs max_power_kw")
            object.__setattr__(self, "phases", 1)
        if self.nominal_voltage_v <= 0 or self.max_current_a <= 0:
            raise ValueError(f"{where}: voltage and current must be positive")
        if not 0 <= self.voltage_noise_pct < 10:
            raise ValueError(f"{where}: voltage_noise_pct must be in [0, 10)")
        if not isinstance(self.security_extension, bool):
            raise ValueError(f"{where}: security_extension must be true or false")
        for setting in STATION_SETTINGS:
            try:
                setting.check(getattr(self, setting.key))
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None

    @property
    def max_power_w(self) -> float:
        """Rated power of one connector in W."""
        if self.max_power_kw is not None:
            return self.max_power_kw * 1000.0
        return self.nominal_voltage_v * self.max_current_a * self.phases


def with_settings(template: StationTemplate, **values: Any) -> StationTemplate:
    """``template`` with station settings changed (``boot_seconds=0``); each value is
    checked against its ``Setting`` (text is parsed the way the CLI parses it)."""
    known = {s.key: s for s in STATION_SETTINGS}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown station settings {unknown}; known: {sorted(known)}")
    typed = {
        key: known[key].parse(value) if isinstance(value, str) else value
        for key, value in values.items()
    }
    return dataclasses.replace(template, **typed)


# ------------------------------------------------------------ locating files
def resources_dir() -> Path:
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    # A PyInstaller bundle unpacks its data files under sys._MEIPASS (packaging/ocpp-bench.spec
    # puts resources/ there); relying on __file__ would break if modules move into an archive.
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "resources"
    # bench/model/templates.py -> project root is two folders above bench/.
    return Path(__file__).resolve().parents[2] / "resources"


def _list(kind: str) -> list[str]:
    folder = resources_dir() / kind
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json"))


def list_station_templates() -> list[str]:
    return _list("stations")


def list_ev_templates() -> list[str]:
    return _list("evs")


def _locate(kind: str, name_or_path: str | os.PathLike[str]) -> Path:
    text = os.fspath(name_or_path)
    path = Path(text)
    if text.endswith(".json") or path.is_file():
        if path.is_file():
            return path.resolve()
        raise UnknownTemplateError(f"template file {text!r} does not exist")
    candidate = resources_dir() / kind / f"{text}.json"
    if candidate.is_file():
        return candidate
    available = ", ".join(_list(kind)) or "none"
    raise UnknownTemplateError(
        f"unknown {kind[:-1]} template {text!r}; available: {available}"
        f" (looked in {resources_dir() / kind})"
    )


def _read(path: Path, cls: type, required: tuple[str, ...]) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: a template is a JSON object")
    data.setdefault("name", path.stem)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise TemplateError(f"{path}: unknown fields {unknown}; known: {sorted(known)}")
    missing = [f for f in required if f not in data]
    if missing:
        raise TemplateError(f"{path}: missing fields {missing}")
    try:
        return cls(**data)
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"{path}: {exc}") from exc


@lru_cache(maxsize=64)
def _station_template_at(path: Path) -> StationTemplate:
    required: tuple[str, ...] = ("vendor", "model", "firmware_version", "connectors")
    required += ("current_type", "nominal_voltage_v", "max_current_a")
    return _read(path, StationTemplate, required)


@lru_cache(maxsize=64)
def _ev_template_at(path: Path) -> EvSpec:
    return _read(path, EvSpec, ("battery_kwh", "max_ac_current_a", "ac_phases"))


def load_station_template(name_or_path: str | os.PathLike[str]) -> StationTemplate:
    """A station template by name (``ac-11kw``) or by path to a JSON file.

    Loaded templates are cached and shared: a fleet of one model holds one template.
    """
    return _station_template_at(_locate("stations", name_or_path))


def load_ev_template(name_or_path: str | os.PathLike[str]) -> EvSpec:
    """An EV spec by name (``compact-ev``) or by path to a JSON file."""
    return _ev_template_at(_locate("evs", name_or_path))


# ------------------------------------------------------------ factory
def build_station(
    station_id: str,
    template: StationTemplate | str,
    clock: Clock,
    seed: int | str = 0,
    *,
    events: Emitter | None = None,
    rng: random.Random | None = None,
    **identity: str | None,
) -> Station:
    """A new station from ``template``; keyword arguments override identity fields.

    Serial numbers are derived from ``station_id`` so a rebuilt station keeps
    its identity. ``events`` lets several stations share one emitter; ``rng``
    replaces the default ``random.Random(seed)``.
    """
    if not isinstance(template, StationTemplate):
        template = load_station_template(template)
    fields = {f.name for f in dataclasses.fields(StationIdentity)}
    unknown = sorted(set(identity) - fields)
    if unknown:
        raise TypeError(f"unknown identity fields {unknown}; valid: {sorted(fields)}")
    values: dict[str, Any] = {
        "vendor": template.vendor,
        "model": template.model,
        "serial_number": f"{template.serial_prefix}-{station_id}",
        "firmware_version": template.firmware_version,
        "meter_type": template.meter_type,
        "meter_serial_number": f"MTR-{station_id}" if template.meter_type else None,
    }
    values.update(identity)
    return Station(station_id, StationIdentity(**values), template, clock, seed, events, rng)
