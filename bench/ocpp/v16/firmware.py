"""Firmware updates, diagnostics and log uploads (1.6 §4.4, §4.5, §5.9, §5.19; whitepaper L01, N01).

Everything is transferred for real (``bench.transfer``: HTTP/HTTPS with
aiohttp, FTP/FTPS with ftplib) and every step is reported as it happens:

- UpdateFirmware (§5.19): at ``retrieveDate`` (virtual clock) download,
  retrying ``retries`` times every ``retryInterval``; Downloading,
  Downloaded/DownloadFailed; wait until no transaction runs (connectors not in
  use are made Unavailable meanwhile, errata 3.49); Installing; reboot with the
  new firmware version (read from the file, see ``bench.firmware_image``) and,
  once the new BootNotification is accepted, Installed (the good practice of
  the §5.19 note) and the security event FirmwareUpdated.
- SignedUpdateFirmware (L01): the signing certificate is checked before the
  reply (InvalidCertificate + InvalidFirmwareSigningCertificate event), the
  signature after the download (SignatureVerified, or InvalidSignature +
  InvalidFirmwareSignature event); DownloadScheduled / InstallScheduled for
  future dates; InstallRebooting before the reboot; every notification carries
  the requestId (L01.FR.10). A second request cancels a running one
  (AcceptedCanceled, L01.FR.26) unless it is already installing (Rejected, L01.FR.27).
- GetDiagnostics (§5.9): answers with the archive's file name, then Uploading,
  Uploaded/UploadFailed (§4.4), with retries.
- GetLog (N01): DiagnosticsLog or SecurityLog, LogStatusNotification with the
  requestId; a new request cancels a running upload (AcceptedCanceled, N01.FR.11).

``retries`` counts retries after the first attempt (errata 3.50), so an
attempt is made ``1 + retries`` times. Idle is only ever sent on request
(TriggerMessage / ExtendedTriggerMessage, §4.4, §4.5): ``send_*_status``.

Failures can be injected: ``inject_failure("download" | "upload" | "install" |
"signature" | "certificate", times)`` or the ``fail_next_*`` shorthands.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench import transfer
from bench.firmware_image import (
    CertificateProblem,
    ImageError,
    check_signing_certificate,
    read_image,
    verify_signature,
)
from bench.ocpp.common import transfer_jobs
from bench.ocpp.common.archive import DIAGNOSTICS, SECURITY, archive_name
from bench.ocpp.common.timestamps import read_iso
from bench.ocpp.common.transfer_jobs import (
    Job,
    TransferStatus,
    check_protocol,
    notify,
    options,
    retry_settings,
    wait_until,
)
from bench.ocpp.session import Reply
from bench.ocpp.v16.config import KeyDef, _key
from bench.ocpp.v16.diagnostics import build_diagnostics, build_security_log

if TYPE_CHECKING:
    from cryptography import x509

    from bench.model.clock import Clock
    from bench.model.events import Emitter
    from bench.model.station import Station
    from bench.ocpp.common.station_link import StationLink
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.diagnostics import Station16
    from bench.ocpp.v16.ports import FirmwareSecurity, Power
    from bench.ocpp.v16.security_gate import ExtensionGate
    from bench.store.config import StateStore

log = logging.getLogger(__name__)

PROFILE = "FirmwareManagement"  # its SupportedFeatureProfiles name
SUPPORTED = True  # UpdateFirmware, FirmwareStatusNotification, GetDiagnostics, DiagnosticsStatus...
KEYS: tuple[KeyDef, ...] = (
    # 1.6 errata 3.90 (§9.5.1): which schemes a location may use.
    _key(
        "SupportedFileTransferProtocols",
        "CSL",
        "R",
        "FTP,FTPS,HTTP,HTTPS",
        profile=PROFILE,
        help="File transfer protocols for firmware, diagnostics and logs",
    ),
)

IDLE_POLL = 5.0  # virtual seconds between looks at running transactions
MAX_IDLE_WAIT = 7 * 24 * 3600.0  # virtual seconds to wait for transactions before installing
FAULT_KINDS = ("download", "upload", "install", "signature", "certificate")

# Whitepaper FirmwareStatusEnumType end states: the update process has stopped.
_END_STATES = frozenset(
    {
        "DownloadFailed",
        "InstallationFailed",
        "Installed",
        "InstallVerificationFailed",
        "InvalidSignature",
    }
)
# What a 1.6 TriggerMessage reports while a signed update runs (1.6 has fewer states).
_CLASSIC_OF_SIGNED = {
    "Downloading": "Downloading",
    "Downloaded": "Downloaded",
    "SignatureVerified": "Downloaded",
    "InstallScheduled": "Downloaded",
    "Installing": "Installing",
    "InstallRebooting": "Installing",
}


class FirmwareManagement:
    """The firmware, diagnostics and log-upload block of one station."""

    __slots__ = (
        "_archives",
        "_clock",
        "_config",
        "_diagnostics",
        "_events",
        "_faults",
        "_firmware",
        "_gate",
        "_link",
        "_log",
        "_power",
        "_security",
        "_signed_last",
        "_state",
        "_station",
        "archive_format",
        "require_manufacturer_root",
        "stop_transactions_for_install",
    )

    def __init__(
        self,
        station: Station,
        *,
        clock: Clock,
        config: Configuration,
        state: StateStore,
        events: Emitter,
        link: StationLink,
        security: FirmwareSecurity,
        gate: ExtensionGate,
        power: Power,
        archives: Station16,
    ) -> None:
        self._station = station
        self._clock = clock
        self._config = config
        self._state = state
        self._events = events
        self._link = link  # the shared transfer steps' host (``transfer_jobs``)
        self._security = security  # security events; roots a signing certificate chains to
        self._gate = gate  # the security extension's requests and notifications
        self._power = power  # the reboot that activates new firmware
        self._archives = archives  # what the diagnostics and security-log archives read
        self._firmware: Job | None = None
        self._diagnostics: Job | None = None
        self._log: Job | None = None
        self._signed_last: str | None = None
        self._faults: dict[str, int] | None = None  # created on the first injection
        self.archive_format = "zip"  # or "tar.gz"
        # Without an installed ManufacturerRootCertificate a signing certificate can
        # only be checked on its own (parse, validity, key size); True refuses it instead.
        self.require_manufacturer_root = False
        # 1.6 §5.19 recommends waiting for running transactions; True stops them instead.
        self.stop_transactions_for_install = False
        installed = state.get(station.id, "firmware_version")
        if installed:
            # The version a previous run installed survives a restart of the bench.
            station.set_firmware_version(installed)

    def handlers(self) -> dict[str, Any]:
        """CSMS-initiated actions this block answers."""
        # The whitepaper's requests are NotImplemented on a station without the extension.
        extension = self._gate.guard(
            {"SignedUpdateFirmware": self.signed_update_firmware, "GetLog": self.get_log}
        )
        return {
            "UpdateFirmware": self.update_firmware,
            "GetDiagnostics": self.get_diagnostics,
            **extension,
        }

    # ================================================================ state for triggers
    @property
    def firmware_status(self) -> str:
        """The 1.6 FirmwareStatus now: the running update's step, else Idle (§4.5)."""
        job = self._firmware
        if job is None or not job.active:
            return "Idle"
        if job.kind == "signed-firmware":
            return _CLASSIC_OF_SIGNED.get(job.status, "Idle")
        return job.status

    @property
    def signed_firmware_status(self) -> str:
        """What an ExtendedTriggerMessage reports (L01.FR.28/29)."""
        job = self._firmware
        if job is not None and job.active and job.kind == "signed-firmware":
            return job.status
        last = self._signed_last
        return "Idle" if last in (None, "Installed") else last

    @property
    def diagnostics_status(self) -> str:
        job = self._diagnostics
        return "Uploading" if job is not None and job.active else "Idle"

    @property
    def log_status(self) -> str:
        job = self._log
        return "Uploading" if job is not None and job.active else "Idle"

    @property
    def log_request_id(self) -> int | None:
        job = self._log
        return job.request_id if job is not None and job.active else None

    async def send_firmware_status(self) -> None:
        """FirmwareStatusNotification with the current status (TriggerMessage, §5.17)."""
        status = self.firmware_status
        await notify(
            self._link, "FirmwareStatusNotification", {"status": status}, False, gate=self._gate
        )

    async def send_signed_firmware_status(self) -> None:
        """SignedFirmwareStatusNotification (ExtendedTriggerMessage FirmwareStatusNotification)."""
        status = self.signed_firmware_status
        payload: dict[str, Any] = {"status": status}
        job = self._firmware
        if status != "Idle" and job is not None and job.request_id is not None:
            payload["requestId"] = job.request_id  # L01.FR.21
        await notify(
            self._link, "SignedFirmwareStatusNotification", payload, False, gate=self._gate
        )

    async def send_diagnostics_status(self) -> None:
        status = self.diagnostics_status
        await notify(
            self._link, "DiagnosticsStatusNotification", {"status": status}, False, gate=self._gate
        )

    async def send_log_status(self) -> None:
        payload: dict[str, Any] = {"status": self.log_status}
        if self.log_request_id is not None:
            payload["requestId"] = self.log_request_id  # N01.FR.12
        await notify(self._link, "LogStatusNotification", payload, False, gate=self._gate)

    # ================================================================ failure injection
    def inject_failure(self, kind: str, times: int = 1) -> None:
        """Make the next ``times`` operations of ``kind`` fail.

        ``download``/``upload``: one attempt each (retries use up further counts);
        ``install``: the installation; ``signature``: the signature check reports
        InvalidSignature; ``certificate``: the signing certificate is InvalidCertificate.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"failure kind must be one of {', '.join(FAULT_KINDS)}")
        if self._faults is None:
            self._faults = {}
        self._faults[kind] = self._faults.get(kind, 0) + max(0, times)

    def clear_failures(self) -> None:
        self._faults = None

    def fail_next_download(self, times: int = 1) -> None:
        self.inject_failure("download", times)

    def fail_next_upload(self, times: int = 1) -> None:
        self.inject_failure("upload", times)

    def fail_next_install(self) -> None:
        self.inject_failure("install")

    def fail_next_signature(self) -> None:
        self.inject_failure("signature")

    def fail_next_certificate(self) -> None:
        self.inject_failure("certificate")

    def _take_fault(self, kind: str) -> bool:
        faults = self._faults
        if not faults or faults.get(kind, 0) <= 0:
            return False
        faults[kind] -= 1
        return True

    def _protocols(self) -> str:
        """SupportedFileTransferProtocols as the comma-separated list it is (errata 3.90)."""
        return ",".join(self._config.value("SupportedFileTransferProtocols"))

    # ================================================================ 1.6 §5.19 UpdateFirmware
    async def update_firmware(self, req: dict[str, Any]) -> Reply:
        location = req["location"]
        retrieve = read_iso(req["retrieveDate"])
        retries, interval = retry_settings(req)
        current = self._firmware
        if current is not None and current.active and current.installing:
            # The conf has no status to refuse with; the running installation wins.
            log.warning("%s: UpdateFirmware ignored: installing", self._station.id)
            return Reply({})
        job = Job("firmware")

        def begin() -> None:
            work = self._classic_update(job, location, retrieve, retries, interval)
            self._firmware = transfer_jobs.start(self._link, self._firmware, job, work)

        return Reply({}, then=begin)

    async def _classic_update(
        self, job: Job, location: str, retrieve: datetime, retries: int, interval: int
    ) -> None:
        await wait_until(self._link, retrieve)
        data = await self._download(job, location, retries, interval)
        if data is not None:
            await self._install(job, data, location)

    # ================================================================ whitepaper L01 signed update
    async def signed_update_firmware(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        firmware = req["firmware"]
        request_id = req["requestId"]
        retries, interval = retry_settings(req)
        try:
            cert = self._signing_certificate(firmware["signingCertificate"])
        except CertificateProblem as exc:
            # L01.FR.24 / L01.FR.02: refuse, and record the security event after the reply.
            reason = str(exc)
            return Reply(
                {"status": "InvalidCertificate"},
                then=lambda: self._security.notify("InvalidFirmwareSigningCertificate", reason),
            )
        current = self._firmware
        running = current is not None and current.active
        if running and current is not None and current.installing:
            return {"status": "Rejected"}  # L01.FR.27: the installation cannot be cancelled
        job = Job("signed-firmware", request_id)

        def begin() -> None:
            work = self._signed_update(job, firmware, cert, retries, interval)
            self._firmware = transfer_jobs.start(self._link, self._firmware, job, work)

        return Reply({"status": "AcceptedCanceled" if running else "Accepted"}, then=begin)

    async def _signed_update(
        self,
        job: Job,
        firmware: dict[str, Any],
        cert: x509.Certificate,
        retries: int,
        interval: int,
    ) -> None:
        location = firmware["location"]
        retrieve = read_iso(firmware["retrieveDateTime"])
        if retrieve > self._clock.now():
            await self._enter(job, "DownloadScheduled")  # L01.FR.13
            await wait_until(self._link, retrieve)
        data = await self._download(job, location, retries, interval)
        if data is None:
            return
        if self._take_fault("signature") or not verify_signature(cert, data, firmware["signature"]):
            await self._enter(job, "InvalidSignature")  # L01 step 5, L01.FR.03
            self._security.notify("InvalidFirmwareSignature", f"firmware from {location}")
            return
        await self._enter(job, "SignatureVerified")
        try:
            read_image(data, location, self._station.identity.firmware_version)
        except ImageError as exc:
            await self._enter(job, "InstallVerificationFailed", str(exc))
            return
        install_at = firmware.get("installDateTime")
        if install_at is not None:
            when = read_iso(install_at)
            if when > self._clock.now():
                await self._enter(job, "InstallScheduled")  # L01.FR.16
                await wait_until(self._link, when)
        await self._install(job, data, location)

    def _signing_certificate(self, pem: str) -> x509.Certificate:
        if self._take_fault("certificate"):
            raise CertificateProblem("injected certificate failure")
        roots = self._manufacturer_roots()
        if not roots and self.require_manufacturer_root:
            raise CertificateProblem("no ManufacturerRootCertificate installed to verify against")
        return check_signing_certificate(pem, self._clock.now(), roots)

    def _manufacturer_roots(self) -> list[x509.Certificate]:
        return self._security.manufacturer_roots()

    # ================================================================ shared firmware steps
    async def _download(self, job: Job, location: str, retries: int, interval: int) -> bytes | None:
        await self._enter(job, "Downloading")
        failure = "no attempt made"
        attempts = 1 + retries
        for attempt in range(attempts):
            try:
                check_protocol(location, self._protocols())
                if self._take_fault("download"):
                    raise transfer.TransferError("injected download failure")
                data = await transfer.download(location, options(self._link))
            except transfer.TransferError as exc:
                failure = str(exc)
                log.info("%s: download attempt %d failed: %s", self._station.id, attempt + 1, exc)
                if exc.reason in (transfer.NOT_SUPPORTED, transfer.BAD_MESSAGE):
                    break  # the same URL cannot work on a retry
            else:
                await self._enter(job, "Downloaded")
                return data
            if attempt + 1 < attempts:
                await self._clock.sleep(interval)
        await self._enter(job, "DownloadFailed", failure)
        return None

    async def _install(self, job: Job, data: bytes, location: str) -> None:
        held = await self._wait_for_idle()
        try:
            job.installing = True
            await self._enter(job, "Installing")
            try:
                image = read_image(data, location, self._station.identity.firmware_version)
            except ImageError as exc:
                await self._enter(job, "InstallationFailed", str(exc))
                return
            if self._take_fault("install") or not image.installable:
                await self._enter(job, "InstallationFailed", "the image did not install")
                return
            self._state.put(self._station.id, "firmware_version", image.version)
            if job.kind == "signed-firmware":
                await self._enter(job, "InstallRebooting")  # L01.FR.15
            self._station.set_firmware_version(image.version)
            await self._power.reset(stop_reason="Reboot")
        finally:
            self._release(held)
        # Installed once the new firmware has booted and been accepted (§5.19 note).
        await self._enter(job, "Installed")
        self._security.notify("FirmwareUpdated", f"version {image.version}")

    async def _wait_for_idle(self) -> list[Any]:
        """Wait until no transaction runs (§5.19, L01.FR.06/07); the connectors made Unavailable."""
        connectors = self._station.connectors
        held: list[Any] = []
        if self.stop_transactions_for_install:
            return held  # the reboot stops them (reason Reboot)
        try:
            # A bound on the wait in station time, like the polls themselves.
            clock = self._clock
            deadline = clock.monotonic() + MAX_IDLE_WAIT
            for _ in range(int(MAX_IDLE_WAIT / IDLE_POLL) + 1):
                if all(c.transaction is None for c in connectors) or clock.monotonic() > deadline:
                    return held
                for connector in connectors:
                    if connector.transaction is None and connector.operative:
                        connector.set_operative(False)
                        held.append(connector)
                await self._clock.sleep(IDLE_POLL)
        except BaseException:
            self._release(held)
            raise
        return held

    def _release(self, held: list[Any]) -> None:
        for connector in held:
            wanted = self._state.get(self._station.id, f"operative_{connector.id}", True)
            if connector.operative != bool(wanted):
                connector.set_operative(bool(wanted))

    async def _enter(self, job: Job, status: str, detail: str = "") -> None:
        """Move ``job`` to ``status`` and tell the CSMS (§4.5, L01.FR.01)."""
        job.status = status
        if status in _END_STATES:
            job.active = False
        self._events.emit(TransferStatus(job.kind, status, job.request_id, detail))
        if job.kind == "signed-firmware":
            self._signed_last = status
            payload = {"status": status, "requestId": job.request_id}
            await notify(self._link, "SignedFirmwareStatusNotification", payload, gate=self._gate)
        else:
            await notify(
                self._link, "FirmwareStatusNotification", {"status": status}, gate=self._gate
            )

    # ================================================================ 1.6 §5.9 GetDiagnostics
    async def get_diagnostics(self, req: dict[str, Any]) -> Reply:
        start = read_iso(req["startTime"]) if "startTime" in req else None
        stop = read_iso(req["stopTime"]) if "stopTime" in req else None
        retries, interval = retry_settings(req)
        fmt = self.archive_format
        name = archive_name(self._station.id, DIAGNOSTICS, self._clock.now(), fmt)
        job = Job("diagnostics")

        def build() -> bytes:
            return build_diagnostics(self._archives, start, stop, fmt)

        def begin() -> None:
            work = transfer_jobs.upload(
                self._link,
                job,
                req["location"],
                name,
                build,
                retries,
                interval,
                self._take_fault,
                self._protocols(),
                self._gate,
            )
            self._diagnostics = transfer_jobs.start(self._link, self._diagnostics, job, work)

        return Reply({"fileName": name}, then=begin)

    # ================================================================ whitepaper N01 GetLog
    async def get_log(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        params = req["log"]
        location = params["remoteLocation"]
        try:
            check_protocol(location, self._protocols())
        except transfer.TransferError:
            return {"status": "Rejected"}
        start = read_iso(params["oldestTimestamp"]) if "oldestTimestamp" in params else None
        stop = read_iso(params["latestTimestamp"]) if "latestTimestamp" in params else None
        retries, interval = retry_settings(req)
        fmt = self.archive_format
        security = req["logType"] == "SecurityLog"
        kind = SECURITY if security else DIAGNOSTICS
        name = archive_name(self._station.id, kind, self._clock.now(), fmt)
        job = Job("log", req["requestId"])
        builder = build_security_log if security else build_diagnostics

        def build() -> bytes:
            return builder(self._archives, start, stop, fmt)

        running = self._log is not None and self._log.active

        def begin() -> None:
            work = transfer_jobs.upload(
                self._link,
                job,
                location,
                name,
                build,
                retries,
                interval,
                self._take_fault,
                self._protocols(),
                self._gate,
            )
            self._log = transfer_jobs.start(self._link, self._log, job, work)

        status = "AcceptedCanceled" if running else "Accepted"  # N01.FR.11
        return Reply({"status": status, "filename": name}, then=begin)
