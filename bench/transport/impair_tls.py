"""``impair tlsfail``: a TLS handshake with the CSMS's host that fails on the wire.

Split from ``bench.transport.impair``: the one fault that opens a connection of
its own rather than acting on frames.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.parse

from bench.transport.config import LinkConfig
from bench.transport.errors import FailureKind, LinkError

__all__ = ["failing_tls_handshake"]


async def failing_tls_handshake(cfg: LinkConfig) -> LinkError:
    """Try a TLS handshake with the CSMS's host that cannot succeed; the error it gives.

    The client trusts no certificate at all, so against a TLS endpoint verification
    fails, and against a plain one the server answers a ClientHello with HTTP: either
    way a real handshake fails on the wire, as with a middlebox that breaks TLS.
    """
    parts = urllib.parse.urlsplit(cfg.endpoint())
    host = parts.hostname or "localhost"
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    where = f"{host}:{port}"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # loads no CA: trusts nothing
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host),
            cfg.open_timeout,
        )
    except ssl.SSLCertVerificationError as exc:
        return _caused(
            f"TLS verification of the server at {where} failed: {exc.verify_message} "
            "(impair tlsfail: no certificate is trusted)",
            FailureKind.TLS,
            exc,
        )
    except ssl.SSLError as exc:
        return _caused(
            f"the TLS handshake with {where} failed: {exc.reason or exc} (impair tlsfail)",
            FailureKind.TLS,
            exc,
        )
    except TimeoutError as exc:
        return _caused(
            f"the TLS handshake with {where} did not finish within {cfg.open_timeout:g} s "
            "(impair tlsfail)",
            FailureKind.TLS,
            exc,
        )
    except ConnectionRefusedError as exc:
        return _caused(f"connection refused by {where}", FailureKind.REFUSED, exc)
    except OSError as exc:
        return _caused(
            f"the TLS handshake with {where} failed: {exc.strerror or exc} (impair tlsfail)",
            FailureKind.TLS,
            exc,
        )
    writer.close()
    return LinkError(
        f"the TLS handshake with {where} failed: no certificate is trusted (impair tlsfail)",
        FailureKind.TLS,
    )


def _caused(message: str, kind: FailureKind, cause: BaseException) -> LinkError:
    # The cause tells the station's security block what kind of TLS failure it met
    # (bench.ocpp.common.security_events.connect_failure), as with a real connect.
    error = LinkError(message, kind)
    error.__cause__ = cause
    return error
