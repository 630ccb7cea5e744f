"""Network faults on demand against a 2.0.1 station, seen on the wire (issue 17, part 2).

TransactionEvents lost on the way are sent again (E13.FR.02/03, MessageAttempts
and MessageAttemptInterval of OCPPCommCtrlr), those made while the link is down
are queued and delivered in seqNo order (E11, E12), and a dead connection is found
by the WebSocket ping.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench.ocpp.v201.charge_point import SUBPROTOCOL
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import CANNED_201, Cp201Factory, request
from tests.e2e.wire import WireCsms

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def wire201() -> AsyncIterator[WireCsms]:
    server = WireCsms(SUBPROTOCOL, CANNED_201)
    await server.start()
    yield server
    await server.stop()


def authorize(cp: Any, evse: int = 1) -> None:
    """Grant TAG1 on ``evse`` as the auth block would from its cache (no Authorize sent)."""
    session = cp.transactions.sessions[evse]
    cp.transactions.authorize(session, {"idToken": "TAG1", "type": "ISO14443"}, None, "Authorized")


def seq_numbers_on_the_wire(wire: WireCsms) -> list[int]:
    return [frame[3]["seqNo"] for _, frame in wire.arrived("TransactionEvent")]


async def test_a_lost_transaction_event_is_sent_again_until_it_reaches_the_csms(
    wire201: WireCsms, make_cp201: Cp201Factory
) -> None:
    """E13.FR.02/03: a TransactionEvent with no answer is sent again after
    MessageAttemptInterval, up to MessageAttempts[TransactionEvent] times."""
    cp = await make_cp201(
        wire201.url,
        call_timeout=0.5,
        variables={"OCPPCommCtrlr.MessageAttempts[TransactionEvent]": "10"},
    )
    cp.impair("loss 100%")
    cp.station.connector(1).plug_in(ev())
    authorize(cp)
    await wait_until(lambda: len(request(cp, "TransactionEvent")) >= 2, 10.0, "a second try")
    assert wire201.arrived("TransactionEvent") == []
    cp.impair("off")

    await wait_until(lambda: wire201.arrived("TransactionEvent"), 10.0, "the event on the wire")
    first = wire201.arrived("TransactionEvent")[0][1][3]
    assert first["eventType"] == "Started" and first["seqNo"] == 0
    tries = [p for p in request(cp, "TransactionEvent") if p["seqNo"] == 0]
    assert len(tries) >= 3 and all(p == first for p in tries)


@pytest.mark.timeout(120)
async def test_no_transaction_event_is_lost_and_seq_no_order_is_kept_through_loss_and_flapping(
    wire201: WireCsms, make_cp201: Cp201Factory
) -> None:
    """E11/E12, E13: every TransactionEvent the station made reaches the CSMS at least
    once, in seqNo order, while frames vanish and the link drops every second."""
    cp = await make_cp201(
        wire201.url,
        call_timeout=0.5,
        variables={
            "OCPPCommCtrlr.MessageAttempts[TransactionEvent]": "20",
            "SampledDataCtrlr.TxUpdatedInterval": "20",
        },
    )
    cp.impair("loss 10%, flap 1s")
    cp.station.connector(1).plug_in(ev())
    authorize(cp)
    await wait_until(lambda: cp.network_faults.counters.flaps >= 2, 20.0, "two drops")
    await cp.clock.sleep(240)  # four virtual minutes of Updated events
    cp.station.connector(1).unplug()
    await wait_until(lambda: cp.network_faults.counters.flaps >= 4, 20.0, "more drops")
    cp.impair("off")

    await wait_until(
        lambda: any(f[3]["eventType"] == "Ended" for _, f in wire201.arrived("TransactionEvent")),
        30.0,
        "the Ended event",
    )
    await wait_until(lambda: len(cp.transactions.queue) == 0, 30.0, "an empty queue")
    made = sorted({p["seqNo"] for p in request(cp, "TransactionEvent")})
    arrived = seq_numbers_on_the_wire(wire201)
    assert len(made) >= 6
    assert made == list(range(len(made)))
    assert sorted(set(arrived)) == made  # none lost
    assert arrived == sorted(arrived)  # none overtook another (a retry may repeat one)
    assert cp.network_faults.counters.dropped > 0


async def test_a_half_open_link_is_found_by_the_ping_of_web_socket_ping_interval_and_left(
    wire201: WireCsms, make_cp201: Cp201Factory
) -> None:
    """Part 4 §8.4 OCPPCommCtrlr.WebSocketPingInterval: a connection that carries
    nothing, not even pongs, is given up at the ping timeout; the station connects
    again once the network is back."""
    cp = await make_cp201(
        wire201.url, start=False, variables={"OCPPCommCtrlr.WebSocketPingInterval": "1"}
    )
    cp.link_config.close_timeout = 0.5
    await cp.start()
    await cp.wait_accepted(WAIT)
    assert cp._link.ping_interval == 1.0
    cp.impair("halfopen")
    await wait_until(lambda: not cp.online, 15.0, "the ping timeout")
    dead = wire201.link
    await wait_until(lambda: dead.closed, 15.0, "the CSMS end closed")
    assert "1011" in dead.close_reason and "keepalive ping timeout" in dead.close_reason
    assert wire201.arrived("Heartbeat") == []

    cp.impair("off")
    await wait_until(lambda: cp.online and wire201.connections >= 2, 15.0, "a fresh connection")
    assert cp._link.ping_interval == 1.0  # the fresh link pings too
    await cp.send_heartbeat()
    assert len(wire201.arrived("Heartbeat")) == 1


def _ping_interval(value: str) -> dict[str, Any]:
    return {
        "setVariableData": [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "WebSocketPingInterval"},
                "attributeValue": value,
            }
        ]
    }


async def test_set_variables_web_socket_ping_interval_changes_the_open_links_pings(
    csms: Any, make_cp201: Cp201Factory
) -> None:
    """B05 SetVariables on OCPPCommCtrlr.WebSocketPingInterval (part 4 §8.4): applied
    to the open link at once; 0 disables the station's pings; negative is Rejected.
    With pings on, a half-open link is noticed and left, and the station reconnects."""
    cp = await make_cp201(
        csms.url, "PING1", start=False, variables={"OCPPCommCtrlr.WebSocketPingInterval": "0"}
    )
    cp.link_config.close_timeout = 0.5
    await cp.start()
    await cp.wait_accepted(WAIT)
    assert cp._link.ping_interval is None  # 0: no pings from the station

    async def set_interval(value: str) -> str:
        reply = await csms.call("PING1", "SetVariables", _ping_interval(value))
        return str(reply["setVariableResult"][0]["attributeStatus"])

    assert await set_interval("-5") == "Rejected"
    assert cp._link.ping_interval is None
    assert await set_interval("1") == "Accepted"
    assert cp._link.ping_interval == 1.0

    cp.impair("halfopen")
    await wait_until(lambda: not cp.online, 15.0, "the half-open link noticed")
    cp.impair("off")
    await wait_until(lambda: cp.online, 15.0, "connected again")
    assert cp._link.ping_interval == 1.0

    assert await set_interval("0") == "Accepted"
    assert cp._link.ping_interval is None


async def test_latency_holds_a_2_0_1_call_for_a_round_trip(
    wire201: WireCsms, make_cp201: Cp201Factory
) -> None:
    cp = await make_cp201(wire201.url)
    cp.impair("latency 300ms")
    loop = asyncio.get_running_loop()
    began = loop.time()
    await cp.send_heartbeat()
    ((arrived, _),) = wire201.arrived("Heartbeat")
    assert arrived - began >= 0.3
    assert loop.time() - began >= 0.6


async def test_a_failed_tls_handshake_is_a_security_event_told_once_back_online(
    make_csms: Any, make_cp201: Cp201Factory, tmp_path: Any
) -> None:
    """A00.FR.3xx with 2.0.1's security events (A04): a CSMS certificate that fails
    verification is InvalidCsmsCertificate, sent once the station is connected again."""
    from tests.core.certs import make_pki, server_ssl_context

    pki = make_pki(tmp_path / "pki")
    csms = await make_csms(ssl_context=server_ssl_context(pki.server))
    cp = await make_cp201(csms.url.replace("ws://", "wss://"), ca_file=str(pki.ca.cert_file))
    cp.impair("tlsfail")
    await cp.drop_connection()
    await wait_until(
        lambda: "TLS verification" in (cp.network().last_error or ""), 10.0, "a failure"
    )
    assert not cp.online

    cp.impair("off")
    event = await csms.wait_for_message(
        "CS1",
        "SecurityEventNotification",
        lambda p: p["type"] == "InvalidCsmsCertificate",
        timeout=10.0,
    )
    assert "impair tlsfail" in event.get("techInfo", "")


async def test_a_host_name_that_stops_resolving_is_retried_with_back_off(
    wire201: WireCsms, make_cp201: Cp201Factory
) -> None:
    """2.0.1 part 4 §5.3 Reconnecting (TC_B_57_CS): failed attempts are spaced by an
    increasing back-off, none reaches the CSMS, and once the name resolves again the
    station connects."""
    cp = await make_cp201(wire201.url)
    loop = asyncio.get_running_loop()
    failures: list[float] = []

    def on_event(event: Any) -> None:
        if type(event).__name__ == "LinkChanged" and "resolve" in event.detail:
            failures.append(loop.time())

    unsubscribe = cp.events.subscribe(on_event)
    try:
        cp.impair("dnsfail")
        await cp.drop_connection()
        await wait_until(lambda: len(failures) >= 4, 10.0, "four failed attempts")
    finally:
        unsubscribe()
    gaps = [b - a for a, b in itertools.pairwise(failures)]
    # The test back-off (tests/e2e/conftest.fast_backoff): 0.05 s doubling to 0.3 s.
    assert gaps[0] >= 0.09 and gaps[1] >= 0.18, gaps
    assert wire201.connections == 1

    cp.impair("off")
    await wait_until(lambda: cp.online and wire201.connections == 2, 10.0, "reconnected")
