"""Smart charging end to end: limits the simulated current obeys (1.6 §3.13, §5.5, §5.16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.model.changes import ConnectorChanged
from tests.e2e.conftest import WAIT, ev, start_charging, status_sent, stopped, wait_until
from tests.e2e.smart_support import (
    NOISE,
    VOLTAGE,
    clocked_cp,
    iso,
    periodic,
    profile,
    readings,
    when,
)

METER_KEYS = {
    "MeterValueSampleInterval": "10",
    "MeterValuesSampledData": "Power.Active.Import,Current.Import",
}


async def next_sample(csms: Any, after: datetime) -> dict[str, Any]:
    """The first periodic MeterValues.req sampled at or after ``after`` (virtual time)."""
    for _ in range(100):
        msg = await csms.wait_for_message("CP1", "MeterValues", periodic, WAIT)
        if when(msg) >= after:
            return msg
    raise AssertionError("no meter values after the change")


async def test_a_6_amp_tx_profile_caps_measured_power_within_one_meter_interval(
    csms, make_cp
) -> None:
    """1.6 §3.13.1, §5.16.3: a TxProfile of 6 A caps current and power by the next sample
    (within one MeterValueSampleInterval); ClearChargingProfile (§5.5) restores full power."""
    cp = await make_cp(csms.url, keys=METER_KEYS)
    tx_id = await start_charging(cp, csms)
    before = await next_sample(csms, cp.clock.now())
    assert min(readings(before, "Current.Import")) > 15  # the EV takes its 16 A

    reply = await csms.set_charging_profile(
        "CP1", 1, profile(12, level=1, transactionId=tx_id, limits=[(0, 6)])
    )
    assert reply == {"status": "Accepted"}
    changed = cp.clock.now()
    capped = await next_sample(csms, changed)
    assert (when(capped) - changed).total_seconds() <= 10 + 1  # one interval (+ ms stamps)
    assert all(amps <= 6.0 for amps in readings(capped, "Current.Import"))
    assert sum(readings(capped, "Power.Active.Import")) <= 6 * 3 * VOLTAGE * NOISE
    assert cp.station.connector(1).limit_source == "TxProfile #12 level 1"
    assert cp.status_of(1).status == "Charging"

    assert await csms.clear_charging_profile("CP1", id=12) == {"status": "Accepted"}
    cleared = cp.clock.now()
    restored = await next_sample(csms, cleared)
    assert min(readings(restored, "Current.Import")) > 15
    assert cp.station.connector(1).limit_a is None


async def test_a_limit_of_zero_suspends_charging_until_the_profile_is_cleared(
    csms, make_cp
) -> None:
    """1.6 §7.7 SuspendedEVSE: the EVSE offers no energy under a 0 A limit."""
    cp = await make_cp(csms.url)
    tx_id = await start_charging(cp, csms)
    reply = await csms.set_charging_profile(
        "CP1", 1, profile(5, transactionId=tx_id, limits=[(0, 0)])
    )
    assert reply == {"status": "Accepted"}
    await status_sent(csms, "SuspendedEVSE")
    assert cp.station.connector(1).power_w == 0
    assert await csms.clear_charging_profile("CP1", connector_id=1) == {"status": "Accepted"}
    await status_sent(csms, "Charging")


async def test_the_highest_stack_level_wins_and_a_tx_profile_overrules_the_defaults(
    csms, make_cp
) -> None:
    """1.6 §3.13.2: highest stackLevel prevails; §3.13.1: a TxProfile overrules TxDefault."""
    cp = await make_cp(csms.url)
    connector = cp.station.connector(1)
    for pid, level, amps in ((1, 0, 12), (2, 3, 8)):
        reply = await csms.set_charging_profile(
            "CP1", 0, profile(pid, "TxDefaultProfile", [(0, amps)], level=level)
        )
        assert reply == {"status": "Accepted"}
    tx_id = await start_charging(cp, csms)
    assert (connector.limit_a, connector.limit_source) == (8, "TxDefaultProfile #2 level 3")

    # A connector's own TxDefaultProfile shadows connector 0's at the same stack level.
    own = profile(3, "TxDefaultProfile", [(0, 10)], level=3)
    assert await csms.set_charging_profile("CP1", 1, own) == {"status": "Accepted"}
    assert connector.limit_source == "TxDefaultProfile #3 level 3"

    tx = profile(4, limits=[(0, 14)], level=0, transactionId=tx_id)
    assert await csms.set_charging_profile("CP1", 1, tx) == {"status": "Accepted"}
    assert (connector.limit_a, connector.limit_source) == (14, "TxProfile #4 level 0")

    assert await csms.clear_charging_profile("CP1", charging_profile_purpose="TxProfile") == {
        "status": "Accepted"
    }
    assert await csms.clear_charging_profile("CP1", stack_level=3) == {"status": "Accepted"}
    assert (connector.limit_a, connector.limit_source) == (12, "TxDefaultProfile #1 level 0")


async def test_a_tx_profile_with_a_duration_falls_back_to_the_lower_level_on_time(
    csms, make_cp
) -> None:
    """1.6 errata 3.43: after the duration the next stack level applies, at that instant."""
    cp = await make_cp(csms.url)
    cp.physics_interval = 1.0  # 120 virtual seconds: only the boundary timer is on time
    connector = cp.station.connector(1)
    tx_id = await start_charging(cp, csms)
    base = profile(1, limits=[(0, 12)], level=0, transactionId=tx_id)
    assert await csms.set_charging_profile("CP1", 1, base) == {"status": "Accepted"}
    start = cp.clock.now()
    short = profile(
        2,
        kind="Absolute",
        limits=[(0, 6)],
        level=1,
        startSchedule=iso(start),
        duration=60,
    )
    assert await csms.set_charging_profile("CP1", 1, short) == {"status": "Accepted"}
    assert connector.limit_a == 6
    await wait_until(lambda: connector.limit_a == 12, what="the fall-back to level 0")
    late = (cp.clock.now() - start).total_seconds() - 60
    assert 0 <= late < 5  # the boundary timer, not a slow poll


async def test_a_tx_profile_whose_schedule_ended_still_overrules_the_default_profile(
    csms, make_cp
) -> None:
    """1.6 §3.13.2 (OCTT TC_066_CS): a TxProfile overrules the TxDefaultProfile for the
    transaction, also after its own schedule's duration: no TxDefault limit comes back."""
    cp = await make_cp(csms.url)
    cp.physics_interval = 1.0
    connector = cp.station.connector(1)
    default = profile(1, "TxDefaultProfile", [(0, 12)], level=5)
    assert await csms.set_charging_profile("CP1", 1, default) == {"status": "Accepted"}
    tx_id = await start_charging(cp, csms)
    assert connector.limit_a == 12
    short = profile(
        2,
        kind="Absolute",
        limits=[(0, 6)],
        level=0,
        startSchedule=iso(cp.clock.now()),
        duration=60,
        transactionId=tx_id,
    )
    assert await csms.set_charging_profile("CP1", 1, short) == {"status": "Accepted"}
    assert connector.limit_a == 6
    await wait_until(lambda: connector.limit_a != 6, what="the end of the TxProfile's schedule")
    assert connector.limit_a is None and connector.limit_source is None


async def test_a_daily_recurring_profile_crosses_midnight_under_virtual_time(
    csms, tmp_path
) -> None:
    """1.6 §3.13.7, §7.8 Recurring Daily: 10 A from 22:00, 6 A from midnight to 06:00,
    switching at midnight on the virtual clock; the meter follows."""
    start = datetime(2026, 3, 2, 23, 58, 0, tzinfo=UTC)
    midnight = datetime(2026, 3, 3, tzinfo=UTC)
    async with clocked_cp(csms.url, tmp_path, start, keys=METER_KEYS) as cp:
        cp.physics_interval = 1.0  # 120 virtual seconds: only the boundary timer is on time
        night = profile(
            30,
            "TxDefaultProfile",
            [(0, 10), (7200, 6)],
            kind="Recurring",
            recurrencyKind="Daily",
            startSchedule="2026-01-01T22:00:00Z",
            duration=8 * 3600,
        )
        assert await csms.set_charging_profile("CP1", 0, night) == {"status": "Accepted"}
        connector = cp.station.connector(1)
        changes: list[tuple[datetime, float | None]] = []

        def on_event(event: Any) -> None:
            if isinstance(event, ConnectorChanged) and event.reason == "limit":
                changes.append((cp.clock.now(), connector.limit_a))

        unsubscribe = cp.station.events.subscribe(on_event)
        try:
            await start_charging(cp, csms)
            assert cp.clock.now() < midnight
            assert connector.limit_a == 10
            await wait_until(lambda: connector.limit_a == 6, what="the midnight switch")
        finally:
            unsubscribe()
        switched = next(t for t, amps in changes if amps == 6)
        assert midnight <= switched < midnight + timedelta(seconds=2)
        # A sample timer may run between midnight and the switch on a busy loop: the
        # first sample taken once the limit changed is the one that must obey it.
        after = await next_sample(csms, switched)
        assert all(amps <= 6.0 for amps in readings(after, "Current.Import"))


async def test_a_charge_point_max_profile_is_shared_by_the_charging_connectors(
    csms, make_cp
) -> None:
    """1.6 §3.13.3: the ChargePointMaxProfile limits all connectors combined; when one
    stops the other gets the whole limit (up to its own maximum)."""
    cp = await make_cp(csms.url, template="ac-22kw-dual")
    station_max = profile(40, "ChargePointMaxProfile", [(0, 20)], kind="Absolute")
    station_max["chargingSchedule"]["startSchedule"] = "2020-01-01T00:00:00Z"
    assert await csms.set_charging_profile("CP1", 0, station_max) == {"status": "Accepted"}
    one, two = cp.station.connector(1), cp.station.connector(2)
    await start_charging(cp, csms, "TAG1", 1)
    assert one.limit_a == 16  # alone: the EV's 16 A is below the 20 A
    await start_charging(cp, csms, "TAG2", 2)
    await wait_until(lambda: one.limit_a == 10 and two.limit_a == 10, what="an even split")
    assert one.limit_source == "ChargePointMaxProfile #40 level 0, shared by 2"
    cp.station.tick()
    total = sum(one.meter.current_a) / 3 + sum(two.meter.current_a) / 3
    assert total <= 20.0 + 1e-6
    cp.present_id("TAG2", 2)
    await stopped(csms)
    await wait_until(lambda: one.limit_a == 16, what="the whole limit for connector 1")
    assert two.limit_a is None


async def test_a_charge_point_max_profile_in_watts_caps_the_power(csms, make_cp) -> None:
    """1.6 §7.12: W is the total power; per phase current = P / (230 V x numberPhases)."""
    cp = await make_cp(csms.url)
    station_max = profile(41, "ChargePointMaxProfile", [(0, 4140)], unit="W", phases=[3])
    assert await csms.set_charging_profile("CP1", 0, station_max) == {"status": "Accepted"}
    await start_charging(cp, csms)
    assert cp.station.connector(1).limit_a == 6.0


async def test_remote_start_with_a_tx_profile_installs_it_for_the_transaction(
    csms, make_cp
) -> None:
    """1.6 §5.16.2: the profile applies to the new transaction; a SetChargingProfile with the
    same stack level replaces it; it ceases with the transaction (§7.10)."""
    cp = await make_cp(csms.url, keys={"AuthorizeRemoteTxRequests": "false"})
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    reply = await csms.remote_start_transaction(
        "CP1", "TAG1", 1, profile(21, limits=[(0, 8)], level=2)
    )
    assert reply == {"status": "Accepted"}
    await status_sent(csms, "Charging")
    assert (connector.limit_a, connector.limit_source) == (8, "TxProfile #21 level 2")
    tx = connector.transaction
    await wait_until(lambda: tx.protocol_id is not None, what="the transactionId")
    update = profile(22, limits=[(0, 7)], level=2, transactionId=tx.protocol_id)
    assert await csms.set_charging_profile("CP1", 1, update) == {"status": "Accepted"}
    assert [e.profile.id for e in cp.smart.store] == [22]
    assert connector.limit_a == 7
    assert await csms.remote_stop_transaction("CP1", tx.protocol_id) == {"status": "Accepted"}
    await stopped(csms)
    assert len(cp.smart.store) == 0
    assert connector.limit_a is None


async def test_a_profile_that_expires_releases_the_limit(csms, make_cp) -> None:
    """1.6 §7.8 validTo: past it the profile no longer limits."""
    cp = await make_cp(csms.url)
    connector = cp.station.connector(1)
    tx_id = await start_charging(cp, csms)
    valid_to = iso(cp.clock.now() + timedelta(seconds=30))
    short = profile(9, limits=[(0, 6)], transactionId=tx_id, validTo=valid_to)
    assert await csms.set_charging_profile("CP1", 1, short) == {"status": "Accepted"}
    assert connector.limit_a == 6
    await wait_until(lambda: connector.limit_a is None, what="the release at validTo")
    assert len(cp.smart.store) == 0


async def test_default_profiles_keep_limiting_while_offline(csms, make_cp) -> None:
    """1.6 §3.13.6: offline, the station uses the profiles it has."""
    cp = await make_cp(csms.url, keys={"AllowOfflineTxForUnknownId": "true"})
    default = profile(50, "TxDefaultProfile", [(0, 9)])
    assert await csms.set_charging_profile("CP1", 0, default) == {"status": "Accepted"}
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("NEWTAG", 1)
    await wait_until(lambda: connector.transaction is not None, what="an offline start")
    assert connector.limit_a == 9
