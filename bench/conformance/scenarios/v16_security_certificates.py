"""OCPP 1.6 security extension: certificates - the station's own (A02) and the roots
the Central System installs and deletes (M03-M05) (1.6 test case document §3.21.1-2).

The roots are the case's test data (``material_v16``): made per case, passed to the
Central System in the manual action's parameters, and checked back field by field.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509

from bench.conformance import material_v16 as material
from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import absent, satisfies
from bench.conformance.scenarios import scenario
from bench.ocpp.common.certificates import hash_data

CPO_NAME = "OCPP Bench CPO"  # TC_074_CS's configuration state: CpoName is set (A02)


def same_pem(pem: str) -> Any:
    """The same certificate, whatever the line breaks and surrounding blanks."""

    def flat(text: Any) -> str:
        return "".join(str(text).split())

    return satisfies(lambda v: isinstance(v, str) and flat(v) == flat(pem), "the configured PEM")


def is_certificate(value: Any) -> bool:
    try:
        x509.load_pem_x509_certificate(str(value).encode())
    except ValueError:
        return False
    return True


async def _renew_certificate(ctx: CaseRun) -> int:
    """Steps 1-5: ExtendedTriggerMessage(SignChargePointCertificate), SignCertificate,
    CertificateSigned. Returns the frame position before the CertificateSigned.req."""
    await s16.write_settings(ctx, CpoName=CPO_NAME)
    await s16.booted(ctx)
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "trigger_message",
        "Request the Central System to renew the Charge Point's certificate "
        "(ExtendedTriggerMessage SignChargePointCertificate)",
        "ExtendedTriggerMessage",
        {"requestedMessage": "SignChargePointCertificate"},
        step=1,
        requested_message="SignChargePointCertificate",
    )
    m = "ExtendedTriggerMessage.req"
    ctx.require(1, m, request, "requestedMessage", "SignChargePointCertificate")
    ctx.check(1, m, request, "connectorId", absent())
    await s16.station_answered(ctx, "ExtendedTriggerMessage", since=since, status="Accepted")
    sign = await s16.exchange(ctx, "SignCertificate", step=4, since=since)
    ctx.require(4, "SignCertificate.conf", sign.reply, "status", "Accepted")
    return ctx.frames.index(sign.request)


@scenario("TC_074_CSMS", manual=("trigger_message",))
async def renew_station_certificate(ctx: CaseRun) -> None:
    # Whitepaper A02: the Central System has the station renew its certificate; the
    # station installs the signed one and reconnects with it (A02.FR.08).
    s16.needs_security_profile(ctx, 3)
    watch = s16.LinkWatch(ctx)
    try:
        since = await _renew_certificate(ctx)
        signed = await ctx.csms_request("CertificateSigned", step=5, since=since)
        ctx.check(
            5,
            "CertificateSigned.req",
            signed,
            "certificateChain",
            satisfies(is_certificate, "a PEM certificate"),
        )
        await s16.station_answered(ctx, "CertificateSigned", since=since, status="Accepted")
        back = await watch.reconnected(ctx.settings.timeout)
        ctx.check_that(
            7,
            "connection",
            "(reconnect with the new certificate)",
            back,
            "the Central System accepts the new certificate",
            "reconnected" if back else (watch.last_problem() or "no connection"),
        )
    finally:
        watch.close()


@scenario("TC_077_CSMS", manual=("trigger_message",))
async def invalid_station_certificate(ctx: CaseRun) -> None:
    # Whitepaper A02.FR.07: the station finds the signed certificate invalid, rejects
    # it and raises InvalidChargePointCertificate. OCTT's station rejects whatever it
    # gets; so does this one (scripted), and it sends the event itself.
    s16.needs_security_profile(ctx, 3)
    s16.answer_with(ctx, "CertificateSigned", {"status": "Rejected"})
    since = await _renew_certificate(ctx)
    signed = await ctx.csms_request("CertificateSigned", step=5, since=since)
    ctx.check(
        5,
        "CertificateSigned.req",
        signed,
        "certificateChain",
        satisfies(is_certificate, "a signed ChargePointCertificate (PEM)"),
    )
    await s16.station_answered(ctx, "CertificateSigned", since=since, status="Rejected")
    await s16.send(
        ctx,
        "SecurityEventNotification",
        {"type": "InvalidChargePointCertificate", "timestamp": s16.now_iso(ctx)},
        step=8,
    )


async def _install(
    ctx: CaseRun, certificate_type: str, root: material.Certificate, *, step: int | None = 1
) -> dict[str, Any]:
    return await ctx.request_by_hand(
        "install_certificate",
        f"Request the Central System to install this {certificate_type} on the Charge "
        f"Point:\n{root.pem}",
        "InstallCertificate",
        {"certificateType": certificate_type, "certificate": root.pem},
        step=step,
        certificate_type=certificate_type,
        certificate=root.pem,
    )


async def _installed_ids(ctx: CaseRun, certificate_type: str, *, step: int) -> dict[str, Any]:
    return await ctx.request_by_hand(
        "get_installed_certificate_ids",
        f"Request the Central System to get the Charge Point's installed {certificate_type}s",
        "GetInstalledCertificateIds",
        {"certificateType": certificate_type},
        step=step,
        certificate_type=certificate_type,
    )


def _install_case(case_id: str, certificate_type: str) -> None:
    @scenario(case_id, manual=("install_certificate", "get_installed_certificate_ids"))
    async def run(ctx: CaseRun) -> None:
        # Whitepaper M05 (install) and M03 (installed ids).
        s16.needs_security_profile(ctx, 2, 3)
        root = material.root_certificate(f"Bench {certificate_type}", ctx.station.clock.now())
        await s16.booted(ctx)
        since = ctx.mark()
        request = await _install(ctx, certificate_type, root)
        ctx.check(1, "InstallCertificate.req", request, "certificateType", certificate_type)
        ctx.check(1, "InstallCertificate.req", request, "certificate", same_pem(root.pem))
        await s16.station_answered(ctx, "InstallCertificate", since=since, status="Accepted")
        since = ctx.mark()
        ids = await _installed_ids(ctx, certificate_type, step=3)
        ctx.check(3, "GetInstalledCertificateIds.req", ids, "certificateType", certificate_type)
        await s16.station_answered(
            ctx, "GetInstalledCertificateIds", since=since, status="Accepted"
        )

    run.__doc__ = f"{case_id}: InstallCertificate {certificate_type}."


_install_case("TC_075_1_CSMS", "ManufacturerRootCertificate")
_install_case("TC_075_2_CSMS", "CentralSystemRootCertificate")


def _same_hash(wanted: dict[str, str]) -> Any:
    """certificateHashData of the certificate (hashes compared case-insensitively, the
    serial number as a number: leading zeros and case are a matter of writing)."""

    def test(value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        try:
            serial = int(str(value.get("serialNumber")), 16)
        except ValueError:
            return False
        return (
            str(value.get("issuerNameHash", "")).lower() == wanted["issuerNameHash"]
            and str(value.get("issuerKeyHash", "")).lower() == wanted["issuerKeyHash"]
            and serial == int(wanted["serialNumber"], 16)
        )

    return satisfies(test, f"the hash data of the installed root (serial {wanted['serialNumber']})")


@scenario(
    "TC_076_CSMS",
    manual=("install_certificate", "get_installed_certificate_ids", "delete_certificate"),
)
async def delete_certificate(ctx: CaseRun) -> None:
    # Whitepaper M04: the Central System looks the installed root up (M03) and deletes
    # it by its hash data. Memory state: the Central System installed Root 2.
    root = material.root_certificate("Bench Root 2", ctx.station.clock.now())
    await s16.booted(ctx)
    since = ctx.mark()
    await _install(ctx, "CentralSystemRootCertificate", root, step=None)
    await s16.station_answered(ctx, "InstallCertificate", since=since, status="Accepted")
    since = ctx.mark()
    await _installed_ids(ctx, "CentralSystemRootCertificate", step=1)
    ids = await s16.station_answered(
        ctx, "GetInstalledCertificateIds", since=since, status="Accepted"
    )
    algorithm = (ids.get("certificateHashData") or [{}])[0].get("hashAlgorithm", "SHA256")
    wanted = hash_data(root.cert, None, algorithm)
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "delete_certificate",
        "Request the Central System to delete the CentralSystemRootCertificate it just "
        f"installed (serial number {wanted['serialNumber']})",
        "DeleteCertificate",
        {"certificateHashData": wanted},
        step=3,
        certificate_hash_data=wanted,
        serial_number=wanted["serialNumber"],
    )
    m = "DeleteCertificate.req"
    ctx.check(3, m, request, "certificateHashData.hashAlgorithm", algorithm)
    ctx.check(3, m, request, "certificateHashData", _same_hash(wanted))
    await s16.station_answered(ctx, "DeleteCertificate", since=since, status="Accepted")


@scenario("TC_078_CSMS", manual=("install_certificate",))
async def invalid_central_system_certificate(ctx: CaseRun) -> None:
    # Whitepaper M05.FR.06: the station refuses an invalid root (the configured
    # certificate here has expired) and reports InvalidCentralSystemCertificate, which
    # the bench's station does not raise for a refused installation: it sends it here.
    s16.needs_security_profile(ctx, 2, 3)
    root = material.expired_root_certificate("Bench expired root", ctx.station.clock.now())
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _install(ctx, "CentralSystemRootCertificate", root)
    m = "InstallCertificate.req"
    ctx.check(1, m, request, "certificateType", "CentralSystemRootCertificate")
    ctx.check(1, m, request, "certificate", same_pem(root.pem))
    await s16.station_answered(ctx, "InstallCertificate", since=since, status="Rejected")
    await s16.send(
        ctx,
        "SecurityEventNotification",
        {"type": "InvalidCentralSystemCertificate", "timestamp": s16.now_iso(ctx)},
        step=4,
    )
