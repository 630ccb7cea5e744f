"""OCPP 1.6 Firmware Management: firmware updates and diagnostics (1.6 test case
document §3.15, 3.16).

The bench's station transfers files for real (``bench.transfer``): the case serves
the firmware from its own file server on 127.0.0.1 and receives the diagnostics
there. A download fails on a file the server does not have, an installation on a
firmware file marked not installable, an upload on a location the server refuses.

Where the bench's station differs from OCTT's scripted one: it sets no connector
Unavailable before installing while nothing charges (1.6 §5.19 asks that only of a
station with running transactions), and a failed installation does not reboot.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.conformance import material_v16 as material
from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.scenarios import scenario

NEW_VERSION = "9.9.9-conformance"


def _patience(ctx: CaseRun, request: dict[str, Any]) -> float:
    """How long a transfer may take: the step limit plus the retries the request asks for."""
    retries = request.get("retries")
    interval = request.get("retryInterval")
    extra = 0.0
    if isinstance(retries, int) and retries > 0:
        extra = retries * (interval if isinstance(interval, int) else 60)
    return ctx.settings.timeout + extra


async def _update_firmware(ctx: CaseRun, location: str) -> dict[str, Any]:
    retrieve = ctx.station.clock.now().isoformat(timespec="seconds").replace("+00:00", "Z")
    return await ctx.request_by_hand(
        "update_firmware",
        f"Request the Central System to update the Charge Point's firmware from {location}",
        "UpdateFirmware",
        {"location": location, "retrieveDate": retrieve, "retries": 0},
        step=1,
        location=location,
    )


async def _firmware_status(
    ctx: CaseRun, status: str, *, step: int, since: int, timeout: float | None = None
) -> None:
    await s16.exchange(
        ctx, "FirmwareStatusNotification", step=step, since=since, timeout=timeout, status=status
    )


async def _start_update(ctx: CaseRun, location: str) -> tuple[int, float]:
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _update_firmware(ctx, location)
    # <Firmware Download URL from test data>: the file this case serves.
    ctx.require(1, "UpdateFirmware.req", request, "location", location)
    await s16.station_answer(ctx, "UpdateFirmware", since=since)
    return since, _patience(ctx, request)


async def _install_steps(ctx: CaseRun, since: int, patience: float, outcome: str) -> None:
    await _firmware_status(ctx, "Downloading", step=4, since=since)
    await _firmware_status(ctx, "Downloaded", step=6, since=since, timeout=patience)
    await _firmware_status(ctx, "Installing", step=10, since=since)
    if outcome == "Installed":
        boot = await s16.exchange(ctx, "BootNotification", step=12, since=since)
        ctx.require(12, "BootNotification.conf", boot.reply, "status", "Accepted")
        after = ctx.frames.index(boot.request)
        for cid in (0, *ctx.station.connector_ids()):
            await s16.status(ctx, "Available", since=after, step=14, connector=cid)
    await _firmware_status(ctx, outcome, step=16, since=since)


@scenario("TC_044_1_CSMS", manual=("update_firmware",))
async def firmware_update(ctx: CaseRun) -> None:
    # 1.6 §5.19, §4.5: download, install, reboot, Installed.
    async with material.tool_files() as files:
        location = files.publish(
            f"firmware/fw-{NEW_VERSION}.json", material.firmware_file(NEW_VERSION)
        )
        since, patience = await _start_update(ctx, location)
        await _install_steps(ctx, since, patience, "Installed")


@scenario("TC_044_2_CSMS", manual=("update_firmware",))
async def firmware_download_failed(ctx: CaseRun) -> None:
    # 1.6 §4.5 DownloadFailed: the file server has no such file.
    async with material.tool_files() as files:
        location = files.url_for(f"firmware/missing-fw-{NEW_VERSION}.json")
        since, patience = await _start_update(ctx, location)
        await _firmware_status(ctx, "Downloading", step=4, since=since)
        await _firmware_status(ctx, "DownloadFailed", step=6, since=since, timeout=patience)


@scenario("TC_044_3_CSMS", manual=("update_firmware",))
async def firmware_installation_failed(ctx: CaseRun) -> None:
    # 1.6 §4.5 InstallationFailed: the firmware file says it does not install.
    async with material.tool_files() as files:
        data = material.firmware_file(NEW_VERSION, installable=False)
        location = files.publish(f"firmware/broken-fw-{NEW_VERSION}.json", data)
        since, patience = await _start_update(ctx, location)
        await _install_steps(ctx, since, patience, "InstallationFailed")


async def _get_diagnostics(ctx: CaseRun, location: str) -> tuple[int, dict[str, Any]]:
    await s16.booted(ctx)
    since = ctx.mark()
    start = ctx.station.clock.now() - timedelta(hours=1)
    request = await ctx.request_by_hand(
        "get_log",
        f"Request the Central System to get the Charge Point's diagnostics, uploaded to {location}",
        "GetDiagnostics",
        {
            "location": location,
            "retries": 0,
            "startTime": start.isoformat(timespec="seconds").replace("+00:00", "Z"),
        },
        step=1,
        log_type="DiagnosticsLog",
        location=location,
    )
    # The upload location is the case's test data: where it succeeds or fails.
    ctx.require(1, "GetDiagnostics.req", request, "location", location)
    await s16.station_answer(ctx, "GetDiagnostics", since=since)
    return since, request


@scenario("TC_045_1_CSMS", manual=("get_log",))
async def get_diagnostics(ctx: CaseRun) -> None:
    # 1.6 §5.9, §4.4: Uploading, then Uploaded (the archive is on the file server).
    async with material.tool_files() as files:
        since, request = await _get_diagnostics(ctx, files.url_for("diagnostics/"))
        await s16.exchange(
            ctx, "DiagnosticsStatusNotification", step=4, since=since, status="Uploading"
        )
        await s16.exchange(
            ctx,
            "DiagnosticsStatusNotification",
            step=6,
            since=since,
            timeout=_patience(ctx, request),
            status="Uploaded",
        )


@scenario("TC_045_2_CSMS", manual=("get_log",))
async def get_diagnostics_upload_failed(ctx: CaseRun) -> None:
    # 1.6 §4.4 UploadFailed: the file server refuses the upload.
    async with material.tool_files() as files:
        files.fail_next(REFUSED_PATH, times=100, status=500)
        since, request = await _get_diagnostics(ctx, files.url_for(REFUSED_PATH))
        await s16.exchange(
            ctx, "DiagnosticsStatusNotification", step=4, since=since, status="Uploading"
        )
        await s16.exchange(
            ctx,
            "DiagnosticsStatusNotification",
            step=6,
            since=since,
            timeout=_patience(ctx, request),
            status="UploadFailed",
        )


REFUSED_PATH = "refused-diagnostics"
