"""A 2.0.1 station through a day of station time on a manual clock (issue 12).

As tests/ocpp/test_v16_virtual_day.py, for 2.0.1: the station runs over the
in-memory link against a scripted CSMS, every timer is on the station's clock, and
each assertion names the exact station time something happened.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.model.clock import Callback, ManualClock, Timer
from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from tests.ocpp.manual_station import ManualStation, manual_station

DAY = 24 * 3600.0
T0 = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)
QUIET = {"SampledDataCtrlr.TxUpdatedInterval": "0", "AlignedDataCtrlr.Interval": "0"}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def charging(s: ManualStation) -> None:
    s.cp.station.connector(1).plug_in(Ev(load_ev_template("family-ev")))
    s.cp.present_id("TAG1", 1)
    await s.clock.settle()
    assert s.cp.station.connector(1).transaction is not None


def events(s: ManualStation, trigger: str) -> list[dict[str, Any]]:
    return [
        r.payload
        for r in s.csms.requests("TransactionEvent")
        if r.payload["triggerReason"] == trigger
    ]


async def test_heartbeats_come_every_interval_of_the_boot_reply_for_a_whole_day(
    tmp_path: Path,
) -> None:
    """B01.FR.04 and G02.FR.01: the BootNotificationResponse interval becomes the
    heartbeat interval; G02.FR.02: a HeartbeatRequest every interval (600 s: 144 a day)."""
    async with manual_station(
        tmp_path, "2.0.1", start=T0, heartbeat_interval=600, settings=QUIET
    ) as s:
        await s.clock.run_for(DAY)
        beats = [r.at for r in s.csms.requests("Heartbeat")]
    assert beats == [T0 + timedelta(seconds=600 * k) for k in range(1, 145)]


async def test_periodic_and_clock_aligned_meter_values_cross_an_hour_boundary_on_time(
    tmp_path: Path,
) -> None:
    """J02.FR.11: Updated/MeterValuePeriodic every TxUpdatedInterval from the start of the
    transaction; J01.FR.22: Updated/MeterValueClock every AlignedDataCtrlr.Interval from
    midnight, stamped with the boundary (21:45, 22:00, 22:15 across the hour)."""
    start = T0 + timedelta(minutes=40)
    settings = {"SampledDataCtrlr.TxUpdatedInterval": "300", "AlignedDataCtrlr.Interval": "900"}
    async with manual_station(tmp_path, "2.0.1", start=start, settings=settings) as s:
        await charging(s)
        await s.clock.run_for(40 * 60)
        periodic = events(s, "MeterValuePeriodic")
        aligned = events(s, "MeterValueClock")
    assert [parse(p["meterValue"][0]["timestamp"]) for p in periodic] == [
        start + timedelta(seconds=300 * k) for k in range(1, 9)
    ]
    quarter = datetime(2026, 3, 1, 21, 45, tzinfo=UTC)
    assert [parse(p["meterValue"][0]["timestamp"]) for p in aligned] == [
        quarter + timedelta(minutes=15 * k) for k in range(3)
    ]


class LateClock(ManualClock):
    """A manual clock whose every timer runs seven seconds late, as on a busy event loop."""

    LATE = 7.0

    def call_at(self, when: float, callback: Callback) -> Timer:
        return super().call_at(when + self.LATE, callback)


async def test_clock_aligned_readings_are_stamped_with_their_boundary_when_the_timer_runs_late(
    tmp_path: Path,
) -> None:
    """J01.FR.14/22: clock-aligned data belongs to the interval boundary; a timer that runs
    late must not move its stamp (the reading of 22:00 says 22:00, not 22:00:07)."""
    clock = LateClock(T0 + timedelta(minutes=50))
    settings = {"SampledDataCtrlr.TxUpdatedInterval": "0", "AlignedDataCtrlr.Interval": "900"}
    async with manual_station(tmp_path, "2.0.1", start=T0, settings=settings, clock=clock) as s:
        await charging(s)
        await s.clock.run_for(30 * 60)  # 21:50 to 22:20: past 22:00 and 22:15 and their lag
        aligned = events(s, "MeterValueClock")
        station = [r.payload for r in s.csms.requests("MeterValues") if r.payload["evseId"] == 0]
    boundaries = [datetime(2026, 3, 1, 22, 0, tzinfo=UTC), datetime(2026, 3, 1, 22, 15, tzinfo=UTC)]
    assert [parse(p["meterValue"][0]["timestamp"]) for p in aligned] == boundaries
    assert [parse(p["meterValue"][0]["timestamp"]) for p in station] == boundaries


DAILY_PROFILE = {
    "evseId": 1,
    "chargingProfile": {
        "id": 7,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Recurring",
        "recurrencyKind": "Daily",
        "chargingSchedule": [
            {
                "id": 1,
                "duration": 86400,
                "startSchedule": "2026-03-01T20:00:00Z",
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 12.0},  # 20:00
                    {"startPeriod": 4 * 3600, "limit": 6.0},  # midnight
                    {"startPeriod": 10 * 3600, "limit": 10.0},  # 06:00
                ],
            }
        ],
    },
}


async def test_a_recurring_daily_profile_changes_the_limit_at_midnight_and_each_period(
    tmp_path: Path,
) -> None:
    """K01 SetChargingProfile with a Recurring Daily TxDefaultProfile (K01.FR.03 for
    recurring schedules): 12 A, 6 A from midnight, 10 A from 06:00, 12 A from 20:00 again;
    each change at its instant (re-evaluated a millisecond past the boundary)."""
    async with manual_station(tmp_path, "2.0.1", start=T0, settings=QUIET) as s:
        await charging(s)
        connector = s.cp.station.connector(1)
        seen: list[tuple[datetime, float | None]] = [(s.clock.now(), connector.limit_a)]

        def note(_event: object) -> None:
            if connector.limit_a != seen[-1][1]:
                seen.append((s.clock.now(), connector.limit_a))

        s.cp.station.events.subscribe(note)
        reply = await s.csms.call("SetChargingProfile", DAILY_PROFILE)
        assert reply["status"] == "Accepted"
        await s.clock.run_for(DAY)
    midnight = datetime(2026, 3, 2, tzinfo=UTC)
    expected = [
        (T0, 12.0),
        (midnight, 6.0),
        (midnight + timedelta(hours=6), 10.0),
        (midnight + timedelta(hours=20), 12.0),
    ]
    changes = seen[1:]
    assert [limit for _, limit in changes] == [limit for _, limit in expected]
    for (when, _), (due, _) in zip(changes, expected, strict=True):
        assert timedelta(0) <= when - due <= timedelta(milliseconds=2), (when, due)


async def test_a_transaction_without_a_cable_ends_when_ev_connection_timeout_passes(
    tmp_path: Path,
) -> None:
    """E03.FR.05: authorized (TxStartPoint Authorized starts the transaction) and no cable
    within TxCtrlr.EVConnectionTimeOut: the transaction ends at that instant with
    stoppedReason Timeout and triggerReason EVConnectTimeout."""
    settings = {**QUIET, "TxCtrlr.TxStartPoint": "Authorized", "TxCtrlr.EVConnectionTimeOut": "90"}
    async with manual_station(tmp_path, "2.0.1", start=T0, settings=settings) as s:
        s.cp.present_id("TAG1", 1)
        await s.clock.run_for(89)
        kinds = [r.payload["eventType"] for r in s.csms.requests("TransactionEvent")]
        assert kinds == ["Started"]
        await s.clock.run_for(DAY - 89)
        ended = [
            r for r in s.csms.requests("TransactionEvent") if r.payload["eventType"] == "Ended"
        ]
    assert len(ended) == 1
    assert ended[0].at == at(90)
    assert ended[0].payload["triggerReason"] == "EVConnectTimeout"
    assert ended[0].payload["transactionInfo"]["stoppedReason"] == "Timeout"


async def test_a_reservation_expires_at_its_expiry_time_and_the_evse_is_available_again(
    tmp_path: Path,
) -> None:
    """H01.FR.23: the reserved EVSE reports Reserved; at expiryDateTime the reservation
    ends (ReservationStatusUpdate Expired) and the EVSE reports Available, at that instant."""
    async with manual_station(tmp_path, "2.0.1", start=T0, settings=QUIET) as s:
        expiry = T0 + timedelta(hours=2)
        reply = await s.csms.call(
            "ReserveNow",
            {
                "id": 5,
                "expiryDateTime": iso(expiry),
                "idToken": {"idToken": "TAG1", "type": "ISO14443"},
                "evseId": 1,
            },
        )
        assert reply["status"] == "Accepted"
        await s.clock.run_for(DAY)
        updates = [(r.at, r.payload) for r in s.csms.requests("ReservationStatusUpdate")]
        statuses = s.csms.statuses(1)
    assert updates == [(expiry, {"reservationId": 5, "reservationUpdateStatus": "Expired"})]
    assert statuses[-2:] == [(T0, "Reserved"), (expiry, "Available")]


async def test_periodic_monitors_report_every_interval_and_on_the_clock_boundaries(
    tmp_path: Path,
) -> None:
    """N08.FR.05/06: a Periodic monitor reports every ``value`` seconds from when it was
    set; N08.FR.07: a PeriodicClockAligned one on the clock's multiples of ``value``.
    On the manual clock every report's station time is exact (tests/e2e/v201 checks the
    same over a real link, without timing)."""
    start = T0 + timedelta(seconds=30)  # 21:00:30: the aligned boundaries are on the minutes
    async with manual_station(tmp_path, "2.0.1", start=start, settings=QUIET) as s:
        await s.clock.settle()
        evse1 = {"name": "EVSE", "evse": {"id": 1}}
        data = [
            {
                "component": evse1,
                "variable": {"name": name},
                "type": kind,
                "value": value,
                "severity": 7,
            }
            for name, kind, value in (
                ("Power", "Periodic", 60),
                ("AvailabilityState", "PeriodicClockAligned", 120),
            )
        ]
        reply = await s.csms.call("SetVariableMonitoring", {"setMonitoringData": data})
        periodic, aligned = (r["id"] for r in reply["setMonitoringResult"])
        await s.clock.run_for(10 * 60)
        reports = [
            (r.at, e) for r in s.csms.requests("NotifyEvent") for e in r.payload["eventData"]
        ]
    when = {
        monitor: [
            parse(e["timestamp"]) for _, e in reports if e.get("variableMonitoringId") == monitor
        ]
        for monitor in (periodic, aligned)
    }
    assert {e["trigger"] for _, e in reports} == {"Periodic"}
    assert when[periodic] == [start + timedelta(seconds=60 * k) for k in range(1, 11)]
    assert when[aligned] == [T0 + timedelta(seconds=120 * k) for k in range(1, 6)]
