"""A 1.6 station through a day of station time on a manual clock (issue 12).

The station runs over the in-memory link against a scripted CSMS; every timer is on
the station's clock, so ``run_for`` moves through 24 virtual hours instant by
instant and each assertion names the exact station time something happened.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from tests.ocpp.manual_station import ManualStation, manual_station

DAY = 24 * 3600.0
T0 = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)


def ev() -> Ev:
    return Ev(load_ev_template("family-ev"))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def charging(s: ManualStation, tag: str = "TAG1") -> None:
    """Plug in and present a tag: a transaction runs once the CSMS answered."""
    s.cp.station.connector(1).plug_in(ev())
    s.cp.present_id(tag, 1)
    await s.clock.settle()
    assert s.cp.station.connector(1).transaction is not None


async def test_heartbeats_come_every_interval_of_the_boot_reply_for_a_whole_day(
    tmp_path: Path,
) -> None:
    """1.6 §4.2: the BootNotification.conf interval is the heartbeat interval; §4.6: the
    station sends Heartbeat.req every interval (here 900 s: 96 in a day)."""
    async with manual_station(tmp_path, "1.6", start=T0, heartbeat_interval=900) as s:
        booted = s.csms.requests("BootNotification")[-1].at
        await s.clock.run_for(DAY)
        beats = [r.at for r in s.csms.requests("Heartbeat")]
    assert booted == T0
    assert beats == [T0 + timedelta(seconds=900 * k) for k in range(1, 97)]


async def test_periodic_and_clock_aligned_meter_values_cross_an_hour_boundary_on_time(
    tmp_path: Path,
) -> None:
    """1.6 §4.7, §9.1.18 MeterValueSampleInterval (from the transaction start) and
    §9.1.4 ClockAlignedDataInterval (from midnight): sampled values every 300 s of the
    transaction, clock-aligned ones stamped at 21:15, 21:30, ... 22:15 across 22:00
    (§3.16.2: the interval boundary), the register rising between them."""
    start = T0 + timedelta(minutes=40)  # 21:40
    settings = {"MeterValueSampleInterval": "300", "ClockAlignedDataInterval": "900"}
    async with manual_station(tmp_path, "1.6", start=start, settings=settings) as s:
        await charging(s)
        await s.clock.run_for(40 * 60)  # to 22:20
        values = [r.payload for r in s.csms.requests("MeterValues")]
    periodic = [stamp(p) for p in values if context(p) == "Sample.Periodic"]
    aligned = [stamp(p) for p in values if context(p) == "Sample.Clock"]
    assert periodic == [start + timedelta(seconds=300 * k) for k in range(1, 9)]
    assert aligned == [
        datetime(2026, 3, 1, 21, 45, tzinfo=UTC) + timedelta(minutes=15 * k) for k in range(3)
    ]
    energy = [register(p) for p in values if context(p) == "Sample.Periodic"]
    assert energy == sorted(energy) and energy[-1] > energy[0]


def context(payload: dict[str, Any]) -> str:
    return payload["meterValue"][0]["sampledValue"][0].get("context", "Sample.Periodic")


def stamp(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(payload["meterValue"][0]["timestamp"].replace("Z", "+00:00"))


def register(payload: dict[str, Any]) -> float:
    for value in payload["meterValue"][0]["sampledValue"]:
        if (
            value.get("measurand", "Energy.Active.Import.Register")
            == "Energy.Active.Import.Register"
        ):
            return float(value["value"])
    raise AssertionError(f"no energy register in {payload}")


def limit_changes(s: ManualStation) -> list[tuple[datetime, float | None]]:
    """(station time, limit in A) each time connector 1's smart-charging limit changes."""
    connector = s.cp.station.connector(1)
    seen: list[tuple[datetime, float | None]] = [(s.clock.now(), connector.limit_a)]

    def note(_event: object) -> None:
        if connector.limit_a != seen[-1][1]:
            seen.append((s.clock.now(), connector.limit_a))

    s.cp.station.events.subscribe(note)
    return seen


DAILY_PROFILE = {
    "connectorId": 1,
    "csChargingProfiles": {
        "chargingProfileId": 7,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Recurring",
        "recurrencyKind": "Daily",
        "chargingSchedule": {
            "duration": 86400,
            "startSchedule": "2026-03-01T20:00:00Z",
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 12.0},  # 20:00
                {"startPeriod": 4 * 3600, "limit": 6.0},  # midnight
                {"startPeriod": 10 * 3600, "limit": 10.0},  # 06:00
            ],
        },
    },
}


async def test_a_recurring_daily_profile_changes_the_limit_at_midnight_and_each_period(
    tmp_path: Path,
) -> None:
    """1.6 §3.13.2 (Recurring, Daily) and §5.16 SetChargingProfile: the schedule starts
    again every day at 20:00, so across the night the limit is 12 A, 6 A from midnight,
    10 A from 06:00 and 12 A again from 20:00; each change happens at its instant (the
    re-evaluation runs a millisecond past the boundary, see bench/ocpp/smart_boundary)."""
    quiet = {"MeterValueSampleInterval": "0"}  # only the limit matters here
    async with manual_station(tmp_path, "1.6", start=T0, settings=quiet) as s:
        await charging(s)
        seen = limit_changes(s)
        assert await s.csms.call("SetChargingProfile", DAILY_PROFILE) == {"status": "Accepted"}
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


async def test_an_authorized_driver_who_never_plugs_in_frees_the_connector_after_connection_timeout(
    tmp_path: Path,
) -> None:
    """1.6 §9.1.6 ConnectionTimeOut (errata 3.77) and §4.9: a tag presented with no cable
    keeps the connector Preparing; once ConnectionTimeOut passes without a cable it goes
    back to Available, at that instant, and no transaction starts."""
    settings = {"ConnectionTimeOut": "120"}
    async with manual_station(tmp_path, "1.6", start=T0, settings=settings) as s:
        s.cp.present_id("TAG1", 1)
        await s.clock.run_for(119)
        assert s.csms.statuses(1)[-1] == (T0, "Preparing")
        await s.clock.run_for(1)
        assert s.csms.statuses(1)[-1] == (at(120), "Available")
        await s.clock.run_for(3600)
        assert s.cp.station.connector(1).transaction is None
        assert not s.csms.requests("StartTransaction")


async def test_a_reservation_expires_at_its_expiry_date_and_the_connector_is_available_again(
    tmp_path: Path,
) -> None:
    """1.6 §5.13 ReserveNow: the connector is Reserved until expiryDate, then the
    reservation ends and the connector reports Available at that instant."""
    async with manual_station(tmp_path, "1.6", start=T0) as s:
        expiry = T0 + timedelta(hours=2)
        reply = await s.csms.call(
            "ReserveNow",
            {
                "connectorId": 1,
                "expiryDate": expiry.isoformat().replace("+00:00", "Z"),
                "idTag": "TAG1",
                "reservationId": 5,
            },
        )
        assert reply == {"status": "Accepted"}
        await s.clock.run_for(DAY)
        statuses = s.csms.statuses(1)
    assert statuses[-2:] == [(T0, "Reserved"), (expiry, "Available")]


async def test_minimum_status_duration_keeps_short_lived_statuses_from_being_sent(
    tmp_path: Path,
) -> None:
    """1.6 §9.1.20 MinimumStatusDuration: a status is reported only once it has held this
    long; a Preparing that lasts 30 s of 60 is never sent, one that lasts is sent 60 s
    after it began."""
    settings = {"MinimumStatusDuration": "60"}
    async with manual_station(tmp_path, "1.6", start=T0, settings=settings) as s:
        await s.clock.run_for(60)  # the boot's Available has been reported
        before = list(s.csms.statuses(1))
        connector = s.cp.station.connector(1)
        connector.plug_in(ev())  # Preparing, for half a minute only
        await s.clock.run_for(30)
        connector.unplug()
        await s.clock.run_for(600)
        assert s.csms.statuses(1) == before
        connector.plug_in(ev())  # this one lasts
        await s.clock.run_for(60)
        assert s.csms.statuses(1)[len(before) :] == [(at(60 + 30 + 600 + 60), "Preparing")]


async def test_after_an_ev_side_disconnect_only_the_owners_tag_unlocks_the_cable(
    tmp_path: Path,
) -> None:
    """1.6 §9.1.33 UnlockConnectorOnEVSideDisconnect false, and §3.5.4: the station end
    stays locked after the EV end is unplugged, however long another tag waits, until
    the tag that started the transaction is presented."""
    settings = {"UnlockConnectorOnEVSideDisconnect": "false"}
    async with manual_station(tmp_path, "1.6", start=T0, settings=settings) as s:
        await charging(s, "TAG1")
        connector = s.cp.station.connector(1)
        connector.unplug()
        await s.clock.run_for(1)
        stop = s.csms.requests("StopTransaction")
        assert [r.payload["reason"] for r in stop] == ["EVDisconnected"]
        assert connector.locked
        s.cp.present_id("TAG2")  # somebody else's card does not release it
        await s.clock.run_for(3600)
        assert connector.locked
        s.cp.present_id("TAG1")
        await s.clock.settle()
        assert not connector.locked
