"""2.0.1 block C, Authorization: Plug and Charge with contract certificates (C07),
TC_C_50-55 (part 6 §2.4).

The EV is one with an ISO 15118 contract certificate (the bench's own station plugs
in its ``iso15118-ev-contract``); the station authorizes it with an AuthorizeRequest whose
idToken is the eMAID. Memory state CertificatesInstalled installs a V2G and an MO
root certificate (made by the bench) with InstallCertificate.

TC_C_50_CS: the document's table for this case has no steps (only its configuration
state); its scenario is TC_C_51_CS's with the outcome the name gives: the CSMS
accepts the contract and energy flows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_auth as auth
from bench.conformance.charger.answers import now_text
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import present
from bench.conformance.material_lm import root_certificate

PHYSICAL = ("plug_in",)
# The bench's own EV with a valid contract certificate: it asks for no new one, even
# where the case enables contract installation (TC_C_50_CS, TC_C_52_CS).
EV_TEMPLATE = "iso15118-ev-contract"
AUTH_ON = {"AuthCtrlr/Enabled": "true", "AuthCtrlr/DisableRemoteAuthorization": "false"}


async def _plug_in_pnc(ctx: ChargerRun, *, step: int | None) -> None:
    """EVConnectedPreSession with a Plug and Charge EV."""
    cid = ctx.settings.connector_id
    # These cases are about the contract, not the schedule: the bench offers no schedule
    # service (K15: a "Rejected" NotifyEVChargingNeeds), so the EV charges on the
    # station's own schedule at once instead of waiting for a TxProfile that never comes.
    ctx.answer("NotifyEVChargingNeeds", {"status": "Rejected"})
    await ctx.physical(
        "plug_in",
        f"Connect an EV with a valid ISO 15118 contract certificate (Plug and Charge) "
        f"to connector {cid}.",
        step=step,
        connector_id=cid,
        ev_template=ctx.settings.extra.get("pnc_ev_template", EV_TEMPLATE),
    )


async def _roots_installed(ctx: ChargerRun) -> None:
    """Memory state CertificatesInstalled for V2GRootCertificate and MORootCertificate."""
    now = datetime.fromisoformat(now_text().replace("Z", "+00:00"))
    for kind in ("V2GRootCertificate", "MORootCertificate"):
        reply = await ctx.request(
            "InstallCertificate",
            {"certificateType": kind, "certificate": root_certificate(kind, now).pem},
            step=None,
        )
        ctx.require(None, f"InstallCertificateResponse ({kind})", reply, "status", "Accepted")


def _answer_contract(ctx: ChargerRun, status: str, certificate_status: str) -> None:
    """What the CSMS answers the eMAID: ``status`` with ``certificateStatus``; the
    TransactionEvent that carries it gets the same status."""

    def authorize(payload: dict[str, Any]) -> dict[str, Any]:
        if (payload.get("idToken") or {}).get("type") == "eMAID":
            return {
                "idTokenInfo": {"status": status},
                "certificateStatus": certificate_status,
            }
        return ctx.default_answer("Authorize", payload)

    def transaction(payload: dict[str, Any]) -> dict[str, Any]:
        if (payload.get("idToken") or {}).get("type") == "eMAID":
            return {"idTokenInfo": {"status": status}}
        return ctx.default_answer("TransactionEvent", payload)

    ctx.answer("Authorize", authorize)
    ctx.answer("TransactionEvent", transaction)
    # "The test case should be robust enough to also handle a GetCertificateStatusRequest".
    ctx.answer("GetCertificateStatus", {"status": "Accepted"})


async def _contract_authorize(
    ctx: ChargerRun, *, step: int, since: int, central: bool
) -> dict[str, Any]:
    """The AuthorizeRequest for the contract: idToken.type eMAID with the certificate's
    hash data (local validation) or the certificate itself (central validation)."""
    request = await ctx.station_request(
        "Authorize",
        step=step,
        since=since,
        match=lambda p: (p.get("idToken") or {}).get("type") == "eMAID",
        what="the station's AuthorizeRequest for the EV's contract (idToken.type eMAID)",
    )
    ctx.check(step, "AuthorizeRequest", request, "idToken.type", "eMAID")
    if central:
        ctx.check(step, "AuthorizeRequest", request, "certificate", present())
    else:
        ctx.check(step, "AuthorizeRequest", request, "iso15118CertificateHashData", present())
    return request


async def _online(ctx: ChargerRun, *, central: bool, accepted: bool) -> None:
    if central:
        ctx.needs_feature("ISO-5")
    config = {
        **AUTH_ON,
        "ISO15118Ctrlr/CentralContractValidationAllowed": "true" if central else "false",
        "ISO15118Ctrlr/PnCEnabled": "true",
    }
    if accepted:
        config["ISO15118Ctrlr/ContractCertificateInstallationEnabled"] = "true"
        config["ISO15118Ctrlr/V2GCertificateInstallationEnabled"] = "true"
    await auth.configure_optional(
        ctx,
        config,
        required=("ISO15118Ctrlr/PnCEnabled", "ISO15118Ctrlr/CentralContractValidationAllowed"),
    )
    if not central:
        await _roots_installed(ctx)
    if accepted:
        _answer_contract(ctx, "Accepted", "Accepted")
    elif central:
        _answer_contract(ctx, "Invalid", "CertificateRevoked")
    else:
        _answer_contract(ctx, "Invalid", "ContractCancelled")
    since = ctx.mark()
    await _plug_in_pnc(ctx, step=None)
    await _contract_authorize(ctx, step=1, since=since, central=central)
    if accepted:
        event = await auth.transaction_event(
            ctx,
            step=3,
            since=since,
            what="a TransactionEvent with triggerReason Authorized",
            triggerReason="Authorized",
        )
        ctx.check(3, "TransactionEventRequest", event, "triggerReason", "Authorized")
        await auth.charging(ctx, step=5, since=since)
    else:
        await auth.refused(ctx, step=2, since=since, why="the CSMS refused the contract")


@scenario("TC_C_50_CS", physical=PHYSICAL)
async def pnc_local_validation_accepted(ctx: ChargerRun) -> None:
    await _online(ctx, central=False, accepted=True)


@scenario("TC_C_51_CS", physical=PHYSICAL)
async def pnc_local_validation_rejected(ctx: ChargerRun) -> None:
    await _online(ctx, central=False, accepted=False)


@scenario("TC_C_52_CS", physical=PHYSICAL)
async def pnc_central_validation_accepted(ctx: ChargerRun) -> None:
    await _online(ctx, central=True, accepted=True)


@scenario("TC_C_53_CS", physical=PHYSICAL)
async def pnc_central_validation_fails(ctx: ChargerRun) -> None:
    await _online(ctx, central=True, accepted=False)


async def _offline(ctx: ChargerRun, *, validate_offline: bool) -> None:
    """C07.FR.10/11 (ContractValidationOffline): offline the station validates the
    contract itself, or does not start."""
    wait = ctx.settings.retry_interval
    await auth.configure_optional(
        ctx,
        {
            "AuthCtrlr/Enabled": "true",
            "AuthCtrlr/OfflineTxForUnknownIdEnabled": "true",
            "OCPPCommCtrlr/RetryBackOffWaitMinimum": str(wait),
            "OCPPCommCtrlr/RetryBackOffRandomRange": "0",
            "OCPPCommCtrlr/OfflineThreshold": str(wait + 60),
            "ISO15118Ctrlr/ContractValidationOffline": "true" if validate_offline else "false",
            "ISO15118Ctrlr/PnCEnabled": "true",
        },
        required=("ISO15118Ctrlr/PnCEnabled", "ISO15118Ctrlr/ContractValidationOffline"),
    )
    await _roots_installed(ctx)
    starts = await auth.tx_points(ctx)
    _answer_contract(ctx, "Accepted", "Accepted")
    await auth.offline(ctx, step=1)
    await _plug_in_pnc(ctx, step=None)
    await auth.while_offline(ctx)
    since = ctx.mark()
    await auth.online(ctx, step=2)
    await v201.connector_status(ctx, "Occupied", since=since, step=3)
    if starts & {"EVConnected", "ParkingBayOccupancy"}:
        plugged = await auth.transaction_event(
            ctx,
            step=5,
            since=since,
            what="the queued TransactionEvent CablePluggedIn",
            triggerReason="CablePluggedIn",
        )
        ctx.check(
            5, "TransactionEventRequest", plugged, "transactionInfo.chargingState", "EVConnected"
        )
        ctx.check(5, "TransactionEventRequest", plugged, "offline", True)
    if not validate_offline:
        await ctx.no_station_request(
            "TransactionEvent",
            step=7,
            since=since,
            match=lambda p: (
                p.get("triggerReason") in ("Authorized", "ChargingStateChanged")
                or (p.get("transactionInfo") or {}).get("chargingState") == "Charging"
            ),
            why="ContractValidationOffline is false",
        )
        return
    event = await auth.transaction_event(
        ctx,
        step=7,
        since=since,
        what="the queued TransactionEvent with triggerReason Authorized",
        triggerReason="Authorized",
    )
    ctx.check(7, "TransactionEventRequest", event, "offline", True)
    await auth.charging(ctx, step=9, since=since)


@scenario("TC_C_54_CS", physical=PHYSICAL)
async def pnc_offline_validation(ctx: ChargerRun) -> None:
    await _offline(ctx, validate_offline=True)


@scenario("TC_C_55_CS", physical=PHYSICAL)
async def pnc_offline_no_validation(ctx: ChargerRun) -> None:
    await _offline(ctx, validate_offline=False)
