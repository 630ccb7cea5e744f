"""serve_ocpp: the CSMS end of OCPP-J (identity from the path, Basic auth, subprotocol)."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.ocpp.errors import LinkClosed
from bench.ocpp.session import OcppSession
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError
from bench.transport.server import OcppServer, serve_ocpp, station_id_from_path
from bench.transport.websocket import WebSocketLink, open_link
from tests.core.certs import make_pki, server_ssl_context

KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def start() -> AsyncIterator[Callable[..., Awaitable[OcppServer]]]:
    servers: list[OcppServer] = []

    async def _start(handler, **kwargs) -> OcppServer:
        server = await serve_ocpp(handler, **kwargs)
        servers.append(server)
        return server

    yield _start
    for server in servers:
        await server.close()


class Recorder:
    """A handler that records who connected and holds each link until it closes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.links: list[WebSocketLink] = []
        self.connected = asyncio.Event()

    async def __call__(self, station_id: str, link: WebSocketLink, subprotocol: str) -> None:
        self.calls.append((station_id, subprotocol))
        self.links.append(link)
        self.connected.set()
        try:
            while True:
                await link.send(await link.recv())
        except LinkClosed:
            pass


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize(
    ("path", "station_id"),
    [
        ("/ocpp/CP001", "CP001"),
        ("/ocpp/CP001/", "CP001"),
        ("/CP001", "CP001"),
        ("/ocppj/RDAM%20123", "RDAM 123"),  # OCPP-J 1.6 §3.1.1 example 2
        ("/ocpp/a%2Fb?token=1", "a/b"),
        ("/", None),
        ("//", None),
    ],
)
def test_the_station_id_is_the_last_non_empty_path_segment(path: str, station_id) -> None:
    assert station_id_from_path(path) == station_id


async def test_the_handler_gets_the_decoded_station_id_and_the_subprotocol(start) -> None:
    rec = Recorder()
    # A space is outside the 2.0.1 identity rule: the relaxed rule lets it through.
    server = await start(rec, relaxed_ids=True)
    link = await open_link(LinkConfig(server.url + "/ocpp/", "RDAM 123"))
    await asyncio.wait_for(rec.connected.wait(), 5)
    assert rec.calls == [("RDAM 123", "ocpp1.6")]
    assert server.connection_count == 1
    await link.close()


async def test_the_server_prefers_its_own_subprotocol_order(start) -> None:
    rec = Recorder()
    server = await start(rec, subprotocols=("ocpp2.0.1", "ocpp1.6"))
    async with connect(server.url + "/CP1", subprotocols=["ocpp1.6", "ocpp2.0.1"]) as ws:
        assert ws.subprotocol == "ocpp2.0.1"
    async with connect(server.url + "/CP2", subprotocols=["ocpp1.6"]) as ws:
        assert ws.subprotocol == "ocpp1.6"


async def test_a_client_without_a_supported_subprotocol_is_accepted_then_closed(start) -> None:
    """OCPP-J 1.6 §3.2: answer without Sec-WebSocket-Protocol, then close immediately."""
    rec = Recorder()
    server = await start(rec)
    async with connect(server.url + "/CP1", subprotocols=["ocpp2.0.1"]) as ws:
        assert ws.subprotocol is None  # the handshake itself succeeded
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1002
    assert "ocpp1.6" in closed.value.rcvd.reason
    assert rec.calls == []


async def test_a_url_without_a_station_id_gets_http_404(start) -> None:
    """OCPP-J 1.6 §3.2: an unrecognised identity is answered with 404."""
    server = await start(Recorder())
    with pytest.raises(InvalidStatus) as err:
        await connect(server.url + "/", subprotocols=["ocpp1.6"])
    assert err.value.response.status_code == 404


async def test_basic_auth_username_must_be_the_station_id(start) -> None:
    """Whitepaper A00.FR.204: username = the identity used in the connection URL."""
    server = await start(Recorder(), basic_auth=lambda _id, password: password == KEY)
    with pytest.raises(InvalidStatus) as err:
        await connect(
            server.url + "/CP1", subprotocols=["ocpp1.6"], additional_headers=basic("CP2", KEY)
        )
    assert err.value.response.status_code == 401
    assert b"identity" in err.value.response.body
    assert err.value.response.headers["WWW-Authenticate"].startswith("Basic")


async def test_missing_credentials_get_401_before_the_upgrade(start) -> None:
    """Whitepaper §2.3: the server validates Authorization before upgrading."""
    rec = Recorder()
    server = await start(rec, basic_auth=lambda _id, _pw: True)
    with pytest.raises(InvalidStatus) as err:
        await connect(server.url + "/CP1", subprotocols=["ocpp1.6"])
    assert err.value.response.status_code == 401
    assert rec.calls == []


async def test_an_async_password_check_is_awaited(start) -> None:
    async def check(station_id: str, password: str) -> bool:
        await asyncio.sleep(0)
        return (station_id, password) == ("CP1", KEY)

    rec = Recorder()
    server = await start(rec, basic_auth=check)
    link = await open_link(LinkConfig(server.url, "CP1", password=KEY))
    await link.close()
    with pytest.raises(LinkError) as err:
        await open_link(LinkConfig(server.url, "CP1", password="0" * 32))
    assert err.value.status == 401


async def test_the_server_side_link_raises_link_closed_when_the_charge_point_leaves(
    start,
) -> None:
    rec = Recorder()
    server = await start(rec)
    link = await open_link(LinkConfig(server.url, "CP1"))
    await asyncio.wait_for(rec.connected.wait(), 5)
    server_link = rec.links[0]
    await link.close(1001, "rebooting")
    with pytest.raises(LinkClosed):
        await asyncio.wait_for(server_link.send("anyone?"), 5)
    assert server_link.close_code == 1001
    assert server_link.close_reason == "closed by the peer: 1001 (going away) rebooting"


async def test_an_ocpp_session_runs_over_the_link_in_both_directions(start) -> None:
    """OCPP-J 1.6 §4: CALL/CALLRESULT framing end to end over a real WebSocket."""
    csms_sessions: list[OcppSession] = []

    async def heartbeat(_payload: dict) -> dict:
        return {"currentTime": "2025-01-01T00:00:00Z"}

    async def csms(station_id: str, link: WebSocketLink, subprotocol: str) -> None:
        session = OcppSession(
            link, version="1.6", station_id=station_id, handlers={"Heartbeat": heartbeat}
        )
        csms_sessions.append(session)
        await session.serve()

    server = await start(csms)
    link = await open_link(LinkConfig(server.url, "CP1"))
    cp = OcppSession(link, version="1.6", station_id="CP1", handlers={})
    serving = asyncio.create_task(cp.serve())
    try:
        reply = await cp.call("Heartbeat", {}, timeout=5)
        assert reply == {"currentTime": "2025-01-01T00:00:00Z"}
    finally:
        await link.close()
        await asyncio.wait_for(serving, 5)


async def test_a_verified_client_certificate_is_admitted_without_basic_credentials(
    start, tmp_path
) -> None:
    """Whitepaper A00.FR.401: on profile 3 the client certificate authenticates the station,
    also where the endpoint takes Basic auth from profile 2 stations; without either the
    request still gets 401."""
    pki = make_pki(tmp_path)
    client = pki.ca.issue_client(tmp_path, "CP1")
    context = server_ssl_context(pki.server, client_ca=pki.ca.cert_file)
    context.verify_mode = ssl.CERT_OPTIONAL  # profile 2 and 3 stations on one endpoint
    profiles: list[int] = []

    def admit(_station_id: str, profile: int) -> None:
        profiles.append(profile)

    server = await start(
        Recorder(),
        basic_auth=lambda _id, password: password == KEY,
        ssl_context=context,
        admit=admit,
    )
    url = server.url
    ca = str(pki.ca.cert_file)
    link = await open_link(
        LinkConfig(
            url, "CP1", ca_file=ca, cert_file=str(client.cert_file), key_file=str(client.key_file)
        )
    )
    await link.close()
    with pytest.raises(LinkError) as err:
        await open_link(LinkConfig(url, "CP1", ca_file=ca))
    assert err.value.status == 401
    assert profiles == [3]
