"""A whole charging day of each version on a manual clock: heartbeats, meter values and
a recurring profile's limit changes each at their virtual instant (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.ocpp.virtual_day import ALIGNED, HEARTBEAT, SAMPLE, T0, run_day

MIDNIGHT = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_day_of_charging_keeps_every_timer_on_its_virtual_instant(
    tmp_path: Path, version: str
) -> None:
    """1.6 §4.6 / 2.0.1 G02.FR.02 heartbeats; 1.6 §9.1.18 / J02.FR.11 sampled values
    from the transaction start; 1.6 §9.1.4 / J01.FR.22 clock-aligned values on each
    boundary; 1.6 §3.13.2 / K01 a Recurring Daily profile: 12 A, 6 A from midnight,
    10 A from 06:00, 12 A again from 20:00."""
    day = await run_day(tmp_path, version)
    assert day.heartbeats == [T0 + timedelta(seconds=HEARTBEAT * k) for k in range(1, 97)]
    assert day.sampled == [T0 + timedelta(seconds=SAMPLE * k) for k in range(1, 97)]
    assert day.aligned == [T0 + timedelta(seconds=ALIGNED * k) for k in range(1, 25)]
    expected = [
        (T0, 12.0),
        (MIDNIGHT, 6.0),
        (MIDNIGHT + timedelta(hours=6), 10.0),
        (MIDNIGHT + timedelta(hours=20), 12.0),
    ]
    assert [limit for _, limit in day.limits] == [limit for _, limit in expected]
    for (when, _), (due, _) in zip(day.limits, expected, strict=True):
        # Re-evaluated a millisecond past the boundary (bench/ocpp/smart_boundary).
        assert timedelta(0) <= when - due <= timedelta(milliseconds=2), (when, due)
