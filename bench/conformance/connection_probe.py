"""Connection attempts a well-behaved station would never make, for the A cases (part 6 §3.2).

The security cases check how the CSMS treats a connection before any OCPP
message flows: Basic auth with the wrong user name or password (A00.FR.204/324),
TLS below 1.2 (A00.FR.315/418), a client certificate it must refuse
(A00.FR.403/407), the cipher suites and certificate it offers (A00.FR.318/421,
A00.FR.502-510), an older security profile after an upgrade (A05.FR.07). These
attempts are made here, beside the station, and closed at once; what came back
becomes the case's check.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ssl
import urllib.parse
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidMessage, InvalidStatus

from bench.transport.config import LinkConfig

SUBPROTOCOL = "ocpp2.0.1"
# A00.FR.318 / A00.FR.421: IANA name -> OpenSSL name.
CIPHER_SUITES = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
}


class Unreachable(Exception):
    """The CSMS could not be reached at all (no TCP connection, no answer in time)."""


@dataclass(frozen=True, slots=True)
class Upgrade:
    """How the CSMS answered a WebSocket upgrade request."""

    accepted: bool
    detail: str  # "HTTP 101", "HTTP 401 Unauthorized", "TLS: certificate unknown", ...


@dataclass(frozen=True, slots=True)
class Credentials:
    """What one connection attempt presents; None leaves a part out."""

    username: str | None = None  # Basic auth user name (None: no Authorization header)
    password: str | None = None
    cert_file: str | None = None  # a client certificate for TLS (profile 3)
    key_file: str | None = None


def endpoint(url: str, station_id: str) -> str:
    """The station's connection URL (OCPP-J: the identity is the last path segment)."""
    return LinkConfig(url=url, station_id=station_id, subprotocol=SUBPROTOCOL).endpoint()


def client_context(
    ca_file: str | None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> ssl.SSLContext:
    """A TLS client context trusting ``ca_file`` (or the system store), TLS 1.2 or above."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file is not None:
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


async def try_upgrade(
    url: str,
    station_id: str,
    credentials: Credentials,
    *,
    ca_file: str | None,
    timeout: float,
) -> Upgrade:
    """Open a WebSocket to the CSMS as ``station_id`` with ``credentials``; close it at once.

    Raises ``Unreachable`` when no TCP connection could be made or nothing came back.
    """
    target = endpoint(url, station_id)
    headers = []
    if credentials.username is not None:
        pair = f"{credentials.username}:{credentials.password or ''}".encode()
        headers.append(("Authorization", "Basic " + base64.b64encode(pair).decode()))
    kwargs: dict[str, object] = {}
    if urllib.parse.urlsplit(target).scheme == "wss":
        kwargs["ssl"] = client_context(ca_file, credentials.cert_file, credentials.key_file)
    try:
        conn = await connect(
            target,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            additional_headers=headers,
            proxy=None,
            open_timeout=timeout,
            ping_interval=None,
            **kwargs,  # type: ignore[arg-type]
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        return Upgrade(False, f"HTTP {status} {exc.response.reason_phrase}".strip())
    except ssl.SSLError as exc:
        return Upgrade(False, f"TLS handshake refused: {exc.reason or exc}")
    except (InvalidMessage, EOFError, ConnectionResetError, BrokenPipeError) as exc:
        return Upgrade(False, f"connection closed before the upgrade ({type(exc).__name__})")
    except InvalidHandshake as exc:
        return Upgrade(False, f"upgrade refused: {exc}")
    except TimeoutError:
        raise Unreachable(f"no answer to the upgrade request within {timeout:g} s") from None
    except OSError as exc:
        raise Unreachable(f"cannot connect to {target}: {exc.strerror or exc}") from None
    await conn.close()
    return Upgrade(True, "HTTP 101 Switching Protocols")


@dataclass(frozen=True, slots=True)
class Handshake:
    """A TLS handshake with the CSMS (no HTTP after it)."""

    ok: bool
    version: str | None = None  # "TLSv1.3"
    cipher: str | None = None  # OpenSSL name of the suite chosen
    certificate: x509.Certificate | None = None  # the server's leaf
    error: str | None = None


def host_and_port(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "wss" else 80)


async def handshake(url: str, ctx: ssl.SSLContext, *, timeout: float) -> Handshake:
    """One TLS handshake with the CSMS at ``url`` using ``ctx``; raises ``Unreachable``."""
    host, port = host_and_port(url)
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=host), timeout
        )
    except ssl.SSLError as exc:
        return Handshake(False, error=str(exc.reason or exc))
    except (ConnectionResetError, BrokenPipeError, EOFError) as exc:
        return Handshake(False, error=f"connection closed during the handshake ({exc!r})")
    except TimeoutError:
        raise Unreachable(f"no TLS handshake with {host}:{port} within {timeout:g} s") from None
    except OSError as exc:
        raise Unreachable(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
    tls = writer.get_extra_info("ssl_object")
    der = tls.getpeercert(binary_form=True) if tls is not None else None
    result = Handshake(
        True,
        version=tls.version() if tls is not None else None,
        cipher=(tls.cipher() or (None,))[0] if tls is not None else None,
        certificate=x509.load_der_x509_certificate(der) if der else None,
    )
    writer.close()
    try:
        await writer.wait_closed()
    except (OSError, ssl.SSLError):
        pass  # the server may hang up first; the handshake is what was wanted
    return result


def suite_context(
    ca_file: str | None, openssl_name: str, cert_file: str | None, key_file: str | None
) -> ssl.SSLContext:
    """A TLS 1.2 client context offering only the one cipher suite ``openssl_name``."""
    ctx = client_context(ca_file, cert_file, key_file)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # the suites of A00.FR.318 are TLS 1.2's
    ctx.set_ciphers(openssl_name)
    return ctx


def old_tls_context(cert_file: str | None, key_file: str | None) -> ssl.SSLContext:
    """A client context that offers only TLS 1.0 and 1.1 (A00.FR.315/418).

    Nothing is verified: the attempt must fail before certificates matter.
    Raises ``ssl.SSLError`` when the local TLS library cannot offer them at all.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # on purpose: the case needs them
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if cert_file is not None:
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


def unknown_client_certificate(folder: Path, common_name: str, now: dt.datetime) -> Credentials:
    """A client certificate no CSMS can trust: self-signed, fresh key, CN = ``common_name``.

    TC_A_08's "unknown certificate" (A00.FR.403/407).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Unknown to the CSMS"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file = folder / "unknown-client.pem"
    key_file = folder / "unknown-client.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Credentials(cert_file=str(cert_file), key_file=str(key_file))
