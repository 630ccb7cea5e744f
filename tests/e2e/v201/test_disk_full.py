"""A 2.0.1 station whose disk fills up: every TransactionEvent still arrives, once.

Issue 11: with the disk filling while offline, seqNo 15-17 were lost (the meter
sampler died at the first refused write). Here the station's database is a
``FailingConnection`` (tests/disks.py): a real SQLite file whose connection is a
fake in one way only, it refuses writes with SQLite's disk-full error while the
test says so, so the disk fills exactly while the station is offline.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bench.csms import v201_tx
from bench.csms.server import CentralSystem
from bench.store.db import open_database
from bench.store.faults import FULL
from tests.disks import FailingConnection
from tests.e2e.conftest import WAIT, db_file, ev, kill, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request
from ui.models.badges import link_badge

pytestmark = pytest.mark.allow_errors  # the refusing disk is logged at ERROR, as it must be

HELD = 12  # Updated/MeterValuePeriodic events made while the disk is full
VARIABLES = {"SampledDataCtrlr.TxUpdatedInterval": "20"}


def failing_db(tmp_path: Path) -> FailingConnection:
    db = open_database(tmp_path / "DF1.db", factory=FailingConnection)
    assert isinstance(db, FailingConnection)
    return db


def periodic(cp: Any) -> list[Any]:
    return [
        m
        for m in cp.transactions.queue.queue.items()
        if m.payload["triggerReason"] == "MeterValuePeriodic"
    ]


async def charge_offline_on_a_full_disk(cp: Any, db: FailingConnection) -> str:
    """Start online, lose the network, fill the disk, sample ``HELD`` times, end; the tx id."""
    cp.station.connector(1).plug_in(ev())
    session = cp.transactions.sessions[1]
    cp.transactions.authorize(session, {"idToken": "TAG1", "type": "ISO14443"}, None, "Authorized")
    await wait_until(lambda: request(cp, "TransactionEvent"), what="Started delivered")
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="an empty queue")
    tx_id = request(cp, "TransactionEvent")[0]["transactionInfo"]["transactionId"]
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    db.fail_writes = True
    await wait_until(lambda: len(periodic(cp)) >= HELD, WAIT * 2, "sampling on a full disk")
    cp.transactions.stop(1, "Local", "StopAuthorized")
    return tx_id


def seq_nos_at_the_csms(csms: CentralSystem, tx_id: str) -> list[int]:
    return sorted(e.seq_no for e in v201_tx.tx_events(csms.store.conn, "DF1", tx_id))


async def test_events_made_on_a_full_disk_while_offline_all_reach_the_csms_once(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """E04.FR.01/02, E11.FR.01: every TransactionEvent made offline is delivered in seqNo
    order even when the disk refuses to queue it; the fault is raised (log, link badge,
    the appendix 1 security event MemoryExhaustion) and no seqNo is missing or doubled."""
    db = failing_db(tmp_path)
    cp = await make_cp201(csms.url, "DF1", db=db, variables=VARIABLES)
    tx_id = await charge_offline_on_a_full_disk(cp, db)

    held = cp.transactions.queue.queue.items()
    assert held[-1].payload["eventType"] == "Ended"
    assert sum(not m.saved for m in held) >= HELD  # the disk took none made after it filled
    assert cp.storage.failing and cp.storage.kind == FULL
    assert "disk full" in link_badge(cp)[0]
    assert any(
        r.levelno == logging.ERROR and "refuses writes" in r.getMessage() for r in caplog.records
    )
    assert "MemoryExhaustion" in [e["type"] for e in cp.security.security_log()]

    last = held[-1].payload["seqNo"]
    cp.restore_network()
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="an empty queue")
    await csms.wait_for_message(
        "DF1", "SecurityEventNotification", lambda p: p["type"] == "MemoryExhaustion", WAIT
    )
    sent = [e["seqNo"] for e in request(cp, "TransactionEvent")]
    assert sent == list(range(last + 1))  # in order, none twice
    assert seq_nos_at_the_csms(csms, tx_id) == list(range(last + 1))
    assert last >= HELD + 1  # Started, the periodic ones, Ended


async def test_what_the_full_disk_held_is_saved_once_it_recovers_and_survives_a_restart(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path: Path
) -> None:
    """E04/E11: the overflow is written back, in order, when the disk takes writes again;
    a power cut after that loses no event and sends none twice."""
    db = failing_db(tmp_path)
    cp = await make_cp201(csms.url, "DF1", db=db, variables=VARIABLES)
    tx_id = await charge_offline_on_a_full_disk(cp, db)
    before = [m.payload["seqNo"] for m in cp.transactions.queue.queue.items()]

    db.fail_writes = False  # space freed: the station's retry timer writes the overflow back
    await wait_until(lambda: not cp.storage.failing, what="the fault to clear")
    assert all(m.saved for m in cp.transactions.queue.queue.items())
    await kill(cp)

    again = await make_cp201(csms.url, "DF1", db_path=db_file(cp), variables=VARIABLES)
    await wait_until(lambda: len(again.transactions.queue) == 0, what="an empty queue")
    assert [e["seqNo"] for e in request(again, "TransactionEvent")] == before
    assert seq_nos_at_the_csms(csms, tx_id) == list(range(before[-1] + 1))
