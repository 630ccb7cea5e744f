"""OCPP 2.0.1 CSMS-initiated requests as typed helpers: ``csms.v201.<snake_name>(...)``.

Every request the CSMS may send in 2.0.1 (part 2, all functional blocks) has one
helper here. They live on their own object, ``CentralSystem.v201``, rather than as
methods of ``CentralSystem`` beside the 1.6 ones, because many names are shared with
other fields (``reset`` is Soft/Hard in 1.6 and Immediate/OnIdle per EVSE in 2.0.1;
``change_availability``, ``data_transfer``, ``trigger_message``, ...): so
``csms.reset(sid)`` is 1.6 and ``csms.v201.reset(sid)`` is 2.0.1, and neither
signature has to bend for the other.

Each helper builds the payload from keyword arguments (snake_case for the
schema's camelCase, ``None`` means "leave the optional field out"), checks that
the station speaks 2.0.1 (``WrongVersion`` otherwise, before anything is sent),
sends it with ``csms.call`` (which validates it against the 2.0.1 schema and
applies B02/B03's rules for Pending and Rejected stations) and returns the reply
payload unchanged: whether ``Rejected`` is a failure is the caller's business. A
CALLERROR raises ``CallError``.

Builders for the recurring types (``component``, ``variable``, ``evse``,
``id_token``, ``local_list_entries``) are in ``v201_payloads`` and re-exported here;
blocks K-P's helpers are in ``v201_commands_ops``. ``ACTIONS`` maps every
CSMS-initiated 2.0.1 action to the name of its helper.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from bench.csms.config import TagEntry
from bench.csms.registry import UnknownStation, WrongVersion
from bench.csms.v201_commands_ops import OperationsCommands
from bench.csms.v201_payloads import (
    GetItem,
    SetItem,
    component,
    component_variable,
    evse,
    get_variable_data,
    id_token,
    local_list_entries,
    set_variable_data,
    variable,
)
from bench.csms.v201_payloads import drop_none as _drop_none
from bench.csms.v201_payloads import when as _when

__all__ = [
    "ACTIONS",
    "V201Commands",
    "component",
    "component_variable",
    "evse",
    "id_token",
    "local_list_entries",
    "variable",
]

VERSION = "2.0.1"
_DEFAULT_TIMEOUT = 30.0

# Every CSMS-initiated 2.0.1 request -> its helper on ``V201Commands``.
ACTIONS: dict[str, str] = {
    "CancelReservation": "cancel_reservation",
    "CertificateSigned": "certificate_signed",
    "ChangeAvailability": "change_availability",
    "ClearCache": "clear_cache",
    "ClearChargingProfile": "clear_charging_profile",
    "ClearDisplayMessage": "clear_display_message",
    "ClearVariableMonitoring": "clear_variable_monitoring",
    "CostUpdated": "cost_updated",
    "CustomerInformation": "customer_information",
    "DataTransfer": "data_transfer",
    "DeleteCertificate": "delete_certificate",
    "GetBaseReport": "get_base_report",
    "GetChargingProfiles": "get_charging_profiles",
    "GetCompositeSchedule": "get_composite_schedule",
    "GetDisplayMessages": "get_display_messages",
    "GetInstalledCertificateIds": "get_installed_certificate_ids",
    "GetLocalListVersion": "get_local_list_version",
    "GetLog": "get_log",
    "GetMonitoringReport": "get_monitoring_report",
    "GetReport": "get_report",
    "GetTransactionStatus": "get_transaction_status",
    "GetVariables": "get_variables",
    "InstallCertificate": "install_certificate",
    "PublishFirmware": "publish_firmware",
    "RequestStartTransaction": "request_start_transaction",
    "RequestStopTransaction": "request_stop_transaction",
    "ReserveNow": "reserve_now",
    "Reset": "reset",
    "SendLocalList": "send_local_list",
    "SetChargingProfile": "set_charging_profile",
    "SetDisplayMessage": "set_display_message",
    "SetMonitoringBase": "set_monitoring_base",
    "SetMonitoringLevel": "set_monitoring_level",
    "SetNetworkProfile": "set_network_profile",
    "SetVariableMonitoring": "set_variable_monitoring",
    "SetVariables": "set_variables",
    "TriggerMessage": "trigger_message",
    "UnlockConnector": "unlock_connector",
    "UnpublishFirmware": "unpublish_firmware",
    "UpdateFirmware": "update_firmware",
}


class _Central(Protocol):
    def protocol_version(self, station_id: str) -> str | None: ...

    async def call(
        self,
        station_id: str,
        action: str,
        payload: dict[str, Any],
        timeout: float = ...,
        *,
        force: bool = ...,
    ) -> dict[str, Any]: ...


# ---------------------------------------------------------------------- the helpers
class V201Commands(OperationsCommands):
    """``CentralSystem.v201``: one typed helper per CSMS-initiated 2.0.1 request."""

    __slots__ = ("_csms",)

    def __init__(self, csms: _Central) -> None:
        self._csms = csms

    async def call(
        self,
        station_id: str,
        action: str,
        payload: dict[str, Any],
        timeout: float = _DEFAULT_TIMEOUT,
        *,
        force: bool = False,
    ) -> dict[str, Any]:
        """``csms.call`` for a station that speaks 2.0.1 (``WrongVersion`` otherwise)."""
        version = self._csms.protocol_version(station_id)
        if version is None:
            raise UnknownStation(f"station {station_id!r} is not connected")
        if version != VERSION:
            raise WrongVersion(
                f"station {station_id!r} speaks OCPP {version}; {action} here is 2.0.1"
            )
        return await self._csms.call(station_id, action, payload, timeout, force=force)

    # --- A Security ---------------------------------------------------------
    async def set_network_profile(
        self,
        station_id: str,
        configuration_slot: int,
        connection_data: dict[str, Any],
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """A05; ``connection_data`` is a NetworkConnectionProfileType."""
        payload = {"configurationSlot": configuration_slot, "connectionData": connection_data}
        return await self.call(station_id, "SetNetworkProfile", payload, timeout)

    async def certificate_signed(
        self,
        station_id: str,
        certificate_chain: str,
        certificate_type: str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """A02/A03; ``certificate_type`` ChargingStationCertificate or V2GCertificate."""
        payload = _drop_none(certificateChain=certificate_chain, certificateType=certificate_type)
        return await self.call(station_id, "CertificateSigned", payload, timeout)

    # --- B Provisioning -----------------------------------------------------
    async def get_variables(
        self, station_id: str, data: Iterable[GetItem], *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """B06; items as dicts or ``("OCPPCommCtrlr", "HeartbeatInterval"[, "Actual"])``."""
        payload = {"getVariableData": [get_variable_data(i) for i in data]}
        return await self.call(station_id, "GetVariables", payload, timeout)

    async def set_variables(
        self, station_id: str, data: Iterable[SetItem], *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """B05; items as dicts or ``("OCPPCommCtrlr", "HeartbeatInterval", "60"[, type])``."""
        payload = {"setVariableData": [set_variable_data(i) for i in data]}
        return await self.call(station_id, "SetVariables", payload, timeout)

    async def get_variable(
        self,
        station_id: str,
        comp: str | Mapping[str, Any],
        var: str | Mapping[str, Any],
        attribute_type: str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """B06 for one variable: its GetVariableResultType."""
        reply = await self.get_variables(station_id, [(comp, var, attribute_type)], timeout=timeout)
        return reply["getVariableResult"][0]

    async def set_variable(
        self,
        station_id: str,
        comp: str | Mapping[str, Any],
        var: str | Mapping[str, Any],
        value: str,
        attribute_type: str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """B05 for one variable: its SetVariableResultType."""
        item = (comp, var, value, attribute_type)
        reply = await self.set_variables(station_id, [item], timeout=timeout)
        return reply["setVariableResult"][0]

    async def get_base_report(
        self,
        station_id: str,
        request_id: int,
        report_base: str = "FullInventory",
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """B07; the parts arrive as NotifyReport: ``csms.wait_for_report(sid, request_id)``."""
        payload = {"requestId": request_id, "reportBase": report_base}
        return await self.call(station_id, "GetBaseReport", payload, timeout)

    async def get_report(
        self,
        station_id: str,
        request_id: int,
        component_criteria: Sequence[str] | None = None,
        component_variables: Sequence[Mapping[str, Any]] | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """B08; ``component_variables`` as built by ``component_variable``."""
        payload = _drop_none(
            requestId=request_id,
            componentCriteria=list(component_criteria) if component_criteria else None,
            componentVariable=[dict(c) for c in component_variables]
            if component_variables
            else None,
        )
        return await self.call(station_id, "GetReport", payload, timeout)

    async def reset(
        self,
        station_id: str,
        type: str = "Immediate",
        evse_id: int | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """B11/B12; ``type`` Immediate or OnIdle, the whole station unless ``evse_id``."""
        payload = _drop_none(type=type, evseId=evse_id)
        return await self.call(station_id, "Reset", payload, timeout)

    # --- C/D Authorization and local list -----------------------------------
    async def clear_cache(
        self, station_id: str, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """C11"""
        return await self.call(station_id, "ClearCache", {}, timeout)

    async def send_local_list(
        self,
        station_id: str,
        version_number: int,
        update_type: str = "Full",
        local_authorization_list: Sequence[Mapping[str, Any]]
        | Mapping[str, TagEntry]
        | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """D01; the list as AuthorizationData dicts or as the CSMS's tag mapping."""
        entries: list[dict[str, Any]] | None = None
        if isinstance(local_authorization_list, Mapping):
            entries = local_list_entries(local_authorization_list)
        elif local_authorization_list is not None:
            entries = [dict(e) for e in local_authorization_list]
        payload = _drop_none(
            versionNumber=version_number, updateType=update_type, localAuthorizationList=entries
        )
        return await self.call(station_id, "SendLocalList", payload, timeout)

    async def get_local_list_version(
        self, station_id: str, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """D02"""
        return await self.call(station_id, "GetLocalListVersion", {}, timeout)

    # --- E/F Transactions and remote control --------------------------------
    async def get_transaction_status(
        self,
        station_id: str,
        transaction_id: str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """E14; without an id: whether any transaction messages are still queued."""
        payload = _drop_none(transactionId=transaction_id)
        return await self.call(station_id, "GetTransactionStatus", payload, timeout)

    async def request_start_transaction(
        self,
        station_id: str,
        token: str | Mapping[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        group_id_token: str | Mapping[str, Any] | None = None,
        charging_profile: dict[str, Any] | None = None,
        *,
        token_type: str = "ISO14443",
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """F01/F02; ``token`` a string (of ``token_type``) or an IdTokenType dict."""
        payload = _drop_none(
            idToken=id_token(token, token_type),
            remoteStartId=remote_start_id,
            evseId=evse_id,
            groupIdToken=id_token(group_id_token, "Central") if group_id_token else None,
            chargingProfile=charging_profile,
        )
        return await self.call(station_id, "RequestStartTransaction", payload, timeout)

    async def request_stop_transaction(
        self, station_id: str, transaction_id: str, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """F03"""
        payload = {"transactionId": transaction_id}
        return await self.call(station_id, "RequestStopTransaction", payload, timeout)

    async def unlock_connector(
        self,
        station_id: str,
        evse_id: int,
        connector_id: int = 1,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """F05"""
        payload = {"evseId": evse_id, "connectorId": connector_id}
        return await self.call(station_id, "UnlockConnector", payload, timeout)

    async def trigger_message(
        self,
        station_id: str,
        requested_message: str,
        evse_id: int | None = None,
        connector_id: int | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """F06; ``requested_message`` a MessageTriggerEnumType value."""
        payload: dict[str, Any] = {"requestedMessage": requested_message}
        if evse_id is not None:
            payload["evse"] = evse(evse_id, connector_id)
        return await self.call(station_id, "TriggerMessage", payload, timeout)

    # --- G Availability -----------------------------------------------------
    async def change_availability(
        self,
        station_id: str,
        operational_status: str,
        evse_id: int | None = None,
        connector_id: int | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """G03/G04; the whole station unless ``evse_id`` (and ``connector_id``)."""
        payload: dict[str, Any] = {"operationalStatus": operational_status}
        if evse_id is not None:
            payload["evse"] = evse(evse_id, connector_id)
        return await self.call(station_id, "ChangeAvailability", payload, timeout)

    # --- H Reservation ------------------------------------------------------
    async def reserve_now(
        self,
        station_id: str,
        id: int,
        expiry_date_time: datetime | str,
        token: str | Mapping[str, Any],
        evse_id: int | None = None,
        connector_type: str | None = None,
        group_id_token: str | Mapping[str, Any] | None = None,
        *,
        token_type: str = "ISO14443",
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """H01; without ``evse_id`` the reservation is for any EVSE (H01.FR.06)."""
        payload = _drop_none(
            id=id,
            expiryDateTime=_when(expiry_date_time),
            idToken=id_token(token, token_type),
            evseId=evse_id,
            connectorType=connector_type,
            groupIdToken=id_token(group_id_token, "Central") if group_id_token else None,
        )
        return await self.call(station_id, "ReserveNow", payload, timeout)

    async def cancel_reservation(
        self, station_id: str, reservation_id: int, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """H02"""
        payload = {"reservationId": reservation_id}
        return await self.call(station_id, "CancelReservation", payload, timeout)

    # --- I Tariff and cost --------------------------------------------------
    async def cost_updated(
        self,
        station_id: str,
        total_cost: float,
        transaction_id: str,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """I04"""
        payload = {"totalCost": total_cost, "transactionId": transaction_id}
        return await self.call(station_id, "CostUpdated", payload, timeout)
