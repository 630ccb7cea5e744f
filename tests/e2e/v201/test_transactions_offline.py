"""Offline queueing, retries and restarts of 2.0.1 TransactionEvents (E04, E08, E11-E13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.csms import v201_tx
from bench.csms.server import CentralSystem
from bench.ocpp.errors import ErrorKind, OcppError
from bench.ocpp.session import NoReply
from tests.e2e.conftest import ev, kill, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

QUIET = {"SampledDataCtrlr.TxUpdatedInterval": "0"}


def events(cp: Any) -> list[dict[str, Any]]:
    return request(cp, "TransactionEvent")


async def test_events_made_offline_are_queued_and_delivered_in_order_with_offline_true(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E04.FR.01-03, E08.FR.05-07, E11.FR.01/02: a transaction started and stopped while
    offline reaches the CSMS on reconnect, in seqNo order, every event offline=true."""
    cp = await make_cp201(csms.url, "OF1", variables=QUIET)
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    # Offline the token is checked locally; grant it as the auth block would from its cache.
    session = cp.transactions.sessions[1]
    cp.transactions.authorize(session, {"idToken": "TAG1", "type": "ISO14443"}, None, "Authorized")
    connector.suspend_ev()
    connector.unplug()
    assert len(cp.transactions.queue) == 3 and events(cp) == []
    cp.restore_network()
    await wait_until(lambda: len(events(cp)) == 3, what="the queued events")
    sent = events(cp)
    assert [e["seqNo"] for e in sent] == [0, 1, 2]
    assert [e["eventType"] for e in sent] == ["Started", "Updated", "Ended"]
    assert all(e["offline"] is True for e in sent)
    tx_id = sent[0]["transactionInfo"]["transactionId"]
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="drained")
    row = v201_tx.transaction(csms.store.conn, "OF1", tx_id)
    assert row is not None and row.offline_events == 3 and not row.active


async def test_a_message_still_queued_when_the_link_drops_is_marked_offline(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E11.FR.07: everything left in the queue when the station goes offline is offline."""
    cp = await make_cp201(csms.url, "OF2", variables=QUIET)
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.transactions.queue.queue.push(
        "TransactionEvent",
        {
            "eventType": "Started",
            "timestamp": "2025-01-01T00:00:00.000Z",
            "triggerReason": "CablePluggedIn",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "made-online"},
        },
        {"tx": "made-online", "evse": 1},
    )
    cp.transactions.queue.link_down()
    assert cp.transactions.queue.queue.peek().payload["offline"] is True


@pytest.mark.allow_errors
async def test_a_refused_event_is_retried_then_discarded(
    make_csms: Any, make_cp201: Cp201Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E13.FR.02-04: sent again while it fails, up to MessageAttempts, then the next one."""
    original = v201_tx.handlers
    refusals = {"left": 10}

    def failing(ctx: Any) -> dict[str, Any]:
        table = original(ctx)
        real = table["TransactionEvent"]

        async def transaction_event(p: dict[str, Any]) -> dict[str, Any]:
            if p["seqNo"] == 0 and refusals["left"] > 0:
                refusals["left"] -= 1
                raise OcppError(ErrorKind.INTERNAL_ERROR, "the test CSMS refuses it")
            return await real(p)

        return {**table, "TransactionEvent": transaction_event}

    monkeypatch.setattr(v201_tx, "handlers", failing)
    central = await make_csms()
    cp = await make_cp201(
        central.url,
        "OF3",
        variables={
            **QUIET,
            "OCPPCommCtrlr.MessageAttempts[TransactionEvent]": "3",
            "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]": "5",
        },
    )
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: cp.transactions.active(1) is not None, what="started")
    connector.suspend_ev()
    await wait_until(lambda: len(events(cp)) >= 4, what="three tries, then the next event")
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="drained")
    sent = events(cp)
    assert [e["seqNo"] for e in sent[:3]] == [0, 0, 0]
    assert refusals["left"] == 7  # exactly MessageAttempts transmissions of seqNo 0
    assert sent[3]["seqNo"] == 1


@pytest.mark.allow_errors  # the station logs the event it gives up on
async def test_an_unanswered_event_is_tried_again_once_the_message_timeout_has_passed(
    make_csms: Any, make_cp201: Cp201Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E13.FR.02 with OCPPCommCtrlr.MessageTimeout[Default]: a TransactionEvent the CSMS
    leaves unanswered is sent again after the configured message timeout (1 s here),
    not after the station's built-in 30 s."""
    original = v201_tx.handlers
    ignored = {"left": 1}

    def silent_once(ctx: Any) -> dict[str, Any]:
        table = original(ctx)
        real = table["TransactionEvent"]

        async def transaction_event(p: dict[str, Any]) -> dict[str, Any]:
            if p["seqNo"] == 0 and ignored["left"] > 0:
                ignored["left"] -= 1
                raise NoReply
            return await real(p)

        return {**table, "TransactionEvent": transaction_event}

    monkeypatch.setattr(v201_tx, "handlers", silent_once)
    central = await make_csms()
    cp = await make_cp201(
        central.url,
        "OF5",
        call_timeout=30.0,  # the station's built-in wait, which the variable replaces
        variables={
            **QUIET,
            "OCPPCommCtrlr.MessageTimeout[Default]": "1",
            "OCPPCommCtrlr.MessageAttempts[TransactionEvent]": "3",
            "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]": "1",
        },
    )
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(
        lambda: [e["seqNo"] for e in events(cp)][:2] == [0, 0],
        timeout=10.0,
        what="the unanswered Started event sent again",
    )


async def test_a_transaction_left_open_by_a_crash_ends_with_power_loss(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path: Path
) -> None:
    """Nothing lost across a restart: the next start ends the open transaction with
    PowerLoss, the next seqNo and offline=true; the energy register does not go back."""
    db = tmp_path / "crash.db"
    cp = await make_cp201(csms.url, "OF4", variables=QUIET, db_path=db)
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="delivered")
    tx_id = events(cp)[0]["transactionInfo"]["transactionId"]
    await kill(cp)  # type: ignore[arg-type]
    again = await make_cp201(csms.url, "OF4", variables=QUIET, db_path=db)
    await wait_until(lambda: len(events(again)) == 1, what="the PowerLoss event")
    ended = events(again)[0]
    assert ended["eventType"] == "Ended" and ended["offline"] is True
    assert ended["transactionInfo"] == {"transactionId": tx_id, "stoppedReason": "PowerLoss"}
    assert ended["seqNo"] == 1
    await wait_until(
        lambda: (
            (row := v201_tx.transaction(csms.store.conn, "OF4", tx_id)) is not None
            and not row.active
        ),
        what="stored as ended",
    )
    assert v201_tx.missing_seq_nos(csms.store.conn, "OF4", tx_id) == []
