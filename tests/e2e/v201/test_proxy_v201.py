"""Issue 17 part 1 for OCPP 2.0.1: a 2.0.1 station's transaction through the bench's proxy."""

from __future__ import annotations

from bench.csms.server import CentralSystem
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.proxy_support import ProxyFactory, legs_of, make_proxy
from tests.e2e.v201.conftest import Cp201Factory, request

__all__ = ["make_proxy"]  # the fixture, imported for pytest


async def test_a_2_0_1_transaction_through_the_proxy_is_judged_by_the_2_0_1_schemas_on_both_legs(
    csms: CentralSystem, make_cp201: Cp201Factory, make_proxy: ProxyFactory
) -> None:
    """E01/E06 through the proxy: ocpp2.0.1 negotiated end to end, every frame valid."""
    proxy = await make_proxy(csms.url)
    seen: list[tuple[str | None, str]] = []
    cp = await make_cp201(
        proxy.url,
        "CS1",
        variables={
            "SampledDataCtrlr.TxUpdatedInterval": "0",
            "TxCtrlr.TxStartPoint": "Authorized,EVConnected",
            "TxCtrlr.TxStopPoint": "EVConnected,Authorized",
        },
    )
    station = await proxy.server.wait_station("CS1", WAIT)
    connector = station.observed.connector((1, 1))
    station.observed.subscribe(lambda _s: seen.append((connector.transaction_id, connector.status)))
    cp.present_id("TAG1")
    await wait_until(lambda: len(request(cp, "TransactionEvent")) == 1, what="Started")
    cp.station.connector(1).plug_in(ev())
    await wait_until(lambda: len(request(cp, "TransactionEvent")) == 3, what="Charging")
    cp.present_id("TAG1")
    await wait_until(lambda: len(request(cp, "TransactionEvent")) == 4, what="Ended")
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="the queue to drain")
    assert csms.protocol_version("CS1") == "2.0.1"
    rows = proxy.rows(station="CS1")
    assert rows[0].type == "LINK" and rows[0].payload["subprotocol"] == "ocpp2.0.1"
    events = [r for r in rows if r.type == "CALL" and r.action == "TransactionEvent"]
    assert {r.payload["eventType"] for r in events} == {"Started", "Updated", "Ended"}
    for event in events:
        reply = legs_of(rows, event.id, "CALLRESULT")
        assert set(reply) == {"charger", "csms"}
        assert event.valid and all(r.valid for r in reply.values())
    # The connector card of the proxied station followed the transaction (E01-E06, G01).
    started = events[0].payload["transactionInfo"]["transactionId"]
    assert (started, "Occupied") in seen
    assert connector.transaction_id is None and connector.samples
    # A 1.6-only action would not pass the 2.0.1 schemas: the verdicts are 2.0.1's.
    assert not [r for r in rows if r.action == "StartTransaction"]
