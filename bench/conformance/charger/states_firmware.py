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

import datetime as dt
import itertools
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states_remote import in_hours
from bench.conformance.material_lm import (
    CaseFiles,
    Credential,
    firmware_file,
    firmware_kit,
    issue,
)

_REQUEST_IDS = itertools.count(9101)


class HeldFiles(CaseFiles):
    """The case's file server; ``hold_any(prefix)`` also keeps uploads under it waiting."""

    def __init__(self, root: str, host: str) -> None:
        super().__init__(root)
        self.host = host
        self._prefixes: list[str] = []

    def hold_any(self, prefix: str) -> None:
        self._prefixes.append(prefix.lstrip("/"))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        if any(path.startswith(p) for p in self._prefixes):
            await self._release.wait()
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


def location(ctx: ChargerRun, files: CaseFiles, path: str) -> str:
    return files.url_for(path)


@dataclass
class Kit:
    """<Configured firmware_location>, <Configured signingCertificate>, <Configured signature>."""

    files: HeldFiles
    path: str
    location: str
    certificate: str
    signature: str
    signing: Credential


@asynccontextmanager
async def firmware(
    ctx: ChargerRun,
    *,
    image: bytes | None = None,
    served: bytes | None = None,
    publish: bool = True,
) -> AsyncIterator[Kit]:
    """A signed firmware file served for the case (see ``material_lm.firmware_kit``)."""
    async with held_files(ctx) as files:
        made = firmware_kit(
            files,
            dt.datetime.now(dt.UTC),
            image=image,
            served=served,
            publish=publish,
        )
        yield Kit(files, made.path, made.location, made.signing.pem, made.signature, made.signing)


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
    reply = await ctx.request(
        "UpdateFirmware", {"requestId": request_id, "firmware": body}, step=step
    )
    if expect is not None:
        ctx.require(step + 1, "UpdateFirmwareResponse", reply, "status", expect)
    return reply


async def firmware_status(
    ctx: ChargerRun, status: str, *, step: int, since: int, timeout: float | None = None
) -> int:
    """The station's FirmwareStatusNotification ``status`` (the next one from ``since``
    must be it), with the update's requestId. Returns the position after it."""
    rec = await ctx.station_frame(
        "FirmwareStatusNotification",
        step=step,
        since=since,
        what=f"the station's FirmwareStatusNotification {status}",
        timeout=timeout,
    )
    payload = rec.payload if isinstance(rec.payload, dict) else {}
    ctx.check(step, "FirmwareStatusNotificationRequest", payload, "status", status)
    ctx.check(
        step,
        "FirmwareStatusNotificationRequest",
        payload,
        "requestId",
        ctx.memory.get("firmware_request_id"),
    )
    if payload.get("status") != status:
        ctx.require(step, "FirmwareStatusNotificationRequest", payload, "status", status)
    return ctx.frames.index(rec) + 1


async def statuses(ctx: ChargerRun, steps: list[tuple[int, str]], *, since: int) -> int:
    """The FirmwareStatusNotifications in order; returns the position after the last."""
    for step, status in steps:
        since = await firmware_status(ctx, status, step=step, since=since)
    return since


async def installed(ctx: ChargerRun, *, since: int, installing: int, done: int) -> None:
    """From Installing on (step ``installing``): the station may report Installing and
    then reboot (InstallRebooting, a new BootNotification), and reports Installed
    (step ``done``) and the SecurityEventNotification FirmwareUpdated (``done + 2``),
    in any order with its connectors' statuses."""
    after = await firmware_status(ctx, "Installing", step=installing, since=since)
    limit = ctx.settings.timeout * 2
    rec = await ctx.wait_frame(
        lambda r: (
            r.direction == "rx"
            and r.type == "CALL"
            and r.action == "FirmwareStatusNotification"
            and isinstance(r.payload, dict)
            and r.payload.get("status") not in ("InstallRebooting",)
        ),
        since=after,
        what="the station's FirmwareStatusNotification Installed",
        timeout=limit,
    )
    payload = rec.payload if isinstance(rec.payload, dict) else {}
    ctx.check(done, "FirmwareStatusNotificationRequest", payload, "status", "Installed")
    event = await ctx.station_request(
        "SecurityEventNotification",
        step=done + 2,
        since=after,
        match=lambda p: p.get("type") == "FirmwareUpdated",
        what="the station's SecurityEventNotification FirmwareUpdated",
        timeout=limit,
    )
    ctx.check(done + 2, "SecurityEventNotificationRequest", event, "type", "FirmwareUpdated")
