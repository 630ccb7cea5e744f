"""OCPP 1.6 security extension: the connection itself - Basic authentication, its
password, and the Central System's TLS server (1.6 test case document §3.21.1).

These cases apply to the security profile the run connects with: Basic auth
(profile 1 or 2) needs ``--password``, TLS (2 or 3) a ``wss://`` URL, client
certificates (3) ``--cert`` and ``--key``; otherwise they are not applicable.
"""

from __future__ import annotations

from bench.conformance import states_v16 as s16
from bench.conformance import tls_probe
from bench.conformance.case_run import CaseRun
from bench.conformance.scenarios import scenario

# The new AuthorizationKey TC_073 asks the Central System to set: "OCPP_Bench_new_key1"
# hex-encoded (whitepaper A00.FR.304: 16 to 20 bytes as up to 40 hexadecimal digits).
NEW_AUTHORIZATION_KEY = b"OCPP_Bench_new_key1".hex().upper()


@scenario("TC_073_CSMS", manual=("update_basic_auth_password",))
async def update_basic_auth_password(ctx: CaseRun) -> None:
    # Whitepaper A01.FR.02/03: ChangeConfiguration AuthorizationKey; the station
    # answers Accepted, reconnects with the new password, and the Central System
    # accepts it (it no longer accepts the old one).
    s16.needs_security_profile(ctx, 1, 2)
    await s16.booted(ctx)
    watch = s16.LinkWatch(ctx)
    try:
        since = ctx.mark()
        request = await ctx.request_by_hand(
            "update_basic_auth_password",
            "Request the Central System to change the Charge Point's Basic authentication "
            f"password (AuthorizationKey) to {NEW_AUTHORIZATION_KEY}",
            "ChangeConfiguration",
            {"key": "AuthorizationKey", "value": NEW_AUTHORIZATION_KEY},
            step=1,
            password=NEW_AUTHORIZATION_KEY,
        )
        ctx.require(1, "ChangeConfiguration.req", request, "key", "AuthorizationKey")
        await s16.station_answered(ctx, "ChangeConfiguration", since=since, status="Accepted")
        back = await watch.reconnected(ctx.settings.timeout)
        ctx.check_that(
            3,
            "connection",
            "(reconnect with the new password)",
            back,
            "the Central System accepts the new password",
            "reconnected" if back else (watch.last_problem() or "no connection"),
        )
    finally:
        watch.close()


@scenario("TC_085_CSMS")
async def basic_authentication(ctx: CaseRun) -> None:
    # Whitepaper A00.FR.201-206: HTTP upgrade with Basic auth (the station's id and the
    # run's password), then BootNotification and the statuses.
    s16.needs_security_profile(ctx, 1, 2)
    await s16.booted(ctx, connect_step=2)


def _version_check(ctx: CaseRun, step: int, first: tls_probe.Handshake) -> None:
    ctx.check_that(
        step,
        "TLS handshake",
        "(version)",
        first.ok and first.version in tls_probe.MODERN_VERSIONS,
        "TLS 1.2 or above",
        (first.version or "") if first.ok else f"no handshake: {first.error}",
    )


def _server_certificate_checks(
    ctx: CaseRun, step: int, first: tls_probe.Handshake, host: str
) -> None:
    cert = first.certificate
    if cert is None:
        return  # no handshake: the version check has said so
    m = "TLS handshake"
    strong, described = tls_probe.key_strength(cert)
    ctx.check_that(
        step,
        m,
        "(server key)",
        strong,
        "RSA/DSA of at least 2048 bits or EC of at least 224 bits",
        described,
    )
    ctx.check_that(
        step, m, "(serial number)", cert.serial_number > 0, "present", str(cert.serial_number)
    )
    name = tls_probe.common_name(cert)
    ctx.check_that(
        step,
        m,
        "(subject commonName)",
        name is not None and name.lower() == host.lower(),
        f"the endpoint's host {host}",
        name or "(none)",
    )


async def _tls_case(
    ctx: CaseRun, step: int, *, client_certificate: bool, server_checks: bool
) -> None:
    """The handshake checks of ``step``, then the station's own connection and boot."""
    s = ctx.settings
    cert_file = s.cert_file if client_certificate else None
    key_file = s.key_file if client_certificate else None
    first = await tls_probe.handshake(
        s.csms_url, cert_file=cert_file, key_file=key_file, timeout=s.timeout
    )
    _version_check(ctx, step, first)
    if server_checks:
        _server_certificate_checks(ctx, step, first, tls_probe.endpoint(s.csms_url)[0])
    for iana, openssl in tls_probe.REQUIRED_SUITES:
        got = await tls_probe.handshake(
            s.csms_url, cipher=openssl, cert_file=cert_file, key_file=key_file, timeout=s.timeout
        )
        ctx.check_that(
            step,
            "TLS handshake",
            f"(cipher suite {iana})",
            got.ok,
            "supported",
            "supported" if got.ok else f"refused: {got.error}",
        )
    # Steps 5-10: the station's own secured connection, upgrade and boot.
    await s16.booted(ctx, connect_step=6)


@scenario("TC_086_CSMS")
async def tls_server_certificate(ctx: CaseRun) -> None:
    # Whitepaper A00.FR.305-320 / 410-426: the Central System's TLS server. The
    # certificate's PEM encoding (a validation of OCTT's) cannot be seen on the
    # wire, where certificates travel DER-encoded; it is not checked.
    s16.needs_security_profile(ctx, 2, 3)
    profile_3 = s16.run_security_profile(ctx) == 3  # the server then asks for a client cert
    await _tls_case(ctx, 2, client_certificate=profile_3, server_checks=True)


@scenario("TC_087_CSMS")
async def tls_client_certificate(ctx: CaseRun) -> None:
    # Whitepaper A00.FR.401-428: the Central System takes the station's client
    # certificate; step 3's validations are the TLS version and cipher suites.
    s16.needs_security_profile(ctx, 3)
    await _tls_case(ctx, 3, client_certificate=True, server_checks=False)
