"""The firmware and log-upload material of the 2.0.1 charging-station cases (blocks F, L).

OCTT keeps a firmware location, a signing certificate and a signature in its
configuration; the bench makes them per case (``bench.conformance.material_lm``):
a firmware file in the bench's format served by an HTTP file server for the length
of the case, a Firmware Signing certificate and the file's signature. The server
listens on ``extra["file_server_host"]`` (127.0.0.1 by default: a real charger on
the network needs the bench's address there). A held download or upload keeps the
station Downloading / Uploading while the case asks about it.

The firmware steps of block L are checked here: the FirmwareStatusNotifications
in the case's order, each with the UpdateFirmwareRequest's requestId (§2.1), and
the reboot the station may make to activate the new firmware.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states_remote import in_hours
from bench.conformance.expect import one_of
from bench.conformance.material_lm import (
    CaseFiles,
    firmware_file,
    firmware_kit,
    issue,
)
from bench.firmware_image import sign_firmware
from bench.kernel.frames import FrameRecord

_REQUEST_IDS = itertools.count(9101)


class HeldFiles(CaseFiles):
    """The case's file server; ``hold_any(prefix, times)`` keeps the next ``times``
    requests (downloads or uploads) under ``prefix`` waiting until ``release()``, and
    ``held()`` waits until one of them is waiting (the station is busy with it)."""

    def __init__(self, root: str, host: str) -> None:
        super().__init__(root)
        self.host = host
        self._holds: dict[str, int | None] = {}
        self._waiting = asyncio.Event()

    def hold_any(self, prefix: str, times: int | None = None) -> None:
        self._holds[prefix.lstrip("/")] = times

    async def held(self, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await self._waiting.wait()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        for prefix, left in self._holds.items():
            if path.startswith(prefix) and (left is None or left > 0):
                if left is not None:
                    self._holds[prefix] = left - 1
                self._waiting.set()
                await self._release.wait()
                break
        return await super()._handle(request)


@asynccontextmanager
async def held_files(ctx: ChargerRun) -> AsyncIterator[HeldFiles]:
    """A file server for the length of a case (see the module docstring)."""
    host = ctx.settings.extra.get("file_server_host", "127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="bench-cs-files-") as folder:
        server = HeldFiles(folder, host)
        async with server:
            try:
                yield server
            finally:
                server.release()


def log_location(ctx: ChargerRun, files: CaseFiles) -> str:
    """<Configured log_location>: ``extra["log_location"]``, else the case's file server."""
    return ctx.settings.extra.get("log_location") or files.url_for("logs/")


@dataclass
class Kit:
    """<Configured firmware_location>, <Configured signingCertificate>, <Configured signature>."""

    files: HeldFiles
    path: str
    location: str
    certificate: str
    signature: str
    key: Any  # the signing certificate's private key (a real signature of other bytes)


def _read(name: str) -> bytes:
    return Path(name).read_bytes()


def _operator_signer(ctx: ChargerRun) -> tuple[str, Any] | None:
    """The charger maker's Firmware Signing certificate and key (PEM files named by
    ``extra["firmware_signing_cert"]`` / ``["firmware_signing_key"]``), if given."""
    cert_file = ctx.settings.extra.get("firmware_signing_cert")
    key_file = ctx.settings.extra.get("firmware_signing_key")
    if not cert_file or not key_file:
        return None
    cert = Path(cert_file).read_text()
    key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
    return cert, key


@asynccontextmanager
async def firmware(
    ctx: ChargerRun,
    *,
    image: bytes | None = None,
    invalid: bool = False,
) -> AsyncIterator[Kit]:
    """A signed firmware file served for the case.

    By default the bench's own (``material_lm.firmware_kit``: a file in the bench's
    format, signed with a certificate made for the case). For a real charger the
    operator names its image (``extra["firmware_file"]``; ``["invalid_firmware_file"]``
    for an ``invalid`` one that fails to install) and the maker's signing certificate
    and key, and the bench serves and signs that."""
    own_file = ctx.settings.extra.get("invalid_firmware_file" if invalid else "firmware_file")
    own_data = _read(own_file) if own_file else None
    signer = _operator_signer(ctx)
    async with held_files(ctx) as files:
        if own_file is None and signer is None:
            made = firmware_kit(files, dt.datetime.now(dt.UTC), image=image)
            yield Kit(
                files, made.path, made.location, made.signing.pem, made.signature, made.signing.key
            )
            return
        data = own_data if own_data is not None else (image or firmware_file())
        if signer is None:
            made_signer = issue("OCPP Bench firmware signing", dt.datetime.now(dt.UTC), ca=False)
            signer = (made_signer.pem, made_signer.key)
        path = f"firmware/{Path(own_file).name if own_file else 'bench-firmware.json'}"
        location = files.publish(path, data)
        cert, key = signer
        yield Kit(files, path, location, cert, sign_firmware(data, key), key)


def uninstallable_image() -> bytes:
    """A firmware file the bench's station downloads and verifies, but cannot install."""
    return firmware_file(installable=False)


def untrusted_certificate() -> str:
    """<Generated invalid firmware signingCertificate>: expired yesterday."""
    now = dt.datetime.now(dt.UTC)
    cert = issue(
        "OCPP Bench invalid firmware signing", now, ca=False, valid_from=-dt.timedelta(days=31)
    )
    return cert.pem


async def update_firmware(
    ctx: ChargerRun,
    kit: Kit,
    *,
    step: int = 1,
    install: float | None = -2.0,
    retrieve: float = -2.0,
    location: str | None = None,
    certificate: str | None = "",
    signature: str | None = "",
    expect: Any = "Accepted",
    retries: int | None = None,
) -> dict[str, Any]:
    """The OCTT's UpdateFirmwareRequest: retrieve/install ``hours`` from now (install None:
    omitted), the kit's location, certificate and signature unless given (None:
    omitted). Remembers the requestId. Returns the reply."""
    request_id = next(_REQUEST_IDS)
    ctx.memory["firmware_request_id"] = request_id
    body: dict[str, Any] = {
        "location": location or kit.location,
        "retrieveDateTime": in_hours(retrieve),
    }
    if install is not None:
        body["installDateTime"] = in_hours(install)
    cert = kit.certificate if certificate == "" else certificate
    sig = kit.signature if signature == "" else signature
    if cert is not None:
        body["signingCertificate"] = cert
    if sig is not None:
        body["signature"] = sig
    request: dict[str, Any] = {"requestId": request_id, "firmware": body}
    if retries is not None:
        request["retries"] = retries
    reply = await ctx.request("UpdateFirmware", request, step=step)
    if expect is not None:
        ctx.require(step + 1, "UpdateFirmwareResponse", reply, "status", expect)
    return reply


def _fsn(rec: FrameRecord) -> bool:
    return (
        rec.direction == "rx" and rec.type == "CALL" and rec.action == "FirmwareStatusNotification"
    )


async def expect_status(
    ctx: ChargerRun,
    step: int,
    allowed: str | tuple[str, ...],
    *,
    since: int,
    timeout: float | None = None,
) -> tuple[str, int]:
    """The station's next FirmwareStatusNotification from ``since`` (an InstallRebooting
    of a reboot the case allows is passed over) must be one of ``allowed``, with the
    update's requestId (§2.1, L01.FR.20). Returns its status and the position after it."""
    wanted = (allowed,) if isinstance(allowed, str) else allowed
    request_id = ctx.memory.get("firmware_request_id")
    words = " or ".join(wanted)
    while True:
        rec = await ctx.station_frame(
            "FirmwareStatusNotification",
            step=step,
            since=since,
            what=f"the station's FirmwareStatusNotification {words}",
            timeout=timeout,
        )
        payload = rec.payload if isinstance(rec.payload, dict) else {}
        since = ctx.frames.index(rec) + 1
        ctx.check(step, "FirmwareStatusNotificationRequest", payload, "requestId", request_id)
        status = str(payload.get("status"))
        if status == "InstallRebooting" and "InstallRebooting" not in wanted:
            continue  # RebootBeforeFirmwareInstallation / -Activation
        ctx.require(step, "FirmwareStatusNotificationRequest", payload, "status", one_of(*wanted))
        return status, since


async def statuses(ctx: ChargerRun, steps: list[tuple[int, str]], *, since: int) -> int:
    """The FirmwareStatusNotifications in order; returns the position after the last."""
    for step, status in steps:
        _, since = await expect_status(ctx, step, status, since=since)
    return since


def _mine(ctx: ChargerRun, status: str) -> Callable[[FrameRecord], bool]:
    mine = v201.for_connector(ctx)
    return lambda r: (
        r.direction == "rx"
        and r.type == "CALL"
        and r.action == "StatusNotification"
        and isinstance(r.payload, dict)
        and mine(r.payload)
        and r.payload.get("connectorStatus") == status
    )


async def installed(
    ctx: ChargerRun,
    *,
    since: int,
    installing: int | None,
    available: int,
    done: int,
    start: int,
) -> None:
    """The end of a successful update: Installing (step ``installing``; None when the
    station already reported it), the reboots the case allows, then in any order:
    Installed (step ``done``), the SecurityEventNotification FirmwareUpdated
    (``done + 2``) and, when the station set the connector Unavailable since
    ``start``, its Available again (step ``available``)."""
    limit = ctx.settings.timeout * 2
    if installing is not None:
        _, since = await expect_status(ctx, installing, "Installing", since=since, timeout=limit)
    await expect_status(ctx, done, "Installed", since=since, timeout=limit)
    event = await ctx.station_request(
        "SecurityEventNotification",
        step=done + 2,
        since=since,
        match=lambda p: p.get("type") == "FirmwareUpdated",
        what="the station's SecurityEventNotification FirmwareUpdated",
        timeout=limit,
    )
    ctx.check(done + 2, "SecurityEventNotificationRequest", event, "type", "FirmwareUpdated")
    await available_again(ctx, step=available, start=start)


async def available_again(ctx: ChargerRun, *, step: int, start: int) -> None:
    """When the station set the connector Unavailable since ``start``, it reports it
    Available again afterwards."""
    down = [i for i in range(start, len(ctx.frames)) if _mine(ctx, "Unavailable")(ctx.frames[i])]
    if not down:
        return
    rec = await ctx.wait_frame(
        _mine(ctx, "Available"),
        since=down[-1] + 1,
        what="a StatusNotification Available after the firmware update",
        timeout=ctx.settings.timeout,
    )
    payload = rec.payload if isinstance(rec.payload, dict) else {}
    ctx.check(step, "StatusNotificationRequest", payload, "connectorStatus", "Available")
