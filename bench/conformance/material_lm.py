"""The "configured" test data of the 2.0.1 CSMS cases of blocks L and M, made per case.

OCTT keeps a firmware location, a signing certificate and signature, root
certificates of each type and a V2G certificate chain in its configuration, and
runs an OCSP service (TC_C_50_CSMS names "the OCTT OCSP service"). The bench
makes them for each case:

- ``CaseFiles``: an HTTP file server on 127.0.0.1 for the length of a case. The
  station downloads firmware from it for real; ``hold`` keeps the first download
  of a file waiting (an update still Downloading when the CSMS sends the next).
- ``firmware_kit``: a firmware file in the bench's format (``bench.firmware_image``),
  served, with a Firmware Signing certificate and the signature of the file
  (L01.FR.04: SHA-256 over the whole file), and the file's MD5 (PublishFirmware's
  checksum, L03).
- ``root_certificate``: a self-signed CA certificate for InstallCertificate (M05).
- ``V2gPki`` with ``OcspResponder``: a V2G root, two sub-CAs whose Authority
  Information Access names the bench's OCSP responder, so a CSMS can fetch their
  status (M06) from the responderURL the station sends.

The CSMS under test is told to send these values (the manual action's request);
it never needs to reach the file server itself, only the OCSP responder for M06.
Keys are ECDSA P-256 (A00.FR.503), quick to make.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from bench.conformance.expect import Expectation, satisfies
from bench.csms.files import FileServer
from bench.firmware_image import sign_firmware

log = logging.getLogger(__name__)

NEW_VERSION = "2.0.1-conformance"  # what a successful update installs
OCSP_VALIDITY = dt.timedelta(days=7)


# --------------------------------------------------------------------------- files
class CaseFiles(FileServer):
    """The case's file server; ``hold(path)`` keeps the next GET of ``path`` waiting."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self._held: dict[str, int] = {}
        self._release = asyncio.Event()

    def hold(self, path: str, times: int = 1) -> None:
        """The next ``times`` downloads of ``path`` wait until ``release()``."""
        self._held[path.lstrip("/")] = self._held.get(path.lstrip("/"), 0) + times

    def release(self) -> None:
        self._release.set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        if request.method == "GET" and self._held.get(path, 0) > 0:
            self._held[path] -= 1
            await self._release.wait()
        return await super()._handle(request)

    async def stop(self) -> None:
        self.release()  # a held download ends before the server does
        await super().stop()


@asynccontextmanager
async def case_files() -> AsyncIterator[CaseFiles]:
    """A file server on 127.0.0.1 over a temporary folder, for the length of a case."""
    with tempfile.TemporaryDirectory(prefix="bench-case-files-") as folder:
        server = CaseFiles(folder)
        async with server:
            yield server


def firmware_file(version: str = NEW_VERSION, **flags: Any) -> bytes:
    """A firmware image the bench's station installs as ``version`` (see firmware_image)."""
    return json.dumps({"version": version, "notes": "OCPP Bench conformance", **flags}).encode()


# --------------------------------------------------------------------------- certificates
@dataclass(frozen=True, slots=True)
class Credential:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def serial(self) -> str:
        return format(self.cert.serial_number, "x")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OCPP Bench conformance"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue(
    common_name: str,
    now: dt.datetime,
    *,
    issuer: Credential | None = None,
    ca: bool = True,
    valid_from: dt.timedelta = -dt.timedelta(hours=1),
    days: float = 30,
    ocsp_url: str | None = None,
) -> Credential:
    """A certificate for ``common_name``: self-signed without ``issuer``."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = now + valid_from
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer is not None else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if ocsp_url is not None:
        access = x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    signer = issuer.key if issuer is not None else key
    return Credential(builder.sign(signer, hashes.SHA256()), key)


def root_certificate(certificate_type: str, now: dt.datetime) -> Credential:
    """<The configured certificate> of an InstallCertificateUseEnumType (M05)."""
    return issue(f"OCPP Bench {certificate_type}", now)


def same_certificate(pem: str) -> Expectation:
    """The field holds ``pem``'s certificate (its DER; PEM line breaks may differ)."""
    want = x509.load_pem_x509_certificate(pem.encode())
    subject = want.subject.rfc4514_string()

    def test(value: Any) -> bool:
        return isinstance(value, str) and x509.load_pem_x509_certificate(
            value.encode()
        ).public_bytes(serialization.Encoding.DER) == want.public_bytes(serialization.Encoding.DER)

    return satisfies(test, f"the configured certificate ({subject}, serial {want.serial_number:x})")


def same_base64(text: str) -> Expectation:
    """The field holds the bytes ``text`` encodes (Base64 spelled with any line breaks)."""
    want = base64.b64decode(text)

    def test(value: Any) -> bool:
        return isinstance(value, str) and base64.b64decode("".join(value.split())) == want

    return satisfies(test, f"the configured value {text[:24]}...")


# --------------------------------------------------------------------------- firmware
@dataclass(frozen=True, slots=True)
class FirmwareKit:
    """<Configured firmware_location>, <Configured signingCertificate>, <Configured signature>."""

    path: str
    location: str
    data: bytes  # the file as signed
    signing: Credential
    signature: str
    checksum: str  # MD5 of the file, hex (PublishFirmware, L03)


def firmware_kit(
    files: CaseFiles,
    now: dt.datetime,
    *,
    image: bytes | None = None,
    served: bytes | None = None,
    publish: bool = True,
    expired_certificate: bool = False,
) -> FirmwareKit:
    """Sign ``image`` (a good firmware file by default) and serve it.

    ``served``: other bytes served in its place (a file changed after it was signed);
    ``publish=False``: nothing is served at the location (the download fails);
    ``expired_certificate``: the signing certificate's validity ended yesterday.
    """
    data = image if image is not None else firmware_file()
    if expired_certificate:
        signing = issue(
            "OCPP Bench firmware signing", now, ca=False, valid_from=-dt.timedelta(days=31)
        )
    else:
        signing = issue("OCPP Bench firmware signing", now, ca=False)
    path = f"firmware/fw-{NEW_VERSION}.json"
    if publish:
        location = files.publish(path, served if served is not None else data)
    else:
        location = files.url_for(path)
    checksum = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return FirmwareKit(path, location, data, signing, sign_firmware(data, signing.key), checksum)


# --------------------------------------------------------------------------- OCSP (M06)
class OcspResponder:
    """An OCSP responder (RFC 6960 over HTTP, POST or GET) on 127.0.0.1 for the case's PKI.

    It answers "good" for every certificate it was given with its issuer, signed by
    the issuer; for any other certificate "unauthorized".
    """

    def __init__(self, clock_now: Any) -> None:
        self._now = clock_now
        self._known: dict[int, tuple[x509.Certificate, Credential]] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.requests = 0

    def add(self, cert: x509.Certificate, issuer: Credential) -> None:
        self._known[cert.serial_number] = (cert, issuer)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/ocsp", self._post)
        app.router.add_get("/ocsp/{request:.*}", self._get)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}/ocsp"
        return self.url

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        return self._answer(await request.read())

    async def _get(self, request: web.Request) -> web.Response:
        try:
            der = base64.b64decode(request.match_info["request"])
        except (binascii.Error, ValueError):
            return web.Response(status=400, text="not a Base64 OCSP request\n")
        return self._answer(der)

    def _answer(self, der: bytes) -> web.Response:
        self.requests += 1
        try:
            asked = ocsp.load_der_ocsp_request(der)
        except ValueError:
            body = ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST
            ).public_bytes(serialization.Encoding.DER)
            return web.Response(body=body, content_type="application/ocsp-response")
        return web.Response(body=self.response_for(asked), content_type="application/ocsp-response")

    def response_for(self, asked: ocsp.OCSPRequest) -> bytes:
        known = self._known.get(asked.serial_number)
        if known is None:
            unknown = ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            )
            return unknown.public_bytes(serialization.Encoding.DER)
        cert, issuer = known
        now: dt.datetime = self._now()
        response = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=cert,
                issuer=issuer.cert,
                algorithm=asked.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.GOOD,
                this_update=now,
                next_update=now + OCSP_VALIDITY,
                revocation_time=None,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
            .sign(issuer.key, hashes.SHA256())
        )
        return response.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True, slots=True)
class V2gChain:
    """<Configured (V2G) certificate chain>: a root, two sub-CAs, the station's V2G certificate."""

    root: Credential
    sub1: Credential
    sub2: Credential
    leaf: Credential

    @property
    def chain(self) -> tuple[Credential, ...]:
        """Leaf first, each certificate followed by its issuer, the root last."""
        return (self.leaf, self.sub2, self.sub1, self.root)

    @property
    def sub_cas(self) -> tuple[tuple[Credential, Credential], ...]:
        """(sub-CA, its issuer) for each sub-CA, the one below the root first."""
        return ((self.sub1, self.root), (self.sub2, self.sub1))


def v2g_chain(now: dt.datetime, ocsp_url: str | None = None) -> V2gChain:
    """A V2G chain whose sub-CAs and leaf name ``ocsp_url`` as their OCSP responder."""
    root = issue("OCPP Bench V2G Root", now, days=365)
    sub1 = issue("OCPP Bench CPO Sub-CA 1", now, issuer=root, ocsp_url=ocsp_url)
    sub2 = issue("OCPP Bench CPO Sub-CA 2", now, issuer=sub1, ocsp_url=ocsp_url)
    leaf = issue("OCPP Bench station V2G", now, issuer=sub2, ca=False, ocsp_url=ocsp_url)
    return V2gChain(root, sub1, sub2, leaf)


@asynccontextmanager
async def v2g_pki(now: Any) -> AsyncIterator[tuple[V2gChain, OcspResponder]]:
    """A V2G chain and the OCSP responder its certificates name (``now``: the clock's now)."""
    responder = OcspResponder(now)
    url = await responder.start()
    try:
        pki = v2g_chain(now(), url)
        for cert, issuer in pairwise(pki.chain):
            responder.add(cert.cert, issuer)
        yield pki, responder
    finally:
        await responder.stop()


def ocsp_response_for(serial_hex: str) -> Expectation:
    """Base64 of a DER OCSPResponse (RFC 6960) that answers for the certificate ``serial_hex``."""
    serial = int(serial_hex, 16)

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        response = ocsp.load_der_ocsp_response(base64.b64decode(value, validate=True))
        return (
            response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
            and response.serial_number == serial
        )

    return satisfies(
        test, f"Base64 of a DER OCSPResponse (RFC 6960), successful, for serial {serial_hex}"
    )


# --------------------------------------------------------------------------- ISO 15118 (M01/M02)
def is_exi_stream(data: bytes) -> bool:
    """An EXI stream: the optional "$EXI" cookie, then the distinguishing bits 10 (W3C EXI §5)."""
    if data.startswith(b"$EXI"):
        data = data[4:]
    return bool(data) and data[0] & 0xC0 == 0x80


def exi_base64(message: str) -> Expectation:
    """Base64 of a raw EXI stream (what ISO 15118 puts on the wire)."""

    def test(value: Any) -> bool:
        return isinstance(value, str) and is_exi_stream(base64.b64decode(value, validate=True))

    return satisfies(test, f"Base64 of a raw EXI stream (an ISO 15118 {message})")
