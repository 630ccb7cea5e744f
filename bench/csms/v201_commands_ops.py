"""OCPP 2.0.1 CSMS-initiated requests of blocks K-P, mixed into ``V201Commands``.

Smart charging, firmware, certificates, diagnostics and monitoring, display
messages and DataTransfer; see ``v201_commands`` for the conventions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench.csms.v201_payloads import drop_none as _drop_none
from bench.csms.v201_payloads import id_token
from bench.csms.v201_payloads import when as _when

_DEFAULT_TIMEOUT = 30.0


class OperationsCommands:
    """Relies only on ``call`` (``V201Commands.call``: version check, then ``csms.call``)."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by ``V201Commands``

        async def call(
            self,
            station_id: str,
            action: str,
            payload: dict[str, Any],
            timeout: float = _DEFAULT_TIMEOUT,
            *,
            force: bool = False,
        ) -> dict[str, Any]: ...

    # --- K Smart charging ---------------------------------------------------
    async def set_charging_profile(
        self,
        station_id: str,
        evse_id: int,
        charging_profile: dict[str, Any],
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """K01; ``charging_profile`` a 2.0.1 ChargingProfileType; EVSE 0 is the station."""
        payload = {"evseId": evse_id, "chargingProfile": charging_profile}
        return await self.call(station_id, "SetChargingProfile", payload, timeout)

    async def get_charging_profiles(
        self,
        station_id: str,
        request_id: int,
        evse_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        charging_profile_ids: Sequence[int] | None = None,
        charging_limit_sources: Sequence[str] | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """K09; the profiles arrive as ReportChargingProfiles parts."""
        criterion = _drop_none(
            chargingProfilePurpose=charging_profile_purpose,
            stackLevel=stack_level,
            chargingProfileId=list(charging_profile_ids) if charging_profile_ids else None,
            chargingLimitSource=list(charging_limit_sources) if charging_limit_sources else None,
        )
        payload = _drop_none(requestId=request_id, evseId=evse_id, chargingProfile=criterion)
        return await self.call(station_id, "GetChargingProfiles", payload, timeout)

    async def clear_charging_profile(
        self,
        station_id: str,
        charging_profile_id: int | None = None,
        evse_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """K10; by id, or by criteria (all absent: every profile)."""
        criteria = _drop_none(
            evseId=evse_id, chargingProfilePurpose=charging_profile_purpose, stackLevel=stack_level
        )
        payload = _drop_none(
            chargingProfileId=charging_profile_id, chargingProfileCriteria=criteria or None
        )
        return await self.call(station_id, "ClearChargingProfile", payload, timeout)

    async def get_composite_schedule(
        self,
        station_id: str,
        evse_id: int,
        duration: int,
        charging_rate_unit: str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """K08"""
        payload = _drop_none(evseId=evse_id, duration=duration, chargingRateUnit=charging_rate_unit)
        return await self.call(station_id, "GetCompositeSchedule", payload, timeout)

    # --- L Firmware ---------------------------------------------------------
    async def update_firmware(
        self,
        station_id: str,
        request_id: int,
        location: str,
        retrieve_date_time: datetime | str,
        install_date_time: datetime | str | None = None,
        signing_certificate: str | None = None,
        signature: str | None = None,
        retries: int | None = None,
        retry_interval: int | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """L01/L02; a signed update carries ``signing_certificate`` and ``signature``."""
        firmware = _drop_none(
            location=location,
            retrieveDateTime=_when(retrieve_date_time),
            installDateTime=_when(install_date_time) if install_date_time else None,
            signingCertificate=signing_certificate,
            signature=signature,
        )
        payload = _drop_none(
            requestId=request_id, firmware=firmware, retries=retries, retryInterval=retry_interval
        )
        return await self.call(station_id, "UpdateFirmware", payload, timeout)

    async def publish_firmware(
        self,
        station_id: str,
        location: str,
        checksum: str,
        request_id: int,
        retries: int | None = None,
        retry_interval: int | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """L03 (local controller); ``checksum`` the file's MD5 as 32 hex digits."""
        payload = _drop_none(
            location=location,
            checksum=checksum,
            requestId=request_id,
            retries=retries,
            retryInterval=retry_interval,
        )
        return await self.call(station_id, "PublishFirmware", payload, timeout)

    async def unpublish_firmware(
        self, station_id: str, checksum: str, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """L04"""
        return await self.call(station_id, "UnpublishFirmware", {"checksum": checksum}, timeout)

    # --- M Certificates -----------------------------------------------------
    async def install_certificate(
        self,
        station_id: str,
        certificate_type: str,
        certificate: str,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """M05; ``certificate_type`` an InstallCertificateUseEnumType value."""
        payload = {"certificateType": certificate_type, "certificate": certificate}
        return await self.call(station_id, "InstallCertificate", payload, timeout)

    async def get_installed_certificate_ids(
        self,
        station_id: str,
        certificate_types: Sequence[str] | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """M03; no types: every installed certificate."""
        payload = _drop_none(certificateType=list(certificate_types) if certificate_types else None)
        return await self.call(station_id, "GetInstalledCertificateIds", payload, timeout)

    async def delete_certificate(
        self,
        station_id: str,
        certificate_hash_data: Mapping[str, Any],
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """M04; ``certificate_hash_data`` a CertificateHashDataType (from M03's reply)."""
        payload = {"certificateHashData": dict(certificate_hash_data)}
        return await self.call(station_id, "DeleteCertificate", payload, timeout)

    # --- N Diagnostics and monitoring ---------------------------------------
    async def get_log(
        self,
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
        """N01; ``log_type`` DiagnosticsLog or SecurityLog."""
        log = _drop_none(
            remoteLocation=remote_location,
            oldestTimestamp=_when(oldest) if oldest else None,
            latestTimestamp=_when(latest) if latest else None,
        )
        payload = _drop_none(
            log=log,
            logType=log_type,
            requestId=request_id,
            retries=retries,
            retryInterval=retry_interval,
        )
        return await self.call(station_id, "GetLog", payload, timeout)

    async def customer_information(
        self,
        station_id: str,
        request_id: int,
        report: bool,
        clear: bool,
        customer_identifier: str | None = None,
        token: str | Mapping[str, Any] | None = None,
        customer_certificate: Mapping[str, Any] | None = None,
        *,
        token_type: str = "ISO14443",
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """N09/N10; name the customer by identifier, token or certificate hash."""
        payload = _drop_none(
            requestId=request_id,
            report=report,
            clear=clear,
            customerIdentifier=customer_identifier,
            idToken=id_token(token, token_type) if token is not None else None,
            customerCertificate=dict(customer_certificate) if customer_certificate else None,
        )
        return await self.call(station_id, "CustomerInformation", payload, timeout)

    async def set_variable_monitoring(
        self,
        station_id: str,
        data: Sequence[Mapping[str, Any]],
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """N04; ``data`` SetMonitoringDataType dicts."""
        payload = {"setMonitoringData": [dict(d) for d in data]}
        return await self.call(station_id, "SetVariableMonitoring", payload, timeout)

    async def clear_variable_monitoring(
        self, station_id: str, ids: Iterable[int], *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """N06"""
        return await self.call(station_id, "ClearVariableMonitoring", {"id": list(ids)}, timeout)

    async def set_monitoring_base(
        self, station_id: str, monitoring_base: str, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """N03; All, FactoryDefault or HardWiredOnly."""
        payload = {"monitoringBase": monitoring_base}
        return await self.call(station_id, "SetMonitoringBase", payload, timeout)

    async def set_monitoring_level(
        self, station_id: str, severity: int, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """N05; severity 0 (Danger) .. 9 (Debug)."""
        return await self.call(station_id, "SetMonitoringLevel", {"severity": severity}, timeout)

    async def get_monitoring_report(
        self,
        station_id: str,
        request_id: int,
        monitoring_criteria: Sequence[str] | None = None,
        component_variables: Sequence[Mapping[str, Any]] | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """N02; the monitors arrive as NotifyMonitoringReport parts."""
        payload = _drop_none(
            requestId=request_id,
            monitoringCriteria=list(monitoring_criteria) if monitoring_criteria else None,
            componentVariable=[dict(c) for c in component_variables]
            if component_variables
            else None,
        )
        return await self.call(station_id, "GetMonitoringReport", payload, timeout)

    # --- O Display messages -------------------------------------------------
    async def set_display_message(
        self, station_id: str, message: Mapping[str, Any], *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """O01/O02; ``message`` a MessageInfoType."""
        payload = {"message": dict(message)}
        return await self.call(station_id, "SetDisplayMessage", payload, timeout)

    async def get_display_messages(
        self,
        station_id: str,
        request_id: int,
        ids: Sequence[int] | None = None,
        priority: str | None = None,
        state: str | None = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """O03; the messages arrive as NotifyDisplayMessages parts."""
        payload = _drop_none(
            requestId=request_id, id=list(ids) if ids else None, priority=priority, state=state
        )
        return await self.call(station_id, "GetDisplayMessages", payload, timeout)

    async def clear_display_message(
        self, station_id: str, id: int, *, timeout: float = _DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """O05"""
        return await self.call(station_id, "ClearDisplayMessage", {"id": id}, timeout)

    # --- P DataTransfer -----------------------------------------------------
    async def data_transfer(
        self,
        station_id: str,
        vendor_id: str,
        message_id: str | None = None,
        data: Any = None,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """P01; ``data`` any JSON value (2.0.1 drops 1.6's string-only rule)."""
        payload = _drop_none(vendorId=vendor_id, messageId=message_id, data=data)
        return await self.call(station_id, "DataTransfer", payload, timeout)
