"""What a manual CSMS console needs: the CSMS-initiated 1.6 actions and a payload to start from.

``PROFILES`` lists every request the central system may send in OCPP 1.6
(1.6 §3 feature profiles, and the security extension's requests from the
whitepaper), grouped the way the spec groups them. ``template(action, now)``
builds a request payload from the action's OCA JSON schema (shipped with the
``ocpp`` library, the same files ``bench.ocpp.schemas`` compiles): every
required field, filled with a value that passes the schema and means something
on a bench (connector 1, a 10 A limit, a soft reset), plus the optional fields
a tester reaches for most. Tests check that each template validates.

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


class UnknownAction(KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown action"


@cache
def request_schema(action: str) -> dict[str, Any]:
    """The raw 1.6 request schema of ``action`` (as shipped with the ``ocpp`` library)."""
    folder = importlib.resources.files("ocpp.v16") / "schemas"
    try:
        text = (folder / f"{action}.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        raise UnknownAction(f"OCPP 1.6 has no request {action!r}") from None
    return json.loads(text)


def profile_of(action: str) -> str | None:
    return next((name for name, group in PROFILES.items() if action in group), None)


def template(action: str, now: datetime, hints: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A valid request payload for ``action``: required fields plus a few useful ones.

    ``now`` (an aware datetime from the caller's clock) anchors date-time fields:
    start and retrieve dates are ``now``, expiry and stop dates an hour later.
    ``hints`` overrides the value used for a field name wherever it occurs, e.g.
    ``{"idTag": "MY-CARD"}`` so the template names a tag the CSMS knows.
    """
    schema = request_schema(action)
    by_name = {**_BY_NAME, **(hints or {})}
    payload = _fill(schema, schema, "", now, by_name)
    for key, value in _EXTRAS.get(action, {}).items():
        payload[key] = _apply_hints(copy.deepcopy(value), by_name, key)
    if action == "SignedUpdateFirmware":  # the firmware is downloaded, not uploaded
        payload["firmware"]["location"] = _FIRMWARE_URL
    return payload


def _apply_hints(value: Any, by_name: Mapping[str, Any], name: str) -> Any:
    """Let an idTag hint reach into the hand-written extras too (SendLocalList's list)."""
    if isinstance(value, dict):
        return {k: _apply_hints(v, by_name, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_apply_hints(v, by_name, name) for v in value]
    return by_name.get("idTag", value) if name == "idTag" else value


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
) -> Any:
    node = _resolve(node, root)
    kind = node.get("type")
    enum = node.get("enum")
    if enum:
        preferred = _ENUM_CHOICE.get(name)
        return preferred if preferred in enum else enum[0]
    if kind == "object":
        props = node.get("properties", {})
        return {
            key: _fill(props[key], root, key, now, by_name)
            for key in node.get("required", [])
            if key in props
        }
    if kind == "array":
        items = node.get("items", {})
        return [_fill(items, root, name, now, by_name)] if isinstance(items, dict) else []
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
