"""What a manual CSMS console needs: the CSMS-initiated actions and a payload to start from.

``PROFILES`` lists every request the central system may send in OCPP 1.6
(1.6 §3 feature profiles, and the security extension's requests from the
whitepaper), grouped the way the spec groups them; ``PROFILES_201`` the same for
OCPP 2.0.1, grouped by functional block (part 2). ``profiles(version)`` and
``actions(version)`` pick by version, ``version_of(subprotocol)`` maps a
connection's subprotocol to one. ``template(action, now, version=...)`` builds a
request payload from the action's OCA JSON schema (shipped with the ``ocpp``
library, the same files ``bench.ocpp.schemas`` compiles): every required field,
filled with a value that passes the schema and means something on a bench
(connector 1, a 10 A limit, a soft reset), plus the optional fields a tester
reaches for most. Tests check that each template validates.

No Qt here: the console view and any scripted console share it.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from bench.ocpp.schemas import SchemaViolation, validate

VERSION = "1.6"

# 1.6 §3.x feature profiles (and the security whitepaper) -> CSMS-initiated actions.
PROFILES: dict[str, tuple[str, ...]] = {
    "Core": (
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "DataTransfer",
        "GetConfiguration",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "Reset",
        "UnlockConnector",
    ),
    "Firmware Management": ("GetDiagnostics", "UpdateFirmware"),
    "Local Auth List Management": ("GetLocalListVersion", "SendLocalList"),
    "Reservation": ("CancelReservation", "ReserveNow"),
    "Remote Trigger": ("TriggerMessage",),
    "Smart Charging": ("ClearChargingProfile", "GetCompositeSchedule", "SetChargingProfile"),
    "Security extension": (
        "CertificateSigned",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetInstalledCertificateIds",
        "GetLog",
        "InstallCertificate",
        "SignedUpdateFirmware",
    ),
}

CSMS_ACTIONS: tuple[str, ...] = tuple(a for group in PROFILES.values() for a in group)

# 2.0.1 part 2 functional blocks -> CSMS-initiated actions.
PROFILES_201: dict[str, tuple[str, ...]] = {
    "A Security": ("SetNetworkProfile", "CertificateSigned"),
    "B Provisioning": ("GetVariables", "SetVariables", "GetBaseReport", "GetReport", "Reset"),
    "C/D Authorization": ("ClearCache", "SendLocalList", "GetLocalListVersion"),
    "E/F Transactions, remote control": (
        "RequestStartTransaction",
        "RequestStopTransaction",
        "GetTransactionStatus",
        "UnlockConnector",
        "TriggerMessage",
    ),
    "G Availability": ("ChangeAvailability",),
    "H Reservation": ("ReserveNow", "CancelReservation"),
    "I Tariff and cost": ("CostUpdated",),
    "K Smart charging": (
        "SetChargingProfile",
        "GetChargingProfiles",
        "ClearChargingProfile",
        "GetCompositeSchedule",
    ),
    "L Firmware": ("UpdateFirmware", "PublishFirmware", "UnpublishFirmware"),
    "M Certificates": ("InstallCertificate", "GetInstalledCertificateIds", "DeleteCertificate"),
    "N Diagnostics": (
        "GetLog",
        "CustomerInformation",
        "SetVariableMonitoring",
        "ClearVariableMonitoring",
        "SetMonitoringBase",
        "SetMonitoringLevel",
        "GetMonitoringReport",
    ),
    "O Display messages": ("SetDisplayMessage", "GetDisplayMessages", "ClearDisplayMessage"),
    "P DataTransfer": ("DataTransfer",),
}
CSMS_ACTIONS_201: tuple[str, ...] = tuple(a for group in PROFILES_201.values() for a in group)

VERSIONS = ("1.6", "2.0.1")
_SUBPROTOCOL_VERSION = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}


def version_of(subprotocol: str | None) -> str | None:
    """The OCPP version of a WebSocket subprotocol (``ocpp2.0.1`` -> ``2.0.1``)."""
    return _SUBPROTOCOL_VERSION.get(subprotocol or "")


def profiles(version: str = VERSION) -> dict[str, tuple[str, ...]]:
    """The CSMS-initiated actions of ``version``, grouped (1.6 profiles, 2.0.1 blocks)."""
    if version == "1.6":
        return PROFILES
    if version == "2.0.1":
        return PROFILES_201
    raise ValueError(f"OCPP version {version!r} is not one of {', '.join(VERSIONS)}")


def actions(version: str = VERSION) -> tuple[str, ...]:
    """Every CSMS-initiated action of ``version``, in profile order."""
    return tuple(a for group in profiles(version).values() for a in group)


_PEM = "-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----"
_UPLOAD_URL = "ftp://127.0.0.1/upload/"
_FIRMWARE_URL = "http://127.0.0.1/firmware/fw.bin"

# A value for a field by name, wherever it appears, before falling back to its type.
_BY_NAME: dict[str, Any] = {
    "connectorId": 1,
    "idTag": "DEMO-TAG-0001",
    "parentIdTag": "FLEET",
    "key": "HeartbeatInterval",
    "value": "60",
    "vendorId": "bench",
    "transactionId": 1,
    "reservationId": 1,
    "requestId": 1,
    "listVersion": 1,
    "chargingProfileId": 1,
    "stackLevel": 0,
    "startPeriod": 0,
    "limit": 10.0,
    "duration": 3600,
    "location": _UPLOAD_URL,
    "remoteLocation": _UPLOAD_URL,
    "certificate": _PEM,
    "certificateChain": _PEM,
    "signingCertificate": _PEM,
    "signature": "c2lnbmF0dXJl",
    "issuerNameHash": "0" * 64,
    "issuerKeyHash": "0" * 64,
    "serialNumber": "01",
}

# Enum choices that make a friendlier first suggestion than the schema's first entry.
_ENUM_CHOICE: dict[str, str] = {
    "type": "Operative",  # ChangeAvailability; Reset overrides below
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Relative",
    "chargingRateUnit": "A",
    "requestedMessage": "StatusNotification",
    "updateType": "Full",
    "logType": "DiagnosticsLog",
    "certificateType": "CentralSystemRootCertificate",
    "certificateUse": "CentralSystemRootCertificate",
    "hashAlgorithm": "SHA256",
}

# Whole payloads where the generic fill would be legal but not what a tester wants.
# ``{now}``-relative dates are filled in by ``template``.
_EXTRAS: dict[str, dict[str, Any]] = {
    "RemoteStartTransaction": {"connectorId": 1},
    "Reset": {"type": "Soft"},
    "GetConfiguration": {"key": ["HeartbeatInterval", "MeterValueSampleInterval"]},
    "SendLocalList": {
        "localAuthorizationList": [{"idTag": "DEMO-TAG-0001", "idTagInfo": {"status": "Accepted"}}]
    },
    "TriggerMessage": {"connectorId": 1},
    "ExtendedTriggerMessage": {"connectorId": 1},
    "ClearChargingProfile": {"connectorId": 1},
    "GetCompositeSchedule": {"chargingRateUnit": "A"},
    "DataTransfer": {"messageId": "ping", "data": "hello"},
    "UpdateFirmware": {"location": _FIRMWARE_URL},
}


# --- 2.0.1: the same idea, its own field names (several mean other things than in 1.6).
_BY_NAME_201: dict[str, Any] = {
    "evseId": 1,
    "connectorId": 1,
    "idToken": "DEMO-TAG-0001",
    "remoteStartId": 1,
    "transactionId": "TX-1",
    "reservationId": 1,
    "requestId": 1,
    "id": 1,
    "versionNumber": 1,
    "vendorId": "bench",
    "stackLevel": 0,
    "startPeriod": 0,
    "limit": 10.0,
    "duration": 3600,
    "totalCost": 1.5,
    "severity": 5,
    "value": 10.0,
    "attributeValue": "60",
    "content": "Hello from the bench",
    "configurationSlot": 1,
    "ocppCsmsUrl": "ws://127.0.0.1:9000/",
    "messageTimeout": 30,
    "securityProfile": 1,
    "location": _FIRMWARE_URL,
    "remoteLocation": _UPLOAD_URL,
    "checksum": "0" * 32,
    "certificate": _PEM,
    "certificateChain": _PEM,
    "signingCertificate": _PEM,
    "signature": "c2lnbmF0dXJl",
    "issuerNameHash": "0" * 64,
    "issuerKeyHash": "0" * 64,
    "serialNumber": "01",
}
_ENUM_CHOICE_201: dict[str, str] = {
    "operationalStatus": "Operative",
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Relative",
    "chargingRateUnit": "A",
    "requestedMessage": "StatusNotification",
    "updateType": "Full",
    "logType": "DiagnosticsLog",
    "certificateType": "CSMSRootCertificate",
    "hashAlgorithm": "SHA256",
    "reportBase": "FullInventory",
    "monitoringBase": "All",
    "ocppVersion": "OCPP20",
    "ocppTransport": "JSON",
    "ocppInterface": "Wired0",
    "priority": "NormalCycle",
    "format": "UTF8",
    "type": "ISO14443",  # IdTokenType; Reset and monitors take theirs from _EXTRAS_201
}
_HEARTBEAT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
_EXTRAS_201: dict[str, dict[str, Any]] = {
    "Reset": {"type": "Immediate"},
    "GetVariables": {"getVariableData": [_HEARTBEAT]},
    "SetVariables": {"setVariableData": [{**_HEARTBEAT, "attributeValue": "60"}]},
    "GetReport": {"componentVariable": [{"component": {"name": "OCPPCommCtrlr"}}]},
    "TriggerMessage": {"evse": {"id": 1, "connectorId": 1}},
    "RequestStartTransaction": {"evseId": 1},
    "ClearChargingProfile": {"chargingProfileCriteria": {"evseId": 1}},
    "DataTransfer": {"messageId": "echo", "data": "hello"},
    "SetVariableMonitoring": {
        "setMonitoringData": [
            {
                "value": 7000.0,
                "type": "UpperThreshold",
                "severity": 5,
                "component": {"name": "EVSE", "evse": {"id": 1}},
                "variable": {"name": "Power"},
            }
        ]
    },
    "SendLocalList": {
        "localAuthorizationList": [
            {
                "idToken": {"idToken": "DEMO-TAG-0001", "type": "ISO14443"},
                "idTokenInfo": {"status": "Accepted"},
            }
        ]
    },
}
_TABLES = {
    "1.6": (_BY_NAME, _ENUM_CHOICE, _EXTRAS),
    "2.0.1": (_BY_NAME_201, _ENUM_CHOICE_201, _EXTRAS_201),
}
# A hint for one version's token field applies to the other's too (the UI names a tag).
_TOKEN_FIELDS = ("idTag", "idToken")


class UnknownAction(KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown action"


class PayloadError(ValueError):
    """Text that is not a valid request payload; the message says where."""


def parse_payload(action: str, text: str, version: str = VERSION) -> dict[str, Any]:
    """``text`` as a ``version`` request payload for ``action``, or ``PayloadError``.

    The first problem only: a JSON syntax error with its line and column, or the
    first schema violation (the same compiled schemas the session checks with).
    """
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"JSON, line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    try:
        validate(version, action, payload, response=False)
    except SchemaViolation as exc:
        raise PayloadError(f"{exc.kind.value}: {exc.message}") from None
    return payload


@cache
def request_schema(action: str, version: str = VERSION) -> dict[str, Any]:
    """The raw request schema of ``action`` (as shipped with the ``ocpp`` library)."""
    if version not in _TABLES:
        raise ValueError(f"OCPP version {version!r} is not one of {', '.join(VERSIONS)}")
    package, suffix = ("ocpp.v16", ".json") if version == "1.6" else ("ocpp.v201", "Request.json")
    folder = importlib.resources.files(package) / "schemas"
    try:
        text = (folder / f"{action}{suffix}").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        raise UnknownAction(f"OCPP {version} has no request {action!r}") from None
    schema = json.loads(text)
    schema.pop("$id", None)
    return schema


def profile_of(action: str, version: str = VERSION) -> str | None:
    return next((name for name, group in profiles(version).items() if action in group), None)


def template(
    action: str,
    now: datetime,
    hints: Mapping[str, Any] | None = None,
    version: str = VERSION,
) -> dict[str, Any]:
    """A valid ``version`` request payload for ``action``: required fields plus a few useful ones.

    ``now`` (an aware datetime from the caller's clock) anchors date-time fields:
    start and retrieve dates are ``now``, expiry and stop dates an hour later.
    ``hints`` overrides the value used for a field name wherever it occurs, e.g.
    ``{"idTag": "MY-CARD"}`` so the template names a tag the CSMS knows (in 2.0.1
    the same hint fills ``idToken``).
    """
    schema = request_schema(action, version)
    defaults, enums, extras = _TABLES[version]
    hints = dict(hints or {})
    token = next((hints[f] for f in _TOKEN_FIELDS if f in hints), None)
    if token is not None:
        hints.update(dict.fromkeys(_TOKEN_FIELDS, token))
    by_name = {**defaults, **hints}
    payload = _fill(schema, schema, "", now, by_name, enums)
    for key, value in extras.get(action, {}).items():
        payload[key] = _apply_hints(copy.deepcopy(value), hints, key)
    if action == "SignedUpdateFirmware":  # the firmware is downloaded, not uploaded
        payload["firmware"]["location"] = _FIRMWARE_URL
    return payload


def _apply_hints(value: Any, hints: Mapping[str, Any], name: str) -> Any:
    """Let a token hint reach into the hand-written extras too (SendLocalList's list)."""
    if isinstance(value, dict):
        return {k: _apply_hints(v, hints, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_apply_hints(v, hints, name) for v in value]
    if name in _TOKEN_FIELDS and isinstance(value, str):
        return hints.get(name, value)
    return value


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part]
    return _resolve(target, root)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _fill(
    node: dict[str, Any],
    root: dict[str, Any],
    name: str,
    now: datetime,
    by_name: Mapping[str, Any],
    enums: Mapping[str, str] = _ENUM_CHOICE,
) -> Any:
    node = _resolve(node, root)
    kind = node.get("type")
    enum = node.get("enum")
    if enum:
        preferred = enums.get(name)
        return preferred if preferred in enum else enum[0]
    if kind == "object":
        props = node.get("properties", {})
        return {
            key: _fill(props[key], root, key, now, by_name, enums)
            for key in node.get("required", [])
            if key in props
        }
    if kind == "array":
        items = node.get("items", {})
        if not isinstance(items, dict):
            return []
        return [_fill(items, root, name, now, by_name, enums)]
    if name in by_name:
        return copy.deepcopy(by_name[name])
    if node.get("format") == "date-time":
        later = any(word in name.lower() for word in ("expiry", "stop", "latest", "validto"))
        return _iso(now + timedelta(hours=1) if later else now)
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if node.get("format") == "uri":
        return _UPLOAD_URL
    return "text"
