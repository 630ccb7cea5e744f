"""CSMS-initiated transfer requests of the 1.6 security extension, as typed helpers.

SignedUpdateFirmware (whitepaper §5.21, L01) and GetLog (§5.9, N01) for the
built-in CSMS; like ``V16Commands`` they build the payload, send it with
``csms.call`` (validated against the schema before it leaves) and return the
station's reply unchanged. ``signed_firmware`` prepares the firmware fields
from a file's bytes, a signing certificate and its private key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bench.csms.storage import iso
from bench.firmware_image import sign_firmware

_DEFAULT_TIMEOUT = 30.0


class _Caller(Protocol):
    async def call(
        self, station_id: str, action: str, payload: dict[str, Any], timeout: float = ...
    ) -> dict[str, Any]: ...


def _when(value: datetime | str) -> str:
    return iso(value) if isinstance(value, datetime) else value


def signed_firmware(
    data: bytes,
    location: str,
    retrieve_date_time: datetime | str,
    signing_certificate_pem: str,
    private_key: Any,
    install_date_time: datetime | str | None = None,
) -> dict[str, Any]:
    """The ``firmware`` object of SignedUpdateFirmware.req for ``data`` (FirmwareType, §6.9)."""
    firmware: dict[str, Any] = {
        "location": location,
        "retrieveDateTime": _when(retrieve_date_time),
        "signingCertificate": signing_certificate_pem,
        "signature": sign_firmware(data, private_key),
    }
    if install_date_time is not None:
        firmware["installDateTime"] = _when(install_date_time)
    return firmware


async def signed_update_firmware(
    csms: _Caller,
    station_id: str,
    request_id: int,
    firmware: dict[str, Any],
    retries: int | None = None,
    retry_interval: int | None = None,
    *,
    timeout: float = _DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Whitepaper §5.21; ``firmware`` as built by ``signed_firmware``."""
    payload: dict[str, Any] = {"requestId": request_id, "firmware": firmware}
    if retries is not None:
        payload["retries"] = retries
    if retry_interval is not None:
        payload["retryInterval"] = retry_interval
    return await csms.call(station_id, "SignedUpdateFirmware", payload, timeout)


async def get_log(
    csms: _Caller,
    station_id: str,
    log_type: str,
    request_id: int,
    remote_location: str,
    oldest: datetime | str | None = None,
    latest: datetime | str | None = None,
    retries: int | None = None,
    retry_interval: int | None = None,
    *,
    timeout: float = _DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Whitepaper §5.9; ``log_type`` is DiagnosticsLog or SecurityLog."""
    params: dict[str, Any] = {"remoteLocation": remote_location}
    if oldest is not None:
        params["oldestTimestamp"] = _when(oldest)
    if latest is not None:
        params["latestTimestamp"] = _when(latest)
    payload: dict[str, Any] = {"logType": log_type, "requestId": request_id, "log": params}
    if retries is not None:
        payload["retries"] = retries
    if retry_interval is not None:
        payload["retryInterval"] = retry_interval
    return await csms.call(station_id, "GetLog", payload, timeout)
