"""The reconnect back-off ends early when the network comes back (issue 12, clock work).

The pause between connection attempts waits on the station's wall timers; on a
manual clock only ``run_for`` moves them. A wake (``restore_network``) that comes
while the link is going down, before the pause has begun, must still end the
pause: otherwise the station sits out the whole back-off although nothing stops
it from connecting.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.ocpp.charge_point_base import OFFLINE, LinkChanged
from bench.transport.backoff import Backoff
from tests.ocpp.manual_station import manual_station

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LONG_BACKOFF = 600.0  # station wall seconds; the test never moves the clock


def long_backoff() -> Backoff:
    return Backoff(initial=LONG_BACKOFF, maximum=LONG_BACKOFF, jitter=0.0, rng=random.Random(0))


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_network_restored_before_the_back_off_pause_begins_reconnects_without_waiting(
    tmp_path: Path, version: str
) -> None:
    async with manual_station(tmp_path, version, start=T0, backoff=long_backoff()) as s:
        s.cp.cut_network()
        # The user restores the network the moment the link is reported down: the
        # link loop has not begun its back-off pause yet.
        restored: list[str] = []

        def on_event(event: object) -> None:
            if isinstance(event, LinkChanged) and event.state == OFFLINE and not restored:
                restored.append(event.detail)
                s.cp.restore_network()

        s.cp.events.subscribe(on_event)
        await s.clock.settle()
        assert restored, "the link went down"
        # No station time passes: the wake alone ends the pause.
        assert s.clock.monotonic() == 0.0
        assert s.csms.connections == 2
        assert s.cp.online


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_wake_during_the_back_off_pause_still_ends_it(tmp_path: Path, version: str) -> None:
    async with manual_station(tmp_path, version, start=T0, backoff=long_backoff()) as s:
        await s.csms.drop_link()
        await s.clock.settle()
        assert not s.cp.online
        await s.clock.run_for(LONG_BACKOFF / 2)
        assert s.csms.connections == 1  # still pausing
        s.cp.restore_network()
        await s.clock.settle()
        assert s.csms.connections == 2
        assert s.cp.online
