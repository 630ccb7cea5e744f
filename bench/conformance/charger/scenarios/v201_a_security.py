"""2.0.1 block A, Security: Basic auth, TLS, certificate renewal (A00-A03), CS side.

The connection's security is read from the endpoint's ``LinkEvent``s (the password
the station sent, TLS version, cipher, its certificate). A run without a password
(``--password``) or without TLS (``--cert``) does not use security profile 1/2 or
2/3: the cases that need one are not applicable to it, with that reason.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.endpoint import LinkEvent
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_security import (
    CS_CERT,
    csms_root_present,
    now,
    pki,
    renew_certificate,
    sign_csr,
    valid_csr,
)
from bench.conformance.evidence import StopCase
from bench.conformance.expect import one_of
from bench.conformance.material_lm import issue

# passwordString (part 2 primitive datatypes): the characters of a BasicAuthPassword.
PASSWORD_CHARS = re.compile(r"^[A-Za-z0-9*\-_=:+|@.]+$")
MODERN_TLS = ("TLSv1.2", "TLSv1.3")


def _needs_password(ctx: ChargerRun) -> str:
    if ctx.endpoint.password is None:
        ctx.not_applicable(
            "the run has no Basic auth password (--password): security profile 1/2 is not in use"
        )
    return str(ctx.endpoint.password)


def _needs_tls(ctx: ChargerRun) -> None:
    if ctx.endpoint.ssl_context is None:
        ctx.not_applicable("the run is not over TLS (--cert): security profile 2/3 is not in use")


async def _next_connection(ctx: ChargerRun, since: int, *, step: int | None) -> LinkEvent:
    """The station's next connection from event ``since`` on (inconclusive if none)."""
    found = await _wait_event(ctx, since)
    if found is None:
        ctx.check_that(
            step, "(connection)", "(connect)", False, "the station connects", "no connection"
        )
        raise StopCase("the station did not connect")
    return found


async def _wait_event(ctx: ChargerRun, since: int) -> LinkEvent | None:
    """The first connection event from ``since`` on, waiting on the endpoint's changes."""
    endpoint = ctx.endpoint
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.settings.timeout
    for _ in range(10_000):  # each pass waits for a link event; bounded by the deadline
        found = next((e for e in endpoint.events[since:] if e.kind == "connected"), None)
        left = deadline - loop.time()
        if found is not None or left <= 0:
            return found
        endpoint.changed.clear()
        try:
            async with asyncio.timeout(left):
                await endpoint.changed.wait()
        except TimeoutError:
            pass
    return None


def _check_password(ctx: ChargerRun, step: int, event: LinkEvent, expected: str) -> None:
    sent = event.password or ""
    seen = "that password" if sent == expected else "another password"
    ctx.check_that(
        step, "HTTP upgrade", "Authorization", sent == expected,
        "Basic <ChargingStationId>:<the configured BasicAuthPassword>",
        seen if sent else "no Basic credentials",
    )  # fmt: skip
    ctx.check_that(
        step, "HTTP upgrade", "BasicAuthPassword length", 16 <= len(sent) <= 40,
        "16 to 40 characters", str(len(sent)),
    )  # fmt: skip
    ctx.check_that(
        step, "HTTP upgrade", "BasicAuthPassword characters", bool(PASSWORD_CHARS.match(sent)),
        "alphanumeric and the passwordString symbols", "others" if sent else "none",
    )  # fmt: skip


def _check_tls(ctx: ChargerRun, step: int, event: LinkEvent) -> None:
    ctx.check_that(
        step, "TLS handshake", "version", event.tls_version in MODERN_TLS,
        "TLS 1.2 or above", event.tls_version or "not TLS",
    )  # fmt: skip


# ---------------------------------------------------------------- A00 Basic auth / TLS
@scenario("TC_A_01_CS", physical=())
async def basic_authentication(ctx: ChargerRun) -> None:
    password = _needs_password(ctx)
    since = len(ctx.endpoint.events)
    await v201.booted(ctx)
    event = await _next_connection(ctx, since, step=1)
    _check_password(ctx, 1, event, password)


@scenario("TC_A_04_CS", "TC_A_07_CS", physical=("power_cycle",))
async def tls_connection(ctx: ChargerRun) -> None:
    _needs_tls(ctx)
    since = len(ctx.endpoint.events)
    mark = ctx.mark()
    await physical.power_cycle(ctx)  # reusable state Booting
    event = await _next_connection(ctx, since, step=1)
    _check_tls(ctx, 2 if ctx.case.id == "TC_A_04_CS" else 4, event)
    if ctx.case.id == "TC_A_07_CS":
        if event.client_certificate is None:
            ctx.not_applicable("the station connected without a client certificate (not profile 3)")
        boot = await ctx.station_request("BootNotification", step=7, since=mark)
        _check_client_certificate(ctx, event.client_certificate or b"", boot)
    else:
        await ctx.station_request("BootNotification", step=7, since=mark)
    await v201.connector_available(ctx, since=mark, step=9)


def _check_client_certificate(ctx: ChargerRun, der: bytes, boot: dict[str, Any]) -> None:
    """TC_A_07_CS step 4: A00.FR.501-511 on the station's certificate."""
    cert = x509.load_der_x509_certificate(der)
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey):
        ok, shown = key.key_size >= 2048, f"{key.key_size}-bit RSA/DSA"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        ok, shown = key.curve.key_size >= 224, f"{key.curve.key_size}-bit EC"
    else:
        ok, shown = False, type(key).__name__
    ctx.check_that(4, "client certificate", "key", ok, "RSA/DSA >= 2048 or EC >= 224 bits", shown)
    ctx.check_that(
        4, "client certificate", "serialNumber", cert.serial_number > 0, "a serial number",
        format(cert.serial_number, "x"),
    )  # fmt: skip
    names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    station = boot.get("chargingStation") or {}
    wanted = {ctx.settings.station_id, str(station.get("serialNumber", ""))} - {""}
    ctx.check_that(
        4, "client certificate", "subject CN", any(n in wanted for n in names),
        "the station's unique serial number (" + " or ".join(sorted(wanted)) + ")",
        ", ".join(str(n) for n in names) or "no CN",
    )  # fmt: skip


# ---------------------------------------------------------------- A01 BasicAuthPassword
def _password_data(value: str) -> dict[str, Any]:
    return {
        "setVariableData": [
            {
                "attributeValue": value,
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
            }
        ]
    }


@scenario("TC_A_09_CS")
async def update_password(ctx: ChargerRun) -> None:
    old = _needs_password(ctx)
    new = ("Bench1New1Password" + old)[:24]
    reply = await ctx.request("SetVariables", _password_data(new), step=1)
    result = (reply.get("setVariableResult") or [{}])[0]
    ctx.require(
        2, "SetVariablesResponse", result, "attributeStatus", one_of("Accepted", "RebootRequired")
    )
    ctx.endpoint.password = new  # A01.FR.03: the old credentials are no longer accepted
    since = len(ctx.endpoint.events)
    if result.get("attributeStatus") == "RebootRequired":
        await v201.booted(ctx, step=5)
    else:
        # The new password is for the next connection: the bench closes this one to see it.
        await ctx.endpoint.disconnect()
    event = await _next_connection(ctx, since, step=3)
    _check_password(ctx, 3, event, new)


@scenario("TC_A_10_CS")
async def update_password_rejected(ctx: ChargerRun) -> None:
    old = _needs_password(ctx)
    reply = await ctx.request("SetVariables", _password_data("Short1Password"), step=1)
    result = (reply.get("setVariableResult") or [{}])[0]
    ctx.check(2, "SetVariablesResponse", result, "attributeStatus", "Rejected")
    since = len(ctx.endpoint.events)
    await v201.booted(ctx, step=5)  # A01.FR.04: the old credentials still work
    event = await _next_connection(ctx, since, step=3)
    _check_password(ctx, 3, event, old)


# ---------------------------------------------------------------- A02/A03 certificates
@scenario("TC_A_11_CS")
async def renew_station_certificate(ctx: ChargerRun) -> None:
    await renew_certificate(ctx, "SignChargingStationCertificate", step=1)


@scenario("TC_A_12_CS")
async def renew_v2g_certificate(ctx: ChargerRun) -> None:
    await renew_certificate(ctx, "SignV2GCertificate", step=1)


@scenario("TC_A_13_CS")
async def renew_combined_certificate(ctx: ChargerRun) -> None:
    # Removed from certification by the errata (2025-02); for a station with ISO-3.
    ctx.needs_feature("ISO-3")
    await renew_certificate(ctx, "SignCombinedCertificate", step=1)


async def _sign_request(ctx: ChargerRun, *, answer: str) -> dict[str, Any]:
    """Steps 1-4: TriggerMessage SignChargingStationCertificate, the CSR, ``answer``."""
    await csms_root_present(ctx)
    ctx.answer("SignCertificate", {"status": answer}, once=True)
    since = ctx.mark()
    reply = await ctx.request(
        "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"}, step=1
    )
    ctx.require(2, "TriggerMessageResponse", reply, "status", "Accepted")
    request = await ctx.station_request("SignCertificate", step=3, since=since)
    ctx.check(3, "SignCertificateRequest", request, "csr", valid_csr())
    return request


@scenario("TC_A_14_CS")
async def invalid_station_certificate(ctx: ChargerRun) -> None:
    request = await _sign_request(ctx, answer="Accepted")
    stranger = issue("OCPP Bench unknown CA", now(), days=365)  # not a root the station has
    text, _ = sign_csr(request["csr"], stranger)
    since = ctx.mark()
    reply = await ctx.request(
        "CertificateSigned", {"certificateChain": text, "certificateType": CS_CERT}, step=5
    )
    ctx.check(6, "CertificateSignedResponse", reply, "status", "Rejected")
    event = await ctx.station_request(
        "SecurityEventNotification", step=7, since=since,
        match=lambda p: p.get("type") == "InvalidChargingStationCertificate",
        what="a SecurityEventNotification InvalidChargingStationCertificate",
    )  # fmt: skip
    ctx.check(
        7, "SecurityEventNotificationRequest", event, "type", "InvalidChargingStationCertificate"
    )


@scenario("TC_A_15_CS")
async def sign_request_rejected(ctx: ChargerRun) -> None:
    await _sign_request(ctx, answer="Rejected")


@scenario("TC_A_23_CS")
async def certificate_signed_timeout(ctx: ChargerRun) -> None:
    ctx.needs_feature("AS-3")
    wait = int(ctx.settings.extra.get("cert_signing_wait_minimum", "2"))
    # CertSigningRepeatTimes 2: the case expects the request twice more (steps 6 and 9).
    await v201.configure(
        ctx,
        {
            "SecurityCtrlr/CertSigningWaitMinimum": str(wait),
            "SecurityCtrlr/CertSigningRepeatTimes": "2",
        },
    )
    first = await _sign_request(ctx, answer="Accepted")
    times = [ctx.frames[-1].ts]
    csrs = [first["csr"]]
    for step, factor in ((6, 1), (9, 2)):
        since = ctx.mark()
        rec = await ctx.station_frame(
            "SignCertificate",
            step=step,
            since=since,
            timeout=wait * factor * 2 + ctx.settings.timeout,
        )
        payload = rec.payload if isinstance(rec.payload, dict) else {}
        ctx.check(step, "SignCertificateRequest", payload, "csr", valid_csr())
        gap = rec.ts - times[-1]
        ctx.check_that(
            step - 1, "SignCertificateRequest", "(resent after)", gap >= wait * factor - 0.5,
            f"not before CertSigningWaitMinimum x {factor} ({wait * factor} s)", f"{gap:.1f} s",
        )  # fmt: skip
        times.append(rec.ts)
        csrs.append(str(payload.get("csr", "")))
    # Errata 2025-02: a CertificateSigned for each request; at least one Accepted.
    root = pki(ctx).csms_root
    statuses = []
    for step, csr in zip((11, 13, 15), csrs, strict=True):
        text, _ = sign_csr(csr, root)
        reply = await ctx.request(
            "CertificateSigned", {"certificateChain": text, "certificateType": CS_CERT}, step=step
        )
        ctx.check(
            step + 1, "CertificateSignedResponse", reply, "status", one_of("Accepted", "Rejected")
        )
        statuses.append(str(reply.get("status")))
    ctx.check_that(
        None, "CertificateSignedResponse", "status", "Accepted" in statuses,
        "at least one Accepted", ", ".join(statuses),
    )  # fmt: skip
