"""Issue 11 #3 for 2.0.1: one station cannot touch another station's transaction."""

from __future__ import annotations

from bench.csms import v201_tx
from bench.csms.server import CentralSystem
from tests.e2e.conftest import ev, wait_until
from tests.e2e.test_hostile_stations import booted_attacker


async def test_a_2_0_1_station_cannot_touch_another_stations_transaction(
    csms: CentralSystem, make_cp201
) -> None:
    """2.0.1 keeps transactions per station (station, transactionId) already: keep it so."""
    victim = await make_cp201(csms.url, "VICTIM-2")
    victim.station.connector(1).plug_in(ev())
    victim.present_id("TAG1")
    conn = csms.store.conn
    (tx,) = await wait_until(
        lambda: v201_tx.transactions(conn, "VICTIM-2", active=True), what="a started transaction"
    )
    evil = await booted_attacker(csms.url, "EVIL-2", "2.0.1")
    ended = {
        "eventType": "Ended",
        "timestamp": "2026-01-01T00:00:00Z",
        "triggerReason": "RemoteStop",
        "seqNo": 1,
        "transactionInfo": {"transactionId": tx.id, "stoppedReason": "Other"},
    }
    assert (await evil.call("end", "TransactionEvent", ended))[0] == 3
    assert v201_tx.transaction(conn, "VICTIM-2", tx.id) == tx
    await evil.close()
