"""2.0.1 Plug and Charge: an ISO 15118 EV's contract authorizes the transaction (C07)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bench.conformance.material_lm import root_certificate
from bench.csms.server import CentralSystem
from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from bench.ocpp.v201.charge_point import ChargePoint201
from tests.e2e.conftest import wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

PNC = {"ISO15118Ctrlr.PnCEnabled": "true"}


async def install_mo_root(cp: ChargePoint201) -> None:
    now = dt.datetime.now(dt.UTC)
    pem = root_certificate("MORootCertificate", now).pem
    reply = await cp.security.certificates.install_certificate(
        {"certificateType": "MORootCertificate", "certificate": pem}
    )
    assert reply["status"] == "Accepted"


def plug_pnc_ev(cp: ChargePoint201) -> None:
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev")))


def emaid_requests(cp: ChargePoint201) -> list[dict[str, Any]]:
    return [r for r in request(cp, "Authorize") if r["idToken"]["type"] == "eMAID"]


async def test_a_contract_the_station_can_check_is_authorized_with_its_ocsp_data(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C07.FR.01/02: online, the eMAID goes out with the OCSP data of the contract chain."""
    cp = await make_cp201(csms.url, "PNC1", variables=PNC)
    await install_mo_root(cp)
    plug_pnc_ev(cp)
    await wait_until(lambda: emaid_requests(cp), what="the AuthorizeRequest for the contract")
    [sent] = emaid_requests(cp)
    assert sent["idToken"]["idToken"] == cp.pnc.contracts[1].emaid
    [leaf, sub_ca] = sent["iso15118CertificateHashData"]
    assert leaf["serialNumber"] == format(cp.pnc.contracts[1].certificate.serial_number, "x")
    assert {"hashAlgorithm", "issuerNameHash", "issuerKeyHash", "responderURL"} <= set(sub_ca)
    assert "certificate" not in sent


async def test_without_an_mo_root_the_chain_goes_to_the_csms_when_central_validation_is_allowed(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C07.FR.06: the station cannot check the contract itself: the chain in PEM."""
    variables = {**PNC, "ISO15118Ctrlr.CentralContractValidationAllowed": "true"}
    cp = await make_cp201(csms.url, "PNC2", variables=variables)
    plug_pnc_ev(cp)
    await wait_until(lambda: emaid_requests(cp), what="the AuthorizeRequest for the contract")
    [sent] = emaid_requests(cp)
    assert sent["certificate"].count("BEGIN CERTIFICATE") == 2
    assert "iso15118CertificateHashData" not in sent


async def test_a_contract_nobody_can_check_is_not_offered(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C07.FR.06 precondition: no MO root and no central validation: no eMAID request."""
    cp = await make_cp201(csms.url, "PNC3", variables=PNC)
    plug_pnc_ev(cp)
    await wait_until(lambda: 1 in cp.pnc.contracts, what="the EV's contract")
    await cp.pnc.authorize(1)  # once more, awaited to its end
    assert emaid_requests(cp) == []


async def test_offline_a_contract_charges_only_when_contract_validation_offline_is_on(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C07.FR.07: offline with ContractValidationOffline false no charging; C07.FR.08/12:
    with it true, the checked contract counts as an unknown id allowed offline."""
    variables = {**PNC, "AuthCtrlr.OfflineTxForUnknownIdEnabled": "true"}
    refused = await make_cp201(csms.url, "PNC4", variables=variables)
    await install_mo_root(refused)
    refused.cut_network()
    await wait_until(lambda: not refused.accepted, what="the station offline")
    plug_pnc_ev(refused)
    await wait_until(lambda: 1 in refused.pnc.contracts, what="the EV's contract")
    await refused.pnc.authorize(1)  # once more, awaited to its end
    assert refused.transactions.active(1) is None

    allowed = await make_cp201(
        csms.url, "PNC5", variables={**variables, "ISO15118Ctrlr.ContractValidationOffline": "true"}
    )
    await install_mo_root(allowed)
    allowed.cut_network()
    await wait_until(lambda: not allowed.accepted, what="the station offline")
    plug_pnc_ev(allowed)
    await wait_until(lambda: allowed.transactions.active(1) is not None, what="the transaction")


async def test_without_pnc_enabled_the_ev_authorizes_nothing(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C07 needs ISO15118Ctrlr.PnCEnabled: off, the EV waits for a token."""
    cp = await make_cp201(csms.url, "PNC6", variables={"ISO15118Ctrlr.PnCEnabled": "false"})
    await install_mo_root(cp)
    plug_pnc_ev(cp)
    await wait_until(lambda: request(cp, "NotifyEVChargingNeeds"), what="the charging needs")
    assert emaid_requests(cp) == [] and cp.pnc.contracts == {}
