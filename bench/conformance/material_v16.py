"""The "test data" of the 1.6 CSMS cases: files the tool serves and certificates it owns.

OCTT keeps a firmware download URL, a log upload location, root certificates and
a firmware signing certificate in its configuration. The bench makes them per
case: a small HTTP file server on 127.0.0.1 (the station downloads firmware from
it and uploads logs to it, for real), firmware files in the bench's format
(``bench.firmware_image``) and throw-away X.509 certificates (EC P-256, which the
whitepaper accepts, A00.FR.503). The Central System under test only passes the
URLs and certificates on; it never needs to reach the file server itself.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.csms.files import FileServer
from bench.firmware_image import sign_firmware


@asynccontextmanager
async def tool_files() -> AsyncIterator[FileServer]:
    """A file server on 127.0.0.1 over a temporary folder, for the length of a case."""
    with tempfile.TemporaryDirectory(prefix="bench-case-files-") as folder:
        async with FileServer(folder) as server:
            yield server


def firmware_file(version: str, *, installable: bool = True) -> bytes:
    """A firmware file the bench's station installs as ``version`` (or fails to install)."""
    manifest: dict[str, Any] = {"version": version, "notes": "OCPP Bench conformance case"}
    if not installable:
        manifest["installable"] = False
    return json.dumps(manifest).encode()


@dataclass(frozen=True, slots=True)
class Certificate:
    pem: str
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OCPP Bench conformance"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _make(
    common_name: str, now: dt.datetime, *, ca: bool, valid_from: dt.timedelta, days: int
) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name)
    start = now + valid_from
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    cert = builder.sign(key, hashes.SHA256())
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return Certificate(pem, cert, key)


def root_certificate(common_name: str, now: dt.datetime) -> Certificate:
    """A self-signed root (CA) valid from an hour ago for 30 days: <Configured root certificate>."""
    return _make(common_name, now, ca=True, valid_from=-dt.timedelta(hours=1), days=30)


def expired_root_certificate(common_name: str, now: dt.datetime) -> Certificate:
    """A root whose validity ended yesterday: a station rejects it (whitepaper M05.FR.06)."""
    return _make(common_name, now, ca=True, valid_from=-dt.timedelta(days=31), days=30)


def signing_certificate(now: dt.datetime) -> Certificate:
    """A firmware signing certificate (not a CA) valid from an hour ago for 30 days."""
    return _make(
        "OCPP Bench firmware signing", now, ca=False, valid_from=-dt.timedelta(hours=1), days=30
    )


def signature_of(data: bytes, signer: Certificate) -> str:
    """The base64 signature of a whole firmware file (whitepaper L01.FR.04)."""
    return sign_firmware(data, signer.key)
