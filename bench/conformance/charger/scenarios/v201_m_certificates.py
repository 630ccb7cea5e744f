"""2.0.1 block M, certificate management (M03-M06, M01/M02): charging-station cases.

The certificates the OCTT keeps configured are made by ``states_security.pki``.
"""

from __future__ import annotations

import base64
import datetime as dt
import ssl
import tempfile
from pathlib import Path
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_csms_roots import cross_signed_root, tls_context
from bench.conformance.charger.states_security import (
    CSMS_ROOT,
    MF_ROOT,
    MO_ROOT,
    V2G_CHAIN,
    V2G_ROOT,
    certificate_installed,
    chain_entries,
    check_entry,
    csms_root_present,
    get_installed,
    hash_of,
    installed_certificates,
    now,
    ocsp_result,
    pki,
    renew_certificate,
)
from bench.conformance.expect import absent, one_of, present
from bench.conformance.material_lm import issue

GIC = "GetInstalledCertificateIdsResponse"


def _no_additional_check(ctx: ChargerRun) -> None:
    """Cases for a station WITHOUT AdditionalRootCertificateCheck (AS-2) enabled."""
    if "AS-2" in ctx.settings.features:
        ctx.not_applicable("the station has AdditionalRootCertificateCheck (AS-2) enabled")


# ---------------------------------------------------------------- M05 InstallCertificate
@scenario("TC_M_01_CS", "TC_M_02_CS", "TC_M_03_CS", "TC_M_04_CS")
async def install_root(ctx: ChargerRun) -> None:
    certificate_type = {
        "TC_M_01_CS": CSMS_ROOT,
        "TC_M_02_CS": MF_ROOT,
        "TC_M_03_CS": V2G_ROOT,
        "TC_M_04_CS": MO_ROOT,
    }[ctx.case.id]
    if certificate_type != CSMS_ROOT:
        _no_additional_check(ctx)
    # Root 2: a root the station does not have yet (the run's CA may be its first one).
    root = issue(f"OCPP Bench {certificate_type} 2", now(), days=365)
    issuer = None
    if certificate_type == CSMS_ROOT and "AS-2" in ctx.settings.features:
        # M05.FR.09: with AdditionalRootCertificateCheck the new CSMS root must be signed
        # by the old one: the run's CA (the station's current root) signs it.
        if not ctx.settings.extra.get("ca_key_file"):
            ctx.not_applicable("a custom CSMSRootCertificate signed by the run's CA is needed")
        root = cross_signed_root(pki(ctx).csms_root)
        issuer = pki(ctx).csms_root.cert
    await certificate_installed(ctx, certificate_type, step=1, cert=root)
    await installed_certificates(ctx, certificate_type, root.cert, step=3, issuer=issuer)


@scenario("TC_M_07_CS")
async def install_expired_root(ctx: ChargerRun) -> None:
    _no_additional_check(ctx)
    await csms_root_present(ctx)  # profile 2/3: the station has a CSMS root
    expired = issue("OCPP Bench expired CSMS root", now(), valid_from=-dt.timedelta(days=40))
    reply = await ctx.request(
        "InstallCertificate", {"certificateType": CSMS_ROOT, "certificate": expired.pem}, step=1
    )
    ctx.check(2, "InstallCertificateResponse", reply, "status", "Rejected")
    reply = await get_installed(ctx, CSMS_ROOT, step=3)
    ctx.check(4, GIC, reply, "status", "Accepted")
    check_entry(ctx, 4, reply, CSMS_ROOT, expired.cert, present=False)


@scenario("TC_M_09_CS")
async def install_root_additional_check(ctx: ChargerRun) -> None:
    ctx.needs_feature("AS-2")
    old = await csms_root_present(ctx)
    other = issue("OCPP Bench CSMS Root (not signed by the old one)", now(), days=365)
    reply = await ctx.request(
        "InstallCertificate", {"certificateType": CSMS_ROOT, "certificate": other.pem}, step=1
    )
    ctx.check(2, "InstallCertificateResponse", reply, "status", "Rejected")
    reply = await get_installed(ctx, CSMS_ROOT, step=3)
    ctx.check(4, GIC, reply, "status", "Accepted")
    check_entry(ctx, 4, reply, CSMS_ROOT, old.cert)


# ---------------------------------------------------------------- M03 GetInstalledCertificateIds
@scenario("TC_M_12_CS", "TC_M_13_CS", "TC_M_14_CS", "TC_M_16_CS")
async def retrieve_root(ctx: ChargerRun) -> None:
    certificate_type = {
        "TC_M_12_CS": CSMS_ROOT,
        "TC_M_13_CS": MF_ROOT,
        "TC_M_14_CS": V2G_ROOT,
        "TC_M_16_CS": MO_ROOT,
    }[ctx.case.id]
    if certificate_type == CSMS_ROOT:
        root = await csms_root_present(ctx)
    else:
        root = await certificate_installed(ctx, certificate_type)
    await installed_certificates(ctx, certificate_type, root.cert, step=1)


@scenario("TC_M_15_CS")
async def retrieve_v2g_chain(ctx: ChargerRun) -> None:
    # Errata 2025-02: the V2GCertificateChain is installed (renewed) before it is retrieved.
    await renew_certificate(ctx, "SignV2GCertificate", step=None)
    reply = await get_installed(ctx, V2G_CHAIN, step=1)
    ctx.check(2, GIC, reply, "status", "Accepted")
    chains = [e for e in chain_entries(reply) if e.get("certificateType") == V2G_CHAIN]
    ctx.check_that(
        2, GIC, "certificateHashDataChain", bool(chains), "a V2GCertificateChain entry",
        str(len(chains)),
    )  # fmt: skip
    ctx.check(2, GIC, chains[0] if chains else {}, "childCertificateHashData", present())


@scenario("TC_M_17_CS", "TC_M_18_CS")
async def retrieve_several(ctx: ChargerRun) -> None:
    csms = await csms_root_present(ctx)
    maker = await certificate_installed(ctx, MF_ROOT)
    wanted = [CSMS_ROOT, MF_ROOT] if ctx.case.id == "TC_M_17_CS" else None
    step = 1
    reply = await get_installed(ctx, wanted, step=step)
    ctx.check(step + 1, GIC, reply, "status", "Accepted")
    check_entry(ctx, step + 1, reply, CSMS_ROOT, csms.cert)
    check_entry(ctx, step + 1, reply, MF_ROOT, maker.cert)


@scenario("TC_M_19_CS")
async def retrieve_none(ctx: ChargerRun) -> None:
    reply = await get_installed(ctx, MO_ROOT, step=None)
    for entry in chain_entries(reply):
        if entry.get("certificateType") == MO_ROOT:
            await ctx.request(
                "DeleteCertificate",
                {"certificateHashData": entry["certificateHashData"]},
                step=None,
            )
    reply = await get_installed(ctx, MO_ROOT, step=1)
    ctx.check(2, GIC, reply, "status", "NotFound")
    ctx.check(2, GIC, reply, "certificateHashDataChain", absent())


# ---------------------------------------------------------------- M04 DeleteCertificate
@scenario("TC_M_20_CS")
async def delete_root(ctx: ChargerRun) -> None:
    await csms_root_present(ctx)  # the root the connection may depend on stays
    extra = await certificate_installed(ctx, CSMS_ROOT, cert=issue("OCPP Bench CSMS Root 2", now()))
    data = hash_of(extra.cert)
    await installed_certificates(ctx, CSMS_ROOT, extra.cert, step=1)
    reply = await ctx.request("DeleteCertificate", {"certificateHashData": data}, step=2)
    ctx.check(3, "DeleteCertificateResponse", reply, "status", "Accepted")
    reply = await get_installed(ctx, CSMS_ROOT, step=4)
    ctx.check(5, GIC, reply, "status", one_of("Accepted", "NotFound"))
    check_entry(ctx, 5, reply, CSMS_ROOT, extra.cert, present=False)


@scenario("TC_M_22_CS")
async def delete_unknown(ctx: ChargerRun) -> None:
    root = await csms_root_present(ctx)
    await installed_certificates(ctx, CSMS_ROOT, root.cert, step=1)
    unknown = hash_of(issue("OCPP Bench unknown certificate", now()).cert)
    reply = await ctx.request("DeleteCertificate", {"certificateHashData": unknown}, step=2)
    ctx.check(3, "DeleteCertificateResponse", reply, "status", "NotFound")


@scenario("TC_M_23_CS")
async def delete_station_certificate(ctx: ChargerRun) -> None:
    _, cert = await renew_certificate(ctx, step=None)
    reply = await get_installed(ctx, None, step=1)
    ctx.check(2, GIC, reply, "status", "Accepted")
    data = hash_of(cert, pki(ctx).csms_root.cert)
    reply = await ctx.request("DeleteCertificate", {"certificateHashData": data}, step=2)
    ctx.check(3, "DeleteCertificateResponse", reply, "status", one_of("NotFound", "Failed"))


# ---------------------------------------------------------------- M06 GetCertificateStatus
@scenario("TC_M_24_CS", "TC_M_25_CS")
async def certificate_status(ctx: ChargerRun) -> None:
    """M06: the station asks for the OCSP status of its new V2G certificate (and, errata
    2025-06, its sub-CAs); the bench answers with an OCSP response (M_24) or Failed (M_25)."""
    accepted = ctx.case.id == "TC_M_24_CS"
    chain = pki(ctx).v2g
    issuers = {format(sub.cert.serial_number, "x"): (sub.cert, up) for sub, up in chain.sub_cas}

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        if not accepted:
            return {"status": "Failed"}
        serial = str((request.get("ocspRequestData") or {}).get("serialNumber", "")).lower()
        signed = ctx.memory.get("signed")
        known = dict(issuers)
        if signed is not None:
            known[format(signed[0].serial_number, "x")] = signed
        found = known.get(serial.lstrip("0"))
        if found is None:
            return {"status": "Failed"}
        return {"status": "Accepted", "ocspResult": ocsp_result(*found)}

    ctx.answer("GetCertificateStatus", answer)
    await certificate_installed(ctx, MO_ROOT)
    since = ctx.mark()
    await renew_certificate(ctx, "SignV2GCertificate", step=None)
    request = await ctx.station_request("GetCertificateStatus", step=1, since=since)
    ctx.check(1, "GetCertificateStatusRequest", request, "ocspRequestData.serialNumber", present())


# ---------------------------------------------------------------- M01 / M02 EV certificates
async def _ev_pre_session(ctx: ChargerRun, action: str) -> int:
    """Memory state CertificatesInstalled (V2G and MO root), then reusable state
    EVConnectedPreSession with an ISO 15118 EV set to Plug and Charge and to install
    (``action`` Install) or update (Update: a contract due for renewal) its contract
    certificate."""
    await v201.configure(ctx, {"ISO15118Ctrlr/ContractCertificateInstallationEnabled": "true"})
    await certificate_installed(ctx, V2G_ROOT)
    await certificate_installed(ctx, MO_ROOT)
    since = ctx.mark()
    cid = ctx.settings.connector_id
    if action == "Install":
        wanted = "to ask for a new contract certificate (CertificateInstallationReq)"
        template = ctx.settings.extra.get("iso15118_ev_template", "iso15118-ev")
    else:
        wanted = "to ask for an update of its contract, due for renewal (CertificateUpdateReq)"
        template = ctx.settings.extra.get("iso15118_update_ev_template", "iso15118-ev-renewal")
    await ctx.physical(
        "plug_in",
        f"Connect an ISO 15118 EV to connector {cid}, set to Plug and Charge and {wanted}.",
        connector_id=cid,
        ev_template=template,
    )
    return since


@scenario("TC_M_26_CS", "TC_M_27_CS", "TC_M_28_CS", "TC_M_29_CS", physical=("plug_in", "unplug"))
async def ev_certificate(ctx: ChargerRun) -> None:
    success = ctx.case.id in ("TC_M_26_CS", "TC_M_28_CS")
    action = "Install" if ctx.case.id in ("TC_M_26_CS", "TC_M_27_CS") else "Update"
    exi = base64.b64encode(b"CertificateInstallationRes from the OCTT (opaque EXI)").decode()
    reply = (
        {"status": "Accepted", "exiResponse": exi}
        if success
        else {"status": "Failed", "exiResponse": ""}
    )
    ctx.answer("Get15118EVCertificate", reply)
    since = await _ev_pre_session(ctx, action)
    request = await ctx.station_request("Get15118EVCertificate", step=1, since=since)
    ctx.check(1, "Get15118EVCertificateRequest", request, "action", action)
    after = ctx.mark()
    if success:
        await ctx.station_request("Authorize", step=3, since=after)
    else:
        await ctx.no_station_request(
            "Authorize", step=3, since=after, why="the certificate was not installed"
        )
    await physical.unplug(ctx)


# ---------------------------------------------------------------- M05 AdditionalRootCertificate
@scenario("TC_M_30_CS", "TC_M_31_CS")
async def reconnect_with_new_root(ctx: ChargerRun) -> None:
    """M05.FR.10-13: after a new CSMS root (signed by the old one) is installed, the station
    validates the server with the new root (M_30) or falls back to the old one (M_31)."""
    ctx.needs_feature("AS-2")
    context = ctx.endpoint.ssl_context
    if context is None:
        ctx.not_applicable("the run is not over TLS (--cert): security profile 2/3 is not in use")
    if not ctx.settings.extra.get("ca_key_file"):
        ctx.not_applicable("the case needs the key of the CA of the bench's server certificate")
    assert context is not None
    old = pki(ctx).csms_root
    new = cross_signed_root(old)
    await certificate_installed(ctx, CSMS_ROOT, cert=new)  # memory state
    if (
        ctx.case.id == "TC_M_30_CS"
        and await v201.get_variable(ctx, "SecurityCtrlr/SecurityProfile") == "3"
    ):
        since = len(ctx.endpoint.events)
        await renew_certificate(ctx, step=None)
        # A02.FR.08: the station may reconnect to use its new certificate; the Reset
        # waits until it is back.
        if await ctx.endpoint.wait_for(
            lambda: any(e.kind == "disconnected" for e in ctx.endpoint.events[since:]),
            ctx.settings.quiet_period,
        ):
            await ctx.connected()
    handshakes: list[str] = []
    previous = context.sni_callback
    with tempfile.TemporaryDirectory(prefix="bench-m30-") as folder:
        signer = new if ctx.case.id == "TC_M_30_CS" else old
        # The station's own certificate (profile 3) is from the old root, the run's CA.
        presented = tls_context(signer, old, context, ctx.endpoint.host, Path(folder))

        def present(sslobj: Any, server_name: str | None, _: ssl.SSLContext) -> None:
            handshakes.append(server_name or "")
            if ctx.case.id == "TC_M_30_CS":
                sslobj.context = presented

        context.sni_callback = present
        try:
            since = ctx.mark()
            reply = await ctx.request("Reset", {"type": "OnIdle"}, step=1)
            ctx.check(2, "ResetResponse", reply, "status", "Accepted")
            await ctx.station_request("BootNotification", step=5, since=since)
            await v201.connector_available(ctx, since=since, step=5)
        finally:
            context.sni_callback = previous
    if ctx.case.id == "TC_M_31_CS":
        ctx.check_that(
            4, "TLS handshake", "(attempts)", len(handshakes) >= 2,
            "a handshake refused (new root), then one accepted (old root)", f"{len(handshakes)}",
        )  # fmt: skip
    step = 6 if ctx.case.id == "TC_M_30_CS" else 7
    reply = await get_installed(ctx, CSMS_ROOT, step=step)
    ctx.check(step + 1, GIC, reply, "status", "Accepted")
    keep = ctx.case.id == "TC_M_31_CS"
    check_entry(ctx, step + 1, reply, CSMS_ROOT, old.cert, present=keep)
