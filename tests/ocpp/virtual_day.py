"""One charging day on a manual clock, for both versions (issue 12's done-means).

A station charges for 24 virtual hours over the in-memory link: heartbeats every
900 s, sampled meter values every 900 s of the transaction, clock-aligned ones on
every hour, and a recurring daily TxDefaultProfile (12 A from 20:00, 6 A from
midnight, 10 A from 06:00). ``run_day`` returns what happened at which station
instant; the tests check each instant, ``benchmarks/bench_virtual_day.py`` times it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from tests.ocpp.manual_station import ManualStation, manual_station

DAY = 24 * 3600.0
T0 = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)
HEARTBEAT = 900
SAMPLE = 900
ALIGNED = 3600

SETTINGS = {
    "1.6": {"MeterValueSampleInterval": str(SAMPLE), "ClockAlignedDataInterval": str(ALIGNED)},
    "2.0.1": {
        "SampledDataCtrlr.TxUpdatedInterval": str(SAMPLE),
        "AlignedDataCtrlr.Interval": str(ALIGNED),
    },
}
PERIODS = [
    {"startPeriod": 0, "limit": 12.0},  # 20:00
    {"startPeriod": 4 * 3600, "limit": 6.0},  # midnight
    {"startPeriod": 10 * 3600, "limit": 10.0},  # 06:00
]
SCHEDULE = {
    "duration": 86400,
    "startSchedule": "2026-03-01T20:00:00Z",
    "chargingRateUnit": "A",
    "chargingSchedulePeriod": PERIODS,
}
DAILY = {
    "1.6": {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 7,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Recurring",
            "recurrencyKind": "Daily",
            "chargingSchedule": SCHEDULE,
        },
    },
    "2.0.1": {
        "evseId": 1,
        "chargingProfile": {
            "id": 7,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Recurring",
            "recurrencyKind": "Daily",
            "chargingSchedule": [{"id": 1, **SCHEDULE}],
        },
    },
}


@dataclass(frozen=True, slots=True)
class Day:
    heartbeats: list[datetime]
    sampled: list[datetime]  # station-stamped periodic readings of the transaction
    aligned: list[datetime]  # station-stamped clock-aligned readings of the connector
    limits: list[tuple[datetime, float | None]]  # (instant, limit in A) at each change


def _stamp(meter_value: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(meter_value["timestamp"].replace("Z", "+00:00"))


def _readings(s: ManualStation, version: str) -> tuple[list[datetime], list[datetime]]:
    sampled: list[datetime] = []
    aligned: list[datetime] = []
    if version == "1.6":
        for r in s.csms.requests("MeterValues"):
            value = r.payload["meterValue"][0]
            context = value["sampledValue"][0].get("context", "Sample.Periodic")
            (aligned if context == "Sample.Clock" else sampled).append(_stamp(value))
        return sampled, aligned
    for r in s.csms.requests("TransactionEvent"):
        trigger = r.payload["triggerReason"]
        if trigger in ("MeterValuePeriodic", "MeterValueClock"):
            target = sampled if trigger == "MeterValuePeriodic" else aligned
            target.append(_stamp(r.payload["meterValue"][0]))
    return sampled, aligned


async def run_day(tmp_path: Path, version: str) -> Day:
    """Charge through 24 virtual hours from 21:00; what the CSMS saw, and when."""
    async with manual_station(
        tmp_path, version, start=T0, heartbeat_interval=HEARTBEAT, settings=SETTINGS[version]
    ) as s:
        connector = s.cp.station.connector(1)
        connector.plug_in(Ev(load_ev_template("family-ev")))
        s.cp.present_id("TAG1", 1)
        await s.clock.settle()
        assert connector.transaction is not None, "the transaction starts without time passing"
        limits: list[tuple[datetime, float | None]] = [(s.clock.now(), connector.limit_a)]

        def note(_event: object) -> None:
            if connector.limit_a != limits[-1][1]:
                limits.append((s.clock.now(), connector.limit_a))

        s.cp.station.events.subscribe(note)
        reply = await s.csms.call("SetChargingProfile", DAILY[version])
        assert reply["status"] == "Accepted"
        await s.clock.run_for(DAY)
        sampled, aligned = _readings(s, version)
        heartbeats = [r.at for r in s.csms.requests("Heartbeat")]
    return Day(heartbeats, sampled, aligned, limits[1:])
