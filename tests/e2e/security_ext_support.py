"""Helpers for the security-extension end-to-end tests (whitepaper edition 3).

``TlsFronts`` opens extra TLS listeners in front of one ``CentralSystem``
(whitepaper A00.FR.006: a CSMS may serve each security profile on its own
port) and records the client certificate each connection presented, so a
test can see which certificate a station used.
"""

from __future__ import annotations

import ssl
from typing import Any

from cryptography import x509

from bench.csms.server import CentralSystem
from bench.transport.server import OcppServer, serve_ocpp
from tests.e2e.conftest import WAIT, wait_until

KEY = "00112233445566778899aabbccddeeff"  # an AuthorizationKey (16..40 hex digits)
CPO = "OCPP Bench CPO"  # the O of tests/core/certs.py client certificates


class TlsFronts:
    def __init__(self) -> None:
        self.servers: list[OcppServer] = []
        # (front url, station id, client certificate or None), one per accepted connection
        self.connections: list[tuple[str, str, x509.Certificate | None]] = []

    async def open(self, csms: CentralSystem, context: ssl.SSLContext, *, basic_auth: bool) -> str:
        holder: dict[str, str] = {}

        async def handler(station_id: str, link: Any, subprotocol: str) -> None:
            self.connections.append((holder["url"], station_id, _peer_certificate(link)))
            await csms._on_connection(station_id, link, subprotocol)

        server = await serve_ocpp(
            handler,
            ssl_context=context,
            basic_auth=csms._check_password if basic_auth else None,
        )
        holder["url"] = server.url
        self.servers.append(server)
        return server.url

    def on(self, url: str) -> list[tuple[str, str, x509.Certificate | None]]:
        return [c for c in self.connections if c[0] == url]

    async def close(self) -> None:
        for server in self.servers:
            await server.close()


def _peer_certificate(link: Any) -> x509.Certificate | None:
    # Test-only peek under the transport: which client certificate the TLS peer showed.
    ssl_object = link._conn.transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return x509.load_der_x509_certificate(der) if der else None


def security_events(csms: CentralSystem, station: str = "CP1") -> list[dict[str, Any]]:
    """SecurityEventNotification payloads the CSMS stored, oldest first."""
    assert csms.store is not None
    return [row.payload for row in csms.store.events(station, "SecurityEventNotification")]


async def security_event(
    csms: CentralSystem, event_type: str, station: str = "CP1", timeout: float = WAIT
) -> dict[str, Any]:
    """Wait for the CSMS to have received a SecurityEventNotification of ``event_type``."""

    def found() -> dict[str, Any] | None:
        return next((e for e in security_events(csms, station) if e["type"] == event_type), None)

    return await wait_until(found, timeout, f"SecurityEventNotification {event_type}")


def csms_events(csms: CentralSystem, kind: str, station: str = "CP1") -> list[dict[str, Any]]:
    assert csms.store is not None
    return [row.payload for row in csms.store.events(station, kind)]
