"""1.6 Security, certificates: charge point test cases (OCTT 1.6 §2.24.1-2, TC_074_CS ..
TC_078_CS).

The root certificates the cases install ("<Certificate from the store>") are made
by the bench for the case (``material_v16``); the certificates it signs come from
its Certificate Authority (``states16_security.certificate_authority``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bench.conformance.charger import states16_security as sec
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.material_v16 import expired_root_certificate, root_certificate
from bench.ocpp.common.certificates import hash_data


@scenario("TC_074_CS")
async def renew_charge_point_certificate(ctx: ChargerRun) -> None:
    sec.needs_profile(ctx, (3,))
    csr = await sec.signing_request(ctx, step=1)
    chain, cert = sec.sign(ctx, csr, step=3)
    events = len(ctx.endpoint.events)
    reply = await ctx.request("CertificateSigned", {"certificateChain": chain}, step=5)
    ctx.require(6, "CertificateSigned.conf", reply, "status", "Accepted")
    link = await sec.new_connection(ctx, events)
    ctx.check_that(
        7,
        "TLS handshake",
        "client certificate",
        link.client_certificate == sec.der(cert),
        f"the new certificate (serial {cert.serial_number:x})",
        "the new certificate"
        if link.client_certificate == sec.der(cert)
        else ("another certificate" if link.client_certificate else "no client certificate"),
    )


@scenario("TC_077_CS")
async def invalid_charge_point_certificate(ctx: ChargerRun) -> None:
    sec.needs_profile(ctx, (3,))
    await sec.signing_request(ctx, step=1)
    # An invalid certificate: self-signed, for a key the station never made.
    invalid = root_certificate("OCPP Bench invalid ChargePointCertificate", datetime.now(UTC))
    since = ctx.mark()
    reply = await ctx.request("CertificateSigned", {"certificateChain": invalid.pem}, step=5)
    ctx.check(6, "CertificateSigned.conf", reply, "status", "Rejected")
    event = await ctx.station_request(
        "SecurityEventNotification",
        step=7,
        since=since,
        match=lambda p: p.get("type") == "InvalidChargePointCertificate",
        what="a SecurityEventNotification InvalidChargePointCertificate",
    )
    ctx.check(7, "SecurityEventNotification.req", event, "type", "InvalidChargePointCertificate")


async def _install(ctx: ChargerRun, certificate_type: str) -> None:
    cert = root_certificate(f"OCPP Bench {certificate_type}", datetime.now(UTC))
    request = {"certificateType": certificate_type, "certificate": cert.pem}
    reply = await ctx.request("InstallCertificate", request, step=1)
    ctx.check(2, "InstallCertificate.conf", reply, "status", "Accepted")
    listing = await ctx.request(
        "GetInstalledCertificateIds", {"certificateType": certificate_type}, step=3
    )
    ctx.check(4, "GetInstalledCertificateIds.conf", listing, "status", "Accepted")
    ctx.check_that(
        4,
        "GetInstalledCertificateIds.conf",
        "certificateHashData",
        sec.installed(listing, cert.cert),
        "includes the certificate installed at step 1 (the bench's own hash of it)",
        f"{len(listing.get('certificateHashData') or [])} entries"
        + ("" if sec.installed(listing, cert.cert) else ", not it"),
    )


@scenario("TC_075_1_CS")
async def install_manufacturer_root(ctx: ChargerRun) -> None:
    sec.needs_profile(ctx, (2, 3))
    await _install(ctx, sec.MF_ROOT)


@scenario("TC_075_2_CS")
async def install_central_system_root(ctx: ChargerRun) -> None:
    sec.needs_profile(ctx, (2, 3))
    await _install(ctx, sec.CS_ROOT)


@scenario("TC_076_CS")
async def delete_certificate(ctx: ChargerRun) -> None:
    sec.needs_profile(ctx, (2, 3))
    # <Configured CentralSystemRootCertificate> of this case: one the bench installs
    # (memory state CertificateInstalled), not the root the connection relies on.
    cert = root_certificate("OCPP Bench CentralSystemRootCertificate", datetime.now(UTC)).cert
    await sec.certificate_installed(ctx, cert, sec.CS_ROOT)
    listing = await ctx.request(
        "GetInstalledCertificateIds", {"certificateType": sec.CS_ROOT}, step=1
    )
    ctx.require(2, "GetInstalledCertificateIds.conf", listing, "status", "Accepted")
    algorithm = "SHA256"
    for entry in listing.get("certificateHashData") or []:
        algorithm = str(entry.get("hashAlgorithm", algorithm))
        break
    hashed = hash_data(cert, algorithm=algorithm)
    reply = await ctx.request("DeleteCertificate", {"certificateHashData": hashed}, step=3)
    ctx.check(4, "DeleteCertificate.conf", reply, "status", "Accepted")
    after = await ctx.request(
        "GetInstalledCertificateIds", {"certificateType": sec.CS_ROOT}, step=5
    )
    ctx.check_that(
        6,
        "GetInstalledCertificateIds.conf",
        "certificateHashData",
        not sec.installed(after, cert),
        "does not include the removed certificate",
        "still includes it" if sec.installed(after, cert) else "it is gone",
    )


@scenario("TC_078_CS")
async def invalid_central_system_certificate(ctx: ChargerRun) -> None:
    sec.needs_profile(ctx, (2, 3))
    expired = expired_root_certificate("OCPP Bench expired root", datetime.now(UTC))
    since = ctx.mark()
    request = {"certificateType": sec.CS_ROOT, "certificate": expired.pem}
    reply = await ctx.request("InstallCertificate", request, step=1)
    ctx.check(2, "InstallCertificate.conf", reply, "status", "Rejected")
    event = await ctx.station_request(
        "SecurityEventNotification",
        step=3,
        since=since,
        match=lambda p: p.get("type") == "InvalidCentralSystemCertificate",
        what="a SecurityEventNotification InvalidCentralSystemCertificate",
    )
    ctx.check(3, "SecurityEventNotification.req", event, "type", "InvalidCentralSystemCertificate")
