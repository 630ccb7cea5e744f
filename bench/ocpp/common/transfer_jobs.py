"""Steps shared by the firmware block's jobs: status notifications, retries, uploads.

``FirmwareManagement`` (firmware.py) runs one firmware job and one upload job
of each kind per station; this module holds what those jobs have in common:
the ``Job`` record, reaching the CSMS with a status notification, the
protocol check against SupportedFileTransferProtocols, and the whole upload
of a diagnostics or log archive (1.6 §4.4, §5.9; whitepaper N01).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench import transfer
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed

if TYPE_CHECKING:
    from bench.ocpp.common.security_events import SendGate
    from bench.ocpp.common.station_link import StationLink

log = logging.getLogger(__name__)

DEFAULT_RETRIES = 1  # when the request leaves it to the station (§6.25, §6.55)
DEFAULT_RETRY_INTERVAL = 60  # virtual seconds
TRANSFER_TIMEOUT = 30.0  # real seconds for one download or upload attempt
NOTIFY_WAIT = 600.0  # real seconds a status notification waits for an accepted connection

# UploadLogStatusEnumType for a failed log upload, as precise as we know (N01.FR.10).
LOG_FAILURE = {
    transfer.PERMISSION_DENIED: "PermissionDenied",
    transfer.NOT_SUPPORTED: "NotSupportedOperation",
    transfer.BAD_MESSAGE: "BadMessage",
}

FaultCheck = Callable[[str], bool]  # "download"/"upload"/...: True if this one must fail


@dataclass(frozen=True, slots=True)
class TransferStatus:
    """Emitted on ``cp.events`` at every step of a transfer (for the UI and logs)."""

    kind: str  # "firmware" | "signed-firmware" | "diagnostics" | "log"
    status: str
    request_id: int | None = None
    detail: str = ""


@dataclass(slots=True, eq=False)
class Job:
    """One firmware update or upload; ``active`` until it reaches an end state."""

    kind: str
    request_id: int | None = None
    status: str = "Idle"
    active: bool = True
    installing: bool = False  # past the point where a new request may cancel it
    task: asyncio.Task[None] | None = None


def start(cp: StationLink, old: Job | None, job: Job, work: Coroutine[Any, Any, None]) -> Job:
    """Cancel ``old`` if it still runs and run ``work`` as ``job`` under the station's tasks."""
    if old is not None and old.task is not None and not old.task.done():
        old.active = False
        old.task.cancel()

    async def run() -> None:
        try:
            await work
        finally:
            job.active = False

    job.task = cp.tasks.spawn(run(), name=f"{job.kind}-{cp.station.id}")
    return job


# --------------------------------------------------------------------------- uploads
async def upload(
    cp: StationLink,
    job: Job,
    location: str,
    name: str,
    build: Callable[[], bytes],
    retries: int,
    interval: int,
    fault: FaultCheck,
    protocols: str,
    gate: SendGate | None = None,
) -> None:
    """Uploading, the upload with retries, then Uploaded or the failure status.

    ``protocols``: the allowed protocol names (1.6 SupportedFileTransferProtocols,
    2.0.1 OCPPCommCtrlr.FileTransferProtocols). ``gate``: see ``notify``.
    """
    await upload_status(cp, job, "Uploading", gate)  # §4.4, N01.FR.08
    reason = await _push(cp, location, name, build, retries, interval, fault, protocols)
    job.active = False
    if reason is None:
        await upload_status(cp, job, "Uploaded", gate)  # N01.FR.09
    elif job.kind == "log":
        failure = LOG_FAILURE.get(reason, "UploadFailure")
        await upload_status(cp, job, failure, gate)  # N01.FR.10
    else:
        await upload_status(cp, job, "UploadFailed", gate)


async def _push(
    cp: StationLink,
    location: str,
    name: str,
    build: Callable[[], bytes],
    retries: int,
    interval: int,
    fault: FaultCheck,
    protocols: str,
) -> str | None:
    """Build and upload the archive; None on success, else a ``transfer`` reason."""
    try:
        check_protocol(location, protocols)
        data = build()
    except transfer.TransferError as exc:
        log.warning("%s: upload to %s refused: %s", cp.station.id, transfer.redact(location), exc)
        return exc.reason
    except (sqlite3.Error, OSError, ValueError):
        log.exception("%s: building %s failed", cp.station.id, name)
        return transfer.FAILED
    reason = transfer.FAILED
    for attempt in range(1 + retries):
        try:
            if fault("upload"):
                raise transfer.TransferError("injected upload failure")
            await transfer.upload(location, name, data, options(cp))
        except transfer.TransferError as exc:
            reason = exc.reason
            log.info("%s: upload attempt %d failed: %s", cp.station.id, attempt + 1, exc)
            if reason != transfer.FAILED:
                break  # refused for a reason a retry does not change
        else:
            return None
        if attempt < retries:
            await cp.clock.sleep(interval)
    return reason


async def upload_status(
    cp: StationLink, job: Job, status: str, gate: SendGate | None = None
) -> None:
    job.status = status
    cp.events.emit(TransferStatus(job.kind, status, job.request_id))
    if job.kind == "log":
        payload = {"status": status, "requestId": job.request_id}  # N01.FR.07
        await notify(cp, "LogStatusNotification", payload, gate=gate)
    else:
        await notify(cp, "DiagnosticsStatusNotification", {"status": status}, gate=gate)


# --------------------------------------------------------------------------- helpers
def check_protocol(location: str, protocols: str) -> None:
    """TransferError unless ``location``'s scheme is among the allowed protocols.

    ``protocols`` is a comma-separated list of names (HTTP, HTTPS, FTP, FTPS): 1.6
    SupportedFileTransferProtocols, 2.0.1 OCPPCommCtrlr.FileTransferProtocols.
    """
    scheme = transfer.scheme_of(location)
    if transfer.PROTOCOL_NAMES[scheme] not in [n.strip() for n in protocols.split(",")]:
        raise transfer.TransferError(
            f"{scheme} is not among the supported file transfer protocols ({protocols})",
            transfer.NOT_SUPPORTED,
        )


def options(cp: StationLink) -> transfer.Options:
    # HTTPS/FTPS servers are trusted like the CSMS: the CA the station was given.
    return transfer.Options(timeout=TRANSFER_TIMEOUT, ca_file=cp.link_config.ca_file)


async def wait_until(cp: StationLink, when: datetime) -> None:
    """Sleep on the station's (virtual) clock until ``when``."""
    for _ in range(1000):  # a clock that sleeps short is asked again
        delay = (when - cp.clock.now()).total_seconds()
        if delay <= 0:
            return
        await cp.clock.sleep(delay)


async def notify(
    cp: StationLink,
    action: str,
    payload: dict[str, Any],
    wait: bool = True,
    *,
    gate: SendGate | None = None,
) -> bool:
    """Send a status notification; with ``wait``, first wait for an accepted link.

    A status that cannot be delivered is logged, never raised: the transfer
    itself goes on (1.6 names no retry for these notifications). Without
    ``wait`` (a triggered message) it is sent on the link as it is. ``gate``
    (1.6 only, the security extension's ``ExtensionGate``; 2.0.1 has none): a
    security-extension notification is not sent to a CSMS that refused one on
    this connection.
    """
    for _ in range(3):  # a reconnect between the wait and the call gets another go
        if wait and not cp.accepted:
            try:
                await cp.wait_accepted(NOTIFY_WAIT)
            except TimeoutError:
                break
        if gate is not None and not gate.may_send(action):
            log.info(
                "%s: %s %s not sent: the CSMS does not take it", cp.station.id, action, payload
            )
            return False
        try:
            await cp.session.call(action, payload)
            return True
        except (CallTimeout, LinkClosed) as exc:
            log.info("%s: %s not delivered: %s", cp.station.id, action, exc)
            if not wait:
                return False
        except CallError as exc:
            if gate is None or not gate.refused(action, exc):  # a refusal is logged once there
                log.warning("%s: %s failed: %s", cp.station.id, action, exc)
            return False
        except InvalidReply as exc:
            log.warning("%s: %s failed: %s", cp.station.id, action, exc)
            return False
    log.warning("%s: %s %s dropped: no accepted connection", cp.station.id, action, payload)
    return False


def retry_settings(req: dict[str, Any]) -> tuple[int, int]:
    """(retries, retryInterval) of a request, with the station's defaults."""
    retries = req.get("retries")
    interval = req.get("retryInterval")
    return (
        max(0, int(retries)) if retries is not None else DEFAULT_RETRIES,
        max(0, int(interval)) if interval is not None else DEFAULT_RETRY_INTERVAL,
    )
