"""Transaction-related messages while offline: queued, ordered, patched, retried (1.6 §3.7)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.csms import v16 as csms_v16
from bench.ocpp.errors import ErrorKind, OcppError
from tests.e2e.conftest import (
    WAIT,
    db_file,
    ev,
    kill,
    present,
    sent,
    start_charging,
    status_sent,
    stopped,
    wait_until,
)

TX_ACTIONS = ("StartTransaction", "MeterValues", "StopTransaction")


async def offline_session(cp, tag: str = "TAG1", minutes: float = 1.0) -> None:
    """Cut the network, charge for a while on the cached ``tag`` and stop again."""
    await cp.authorizer.authorize(tag)  # cached: LocalAuthorizeOffline admits it offline
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, tag) == "Accepted"
    await cp.clock.sleep(60 * minutes)
    cp.present_id(tag)
    await wait_until(lambda: cp.station.connector(1).transaction is None, what="stopped")


def queued_actions(cp) -> list[str]:
    return [item.action for item in cp.transactions.queue.items()]


async def test_an_offline_session_is_delivered_in_order_with_the_transaction_id_patched_in(
    csms, make_cp
) -> None:
    """1.6 §3.7: Start, MeterValues and Stop are queued offline and delivered in order;
    the transactionId from StartTransaction.conf goes into the later messages."""
    cp = await make_cp(csms.url, keys={"MeterValueSampleInterval": "20"})
    await offline_session(cp)
    actions = queued_actions(cp)
    assert actions[0] == "StartTransaction"
    assert actions[-1] == "StopTransaction"
    assert actions.count("MeterValues") >= 2
    assert not [r for r in sent(cp, "CALL") if r.action in TX_ACTIONS]

    cp.restore_network()
    stop = await stopped(csms)
    (tx,) = csms.transactions("CP1")
    assert stop["transactionId"] == tx.id
    assert tx.reason == "Local"
    delivered = [r for r in sent(cp, "CALL") if r.action in TX_ACTIONS]
    assert [r.action for r in delivered] == actions
    for record in delivered[1:]:
        assert record.payload["transactionId"] == tx.id
    rows = csms.meter_values(tx.id)
    assert {r.origin for r in rows} == {"MeterValues", "StopTransaction"}
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="an empty queue")


async def test_statuses_that_changed_while_offline_are_reported_after_reconnecting(
    csms, make_cp
) -> None:
    """1.6 §4.9: the station reports its current status once it is back online."""
    cp = await make_cp(csms.url)
    await status_sent(csms, "Available")
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    cp.restore_network()
    await status_sent(csms, "Preparing")


async def test_the_queue_survives_a_station_process_restart(csms, make_cp) -> None:
    """1.6 §3.7: queued messages are in non-volatile storage; a new process delivers them."""
    cp = await make_cp(csms.url, keys={"MeterValueSampleInterval": "20"})
    await offline_session(cp)
    actions = queued_actions(cp)
    await kill(cp)

    again = await make_cp(csms.url, db_path=db_file(cp))
    stop = await stopped(csms)
    (tx,) = csms.transactions("CP1")
    assert stop["transactionId"] == tx.id
    delivered = [r.action for r in sent(again, "CALL") if r.action in TX_ACTIONS]
    assert delivered == actions
    await wait_until(lambda: len(again.transactions.queue) == 0, what="an empty queue")


async def test_the_queue_survives_a_csms_restart_and_a_vanished_csms_is_reconnected(
    make_csms, make_cp
) -> None:
    """1.6 §3.7: the CSMS disappears mid-session; the station queues, reconnects to the
    restarted CSMS (same address, same database) and delivers everything in order."""
    first = await make_csms()
    port = first.port
    cp = await make_cp(first.url, keys={"MeterValueSampleInterval": "20"})
    tx_id = await start_charging(cp, first)
    await first.stop()  # the CSMS vanishes: connection closed, nobody listening
    await wait_until(lambda: not cp.online, what="offline")
    await cp.clock.sleep(45)
    cp.present_id("TAG1")
    await wait_until(lambda: cp.station.connector(1).transaction is None, what="stopped")
    assert queued_actions(cp)[-1] == "StopTransaction"
    assert "MeterValues" in queued_actions(cp)

    second = await make_csms(port=port)
    stop = await stopped(second)
    assert (stop["reason"], stop["transactionId"]) == ("Local", tx_id)
    (tx,) = second.transactions("CP1")
    assert tx.id == tx_id and tx.reason == "Local"
    assert cp.link_state == "connected"
    # Reconnected within the same power-on: no new BootNotification is needed (§4.2).
    assert len(sent(cp, "CALL", "BootNotification")) == 1


def failing(action: str, times: int) -> Any:
    """A CSMS v16 ``handlers`` factory whose ``action`` fails ``times`` times with
    InternalError (OCPP-J 1.6 §4.2.3: a failure to process the message)."""
    original = csms_v16.handlers
    state = {"failures": 0}

    def handlers(ctx: Any) -> dict[str, Any]:
        table = original(ctx)
        real = table[action]

        async def flaky(payload: dict[str, Any]) -> dict[str, Any]:
            if state["failures"] < times:
                state["failures"] += 1
                raise OcppError(ErrorKind.INTERNAL_ERROR, "the test made the CSMS fail")
            return await real(payload)

        table[action] = flaky
        return table

    return handlers


async def test_a_callerror_to_start_transaction_is_retried_per_the_attempts_and_interval(
    csms, make_cp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1.6 §3.7.1, §9.1.31-32: resend after RetryInterval x preceding transmissions."""
    monkeypatch.setattr(csms_v16, "handlers", failing("StartTransaction", times=2))
    cp = await make_cp(
        csms.url,
        keys={"TransactionMessageAttempts": "3", "TransactionMessageRetryInterval": "10"},
    )
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    exchange = await csms.wait_for_exchange("CP1", "StartTransaction", lambda p: True, WAIT)
    assert exchange.error == "InternalError"
    await status_sent(csms, "Charging")
    tx = cp.station.connector(1).transaction
    await wait_until(lambda: tx.protocol_id is not None, what="the transactionId")
    starts = sent(cp, "CALL", "StartTransaction")
    assert len(starts) == 3
    assert starts[1].ts - starts[0].ts >= 10 - 0.5
    assert starts[2].ts - starts[1].ts >= 20 - 0.5
    (stored,) = csms.transactions("CP1")
    assert stored.id == tx.protocol_id


@pytest.mark.allow_errors
async def test_a_message_that_keeps_failing_is_skipped_and_the_next_one_goes(
    csms, make_cp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1.6 §3.7.1: after TransactionMessageAttempts failures the message is discarded and
    delivery continues with the next transaction-related message."""
    monkeypatch.setattr(csms_v16, "handlers", failing("StopTransaction", times=2))
    cp = await make_cp(
        csms.url,
        keys={"TransactionMessageAttempts": "2", "TransactionMessageRetryInterval": "5"},
    )
    await start_charging(cp, csms)
    cp.present_id("TAG1")
    await status_sent(csms, "Finishing")
    cp.station.connector(1).unplug()
    await status_sent(csms, "Available")
    await start_charging(cp, csms, "TAG2")
    assert len(sent(cp, "CALL", "StopTransaction")) == 2
    first, second = csms.transactions("CP1")
    assert first.active  # its StopTransaction was given up on
    assert second.id_tag == "TAG2"
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="an empty queue")


@pytest.mark.allow_errors  # the station logs the message it had to drop
async def test_a_queued_message_that_fails_its_own_schema_is_dropped_and_the_next_one_goes(
    csms, make_cp
) -> None:
    """1.6 §3.7: transaction-related messages leave in order. One the station built
    wrongly (its payload fails the 1.6 schema) can never be sent, so it is dropped at
    once and the messages behind it are delivered; it must not stop the queue."""
    cp = await make_cp(csms.url)
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    broken = {"connectorId": 1}  # MeterValues.req without its required meterValue
    good = {
        "connectorId": 1,
        "meterValue": [
            {"timestamp": "2026-03-01T12:00:00.000Z", "sampledValue": [{"value": "1234"}]}
        ],
    }
    cp.transactions.enqueue("MeterValues", broken)
    cp.transactions.enqueue("MeterValues", good)
    cp.restore_network()
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="an empty queue")
    delivered = [r.payload for r in sent(cp, "CALL", "MeterValues")]
    assert delivered == [good]
    await csms.wait_for_exchange("CP1", "MeterValues", lambda p: p == good, WAIT)
