"""The two TLS sides of the proxy, configured independently.

Toward the charger the proxy presents its own certificate (``--tls-cert``/
``--tls-key``): a charger that verifies its CSMS must trust the bench's CA.
Toward the CSMS it verifies the CSMS's certificate against ``--upstream-ca`` or
the system store. TLS 1.2 or above on both (whitepaper A00.FR.312 / A00.FR.313).
"""

from __future__ import annotations

import ssl

__all__ = ["TlsSetupError", "charger_side", "csms_side"]


class TlsSetupError(ValueError):
    """A certificate, key or CA file is unusable; one sentence saying which."""


def charger_side(cert_file: str | None, key_file: str | None) -> ssl.SSLContext | None:
    """The server context toward the charger; None (plain ws://) without a certificate."""
    if cert_file is None and key_file is None:
        return None
    if cert_file is None or key_file is None:
        raise TlsSetupError("--tls-cert and --tls-key go together")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(
            f"cannot load the certificate {cert_file} with key {key_file}: {_detail(exc)}"
        ) from None
    return context


def csms_side(ca_file: str | None) -> ssl.SSLContext:
    """The verifying client context toward a wss:// CSMS."""
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(f"cannot load the CA file {ca_file}: {_detail(exc)}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _detail(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc)
    return exc.strerror or str(exc)
