"""Certificates of a 2.0.1 station over a loopback CSMS (A02, A03, M01-M06).

The built-in CSMS is a small CA (``bench.csms.certificates``): its root is what
the station installs as CSMSRootCertificate (and V2GRootCertificate), and it
signs the station's CSRs.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from bench.ocpp.common.certificates import hash_data
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.firmware_support import make_signer
from tests.e2e.v201.sec_support import security_event, stored


async def install(csms, certificate_type: str, pem: str) -> str:
    reply = await csms.call(
        "CS1", "InstallCertificate", {"certificateType": certificate_type, "certificate": pem}
    )
    return reply["status"]


async def installed(csms, *types: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"certificateType": list(types)} if types else {}
    return await csms.call("CS1", "GetInstalledCertificateIds", payload)


async def trigger(csms, message: str) -> str:
    reply = await csms.call("CS1", "TriggerMessage", {"requestedMessage": message})
    return reply["status"]


async def test_ca_certificates_are_installed_listed_and_deleted(csms, make_cp201) -> None:
    """M05.FR.02 Accepted, M05.FR.07 an invalid certificate Rejected; M03.FR.03/04 hash data
    per type, M03.FR.02 NotFound; M04.FR.02 deleted, M04.FR.04 NotFound afterwards."""
    cp = await make_cp201(csms.url)
    assert (
        await install(csms, "CSMSRootCertificate", csms.config.certificate_authority.root_pem)
        == "Accepted"
    )
    assert await install(csms, "V2GRootCertificate", make_signer().root_pem) == "Accepted"
    assert await install(csms, "MORootCertificate", "not a certificate") == "Rejected"
    assert cp.variable("SecurityCtrlr", "CertificateEntries") == "2"
    everything = await installed(csms)
    assert everything["status"] == "Accepted"
    types = sorted(c["certificateType"] for c in everything["certificateHashDataChain"])
    assert types == ["CSMSRootCertificate", "V2GRootCertificate"]
    v2g = (await installed(csms, "V2GRootCertificate"))["certificateHashDataChain"]
    assert len(v2g) == 1
    ids = v2g[0]["certificateHashData"]
    assert ids["hashAlgorithm"] == "SHA256" and len(ids["issuerNameHash"]) == 64
    assert (await installed(csms, "MORootCertificate"))["status"] == "NotFound"
    delete = {"certificateHashData": ids}
    assert (await csms.call("CS1", "DeleteCertificate", delete))["status"] == "Accepted"
    assert (await csms.call("CS1", "DeleteCertificate", delete))["status"] == "NotFound"
    remaining = [c["certificateType"] for c in (await installed(csms))["certificateHashDataChain"]]
    assert remaining == ["CSMSRootCertificate"]
    assert cp.variable("SecurityCtrlr", "CertificateEntries") == "1"
    await security_event(csms, "ReconfigurationOfSecurityParameters")


async def test_a_triggered_signing_installs_the_certificate_the_csms_ca_signed(
    csms, make_cp201
) -> None:
    """A02: TriggerMessage(SignChargingStationCertificate) -> SignCertificate with a PEM CSR
    for a fresh key (A02.FR.02/03, CN = identity, O = OrganizationName, certificateType set,
    A02.FR.13) -> the CA signs -> CertificateSigned verified and installed (A02.FR.06);
    the station's own certificate cannot be deleted (M04.FR.06)."""
    cp = await make_cp201(csms.url)
    assert await install(csms, "CSMSRootCertificate", csms.config.certificate_authority.root_pem)
    assert await trigger(csms, "SignChargingStationCertificate") == "Accepted"
    signed = await wait_until(lambda: stored(csms, "CertificateSigned"), WAIT, "CertificateSigned")
    assert signed[0]["status"] == "Accepted"
    request = stored(csms, "SignCertificate")[0]
    assert request["certificateType"] == "ChargingStationCertificate"
    csr = x509.load_pem_x509_csr(request["csr"].encode())
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CS1"
    org = cp.variable("SecurityCtrlr", "OrganizationName")
    assert csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == org
    creds = cp.security.certificates.store.client_credentials(cp.clock.now())
    assert creds is not None and "PRIVATE KEY" not in request["csr"]  # A02.FR.05
    leaf = csms.config.certificate_authority.issued[-1]
    own = hash_data(leaf, csms.config.certificate_authority.cert)
    reply = await csms.call("CS1", "DeleteCertificate", {"certificateHashData": own})
    assert reply["status"] == "Failed"


async def test_an_invalid_signed_certificate_is_rejected_and_reported(csms, make_cp201) -> None:
    """A02.FR.07: a certificate that is not for the pending key, or garbage, is Rejected and
    raises InvalidChargingStationCertificate; A02.FR.16: a chain over MaxCertificateChainSize
    is Rejected."""
    cp = await make_cp201(csms.url)
    ca = csms.config.certificate_authority
    reply = await csms.call("CS1", "CertificateSigned", {"certificateChain": ca.root_pem})
    assert reply["status"] == "Rejected"
    event = await security_event(csms, "InvalidChargingStationCertificate")
    assert "no signing request" in event["techInfo"]
    cp.set_own_variable("SecurityCtrlr", "MaxCertificateChainSize", "100")
    reply = await csms.call("CS1", "CertificateSigned", {"certificateChain": ca.root_pem})
    assert reply["status"] == "Rejected"
    assert "MaxCertificateChainSize" in cp.security.security_log()[-1]["techInfo"]


async def test_a_v2g_certificate_is_signed_and_its_ocsp_status_fetched(csms, make_cp201) -> None:
    """A02 for the V2GCertificate (SignV2GCertificate, verified against the V2G root);
    M06.FR.07: the station then asks GetCertificateStatus and caches the CSMS's OCSP
    response, a DER OCSPResponse saying good (M06.FR.03/08/09); M03.FR.05: it is listed as
    V2GCertificateChain."""
    cp = await make_cp201(csms.url)
    ca = csms.config.certificate_authority
    assert await install(csms, "V2GRootCertificate", ca.root_pem) == "Accepted"
    assert await trigger(csms, "SignV2GCertificate") == "Accepted"
    await wait_until(lambda: stored(csms, "GetCertificateStatus"), WAIT, "GetCertificateStatus")
    assert stored(csms, "SignCertificate")[0]["certificateType"] == "V2GCertificate"
    assert stored(csms, "CertificateSigned")[0]["status"] == "Accepted"
    leaf = ca.issued[-1]
    serial = format(leaf.serial_number, "x")
    cache = await wait_until(lambda: cp.security.certificates.ocsp_cache().get(serial), WAIT)
    response = ocsp.load_der_ocsp_response(base64.b64decode(cache["ocspResult"]))
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == leaf.serial_number
    chains = (await installed(csms, "V2GCertificateChain"))["certificateHashDataChain"]
    assert [c["certificateHashData"]["serialNumber"] for c in chains] == [serial]


async def test_signing_is_repeated_with_back_off_while_no_certificate_arrives(
    make_csms, make_cp201
) -> None:
    """A02.FR.17-19: the CSMS accepts but never sends CertificateSigned; the station sends
    SignCertificate again after CertSigningWaitMinimum, doubling, CertSigningRepeatTimes times."""

    class SilentCa:
        def on_sign_certificate(self, *args: Any) -> dict[str, str]:
            return {"status": "Accepted"}

        def attach(self, csms: Any) -> None:
            csms.config.certificate_authority = self

        async def wait_idle(self, timeout: float = 10.0) -> None:
            return None

    csms = await make_csms(certificate_authority=SilentCa())
    cp = await make_cp201(
        csms.url,
        variables={
            "SecurityCtrlr.CertSigningWaitMinimum": "30",
            "SecurityCtrlr.CertSigningRepeatTimes": "2",
        },
    )
    assert await trigger(csms, "SignChargingStationCertificate") == "Accepted"
    await wait_until(lambda: len(stored(csms, "SignCertificate")) == 3, WAIT, "two repeats")
    csrs = [p["csr"] for p in stored(csms, "SignCertificate")]
    assert len(set(csrs)) == 3  # a new key pair each time (A02.FR.17 allows it)
    # A02.FR.19: no timer is left for a third repeat; only a new trigger starts over.
    key = "cert-sign-ChargingStationCertificate"
    await wait_until(lambda: not cp.tasks.has_timer(key), WAIT, "the repeats to stop")
    assert len(stored(csms, "SignCertificate")) == 3


async def test_an_ev_certificate_request_is_forwarded_to_the_csms(csms, make_cp201) -> None:
    """M01.FR.01: an ISO 15118 CertificateInstallationReq goes to the CSMS as
    Get15118EVCertificate(action Install); the answer is handed back to the caller."""
    cp = await make_cp201(
        csms.url, variables={"ISO15118Ctrlr.ContractCertificateInstallationEnabled": "true"}
    )
    exi = base64.b64encode(b"\x80\x01EXI stream of the EV").decode()
    reply = await cp.security.certificates.request_ev_certificate(
        "urn:iso:15118:2:2013:MsgDef", "Install", exi
    )
    assert reply["status"] == "Accepted"
    receipt = json.loads(base64.b64decode(reply["exiResponse"]))
    assert receipt["action"] == "Install"
    assert stored(csms, "Get15118EVCertificate")[0]["exiRequest"] == exi
