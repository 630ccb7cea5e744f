"""1.6 Security, the secure connection: charge point test cases (OCTT 1.6 §2.24.1,
TC_073_CS, TC_083_CS .. TC_087_CS).

What the station shows of its connection (Basic credentials, TLS version, the
cipher suites it offers, its client certificate) comes from the endpoint's
``LinkEvent`` of the connection the case makes it open.
"""

from __future__ import annotations

from cryptography import x509

from bench.conformance.charger import states16_security as sec
from bench.conformance.charger.endpoint import LinkEvent
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.evidence import Inconclusive
from bench.conformance.expect import one_of
from bench.conformance.tls_probe import MODERN_VERSIONS, REQUIRED_SUITES, common_name, key_strength

# TC_073_CS: "OCA_OCTT_admin_test" hex encoded.
NEW_AUTHORIZATION_KEY = "4F43415F4F4354545F61646D696E5F74657374"


@scenario("TC_073_CS")
async def update_basic_auth_password(ctx: ChargerRun) -> None:
    sec.needs_profile(ctx, (1, 2))
    old = ctx.endpoint.password
    events = len(ctx.endpoint.events)
    request = {"key": "AuthorizationKey", "value": NEW_AUTHORIZATION_KEY}
    # Whitepaper A01.FR.03: once Accepted the Central System takes only the new password.
    # The endpoint switches before it asks, so the station's reconnection right after its
    # reply never meets the old one (the open connection is not asked again).
    ctx.endpoint.password = NEW_AUTHORIZATION_KEY
    try:
        reply = await ctx.request("ChangeConfiguration", request, step=1)
        ctx.require(2, "ChangeConfiguration.conf", reply, "status", "Accepted")
    except BaseException:
        ctx.endpoint.password = old
        raise
    link = await sec.new_connection(ctx, events)
    ctx.check_that(
        3,
        "HTTP upgrade",
        "Authorization password",
        link.password == NEW_AUTHORIZATION_KEY,
        "the new AuthorizationKey",
        "the new AuthorizationKey" if link.password == NEW_AUTHORIZATION_KEY else "another one",
    )
    if old is not None:
        # Leave the station as the case found it: its own password back.
        await _restore_password(ctx, old)


async def _restore_password(ctx: ChargerRun, old: str) -> None:
    events = len(ctx.endpoint.events)
    ctx.endpoint.password = old
    reply = await ctx.request(
        "ChangeConfiguration", {"key": "AuthorizationKey", "value": old}, step=None
    )
    if reply.get("status") == "Accepted":
        await sec.new_connection(ctx, events)
    else:
        ctx.endpoint.password = NEW_AUTHORIZATION_KEY  # the station kept the new one


@scenario("TC_083_CS")
async def upgrade_security_profile(ctx: ChargerRun) -> None:
    profile = sec.needs_profile(ctx, (1, 2))
    if profile == 1:
        root = sec.configured_cs_root(ctx)
        if root is None:
            raise Inconclusive(
                "no <Configured CentralSystemRootCertificate> to install (cs_root_file)"
            )
        await sec.certificate_installed(ctx, root, sec.CS_ROOT)
    else:
        await sec.renewed_certificate(ctx)
    events = len(ctx.endpoint.events)
    request = {"key": "SecurityProfile", "value": str(profile + 1)}
    reply = await ctx.request("ChangeConfiguration", request, step=1)
    ctx.require(
        2, "ChangeConfiguration.conf", reply, "status", one_of("Accepted", "RebootRequired")
    )
    link: LinkEvent | None = None
    if reply.get("status") == "Accepted":
        try:
            link = await sec.new_connection(ctx, events)
        except Inconclusive:
            link = None  # steps 3-8: the Central System resets it
    if link is None:
        events = len(ctx.endpoint.events)
        since = ctx.mark()
        reset = await ctx.request("Reset", {"type": "Hard"}, step=3)
        ctx.require(4, "Reset.conf", reset, "status", "Accepted")
        link = await sec.new_connection(ctx, events)
        await sec.booted_again(ctx, since, boot_step=5, status_step=7)
    ctx.check_that(
        None,
        "connection",
        "security profile",
        link.security_profile == profile + 1,
        f"the station reconnects with security profile {profile + 1}",
        f"security profile {link.security_profile}",
    )


@scenario("TC_084_CS")
async def downgrade_security_profile(ctx: ChargerRun) -> None:
    profile = sec.needs_profile(ctx, (2, 3))
    request = {"key": "SecurityProfile", "value": str(profile - 1)}
    reply = await ctx.request("ChangeConfiguration", request, step=1)
    ctx.check(2, "ChangeConfiguration.conf", reply, "status", "Rejected")


@scenario("TC_085_CS")
async def basic_authentication(ctx: ChargerRun) -> None:
    sec.needs_profile(ctx, (1, 2))
    link, since = await sec.rebooted(ctx, step=None)
    sec.check_basic_auth(ctx, 1, link)
    await sec.booted_again(ctx, since, boot_step=3, status_step=5)


def _check_tls(ctx: ChargerRun, step: int, link: LinkEvent) -> None:
    """TLS 1.2 or above, and at least one of the two pairs of suites (A00.FR.318/422)."""
    ctx.check_that(
        step,
        "TLS handshake",
        "version",
        link.tls_version in MODERN_VERSIONS,
        "TLS 1.2 or above",
        link.tls_version or "no TLS",
    )
    offered = set(link.offered_ciphers)
    names = dict((openssl, iana) for iana, openssl in REQUIRED_SUITES)
    ecdsa = {openssl for _, openssl in REQUIRED_SUITES[:2]}
    rsa = {openssl for _, openssl in REQUIRED_SUITES[2:]}
    ctx.check_that(
        step,
        "TLS handshake",
        "cipher suites",
        ecdsa <= offered or rsa <= offered,
        "both TLS_ECDHE_ECDSA_WITH_AES_{128,256}_GCM or both TLS_RSA_WITH_AES_{128,256}_GCM",
        ", ".join(sorted(names[c] for c in offered if c in names)) or "none of them",
    )


@scenario("TC_086_CS")
async def tls_server_certificate(ctx: ChargerRun) -> None:
    profile = sec.needs_profile(ctx, (2, 3))
    link, since = await sec.rebooted(ctx, step=None)
    _check_tls(ctx, 2, link)
    if profile == 2:
        sec.check_basic_auth(ctx, 5, link)
    await sec.booted_again(ctx, since, boot_step=7, status_step=9)


@scenario("TC_087_CS")
async def tls_client_certificate(ctx: ChargerRun) -> None:
    sec.needs_profile(ctx, (3,))
    link, since = await sec.rebooted(ctx, step=None)
    _check_tls(ctx, 4, link)
    _check_client_certificate(ctx, 4, link)
    await sec.booted_again(ctx, since, boot_step=7, status_step=9)


def _check_client_certificate(ctx: ChargerRun, step: int, link: LinkEvent) -> None:
    """The client certificate: X.509, key strength, a serial number, CN (A00.FR.401-405)."""
    cert: x509.Certificate | None = None
    problem = "no client certificate"
    if link.client_certificate:
        try:
            cert = x509.load_der_x509_certificate(link.client_certificate)
        except ValueError as exc:
            problem = f"not an X.509 certificate: {exc}"
    ctx.check_that(
        step,
        "client certificate",
        "format",
        cert is not None,
        "an X.509 certificate (sent DER-encoded in the handshake, as TLS carries it)",
        "X.509" if cert is not None else problem,
    )
    if cert is None:
        return
    strong, words = key_strength(cert)
    ctx.check_that(
        step,
        "client certificate",
        "key",
        strong,
        "RSA/DSA of 2048 bits or more, or elliptic curve of 224 bits or more",
        words,
    )
    ctx.check_that(
        step,
        "client certificate",
        "serialNumber",
        bool(cert.serial_number),
        "a serial number",
        format(cert.serial_number, "x") if cert.serial_number else "none",
    )
    boot = ctx.endpoint.boot_info
    serial = str(boot.get("chargePointSerialNumber", "")) or None
    wanted = {ctx.settings.station_id, *([serial] if serial else [])}
    cn = common_name(cert)
    ctx.check_that(
        step,
        "client certificate",
        "subject.commonName",
        cn in wanted,
        "the charge point's unique serial number (its identity"
        + (
            f" {ctx.settings.station_id} or serial {serial})"
            if serial
            else f" {ctx.settings.station_id})"
        ),
        cn or "no commonName",
    )
