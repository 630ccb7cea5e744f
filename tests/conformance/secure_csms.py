"""A built-in CSMS run with a security profile, for the block A cases.

``secure_runner(profile)`` starts a real built-in CSMS on 127.0.0.1 that a station
reaches with security profile 1 (ws:// + Basic auth), 2 (wss:// + Basic auth) or 3
(wss:// + a client certificate), and returns ``run(case_id, **settings)`` like
``csms_runner``, with the run's credentials in the case settings.

TLS follows A00.FR.318/421: the CSMS presents an ECDSA and an RSA-2048 certificate
(both from one test CA, CN = 127.0.0.1) and offers the four required suites, the two
TLS_RSA ones included; its certificate authority (SignCertificate) is that same CA,
so the certificates it issues are ones the station and its own TLS server trust.
On profile 3 it requires a client certificate from the CA; on profile 2 it asks for
one without insisting (CERT_OPTIONAL), so a station on profile 2 can upgrade to
profile 3 there (TC_A_19).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from bench.conformance.case_run import CaseSettings
from bench.conformance.catalogue import case as catalogue_case
from bench.conformance.connection_probe import CIPHER_SUITES
from bench.conformance.results import CaseResult
from bench.conformance.runner import run_case
from bench.csms.certificates import CertificateAuthority
from bench.csms.config import CsmsConfig, TagEntry
from bench.csms.server import CentralSystem
from tests.conformance.conftest import DirectPrompter
from tests.core.certs import CertAuthority, KeyPair

STATION_ID = "BENCH-CONFORMANCE"
PASSWORD = "Bench0Conformance0Password"  # 26 characters (A00.FR.304)
# Profile 3 insists on a client certificate; profile 2 asks for one without insisting.
VERIFY = {2: ssl.CERT_OPTIONAL, 3: ssl.CERT_REQUIRED}
SUITES = ":".join(CIPHER_SUITES.values())


@dataclass(frozen=True, slots=True)
class Material:
    ca: CertAuthority
    ec_server: KeyPair
    rsa_server: KeyPair
    client: KeyPair  # the station's certificate: CN = its identity (A00.FR.511)


def make_material(folder: Path) -> Material:
    ca = _long_lived_ca(folder)
    return Material(
        ca,
        ca.issue_server(folder, ("127.0.0.1", "localhost")),
        _rsa_server(ca, folder),
        ca.issue_client(folder, STATION_ID),
    )


def _long_lived_ca(folder: Path) -> CertAuthority:
    """A root valid for two years: the certificates the CSMS signs with it live a year,
    so a profile 3 station does not renew them at once (A03.FR.02 renews within a
    month of the end; ``tests.core.certs`` roots live two days)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "OCPP Bench Conformance Root"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OCPP Bench"),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "ca.pem", folder / "ca.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return CertAuthority("OCPP Bench Conformance Root", cert_file, key_file, cert, key)


def _rsa_server(ca: CertAuthority, folder: Path) -> KeyPair:
    """An RSA-2048 server certificate for 127.0.0.1 from ``ca`` (for the TLS_RSA suites)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_file.read_bytes())
    ca_key = serialization.load_pem_private_key(ca.key_file.read_bytes(), None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OCPP Bench CSMS"),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    cert_file, key_file = folder / "rsa-server.pem", folder / "rsa-server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return KeyPair(cert_file, key_file)


def server_context(material: Material, *, client_certificates: ssl.VerifyMode) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # A00.FR.313
    ctx.load_cert_chain(material.ec_server.cert_file, material.ec_server.key_file)
    ctx.load_cert_chain(material.rsa_server.cert_file, material.rsa_server.key_file)
    ctx.set_ciphers(SUITES)  # A00.FR.318 (TLS 1.3 suites are not affected)
    ctx.verify_mode = client_certificates
    ctx.load_verify_locations(cafile=str(material.ca.cert_file))
    return ctx


def config_for(profile: int, material: Material) -> CsmsConfig:
    return CsmsConfig(
        boot_retry_interval=1,
        tags={"TAG1": TagEntry("Accepted")},
        basic_auth={STATION_ID: PASSWORD} if profile in (1, 2) else None,
        ssl_context=server_context(material, client_certificates=VERIFY[profile])
        if profile >= 2
        else None,
        certificate_authority=CertificateAuthority.from_files(
            material.ca.cert_file, material.ca.key_file
        ),
    )


def settings_for(profile: int, material: Material) -> dict[str, Any]:
    """The CaseSettings a run with ``profile`` is configured with."""
    values: dict[str, Any] = {}
    if profile in (1, 2):
        values["password"] = PASSWORD
    if profile >= 2:
        values["ca_file"] = str(material.ca.cert_file)
    if profile == 3:
        values["cert_file"] = str(material.client.cert_file)
        values["key_file"] = str(material.client.key_file)
    return values


class SecureRun:
    """``run(case_id, **settings)`` against one built-in CSMS with a security profile."""

    def __init__(self, csms: CentralSystem, profile: int, material: Material) -> None:
        self.csms = csms
        self.profile = profile
        self.material = material
        self.prompter = DirectPrompter(csms)

    async def __call__(self, case_id: str, **settings: Any) -> CaseResult:
        case = catalogue_case(case_id)
        values: dict[str, Any] = {
            "timeout": 15.0,
            "station_id": STATION_ID,
            **settings_for(self.profile, self.material),
            **settings,
        }
        return await run_case(
            case,
            CaseSettings(csms_url=self.csms.url, version=case.version, **values),
            self.prompter,
        )
