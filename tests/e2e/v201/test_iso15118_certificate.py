"""An ISO 15118 EV asks for a contract certificate through the station (M01, M02),
then offers it for Plug and Charge (C07)."""

from __future__ import annotations

import base64

import pytest

from bench.csms.server import CentralSystem
from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from bench.ocpp.v201.charge_point import ChargePoint201
from tests.e2e.conftest import RawCsms, frame_list, wait_until
from tests.e2e.v201.conftest import CANNED_201, Cp201Factory, request
from tests.e2e.v201.test_plug_and_charge import emaid_requests, install_mo_root

INSTALL = {"ISO15118Ctrlr.ContractCertificateInstallationEnabled": "true"}


async def test_an_iso15118_ev_installs_its_contract_certificate_before_stating_its_needs(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """M01.FR.01: the EV's CertificateInstallationReq goes to the CSMS in
    Get15118EVCertificateRequest (action Install); then the charging needs follow (K15)."""
    cp = await make_cp201(csms.url, "ISO1", variables=INSTALL)
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev")))
    await wait_until(lambda: request(cp, "NotifyEVChargingNeeds"), what="the charging needs")
    [asked] = request(cp, "Get15118EVCertificate")
    assert asked["action"] == "Install"
    assert asked["iso15118SchemaVersion"] == "urn:iso:15118:2:2013:MsgDef"
    assert b"CertificateInstallationReq|ISO1|EVSE 1" in base64.b64decode(asked["exiRequest"])
    assert cp.smart.iso15118.contract_status(1) == "Accepted"
    calls = [r.action for r in cp.session.sink.sent("CALL")]  # type: ignore[union-attr]
    assert calls.index("Get15118EVCertificate") < calls.index("NotifyEVChargingNeeds")


async def test_without_installation_enabled_the_ev_goes_straight_to_its_needs(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """ContractCertificateInstallationEnabled false: no Get15118EVCertificate (M01 precondition)."""
    cp = await make_cp201(csms.url, "ISO2")
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev")))
    await wait_until(lambda: request(cp, "NotifyEVChargingNeeds"), what="the charging needs")
    assert request(cp, "Get15118EVCertificate") == []
    assert cp.smart.iso15118.contract_status(1) is None


# ------------------------------------------------------------ the contract after the exchange
PNC_INSTALL = {**INSTALL, "ISO15118Ctrlr.PnCEnabled": "true"}


def _position(cp: ChargePoint201, direction: str, type_: str, action: str) -> int:
    """Where the first ``direction`` ``type_`` frame of ``action`` is in the station's log."""
    records = frame_list(cp).records
    for index, rec in enumerate(records):
        if (rec.direction, rec.type, rec.action) == (direction, type_, action):
            return index
    raise AssertionError(f"no {direction} {type_} {action} in the station's log")


async def test_after_an_accepted_installation_the_ev_authorizes_with_its_new_contract(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """M01.FR.01, then C07.FR.01/02 (TC_M_26_CS): the CSMS accepts the EV's
    CertificateInstallationReq; the EV then offers its new contract and the station
    sends the AuthorizeRequest for its eMAID, after the Get15118EVCertificateResponse."""
    cp = await make_cp201(csms.url, "ISO3", variables=PNC_INSTALL)
    await install_mo_root(cp)
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev")))
    await wait_until(lambda: emaid_requests(cp), what="the AuthorizeRequest for the contract")
    [asked] = request(cp, "Get15118EVCertificate")
    assert asked["action"] == "Install"
    [sent] = emaid_requests(cp)
    assert sent["idToken"]["idToken"] == cp.pnc.contracts[1].emaid
    assert sent["iso15118CertificateHashData"]
    answered = _position(cp, "rx", "CALLRESULT", "Get15118EVCertificate")
    assert answered < _position(cp, "tx", "CALL", "Authorize")


@pytest.mark.parametrize(
    ("template", "action"), [("iso15118-ev", "Install"), ("iso15118-ev-renewal", "Update")]
)
async def test_after_a_failed_certificate_exchange_the_ev_offers_no_contract(
    raw_csms201: RawCsms, make_cp201: Cp201Factory, template: str, action: str
) -> None:
    """M01/M02 error handling (TC_M_27_CS, TC_M_29_CS): the CSMS answers Failed; the EV
    gets no (new) contract, so no AuthorizeRequest for an eMAID follows, though Plug and
    Charge is enabled and the station could check a contract."""
    raw_csms201.canned = {
        **CANNED_201,
        "Get15118EVCertificate": lambda p, n: {"status": "Failed", "exiResponse": ""},
        "NotifyEVChargingNeeds": lambda p, n: {"status": "Accepted"},
    }
    cp = await make_cp201(raw_csms201.url, "ISO4", variables=PNC_INSTALL)
    await install_mo_root(cp)
    cp.station.connector(1).plug_in(Ev(load_ev_template(template)))
    # The needs go out once the exchange has ended (ISO 15118-2 order).
    await wait_until(lambda: request(cp, "NotifyEVChargingNeeds"), what="the charging needs")
    [asked] = request(cp, "Get15118EVCertificate")
    assert asked["action"] == action
    assert cp.smart.iso15118.contract_status(1) == "Failed"
    assert cp.pnc.contracts == {} and emaid_requests(cp) == []


async def test_an_ev_whose_contract_is_due_for_renewal_asks_to_update_it(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """M02.FR.01 (TC_M_28_CS): the EV's CertificateUpdateReq goes to the CSMS in
    Get15118EVCertificateRequest with action Update; the renewed contract is then
    authorized (C07.FR.01) and is valid for a year again."""
    cp = await make_cp201(csms.url, "ISO5", variables=PNC_INSTALL)
    await install_mo_root(cp)
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev-renewal")))
    await wait_until(lambda: emaid_requests(cp), what="the AuthorizeRequest for the contract")
    [asked] = request(cp, "Get15118EVCertificate")
    assert asked["action"] == "Update"
    assert b"CertificateUpdateReq|ISO5|EVSE 1" in base64.b64decode(asked["exiRequest"])
    assert _days_left(cp) > 300


async def test_without_installation_an_ev_due_for_renewal_uses_its_expiring_contract(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """ContractCertificateInstallationEnabled false (M02 precondition): no update is
    asked for; the EV authorizes with the contract it holds, which expires soon (C07)."""
    cp = await make_cp201(csms.url, "ISO6", variables={"ISO15118Ctrlr.PnCEnabled": "true"})
    await install_mo_root(cp)
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev-renewal")))
    await wait_until(lambda: emaid_requests(cp), what="the AuthorizeRequest for the contract")
    assert request(cp, "Get15118EVCertificate") == []
    assert _days_left(cp) < 30


async def test_an_ev_that_keeps_its_contract_asks_for_none_and_authorizes_at_once(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """An EV with a valid contract sends no CertificateInstallationReq even where the
    station offers installation: straight to C07.FR.01 (TC_C_50_CS's EV)."""
    cp = await make_cp201(csms.url, "ISO7", variables=PNC_INSTALL)
    await install_mo_root(cp)
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev-contract")))
    await wait_until(lambda: emaid_requests(cp), what="the AuthorizeRequest for the contract")
    await wait_until(lambda: request(cp, "NotifyEVChargingNeeds"), what="the charging needs")
    assert request(cp, "Get15118EVCertificate") == []


def _days_left(cp: ChargePoint201) -> float:
    certificate = cp.pnc.contracts[1].certificate
    left = certificate.not_valid_after_utc - cp.clock.now()
    return left.total_seconds() / 86_400
