"""The bench's own TLS certificate for listening as the CSMS on ``wss://``.

``conformance cs --tls`` needs no certificate from the operator: the bench makes a
root CA and a server certificate for the address it listens on (and ``localhost``,
127.0.0.1, this machine's name), writes them into a folder, and the operator
installs the CA on the charger as its CSMS root certificate (the bench's own
station gets it automatically). The CA's key is kept beside it (owner-only): the
bench, as the OCTT does, signs with it (the station's CSRs, a new CSMS root signed
by the old one for AdditionalRootCertificateCheck). ECDSA P-256 with SHA-256, which
both the 1.6 security whitepaper and 2.0.1 part 2 (A00.FR.318) allow.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 365


@dataclass(frozen=True, slots=True)
class ServerMaterial:
    ca_file: str  # install this on the charger
    cert_file: str
    key_file: str
    ca_key_file: str  # the CA's private key (the bench signs with it)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OCPP Bench"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _alt_names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for name in dict.fromkeys([host, "localhost", "127.0.0.1", socket.gethostname()]):
        if not name or name in ("0.0.0.0", "::"):
            continue
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    return names


def own_server_material(folder: Path, host: str, now: dt.datetime) -> ServerMaterial:
    """A root CA and a server certificate for ``host`` written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(days=VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("OCPP Bench conformance CSMS root")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name(host if host not in ("0.0.0.0", "::") else socket.gethostname()))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(_alt_names(host)), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file = folder / "bench-csms-root.pem"
    ca_key_file = folder / "bench-csms-root.key"
    cert_file = folder / "bench-csms.pem"
    key_file = folder / "bench-csms.key"
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(server.public_bytes(pem))
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    ca_key_file.touch(mode=0o600)
    ca_key_file.chmod(0o600)  # before the key goes in, also when the file was there
    ca_key_file.write_bytes(
        ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ServerMaterial(str(ca_file), str(cert_file), str(key_file), str(ca_key_file))


def client_certificates_optional(cert_file: str, key_file: str, ca_file: str) -> ssl.SSLContext:
    """The server context of a ``--tls`` run: the bench's certificate, and a client
    certificate accepted when the station offers one signed by the bench's CA (security
    profile 3, e.g. after a case renewed the station's certificate) but not required
    (profile 2 stations have none)."""
    from bench.csms.cli import server_tls

    context = server_tls([cert_file], [key_file])
    assert context is not None  # a certificate was given
    context.load_verify_locations(ca_file)
    context.verify_mode = ssl.CERT_OPTIONAL
    return context
