"""A 1.6 station whose disk fills up: nothing is lost, nothing goes twice, the fault shows.

Issue 11: with the disk filling while offline, 27 of 40 MeterValues were lost
(the meter sampler died at the first refused write) and one message was
delivered twice. Here the station's database is a ``FailingConnection``
(tests/disks.py): a real SQLite file whose connection is a fake in one way only,
it refuses writes with SQLite's disk-full error while the test says so, so the
disk can fill exactly while the station is offline and recover on cue.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from bench.store.db import open_database
from bench.store.faults import FULL
from tests.disks import FailingConnection
from tests.e2e.conftest import (
    WAIT,
    CpFactory,
    db_file,
    kill,
    sent,
    start_charging,
    stopped,
    wait_until,
)
from ui.models.badges import link_badge

pytestmark = pytest.mark.allow_errors  # the refusing disk is logged at ERROR, as it must be

INTERVAL = 20  # MeterValueSampleInterval, virtual seconds
HELD = 12  # MeterValues made while the disk is full


def failing_db(tmp_path: Path) -> FailingConnection:
    db = open_database(tmp_path / "CP1.db", factory=FailingConnection)
    assert isinstance(db, FailingConnection)
    return db


def queued(cp: Any, action: str) -> list[Any]:
    return [m for m in cp.transactions.queue.items() if m.action == action]


def stamp(payload: dict[str, Any]) -> datetime:
    return instant(payload["meterValue"][0]["timestamp"])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def charge_offline_on_a_full_disk(cp: Any, csms: CentralSystem, db: FailingConnection) -> int:
    """Charge, lose the network, fill the disk, sample ``HELD`` times, stop; the tx id."""
    tx_id = await start_charging(cp, csms)
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    db.fail_writes = True
    await wait_until(
        lambda: len(queued(cp, "MeterValues")) >= HELD, WAIT * 2, "sampling on a full disk"
    )
    cp.present_id("TAG1")
    await wait_until(lambda: cp.station.connector(1).transaction is None, what="stopped")
    return tx_id


async def test_meter_values_made_on_a_full_disk_while_offline_all_reach_the_csms_once(
    csms: CentralSystem, make_cp: CpFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """1.6 §3.7: every transaction message made offline is delivered, in order, even
    when the disk refuses to queue it: the sampler keeps sampling, the messages wait
    in memory, the fault is raised (log, link badge, security event) and the CSMS
    gets each MeterValues exactly once."""
    db = failing_db(tmp_path)
    cp = await make_cp(csms.url, db=db, keys={"MeterValueSampleInterval": str(INTERVAL)})
    tx_id = await charge_offline_on_a_full_disk(cp, csms, db)

    held = cp.transactions.queue.items()
    assert held[-1].action == "StopTransaction"
    assert sum(not m.saved for m in held) >= HELD  # the disk took none made after it filled
    assert cp.storage.failing and cp.storage.kind == FULL
    assert "disk full" in link_badge(cp)[0]
    assert any(
        r.levelno == logging.ERROR and "refuses writes" in r.getMessage() for r in caplog.records
    )
    # Whitepaper §8: MemoryExhaustion is in the security log, sent once the CSMS is back.
    assert "MemoryExhaustion" in [e["type"] for e in cp.security.security_log()]

    made = [stamp(r.payload) for r in sent(cp, "CALL", "MeterValues")]
    made += [stamp(m.payload) for m in queued(cp, "MeterValues")]
    cp.restore_network()
    stop = await stopped(csms)
    assert stop["transactionId"] == tx_id
    await csms.wait_for_message(
        "CP1", "SecurityEventNotification", lambda p: p["type"] == "MemoryExhaustion", WAIT
    )
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="an empty queue")

    delivered = [stamp(r.payload) for r in sent(cp, "CALL", "MeterValues")]
    assert delivered == made  # in order, none twice
    rows = [r for r in csms.meter_values(tx_id) if r.origin == "MeterValues"]
    per_message = Counter(instant(r.timestamp) for r in rows)
    assert sorted(per_message) == sorted(made)
    assert len(set(per_message.values())) == 1  # the same readings from each message, once
    assert len(made) >= HELD


async def test_what_the_full_disk_held_is_saved_once_it_recovers_and_survives_a_restart(
    csms: CentralSystem, make_cp: CpFactory, tmp_path: Path
) -> None:
    """1.6 §3.7: the in-memory overflow is written back, in order, when the disk takes
    writes again; a power cut after that loses nothing and sends nothing twice."""
    db = failing_db(tmp_path)
    cp = await make_cp(csms.url, db=db, keys={"MeterValueSampleInterval": str(INTERVAL)})
    tx_id = await charge_offline_on_a_full_disk(cp, csms, db)
    before = [(m.action, m.payload) for m in cp.transactions.queue.items()]

    db.fail_writes = False  # space freed: the station's retry timer writes the overflow back
    await wait_until(lambda: not cp.storage.failing, what="the fault to clear")
    assert all(m.saved for m in cp.transactions.queue.items())
    assert "disk full" not in link_badge(cp)[0]
    await kill(cp)

    again = await make_cp(csms.url, db_path=db_file(cp))
    stop = await stopped(csms)
    assert stop["transactionId"] == tx_id
    await wait_until(lambda: len(again.transactions.queue) == 0, what="an empty queue")
    delivered = [
        (r.action, r.payload)
        for r in sent(again, "CALL")
        if r.action in ("MeterValues", "StopTransaction")
    ]
    assert [(a, stamp(p) if a == "MeterValues" else p["timestamp"]) for a, p in delivered] == [
        (a, stamp(p) if a == "MeterValues" else p["timestamp"]) for a, p in before
    ]
