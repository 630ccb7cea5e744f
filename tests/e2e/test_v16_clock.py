"""Every timestamp a 1.6 station writes comes from its own clock (ARCHITECTURE rule 7, issue 10).

The station's clock runs at 30 times real time from a date years away from
today, so a stamp taken from the wall clock anywhere stands out by years, not
by the seconds that separate virtual from real time at the start of a run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from bench.model.clock import SystemClock
from bench.model.templates import build_station
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.store.db import open_database
from bench.transport.config import LinkConfig
from tests.e2e.conftest import FAST_KEYS, WAIT, FrameList, ev, fast_backoff, wait_until

SPEED = 30.0
EPOCH = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)  # far from any real "now" of a test run


@pytest.fixture
async def cp(csms: CentralSystem, tmp_path: Path) -> AsyncIterator[ChargePoint16]:
    clock = SystemClock(speed=SPEED, start=EPOCH)
    db = open_database(tmp_path / "cp.db")
    station = build_station("CLK1", "ac-11kw", clock)
    link = LinkConfig(url=csms.url, station_id="CLK1", open_timeout=2.0)
    charge_point = ChargePoint16(
        station, link, db=db, sink=FrameList(), physics_interval=0.05, backoff=fast_backoff()
    )
    for key, value in FAST_KEYS.items():
        charge_point.config.set(key, value)
    await charge_point.start()
    await charge_point.wait_accepted(WAIT)
    yield charge_point
    await charge_point.stop(drain_timeout=1.0)
    db.close()


def stamps(value: Any) -> Iterator[str]:
    """Every ``timestamp`` field anywhere in a payload."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "timestamp" and isinstance(item, str):
                yield item
            else:
                yield from stamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from stamps(item)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_at_speed_30_security_events_and_queued_messages_carry_the_station_clock(
    csms: CentralSystem, cp: ChargePoint16
):
    """Whitepaper §6.8 SecurityEventNotification.timestamp: when the event happened, on the
    station's clock, like every other 1.6 timestamp (§6.47, §6.51, §6.57, §3.7 queue)."""
    event = await csms.wait_for_message(
        "CLK1", "SecurityEventNotification", lambda p: p["type"] == "StartupOfTheDevice", WAIT
    )
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1", 1)
    await csms.wait_for_message("CLK1", "StartTransaction", timeout=WAIT)
    await wait_until(lambda: connector.transaction.protocol_id is not None, what="the tx id")
    cp.cut_network()
    await wait_until(lambda: not cp.online, WAIT, "offline")
    cp.present_id("TAG1", 1)  # stops the transaction: StopTransaction waits in the queue
    queued = await wait_until(lambda: cp.transactions.queue.items(), WAIT, "a queued message")
    cp.restore_network()
    await csms.wait_for_message("CLK1", "StopTransaction", timeout=WAIT)
    cp.security.notify("ReconfigurationOfSecurityParameters", "raised mid-run")
    later = await csms.wait_for_message(
        "CLK1",
        "SecurityEventNotification",
        lambda p: p["type"] == "ReconfigurationOfSecurityParameters",
        WAIT,
    )
    now = cp.clock.now()

    def on_station_clock(moment: datetime) -> bool:
        return EPOCH <= moment <= now

    assert on_station_clock(when(event["timestamp"])), event
    assert on_station_clock(when(later["timestamp"])), later
    assert all(on_station_clock(datetime.fromtimestamp(m.created, UTC)) for m in queued)
    assert all(
        m.last_attempt is None or on_station_clock(datetime.fromtimestamp(m.last_attempt, UTC))
        for m in queued
    )
    frames = cp.session.sink.records
    assert all(on_station_clock(datetime.fromtimestamp(r.ts, UTC)) for r in frames)
    sent = [r.payload for r in frames if r.direction == "tx" and r.type == "CALL"]
    written = [s for payload in sent for s in stamps(payload)]
    assert len(written) >= 5  # statuses, start, stop, the security events
    assert all(on_station_clock(when(s)) for s in written), written
    assert all(on_station_clock(when(e["timestamp"])) for e in cp.security.security_log())
