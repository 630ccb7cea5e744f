"""1.6 security-extension states of the charge point cases (OCTT 1.6 §2.24, §2.26).

The security profile the station is connected with (from the endpoint's
``LinkEvent``s: plain, Basic auth, TLS, client certificate), a reboot that the
case watches the reconnection of, and the memory states CertificateInstalled and
RenewChargePointCertificate. The bench is the Certificate Authority of the cases
that sign the station's CSR: its certificate and key are ``ChargerSettings.extra``
``ca_cert_file`` / ``ca_key_file`` (the CA whose certificates the endpoint trusts
for client certificates, and whose root the station trusts).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bench.conformance.charger.endpoint import LinkEvent
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states16 import configure, connector_status
from bench.conformance.charger.states16_ext import number_of_connectors
from bench.conformance.evidence import Inconclusive
from bench.conformance.expect import one_of
from bench.csms.certificates import CertificateAuthority, CsrRejected
from bench.ocpp.common.certificates import hash_data

CS_ROOT = "CentralSystemRootCertificate"
MF_ROOT = "ManufacturerRootCertificate"


# ---------------------------------------------------------------------------- the link
def connections(ctx: ChargerRun) -> list[LinkEvent]:
    return [e for e in ctx.endpoint.events if e.kind == "connected"]


def current_link(ctx: ChargerRun) -> LinkEvent:
    found = connections(ctx)
    if not found or not ctx.endpoint.connected:
        raise Inconclusive("the station is not connected")
    return found[-1]


def needs_profile(ctx: ChargerRun, allowed: tuple[int, ...]) -> int:
    """The case's prerequisite on the security profile in use: N/A for another one."""
    profile = current_link(ctx).security_profile
    if profile not in allowed:
        names = " or ".join(str(p) for p in allowed)
        ctx.not_applicable(
            f"the station is connected with security profile {profile}; "
            f"the case is for security profile {names}"
        )
    return profile


async def new_connection(ctx: ChargerRun, after: int, *, timeout: float | None = None) -> LinkEvent:
    """The first connection after ``after`` link events (``len(ctx.endpoint.events)``)."""
    limit = ctx.settings.timeout if timeout is None else timeout
    endpoint = ctx.endpoint
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    for _ in range(100_000):
        fresh = [e for e in endpoint.events[after:] if e.kind == "connected"]
        if fresh:
            return fresh[0]
        left = deadline - loop.time()
        if left <= 0:
            break
        endpoint.changed.clear()
        try:
            async with asyncio.timeout(left):
                await endpoint.changed.wait()
        except TimeoutError:
            break
    raise Inconclusive(f"the station did not connect again within {limit:g} s")


async def rebooted(ctx: ChargerRun, *, step: int | None) -> tuple[LinkEvent, int]:
    """ "The Charge Point is triggered to reset": Reset Hard; the new connection and the
    frame position it starts at (the BootNotification and statuses follow)."""
    events = len(ctx.endpoint.events)
    since = ctx.mark()
    reply = await ctx.request("Reset", {"type": "Hard"}, step=step)
    ctx.require(step, "Reset.conf", reply, "status", "Accepted")
    link = await new_connection(ctx, events)
    return link, since


async def booted_again(ctx: ChargerRun, since: int, *, boot_step: int, status_step: int) -> None:
    """BootNotification (answered Accepted), then StatusNotification Available for every
    connector and connector 0."""
    await ctx.station_request("BootNotification", step=boot_step, since=since)
    count = await number_of_connectors(ctx)
    for cid in range(0, count + 1):
        await connector_status(ctx, "Available", since=since, step=status_step, connector_id=cid)


def check_basic_auth(ctx: ChargerRun, step: int, link: LinkEvent) -> None:
    """The HTTP upgrade's "AUTHORIZATION: Basic <ChargePointId>:<AuthorizationKey>"."""
    password = link.password
    ctx.check_that(
        step,
        "HTTP upgrade",
        "Authorization",
        password is not None,
        "Basic credentials",
        "present" if password is not None else "none",
    )
    # The endpoint admits Basic credentials only with the identity of the URL as the
    # username (whitepaper A00.FR.203/303), so a connection with a password proves it.
    ctx.check_that(
        step,
        "HTTP upgrade",
        "Authorization username",
        password is not None,
        f"the ChargePointId of the URL ({ctx.settings.station_id})",
        ctx.settings.station_id if password is not None else "no credentials",
    )
    key = password or ""
    hex_digits = bool(key) and all(c in "0123456789abcdefABCDEF" for c in key)
    ctx.check_that(
        step,
        "HTTP upgrade",
        "Authorization password",
        hex_digits and 20 <= len(key) <= 40,
        "the hex encoded authorization key: 20 to 40 hexadecimal characters",
        f"{len(key)} characters" + ("" if hex_digits else ", not all hexadecimal"),
    )
    ctx.check_that(
        step,
        "HTTP upgrade",
        "Authorization password",
        len(key) >= 16,
        "an authorization key of at least 16 characters",
        f"{len(key)} characters",
    )


# ---------------------------------------------------------------------------- certificates
def certificate_authority(ctx: ChargerRun) -> CertificateAuthority:
    """The bench as Certificate Authority Server (the case's "tool signs the certificate")."""
    cert_file = ctx.settings.extra.get("ca_cert_file")
    key_file = ctx.settings.extra.get("ca_key_file")
    if not cert_file or not key_file:
        raise Inconclusive(
            "the bench has no certificate authority to sign the station's CSR "
            "(configure ca_cert_file and ca_key_file)"
        )
    return CertificateAuthority.from_files(cert_file, key_file)


def cpo_name(ctx: ChargerRun) -> str:
    """<The configured Vendor Name>: the CPO name the station writes in its CSR."""
    return ctx.settings.extra.get("cpo_name", "OCPP Bench CPO")


async def signing_request(ctx: ChargerRun, *, step: int) -> str:
    """Steps 1-4 of the certificate renewal: CpoName configured, ExtendedTriggerMessage
    SignChargePointCertificate Accepted, the station's SignCertificate.req (answered
    Accepted). Returns its CSR."""
    await configure(ctx, {"CpoName": cpo_name(ctx)})
    ctx.answer("SignCertificate", {"status": "Accepted"})
    since = ctx.mark()
    request = {"requestedMessage": "SignChargePointCertificate"}
    reply = await ctx.request("ExtendedTriggerMessage", request, step=step)
    ctx.require(step + 1, "ExtendedTriggerMessage.conf", reply, "status", "Accepted")
    sign = await ctx.station_request("SignCertificate", step=step + 2, since=since)
    return str(sign.get("csr", ""))


def sign(ctx: ChargerRun, csr: str, *, step: int) -> tuple[str, x509.Certificate]:
    """The CA signs ``csr``: (the PEM chain for CertificateSigned.req, the new certificate)."""
    ca = certificate_authority(ctx)
    try:
        chain = ca.sign_csr(csr, ctx.settings.station_id, datetime.now(UTC))
    except CsrRejected as exc:
        ctx.check_that(step, "SignCertificate.req", "csr", False, "a CSR the CA can sign", str(exc))
        raise Inconclusive(f"the station's CSR cannot be signed: {exc}") from None
    return chain, x509.load_pem_x509_certificate(chain.encode())


async def renewed_certificate(ctx: ChargerRun, *, step: int = 1) -> x509.Certificate:
    """Memory state RenewChargePointCertificate (Table 115): the new certificate installed."""
    csr = await signing_request(ctx, step=step)
    chain, cert = sign(ctx, csr, step=step + 2)
    reply = await ctx.request("CertificateSigned", {"certificateChain": chain}, step=step + 4)
    ctx.require(step + 5, "CertificateSigned.conf", reply, "status", "Accepted")
    return cert


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def configured_cs_root(ctx: ChargerRun) -> x509.Certificate | None:
    """<Configured CentralSystemRootCertificate>: the CA the bench is (``ca_cert_file``)."""
    path = ctx.settings.extra.get("cs_root_file") or ctx.settings.extra.get("ca_cert_file")
    if not path:
        return None
    with open(path, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())


def installed(reply: dict[str, Any], cert: x509.Certificate) -> bool:
    """Whether GetInstalledCertificateIds.conf lists ``cert`` (hashed the bench's own way,
    with each entry's hashAlgorithm)."""
    for entry in reply.get("certificateHashData") or []:
        try:
            mine = hash_data(cert, algorithm=str(entry.get("hashAlgorithm", "SHA256")))
        except KeyError:
            continue
        if (
            mine["issuerNameHash"].lower() == str(entry.get("issuerNameHash", "")).lower()
            and mine["issuerKeyHash"].lower() == str(entry.get("issuerKeyHash", "")).lower()
            and mine["serialNumber"].lower().lstrip("0")
            == str(entry.get("serialNumber", "")).lower().lstrip("0")
        ):
            return True
    return False


async def certificate_installed(
    ctx: ChargerRun, cert: x509.Certificate, certificate_type: str, *, step: int | None = None
) -> dict[str, Any]:
    """Memory state CertificateInstalled (Table 114): GetInstalledCertificateIds, and
    InstallCertificate when ``cert`` is not there yet. Returns the first listing."""
    listing = await ctx.request(
        "GetInstalledCertificateIds", {"certificateType": certificate_type}, step=step
    )
    ctx.check(
        step, "GetInstalledCertificateIds.conf", listing, "status", one_of("Accepted", "NotFound")
    )
    if not installed(listing, cert):
        reply = await ctx.request(
            "InstallCertificate",
            {"certificateType": certificate_type, "certificate": pem(cert)},
            step=step,
        )
        ctx.require(step, "InstallCertificate.conf", reply, "status", "Accepted")
    return listing
