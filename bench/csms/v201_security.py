"""Station-initiated 2.0.1 messages of blocks A, M, L and N (logs, customer data) on the CSMS side.

Everything that arrives is stored as an event (``ctx.store.add_event``) under its
action name, so tests, the console and the GUI can read it back; the answers:

- SecurityEventNotification (A04.FR.03): an empty confirmation.
- SignCertificate (A02/A03): the CSMS's certificate authority
  (``bench.csms.certificates``) checks and signs the CSR and sends
  CertificateSigned after the reply, with the requested certificateType
  (A02.FR.14); without a CA it is Rejected (A02.FR.12).
- GetCertificateStatus (M06): the CA answers as the OCSP responder for the
  certificates it issued and its own: a DER OCSPResponse, Base64 (M06.FR.03/08/09);
  a certificate it does not know, or no CA, is Failed (M06.FR.04).
- Get15118EVCertificate (M01/M02): the bench has no contract-certificate pool
  and no EXI codec. It checks the request is Base64 and answers Accepted with a
  Base64 receipt (not an ISO 15118 EXI stream) naming the action and the
  SHA-256 of the request, or Failed for a request that is not Base64.
- FirmwareStatusNotification, PublishFirmwareStatusNotification,
  LogStatusNotification, NotifyCustomerInformation: stored, empty replies; the
  firmware status is also kept on the station's state (``firmware_status``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from bench.csms.context import StationContext
from bench.ocpp.session import Handler

_HASHES = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}
OCSP_VALIDITY = dt.timedelta(days=7)  # nextUpdate: the station refreshes weekly (M06.FR.10)


def handlers(ctx: StationContext) -> dict[str, Handler]:
    state = ctx.state
    sid = ctx.station_id

    def event(kind: str, payload: dict[str, Any]) -> None:
        ctx.store.add_event(sid, ctx.now_iso(), kind, payload)

    def stored(kind: str) -> Handler:
        async def handle(p: dict[str, Any]) -> dict[str, Any]:
            event(kind, p)
            return {}

        return handle

    async def firmware_status(p: dict[str, Any]) -> dict[str, Any]:
        state.firmware_status = p["status"]
        event("FirmwareStatusNotification", p)
        return {}

    async def sign_certificate(p: dict[str, Any]) -> Any:
        event("SignCertificate", p)
        ca = ctx.config.certificate_authority
        if not ca:  # None before start, False when configured without a CA
            return {"status": "Rejected"}
        return ca.on_sign_certificate(sid, p["csr"], ctx.now(), p.get("certificateType"))

    async def get_certificate_status(p: dict[str, Any]) -> dict[str, Any]:
        event("GetCertificateStatus", p)
        ca = ctx.config.certificate_authority
        if not ca:
            return {"status": "Failed"}
        der = ocsp_response(ca, p["ocspRequestData"], ctx.now())
        if der is None:
            return {"status": "Failed"}  # M06.FR.04
        return {"status": "Accepted", "ocspResult": base64.b64encode(der).decode()}

    async def get_15118_ev_certificate(p: dict[str, Any]) -> dict[str, Any]:
        event("Get15118EVCertificate", p)
        try:
            raw = base64.b64decode(p["exiRequest"], validate=True)
        except (binascii.Error, ValueError):
            return {"status": "Failed", "exiResponse": ""}
        receipt = {
            "action": p["action"],
            "iso15118SchemaVersion": p["iso15118SchemaVersion"],
            "requestSha256": hashlib.sha256(raw).hexdigest(),
        }
        encoded = base64.b64encode(json.dumps(receipt).encode()).decode()
        return {"status": "Accepted", "exiResponse": encoded}

    return {
        "SecurityEventNotification": stored("SecurityEventNotification"),
        "SignCertificate": sign_certificate,
        "GetCertificateStatus": get_certificate_status,
        "Get15118EVCertificate": get_15118_ev_certificate,
        "FirmwareStatusNotification": firmware_status,
        "PublishFirmwareStatusNotification": stored("PublishFirmwareStatusNotification"),
        "LogStatusNotification": stored("LogStatusNotification"),
        "NotifyCustomerInformation": stored("NotifyCustomerInformation"),
    }


def ocsp_response(ca: Any, request: dict[str, Any], now: dt.datetime) -> bytes | None:
    """A signed OCSPResponse (RFC 6960, DER) for the certificate ``request`` names, or None.

    The CA answers for itself and for every certificate it issued; the status is
    good (the bench's CA revokes nothing).
    """
    algorithm = request["hashAlgorithm"]
    digest = _HASHES.get(algorithm)
    if digest is None:
        return None
    serial = request["serialNumber"].lower().lstrip("0")
    issuer_name_hash = digest(ca.cert.subject.public_bytes()).hexdigest()
    if request["issuerNameHash"].lower() != issuer_name_hash:
        return None
    known: list[x509.Certificate] = [ca.cert, *ca.issued]
    cert = next((c for c in known if format(c.serial_number, "x") == serial), None)
    if cert is None:
        return None
    hash_cls: dict[str, type[hashes.HashAlgorithm]] = {
        "SHA256": hashes.SHA256,
        "SHA384": hashes.SHA384,
        "SHA512": hashes.SHA512,
    }
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=cert,
            issuer=ca.cert,
            algorithm=hash_cls[algorithm](),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + OCSP_VALIDITY,
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, ca.cert)
    )
    response = builder.sign(ca.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)
