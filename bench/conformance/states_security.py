"""Security profiles of a run and the security states of the 2.0.1 CSMS cases (part 6 §3.2).

- ``configured_profile``: the security profile the run connects with, from what
  the operator configured (A00: 1 = ws:// + Basic auth, 2 = wss:// + Basic auth,
  3 = wss:// + client certificate; 0 = none of them).
- ``needs_profile``: a case's prerequisite "The CSMS supports security profile ..."
  held against that configuration: the bench can only test the profiles it was
  given credentials for.
- ``renew_charging_station_certificate``: Memory State RenewChargingStationCertificate
  (§3.18, A02/A03), played by the real station: it answers the TriggerMessage,
  sends its own CSR and checks the chain it gets back.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from bench.conformance import preconditions, states
from bench.conformance.case_run import CaseRun, CaseSettings, StopCase
from bench.kernel.frames import FrameRecord
from bench.ocpp.api import LinkState

PROFILE_NEEDS = {
    1: "a Basic auth password (--password) over ws://",
    2: "a Basic auth password (--password) over wss://",
    3: "a client certificate and key (--cert, --key) over wss://",
}


def configured_profile(settings: CaseSettings) -> int:
    """The security profile the run's station connects with (A00, whitepaper §2)."""
    secure = urllib.parse.urlsplit(settings.csms_url).scheme.lower() == "wss"
    if secure and settings.cert_file:
        return 3
    if settings.password:
        return 2 if secure else 1
    return 0


def needs_profile(ctx: CaseRun, *profiles: int) -> int:
    """The configured profile when it is one of ``profiles``; NotApplicable otherwise."""
    profile = configured_profile(ctx.settings)
    if profile not in profiles:
        wanted = " or ".join(str(p) for p in profiles)
        how = "; ".join(f"{p}: {PROFILE_NEEDS[p]}" for p in profiles)
        ctx.not_applicable(
            f"the case needs security profile {wanted} and the run uses profile {profile} ({how})"
        )
    return profile


async def connect_and_boot(
    ctx: CaseRun,
    *,
    connect_step: int | None,
    boot_step: int | None,
    how: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """The station connects (``how``: started, by default) and boots: Reusable State Booted.

    The connection is the station's own, with the run's credentials; a CSMS that
    refuses it fails ``connect_step`` ("the CSMS validates ... AND upgrades the
    connection") with the reason the station got, instead of leaving the case waiting
    for a BootNotification that cannot come.
    """
    station = ctx.station
    refused: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    tried = False

    def on_event(_event: object) -> None:
        nonlocal tried
        net = station.network()
        if net.link is LinkState.CONNECTING:
            tried = True
        elif net.link is LinkState.OFFLINE and tried and net.last_error and not refused.done():
            refused.set_result(net.last_error)

    since = ctx.mark()
    unsubscribe = station.subscribe(on_event)
    try:
        if how is None:
            await preconditions.apply_general(ctx)
            await ctx.start_station()
        else:
            await how()
        boot = asyncio.ensure_future(ctx.reply_to("BootNotification", step=boot_step, since=since))
        waiting: set[asyncio.Future[Any]] = {boot, refused}
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not boot.done():
                boot.cancel()
            await asyncio.gather(boot, return_exceptions=True)
    finally:
        unsubscribe()
    if refused.done() and (boot.cancelled() or boot.exception() is not None):
        ctx.check_that(
            connect_step,
            "HTTP upgrade",
            "(connection)",
            False,
            "the station's connection accepted",
            refused.result(),
        )
        raise StopCase(ctx.checks[-1].describe())
    reply = boot.result()  # or the Inconclusive of reply_to: no BootNotification answered
    ctx.require(boot_step, "BootNotificationResponse", reply.payload, "status", "Accepted")
    await station.wait_accepted(ctx.settings.timeout)
    await states.statuses_reported(ctx, ctx.frames.index(reply))


def load_chain(text: Any) -> list[x509.Certificate]:
    """The PEM certificates in ``text`` (an empty list when there are none or it is not PEM)."""
    if not isinstance(text, str):
        return []
    try:
        return x509.load_pem_x509_certificates(text.encode())
    except ValueError:
        return []


def same_key(cert: x509.Certificate, csr_pem: str) -> bool:
    """Does ``cert`` carry the public key of the CSR ``csr_pem``?"""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return cert.public_key().public_bytes(der, spki) == csr.public_key().public_bytes(der, spki)


def signed_by_any(cert: x509.Certificate, issuers: list[x509.Certificate]) -> bool:
    """Is ``cert`` signed by one of ``issuers``?"""
    for issuer in issuers:
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def ca_certificates(ctx: CaseRun) -> list[x509.Certificate]:
    """The run's configured CSMS root(s) (``--ca``), for "signed by the configured root"."""
    if not ctx.settings.ca_file:
        return []
    with open(ctx.settings.ca_file, encoding="utf-8") as handle:
        return load_chain(handle.read())


async def trigger_sign(
    ctx: CaseRun, requested: str, *, step: int = 1
) -> tuple[dict[str, Any], FrameRecord, FrameRecord]:
    """Manual action: the CSMS triggers a certificate signing (A02.FR.11, F06.FR.01).

    Returns the TriggerMessageRequest, the station's SignCertificateRequest frame and
    the CSMS's reply to it (steps 1, 3 and 4 of A_11..A_14 and the memory state).
    """
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "trigger_message",
        f"Request the CSMS to send a TriggerMessageRequest with requestedMessage {requested}",
        "TriggerMessage",
        {"requestedMessage": requested},
        step=step,
        requested_message=requested,
    )
    ctx.check(step, "TriggerMessageRequest", request, "requestedMessage", requested)
    sign = await ctx.wait_frame(
        lambda r: r.direction == "tx" and r.type == "CALL" and r.action == "SignCertificate",
        since=since,
        what="the station's SignCertificateRequest",
    )
    reply = await ctx.wait_frame(
        lambda r: r.direction == "rx" and r.id == sign.id and r.type != "CALL",
        since=ctx.frames.index(sign),
        what="the CSMS's SignCertificateResponse",
    )
    ctx.check(step + 3, "SignCertificateResponse", reply.payload, "status", "Accepted")
    return request, sign, reply


def check_chain_from_csr(
    ctx: CaseRun, step: int, signed: dict[str, Any], csr: str, *, issuers: list[x509.Certificate]
) -> None:
    """CertificateSignedRequest.certificateChain: PEM X.509, generated from ``csr`` and,
    when ``issuers`` are known, signed by one of them (A02.FR.05/06)."""
    message = "CertificateSignedRequest"
    chain = load_chain(signed.get("certificateChain"))
    ctx.check_that(
        step,
        message,
        "certificateChain",
        bool(chain),
        "PEM encoded X.509 certificate(s)",
        f"{len(chain)} PEM certificate(s)" if chain else "no PEM certificate",
    )
    if not chain:
        return
    leaf = chain[0]
    ctx.check_that(
        step,
        message,
        "certificateChain[0] (public key)",
        same_key(leaf, csr),
        "the key of the CSR the station sent",
        "the same key" if same_key(leaf, csr) else "another key",
    )
    if issuers:
        ok = signed_by_any(leaf, [*chain[1:], *issuers])
        ctx.check_that(
            step,
            message,
            "certificateChain[0] (issuer)",
            ok,
            "signed by the configured CSMS root (or a sub-CA in the chain)",
            "so signed" if ok else f"issued by {leaf.issuer.rfc4514_string()}",
        )


async def renew_charging_station_certificate(ctx: CaseRun) -> None:
    """Memory State RenewChargingStationCertificate (§3.18, Table 711).

    Step 1 TriggerMessage SignChargingStationCertificate; step 4 SignCertificate
    Accepted; step 5 CertificateSigned with a chain generated from the CSR of step 3
    and signed by the configured CSMS root, certificateType ChargingStationCertificate.
    """
    _request, sign, _reply = await trigger_sign(ctx, "SignChargingStationCertificate")
    signed = await ctx.csms_request("CertificateSigned", step=5, since=ctx.frames.index(sign))
    csr = sign.payload.get("csr", "") if isinstance(sign.payload, dict) else ""
    check_chain_from_csr(ctx, 5, signed, csr, issuers=ca_certificates(ctx))
    ctx.check(
        5, "CertificateSignedRequest", signed, "certificateType", "ChargingStationCertificate"
    )
