"""2.0.1 block M, ISO 15118 CertificateManagement: CSMS test cases (part 6 §3.14).

The configured certificates are made per case (``material_lm``); the CSMS is asked
to install or delete them and the bench's station does so for real (M04, M05).
GetInstalledCertificateIds is answered by the station itself where it holds what
the case says (``states_certificates``). The station-initiated messages of M01, M02
and M06 come from the station where it sends them on its own (an ISO 15118 EV that
asks for a contract certificate, M01) and with ``ctx.send`` where it does not (M02
CertificateUpdate, the OCSP status of the configured V2G sub-CAs, M06).

What the bench cannot give: an ISO 15118 EXI codec. The station's exiRequest is a
Base64 placeholder, not a raw EXI CertificateInstallationReq/CertificateUpdateReq,
so a CSMS that hands it to a real contract certificate pool gets it refused; the
checks on the CSMS's exiResponse (that it is Base64 of an EXI stream) still hold.
"""

from __future__ import annotations

import base64
from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import satisfies
from bench.conformance.material_lm import (
    Credential,
    exi_base64,
    ocsp_response_for,
    root_certificate,
    v2g_chain,
    v2g_pki,
)
from bench.conformance.scenarios import scenario
from bench.conformance.states_certificates import (
    CSMS_ROOT,
    MF_ROOT,
    MO_ROOT,
    ROOT_TYPES,
    V2G_CHAIN,
    V2G_ROOT,
    TrustStore,
    certificate_installed,
    includes_or_omitted,
    installed_certificate_ids,
)
from bench.conformance.states_firmware import csms_call, exchange, station_answer
from bench.ocpp.common.certificates import hash_data

INSTALL = ("install_certificate",)
GET_IDS = ("get_installed_certificate_ids",)
DELETE = ("install_certificate", "delete_certificate", "delete_certificate_found")
ISO15118_2 = "urn:iso:15118:2:2013:MsgDef"


def _answered(status: str) -> Any:
    async def answer(request: dict[str, Any]) -> dict[str, Any]:
        return {"status": status}

    return answer


# --------------------------------------------------------------------------- M05
def _install(case_id: str, certificate_type: str) -> None:
    @scenario(case_id, manual=INSTALL)
    async def run(ctx: CaseRun) -> None:
        await states.booted(ctx)
        credential = root_certificate(certificate_type, ctx.station.clock.now())
        await certificate_installed(ctx, certificate_type, credential)

    run.__doc__ = f"{case_id}: M05.FR.01, InstallCertificate {certificate_type}."


_install("TC_M_01_CSMS", CSMS_ROOT)
_install("TC_M_02_CSMS", MF_ROOT)
_install("TC_M_03_CSMS", V2G_ROOT)
_install("TC_M_04_CSMS", MO_ROOT)


@scenario("TC_M_05_CSMS", manual=INSTALL)
async def install_certificate_failed(ctx: CaseRun) -> None:
    # M05.FR.03: the station cannot store the certificate: Failed. The bench's station
    # fails only on a storage error, so the scenario gives this answer (answer_with).
    await states.booted(ctx)
    credential = root_certificate(CSMS_ROOT, ctx.station.clock.now())
    restore = ctx.station.answer_with("InstallCertificate", _answered("Failed"))
    try:
        frame = await csms_call(
            ctx,
            "install_certificate",
            f"Request the CSMS to install the {CSMS_ROOT} given",
            "InstallCertificate",
            {"certificateType": CSMS_ROOT, "certificate": credential.pem},
            step=1,
            certificate_type=CSMS_ROOT,
            certificate=credential.pem,
        )
        await station_answer(ctx, frame, "Failed")
    finally:
        restore()


# --------------------------------------------------------------------------- M03
def _retrieve(case_id: str, types: list[str], algorithms: tuple[str, ...] = ("SHA256",)) -> None:
    @scenario(case_id, manual=GET_IDS)
    async def run(ctx: CaseRun) -> None:
        # The station reports the configured certificates of the type (the OCTT's
        # truststore): it was never given them, so the scenario answers from them.
        await states.booted(ctx)
        store = TrustStore.configured(ctx)
        store.v2g_chain = v2g_chain(ctx.station.clock.now()).chain
        for algorithm in algorithms:
            await installed_certificate_ids(ctx, types, step=1, store=store, algorithm=algorithm)

    run.__doc__ = f"{case_id}: M03.FR.01, GetInstalledCertificateIds {', '.join(types)}."


_retrieve("TC_M_12_CSMS", [CSMS_ROOT], ("SHA256", "SHA384", "SHA512"))
_retrieve("TC_M_13_CSMS", [MF_ROOT])
_retrieve("TC_M_14_CSMS", [V2G_ROOT])
_retrieve("TC_M_15_CSMS", [V2G_CHAIN])  # M03.FR.05: the sub-CAs as child hash data
_retrieve("TC_M_16_CSMS", [MO_ROOT])
_retrieve("TC_M_17_CSMS", [CSMS_ROOT, MF_ROOT])


@scenario("TC_M_18_CSMS", manual=GET_IDS)
async def retrieve_all_certificates(ctx: CaseRun) -> None:
    # M03.FR.01: certificateType omitted; the station reports its whole truststore.
    await states.booted(ctx)
    store = TrustStore.configured(ctx, ROOT_TYPES)
    store.v2g_chain = v2g_chain(ctx.station.clock.now()).chain
    await installed_certificate_ids(ctx, None, step=1, store=store)


@scenario("TC_M_19_CSMS", manual=GET_IDS)
async def retrieve_no_matching_certificate(ctx: CaseRun) -> None:
    # M03.FR.02: the bench's station holds no ManufacturerRootCertificate: NotFound.
    await states.booted(ctx)
    _frame, answer = await installed_certificate_ids(
        ctx, [MF_ROOT], step=1, store=None, expected="NotFound"
    )
    if "certificateHashDataChain" in answer:  # pragma: no cover - the station's own answer
        raise RuntimeError("the station sent certificateHashDataChain with NotFound")


# --------------------------------------------------------------------------- M04
async def _delete_round(
    ctx: CaseRun, credential: Credential, algorithm: str, *, first: int, answer: str, install: bool
) -> None:
    """Steps ``first`` .. ``first + 3``: the CSMS retrieves the installed CSMSRootCertificate
    and deletes it with the hash data the station returned (M04.FR.01, M04.FR.07).

    A person asks the CSMS once; the CSMS's two requests are the prompts
    ``delete_certificate`` (the CSMS looks the certificate up) and
    ``delete_certificate_found`` (it deletes what it found), so a console-driven CSMS
    can send them one by one; a CSMS that does both at once only needs Done twice.
    """
    if install:
        await certificate_installed(ctx, CSMS_ROOT, credential, step=None)
    # SHA256 is the station's own hash; SHA384/512 answers come from the scenario.
    store = TrustStore({CSMS_ROOT: credential}) if algorithm != "SHA256" else None
    restore = (
        ctx.station.answer_with("GetInstalledCertificateIds", store.answer(algorithm))
        if store is not None
        else None
    )
    try:
        lookup = await csms_call(
            ctx,
            "delete_certificate",
            f"Request the CSMS to delete the {CSMS_ROOT} installed on the Charging Station",
            "GetInstalledCertificateIds",
            {"certificateType": [CSMS_ROOT]},
            step=first,
            certificate_type=CSMS_ROOT,
        )
        sent = lookup.payload if isinstance(lookup.payload, dict) else {}
        ctx.check(
            first,
            "GetInstalledCertificateIdsRequest",
            sent,
            "certificateType",
            includes_or_omitted(CSMS_ROOT),
        )
        found = await station_answer(ctx, lookup, "Accepted")
    finally:
        if restore is not None:
            restore()
    entry = next(
        (
            item["certificateHashData"]
            for item in found.get("certificateHashDataChain") or []
            if item.get("certificateType") == CSMS_ROOT
        ),
        None,
    )
    if entry is None:
        raise RuntimeError(f"the station reported no {CSMS_ROOT}: {found}")
    scripted = (
        ctx.station.answer_with("DeleteCertificate", _answered(answer))
        if answer != "Accepted"
        else None
    )
    try:
        await ctx.manual(
            "delete_certificate_found",
            f"Have the CSMS delete the {CSMS_ROOT} it found (serialNumber "
            f"{entry['serialNumber']}, {entry['hashAlgorithm']}); confirm if it already did",
            step=first + 2,
            action="DeleteCertificate",
            request={"certificateHashData": entry},
            certificate_hash_data=entry,
        )
        delete = await ctx.csms_request(
            "DeleteCertificate", step=first + 2, since=ctx.frames.index(lookup)
        )
        for name in ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber"):
            ctx.check(
                first + 2,
                "DeleteCertificateRequest",
                delete,
                f"certificateHashData.{name}",
                _same_hex(entry[name]),
            )
        frame = next(
            r
            for r in ctx.frames[ctx.frames.index(lookup) :]
            if r.direction == "rx" and r.type == "CALL" and r.action == "DeleteCertificate"
        )
        await station_answer(ctx, frame, answer)
    finally:
        if scripted is not None:
            scripted()


def _same_hex(value: str) -> Any:
    """The returned value (hex compared case-insensitively, serials without leading zeros)."""
    want = value.lower().lstrip("0")
    return satisfies(
        lambda v: isinstance(v, str) and v.lower().lstrip("0") == want,
        f"{value} (returned at the GetInstalledCertificateIds step)",
    )


@scenario("TC_M_20_CSMS", manual=DELETE)
async def delete_certificate_success(ctx: CaseRun) -> None:
    # M04.FR.01/07: steps 1-5 once per hash algorithm; the station deletes it (M04.FR.02).
    await states.booted(ctx)
    credential = root_certificate(CSMS_ROOT, ctx.station.clock.now())
    for algorithm in ("SHA256", "SHA384", "SHA512"):
        await _delete_round(ctx, credential, algorithm, first=2, answer="Accepted", install=True)


@scenario("TC_M_21_CSMS", manual=DELETE)
async def delete_certificate_failed(ctx: CaseRun) -> None:
    # M04.FR.03: the station fails to delete it. The bench's station deletes a root that
    # no connection relies on, so the scenario gives the Failed answer (answer_with).
    await states.booted(ctx)
    credential = root_certificate(CSMS_ROOT, ctx.station.clock.now())
    await certificate_installed(ctx, CSMS_ROOT, credential, step=None)
    # The certificate of CertificateInstalled is the one the station reports (SHA256).
    await _delete_round(ctx, credential, "SHA256", first=1, answer="Failed", install=False)


# --------------------------------------------------------------------------- M06
@scenario("TC_M_24_CSMS")
async def certificate_status(ctx: CaseRun) -> None:
    # M06.FR.01-03/08/09: one GetCertificateStatusRequest per sub-CA of the configured V2G
    # chain; their responderURL is the bench's OCSP responder, which the CSMS asks.
    await states.booted(ctx)
    async with v2g_pki(ctx.station.clock.now) as (pki, responder):
        for sub, issuer in pki.sub_cas:
            data = hash_data(sub.cert, issuer.cert)
            data["responderURL"] = responder.url
            reply = await ctx.send("GetCertificateStatus", {"ocspRequestData": data}, step=2)
            message = "GetCertificateStatusResponse"
            ctx.check_that(
                2,
                message,
                "(message type)",
                reply.type == "CALLRESULT",
                "CALLRESULT",
                f"{reply.type} {reply.error or ''}".strip(),
            )
            ctx.check(2, message, reply.payload, "status", "Accepted")
            ctx.check(2, message, reply.payload, "ocspResult", ocsp_response_for(sub.serial))


# --------------------------------------------------------------------------- M01 / M02
def _check_exi_reply(ctx: CaseRun, payload: Any, what: str) -> None:
    message = "Get15118EVCertificateResponse"
    ctx.check(2, message, payload, "status", "Accepted")
    ctx.check(2, message, payload, "exiResponse", exi_base64(what))


@scenario("TC_M_26_CSMS")
async def ev_certificate_installation(ctx: CaseRun) -> None:
    # M01.FR.01: an ISO 15118 EV is plugged in and asks for a contract certificate; the
    # station forwards its CertificateInstallationReq (ContractCertificateInstallationEnabled).
    outcome = await ctx.station.settings.write(
        "ISO15118Ctrlr/ContractCertificateInstallationEnabled", "true"
    )
    if not outcome.ok:
        raise RuntimeError(f"the station refused ContractCertificateInstallationEnabled: {outcome}")
    await states.booted(ctx)
    since = ctx.mark()
    ctx.station.plug_in(states.connector_for(ctx), "iso15118-ev")
    done = await exchange(
        ctx, "Get15118EVCertificate", since=since, step=2, expect={"action": "Install"}
    )
    _check_exi_reply(ctx, done.reply.payload, "CertificateInstallationRes")


@scenario("TC_M_28_CSMS")
async def ev_certificate_update(ctx: CaseRun) -> None:
    # M02.FR.01: the EV asks to update its contract certificate. The bench's EV never does,
    # so the scenario sends the station's Get15118EVCertificateRequest (action Update).
    await states.booted(ctx)
    placeholder = f"CertificateUpdateReq|{ctx.settings.station_id}|EVSE 1|iso15118-ev"
    request = {
        "iso15118SchemaVersion": ISO15118_2,
        "action": "Update",
        "exiRequest": base64.b64encode(placeholder.encode()).decode(),
    }
    reply = await ctx.send("Get15118EVCertificate", request, step=2)
    ctx.check_that(
        2,
        "Get15118EVCertificateResponse",
        "(message type)",
        reply.type == "CALLRESULT",
        "CALLRESULT",
        f"{reply.type} {reply.error or ''}".strip(),
    )
    # The document names CertificateInstallationRes here too; an update is answered
    # with a CertificateUpdateRes (ISO 15118-2).
    _check_exi_reply(ctx, reply.payload, "CertificateUpdateRes")
