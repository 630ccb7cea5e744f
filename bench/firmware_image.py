"""Firmware files as the bench understands them, and their signatures (whitepaper L01).

Firmware file format (ours; OCPP prescribes none)
-------------------------------------------------
A firmware file is a JSON object, UTF-8::

    {"version": "2.0.0"}
    {"version": "2.0.0", "notes": "anything", "installable": false}
    {"version": "2.0.0", "activates": false}

``version`` (1 to 50 characters: BootNotification's firmwareVersion is
CiString50) is the version the station reports after installing it.
``installable: false`` makes the image fail to install (InstallationFailed),
so a CSMS can provoke that outcome without access to the bench.
``activates: false`` makes it install but not start: a station that reboots to
activate new firmware comes back on its old firmware and reports
InstallationFailed after the reboot. A manifest
that names a ``version`` which is not a usable string (empty, too long, a
number) is refused: its author meant to set one.

Any other file installs: CSMS engineers point UpdateFirmware at whatever image
they have. Its version comes from its file name, the last path segment of the
download URL (``fw-2.1.0.bin`` and ``station_v3.0.1-rc1.img`` give ``2.1.0``
and ``3.0.1-rc1``); a name without a version gives the installed version with
the first 8 hex digits of the file's SHA-256 as build metadata
(``1.0.0+3fa9c2d1``), so every different file reports a different version.

Signatures
----------
SignedUpdateFirmware carries the Firmware Signing certificate (PEM) and a
base64 signature computed over the *entire* firmware file with SHA-256
(L01.FR.04, L01.FR.12). RSA signatures may be RSA-PSS (the whitepaper's
choice) or PKCS#1 v1.5; EC keys use ECDSA. ``sign_firmware`` makes such a
signature (RSA-PSS / ECDSA) for tests and for a CSMS operator.

The certificate must be in its validity period on the station's clock, use a
key of at least 2048 bits (RSA) or 224 bits (EC) (A00.FR.502/503) and, when
the station has Manufacturer root certificates installed, be issued directly
by one of them (the manufacturer SHALL NOT use intermediate certificates, L01
remarks) or be one of them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

MAX_VERSION = 50
_NAME_VERSION = re.compile(r"(?:^|[-_.vV])(\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.]+)?)")
_MANIFEST_KEYS = frozenset({"version", "installable", "activates", "notes"})
_EXTENSIONS = (".tar.gz", ".bin", ".img", ".json", ".fw", ".zip", ".hex", ".swu", ".gz", ".tar")


class ImageError(ValueError):
    """The firmware file cannot be installed; the message says why."""


class CertificateProblem(ValueError):
    """The signing certificate is not valid or could not be verified."""


@dataclass(frozen=True, slots=True)
class FirmwareImage:
    version: str
    size: int
    sha256: str
    installable: bool = True
    activates: bool = True  # False: the new firmware does not start after the reboot


def read_image(data: bytes, location: str = "", current: str = "") -> FirmwareImage:
    """Parse a downloaded firmware file (see the module docstring for the format).

    ``current`` is the version installed now: a file whose name holds no
    version reports it with the file's hash as build metadata.
    """
    digest = hashlib.sha256(data).hexdigest()
    manifest = _manifest(data)
    if manifest is not None and "version" in manifest:
        version = manifest["version"]
        if not isinstance(version, str) or not 0 < len(version.strip()) <= MAX_VERSION:
            raise ImageError(f"the firmware manifest needs a version of 1 to {MAX_VERSION} chars")
        version = version.strip()
    else:
        version = version_from_name(location) or derived_version(current, digest)
    flags = manifest if manifest is not None else {}
    installable = flags.get("installable", True) is not False
    activates = flags.get("activates", True) is not False
    return FirmwareImage(version, len(data), digest, installable, activates)


def _manifest(data: bytes) -> dict[str, Any] | None:
    """The bench's JSON manifest, or None for any other file (a binary image, other JSON)."""
    if data.lstrip()[:1] != b"{":
        return None
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None  # starts like JSON but is not: an arbitrary image
    if not isinstance(parsed, dict) or not _MANIFEST_KEYS & parsed.keys():
        return None  # some other JSON document: installed like any file
    return parsed


def derived_version(current: str, sha256: str) -> str:
    """``current`` with its build metadata replaced by 8 hex digits of ``sha256``.

    ``1.0.0`` and ``1.0.0+0badc0de`` both become ``1.0.0+<hash>``: installing
    unnamed files one after another does not pile suffixes up.
    """
    base = current.split("+", 1)[0].strip() or "0"
    suffix = "+" + sha256[:8]
    return base[: MAX_VERSION - len(suffix)] + suffix


def version_from_name(location: str) -> str | None:
    """``.../fw-2.1.0.bin`` -> ``2.1.0``; None when the name holds no dotted version."""
    name = PurePosixPath(unquote(urlsplit(location).path)).name
    lowered = name.lower()
    for ext in _EXTENSIONS:
        if lowered.endswith(ext):
            name = name[: -len(ext)]
            break
    matches = _NAME_VERSION.findall(name)
    if not matches:
        return None
    return matches[-1][:MAX_VERSION]


# --------------------------------------------------------------------------- certificates
def load_certificate(pem: str | bytes) -> x509.Certificate:
    try:
        data = pem.encode() if isinstance(pem, str) else pem
        return x509.load_pem_x509_certificate(data)
    except (ValueError, TypeError) as exc:
        raise CertificateProblem(f"not a PEM X.509 certificate: {exc}") from None


def load_certificates(pems: Iterable[str | bytes]) -> list[x509.Certificate]:
    """The parseable certificates among ``pems`` (a broken stored one is skipped)."""
    out = []
    for pem in pems:
        try:
            out.append(load_certificate(pem))
        except CertificateProblem:
            continue
    return out


def check_signing_certificate(
    pem: str, now: datetime, roots: Sequence[x509.Certificate]
) -> x509.Certificate:
    """The Firmware Signing certificate if it is valid (L01.FR.23); else CertificateProblem."""
    cert = load_certificate(pem)
    _check_period(cert, now, "the signing certificate")
    _check_key(cert)
    if not roots:
        return cert  # nothing to chain to: the caller decides whether that is enough
    for root in roots:
        if root == cert:
            return cert
        try:
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        _check_period(root, now, "the manufacturer root certificate")
        return cert
    raise CertificateProblem(
        "the signing certificate is not issued by an installed manufacturer root"
    )


def _check_period(cert: x509.Certificate, now: datetime, what: str) -> None:
    if now < cert.not_valid_before_utc:
        raise CertificateProblem(f"{what} is not valid before {cert.not_valid_before_utc}")
    if now > cert.not_valid_after_utc:
        raise CertificateProblem(f"{what} expired on {cert.not_valid_after_utc}")


def _check_key(cert: x509.Certificate) -> None:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise CertificateProblem(f"RSA key of {key.key_size} bits (A00.FR.502: 2048 minimum)")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < 224:
            raise CertificateProblem(
                f"EC key of {key.curve.key_size} bits (A00.FR.503: 224 minimum)"
            )
    else:
        raise CertificateProblem(f"unsupported key type {type(key).__name__}")


# --------------------------------------------------------------------------- signatures
def verify_signature(cert: x509.Certificate, data: bytes, signature_b64: str) -> bool:
    """True when ``signature_b64`` signs ``data`` (SHA-256) with ``cert``'s key (L01.FR.04)."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    if not signature:
        return False  # "if a signature is missing entirely" (L01 step 5)
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return _try(lambda: key.verify(signature, data, ec.ECDSA(hashes.SHA256())))
    if isinstance(key, rsa.RSAPublicKey):
        schemes: list[Any] = [
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
            padding.PKCS1v15(),
        ]
        return any(
            _try(lambda pad=pad: key.verify(signature, data, pad, hashes.SHA256()))
            for pad in schemes
        )
    return False


def sign_firmware(data: bytes, private_key: Any) -> str:
    """Base64 signature of ``data`` with SHA-256: RSA-PSS for RSA keys, ECDSA for EC keys."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        raw = private_key.sign(data, ec.ECDSA(hashes.SHA256()))
    elif isinstance(private_key, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
        raw = private_key.sign(data, pss, hashes.SHA256())
    else:
        raise TypeError(f"cannot sign with a {type(private_key).__name__}")
    return base64.b64encode(raw).decode()


def _try(verify: Any) -> bool:
    try:
        verify()
    except (InvalidSignature, ValueError):
        return False
    return True
