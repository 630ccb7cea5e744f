"""TLS handshakes with the Central System under test, to judge its TLS server (1.6 TC_086/087).

OCTT checks the Central System's side of the handshake: TLS 1.2 or above, the four
cipher suites of whitepaper A00.FR.317 (two ECDSA and two RSA ones, so the server
needs a certificate of each kind), a key of at least 2048 bits (RSA) or 224 bits
(EC), a serial number, and a commonName that is the endpoint's host. The bench
opens one short TLS connection per question (no WebSocket on top) and reads the
answers from what the handshake negotiated.

The probes do not verify the server certificate: they ask what the server offers.
The station's own connection, made afterwards, verifies it as a station must
(A00.FR.307/308).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

# Whitepaper A00.FR.317 / A00.FR.421: (IANA name, OpenSSL name).
REQUIRED_SUITES: tuple[tuple[str, str], ...] = (
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"),
    ("TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"),
    ("TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"),
)
MODERN_VERSIONS = ("TLSv1.2", "TLSv1.3")  # A00.FR.312: TLS 1.2 or above


@dataclass(frozen=True, slots=True)
class Handshake:
    ok: bool
    version: str | None = None
    cipher: str | None = None
    certificate: x509.Certificate | None = None
    error: str = ""


def endpoint(url: str) -> tuple[str, int]:
    """(host, port) of a ``wss://`` URL (port 443 when it names none)."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 443


def _context(cipher: str | None, cert_file: str | None, key_file: str | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if cipher is not None:
        # One TLS 1.2 suite only (TLS 1.3 suites are negotiated apart from these).
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(cipher)
    if cert_file:
        context.load_cert_chain(cert_file, key_file or None)
    return context


async def handshake(
    url: str,
    *,
    cipher: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    timeout: float = 10.0,
) -> Handshake:
    """One TLS handshake with the server of ``url`` (only ``cipher``, if given)."""
    host, port = endpoint(url)
    try:
        context = _context(cipher, cert_file, key_file)
    except (ssl.SSLError, OSError) as exc:
        return Handshake(False, error=f"the bench cannot offer {cipher or 'TLS'}: {exc}")
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(
                host, port, ssl=context, server_hostname=host
            )
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        return Handshake(False, error=str(exc) or type(exc).__name__)
    try:
        tls = writer.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        cert = x509.load_der_x509_certificate(der) if der else None
        chosen = tls.cipher() if tls is not None else None
        return Handshake(
            True, tls.version() if tls is not None else None, chosen[0] if chosen else None, cert
        )
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass  # the server may drop a connection that never upgrades


def key_strength(cert: x509.Certificate) -> tuple[bool, str]:
    """Whitepaper A00.FR.503: RSA/DSA at least 2048 bits, elliptic curves at least 224."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey):
        return key.key_size >= 2048, f"{type(key).__name__[:3].upper()} {key.key_size} bits"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.key_size >= 224, f"EC {key.curve.name} {key.curve.key_size} bits"
    return False, type(key).__name__


def common_name(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None
