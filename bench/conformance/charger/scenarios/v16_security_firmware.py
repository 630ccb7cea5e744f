"""1.6 Security, security log and secure firmware update: charge point test cases
(OCTT 1.6 §2.24.2-3, TC_079_CS .. TC_081_CS).

The "<Configured log location>", "<Configured firmware location>" and the firmware's
'Signature' test data are the bench's own unless configured (``ChargerSettings.extra``
``log_location``, ``firmware_location`` + ``firmware_signature`` +
``firmware_signing_certificate`` (a PEM file)): a file server on the endpoint's
host (``material_v16.tool_files``), a firmware file in the bench's format and a
throw-away signing certificate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16_ext import new_id, supported_profiles, time_text
from bench.conformance.charger.states16_security import booted_again
from bench.conformance.material_v16 import (
    firmware_file,
    signature_of,
    signing_certificate,
    tool_files,
)
from bench.csms.files import FileServer

UPDATE_STEPS = ("Downloading", "Downloaded", "SignatureVerified", "Installing")


@scenario("TC_079_CS")
async def get_security_log(ctx: ChargerRun) -> None:
    configured = ctx.settings.extra.get("log_location")
    if configured:
        await _get_log(ctx, configured)
        return
    async with tool_files() as files:
        await _get_log(ctx, files.url_for("logs/"))


async def _get_log(ctx: ChargerRun, location: str) -> None:
    since = ctx.mark()
    request = {"logType": "SecurityLog", "requestId": new_id(), "log": {"remoteLocation": location}}
    reply = await ctx.request("GetLog", request, step=1)
    ctx.require(2, "GetLog.conf", reply, "status", "Accepted")
    uploading = await ctx.station_frame(
        "LogStatusNotification",
        step=3,
        since=since,
        match=lambda p: p.get("status") == "Uploading",
        what="a LogStatusNotification Uploading",
    )
    ctx.check(3, "LogStatusNotification.req", uploading.payload, "status", "Uploading")
    done = await ctx.station_request(
        "LogStatusNotification",
        step=5,
        since=ctx.frames.index(uploading) + 1,
        what="the LogStatusNotification after Uploading",
    )
    ctx.check(5, "LogStatusNotification.req", done, "status", "Uploaded")


def _firmware(ctx: ChargerRun, files: FileServer | None, *, valid: bool) -> dict[str, str]:
    """The SignedUpdateFirmware.req firmware field: configured, or made by the bench."""
    extra = ctx.settings.extra
    if files is None:
        cert_pem = Path(extra["firmware_signing_certificate"]).read_text()
        signature = (
            extra["firmware_signature"] if valid else _corrupted(extra["firmware_signature"])
        )
        location = extra["firmware_location"]
    else:
        now = datetime.now(UTC)
        signer = signing_certificate(now)
        data = firmware_file("9.9.9-conformance")
        location = files.publish("firmware/cs-secure-update.bin", data)
        signature = signature_of(data if valid else data + b"tampered", signer)
        cert_pem = signer.pem
    return {
        "location": location,
        "retrieveDateTime": time_text(),
        "signingCertificate": cert_pem,
        "signature": signature,
    }


def _corrupted(signature: str) -> str:
    """A signature of the right form that does not match the firmware."""
    flipped = "A" if signature[:1] != "A" else "B"
    return flipped + signature[1:]


async def _signed_update(ctx: ChargerRun, *, valid: bool) -> None:
    profiles = await supported_profiles(ctx)
    if "FirmwareManagement" not in profiles:
        ctx.not_applicable(
            "the charge point does not support the FirmwareManagement feature profile "
            f"(SupportedFeatureProfiles {','.join(profiles) or 'not reported'})"
        )
    if ctx.settings.extra.get("firmware_location"):
        await _run_update(ctx, None, valid=valid)
        return
    async with tool_files() as files:
        await _run_update(ctx, files, valid=valid)


async def _run_update(ctx: ChargerRun, files: FileServer | None, *, valid: bool) -> None:
    firmware = _firmware(ctx, files, valid=valid)
    since = ctx.mark()
    request = {"requestId": new_id(), "firmware": firmware}
    reply = await ctx.request("SignedUpdateFirmware", request, step=1)
    ctx.require(2, "SignedUpdateFirmware.conf", reply, "status", "Accepted")
    steps = UPDATE_STEPS if valid else ("Downloading", "Downloaded", "InvalidSignature")
    position = since
    for number, status in zip((3, 5, 7, 9), steps, strict=False):
        rec = await ctx.station_frame(
            "SignedFirmwareStatusNotification",
            step=number,
            since=position,
            what=f"a SignedFirmwareStatusNotification ({status} expected)",
        )
        ctx.require(number, "SignedFirmwareStatusNotification.req", rec.payload, "status", status)
        position = ctx.frames.index(rec) + 1
    if not valid:
        return
    # Steps 11-17 (in any order): the reboot, the statuses, Installed.
    await booted_again(ctx, position, boot_step=11, status_step=15)
    installed = await ctx.station_request(
        "SignedFirmwareStatusNotification",
        step=17,
        since=position,
        match=lambda p: p.get("status") not in ("InstallRebooting",),
        what="the SignedFirmwareStatusNotification after the installation",
        timeout=ctx.settings.timeout * 2,
    )
    ctx.check(17, "SignedFirmwareStatusNotification.req", installed, "status", "Installed")


@scenario("TC_080_CS")
async def secure_firmware_update(ctx: ChargerRun) -> None:
    await _signed_update(ctx, valid=True)


@scenario("TC_081_CS")
async def secure_firmware_update_invalid_signature(ctx: ChargerRun) -> None:
    await _signed_update(ctx, valid=False)
