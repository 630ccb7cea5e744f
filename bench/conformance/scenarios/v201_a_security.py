"""2.0.1 block A, Security: CSMS test cases (part 6 §3.2).

What a case needs of the run follows its prerequisite "The CSMS supports security
profile ...": the bench can test only the profiles it was given credentials for
(``states_security.needs_profile``): 1/2 a Basic auth password, 2/3 a ``wss://`` URL
and the CA that signed the CSMS's certificate, 3 a client certificate. A case whose
profile the run does not use is not applicable, with the reason.

Connection attempts a station would never make (a wrong user name, TLS 1.1, an
unknown client certificate, the old profile after an upgrade) are made beside the
station by ``connection_probe`` and closed at once. Optional CSMS features the
operator declares, by their part 5 id: ``ISO-3`` (a combined certificate, TC_A_13).
"""

from __future__ import annotations

import secrets
import string
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

from bench.conformance import preconditions
from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.connection_probe import (
    CIPHER_SUITES,
    Credentials,
    Unreachable,
    Upgrade,
    client_context,
    handshake,
    old_tls_context,
    suite_context,
    try_upgrade,
    unknown_client_certificate,
)
from bench.conformance.expect import one_of, satisfies
from bench.conformance.scenarios import scenario
from bench.conformance.states_security import (
    check_chain_from_csr,
    configured_profile,
    connect_and_boot,
    needs_profile,
    trigger_sign,
)
from bench.conformance.states_security import (
    renew_charging_station_certificate as renewed_certificate,
)

PASSWORD_CHARS = string.ascii_letters + string.digits


def random_password(length: int = 24) -> str:
    """A passwordString of 16..40 characters with enough entropy (A00.FR.304, A01.FR.07)."""
    return "".join(secrets.choice(PASSWORD_CHARS) for _ in range(length))


async def _upgrade(ctx: CaseRun, credentials: Credentials, url: str | None = None) -> Upgrade:
    try:
        return await try_upgrade(
            url or ctx.settings.csms_url,
            ctx.settings.station_id,
            credentials,
            ca_file=ctx.settings.ca_file,
            timeout=ctx.settings.timeout,
        )
    except Unreachable as exc:
        raise Inconclusive(f"the CSMS could not be reached: {exc}") from None


def _refused(ctx: CaseRun, step: int, what: str, outcome: Upgrade) -> None:
    ctx.check_that(
        step,
        "HTTP upgrade",
        what,
        not outcome.accepted,
        "the connection refused",
        outcome.detail,
    )


# ---------------------------------------------------------------- Basic authentication


@scenario("TC_A_01_CSMS")
async def basic_auth_valid(ctx: CaseRun) -> None:
    # A00.FR.204, B01.FR.02: the configured id and BasicAuthPassword get in and boot.
    needs_profile(ctx, 1, 2)
    await connect_and_boot(ctx, connect_step=2, boot_step=4)


@scenario("TC_A_02_CSMS")
async def basic_auth_wrong_username(ctx: CaseRun) -> None:
    # A00.FR.204/324: the user name must be the station identity of the URL.
    needs_profile(ctx, 1, 2)
    s = ctx.settings
    credentials = Credentials(
        username=f"{s.station_id}Invalid",
        password=s.password,
        cert_file=s.cert_file,
        key_file=s.key_file,
    )
    _refused(ctx, 2, "(user name not the station identity)", await _upgrade(ctx, credentials))


@scenario("TC_A_03_CSMS")
async def basic_auth_wrong_password(ctx: CaseRun) -> None:
    # A00.FR.204/324: a random password of 16..40 characters is not the configured one.
    needs_profile(ctx, 1, 2)
    s = ctx.settings
    wrong = random_password(32)
    credentials = Credentials(
        username=s.station_id, password=wrong, cert_file=s.cert_file, key_file=s.key_file
    )
    _refused(ctx, 2, "(wrong password)", await _upgrade(ctx, credentials))


async def _set_password(ctx: CaseRun) -> dict[str, Any]:
    """Step 1 of TC_A_09/A_10: SetVariables(SecurityCtrlr.BasicAuthPassword) (A01.FR.02)."""
    new = random_password()
    item = {
        "component": {"name": "SecurityCtrlr"},
        "variable": {"name": "BasicAuthPassword"},
        "attributeValue": new,
    }
    request = await ctx.request_by_hand(
        "set_variables",
        "Request the CSMS to set a new BasicAuthPassword (SecurityCtrlr.BasicAuthPassword) "
        "for the Charging Station",
        "SetVariables",
        {"setVariableData": [item]},
        step=1,
        variables=f"SecurityCtrlr.BasicAuthPassword={new}",
    )
    data = request.get("setVariableData") or []
    index = next(
        (
            i
            for i, d in enumerate(data)
            if (d.get("variable") or {}).get("name") == "BasicAuthPassword"
        ),
        0,
    )
    message = "SetVariablesRequest"
    ctx.check(1, message, request, f"setVariableData[{index}].variable.name", "BasicAuthPassword")
    ctx.check(
        1,
        message,
        request,
        f"setVariableData[{index}].component.name",
        one_of("SecurityCtrlr", "SecurityCtrl"),
    )
    return request


async def _reconnect_and_boot(ctx: CaseRun, step: int) -> None:
    """Steps 3-8: the station connects again (with the password it now holds) and boots."""
    await connect_and_boot(ctx, connect_step=4, boot_step=step, how=ctx.station.reboot)


@scenario("TC_A_09_CSMS", manual=("set_variables",))
async def basic_auth_password_accepted(ctx: CaseRun) -> None:
    # A01.FR.02/03: the station takes the new password; the CSMS accepts only it from then.
    needs_profile(ctx, 1, 2)
    await preconditions.booted(ctx)
    since = ctx.mark()
    await _set_password(ctx)
    reply = await _station_answer(ctx, "SetVariables", since)
    status = _first_status(reply.payload)
    if status != "Accepted":
        raise Inconclusive(f"the bench's station did not take the new password ({status})")
    await _reconnect_and_boot(ctx, 6)


@scenario("TC_A_10_CSMS", manual=("set_variables",))
async def basic_auth_password_rejected(ctx: CaseRun) -> None:
    # A01.FR.04/05: the station refuses the new password; the CSMS keeps the old one.
    needs_profile(ctx, 1, 2)
    await preconditions.booted(ctx)

    async def refuse(request: dict[str, Any]) -> dict[str, Any]:
        return {
            "setVariableResult": [
                {
                    "component": d["component"],
                    "variable": d["variable"],
                    "attributeStatus": "Rejected",
                }
                for d in request.get("setVariableData") or []
            ]
        }

    undo = ctx.station.answer_with("SetVariables", refuse)  # step 2: Rejected
    try:
        since = ctx.mark()
        await _set_password(ctx)
        await _station_answer(ctx, "SetVariables", since)
    finally:
        undo()
    await _reconnect_and_boot(ctx, 6)  # with the old password


async def _station_answer(ctx: CaseRun, action: str, since: int) -> Any:
    return await ctx.wait_frame(
        lambda r: (
            r.direction == "tx" and r.type in ("CALLRESULT", "CALLERROR") and r.action == action
        ),
        since=since,
        what=f"the station's answer to {action}",
    )


def _first_status(payload: Any) -> str | None:
    results = payload.get("setVariableResult") if isinstance(payload, dict) else None
    return results[0].get("attributeStatus") if results else None


# ---------------------------------------------------------------- TLS


async def _tls_checks(ctx: CaseRun, step: int, *, certificate_checks: bool) -> None:
    """What OCTT validates before finishing the TLS handshake (A_04, A_07 step 3)."""
    s = ctx.settings
    message = "TLS handshake"
    seen: dict[int, x509.Certificate] = {}  # the server's certificates, by serial number
    try:
        first = await handshake(
            s.csms_url, client_context(s.ca_file, s.cert_file, s.key_file), timeout=s.timeout
        )
        ctx.check_that(
            step,
            message,
            "(handshake)",
            first.ok,
            "completed",
            "completed" if first.ok else f"failed ({first.error})",
        )
        if not first.ok:
            return
        ctx.check_that(
            step,
            message,
            "TLS version",
            first.version in ("TLSv1.2", "TLSv1.3"),
            "TLS 1.2 or above (A00.FR.312/313)",
            str(first.version),
        )
        if first.certificate is not None:
            seen[first.certificate.serial_number] = first.certificate
        for iana, openssl in CIPHER_SUITES.items():
            context = suite_context(s.ca_file, openssl, s.cert_file, s.key_file)
            tried = await handshake(s.csms_url, context, timeout=s.timeout)
            ctx.check_that(
                step,
                message,
                f"cipher suite {iana}",
                tried.ok and tried.cipher == openssl,
                "supported (A00.FR.318/421)",
                "supported" if tried.ok else f"refused ({tried.error})",
            )
            if tried.certificate is not None:
                seen.setdefault(tried.certificate.serial_number, tried.certificate)
    except Unreachable as exc:
        raise Inconclusive(f"the CSMS could not be reached: {exc}") from None
    if certificate_checks:
        for cert in seen.values():
            _server_certificate_checks(ctx, step, cert)


def _server_certificate_checks(ctx: CaseRun, step: int, cert: x509.Certificate) -> None:
    """A00.FR.502/503 key size, A00.FR.508 serial number, A00.FR.510 CN = the server's FQDN.

    (A00.FR.507 asks for PEM where certificates are stored and exchanged as files; over
    TLS a certificate travels in DER, so here it is only read as X.509.)
    """
    message = f"server certificate {cert.serial_number:x}"
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey):
        bits, least, kind = key.key_size, 2048, "RSA/DSA"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        bits, least, kind = key.curve.key_size, 224, "elliptic curve"
    else:
        bits, least, kind = 0, 1, type(key).__name__
    ctx.check_that(
        step, message, "key size", bits >= least, f">= {least} bits ({kind})", f"{bits} bits"
    )
    ctx.check_that(
        step,
        message,
        "serial number",
        cert.serial_number > 0,
        "present",
        f"{cert.serial_number:x}" if cert.serial_number > 0 else "(none)",
    )
    host = urllib.parse.urlsplit(ctx.settings.csms_url).hostname or ""
    names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    ctx.check_that(
        step,
        message,
        "subject commonName",
        host in names,
        f"the server's FQDN {host}",
        ", ".join(names) or "(none)",
    )


async def _connect_and_boot(ctx: CaseRun, step: int) -> None:
    """The station's own connection (TLS 1.2+, its credentials) and Reusable State Booted;
    the upgrade is the step two before the BootNotificationResponse."""
    await connect_and_boot(ctx, connect_step=step - 2, boot_step=step)


@scenario("TC_A_04_CSMS")
async def tls_server_certificate_valid(ctx: CaseRun) -> None:
    # A00.FR.306/307/312/318/321, A00.FR.502/503/507/508/510.
    needs_profile(ctx, 2, 3)
    await _tls_checks(ctx, 3, certificate_checks=True)
    await _connect_and_boot(ctx, 8)


@scenario("TC_A_06_CSMS")
async def tls_version_too_low(ctx: CaseRun) -> None:
    # A00.FR.314/315 (A00.FR.416-418): a Client Hello below TLS 1.2 ends the connection.
    needs_profile(ctx, 2, 3)
    s = ctx.settings
    try:
        old = old_tls_context(s.cert_file, s.key_file)
        outcome = await handshake(s.csms_url, old, timeout=s.timeout)
    except Unreachable as exc:
        raise Inconclusive(f"the CSMS could not be reached: {exc}") from None
    if not outcome.ok and "NO_PROTOCOLS_AVAILABLE" in (outcome.error or "").upper():
        raise RuntimeError(
            "this machine's TLS library cannot offer TLS 1.0/1.1, so step 1 cannot be played"
        )
    ctx.check_that(
        2,
        "TLS handshake (TLS 1.0/1.1 only)",
        "(connection)",
        not outcome.ok,
        "terminated by the CSMS",
        f"completed with {outcome.version}" if outcome.ok else f"terminated ({outcome.error})",
    )
    await _connect_and_boot(ctx, 10)


@scenario("TC_A_07_CSMS")
async def tls_client_certificate_valid(ctx: CaseRun) -> None:
    # A00.FR.409/410/415/416/421: profile 3, the configured client certificate.
    needs_profile(ctx, 3)
    await _tls_checks(ctx, 3, certificate_checks=False)
    await _connect_and_boot(ctx, 8)


@scenario("TC_A_08_CSMS")
async def tls_client_certificate_invalid(ctx: CaseRun) -> None:
    # A00.FR.405/407/409/410: an unknown (self-signed) client certificate is refused;
    # the configured one then connects. (The case's other invalid kinds, expired and a
    # CN that is not the serial number, need the CSMS's own CA to be made: not played.)
    needs_profile(ctx, 3)
    s = ctx.settings
    with tempfile.TemporaryDirectory(prefix="bench-a08-") as folder:
        unknown = unknown_client_certificate(Path(folder), s.station_id, ctx.station.clock.now())
        credentials = Credentials(
            username=s.station_id if s.password else None,
            password=s.password,
            cert_file=unknown.cert_file,
            key_file=unknown.key_file,
        )
        outcome = await _upgrade(ctx, credentials)
    _refused(ctx, 4, "(unknown client certificate)", outcome)
    await _connect_and_boot(ctx, 12)


# ---------------------------------------------------------------- certificates (A02/A03)


@scenario("TC_A_11_CSMS", manual=("trigger_message",))
async def charging_station_certificate_renewed(ctx: CaseRun) -> None:
    # A02.FR.11/14, F06.FR.01: Memory State RenewChargingStationCertificate, played by the
    # station: its own CSR, and the chain it gets checked against the configured root.
    needs_profile(ctx, 3)
    await preconditions.booted(ctx)
    await renewed_certificate(ctx)


async def _v2g_or_combined(ctx: CaseRun, requested: str) -> None:
    """TC_A_12/A_13: steps 1, 4 and 5 (the chain's signer is a V2G root the bench is not
    configured with, so only its shape and its key are checked; the case does not fail
    on the other certificate properties either)."""
    await preconditions.booted(ctx)
    _request, sign, _reply = await trigger_sign(ctx, requested)
    signed = await ctx.csms_request("CertificateSigned", step=5, since=ctx.frames.index(sign))
    csr = sign.payload.get("csr", "") if isinstance(sign.payload, dict) else ""
    check_chain_from_csr(ctx, 5, signed, csr, issuers=[])


@scenario("TC_A_12_CSMS", manual=("trigger_message",))
async def v2g_certificate_renewed(ctx: CaseRun) -> None:
    # A02.FR.11, F06.FR.01 (ISO 15118 support): SignV2GCertificate.
    await _v2g_or_combined(ctx, "SignV2GCertificate")


@scenario("TC_A_13_CSMS", manual=("trigger_message",))
async def combined_certificate_renewed(ctx: CaseRun) -> None:
    # A02.FR.11: SignCombinedCertificate (profile 3).
    needs_profile(ctx, 3)
    ctx.needs_feature("ISO-3")  # part 5: Combined Charging Station Certificate
    await _v2g_or_combined(ctx, "SignCombinedCertificate")


@scenario("TC_A_14_CSMS", manual=("trigger_message",))
async def charging_station_certificate_rejected(ctx: CaseRun) -> None:
    # A02: the station rejects the chain it is sent (step 6); the CSMS must cope. Steps 1
    # and 4 are validated.
    needs_profile(ctx, 3)
    await preconditions.booted(ctx)

    async def reject(_request: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Rejected"}

    undo = ctx.station.answer_with("CertificateSigned", reject)
    try:
        _request, sign, _reply = await trigger_sign(ctx, "SignChargingStationCertificate")
        since = ctx.frames.index(sign)
        await ctx.csms_request("CertificateSigned", step=5, since=since)
        await _station_answer(ctx, "CertificateSigned", since)
    finally:
        undo()


# ---------------------------------------------------------------- security profile upgrade (A05)

CONFIGURATION_SLOT = 2  # a slot of the bench's station beside the one it was installed with
OCPP_INTERFACE = "Wired0"


def _upgraded_url(url: str, profile: int) -> str:
    """The URL the bench proposes for ``profile`` (the CSMS may send its own): TLS from
    profile 2 on, at the host and port the run reaches the CSMS on."""
    if profile >= 2 and url.startswith("ws://"):
        return "wss://" + url[len("ws://") :]
    return url


@scenario("TC_A_19_CSMS", manual=("set_network_profile", "set_variables", "reset_station"))
async def security_profile_upgraded(ctx: CaseRun) -> None:
    # A05.FR.04-07: a profile one level up in a new slot, the priority pointing at it, a
    # reset; the station connects with the new profile and the CSMS refuses the old one.
    current = needs_profile(ctx, 1, 2)
    s = ctx.settings
    if current == 1 and not s.ca_file:
        ctx.not_applicable(
            "security profile 1 -> 2 needs the CSMS's root certificate installed on the "
            "station (the run has no --ca)"
        )
    await preconditions.booted(ctx)
    if current == 2:
        await renewed_certificate(ctx)  # Memory State: a ChargingStationCertificate
    target = current + 1
    timeout = ctx.station.settings.read("OCPPCommCtrlr/MessageTimeout[Default]") or "30"
    profile = {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": _upgraded_url(s.csms_url, target),
        "messageTimeout": int(timeout),
        "securityProfile": target,
        "ocppInterface": OCPP_INTERFACE,
    }
    request = await ctx.request_by_hand(
        "set_network_profile",
        f"Request the CSMS to set a new NetworkConnectionProfile with security profile "
        f"{target} in configuration slot {CONFIGURATION_SLOT}",
        "SetNetworkProfile",
        {"configurationSlot": CONFIGURATION_SLOT, "connectionData": profile},
        step=1,
        configuration_slot=CONFIGURATION_SLOT,
        connection_data=profile,
    )
    message = "SetNetworkProfileRequest"
    for name in ("messageTimeout", "ocppInterface", "securityProfile"):
        ctx.check(1, message, request, f"connectionData.{name}", profile[name])
    # The CSMS's own endpoint for the new profile: TLS from profile 2 on (A00.FR.312).
    ctx.check(
        1,
        message,
        request,
        "connectionData.ocppCsmsUrl",
        satisfies(lambda v: str(v).startswith("wss://"), "a wss:// URL of the CSMS"),
    )
    ctx.check(1, message, request, "connectionData.ocppTransport", "JSON")
    ctx.check(1, message, request, "connectionData.ocppVersion", "OCPP20")
    slot = request.get("configurationSlot", CONFIGURATION_SLOT)

    priority = {
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "NetworkConfigurationPriority"},
        "attributeValue": str(slot),
    }
    request = await ctx.request_by_hand(
        "set_variables",
        f"Request the CSMS to set OCPPCommCtrlr.NetworkConfigurationPriority to {slot}",
        "SetVariables",
        {"setVariableData": [priority]},
        step=3,
        variables=f"OCPPCommCtrlr.NetworkConfigurationPriority={slot}",
    )
    message = "SetVariablesRequest"
    path = "setVariableData[0]"
    ctx.check(3, message, request, f"{path}.variable.name", "NetworkConfigurationPriority")
    ctx.check(
        3, message, request, f"{path}.component.name", one_of("OCPPCommCtrlr", "OCPPCommCtrl")
    )
    ctx.check(
        3,
        message,
        request,
        f"{path}.attributeValue",
        satisfies(
            lambda v: str(slot) in [i.strip() for i in str(v).split(",")],
            f"a list containing slot {slot}",
        ),
    )

    async def reset() -> None:
        await ctx.request_by_hand(
            "reset_station",
            "Request the CSMS to reboot the Charging Station",
            "Reset",
            {"type": "OnIdle"},
            step=5,
            type="OnIdle",
        )

    # Steps 5-9: the reset; the station reconnects with the new profile and boots (Booted).
    await connect_and_boot(ctx, connect_step=8, boot_step=9, how=reset)
    ctx.check_that(
        8,
        "connection",
        "security profile",
        ctx.station.security_profile() == target,
        f"the station connected with security profile {target}",
        f"security profile {ctx.station.security_profile()}",
    )
    # Steps 10-11: the old profile's connection must now be refused (A05.FR.07).
    old = Credentials(
        username=s.station_id if s.password else None,
        password=s.password,
        cert_file=s.cert_file if configured_profile(s) == 3 else None,
        key_file=s.key_file if configured_profile(s) == 3 else None,
    )
    _refused(ctx, 11, f"(security profile {current})", await _upgrade(ctx, old, s.csms_url))
