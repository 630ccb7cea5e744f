"""What the bench, as a CSMS, answers a station's requests unless a case says otherwise.

The answers are those of a CSMS that accepts the station and the configured valid
id token: BootNotification Accepted with the configured heartbeat interval,
Authorize Accepted for the valid token and Invalid for any other, a transaction id
for every 1.6 StartTransaction, idTokenInfo on every 2.0.1 TransactionEvent that
carries an idToken, and the empty confirmation everywhere the schema allows one.
A case replaces any of them with ``ChargerRun.answer``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Answer = Callable[[dict[str, Any]], dict[str, Any]]

# The requests a station may send, per version (the CSMS-side handlers' actions).
STATION_REQUESTS = {
    "1.6": (
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
    ),
    "2.0.1": (
        "Authorize",
        "BootNotification",
        "ClearedChargingLimit",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Get15118EVCertificate",
        "GetCertificateStatus",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule",
        "NotifyEvent",
        "NotifyMonitoringReport",
        "NotifyReport",
        "PublishFirmwareStatusNotification",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "SignCertificate",
        "StatusNotification",
        "TransactionEvent",
    ),
}


@dataclass(frozen=True, slots=True)
class BootFacts:
    """Who the station says it is in its BootNotification (either version's fields)."""

    vendor: str = ""
    model: str = ""
    serial: str = ""
    firmware: str = ""


def boot_facts(boot: dict[str, Any]) -> BootFacts:
    station = boot.get("chargingStation", boot)  # 2.0.1 nests the fields; 1.6 is flat
    return BootFacts(
        str(station.get("vendorName", station.get("chargePointVendor", ""))),
        str(station.get("model", station.get("chargePointModel", ""))),
        str(station.get("serialNumber", station.get("chargePointSerialNumber", ""))),
        str(station.get("firmwareVersion", "")),
    )


def now_text() -> str:
    """The CSMS's current time as OCPP writes it (UTC, milliseconds, Z)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DefaultAnswers:
    """A well-behaved CSMS's replies, for one run (its transaction ids keep counting)."""

    def __init__(
        self,
        version: str,
        *,
        heartbeat_interval: int,
        accepted_tokens: Callable[[], frozenset[str]],
    ) -> None:
        self.version = version
        self.heartbeat_interval = heartbeat_interval
        self._accepted = accepted_tokens
        self._transaction_ids = itertools.count(1)

    def answer(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        special = getattr(self, f"_{self.version.replace('.', '')}_{action}", None)
        if special is not None:
            result: dict[str, Any] = special(payload)
            return result
        return _SIMPLE.get((self.version, action), {}).copy()

    def token_status(self, token: str | None) -> str:
        return "Accepted" if token in self._accepted() else "Invalid"

    # ---------------------------------------------------------------- both versions
    def _boot(self) -> dict[str, Any]:
        return {
            "status": "Accepted",
            "currentTime": now_text(),
            "interval": self.heartbeat_interval,
        }

    def _16_BootNotification(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._boot()

    def _201_BootNotification(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._boot()

    def _16_Heartbeat(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": now_text()}

    _201_Heartbeat = _16_Heartbeat

    # ---------------------------------------------------------------- 1.6
    def _16_Authorize(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"idTagInfo": {"status": self.token_status(payload.get("idTag"))}}

    def _16_StartTransaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "transactionId": next(self._transaction_ids),
            "idTagInfo": {"status": self.token_status(payload.get("idTag"))},
        }

    def _16_StopTransaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        if "idTag" not in payload:
            return {}
        return {"idTagInfo": {"status": self.token_status(payload.get("idTag"))}}

    # ---------------------------------------------------------------- 2.0.1
    def _201_Authorize(self, payload: dict[str, Any]) -> dict[str, Any]:
        token = (payload.get("idToken") or {}).get("idToken")
        return {"idTokenInfo": {"status": self.token_status(token)}}

    def _201_TransactionEvent(self, payload: dict[str, Any]) -> dict[str, Any]:
        token = (payload.get("idToken") or {}).get("idToken")
        if token is None:
            return {}
        return {"idTokenInfo": {"status": self.token_status(token)}}


# Replies that are the same whatever the request says.
_SIMPLE: dict[tuple[str, str], dict[str, Any]] = {
    ("1.6", "DataTransfer"): {"status": "UnknownVendorId"},
    ("1.6", "SignCertificate"): {"status": "Accepted"},
    ("2.0.1", "DataTransfer"): {"status": "UnknownVendorId"},
    ("2.0.1", "SignCertificate"): {"status": "Accepted"},
    ("2.0.1", "NotifyEVChargingNeeds"): {"status": "Accepted"},
    ("2.0.1", "NotifyEVChargingSchedule"): {"status": "Accepted"},
    ("2.0.1", "Get15118EVCertificate"): {"status": "Failed", "exiResponse": ""},
    ("2.0.1", "GetCertificateStatus"): {"status": "Failed"},
}
