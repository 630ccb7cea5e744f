"""Device-model variables of the clock (part 2 appendices §2.1.24-2.1.32, ClockCtrlr).

The bench's time comes from the injected virtual clock; ``DateTime`` is kept
current by the monitoring block's live values. Setting the clock from the
Heartbeat or BootNotification ``currentTime`` is not modelled, so ``TimeSource``
names the one source the bench has.
"""

from __future__ import annotations

from typing import Any

from bench.ocpp.v201.dm_seed import RO, RW, seed

TIME_SOURCES = ("Heartbeat", "NTP", "GPS", "RealTimeClock", "MobileNetwork", "RadioTimeTransmitter")

SEEDS: dict[tuple[str, str, str | None], Any] = {
    ("ClockCtrlr", "DateTime", None): seed(RO, ""),
    # Only the real-time clock: naming Heartbeat would promise B01.FR.06 synchronisation.
    ("ClockCtrlr", "TimeSource", None): seed(RW, "RealTimeClock", values=TIME_SOURCES),
    ("ClockCtrlr", "TimeZone", None): seed(RW, "Etc/UTC"),
    ("ClockCtrlr", "TimeOffset", None): seed(RW, ""),
    ("ClockCtrlr", "TimeAdjustmentReportingThreshold", None): seed(RW, "20", min=0),
}
