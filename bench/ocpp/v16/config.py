"""OCPP 1.6 configuration keys (1.6 §9): definitions, validation and per-station values.

Definitions are shared by every station; a station stores only the values it
has changed (10,000 stations in one process must stay small). ChangeConfiguration
answers per 1.6 §5.3: Accepted, Rejected (bad value or read-only key),
RebootRequired (key applies at the next boot), NotSupported (unknown key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# 1.6 §7.31 Measurand values a CSL of measurands may name (optionally with a phase suffix).
MEASURANDS = frozenset(
    {
        "Energy.Active.Export.Register",
        "Energy.Active.Import.Register",
        "Energy.Reactive.Export.Register",
        "Energy.Reactive.Import.Register",
        "Energy.Active.Export.Interval",
        "Energy.Active.Import.Interval",
        "Energy.Reactive.Export.Interval",
        "Energy.Reactive.Import.Interval",
        "Power.Active.Export",
        "Power.Active.Import",
        "Power.Offered",
        "Power.Reactive.Export",
        "Power.Reactive.Import",
        "Power.Factor",
        "Current.Import",
        "Current.Export",
        "Current.Offered",
        "Voltage",
        "Frequency",
        "Temperature",
        "SoC",
        "RPM",
    }
)
# Measurands the simulated meter cannot report. Interval energy needs a per-interval
# accumulator the meter does not keep; 1.6 §3.16.4 says such a list is Rejected.
UNSUPPORTED_MEASURANDS = frozenset({"Energy.Active.Import.Interval"})
PHASES = frozenset({"L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"})
FEATURE_PROFILES = (
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
)
PHASE_ROTATIONS = frozenset({"NotApplicable", "Unknown", "RST", "RTS", "SRT", "STR", "TRS", "TSR"})

Parser = Callable[[str], Any]


class InvalidValue(ValueError):
    pass


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise InvalidValue(f"{text!r} is not a boolean (true/false)")


def parse_int(minimum: int | None = 0, maximum: int | None = None) -> Parser:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise InvalidValue(f"{text!r} is not an integer") from None
        if minimum is not None and value < minimum:
            raise InvalidValue(f"{value} is below the minimum {minimum}")
        if maximum is not None and value > maximum:
            raise InvalidValue(f"{value} is above the maximum {maximum}")
        return value

    return parse


def split_csl(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_measurands(max_items_key: str) -> Callable[[str, Configuration], list[str]]:
    """A CSL of measurands, each optionally suffixed with a phase (``Voltage.L1``), 1.6 §9.1.17."""

    def parse(text: str, config: Configuration) -> list[str]:
        items = split_csl(text)
        for item in items:
            base, _, phase = item.rpartition(".")
            if item not in MEASURANDS and not (base in MEASURANDS and phase in PHASES):
                # Phases with a dash ("L1-N") contain no dot, so rpartition covers them too.
                raise InvalidValue(f"{item!r} is not a measurand")
            if item in UNSUPPORTED_MEASURANDS or base in UNSUPPORTED_MEASURANDS:
                raise InvalidValue(f"{item!r} is not supported by this meter (§3.16.4)")
        limit = config.get_int(max_items_key)
        if limit is not None and len(items) > limit:
            raise InvalidValue(f"{len(items)} measurands exceed {max_items_key}={limit}")
        return items

    return parse


def parse_phase_rotation(text: str, config: Configuration) -> list[str]:
    items = split_csl(text)
    for item in items:
        index, _, rotation = item.partition(".")
        if not index.isdigit() or rotation not in PHASE_ROTATIONS:
            raise InvalidValue(f"{item!r} is not CONNECTOR.ROTATION (e.g. 1.RST)")
    limit = config.get_int("ConnectorPhaseRotationMaxLength")
    if limit is not None and len(items) > limit:
        raise InvalidValue(f"{len(items)} items exceed ConnectorPhaseRotationMaxLength")
    return items


@dataclass(frozen=True, slots=True)
class KeyDef:
    name: str
    type: str  # "boolean" | "integer" | "CSL" | "string"
    access: str  # "R" | "RW" | "W" (write-only: never reported, security whitepaper / errata)
    default: str
    parse: Callable[[str, Configuration], Any]
    reboot_required: bool = False
    profile: str = "Core"
    help: str = ""


def _simple(parser: Parser) -> Callable[[str, Configuration], Any]:
    return lambda text, _config: parser(text)


def _key(name: str, type_: str, access: str, default: str, parser: Any = None, **kw: Any) -> KeyDef:
    if parser is None:
        parser = {
            "boolean": _simple(parse_bool),
            "integer": _simple(parse_int()),
            "string": _simple(str),
            "CSL": lambda text, _c: split_csl(text),
        }[type_]
    return KeyDef(name, type_, access, default, parser, **kw)


def _ping_interval(text: str, _config: Configuration) -> int:
    # 1.6 §9.1.34: negative values are not allowed and get Rejected.
    return parse_int(0)(text)


def _authorization_key(text: str, _config: Configuration) -> str:
    # Security whitepaper §3.1 / 1.6-J errata: hexadecimal, 16..40 characters.
    if not (16 <= len(text) <= 40) or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise InvalidValue("AuthorizationKey must be 16 to 40 hexadecimal characters")
    return text


CORE_KEYS: tuple[KeyDef, ...] = (
    _key("AllowOfflineTxForUnknownId", "boolean", "RW", "false"),
    _key("AuthorizationCacheEnabled", "boolean", "RW", "true"),
    _key("AuthorizeRemoteTxRequests", "boolean", "RW", "true"),
    _key("BlinkRepeat", "integer", "RW", "3"),
    _key("ClockAlignedDataInterval", "integer", "RW", "0"),
    _key("ConnectionTimeOut", "integer", "RW", "60"),
    # The simulated meter reads its phase mapping at start-up: a change needs a reboot.
    _key(
        "ConnectorPhaseRotation",
        "CSL",
        "RW",
        "0.RST,1.RST",
        parse_phase_rotation,
        reboot_required=True,
    ),
    _key("ConnectorPhaseRotationMaxLength", "integer", "R", "8"),
    _key("GetConfigurationMaxKeys", "integer", "R", "100"),
    _key("HeartbeatInterval", "integer", "RW", "300"),
    _key("LightIntensity", "integer", "RW", "80", _simple(parse_int(0, 100))),
    _key("LocalAuthorizeOffline", "boolean", "RW", "true"),
    _key("LocalPreAuthorize", "boolean", "RW", "false"),
    _key("MaxEnergyOnInvalidId", "integer", "RW", "0"),
    _key(
        "MeterValuesAlignedData",
        "CSL",
        "RW",
        "Energy.Active.Import.Register",
        parse_measurands("MeterValuesAlignedDataMaxLength"),
    ),
    _key("MeterValuesAlignedDataMaxLength", "integer", "R", "20"),
    _key(
        "MeterValuesSampledData",
        "CSL",
        "RW",
        "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC",
        parse_measurands("MeterValuesSampledDataMaxLength"),
    ),
    _key("MeterValuesSampledDataMaxLength", "integer", "R", "20"),
    _key("MeterValueSampleInterval", "integer", "RW", "60"),
    _key("MinimumStatusDuration", "integer", "RW", "0"),
    _key("NumberOfConnectors", "integer", "R", "1"),
    _key("ResetRetries", "integer", "RW", "1"),
    _key("StopTransactionOnEVSideDisconnect", "boolean", "RW", "true"),
    _key("StopTransactionOnInvalidId", "boolean", "RW", "true"),
    _key(
        "StopTxnAlignedData",
        "CSL",
        "RW",
        "Energy.Active.Import.Register",
        parse_measurands("StopTxnAlignedDataMaxLength"),
    ),
    _key("StopTxnAlignedDataMaxLength", "integer", "R", "20"),
    _key(
        "StopTxnSampledData",
        "CSL",
        "RW",
        "Energy.Active.Import.Register",
        parse_measurands("StopTxnSampledDataMaxLength"),
    ),
    _key("StopTxnSampledDataMaxLength", "integer", "R", "20"),
    _key("SupportedFeatureProfiles", "CSL", "R", "Core"),
    _key("SupportedFeatureProfilesMaxLength", "integer", "R", "6"),
    _key("TransactionMessageAttempts", "integer", "RW", "3", _simple(parse_int(1))),
    _key("TransactionMessageRetryInterval", "integer", "RW", "20"),
    _key("UnlockConnectorOnEVSideDisconnect", "boolean", "RW", "true"),
    _key("WebSocketPingInterval", "integer", "RW", "0", _ping_interval),
    # 1.6-J errata §3 / security whitepaper: write-only, never reported by GetConfiguration.
    _key("AuthorizationKey", "string", "W", "", _authorization_key, reboot_required=True),
)


CORE_KEY_MAP: dict[str, KeyDef] = {d.name: d for d in CORE_KEYS}


class Configuration:
    """One station's configuration: shared definitions plus the values it changed."""

    __slots__ = ("_cache", "_changed", "definitions", "on_change", "persist")

    def __init__(
        self,
        definitions: Iterable[KeyDef] | dict[str, KeyDef] = CORE_KEY_MAP,
        values: dict[str, str] | None = None,
        persist: Callable[[str, str], None] | None = None,
    ) -> None:
        self.definitions: dict[str, KeyDef] = (
            definitions if isinstance(definitions, dict) else {d.name: d for d in definitions}
        )
        self._changed: dict[str, str] = {}
        self._cache: dict[str, Any] = {}
        self.persist = persist
        self.on_change: Callable[[str, Any], None] | None = None
        for name, value in (values or {}).items():
            if name in self.definitions:
                self._changed[name] = value

    # ------------------------------------------------------------- reading
    def raw(self, name: str) -> str | None:
        definition = self.definitions.get(name)
        if definition is None:
            return None
        return self._changed.get(name, definition.default)

    def value(self, name: str) -> Any:
        """The parsed value of ``name`` (bool, int, list[str] or str); KeyError if unknown."""
        if name in self._cache:
            return self._cache[name]
        definition = self.definitions[name]
        text = self._changed.get(name, definition.default)
        try:
            parsed = definition.parse(text, self)
        except InvalidValue:
            parsed = definition.parse(definition.default, self)
        self._cache[name] = parsed
        return parsed

    def get_int(self, name: str) -> int | None:
        return self.value(name) if name in self.definitions else None

    def get_bool(self, name: str, default: bool = False) -> bool:
        return self.value(name) if name in self.definitions else default

    def report(self, keys: list[str] | None) -> tuple[list[dict[str, Any]], list[str]]:
        """GetConfiguration.conf content (1.6 §5.8): known keys and unknown key names."""
        names = keys if keys else list(self.definitions)
        known: list[dict[str, Any]] = []
        unknown: list[str] = []
        for name in names:
            definition = self.definitions.get(name)
            if definition is None or definition.access == "W":
                # A write-only key is reported as unknown so its value never leaks.
                if keys:
                    unknown.append(name)
                continue
            known.append(
                {
                    "key": name,
                    "readonly": definition.access == "R",
                    "value": self._changed.get(name, definition.default),
                }
            )
        return known, unknown

    # ------------------------------------------------------------- writing
    def change(self, name: str, text: str) -> str:
        """Apply ChangeConfiguration.req; returns the ConfigurationStatus (1.6 §7.17)."""
        definition = self.definitions.get(name)
        if definition is None:
            return "NotSupported"
        if definition.access == "R":
            return "Rejected"
        try:
            parsed = definition.parse(text, self)
        except InvalidValue:
            return "Rejected"
        self.set(name, text, parsed)
        return "RebootRequired" if definition.reboot_required else "Accepted"

    def set(self, name: str, text: str, parsed: Any = None) -> None:
        """Set a value without access checks (the bench itself, templates, tests)."""
        definition = self.definitions[name]
        if parsed is None:
            parsed = definition.parse(text, self)
        self._changed[name] = text
        self._cache[name] = parsed
        if self.persist is not None:
            self.persist(name, text)
        if self.on_change is not None:
            self.on_change(name, parsed)

    def describe(self) -> list[KeyDef]:
        return list(self.definitions.values())
