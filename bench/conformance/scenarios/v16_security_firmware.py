"""OCPP 1.6 security extension: the security log and signed firmware (1.6 test case
document §3.21.2-3, whitepaper N01 and L01).

As in the Firmware Management cases, the station transfers for real: the case's
file server holds the firmware and receives the log. The signing certificate and
the signature are the case's test data; the bench's station verifies them (L01).
Where it differs from OCTT's scripted station: it sets no connector Unavailable
before installing while nothing charges.
"""

from __future__ import annotations

from typing import Any

from bench.conformance import material_v16 as material
from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import satisfies
from bench.conformance.scenarios import scenario
from bench.conformance.scenarios.v16_security_certificates import same_pem
from bench.firmware_image import load_certificate, verify_signature

NEW_VERSION = "9.9.10-signed"
REQUEST_ID = 1601


@scenario("TC_079_CSMS", manual=("get_log",))
async def get_security_log(ctx: CaseRun) -> None:
    # Whitepaper N01: GetLog(SecurityLog) to the configured location; Uploading, Uploaded.
    s16.needs_security_profile(ctx, 1, 2, 3)
    async with material.tool_files() as files:
        location = files.url_for("logs/")
        await s16.booted(ctx)
        since = ctx.mark()
        request = await ctx.request_by_hand(
            "get_log",
            f"Request the Central System to get the Charge Point's security log, uploaded "
            f"to {location}",
            "GetLog",
            {
                "logType": "SecurityLog",
                "requestId": REQUEST_ID,
                "retries": 0,
                "log": {"remoteLocation": location},
            },
            step=1,
            log_type="SecurityLog",
            location=location,
        )
        ctx.check(1, "GetLog.req", request, "log.remoteLocation", location)
        ctx.check(1, "GetLog.req", request, "logType", "SecurityLog")
        await s16.station_answered(ctx, "GetLog", since=since, status="Accepted")
        await s16.exchange(ctx, "LogStatusNotification", step=4, since=since, status="Uploading")
        await s16.exchange(ctx, "LogStatusNotification", step=6, since=since, status="Uploaded")


def _signed_request(
    ctx: CaseRun, location: str, signature: str, signer: material.Certificate
) -> dict[str, Any]:
    return {
        "requestId": REQUEST_ID,
        "retries": 0,
        "firmware": {
            "location": location,
            "retrieveDateTime": s16.now_iso(ctx),
            "signingCertificate": signer.pem,
            "signature": signature,
        },
    }


async def _signed_update(
    ctx: CaseRun, location: str, signature: str, signer: material.Certificate
) -> tuple[int, dict[str, Any]]:
    await s16.booted(ctx)
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "update_firmware",
        f"Request the Central System to update the Charge Point's firmware securely from "
        f"{location} with signature {signature} and this signing certificate:\n{signer.pem}",
        "SignedUpdateFirmware",
        _signed_request(ctx, location, signature, signer),
        step=1,
        location=location,
        signature=signature,
        signing_certificate=signer.pem,
    )
    m = "SignedUpdateFirmware.req"
    ctx.require(1, m, request, "firmware.location", location)
    ctx.check(1, m, request, "firmware.signingCertificate", same_pem(signer.pem))
    return since, request


async def _signed_status(ctx: CaseRun, status: str, *, step: int, since: int) -> None:
    await s16.exchange(
        ctx, "SignedFirmwareStatusNotification", step=step, since=since, status=status
    )


@scenario("TC_080_CSMS", manual=("update_firmware",))
async def secure_firmware_update(ctx: CaseRun) -> None:
    # Whitepaper L01: download, signature verified, install, reboot, FirmwareUpdated,
    # Installed (steps 13-19 may come in any order).
    s16.needs_security_profile(ctx, 1, 2, 3)
    now = ctx.station.clock.now()
    signer = material.signing_certificate(now)
    data = material.firmware_file(NEW_VERSION)
    signature = material.signature_of(data, signer)
    async with material.tool_files() as files:
        location = files.publish(f"firmware/fw-{NEW_VERSION}.json", data)
        since, request = await _signed_update(ctx, location, signature, signer)
        ctx.require(1, "SignedUpdateFirmware.req", request, "firmware.signature", signature)
        await s16.station_answered(ctx, "SignedUpdateFirmware", since=since, status="Accepted")
        await _signed_status(ctx, "Downloading", step=4, since=since)
        await _signed_status(ctx, "Downloaded", step=6, since=since)
        await _signed_status(ctx, "SignatureVerified", step=8, since=since)
        await _signed_status(ctx, "Installing", step=10, since=since)
        await _signed_status(ctx, "InstallRebooting", step=12, since=since)
        boot = await s16.exchange(ctx, "BootNotification", step=14, since=since)
        ctx.require(14, "BootNotification.conf", boot.reply, "status", "Accepted")
        after = ctx.frames.index(boot.request)
        await s16.exchange(
            ctx, "SecurityEventNotification", step=16, since=after, type="FirmwareUpdated"
        )
        for cid in (0, *ctx.station.connector_ids()):
            await s16.status(ctx, "Available", since=after, step=18, connector=cid)
        await _signed_status(ctx, "Installed", step=20, since=after)


def _invalid_signature(signer: material.Certificate, data: bytes) -> Any:
    cert = load_certificate(signer.pem)
    return satisfies(
        lambda v: isinstance(v, str) and not verify_signature(cert, data, v),
        "an invalid signature of the firmware",
    )


@scenario("TC_081_CSMS", manual=("update_firmware",))
async def secure_firmware_invalid_signature(ctx: CaseRun) -> None:
    # Whitepaper L01.FR.03: the signature does not verify: InvalidSignature.
    s16.needs_security_profile(ctx, 1, 2, 3)
    now = ctx.station.clock.now()
    signer = material.signing_certificate(now)
    data = material.firmware_file(NEW_VERSION)
    # <An invalid signature>: a signature of other bytes by the same key.
    bad = material.signature_of(data + b" ", signer)
    async with material.tool_files() as files:
        location = files.publish(f"firmware/fw-{NEW_VERSION}.json", data)
        since, request = await _signed_update(ctx, location, bad, signer)
        ctx.check(
            1,
            "SignedUpdateFirmware.req",
            request,
            "firmware.signature",
            _invalid_signature(signer, data),
        )
        await s16.station_answered(ctx, "SignedUpdateFirmware", since=since, status="Accepted")
        await _signed_status(ctx, "Downloading", step=4, since=since)
        await _signed_status(ctx, "Downloaded", step=6, since=since)
        await _signed_status(ctx, "InvalidSignature", step=8, since=since)
