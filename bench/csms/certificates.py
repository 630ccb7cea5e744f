"""The built-in CSMS as a small certificate authority, and its certificate commands.

Whitepaper A02/A03: a station sends SignCertificate.req with a CSR; the CSMS
answers Accepted, has the CSR signed and returns the certificate with
CertificateSigned.req. A02.FR.04 prefers a separate CA server but allows the
CPO to run it (A00.FR.601); the bench's CSMS is that CPO, so it signs itself:

    ca = CertificateAuthority.generate()            # or .from_files(cert, key)
    ca.attach(csms)                                 # SignCertificate now signs
    await install_certificate(csms, "CP1", "CentralSystemRootCertificate", ca.root_pem)

Before ``attach`` (or with none configured) SignCertificate is Rejected
(A02.FR.12: the CSMS cannot process it). The CA checks the request before it
signs (A02 remarks): a valid self-signature, a CN equal to the identity of the
station that sent it (A00.FR.405, the bench's unique station id) and an O
(A00.FR.404; equal to ``cpo_name`` when one is set). Issued certificates are
client-auth end-entity certificates signed with SHA-256 (A00.FR.505/506).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bench.csms.config import CsmsConfig
from bench.csms.storage import CsmsStore, iso
from bench.model.clock import Clock
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply

__all__ = [
    "CertificateAuthority",
    "CsrRejected",
    "certificate_signed",
    "delete_certificate",
    "extended_trigger_message",
    "get_installed_certificate_ids",
    "install_certificate",
]

log = logging.getLogger(__name__)

_TIMEOUT = 30.0
_BACKDATE = dt.timedelta(minutes=5)  # tolerate a station clock a little behind ours


class CentralSystem(Protocol):
    """What the CA and the commands need of the CSMS (``bench.csms.server.CentralSystem``).

    Named here, not imported: the server attaches a CA at start, so importing the
    server from here would make the two modules import each other.
    """

    @property
    def config(self) -> CsmsConfig: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def store(self) -> CsmsStore | None: ...

    async def call(
        self, station_id: str, action: str, payload: dict[str, Any], timeout: float = ...
    ) -> dict[str, Any]: ...


class CsrRejected(ValueError):
    """The CSR is not one the CA signs; the message says why."""


class CertificateAuthority:
    """A CA key and certificate that sign charge point certificates."""

    __slots__ = ("_csms", "_tasks", "cert", "cpo_name", "issued", "key", "validity")

    def __init__(
        self,
        cert: x509.Certificate,
        key: Any,
        *,
        validity: dt.timedelta = dt.timedelta(days=365),
        cpo_name: str | None = None,
    ) -> None:
        self.cert = cert
        self.key = key
        self.validity = validity
        self.cpo_name = cpo_name
        self.issued: list[x509.Certificate] = []  # every certificate signed, oldest first
        self._csms: CentralSystem | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ construction
    @classmethod
    def generate(
        cls,
        name: str = "OCPP Bench CSMS Root",
        organization: str = "OCPP Bench CPO",
        *,
        now: dt.datetime | None = None,
        lifetime: dt.timedelta = dt.timedelta(days=3650),
        **kw: Any,
    ) -> CertificateAuthority:
        """A fresh self-signed ECDSA P-256 root (A00.FR.503)."""
        start = (now or dt.datetime.now(dt.UTC)) - _BACKDATE
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + lifetime)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(cert, key, **kw)

    @classmethod
    def from_pem(cls, cert_pem: bytes, key_pem: bytes, **kw: Any) -> CertificateAuthority:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
        return cls(cert, key, **kw)

    @classmethod
    def from_files(
        cls, cert_file: str | Path, key_file: str | Path, **kw: Any
    ) -> CertificateAuthority:
        return cls.from_pem(Path(cert_file).read_bytes(), Path(key_file).read_bytes(), **kw)

    @property
    def root_pem(self) -> str:
        """The CA certificate in PEM: what stations install as CentralSystemRootCertificate."""
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    # ------------------------------------------------------------------ signing
    def sign_csr(self, csr_pem: str, station_id: str, now: dt.datetime) -> str:
        """Check and sign a PEM CSR; the PEM chain for CertificateSigned.req.

        The chain is the new certificate, plus this CA's certificate when the
        CA is not a root itself (the station holds the root).
        """
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except ValueError as exc:
            raise CsrRejected(f"not a PEM PKCS#10 request: {exc}") from None
        if not csr.is_signature_valid:
            raise CsrRejected("the CSR's signature does not match its key")
        common = [str(a.value) for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        orgs = [str(a.value) for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        if common != [station_id]:
            raise CsrRejected(f"CN {common} is not the station identity {station_id!r}")
        if not orgs or (self.cpo_name is not None and orgs != [self.cpo_name]):
            raise CsrRejected(f"O {orgs} is not the CPO name {self.cpo_name!r}")
        public_key = csr.public_key()
        start = now - _BACKDATE
        cert = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.cert.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(min(start + self.validity, self.cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.issued.append(cert)
        chain = cert.public_bytes(serialization.Encoding.PEM).decode()
        if self.cert.issuer != self.cert.subject:
            chain += self.root_pem
        return chain

    # ------------------------------------------------------------------ CSMS wiring
    def attach(self, csms: CentralSystem) -> None:
        """Make ``csms`` answer SignCertificate by signing and sending CertificateSigned."""
        self._csms = csms
        csms.config.certificate_authority = self

    def on_sign_certificate(
        self,
        station_id: str,
        csr_pem: str,
        now: dt.datetime,
        certificate_type: str | None = None,
    ) -> dict[str, Any] | Reply:
        """The SignCertificate.conf; the CertificateSigned.req follows the reply (A02 steps 5-9).

        ``certificate_type`` (2.0.1) is echoed in CertificateSigned (A02.FR.14, A03.FR.14).
        """
        csms = self._csms
        if csms is None:
            return {"status": "Rejected"}  # A02.FR.12: not wired to a CSMS that can deliver
        try:
            chain = self.sign_csr(csr_pem, station_id, now)
        except CsrRejected as exc:
            log.warning("%s: CSR rejected: %s", station_id, exc)
            _record(csms, station_id, "CsrRejected", {"reason": str(exc)})
            return {"status": "Rejected"}

        def deliver() -> None:
            task = asyncio.get_running_loop().create_task(
                self._deliver(csms, station_id, chain, certificate_type),
                name=f"{station_id}:CertificateSigned",
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return Reply({"status": "Accepted"}, then=deliver)

    async def _deliver(
        self, csms: CentralSystem, station_id: str, chain: str, certificate_type: str | None
    ) -> None:
        try:
            reply = await certificate_signed(
                csms, station_id, chain, certificate_type=certificate_type
            )
        except (CallError, CallTimeout, InvalidReply, LinkClosed, KeyError) as exc:
            log.warning("%s: CertificateSigned not delivered: %s", station_id, exc)
            _record(csms, station_id, "CertificateSigned", {"error": str(exc)})
            return
        _record(csms, station_id, "CertificateSigned", {"status": reply["status"]})

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every CertificateSigned.req in flight has its answer."""
        if self._tasks:
            results = await asyncio.wait_for(
                asyncio.gather(*list(self._tasks), return_exceptions=True), timeout
            )
            for result in results:
                if isinstance(result, Exception):
                    # One failed delivery must not stop the CSMS from shutting down.
                    log.error("CertificateSigned delivery failed: %r", result)


def _record(csms: CentralSystem, station_id: str, kind: str, payload: dict[str, Any]) -> None:
    if csms.store is not None:
        csms.store.add_event(station_id, iso(csms.clock.now()), kind, payload)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not ca,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


# ---------------------------------------------------------------------- commands
async def certificate_signed(
    csms: CentralSystem,
    station_id: str,
    chain_pem: str,
    *,
    certificate_type: str | None = None,
    timeout: float = _TIMEOUT,
) -> dict[str, Any]:
    """Whitepaper §5.1 CertificateSigned.req (2.0.1 adds the optional certificateType)."""
    payload: dict[str, Any] = {"certificateChain": chain_pem}
    if certificate_type is not None:
        payload["certificateType"] = certificate_type
    return await csms.call(station_id, "CertificateSigned", payload, timeout)


async def install_certificate(
    csms: CentralSystem,
    station_id: str,
    certificate_type: str,
    certificate_pem: str,
    *,
    timeout: float = _TIMEOUT,
) -> dict[str, Any]:
    """Whitepaper §5.11 InstallCertificate.req (M05)."""
    payload = {"certificateType": certificate_type, "certificate": certificate_pem}
    return await csms.call(station_id, "InstallCertificate", payload, timeout)


async def delete_certificate(
    csms: CentralSystem,
    station_id: str,
    certificate_hash_data: dict[str, str],
    *,
    timeout: float = _TIMEOUT,
) -> dict[str, Any]:
    """Whitepaper §5.3 DeleteCertificate.req (M04)."""
    payload = {"certificateHashData": certificate_hash_data}
    return await csms.call(station_id, "DeleteCertificate", payload, timeout)


async def get_installed_certificate_ids(
    csms: CentralSystem, station_id: str, certificate_type: str, *, timeout: float = _TIMEOUT
) -> dict[str, Any]:
    """Whitepaper §5.7 GetInstalledCertificateIds.req (M03)."""
    payload = {"certificateType": certificate_type}
    return await csms.call(station_id, "GetInstalledCertificateIds", payload, timeout)


async def extended_trigger_message(
    csms: CentralSystem,
    station_id: str,
    requested_message: str,
    connector_id: int | None = None,
    *,
    timeout: float = _TIMEOUT,
) -> dict[str, Any]:
    """Whitepaper §5.5 ExtendedTriggerMessage.req."""
    payload: dict[str, Any] = {"requestedMessage": requested_message}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    return await csms.call(station_id, "ExtendedTriggerMessage", payload, timeout)
