"""Throw-away X.509 material for TLS tests (security profiles 2 and 3).

Everything is generated with ``cryptography`` into a folder the caller owns
(normally pytest's ``tmp_path``) and written as PEM, the encoding the 1.6
security whitepaper requires (A00.FR.507). Keys are ECDSA P-256: accepted by
the whitepaper (A00.FR.503, 224 bits minimum) and much faster to generate
than RSA-2048, so every test can have its own CA.

Typical use::

    pki = make_pki(tmp_path)                       # CA + server cert for 127.0.0.1
    cp = pki.ca.issue_client(tmp_path, "CP-001")   # a charge point certificate
    server_ctx = server_ssl_context(pki.server, client_ca=pki.ca.cert_file)

Names follow the whitepaper: the Central System certificate carries the
server's host in CN (A00.FR.510) and, because Python's hostname check only
looks at subjectAltName, also as a SAN; a Charge Point certificate carries its
serial number in CN and the CPO name in O (A00.FR.509, A00.FR.511) and no SAN.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CertAuthority",
    "KeyPair",
    "Pki",
    "make_ca",
    "make_pki",
    "server_ssl_context",
]

# Certificates are valid from a little in the past (clock skew between the
# generating test and the TLS stack is impossible here, but it costs nothing).
_NOT_BEFORE_SLACK = dt.timedelta(minutes=5)
_VALIDITY = dt.timedelta(days=2)


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A certificate and its private key, both as PEM files."""

    cert_file: Path
    key_file: Path

    @property
    def cert_pem(self) -> bytes:
        return self.cert_file.read_bytes()


@dataclass(frozen=True, slots=True)
class CertAuthority:
    """A self-signed root that can issue server and client certificates."""

    name: str
    cert_file: Path
    key_file: Path
    _cert: x509.Certificate
    _key: ec.EllipticCurvePrivateKey

    def issue_server(
        self,
        folder: Path,
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        *,
        organization: str = "OCPP Bench CSMS",
        stem: str = "server",
    ) -> KeyPair:
        """A TLS server certificate for ``hosts`` (IP addresses or DNS names).

        The first host is the CN; all of them go into subjectAltName.
        """
        if not hosts:
            raise ValueError("a server certificate needs at least one host")
        sans: list[x509.GeneralName] = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        subject = _name(hosts[0], organization)
        return self._issue(
            folder,
            stem,
            subject,
            usage=ExtendedKeyUsageOID.SERVER_AUTH,
            sans=sans,
        )

    def issue_client(
        self,
        folder: Path,
        serial_number: str,
        *,
        organization: str = "OCPP Bench CPO",
        stem: str | None = None,
    ) -> KeyPair:
        """A Charge Point certificate: CN = the charge point's serial number (A00.FR.511)."""
        subject = _name(serial_number, organization)
        return self._issue(
            folder,
            stem or f"client-{_safe(serial_number)}",
            subject,
            usage=ExtendedKeyUsageOID.CLIENT_AUTH,
            sans=None,
        )

    def _issue(
        self,
        folder: Path,
        stem: str,
        subject: x509.Name,
        *,
        usage: x509.ObjectIdentifier,
        sans: list[x509.GeneralName] | None,
    ) -> KeyPair:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _NOT_BEFORE_SLACK)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=True,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        return _write(folder, stem, cert, key)


@dataclass(frozen=True, slots=True)
class Pki:
    """A CA with a server certificate for 127.0.0.1/localhost, ready for a TLS server."""

    ca: CertAuthority
    server: KeyPair


def make_ca(folder: Path, name: str = "OCPP Bench Test Root", *, stem: str = "ca") -> CertAuthority:
    """Create a self-signed root CA (``<stem>.pem`` and ``<stem>.key``) in ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(name, "OCPP Bench")
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _NOT_BEFORE_SLACK)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pair = _write(folder, stem, cert, key)
    return CertAuthority(name, pair.cert_file, pair.key_file, cert, key)


def make_pki(folder: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> Pki:
    """A fresh CA and a server certificate for ``hosts``, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = make_ca(folder)
    return Pki(ca=ca, server=ca.issue_server(folder, hosts))


def server_ssl_context(server: KeyPair, *, client_ca: Path | None = None) -> ssl.SSLContext:
    """A TLS server context presenting ``server``.

    With ``client_ca`` the server requires a client certificate issued by that
    CA (security profile 3, A00.FR.403/407); without it no client certificate
    is asked for (profile 2).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # A00.FR.312
    ctx.load_cert_chain(server.cert_file, server.key_file)
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=str(client_ca))
    return ctx


# ---------------------------------------------------------------------- helpers
def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text) or "client"


def _write(
    folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> KeyPair:
    folder.mkdir(parents=True, exist_ok=True)
    cert_file = folder / f"{stem}.pem"
    key_file = folder / f"{stem}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return KeyPair(cert_file, key_file)
