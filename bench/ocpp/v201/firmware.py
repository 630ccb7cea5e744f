"""Functional block L of a 2.0.1 station: UpdateFirmware (L01 secure, L02 plain), Publish/Unpublish.

UpdateFirmware runs for real, every step reported with the request's requestId
(L01.FR.01/10): DownloadScheduled while retrieveDateTime lies ahead (L01.FR.13),
Downloading, Downloaded or DownloadFailed after ``1 + retries`` attempts
(L01.FR.30) through ``bench.transfer`` (HTTP(S), FTP(S) per
OCPPCommCtrlr.FileTransferProtocols); with a signing certificate the signature
over the whole file is checked (L01.FR.04/12): SignatureVerified, or
InvalidSignature and the InvalidFirmwareSignature security event (L01.FR.03);
InstallScheduled until installDateTime (L01.FR.16) and while transactions run
(L01.FR.34), the idle EVSEs meanwhile Unavailable unless
AllowNewSessionsPendingFirmwareUpdate (L01.FR.06/07); Installing, then the image
is verified: InstallVerificationFailed / InstallationFailed for a file that will
not install (L01.FR.29); then either InstallRebooting, a reboot with reason
FirmwareUpdate and Installed once the new firmware's boot is accepted
(L01.FR.15/32a) — InstallationFailed instead when the image does not start
(``activates: false``, the station is back on its old firmware) —, or
(``reboot_to_install = False``) Installed at once (L01.FR.28); FirmwareUpdated
follows Installed (L01.FR.31). The firmware file format is
``bench.firmware_image``'s.

The signing certificate is checked before the reply (L01.FR.21/22:
InvalidCertificate, and the InvalidFirmwareSigningCertificate event, L01.FR.02)
against the installed ManufacturerRootCertificates when there are any; a request
without one is InvalidCertificate when the station's ``unsigned_firmware`` setting
is off (secure updates only, TC_L_18_CS). A new
request cancels a running update (AcceptedCanceled, L01.FR.24) unless it is
installing (Rejected, L01.FR.27). ``installing`` is true from Installing to
the end (a Reset is Rejected meanwhile, B11.FR.06).

Failures can be injected: ``inject_failure("download" | "signature" |
"certificate" | "install", times)``.

This station is not a local controller: PublishFirmware is Rejected and
UnpublishFirmware finds NoFirmware (L03, L04.FR.03).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from bench import transfer
from bench.firmware_image import (
    CertificateProblem,
    ImageError,
    check_signing_certificate,
    read_image,
    verify_signature,
)
from bench.ocpp.common import transfer_jobs
from bench.ocpp.common.station_link import StationLink
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
from bench.ocpp.v201.block import (
    Block,
    Handler,
    Messaging,
    Persistence,
    Power,
    Services,
    Trigger,
    Variables,
)
from bench.ocpp.v201.certificates import MF_ROOT
from bench.ocpp.v201.ports import SecurityEvents, TrustedRoots

if TYPE_CHECKING:
    from cryptography import x509

log = logging.getLogger(__name__)

FAULT_KINDS = ("download", "signature", "certificate", "install")
IDLE_POLL = 5.0  # virtual seconds between looks at running transactions
MAX_IDLE_WAIT = 7 * 24 * 3600.0  # virtual seconds to wait for transactions to end
_END_STATES = frozenset(
    {
        "DownloadFailed",
        "InstallationFailed",
        "Installed",
        "InstallVerificationFailed",
        "InvalidSignature",
    }
)


class FirmwareHost(StationLink, Services, Messaging, Variables, Persistence, Power, Protocol):
    """What block L uses of the station: transfers, the job's store, the power cycle."""


class Firmware(Block[FirmwareHost]):
    __slots__ = ("_faults", "_held", "_job", "_roots", "_security", "reboot_to_install")

    def __init__(self, cp: FirmwareHost, security: SecurityEvents, roots: TrustedRoots) -> None:
        super().__init__(cp)
        self._security = security
        self._roots = roots
        self._job: Job | None = None
        self._faults: dict[str, int] = {}
        self._held: list[Any] = []  # connectors this block made inoperative
        # True: install, InstallRebooting, reboot, Installed after the boot (L01.FR.32a).
        self.reboot_to_install = True
        version = cp.state.get(self._owner, "firmware_version")
        if version:
            # The version a previous run installed survives a restart of the bench.
            cp.station.set_firmware_version(version)

    @property
    def _owner(self) -> str:
        return f"{self.cp.station.id}#2.0.1"

    def _get(self, name: str) -> Any:
        return self.cp.state.get(self._owner, name, None)

    def _put(self, name: str, value: Any) -> None:
        self.cp.state.put(self._owner, name, value)

    def handlers(self) -> dict[str, Handler]:
        return {
            "UpdateFirmware": self.update_firmware,
            "PublishFirmware": self.publish_firmware,
            "UnpublishFirmware": self.unpublish_firmware,
        }

    def triggers(self) -> dict[str, Trigger]:
        return {
            "FirmwareStatusNotification": self._trigger_status,
            "PublishFirmwareStatusNotification": self._trigger_publish_status,
        }

    # ------------------------------------------------------------ state
    @property
    def installing(self) -> bool:
        """True from Installing until the update ends (B11.FR.06 rejects a Reset)."""
        job = self._job
        return job is not None and job.active and job.installing

    @property
    def status(self) -> str:
        """What a triggered FirmwareStatusNotification reports (L01.FR.25/26)."""
        last = self._get("firmware_last")
        if not last or last["status"] == "Installed":
            return "Idle"
        return str(last["status"])

    def inject_failure(self, kind: str, times: int = 1) -> None:
        """Make the next ``times`` operations of ``kind`` fail (see the module docstring)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"failure kind must be one of {', '.join(FAULT_KINDS)}")
        self._faults[kind] = self._faults.get(kind, 0) + max(0, times)

    def clear_failures(self) -> None:
        self._faults.clear()

    def _take_fault(self, kind: str) -> bool:
        if self._faults.get(kind, 0) <= 0:
            return False
        self._faults[kind] -= 1
        return True

    # ------------------------------------------------------------ L01 / L02 UpdateFirmware
    async def update_firmware(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        firmware = req["firmware"]
        request_id = req["requestId"]
        retries, interval = retry_settings(req)
        cert = None
        if "signingCertificate" not in firmware and not self.cp.station.template.unsigned_firmware:
            # L01.FR.21: a station doing secure updates only has no certificate to validate.
            return {
                "status": "InvalidCertificate",
                "statusInfo": {
                    "reasonCode": "MissingParam",
                    "additionalInfo": "secure updates only: signingCertificate and signature",
                },
            }
        if "signingCertificate" in firmware:
            try:
                cert = self._signing_certificate(firmware["signingCertificate"])
            except CertificateProblem as exc:
                # L01.FR.22, and the security event after the reply (L01.FR.02).
                reason = str(exc)
                return Reply(
                    {"status": "InvalidCertificate"},
                    then=lambda: self._security.notify("InvalidFirmwareSigningCertificate", reason),
                )
        current = self._job
        running = current is not None and current.active
        if running and current is not None and current.installing:
            return {"status": "Rejected"}  # L01.FR.27: an installation cannot be cancelled
        job = Job("firmware", request_id)

        def begin() -> None:
            work = self._update(job, firmware, cert, retries, interval)
            self._job = transfer_jobs.start(self.cp, self._job, job, work)

        return Reply({"status": "AcceptedCanceled" if running else "Accepted"}, then=begin)

    def _signing_certificate(self, pem: str) -> x509.Certificate:
        if self._take_fault("certificate"):
            raise CertificateProblem("injected certificate failure")
        roots = self._roots.roots(MF_ROOT)
        return check_signing_certificate(pem, self.cp.clock.now(), roots)

    async def _update(
        self,
        job: Job,
        firmware: dict[str, Any],
        cert: x509.Certificate | None,
        retries: int,
        interval: int,
    ) -> None:
        location = firmware["location"]
        retrieve = read_iso(firmware["retrieveDateTime"])
        if retrieve > self.cp.clock.now():
            await self._enter(job, "DownloadScheduled")  # L01.FR.13
            await wait_until(self.cp, retrieve)
        data = await self._download(job, location, retries, interval)
        if data is None:
            return
        if cert is not None:
            signature = firmware.get("signature", "")
            if self._take_fault("signature") or not verify_signature(cert, data, signature):
                await self._enter(job, "InvalidSignature")  # L01.FR.03
                self._security.notify("InvalidFirmwareSignature", f"firmware from {location}")
                return
            await self._enter(job, "SignatureVerified")
        install_at = firmware.get("installDateTime")
        when = read_iso(install_at) if install_at else None
        if when is not None and when > self.cp.clock.now():
            await self._enter(job, "InstallScheduled")  # L01.FR.16
            await wait_until(self.cp, when)
        await self._wait_for_idle(job)
        await self._install(job, data, location)

    async def _download(self, job: Job, location: str, retries: int, interval: int) -> bytes | None:
        failure = ""
        protocols = self.cp.variable("OCPPCommCtrlr", "FileTransferProtocols") or ""
        for attempt in range(1 + retries):
            await self._enter(job, "Downloading")
            try:
                check_protocol(location, protocols)
                if self._take_fault("download"):
                    raise transfer.TransferError("injected download failure")
                data = await transfer.download(location, options(self.cp))
            except transfer.TransferError as exc:
                failure = str(exc)
                log.info("%s: download attempt %d failed: %s", self.cp.station.id, attempt + 1, exc)
                if exc.reason in (transfer.NOT_SUPPORTED, transfer.BAD_MESSAGE):
                    break  # the same URL cannot work on a retry
            else:
                await self._enter(job, "Downloaded")
                return data
            if attempt < retries:
                await self.cp.clock.sleep(interval)
        await self._enter(job, "DownloadFailed", failure)  # L01.FR.30
        return None

    async def _wait_for_idle(self, job: Job) -> None:
        """L01.FR.06/07: wait for the transactions; the idle EVSEs Unavailable meanwhile."""
        connectors = self.cp.station.connectors
        if all(c.transaction is None for c in connectors):
            return
        await self._enter(job, "InstallScheduled")  # L01.FR.34
        hold = not self.cp.flag("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate")
        for _ in range(int(MAX_IDLE_WAIT / IDLE_POLL) + 1):
            if all(c.transaction is None for c in connectors):
                return
            if hold:
                for connector in connectors:
                    if connector.transaction is None and connector.operative:
                        connector.set_operative(False)
                        self._held.append(connector)
            await self.cp.clock.sleep(IDLE_POLL)

    def _release(self) -> None:
        for connector in self._held:
            if not connector.operative:
                connector.set_operative(True)
        self._held.clear()

    async def _install(self, job: Job, data: bytes, location: str) -> None:
        job.installing = True
        try:
            # The image is verified as its installation begins (TC_L_08_CS: Installing,
            # then InstallVerificationFailed).
            await self._enter(job, "Installing")
            current = self.cp.station.identity.firmware_version
            try:
                image = read_image(data, location, current)
            except ImageError as exc:
                await self._enter(job, "InstallVerificationFailed", str(exc))  # L01.FR.29
                return
            if self._take_fault("install") or not image.installable:
                await self._enter(job, "InstallationFailed", "the image did not install")
                return
            version = image.version
            if not self.reboot_to_install:
                self._put("firmware_version", version)
                self.cp.station.set_firmware_version(version)
                await self._enter(job, "Installed")  # L01.FR.28
                self._security.notify("FirmwareUpdated", f"version {version}")  # L01.FR.31
                return
            # L01.FR.15/32a: InstallRebooting now, Installed from the new firmware's boot;
            # an image that does not start leaves the old firmware running, and the boot
            # reports InstallationFailed instead.
            pending = {"requestId": job.request_id, "version": version}
            if image.activates:
                self._put("firmware_version", version)
            else:
                pending = {"requestId": job.request_id, "version": current, "failed": True}
            self._put("firmware_pending", pending)
            await self._enter(job, "InstallRebooting")
            if image.activates:
                self.cp.station.set_firmware_version(version)
            self._security.notify("ResetOrReboot", "reboot to activate firmware " + version)
            job.active = False
            await self.cp.reboot_as("FirmwareUpdate")
        finally:
            self._release()

    def on_accepted(self) -> None:
        pending = self._get("firmware_pending")
        if pending:
            self._put("firmware_pending", None)
            self.cp.tasks.spawn(self._installed_after_boot(pending), name="firmware-installed")

    async def _installed_after_boot(self, pending: dict[str, Any]) -> None:
        job = Job("firmware", pending["requestId"], status="InstallRebooting", installing=True)
        if pending.get("failed"):
            # The new firmware did not start: back on the old one (L01.FR.29).
            await self._enter(job, "InstallationFailed", "the new firmware did not start")
            return
        await self._enter(job, "Installed")  # L01.FR.28, sent by the new firmware
        self._security.notify("FirmwareUpdated", f"version {pending['version']}")

    async def _enter(self, job: Job, status: str, detail: str = "") -> None:
        """Move ``job`` to ``status`` and tell the CSMS (L01.FR.01, L01.FR.10)."""
        job.status = status
        if status in _END_STATES:
            job.active = False
        self._put("firmware_last", {"status": status, "requestId": job.request_id})
        self.cp.events.emit(TransferStatus(job.kind, status, job.request_id, detail))
        payload = {"status": status, "requestId": job.request_id}
        await notify(self.cp, "FirmwareStatusNotification", payload)

    async def _trigger_status(self, evse: dict[str, Any] | None) -> None:
        status = self.status
        payload: dict[str, Any] = {"status": status}
        last = self._get("firmware_last")
        if status != "Idle" and last:
            payload["requestId"] = last["requestId"]  # L01.FR.20: mandatory unless Idle
        await notify(self.cp, "FirmwareStatusNotification", payload, False)

    # ------------------------------------------------------------ L03 / L04
    async def publish_firmware(self, req: dict[str, Any]) -> dict[str, Any]:
        """Not a local controller: nothing to publish to (L03.FR.05 answers, Rejected)."""
        return {
            "status": "Rejected",
            "statusInfo": {
                "reasonCode": "UnsupportedRequest",
                "additionalInfo": "this charging station is not a local controller",
            },
        }

    async def unpublish_firmware(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"status": "NoFirmware"}  # L04.FR.03: no published file

    async def _trigger_publish_status(self, evse: dict[str, Any] | None) -> None:
        # L03.FR.10/11: nothing was ever published, so the last status is Idle.
        await notify(self.cp, "PublishFirmwareStatusNotification", {"status": "Idle"}, False)

    async def on_stop(self) -> None:
        self._release()
