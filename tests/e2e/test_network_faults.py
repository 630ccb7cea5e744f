"""Network faults on demand against a 1.6 station, seen on the wire (issue 17, part 2).

Each fault is set through the charge point API (``cp.impair``) and observed at a
real loopback CSMS; the station's reaction is the spec's: transaction messages
are retried and queued (1.6 §3.7, §3.7.1), the link is re-opened with back-off,
and a dead connection is found by the WebSocket ping (WebSocketPingInterval, §9.1).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from tests.e2e.conftest import WAIT, ev, present, sent, wait_until
from tests.e2e.wire import WireCsms

pytestmark = pytest.mark.timeout(90)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
async def wire() -> AsyncIterator[WireCsms]:
    server = WireCsms()
    await server.start()
    yield server
    await server.stop()


async def test_latency_holds_every_frame_on_the_wire_and_a_call_waits_a_round_trip(
    wire, make_cp
) -> None:
    cp = await make_cp(wire.url)
    cp.impair("latency 300ms jitter 100ms")
    loop = asyncio.get_running_loop()
    began = loop.time()
    await cp.send_heartbeat()
    took = loop.time() - began

    ((arrived, _frame),) = wire.arrived("Heartbeat")
    assert arrived - began >= 0.2  # one leg: 300 ms less at most 100 ms of jitter
    assert took >= 0.4  # the reply is held on its way back too
    assert cp.heartbeat().last_at is not None  # answered: slow is not broken
    assert cp.impairment().describe() == "latency 300ms jitter 100ms"


async def test_a_lost_start_transaction_is_sent_again_until_it_reaches_the_csms(
    csms, make_cp
) -> None:
    """1.6 §3.7.1: a transaction message the CSMS did not answer is sent again after
    TransactionMessageRetryInterval, up to TransactionMessageAttempts times."""
    cp = await make_cp(
        csms.url,
        call_timeout=0.5,
        keys={"TransactionMessageAttempts": "10", "LocalPreAuthorize": "true"},
    )
    await cp.authorizer.authorize("TAG1")  # cached: the start needs no Authorize
    cp.impair("loss 100%")
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1", 1)
    await wait_until(
        lambda: len(sent(cp, "CALL", "StartTransaction")) >= 2, 10.0, "a second attempt"
    )
    assert csms.transactions("CP1") == []  # nothing got through
    cp.impair("off")

    start = await csms.wait_for_message("CP1", "StartTransaction", timeout=10.0)
    attempts = sent(cp, "CALL", "StartTransaction")
    assert len(attempts) >= 3
    assert all(a.payload == start for a in attempts)  # the same message each time
    assert len(csms.transactions("CP1")) == 1
    assert cp.network_faults.counters.dropped >= 2


@pytest.mark.timeout(120)
async def test_no_transaction_message_is_lost_and_order_is_kept_through_loss_and_flapping(
    csms, make_cp
) -> None:
    """1.6 §3.7: StartTransaction, MeterValues and StopTransaction reach the CSMS, each
    at least once and in the order they were made, while frames vanish and the link
    drops every second."""
    cp = await make_cp(
        csms.url,
        call_timeout=0.5,
        keys={
            "TransactionMessageAttempts": "20",
            "MeterValueSampleInterval": "20",
            "LocalPreAuthorize": "true",
        },
    )
    await cp.authorizer.authorize("TAG1")
    cp.impair("loss 10%, flap 1s")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "TAG1", 1) == "Accepted"
    await wait_until(lambda: cp.network_faults.counters.flaps >= 2, 20.0, "two drops")
    await cp.clock.sleep(240)  # four virtual minutes: a dozen samples
    cp.present_id("TAG1", 1)
    await wait_until(lambda: cp.station.connector(1).transaction is None, 10.0, "the stop")
    await wait_until(lambda: cp.network_faults.counters.flaps >= 4, 20.0, "more drops")
    cp.impair("off")

    stop = await csms.wait_for_message("CP1", "StopTransaction", timeout=30.0)
    made: list[datetime] = []
    for record in sent(cp, "CALL", "MeterValues"):
        for value in record.payload["meterValue"]:
            if _instant(value["timestamp"]) not in made:
                made.append(_instant(value["timestamp"]))
    arrived = [
        _instant(row.timestamp)
        for row in csms.meter_values(stop["transactionId"])
        if row.origin == "MeterValues"
    ]
    assert len(made) >= 6
    assert set(arrived) == set(made)  # none lost
    assert arrived == sorted(arrived)  # none overtook another
    assert cp.network_faults.counters.dropped > 0


async def test_a_half_open_link_is_found_by_the_ping_timeout_and_left(wire, make_cp) -> None:
    """1.6 §9.1 WebSocketPingInterval: a connection that stays up but carries nothing is
    detected by the unanswered ping; the station reconnects once the network is back."""
    cp = await make_cp(wire.url, start=False, keys={"WebSocketPingInterval": "1"})
    cp.link_config.close_timeout = 0.5
    await cp.start()
    await cp.wait_accepted(WAIT)
    cp.impair("halfopen")
    await cp.send_heartbeat()  # swallowed: the CSMS never sees it
    await wait_until(lambda: not cp.online, 15.0, "the ping timeout")
    dead = wire.link
    await wait_until(lambda: dead.closed, 15.0, "the CSMS end closed")
    # The station's close frame still leaves: it says why it gave up on the link.
    assert "1011" in dead.close_reason and "keepalive ping timeout" in dead.close_reason
    assert wire.arrived("Heartbeat") == []

    cp.impair("off")
    await wait_until(lambda: cp.online and wire.connections >= 2, 15.0, "a fresh connection")
    await cp.send_heartbeat()
    assert len(wire.arrived("Heartbeat")) == 1


async def test_a_failing_tls_handshake_keeps_the_station_offline_and_retrying(
    wire, make_cp
) -> None:
    cp = await make_cp(wire.url)
    cp.impair("tlsfail")
    await cp.drop_connection()
    await wait_until(
        lambda: cp.network_faults.counters.failed_opens >= 2, 10.0, "two failed attempts"
    )
    assert "TLS handshake" in (cp.network().last_error or "")
    assert not cp.online
    assert wire.connections == 1  # no WebSocket got through the broken handshakes

    cp.impair("off")
    await wait_until(lambda: cp.online and wire.connections == 2, 10.0, "reconnected")


async def test_a_host_name_that_stops_resolving_keeps_the_station_offline_and_retrying(
    wire, make_cp
) -> None:
    cp = await make_cp(wire.url)
    cp.impair("dnsfail")
    await cp.drop_connection()
    await wait_until(
        lambda: cp.network_faults.counters.failed_opens >= 2, 10.0, "two failed attempts"
    )
    assert "cannot resolve host name '127.0.0.1'" in (cp.network().last_error or "")
    assert wire.connections == 1

    cp.impair("off")
    await wait_until(lambda: cp.online and wire.connections == 2, 10.0, "reconnected")


async def test_a_duplicated_frame_reaches_the_wire_twice(wire, make_cp) -> None:
    cp = await make_cp(wire.url)
    cp.impair("duplicate 100%")
    await cp.send_heartbeat()
    ((_, first), (_, second)) = wire.arrived("Heartbeat")
    assert first == second  # the same frame, message id and all, twice
    assert cp.heartbeat().last_at is not None


async def test_a_failed_tls_handshake_on_a_wss_link_is_reported_as_a_bad_csms_certificate(
    make_csms, make_cp, tmp_path
) -> None:
    """Security whitepaper A00.FR.309: a server certificate that fails verification is
    logged as InvalidCentralSystemCertificate and told to the CSMS once back online."""
    from tests.core.certs import make_pki, server_ssl_context

    pki = make_pki(tmp_path / "pki")
    csms = await make_csms(ssl_context=server_ssl_context(pki.server))
    cp = await make_cp(csms.url.replace("ws://", "wss://"), ca_file=str(pki.ca.cert_file))
    cp.impair("tlsfail")
    await cp.drop_connection()
    await wait_until(
        lambda: "TLS verification" in (cp.network().last_error or ""), 10.0, "a failure"
    )
    assert not cp.online

    cp.impair("off")
    event = await csms.wait_for_message(
        "CP1",
        "SecurityEventNotification",
        lambda p: p["type"] == "InvalidCentralSystemCertificate",
        timeout=10.0,
    )
    assert "impair tlsfail" in event.get("techInfo", "")


async def test_a_bandwidth_limit_holds_a_large_frame_for_its_size_on_the_wire(
    wire, make_cp
) -> None:
    """A 2,000-byte DataTransfer (1.6 §4.3) at 8 kbit/s takes two seconds to cross; the
    call waits for it and is answered."""
    wire.override["DataTransfer"] = lambda msg_id, _p: json.dumps(
        [3, msg_id, {"status": "Accepted"}]
    )
    cp = await make_cp(wire.url, call_timeout=10.0)
    cp.impair("bandwidth 8kbit")
    loop = asyncio.get_running_loop()
    began = loop.time()
    reply = await cp.send_message("DataTransfer", {"vendorId": "bench", "data": "x" * 2000})
    ((arrived, frame),) = wire.arrived("DataTransfer")
    assert len(frame[3]["data"]) == 2000
    assert arrived - began >= 2.0
    assert reply == {"status": "Accepted"}
