"""1.6 Firmware Management: firmware updates and diagnostics (OCTT 1.6 §2.18, §2.19;
TC_044_x, TC_045_x).

The "<Firmware Download URL from test data>" and "<Configured log location>" come from
``ChargerSettings.extra`` (``firmware_url``, ``invalid_firmware_url``, ``log_location``)
for a charger that needs a server of its own; without them the bench serves the files
itself over HTTP on its listening address (``bench.csms.files.FileServer``): a firmware
the bench's station installs, one it refuses to install, and an upload folder. The
failure cases use the OCTT's own locations (an FTP server that is not there).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from typing import Any

from bench.conformance import material_v16 as material
from bench.conformance.charger import states_v16_core as s
from bench.conformance.charger.answers import now_text
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.csms.files import FileServer
from bench.kernel.frames import FrameRecord

NEW_VERSION = "9.9.9-octt"
DOWNLOAD_FAIL = "ftp://127.0.0.1:21/download_fail.fwi"  # TC_044_2_CS, as OCTT sends it
UPLOAD_FAIL = "ftp://127.0.0.1:21/files/failedLocation"  # TC_045_2_CS


@contextlib.asynccontextmanager
async def _files(ctx: ChargerRun) -> AsyncIterator[FileServer]:
    with tempfile.TemporaryDirectory(prefix="bench-charger-files-") as folder:
        async with FileServer(folder, host=ctx.endpoint.host) as server:
            yield server


def _location(ctx: ChargerRun, key: str, files: FileServer, path: str, data: bytes | None) -> str:
    given = ctx.settings.extra.get(key)
    if given:
        return given
    return files.publish(path, data) if data is not None else files.url_for(path)


async def _update(ctx: ChargerRun, location: str) -> int:
    since = ctx.mark()
    payload = {"location": location, "retrieveDate": now_text(), "retries": 0}
    await ctx.request("UpdateFirmware", payload, step=1)
    return since


async def _firmware_status(
    ctx: ChargerRun, status: str, *, step: int, since: int, timeout: float | None = None
) -> FrameRecord:
    rec = await ctx.station_frame(
        "FirmwareStatusNotification",
        step=step,
        since=since,
        match=lambda p: p.get("status") == status,
        what=f"a FirmwareStatusNotification {status}",
        timeout=timeout,
    )
    ctx.check(step, "FirmwareStatusNotification.req", rec.payload, "status", status)
    return rec


def _booted(ctx: ChargerRun, since: int) -> FrameRecord | None:
    return next(
        (
            r
            for r in ctx.frames[since:]
            if r.direction == "rx" and r.type == "CALL" and r.action == "BootNotification"
        ),
        None,
    )


@scenario("TC_044_1_CS")
async def firmware_update(ctx: ChargerRun) -> None:
    async with _files(ctx) as files:
        data = material.firmware_file(NEW_VERSION)
        location = _location(ctx, "firmware_url", files, f"fw/fw-{NEW_VERSION}.json", data)
        since = await _update(ctx, location)
        await _firmware_status(ctx, "Downloading", step=3, since=since)
        await _firmware_status(ctx, "Downloaded", step=5, since=since)
        await _firmware_status(ctx, "Installing", step=7, since=since)
        # Steps 9 / 13 may come in another order.
        boot = await s.boot(ctx, step=9, since=since)
        await s.status(ctx, "Available", since=s.after(ctx, boot), step=11)
        await _firmware_status(ctx, "Installed", step=13, since=since)


@scenario("TC_044_2_CS")
async def firmware_download_failed(ctx: ChargerRun) -> None:
    since = await _update(ctx, DOWNLOAD_FAIL)
    # Downloading is optional: the download may fail at once.
    await _firmware_status(ctx, "DownloadFailed", step=5, since=since)
    found = await ctx.find_frame(
        lambda r: (
            r.direction == "rx"
            and r.action == "FirmwareStatusNotification"
            and isinstance(r.payload, dict)
            and r.payload.get("status") == "Downloading"
        ),
        since=since,
        timeout=0.0,
    )
    if found is not None:
        ctx.check(3, "FirmwareStatusNotification.req", found.payload, "status", "Downloading")


@scenario("TC_044_3_CS")
async def firmware_installation_failed(ctx: ChargerRun) -> None:
    async with _files(ctx) as files:
        data = material.firmware_file(NEW_VERSION, installable=False)
        path = f"fw/broken-fw-{NEW_VERSION}.json"
        location = _location(ctx, "invalid_firmware_url", files, path, data)
        since = await _update(ctx, location)
        await _firmware_status(ctx, "Downloading", step=3, since=since)
        await _firmware_status(ctx, "Downloaded", step=5, since=since)
        # Installing (7) is optional: the installation may fail at once.
        await _firmware_status(ctx, "InstallationFailed", step=11, since=since)
        boot = _booted(ctx, since)
        if boot is not None:  # [optional] the charge point reboots
            await s.status(ctx, "Available", since=s.after(ctx, boot), step=13)


async def _diagnostics(ctx: ChargerRun, location: str) -> tuple[int, dict[str, Any]]:
    since = ctx.mark()
    reply = await ctx.request("GetDiagnostics", {"location": location, "retries": 0}, step=1)
    return since, reply


async def _diagnostics_status(ctx: ChargerRun, status: str, *, step: int, since: int) -> None:
    rec = await ctx.station_frame(
        "DiagnosticsStatusNotification",
        step=step,
        since=since,
        match=lambda p: p.get("status") == status,
        what=f"a DiagnosticsStatusNotification {status}",
    )
    ctx.check(step, "DiagnosticsStatusNotification.req", rec.payload, "status", status)


@scenario("TC_045_1_CS")
async def get_diagnostics(ctx: ChargerRun) -> None:
    async with _files(ctx) as files:
        location = _location(ctx, "log_location", files, "diagnostics/", None)
        since, _ = await _diagnostics(ctx, location)
        await _diagnostics_status(ctx, "Uploading", step=3, since=since)
        await _diagnostics_status(ctx, "Uploaded", step=5, since=since)


@scenario("TC_045_2_CS")
async def get_diagnostics_upload_failed(ctx: ChargerRun) -> None:
    since, _ = await _diagnostics(ctx, UPLOAD_FAIL)
    await _diagnostics_status(ctx, "Uploading", step=3, since=since)
    await _diagnostics_status(ctx, "UploadFailed", step=5, since=since)
