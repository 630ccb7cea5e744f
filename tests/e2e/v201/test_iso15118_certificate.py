"""An ISO 15118 EV asks for a contract certificate through the station (M01)."""

from __future__ import annotations

import base64

from bench.csms.server import CentralSystem
from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from tests.e2e.conftest import wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

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
