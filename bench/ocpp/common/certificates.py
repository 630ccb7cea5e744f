"""The charge point's certificate store (1.6 security whitepaper, edition 3).

Pure logic, no OCPP and no station: ``CertificateStore`` holds the CA
certificates the CSMS installed (M05), the charge point's own key pairs and
certificates (A02/A03) and the key of a signing request in flight. Its whole
content is one JSON-able dict, handed to ``save`` after every change (the
station persists it in its StateStore under ``"certificates"``)::

    {"roots": [{"type": "CentralSystemRootCertificate", "pem": "...",
                "fallback": false, "origin": "ocpp"}, ...],
     "client": [{"chain": "<leaf PEM + sub-CA PEMs>", "key": "<PKCS#8 PEM>"}, ...],
     "pending_key": "<PKCS#8 PEM>" | null}

A client entry may carry a ``"use"`` (2.0.1: ``"V2GCertificate"``) and a signing
request for such a use keeps its key in ``"pending_keys": {use: pem}``; entries
without one are the station's own (1.6 ChargePointCertificate, 2.0.1
ChargingStationCertificate). ``root_types`` and ``csms_root`` name the CA types a
version knows (2.0.1 calls the CSMS root ``CSMSRootCertificate``). A root's
``origin`` says where it came from when the caller told: ``"ocpp"`` (InstallCertificate)
or ``"ca_file"`` (the CA file the station was installed with); roots stored before
origins were kept have none.

Certificates are X.509 in PEM (A00.FR.507). Keys the station makes are ECDSA
P-256 (A00.FR.503: at least 224 bits). Hash data follow CertificateHashDataType
(whitepaper §6.1, RFC 6960): the hash of the issuer's DER-encoded name, the
hash of the issuer's public key bits and the serial number in hex without
leading zeros.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

log = logging.getLogger(__name__)

__all__ = [
    "CERTIFICATE_TYPES",
    "CS_ROOT",
    "MF_ROOT",
    "CertificateError",
    "CertificateStore",
    "build_csr",
    "hash_data",
    "load_pem_certificates",
    "new_private_key",
    "verify_chain",
]

CS_ROOT = "CentralSystemRootCertificate"
MF_ROOT = "ManufacturerRootCertificate"
CERTIFICATE_TYPES = (CS_ROOT, MF_ROOT)  # whitepaper §6.4 CertificateUseEnumType
_HASHES = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}
# A02.FR.10 recommends keeping old charge point certificates as a fallback; a few suffice.
CLIENT_HISTORY = 3


class CertificateError(ValueError):
    """A certificate or chain is unusable; the message says why (for techInfo and logs)."""


# ---------------------------------------------------------------------- parsing
def load_pem_certificates(text: str | bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM text, in order; CertificateError if none or garbled."""
    data = text.encode() if isinstance(text, str) else text
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CertificateError("no PEM certificate found")
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CertificateError(f"not a valid PEM X.509 certificate: {exc}") from None


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def provisioned_roots(ca_file: str | None) -> list[str]:
    """The certificates of the CA file a station was installed with, as PEM texts.

    Credentials are installed during manufacturing or installation (1.6 security
    whitepaper §2.6.4, 2.0.1 A00); in the bench that is the link's ``ca_file``. Raises
    OSError or CertificateError for a file that cannot be read or parsed.
    """
    if not ca_file:
        return []
    text = Path(ca_file).read_text(encoding="utf-8")
    return [_pem(c) for c in load_pem_certificates(text)]


def report_ca_mismatch(
    station_id: str, ca_file: str | None, installed: list[x509.Certificate]
) -> bool:
    """Warn when the CA file given now holds roots the station's store lacks.

    The store was provisioned from the CA file of the first start (and changed by
    the CSMS since); TLS always trusts the CA file given now. A difference is worth
    one line: GetInstalledCertificateIds answers from the store. True if reported.
    """
    if not ca_file:
        return False
    try:
        given = load_pem_certificates(Path(ca_file).read_text(encoding="utf-8"))
    except (OSError, CertificateError):
        return False  # the transport reports an unreadable file, naming it
    known = {c.fingerprint(hashes.SHA256()) for c in installed}
    missing = [c for c in given if c.fingerprint(hashes.SHA256()) not in known]
    if not missing:
        return False
    log.warning(
        "%s: the CA file %s differs from the roots in the station's certificate store"
        " (provisioned on its first start); TLS uses %s, GetInstalledCertificateIds"
        " reports the store",
        station_id,
        ca_file,
        ca_file,
    )
    return True


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        # A v1 root without extensions can only be a (legacy) self-signed root.
        return _is_self_signed(cert)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _valid_at(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def root_problem(pem: str, now: datetime) -> str | None:
    """Why ``pem`` is not a root certificate to install (M05.FR.06), or None."""
    try:
        certs = load_pem_certificates(pem)
    except CertificateError as exc:
        return str(exc)
    if len(certs) != 1:
        return "InstallCertificate carries one certificate (§5.11)"
    cert = certs[0]
    if not _is_ca(cert):
        return "not a CA certificate"
    if not _valid_at(cert, now):
        return "not valid now (expired or not yet valid)"
    try:
        _check_key_strength(cert)
    except CertificateError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------- hash data
def _der_item(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER item at ``offset``."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    return tag, start, start + length


def _public_key_bits(cert: x509.Certificate) -> bytes:
    """The value of subjectPublicKey (RFC 6960 issuerKeyHash: no tag, length or pad bits)."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _tag, seq_start, _seq_end = _der_item(spki, 0)  # SubjectPublicKeyInfo SEQUENCE
    _tag, _alg_start, alg_end = _der_item(spki, seq_start)  # AlgorithmIdentifier
    tag, bits_start, bits_end = _der_item(spki, alg_end)  # subjectPublicKey BIT STRING
    if tag != 0x03:
        raise CertificateError("unexpected SubjectPublicKeyInfo layout")
    return spki[bits_start + 1 : bits_end]  # skip the unused-bits byte


def hash_data(
    cert: x509.Certificate, issuer: x509.Certificate | None = None, algorithm: str = "SHA256"
) -> dict[str, str]:
    """CertificateHashDataType of ``cert`` (whitepaper §6.1).

    ``issuer`` supplies the key for issuerKeyHash; without it the certificate
    must be self-signed (a root), and its own key is the issuer's key. For a
    non-root whose issuer is unknown we fall back to its own key: the CSMS
    can then still address it, though the value is not the RFC 6960 one.
    """
    digest = _HASHES[algorithm]
    key_source = issuer if issuer is not None else cert
    return {
        "hashAlgorithm": algorithm,
        "issuerNameHash": digest(cert.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": digest(_public_key_bits(key_source)).hexdigest(),
        "serialNumber": format(cert.serial_number, "x"),
    }


def _same_hash_data(a: dict[str, Any], b: dict[str, Any]) -> bool:
    # CiString fields: compared case-insensitively; serial numbers without leading zeros.
    return bool(
        a["issuerNameHash"].lower() == b["issuerNameHash"].lower()
        and a["issuerKeyHash"].lower() == b["issuerKeyHash"].lower()
        and a["serialNumber"].lower().lstrip("0") == b["serialNumber"].lower().lstrip("0")
    )


# ---------------------------------------------------------------------- keys and CSRs
def new_private_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 key (A03.FR.02, A00.FR.503)."""
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: Any) -> str:
    pem: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()


def _load_key(pem: str) -> Any:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def build_csr(key: Any, common_name: str, organization: str) -> str:
    """A PEM PKCS#10 request (A02.FR.03, RFC 2986): CN and O = CpoName (A02.FR.13)."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def _check_key_strength(cert: x509.Certificate) -> None:
    # A00.FR.501-503: RSA/DSA at least 2048 bits, elliptic curves at least 224 bits.
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey) and key.key_size < 2048:
        raise CertificateError(f"{key.key_size}-bit RSA/DSA key is below 2048 bits")
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 224:
        raise CertificateError(f"{key.curve.key_size}-bit EC key is below 224 bits")


def _names(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]


def verify_chain(
    chain: list[x509.Certificate], roots: list[x509.Certificate], now: datetime
) -> x509.Certificate:
    """Check that ``chain[0]`` leads through ``chain[1:]`` to one of ``roots``; return that root.

    Every certificate on the path must be valid at ``now``; issuers above the
    leaf must be CA certificates.
    """
    if not chain:
        raise CertificateError("empty certificate chain")
    current = chain[0]
    pool = list(chain[1:])
    for _ in range(len(chain) + 1):
        for root in roots:
            if _issued_by(current, root):
                if not _valid_at(root, now):
                    raise CertificateError("the root certificate is not valid now")
                return root
        parent = next((c for c in pool if _issued_by(current, c)), None)
        if parent is None:
            raise CertificateError(
                "the chain does not lead to an installed CentralSystemRootCertificate"
            )
        if not _is_ca(parent):
            raise CertificateError("an issuer in the chain is not a CA certificate")
        if not _valid_at(parent, now):
            raise CertificateError("a sub-CA certificate in the chain is not valid now")
        pool.remove(parent)
        current = parent
    raise CertificateError("the chain does not lead to an installed root")


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """The charge point certificate (with any sub-CAs) and its private key, as PEM."""

    chain_pem: str
    key_pem: str
    not_before: datetime
    not_after: datetime


# ---------------------------------------------------------------------- the store
class CertificateStore:
    """Installed CA certificates and the charge point's own certificates of one station."""

    __slots__ = ("_csms_root", "_data", "_root_types", "_save")

    def __init__(
        self,
        data: dict[str, Any] | None,
        save: Callable[[dict[str, Any]], None],
        *,
        root_types: tuple[str, ...] = CERTIFICATE_TYPES,
        csms_root: str = CS_ROOT,
    ) -> None:
        self._data: dict[str, Any] = {
            "roots": list((data or {}).get("roots", [])),
            "client": list((data or {}).get("client", [])),
            "pending_key": (data or {}).get("pending_key"),
        }
        if (data or {}).get("pending_keys"):
            self._data["pending_keys"] = dict(data["pending_keys"])  # type: ignore[index]
        self._save = save
        self._root_types = root_types
        self._csms_root = csms_root

    def snapshot(self) -> dict[str, Any]:
        out = {
            "roots": [dict(r) for r in self._data["roots"]],
            "client": [dict(c) for c in self._data["client"]],
            "pending_key": self._data["pending_key"],
        }
        if self._data.get("pending_keys"):
            out["pending_keys"] = dict(self._data["pending_keys"])
        return out

    def _commit(self, new: dict[str, Any]) -> None:
        # Save first: a storage failure leaves the store as it was (InstallCertificate: Failed).
        self._save(new)
        self._data = new

    # ------------------------------------------------------------------ CA certificates
    def roots(self, certificate_type: str | None = None) -> list[x509.Certificate]:
        return [c for _entry, c in self._root_entries(certificate_type)]

    def _root_entries(
        self, certificate_type: str | None = None, *, with_fallback: bool = True
    ) -> list[tuple[dict[str, Any], x509.Certificate]]:
        out = []
        for entry in self._data["roots"]:
            if certificate_type is not None and entry["type"] != certificate_type:
                continue
            if entry.get("fallback") and not with_fallback:
                continue
            out.append((entry, load_pem_certificates(entry["pem"])[0]))
        return out

    def root_entries(self, certificate_type: str) -> list[dict[str, Any]]:
        """The stored entries (type, pem, fallback, origin) of ``certificate_type``, copied."""
        return [dict(e) for e in self._data["roots"] if e["type"] == certificate_type]

    def trust_pem(self, *, with_fallback: bool) -> str:
        """The CentralSystemRootCertificates as one PEM bundle (TLS trust anchors)."""
        return "".join(
            e["pem"] for e, _c in self._root_entries(self._csms_root, with_fallback=with_fallback)
        )

    def has_fallback_root(self) -> bool:
        return any(e.get("fallback") for e in self._data["roots"])

    def drop_fallback_root(self) -> bool:
        """2.0.1 M05.FR.13: once the new root worked, the old one goes."""
        if not self.has_fallback_root():
            return False
        new = self.snapshot()
        new["roots"] = [r for r in new["roots"] if not r.get("fallback")]
        self._commit(new)
        return True

    def valid_roots(self, certificate_type: str, now: datetime) -> list[x509.Certificate]:
        return [c for c in self.roots(certificate_type) if _valid_at(c, now)]

    def install_root(
        self,
        certificate_type: str,
        pem: str,
        now: datetime,
        *,
        max_length: int | None,
        additional_check: bool = False,
        origin: str | None = None,
    ) -> str:
        """InstallCertificate (M05): ``Accepted``, ``Rejected`` or ``Failed``.

        Raises nothing: a bad certificate is ``Rejected`` (M05.FR.06), a full
        store is ``Rejected`` (M05.FR.03), a storage error is ``Failed``
        (M05.FR.04). With ``additional_check`` (AdditionalRootCertificateCheck)
        a new CentralSystemRootCertificate must be signed by the one it
        replaces, which is kept as a fallback (2.0.1 M05.FR.09-12). ``origin`` is kept
        with the new entry (where it came from: ``"ocpp"``, ``"ca_file"``).
        """
        if certificate_type not in self._root_types:
            return "Rejected"
        if root_problem(pem, now) is not None:
            return "Rejected"  # M05.FR.06
        cert = load_pem_certificates(pem)[0]
        new = self.snapshot()
        existing = [(e, c) for e, c in self._root_entries(certificate_type)]
        if any(c == cert for _e, c in existing):
            return "Accepted"  # already installed: nothing to do
        entry: dict[str, Any] = {"type": certificate_type, "pem": _pem(cert), "fallback": False}
        if origin is not None:
            entry["origin"] = origin
        if certificate_type == self._csms_root and additional_check:
            current = [(e, c) for e, c in existing if not e.get("fallback")]
            if current:
                old_entry, old = current[-1]
                if not _issued_by(cert, old):
                    return "Rejected"  # 2.0.1 M05.FR.11
                # M05.FR.12: the new root replaces the old, which stays as the fallback.
                kept = [r for r in new["roots"] if r["type"] != self._csms_root]
                kept.append({**old_entry, "fallback": True})
                new["roots"] = kept
        if max_length is not None and len(new["roots"]) >= max_length:
            return "Rejected"  # M05.FR.03
        new["roots"].append(entry)
        try:
            self._commit(new)
        except Exception:  # the database said no: the certificate was fine (§6.3 Failed)
            return "Failed"
        return "Accepted"

    def installed_ids(self, certificate_type: str) -> list[dict[str, str]]:
        """GetInstalledCertificateIds (M03): hash data of every root of that type."""
        everything = self.roots()
        out = []
        for cert in self.roots(certificate_type):
            issuer = next((c for c in everything if _issued_by(cert, c)), None)
            out.append(hash_data(cert, issuer))
        return out

    def find_root(self, wanted: dict[str, Any]) -> tuple[str, x509.Certificate] | None:
        """The (type, certificate) whose hash data match ``wanted`` (its hashAlgorithm)."""
        algorithm = wanted.get("hashAlgorithm", "SHA256")
        everything = self.roots()
        for entry, cert in self._root_entries():
            issuer = next((c for c in everything if _issued_by(cert, c)), None)
            if _same_hash_data(hash_data(cert, issuer, algorithm), wanted):
                return entry["type"], cert
        return None

    def matches_client(self, wanted: dict[str, Any]) -> bool:
        """Whether ``wanted`` names one of the charge point's own certificates (M04.FR.05)."""
        algorithm = wanted.get("hashAlgorithm", "SHA256")
        roots = self.roots()
        for item in self._data["client"]:
            certs = load_pem_certificates(item["chain"])
            # The issuer is the next in the chain, or the installed root that signed it.
            pool = certs[1:] + roots
            issuer = next((c for c in pool if _issued_by(certs[0], c)), None)
            if _same_hash_data(hash_data(certs[0], issuer, algorithm), wanted):
                return True
        return False

    def delete_root(self, cert: x509.Certificate) -> None:
        new = self.snapshot()
        pem = _pem(cert)
        new["roots"] = [r for r in new["roots"] if r["pem"] != pem]
        self._commit(new)

    def count(self) -> int:
        return len(self._data["roots"])

    # ------------------------------------------------------------------ own certificate
    def start_signing_request(
        self, common_name: str, organization: str, use: str | None = None
    ) -> str:
        """A new key pair (kept here, never sent: A02.FR.05) and the CSR for it."""
        key = new_private_key()
        csr = build_csr(key, common_name, organization)
        new = self.snapshot()
        if use is None:
            new["pending_key"] = _key_pem(key)
        else:
            new["pending_keys"] = {**new.get("pending_keys", {}), use: _key_pem(key)}
        self._commit(new)
        return csr

    @property
    def has_pending_request(self) -> bool:
        return self._data["pending_key"] is not None

    def pending_request(self, use: str | None = None) -> bool:
        """Whether a signing request for ``use`` (None: the station's own) awaits its answer."""
        if use is None:
            return self.has_pending_request
        return use in (self._data.get("pending_keys") or {})

    def accept_signed_chain(
        self,
        chain_pem: str,
        now: datetime,
        use: str | None = None,
        root_type: str | None = None,
    ) -> x509.Certificate:
        """Verify a CertificateSigned chain (A02.FR.06) and install it with the pending key.

        Checks: it parses; the leaf is for the key of our pending request; the
        leaf is not expired (a not-yet-valid one is kept and used from its
        start, A02.FR.08); Certificate Properties (key strength, serial, O and
        CN in the subject, A00.FR.501-511); the chain leads to an installed
        CentralSystemRootCertificate (the CPO hierarchy, §2.6.2).
        Raises CertificateError; on success returns the leaf.
        """
        key_pem = (
            self._data["pending_key"]
            if use is None
            else (self._data.get("pending_keys") or {}).get(use)
        )
        if key_pem is None:
            raise CertificateError("no signing request is pending")
        certs = load_pem_certificates(chain_pem)
        leaf = certs[0]
        key = _load_key(key_pem)
        ours = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        theirs = leaf.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if ours != theirs:
            raise CertificateError("the certificate is not for the key of our signing request")
        if leaf.not_valid_after_utc < now:
            raise CertificateError("the certificate has expired")
        _check_key_strength(leaf)
        if not leaf.serial_number:
            raise CertificateError("the certificate has no serial number")
        if not _names(leaf, NameOID.ORGANIZATION_NAME) or not _names(leaf, NameOID.COMMON_NAME):
            raise CertificateError("the subject lacks O or CN")
        # Validity of the path is judged at the leaf's start if that lies ahead.
        at = max(now, leaf.not_valid_before_utc)
        anchor = root_type or self._csms_root
        verify_chain(certs, self.valid_roots(anchor, at) or self.roots(anchor), at)
        new = self.snapshot()
        entry: dict[str, Any] = {"chain": "".join(_pem(c) for c in certs), "key": key_pem}
        if use is not None:
            entry["use"] = use
        same = [c for c in new["client"] if c.get("use") == use]
        others = [c for c in new["client"] if c.get("use") != use]
        new["client"] = [*others, *same[-(CLIENT_HISTORY - 1) :], entry]
        if use is None:
            new["pending_key"] = None
        else:
            rest = {k: v for k, v in new.get("pending_keys", {}).items() if k != use}
            new.pop("pending_keys", None)
            if rest:
                new["pending_keys"] = rest
        self._commit(new)
        return leaf

    def client_chains(self, use: str | None = None) -> list[list[x509.Certificate]]:
        """Every installed own certificate chain of ``use``, oldest first (leaf first)."""
        return [
            load_pem_certificates(item["chain"])
            for item in self._data["client"]
            if item.get("use") == use
        ]

    def client_credentials(self, now: datetime, use: str | None = None) -> ClientCredentials | None:
        """The newest valid charge point certificate (A02.FR.08/09), or None."""
        best: ClientCredentials | None = None
        for item in self._data["client"]:
            if item.get("use") != use:
                continue
            leaf = load_pem_certificates(item["chain"])[0]
            if not _valid_at(leaf, now):
                continue
            if best is None or leaf.not_valid_before_utc >= best.not_before:
                best = ClientCredentials(
                    item["chain"], item["key"], leaf.not_valid_before_utc, leaf.not_valid_after_utc
                )
        return best
