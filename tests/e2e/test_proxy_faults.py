"""Network faults on a proxied station's legs (issue 17): set per station, seen on the wire.

A charger (a raw OCPP-J client, or a bench station playing a real charger) talks to
a CSMS on loopback through the proxy; the faults are set on the proxy by station
id, kept across the charger's reconnects and cleared with ``off``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from bench.csms.server import CentralSystem
from bench.proxy.console import execute
from tests.e2e.conftest import WAIT, CpFactory, ev, sent, wait_until
from tests.e2e.proxy_support import ProxyFactory, make_proxy
from tests.e2e.wire import WireCsms

__all__ = ["make_proxy"]  # the fixture, imported for pytest

pytestmark = pytest.mark.timeout(90)

LATENCY = 0.3
# asyncio may run a timer up to one clock tick early: a bound of the latency, less that.
TICK = 0.01
BOOT = {"chargePointVendor": "Lab", "chargePointModel": "Wallbox"}


@pytest.fixture
async def wire() -> AsyncIterator[WireCsms]:
    server = WireCsms()
    await server.start()
    yield server
    await server.stop()


def _charger(proxy_url: str, station_id: str = "RAW1"):
    return connect(f"{proxy_url}/{station_id}", subprotocols=["ocpp1.6"], proxy=None)


async def _call(charger, msg_id: str, action: str, payload: dict) -> list:
    await charger.send(json.dumps([2, msg_id, action, payload]))
    return json.loads(await asyncio.wait_for(charger.recv(), WAIT))


async def test_a_latency_fault_holds_a_proxied_charger_s_frames_on_its_leg_both_ways(
    wire: WireCsms, make_proxy: ProxyFactory
) -> None:
    """Set before the charger connects: it meets the fault on connecting."""
    proxy = await make_proxy(wire.url)
    assert proxy.server.impair("RAW1", "latency 300ms").describe() == "latency 300ms"
    loop = asyncio.get_running_loop()
    async with _charger(proxy.url) as charger:
        began = loop.time()
        reply = await _call(charger, "b1", "BootNotification", BOOT)
        came_back = loop.time()
    assert reply[:2] == [3, "b1"]
    ((arrived, _frame),) = wire.arrived("BootNotification")
    assert arrived - began >= LATENCY - TICK  # held on its way from the charger
    assert came_back - arrived >= LATENCY - TICK  # and the reply on its way back
    assert proxy.server.impairment("RAW1", "csms").describe() == "off"  # one leg only


async def test_a_fault_stays_across_the_charger_s_reconnects_until_cleared_with_off(
    wire: WireCsms, make_proxy: ProxyFactory
) -> None:
    """Each reconnect opens fresh legs; the station's fault applies to them too."""
    proxy = await make_proxy(wire.url)
    async with _charger(proxy.url) as first:
        old = await proxy.server.wait_station("RAW1", WAIT)
        proxy.server.impair("RAW1", "loss 100%")  # on the open leg, at once
        await first.send(json.dumps([2, "h1", "Heartbeat", {}]))
    await asyncio.wait_for(old.ended.wait(), WAIT)
    async with _charger(proxy.url) as second:
        new = await proxy.server.wait_station("RAW1", WAIT)
        assert new is not old
        await second.send(json.dumps([2, "h2", "Heartbeat", {}]))  # lost as well
        faults = proxy.server.faults.of("RAW1", "charger")
        await wait_until(lambda: faults.counters.dropped >= 2, what="h1 and h2 lost")
        assert proxy.server.impair("RAW1", "off").describe() == "off"
        reply = await _call(second, "h3", "Heartbeat", {})
    assert reply[:2] == [3, "h3"]
    # The CSMS saw the one heartbeat sent after "off": the two before were lost.
    assert [frame[1] for _, frame in wire.arrived("Heartbeat")] == ["h3"]
    changes = [
        r.payload["faults"]
        for r in proxy.rows(station="RAW1", type="LINK")
        if r.payload["event"] == "impaired"
    ]
    assert changes == ["loss 100%", "off"]  # on record in the message log, on its leg


async def test_a_lossy_charger_leg_makes_the_station_retry_its_start_and_none_is_lost(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """1.6 §3.7.1: a transaction message the CSMS did not answer is sent again, up to
    TransactionMessageAttempts times; once the network heals, it arrives, once."""
    proxy = await make_proxy(csms.url)
    cp = await make_cp(
        proxy.url,
        call_timeout=1.5,
        keys={"TransactionMessageAttempts": "10", "LocalPreAuthorize": "true"},
    )
    await cp.authorizer.authorize("TAG1")  # cached: the start needs no Authorize
    proxy.server.impair("CP1", "loss 100%")
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1", 1)
    await wait_until(
        lambda: len(sent(cp, "CALL", "StartTransaction")) >= 2, 20.0, "a second attempt"
    )
    assert csms.transactions("CP1") == []  # nothing got through the proxy
    assert proxy.rows(station="CP1", action="StartTransaction") == []
    proxy.server.impair("CP1", "off")

    start = await csms.wait_for_message("CP1", "StartTransaction", timeout=20.0)
    assert all(a.payload == start for a in sent(cp, "CALL", "StartTransaction"))
    tx = cp.station.connector(1).transaction
    assert tx is not None
    await wait_until(lambda: tx.protocol_id is not None, what="the transactionId")
    assert len(csms.transactions("CP1")) == 1  # one transaction, none lost, none doubled
    assert proxy.server.faults.of("CP1", "charger").counters.dropped >= 2


async def test_the_console_sets_shows_and_clears_a_proxied_station_s_faults(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    proxy = await make_proxy(csms.url)
    await make_cp(proxy.url, "CP1")
    await proxy.server.wait_station("CP1", WAIT)
    server = proxy.server
    assert await execute(server, "impair CP1 latency 200ms jitter 50ms") == (
        "CP1: charger leg: latency 200ms jitter 50ms"
    )
    assert await execute(server, "impair CP1 csms loss 5%") == "CP1: csms leg: loss 5%"
    assert await execute(server, "impair CP1") == (
        "CP1: charger leg: latency 200ms jitter 50ms; csms leg: loss 5%"
    )
    bad = await execute(server, "impair CP1 loss lots")
    assert bad.startswith("error: loss: expected a percentage"), bad
    # The charger resolves names and makes its own TLS handshake: not the proxy's to fail.
    assert (await execute(server, "impair CP1 dnsfail")).startswith("error: dnsfail and tlsfail")
    assert server.impairment("CP1").describe() == "latency 200ms jitter 50ms"  # unchanged
    assert await execute(server, "impair CP1 off") == "CP1: charger leg: off"
    assert await execute(server, "impair CP7 halfopen") == (
        "CP7: charger leg: halfopen (when CP7 connects)"
    )
    assert "impair ID" in await execute(server, "help")


async def test_dnsfail_on_the_csms_side_answers_the_charger_502_until_cleared(
    wire: WireCsms, make_proxy: ProxyFactory
) -> None:
    """The proxy's upstream connection fails; the charger hears what an unreachable CSMS
    gives it through the proxy, and connects once the fault is cleared."""
    proxy = await make_proxy(wire.url)
    proxy.server.impair("RAW2", "dnsfail", side="csms")
    with pytest.raises(InvalidStatus) as refused:
        async with _charger(proxy.url, "RAW2"):
            pass
    assert refused.value.response.status_code == 502
    assert b"impair dnsfail" in (refused.value.response.body or b"")
    assert wire.connections == 0
    proxy.server.impair("RAW2", "off", side="csms")
    async with _charger(proxy.url, "RAW2") as charger:
        assert (await _call(charger, "b1", "BootNotification", BOOT))[:2] == [3, "b1"]
    assert wire.connections == 1


OVERLAP_LATENCY = 1.0  # long beside a busy machine's scheduling delays


async def test_frames_sent_together_through_a_latency_fault_overlap_their_delays_in_order(
    wire: WireCsms, make_proxy: ProxyFactory
) -> None:
    """Each frame waits the leg's latency from its own arrival, as on a TCP stream: three
    frames sent together all arrive about one latency later, not one after another,
    and in the order they were sent; both ways through the charger's leg."""
    proxy = await make_proxy(wire.url)
    proxy.server.impair("RAW1", f"latency {OVERLAP_LATENCY * 1000:.0f}ms")
    loop = asyncio.get_running_loop()
    async with _charger(proxy.url) as charger:
        await proxy.server.wait_station("RAW1", WAIT)
        began = loop.time()
        for n in (1, 2, 3):
            await charger.send(json.dumps([2, f"h{n}", "Heartbeat", {}]))
        await wait_until(lambda: len(wire.arrived("Heartbeat")) == 3, 10.0, "three heartbeats")
        arrived = wire.arrived("Heartbeat")
        assert [frame[1] for _, frame in arrived] == ["h1", "h2", "h3"]  # order kept
        times = [t - began for t, _ in arrived]
        assert times[0] >= OVERLAP_LATENCY - TICK
        # One at a time, the third would arrive three latencies after the first was sent.
        assert times[2] < 2 * OVERLAP_LATENCY
        for _ in range(3):  # the CSMS's replies, held on the way back
            await asyncio.wait_for(charger.recv(), WAIT)

        # Toward the charger: three CALLs from the CSMS at once.
        began = loop.time()
        for n in (1, 2, 3):
            await wire.link.send(json.dumps([2, f"c{n}", "GetConfiguration", {}]))
        received = []
        for _ in range(3):
            frame = json.loads(await asyncio.wait_for(charger.recv(), WAIT))
            received.append((loop.time() - began, frame[1]))
    assert [msg_id for _, msg_id in received] == ["c1", "c2", "c3"]
    assert received[0][0] >= OVERLAP_LATENCY - TICK
    assert received[2][0] < 2 * OVERLAP_LATENCY
