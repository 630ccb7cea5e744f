"""OCPP 1.6 CSMS-initiated requests as typed helpers.

Each helper builds the request payload from keyword arguments, sends it with
``call`` (which validates it against the 1.6 schema before it leaves) and
returns the station's reply payload unchanged: deciding whether ``Rejected``
is a failure is the caller's business. A CALLERROR raises ``CallError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bench.csms.config import TagEntry
from bench.csms.storage import iso

_DEFAULT_TIMEOUT = 30.0


def _when(value: datetime | str) -> str:
    return iso(value) if isinstance(value, datetime) else value


def _drop_none(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def local_list_entries(tags: Mapping[str, TagEntry]) -> list[dict[str, Any]]:
    """A tag list as SendLocalList ``localAuthorizationList`` entries (1.6 §7.2)."""
    out = []
    for tag, entry in tags.items():
        info: dict[str, Any] = {"status": entry.status}
        if entry.expiry_date is not None:
            info["expiryDate"] = iso(entry.expiry_date)
        if entry.parent_id_tag is not None:
            info["parentIdTag"] = entry.parent_id_tag
        out.append({"idTag": tag, "idTagInfo": info})
    return out


class V16Commands:
    """Mixed into ``CentralSystem``; relies only on its ``call``."""

    async def call(
        self,
        station_id: str,
        action: str,
        payload: dict[str, Any],
        timeout: float = _DEFAULT_TIMEOUT,
        *,
        force: bool = False,
    ) -> dict[str, Any]:
        raise NotImplementedError

    # --- Core profile ---------------------------------------------------------
    async def change_availability(
        self, station_id: str, connector_id: int, type: str, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """1.6 §5.2; ``type`` is Operative or Inoperative."""
        payload = {"connectorId": connector_id, "type": type}
        return await self.call(station_id, "ChangeAvailability", payload, timeout)

    async def change_configuration(
        self, station_id: str, key: str, value: str, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """1.6 §5.3"""
        payload = {"key": key, "value": value}
        return await self.call(station_id, "ChangeConfiguration", payload, timeout)

    async def clear_cache(
        self, station_id: str, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """1.6 §5.4"""
        return await self.call(station_id, "ClearCache", {}, timeout)

    async def data_transfer(
        self,
        station_id: str,
        vendor_id: str,
        message_id: str | None = None,
        data: str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.6"""
        payload = _drop_none(vendorId=vendor_id, messageId=message_id, data=data)
        return await self.call(station_id, "DataTransfer", payload, timeout)

    async def get_configuration(
        self,
        station_id: str,
        keys: Iterable[str] | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.8; no keys asks for every key."""
        payload = {} if keys is None else {"key": list(keys)}
        return await self.call(station_id, "GetConfiguration", payload, timeout)

    async def remote_start_transaction(
        self,
        station_id: str,
        id_tag: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.11"""
        payload = _drop_none(
            idTag=id_tag, connectorId=connector_id, chargingProfile=charging_profile
        )
        return await self.call(station_id, "RemoteStartTransaction", payload, timeout)

    async def remote_stop_transaction(
        self, station_id: str, transaction_id: int, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """1.6 §5.12"""
        payload = {"transactionId": transaction_id}
        return await self.call(station_id, "RemoteStopTransaction", payload, timeout)

    async def reset(
        self, station_id: str, type: str = "Soft", *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """1.6 §5.14; ``type`` is Soft or Hard."""
        return await self.call(station_id, "Reset", {"type": type}, timeout)

    async def unlock_connector(
        self, station_id: str, connector_id: int, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """1.6 §5.18"""
        payload = {"connectorId": connector_id}
        return await self.call(station_id, "UnlockConnector", payload, timeout)

    # --- Firmware Management profile -------------------------------------------
    async def get_diagnostics(
        self,
        station_id: str,
        location: str,
        retries: int | None = None,
        retry_interval: int | None = None,
        start_time: datetime | str | None = None,
        stop_time: datetime | str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.9"""
        payload = _drop_none(
            location=location,
            retries=retries,
            retryInterval=retry_interval,
            startTime=_when(start_time) if start_time is not None else None,
            stopTime=_when(stop_time) if stop_time is not None else None,
        )
        return await self.call(station_id, "GetDiagnostics", payload, timeout)

    async def update_firmware(
        self,
        station_id: str,
        location: str,
        retrieve_date: datetime | str,
        retries: int | None = None,
        retry_interval: int | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.19"""
        payload = _drop_none(
            location=location,
            retrieveDate=_when(retrieve_date),
            retries=retries,
            retryInterval=retry_interval,
        )
        return await self.call(station_id, "UpdateFirmware", payload, timeout)

    # --- Local Auth List Management profile -------------------------------------
    async def send_local_list(
        self,
        station_id: str,
        list_version: int,
        update_type: str = "Full",
        local_authorization_list: list[dict[str, Any]] | Mapping[str, TagEntry] | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.15; the list may be given as raw entries or as a tag mapping."""
        entries = local_authorization_list
        if isinstance(entries, Mapping):
            entries = local_list_entries(entries)
        payload = _drop_none(
            listVersion=list_version, updateType=update_type, localAuthorizationList=entries
        )
        return await self.call(station_id, "SendLocalList", payload, timeout)

    async def get_local_list_version(
        self, station_id: str, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """1.6 §5.10"""
        return await self.call(station_id, "GetLocalListVersion", {}, timeout)

    # --- Reservation profile ---------------------------------------------------
    async def reserve_now(
        self,
        station_id: str,
        connector_id: int,
        expiry_date: datetime | str,
        id_tag: str,
        reservation_id: int,
        parent_id_tag: str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.13"""
        payload = _drop_none(
            connectorId=connector_id,
            expiryDate=_when(expiry_date),
            idTag=id_tag,
            parentIdTag=parent_id_tag,
            reservationId=reservation_id,
        )
        return await self.call(station_id, "ReserveNow", payload, timeout)

    async def cancel_reservation(
        self, station_id: str, reservation_id: int, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """1.6 §5.1"""
        payload = {"reservationId": reservation_id}
        return await self.call(station_id, "CancelReservation", payload, timeout)

    # --- Remote Trigger profile ------------------------------------------------
    async def trigger_message(
        self,
        station_id: str,
        requested_message: str,
        connector_id: int | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.17"""
        payload = _drop_none(requestedMessage=requested_message, connectorId=connector_id)
        return await self.call(station_id, "TriggerMessage", payload, timeout)

    # --- Smart Charging profile ------------------------------------------------
    async def set_charging_profile(
        self,
        station_id: str,
        connector_id: int,
        cs_charging_profiles: dict[str, Any],
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.16; ``cs_charging_profiles`` is a 1.6 ChargingProfile object."""
        payload = {"connectorId": connector_id, "csChargingProfiles": cs_charging_profiles}
        return await self.call(station_id, "SetChargingProfile", payload, timeout)

    async def clear_charging_profile(
        self,
        station_id: str,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.5; no criteria clears every profile."""
        payload = _drop_none(
            id=id,
            connectorId=connector_id,
            chargingProfilePurpose=charging_profile_purpose,
            stackLevel=stack_level,
        )
        return await self.call(station_id, "ClearChargingProfile", payload, timeout)

    async def get_composite_schedule(
        self,
        station_id: str,
        connector_id: int,
        duration: int,
        charging_rate_unit: str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """1.6 §5.7"""
        payload = _drop_none(
            connectorId=connector_id, duration=duration, chargingRateUnit=charging_rate_unit
        )
        return await self.call(station_id, "GetCompositeSchedule", payload, timeout)
