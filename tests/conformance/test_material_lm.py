"""The test data of the block L and M cases: the OCSP responder of the configured V2G
chain (M06) and the EXI check of the ISO 15118 answers (M01/M02)."""

from __future__ import annotations

import base64

import aiohttp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from bench.conformance.material_lm import exi_base64, is_exi_stream, ocsp_response_for, v2g_pki
from bench.model.clock import SystemClock
from bench.ocpp.common.certificates import hash_data


def _request_for(data: dict[str, str]) -> bytes:
    """An OCSP request built from the station's ocspRequestData, as a relaying CSMS does."""
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        bytes.fromhex(data["issuerNameHash"]),
        bytes.fromhex(data["issuerKeyHash"]),
        int(data["serialNumber"], 16),
        hashes.SHA256(),
    )
    return builder.build().public_bytes(serialization.Encoding.DER)


async def test_the_ocsp_responder_vouches_for_each_sub_ca_of_the_configured_chain() -> None:
    """M06.FR.02/03/08/09: a CSMS that posts the request to the responderURL gets a DER
    OCSPResponse for that certificate, which the TC_M_24_CSMS check accepts."""
    clock = SystemClock()
    async with v2g_pki(clock.now) as (pki, responder), aiohttp.ClientSession() as http:
        for sub, issuer in pki.sub_cas:
            data = hash_data(sub.cert, issuer.cert)
            async with http.post(
                responder.url,
                data=_request_for(data),
                headers={"Content-Type": "application/ocsp-request"},
            ) as reply:
                assert reply.status == 200
                body = await reply.read()
            result = base64.b64encode(body).decode()
            assert ocsp_response_for(sub.serial)(result)
            assert not ocsp_response_for(pki.root.serial)(result)  # it names the sub-CA
        assert responder.requests == 2


async def test_the_ocsp_responder_refuses_a_certificate_it_does_not_know() -> None:
    clock = SystemClock()
    async with v2g_pki(clock.now) as (pki, responder), aiohttp.ClientSession() as http:
        data = hash_data(pki.sub1.cert, pki.root.cert)
        data["serialNumber"] = "1234"
        async with http.post(responder.url, data=_request_for(data)) as reply:
            body = await reply.read()
    assert ocsp.load_der_ocsp_response(body).response_status == (
        ocsp.OCSPResponseStatus.UNAUTHORIZED
    )
    assert not ocsp_response_for("1234")(base64.b64encode(body).decode())


def test_an_exi_stream_is_told_from_other_bytes_by_its_header() -> None:
    """W3C EXI §5: an optional "$EXI" cookie, then the distinguishing bits 10."""
    assert is_exi_stream(b"\x80\x98\x02\x10")  # an ISO 15118-2 V2G_Message header
    assert is_exi_stream(b"$EXI\x80\x00")
    assert not is_exi_stream(b'{"action": "Install"}')
    assert not is_exi_stream(b"")
    assert exi_base64("CertificateInstallationRes")(base64.b64encode(b"\x80\x98").decode())
    assert not exi_base64("CertificateInstallationRes")("not base64!")
