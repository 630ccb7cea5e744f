"""Helpers for firmware, diagnostics and log tests: a real FTP server and firmware signing keys.

- ``FtpServer``: pyftpdlib on 127.0.0.1 (OS-assigned port) in a thread, one user
  with full rights on a folder; every finished transfer is counted.
- ``make_signer``: a Manufacturer root certificate and a Firmware Signing
  certificate issued by it (whitepaper §2.6, L01), ECDSA P-256 or RSA-2048.
- ``firmware_file``: a firmware image in the bench's JSON format.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

FTP_USER = "bench"
FTP_PASSWORD = "s3cret"

logging.getLogger("pyftpdlib").setLevel(logging.WARNING)


@dataclass
class FtpServer:
    """A real FTP server for one test; ``url(path)`` carries the credentials."""

    root: Path
    received: list[str] = field(default_factory=list)  # paths stored by clients
    sent: list[str] = field(default_factory=list)  # paths retrieved by clients
    _server: Any = None
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> FtpServer:
        self.root.mkdir(parents=True, exist_ok=True)
        authorizer = DummyAuthorizer()
        authorizer.add_user(FTP_USER, FTP_PASSWORD, str(self.root), perm="elradfmwMT")
        owner = self

        class Handler(FTPHandler):
            def on_file_received(self, file: str) -> None:
                owner.received.append(file)

            def on_file_sent(self, file: str) -> None:
                owner.sent.append(file)

        Handler.authorizer = authorizer
        self._server = FTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._serve, name="ftp-server", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        for _ in range(10_000_000):  # bounded; stop() ends it within one poll
            if self._stop.is_set():
                break
            self._server.serve_forever(timeout=0.02, blocking=False, handle_exit=False)
        self._server.close_all()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def port(self) -> int:
        return self._server.socket.getsockname()[1]

    def url(self, path: str = "", *, user: str = FTP_USER, password: str = FTP_PASSWORD) -> str:
        return f"ftp://{user}:{password}@127.0.0.1:{self.port}/{path.lstrip('/')}"


def firmware_file(version: str, **extra: Any) -> bytes:
    """A firmware image in the bench's format (bench.firmware_image)."""
    return json.dumps({"version": version, **extra}).encode()


# --------------------------------------------------------------------------- signing keys
@dataclass(frozen=True)
class Signer:
    """A Manufacturer root and a Firmware Signing certificate issued by it."""

    root: x509.Certificate
    root_key: Any
    cert: x509.Certificate
    key: Any

    @property
    def root_pem(self) -> str:
        return self.root.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


def _new_key(kind: str) -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bench Manufacturer"),
        ]
    )


def make_certificate(
    cn: str,
    key: Any,
    issuer: x509.Certificate | None = None,
    issuer_key: Any = None,
    *,
    ca: bool = False,
    not_before: dt.datetime | None = None,
    days: float = 30,
) -> x509.Certificate:
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.subject if issuer is not None else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
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
    return builder.sign(issuer_key if issuer_key is not None else key, hashes.SHA256())


def make_signer(kind: str = "ec", **cert_kw: Any) -> Signer:
    """A fresh manufacturer root and signing certificate; ``kind`` is "ec" or "rsa"."""
    root_key = _new_key(kind)
    root = make_certificate("Bench Manufacturer Root", root_key, ca=True, days=365)
    key = _new_key(kind)
    cert = make_certificate("Bench Firmware Signing", key, root, root_key, **cert_kw)
    return Signer(root, root_key, cert, key)
