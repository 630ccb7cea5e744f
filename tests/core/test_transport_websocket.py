"""open_link against real loopback servers: security profiles 0-3, failures, close, pings.

Profiles per the OCPP 1.6 security whitepaper (edition 3) §2.3-§2.5; the
handshake per OCPP-J 1.6 §3. Certificates come from tests/core/certs.py.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve

from bench.ocpp.errors import LinkClosed
from bench.transport.config import LinkConfig
from bench.transport.errors import FailureKind, LinkError, TransportClosed
from bench.transport.server import OcppServer, serve_ocpp
from bench.transport.websocket import WebSocketLink, open_link
from tests.core.certs import Pki, make_pki, server_ssl_context

KEY = "0123456789abcdef0123456789abcdef"  # a 16-byte AuthorizationKey in hex (A00.FR.205)


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until true, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


async def echo(station_id: str, link: WebSocketLink, subprotocol: str) -> None:
    """Answer every message with ``station_id|subprotocol|message``."""
    try:
        while True:
            text = await link.recv()
            await link.send(f"{station_id}|{subprotocol}|{text}")
    except LinkClosed:
        pass


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
async def start() -> AsyncIterator[Callable[..., Awaitable[OcppServer]]]:
    """Start serve_ocpp servers that are closed after the test."""
    servers: list[OcppServer] = []

    async def _start(handler=echo, **kwargs) -> OcppServer:
        server = await serve_ocpp(handler, **kwargs)
        servers.append(server)
        return server

    yield _start
    for server in servers:
        await server.close()


async def roundtrip(cfg: LinkConfig, text: str = "hi") -> str:
    link = await open_link(cfg)
    try:
        await link.send(text)
        return await asyncio.wait_for(link.recv(), 5)
    finally:
        await link.close()


def free_port() -> int:
    """A port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------- profiles
async def test_profile_0_connects_with_the_station_id_and_ocpp16_subprotocol(start) -> None:
    """OCPP-J 1.6 §3.1: identity in the URL path (percent-encoded by the station),
    subprotocol ocpp1.6 negotiated. A space is outside the 2.0.1 identity rule, so
    the server takes the relaxed 1.6 rule here."""
    server = await start(relaxed_ids=True)
    cfg = LinkConfig(server.url + "/ocpp", "CP 001")
    assert cfg.profile == 0
    assert await roundtrip(cfg) == "CP 001|ocpp1.6|hi"


async def test_profile_1_connects_with_the_right_authorization_key(start) -> None:
    """Whitepaper A00.FR.202-204: Basic auth, username = charge point identity."""
    seen: list[tuple[str, str]] = []

    def check(station_id: str, password: str) -> bool:
        seen.append((station_id, password))
        return password == KEY

    server = await start(basic_auth=check)
    cfg = LinkConfig(server.url, "CP1", password=KEY)
    assert cfg.profile == 1
    assert await roundtrip(cfg) == "CP1|ocpp1.6|hi"
    assert seen == [("CP1", KEY)]


async def test_profile_1_with_a_wrong_password_fails_with_a_clear_401_error(start) -> None:
    server = await start(basic_auth=lambda _id, password: password == KEY)
    cfg = LinkConfig(server.url, "CP1", password="f" * 32)
    with pytest.raises(LinkError) as err:
        await open_link(cfg)
    assert err.value.kind is FailureKind.UNAUTHORIZED
    assert err.value.status == 401
    message = str(err.value)
    assert "HTTP 401 Unauthorized" in message
    assert "password" in message and "'CP1'" in message
    assert "\n" not in message


async def test_a_server_that_wants_credentials_says_so_when_none_are_configured(start) -> None:
    server = await start(basic_auth=lambda _id, _pw: True)
    with pytest.raises(LinkError, match="configure a password") as err:
        await open_link(LinkConfig(server.url, "CP1"))
    assert err.value.kind is FailureKind.UNAUTHORIZED


async def test_profile_2_connects_over_tls_verified_with_the_given_ca(start, pki: Pki) -> None:
    """Whitepaper §2.4: TLS with the server certificate checked (A00.FR.307/308)."""
    server = await start(
        ssl_context=server_ssl_context(pki.server),
        basic_auth=lambda _id, password: password == KEY,
    )
    assert server.url.startswith("wss://127.0.0.1:")
    cfg = LinkConfig(server.url, "CP2", password=KEY, ca_file=str(pki.ca.cert_file))
    assert cfg.profile == 2
    assert await roundtrip(cfg) == "CP2|ocpp1.6|hi"


async def test_profile_2_fails_verification_without_the_ca(start, pki: Pki) -> None:
    """A00.FR.309/310: an unverifiable Central System certificate ends the attempt."""
    server = await start(ssl_context=server_ssl_context(pki.server))
    cfg = LinkConfig(server.url, "CP2", password=KEY)  # system store: our CA is unknown
    with pytest.raises(LinkError) as err:
        await open_link(cfg)
    assert err.value.kind is FailureKind.TLS
    assert "TLS verification" in str(err.value)
    assert "system CA store" in str(err.value)


async def test_profile_2_fails_verification_against_another_ca(start, pki: Pki, tmp_path) -> None:
    other = make_pki(tmp_path / "other")
    server = await start(ssl_context=server_ssl_context(pki.server))
    cfg = LinkConfig(server.url, "CP2", password=KEY, ca_file=str(other.ca.cert_file))
    with pytest.raises(LinkError, match=r"TLS verification .* failed") as err:
        await open_link(cfg)
    assert err.value.kind is FailureKind.TLS


async def test_profile_3_connects_with_a_client_certificate_the_server_requires(
    start, pki: Pki, tmp_path: Path
) -> None:
    """Whitepaper §2.5: the charge point authenticates with its certificate (A00.FR.401/402)."""
    client = pki.ca.issue_client(tmp_path / "pki", "CP3")
    server = await start(ssl_context=server_ssl_context(pki.server, client_ca=pki.ca.cert_file))
    cfg = LinkConfig(
        server.url,
        "CP3",
        ca_file=str(pki.ca.cert_file),
        cert_file=str(client.cert_file),
        key_file=str(client.key_file),
    )
    assert cfg.profile == 3
    assert await roundtrip(cfg) == "CP3|ocpp1.6|hi"


async def test_profile_3_is_refused_without_a_client_certificate(start, pki: Pki) -> None:
    """A00.FR.407: the Central System terminates a connection without a valid certificate."""
    server = await start(ssl_context=server_ssl_context(pki.server, client_ca=pki.ca.cert_file))
    cfg = LinkConfig(
        server.url, "CP3", security_profile=2, password=KEY, ca_file=str(pki.ca.cert_file)
    )
    with pytest.raises(LinkError, match="client certificate") as err:
        await open_link(cfg)
    assert err.value.kind is FailureKind.TLS


async def test_profile_3_is_refused_with_a_certificate_from_another_ca(
    start, pki: Pki, tmp_path: Path
) -> None:
    rogue = make_pki(tmp_path / "rogue").ca.issue_client(tmp_path / "rogue", "CP3")
    server = await start(ssl_context=server_ssl_context(pki.server, client_ca=pki.ca.cert_file))
    cfg = LinkConfig(
        server.url,
        "CP3",
        ca_file=str(pki.ca.cert_file),
        cert_file=str(rogue.cert_file),
        key_file=str(rogue.key_file),
    )
    with pytest.raises(LinkError, match="rejected our client certificate") as err:
        await open_link(cfg)
    assert err.value.kind is FailureKind.TLS


async def test_an_unreadable_client_certificate_is_a_config_error(pki: Pki, tmp_path: Path) -> None:
    cfg = LinkConfig(
        "wss://127.0.0.1:1/ocpp",
        "CP3",
        ca_file=str(pki.ca.cert_file),
        cert_file=str(tmp_path / "missing.pem"),
        key_file=str(tmp_path / "missing.key"),
    )
    with pytest.raises(LinkError, match="cannot load the client certificate") as err:
        await open_link(cfg)
    assert err.value.kind is FailureKind.CONFIG


# ---------------------------------------------------------------------- failures
async def test_a_server_selecting_no_subprotocol_is_refused_by_the_charge_point(start) -> None:
    """OCPP-J 1.6 §3.2: no Sec-WebSocket-Protocol in the answer means no agreement."""
    server = await start(subprotocols=("ocpp2.0.1",))
    with pytest.raises(LinkError) as err:
        await open_link(LinkConfig(server.url, "CP1"))
    assert err.value.kind is FailureKind.SUBPROTOCOL
    assert "did not accept WebSocket subprotocol ocpp1.6" in str(err.value)
    await wait_until(lambda: server.connection_count == 0)


async def test_a_plain_websocket_server_without_subprotocols_is_refused_too() -> None:
    async def idle(conn: ServerConnection) -> None:
        await conn.wait_closed()

    async with serve(idle, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(LinkError, match=r"it selected none\)") as err:
            await open_link(LinkConfig(f"ws://127.0.0.1:{port}", "CP1"))
    assert err.value.kind is FailureKind.SUBPROTOCOL


async def test_connection_refused_is_a_link_error_naming_host_and_port() -> None:
    port = free_port()
    with pytest.raises(LinkError) as err:
        await open_link(LinkConfig(f"ws://127.0.0.1:{port}/ocpp", "CP1"))
    assert str(err.value) == f"connection refused by 127.0.0.1:{port}"
    assert err.value.kind is FailureKind.REFUSED


async def test_an_unresolvable_host_name_is_a_dns_link_error() -> None:
    with pytest.raises(LinkError, match=r"cannot resolve host name 'csms\.invalid'") as err:
        await open_link(LinkConfig("ws://csms.invalid/ocpp", "CP1", open_timeout=5))
    assert err.value.kind is FailureKind.DNS


async def test_a_server_that_never_answers_times_out_with_a_link_error() -> None:
    hung_up = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # read the handshake request, never answer, until EOF
        writer.close()
        hung_up.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(LinkError, match=r"within 0\.3 s") as err:
            await open_link(LinkConfig(f"ws://127.0.0.1:{port}", "CP1", open_timeout=0.3))
        assert err.value.kind is FailureKind.TIMEOUT
        await asyncio.wait_for(hung_up.wait(), 5)  # the client dropped the socket
    finally:
        server.close()
        await server.wait_closed()


async def test_an_unknown_path_gives_a_404_link_error_with_a_hint(start) -> None:
    server = await start()
    cfg = LinkConfig(server.url + "/{id}/", "CP1")
    # serve_ocpp answers 404 only without an identity; use a raw server for the 404 case.
    assert await roundtrip(cfg) == "CP1|ocpp1.6|hi"

    async def not_found(conn, request):
        return conn.respond(404, "Unknown charge point\n")

    async with serve(lambda c: c.wait_closed(), "127.0.0.1", 0, process_request=not_found) as raw:
        port = raw.sockets[0].getsockname()[1]
        with pytest.raises(LinkError) as err:
            await open_link(LinkConfig(f"ws://127.0.0.1:{port}/ocpp", "CP9"))
    assert err.value.kind is FailureKind.HTTP_STATUS
    assert err.value.status == 404
    assert "HTTP 404 Not Found (Unknown charge point)" in str(err.value)
    assert "station id" in str(err.value)


async def test_ws_to_a_tls_port_says_the_server_hung_up(start, pki: Pki) -> None:
    server = await start(ssl_context=server_ssl_context(pki.server))
    plain = server.url.replace("wss://", "ws://")
    with pytest.raises(LinkError, match=r"wss://") as err:
        await open_link(LinkConfig(plain, "CP1", open_timeout=3))
    assert err.value.kind is FailureKind.PROTOCOL


# ---------------------------------------------------------------------- open links
async def test_recv_raises_link_closed_with_code_and_reason_when_the_server_closes(start) -> None:
    async def close_after_one(station_id: str, link: WebSocketLink, subprotocol: str) -> None:
        await link.send("last words")
        await link.close(4001, "bye now")

    server = await start(close_after_one)
    link = await open_link(LinkConfig(server.url, "CP1"))
    assert await asyncio.wait_for(link.recv(), 5) == "last words"
    with pytest.raises(LinkClosed) as err:
        await asyncio.wait_for(link.recv(), 5)
    assert isinstance(err.value, TransportClosed)
    assert (err.value.code, err.value.reason) == (4001, "bye now")
    assert link.closed
    assert link.close_code == 4001
    assert link.close_reason == "closed by the peer: 4001 (private use) bye now"
    with pytest.raises(LinkClosed):
        await link.send("anyone?")


async def test_recv_raises_link_closed_when_the_server_shuts_down(start) -> None:
    server = await start()
    link = await open_link(LinkConfig(server.url, "CP1"))
    await server.close()
    with pytest.raises(LinkClosed, match="1001"):
        await asyncio.wait_for(link.recv(), 5)


async def test_closing_our_side_makes_recv_raise_link_closed(start) -> None:
    server = await start()
    link = await open_link(LinkConfig(server.url, "CP1"))
    assert not link.closed and link.close_code is None and link.close_reason == ""
    assert link.subprotocol == "ocpp1.6"
    await link.close()
    assert link.closed
    with pytest.raises(LinkClosed):
        await link.recv()
    assert link.close_reason == "closed by us: 1000 (OK)"


# ---------------------------------------------------------------------- pings
async def test_pings_keep_the_link_alive_and_measure_latency(start) -> None:
    """OCPP-J 1.6 §5.3 / WebSocketPingInterval: the charge point pings the server."""
    server = await start()
    link = await open_link(LinkConfig(server.url, "CP1", ping_interval=0.05))
    try:
        assert link.ping_interval == 0.05
        await wait_until(lambda: link.latency > 0)  # a pong came back
        assert await roundtrip_on(link) == "CP1|ocpp1.6|still here"
    finally:
        await link.close()


async def test_zero_ping_interval_disables_pings(start) -> None:
    server = await start()
    link = await open_link(LinkConfig(server.url, "CP1", ping_interval=0))
    try:
        assert link.ping_interval is None
    finally:
        await link.close()


async def test_a_peer_that_stops_answering_pings_is_detected(start) -> None:
    stalled: list[WebSocketLink] = []

    async def stall(station_id: str, link: WebSocketLink, subprotocol: str) -> None:
        stalled.append(link)
        try:
            await link.recv()
        except LinkClosed:
            pass

    server = await start(stall)
    link = await open_link(
        LinkConfig(server.url, "CP1", ping_interval=0.1, ping_timeout=0.2, close_timeout=0.2)
    )
    await wait_until(lambda: bool(stalled))
    # Freeze the server's reading: our pings go unanswered, like a dead peer behind NAT.
    stalled[0]._conn.transport.pause_reading()
    with pytest.raises(LinkClosed, match="keepalive ping timeout") as err:
        await asyncio.wait_for(link.recv(), 10)
    assert err.value.code == 1011
    stalled[0]._conn.transport.resume_reading()  # let the server see the close promptly
    await server.close()


async def test_set_ping_interval_starts_and_stops_pings_on_an_open_link(start) -> None:
    server = await start()
    link = await open_link(LinkConfig(server.url, "CP1"))
    try:
        assert link.ping_interval is None
        assert link.latency == 0.0
        link.set_ping_interval(0.05)
        await wait_until(lambda: link.latency > 0)
        link.set_ping_interval(0)
        assert link.ping_interval is None
        assert link._conn.keepalive_task is None
        with pytest.raises(ValueError):
            link.set_ping_interval(-1)
    finally:
        await link.close()


async def roundtrip_on(link: WebSocketLink, text: str = "still here") -> str:
    await link.send(text)
    return await asyncio.wait_for(link.recv(), 5)


# ---------------------------------------------------------------------- admit (A05.FR.07)
async def test_admit_hears_the_security_profile_of_each_request_and_may_refuse_it(
    start, pki: Pki, tmp_path: Path
) -> None:
    """``admit(station_id, profile)`` sees 3 for a verified client certificate and 2 for
    checked Basic credentials over TLS; a reason it returns is an HTTP 403 refusal."""
    heard: list[tuple[str, int]] = []

    def admit(station_id: str, profile: int) -> str | None:
        heard.append((station_id, profile))
        return "no profile 2 for CP3" if (station_id, profile) == ("CP3", 2) else None

    context = server_ssl_context(pki.server, client_ca=pki.ca.cert_file)
    context.verify_mode = ssl.CERT_OPTIONAL  # a certificate is asked for, not required
    server = await start(
        ssl_context=context, basic_auth=lambda _id, password: password == KEY, admit=admit
    )
    client = pki.ca.issue_client(tmp_path / "pki", "CP3")
    ca = str(pki.ca.cert_file)
    with_cert = LinkConfig(
        server.url,
        "CP3",
        password=KEY,
        ca_file=ca,
        cert_file=str(client.cert_file),
        key_file=str(client.key_file),
    )
    assert await roundtrip(with_cert) == "CP3|ocpp1.6|hi"
    with pytest.raises(LinkError) as err:
        await open_link(LinkConfig(server.url, "CP3", password=KEY, ca_file=ca))
    assert err.value.status == 403
    assert await roundtrip(LinkConfig(server.url, "CP4", password=KEY, ca_file=ca))
    assert heard == [("CP3", 3), ("CP3", 2), ("CP4", 2)]


async def test_admit_hears_profile_1_for_basic_auth_and_0_without_anything(start) -> None:
    heard: list[tuple[str, int]] = []

    def admit(station_id: str, profile: int) -> None:
        heard.append((station_id, profile))

    server = await start(basic_auth=lambda _id, password: password == KEY, admit=admit)
    await roundtrip(LinkConfig(server.url, "CP1", password=KEY))
    plain = await start(admit=admit)
    await roundtrip(LinkConfig(plain.url, "CP0"))
    assert heard == [("CP1", 1), ("CP0", 0)]
