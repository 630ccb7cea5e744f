"""2.0.1 block A, Security: Basic auth, TLS, certificate renewal (A00-A03), CS side.

The connection's security is read from the endpoint's ``LinkEvent``s (the password
the station sent, TLS version, cipher, its certificate). A run without a password
(``--password``) or without TLS (``--cert``) does not use security profile 1/2 or
2/3: the cases that need one are not applicable to it, with that reason.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import tempfile
import warnings
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.endpoint import CsmsEndpoint, Discard, LinkEvent
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_security import (
    CS_CERT,
    chain_entries,
    csms_root_present,
    get_installed,
    now,
    password_data,
    pki,
    renew_certificate,
    restore_password,
    server_context,
    sign_csr,
    valid_csr,
)
from bench.conformance.evidence import StopCase
from bench.conformance.expect import one_of
from bench.conformance.material_lm import issue

log = logging.getLogger(__name__)

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


async def _wait_event(
    ctx: ChargerRun, since: int, *, within: float | None = None
) -> LinkEvent | None:
    """The first connection event from ``since`` on, waiting on the endpoint's changes."""
    endpoint = ctx.endpoint
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (ctx.settings.timeout if within is None else within)
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


@scenario("TC_A_05_CS", "TC_A_06_CS", physical=("power_cycle",))
async def tls_first_handshake_refused(ctx: ChargerRun) -> None:
    """A00.FR.307/312: the first handshake offers an unknown server certificate (A_05) or
    TLS below 1.2 (A_06); the station refuses it, then connects with the right one."""
    _needs_tls(ctx)
    low = ctx.case.id == "TC_A_06_CS"
    await v201.configure(
        ctx, {"OCPPCommCtrlr/NetworkProfileConnectionAttempts": "1" if low else "2"}
    )
    context = ctx.endpoint.ssl_context
    assert context is not None
    with tempfile.TemporaryDirectory(prefix="bench-a05-") as folder:
        stranger = issue("OCPP Bench unknown CSMS root", now(), days=365)
        # <Configured invalid server certificate>: from a root the station does not know.
        wrong = server_context(stranger, ctx.endpoint.host, Path(folder), client_certificates=False)
        handshakes: list[str] = []
        previous = context.sni_callback

        versions = (context.minimum_version, context.maximum_version)

        def first_is_wrong(sslobj: Any, server_name: str | None, _: ssl.SSLContext) -> None:
            handshakes.append(server_name or "")
            if not low and len(handshakes) == 1:
                sslobj.context = wrong

        if low:
            _offer_old_tls(context)
        context.sni_callback = first_is_wrong
        try:
            since = len(ctx.endpoint.events)
            mark = ctx.mark()
            await physical.power_cycle(ctx)  # reusable state Booting
            if low:
                # A refused version shows as no connection (the server cannot see which
                # handshake failed): none within the quiet period, then TLS 1.2 again.
                early = await _wait_event(ctx, since, within=ctx.settings.quiet_period)
                ctx.check_that(
                    3, "TLS handshake", "(TLS 1.1)", early is None,
                    "no connection while the bench offers TLS 1.1 at most",
                    "none" if early is None else f"connected over {early.tls_version}",
                )  # fmt: skip
                context.minimum_version, context.maximum_version = versions
            event = await _next_connection(ctx, since, step=4)
        finally:
            context.sni_callback = previous
            context.minimum_version, context.maximum_version = versions
    if not low:
        ctx.check_that(
            3, "TLS handshake", "(attempts)", len(handshakes) >= 2,
            "the first handshake refused, then another", f"{len(handshakes)} handshake(s)",
        )  # fmt: skip
    _check_tls(ctx, 5, event)
    await ctx.station_request("BootNotification", step=10, since=mark)
    await v201.connector_available(ctx, since=mark, step=12)
    if low:
        started = await ctx.station_request(
            "SecurityEventNotification", step=14, since=mark,
            match=lambda p: p.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
            what="a SecurityEventNotification StartupOfTheDevice or ResetOrReboot",
        )  # fmt: skip
        ctx.check(
            14,
            "SecurityEventNotificationRequest",
            started,
            "type",
            one_of("StartupOfTheDevice", "ResetOrReboot"),
        )
        return  # step 16 (InvalidTLSVersion) is optional
    invalid = await ctx.station_request(
        "SecurityEventNotification", step=14, since=mark,
        match=lambda p: p.get("type") == "InvalidCsmsCertificate",
        what="a SecurityEventNotification InvalidCsmsCertificate",
    )  # fmt: skip
    ctx.check(14, "SecurityEventNotificationRequest", invalid, "type", "InvalidCsmsCertificate")


def _offer_old_tls(context: ssl.SSLContext) -> None:
    """TLS 1.0/1.1 only: what TC_A_06_CS offers on purpose (the versions are deprecated,
    which is the point)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1


# ---------------------------------------------------------------- A01 BasicAuthPassword
@scenario("TC_A_09_CS")
async def update_password(ctx: ChargerRun) -> None:
    old = _needs_password(ctx)
    new = ("Bench1New1Password" + old)[:24]
    try:
        await _update_password(ctx, new)
    finally:
        await restore_password(ctx, old)


async def _update_password(ctx: ChargerRun, new: str) -> None:
    reply = await ctx.request("SetVariables", password_data(new), step=1)
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
    reply = await ctx.request("SetVariables", password_data("Short1Password"), step=1)
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


# ---------------------------------------------------------------- A05 security profile upgrade
SLOTS = range(1, 10)


def _connection_data(url: str, profile: int) -> dict[str, Any]:
    return {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": url,
        "messageTimeout": 30,
        "securityProfile": profile,
        "ocppInterface": "Wired0",
    }


async def _slots(ctx: ChargerRun) -> tuple[list[str], int]:
    """The slots in NetworkConfigurationPriority and a free one for the new profile."""
    text = await v201.get_variable(ctx, "OCPPCommCtrlr/NetworkConfigurationPriority") or ""
    used = [s.strip() for s in text.split(",") if s.strip()]
    configured = ctx.settings.extra.get("configuration_slot2")
    free = int(configured) if configured else next(n for n in SLOTS if str(n) not in used)
    return used, free


async def _profile(ctx: ChargerRun) -> int:
    value = await v201.get_variable(ctx, "SecurityCtrlr/SecurityProfile")
    if value is None or not value.isdigit():
        raise StopCase("the station did not report SecurityCtrlr.SecurityProfile")
    return int(value)


def _other_url(ctx: ChargerRun, scheme: str) -> str:
    """An ocppCsmsUrl that is not the one in use (a second endpoint of the bench)."""
    return (
        f"{scheme}://{ctx.endpoint.host}:{ctx.endpoint.url.rsplit(':', 1)[1].split('/')[0]}/second"
    )


def _set_priority(order: str) -> dict[str, Any]:
    return {
        "setVariableData": [
            {
                "attributeValue": order,
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "NetworkConfigurationPriority"},
            }
        ]
    }


@scenario("TC_A_20_CS", "TC_A_21_CS")
async def upgrade_without_certificate(ctx: ChargerRun) -> None:
    """A05.FR.02 (no CSMS root) / A05.FR.03 (no station certificate): the new priority
    naming a profile the station cannot use is Rejected."""
    current = await _profile(ctx)
    installed = await _installed(ctx, "CSMSRootCertificate")
    if ctx.case.id == "TC_A_20_CS":
        if current != 1:
            ctx.not_applicable(
                f"the station is on security profile {current}, the case starts at 1"
            )
        if installed:
            ctx.not_applicable(
                "the station has a CSMSRootCertificate installed (prerequisite: none)"
            )
        target, scheme = 2, "wss"
    else:
        if current == 3:
            ctx.not_applicable("the station is on security profile 3 already")
        await csms_root_present(ctx)  # prerequisite: a valid CSMSRootCertificate
        target, scheme = 3, "wss"
    used, free = await _slots(ctx)
    reply = await ctx.request(
        "SetNetworkProfile",
        {
            "configurationSlot": free,
            "connectionData": _connection_data(_other_url(ctx, scheme), target),
        },
        step=1,
    )
    # Errata 2025-04 (TC_A_20_CS): SetNetworkProfile may be Rejected already.
    ctx.check(2, "SetNetworkProfileResponse", reply, "status", one_of("Accepted", "Rejected"))
    if reply.get("status") != "Accepted":
        return
    order = ",".join([str(free), *(s for s in used if s != str(free))])
    reply = await ctx.request("SetVariables", _set_priority(order), step=3)
    result = (reply.get("setVariableResult") or [{}])[0]
    ctx.check(4, "SetVariablesResponse", result, "attributeStatus", "Rejected")


async def _installed(ctx: ChargerRun, certificate_type: str) -> list[dict[str, Any]]:
    return chain_entries(await get_installed(ctx, certificate_type, step=None))


@scenario("TC_A_22_CS")
async def downgrade_rejected(ctx: ChargerRun) -> None:
    current = await _profile(ctx)
    if current < 2:
        ctx.not_applicable(f"the station is on security profile {current}; the case needs 2 or 3")
    _, free = await _slots(ctx)
    lower = current - 1
    scheme = "wss" if lower >= 2 else "ws"
    reply = await ctx.request(
        "SetNetworkProfile",
        {
            "configurationSlot": free,
            "connectionData": _connection_data(_other_url(ctx, scheme), lower),
        },
        step=1,
    )
    ctx.check(2, "SetNetworkProfileResponse", reply, "status", "Rejected")


@scenario("TC_A_19_CS")
async def upgrade_accepted(ctx: ChargerRun) -> None:
    """A05.FR.04-06: a higher profile on a second endpoint of the bench; the station moves
    there after the reset and keeps the new profile."""
    current = await _profile(ctx)
    if current not in (1, 2):
        ctx.not_applicable(f"the station is on security profile {current}; the case needs 1 or 2")
    target = current + 1
    if target == 2:
        root = await csms_root_present(ctx)  # memory state CertificateInstalled
    else:
        await renew_certificate(ctx, step=None)  # memory state RenewChargingStationCertificate
        root = pki(ctx).csms_root
    with tempfile.TemporaryDirectory(prefix="bench-a19-") as folder:
        host = ctx.endpoint.host
        second = CsmsEndpoint(
            ctx.settings.version,
            ctx.settings.station_id,
            host=host,
            ssl_context=server_context(root, host, Path(folder), client_certificates=target == 3),
            password=ctx.endpoint.password if target == 2 else None,
            heartbeat_interval=ctx.endpoint.defaults.heartbeat_interval,
            accepted_tokens=ctx.endpoint.defaults._accepted,
            call_timeout=ctx.endpoint.call_timeout,
        )
        await second.start()
        first = ctx.endpoint
        try:
            second.sink = ctx
            await _upgrade_steps(ctx, second, current, target)
        finally:
            ctx.endpoint = first
            second.sink = Discard()
            await second.stop()


async def _upgrade_steps(ctx: ChargerRun, second: CsmsEndpoint, current: int, target: int) -> None:
    used, free = await _slots(ctx)
    reply = await ctx.request(
        "SetNetworkProfile",
        {"configurationSlot": free, "connectionData": _connection_data(second.url, target)},
        step=1,
    )
    ctx.require(2, "SetNetworkProfileResponse", reply, "status", "Accepted")
    order = ",".join([str(free), *(s for s in used if s != str(free))])
    reply = await ctx.request("SetVariables", _set_priority(order), step=3)
    result = (reply.get("setVariableResult") or [{}])[0]
    ctx.require(
        4, "SetVariablesResponse", result, "attributeStatus", one_of("Accepted", "RebootRequired")
    )
    # Errata 2025-06: the reset is always sent, so the station switches profiles.
    since = ctx.mark()
    reply = await ctx.request("Reset", {"type": "OnIdle"}, step=5)
    ctx.check(6, "ResetResponse", reply, "status", "Accepted")
    ctx.endpoint = second
    event = await _next_connection(ctx, 0, step=7)
    ctx.check_that(
        7, "(connection)", "security profile", event.security_profile == target,
        f"security profile {target}", str(event.security_profile),
    )  # fmt: skip
    await ctx.station_request("BootNotification", step=9, since=since)
    await v201.connector_available(ctx, since=since, step=9)
    event_req = await ctx.station_request(
        "SecurityEventNotification", step=9, since=since,
        match=lambda p: p.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
        what="the station's SecurityEventNotification StartupOfTheDevice or ResetOrReboot",
    )  # fmt: skip
    ctx.check(
        9,
        "SecurityEventNotificationRequest",
        event_req,
        "type",
        one_of("StartupOfTheDevice", "ResetOrReboot"),
    )
    value = await v201.get_variable(ctx, "SecurityCtrlr/SecurityProfile", step=10)
    ctx.check(11, "GetVariablesResponse", {"attributeValue": value}, "attributeValue", str(target))
    order_now = await v201.get_variable(ctx, "OCPPCommCtrlr/NetworkConfigurationPriority", step=12)
    slots_now = [s.strip() for s in (order_now or "").split(",")]
    old = [s for s in used if s != str(free)]
    ctx.check_that(
        13, "GetVariablesResponse", "getVariableResult[0].attributeValue",
        not any(s in slots_now for s in old),
        f"does not contain the old slot(s) {', '.join(old)}", order_now or "(none)",
    )  # fmt: skip
