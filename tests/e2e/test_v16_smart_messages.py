"""Smart-charging messages end to end: composite schedules, rejections, keys, persistence
(1.6 §5.5, §5.7, §5.16, §9.4, errata 3.24–3.39)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.ocpp.errors import CallError
from tests.e2e.conftest import db_file, ev, start_charging
from tests.e2e.smart_support import clocked_cp, iso, profile


def periods(reply: dict[str, Any]) -> list[tuple[int, float]]:
    return [
        (p["startPeriod"], p["limit"]) for p in reply["chargingSchedule"]["chargingSchedulePeriod"]
    ]


def offset(reply: dict[str, Any], t: datetime) -> int:
    start = datetime.fromisoformat(reply["scheduleStart"].replace("Z", "+00:00"))
    return int((t - start).total_seconds())


# ------------------------------------------------------------------ GetCompositeSchedule
async def test_the_composite_schedule_is_the_minimum_of_the_profiles_in_minimal_periods(
    csms, make_cp
) -> None:
    """1.6 §3.13.3, §5.7, errata 3.28/3.57: from now over the duration; the station max and
    the default combine by minimum; the hardware (16 A) bounds the rest."""
    cp = await make_cp(csms.url, speed=1.0)
    base = cp.clock.now().replace(microsecond=0) - timedelta(seconds=10)
    default = profile(
        1,
        "TxDefaultProfile",
        [(0, 10), (600, 20), (1200, 6)],
        kind="Absolute",
        startSchedule=iso(base),
        duration=1800,
    )
    station_max = profile(2, "ChargePointMaxProfile", [(0, 13)], kind="Absolute")
    station_max["chargingSchedule"]["startSchedule"] = iso(base)
    assert await csms.set_charging_profile("CP1", 1, default) == {"status": "Accepted"}
    assert await csms.set_charging_profile("CP1", 0, station_max) == {"status": "Accepted"}

    reply = await csms.get_composite_schedule("CP1", 1, 3600)
    assert reply["status"] == "Accepted"
    assert reply["connectorId"] == 1
    schedule = reply["chargingSchedule"]
    assert schedule["duration"] == 3600
    assert schedule["chargingRateUnit"] == "A"
    assert "startSchedule" not in schedule
    t600 = offset(reply, base + timedelta(seconds=600))
    t1200 = offset(reply, base + timedelta(seconds=1200))
    t1800 = offset(reply, base + timedelta(seconds=1800))
    assert periods(reply) == [(0, 10), (t600, 13), (t1200, 6), (t1800, 13)]
    assert {p["numberPhases"] for p in schedule["chargingSchedulePeriod"]} == {3}

    watts = await csms.get_composite_schedule("CP1", 1, 3600, "W")
    assert watts["chargingSchedule"]["chargingRateUnit"] == "W"
    assert [lim for _, lim in periods(watts)] == [6900, 8970, 4140, 8970]


async def test_a_composite_in_watts_never_exceeds_a_profile_given_in_watts(csms, make_cp) -> None:
    """1.6 §7.12: converting A<->W with the nominal voltage keeps the profile's value."""
    cp = await make_cp(csms.url)
    default = profile(3, "TxDefaultProfile", [(0, 7400)], unit="W", phases=[3])
    assert await csms.set_charging_profile("CP1", 0, default) == {"status": "Accepted"}
    reply = await csms.get_composite_schedule("CP1", 1, 600, "W")
    assert periods(reply) == [(0, 7400)]
    amps = await csms.get_composite_schedule("CP1", 1, 600, "A")
    assert periods(amps) == [(0, 10.7)]  # 7400 / (230 x 3) = 10.72, rounded down
    assert cp.smart.store.entries[0].profile.id == 3


async def test_the_composite_of_connector_0_is_what_the_station_expects_to_draw(
    csms, make_cp
) -> None:
    """1.6 errata 3.30: connector 0 reports the total expected current from the grid."""
    await make_cp(csms.url, template="ac-22kw-dual")
    reply = await csms.get_composite_schedule("CP1", 0, 600)
    assert periods(reply) == [(0, 64)]  # two 32 A outlets
    default = profile(4, "TxDefaultProfile", [(0, 16)], kind="Relative")
    assert await csms.set_charging_profile("CP1", 0, default) == {"status": "Accepted"}
    assert periods(await csms.get_composite_schedule("CP1", 0, 600)) == [(0, 32)]
    station_max = profile(5, "ChargePointMaxProfile", [(0, 20)], kind="Relative")
    assert await csms.set_charging_profile("CP1", 0, station_max) == {"status": "Accepted"}
    assert periods(await csms.get_composite_schedule("CP1", 0, 600)) == [(0, 20)]


async def test_a_composite_crosses_midnight_for_a_daily_profile(csms, tmp_path) -> None:
    """1.6 §7.8 Recurring Daily: the composite follows the recurrence into the next day."""
    start = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    async with clocked_cp(csms.url, tmp_path, start, speed=1.0) as cp:
        daily = profile(
            6,
            "TxDefaultProfile",
            [(0, 12), (3600, 8)],  # 12 A from 23:00, 8 A from midnight to 06:00
            kind="Recurring",
            recurrencyKind="Daily",
            startSchedule="2026-01-01T23:00:00Z",
            duration=7 * 3600,
        )
        assert await csms.set_charging_profile("CP1", 0, daily) == {"status": "Accepted"}
        reply = await csms.get_composite_schedule("CP1", 1, 86400)
        assert cp.clock.now() < start + timedelta(minutes=1)
    at = [offset(reply, datetime(2026, 3, d, h, tzinfo=UTC)) for d, h in ((2, 23), (3, 0), (3, 6))]
    assert periods(reply) == [(0, 16), (at[0], 12), (at[1], 8), (at[2], 16)]  # 24 h window


async def test_get_composite_schedule_for_an_unknown_connector_is_rejected(csms, make_cp) -> None:
    """1.6 §5.7: Rejected when the connector is unknown."""
    await make_cp(csms.url)
    assert await csms.get_composite_schedule("CP1", 2, 600) == {"status": "Rejected"}


# ------------------------------------------------------------------ SetChargingProfile rejections
async def test_a_tx_profile_without_a_transaction_is_rejected(csms, make_cp) -> None:
    """1.6 §3.13.1, §5.16.4: no TxProfile without an active transaction on the connector."""
    cp = await make_cp(csms.url)
    assert await csms.set_charging_profile("CP1", 1, profile(1)) == {"status": "Rejected"}
    assert len(cp.smart.store) == 0


@pytest.mark.parametrize(
    ("connector_id", "raw", "keys"),
    [
        pytest.param(0, profile(1), {}, id="TxProfile on connector 0"),
        pytest.param(1, profile(1, "ChargePointMaxProfile"), {}, id="station max on connector 1"),
        pytest.param(1, profile(1, transactionId=999), {}, id="another transactionId"),
        pytest.param(
            1,
            profile(1, level=3),
            {"ChargeProfileMaxStackLevel": "2"},
            id="stack level above ChargeProfileMaxStackLevel",
        ),
        pytest.param(
            1,
            profile(1, limits=[(0, 6), (60, 8), (120, 10)]),
            {"ChargingScheduleMaxPeriods": "2"},
            id="more periods than ChargingScheduleMaxPeriods",
        ),
        pytest.param(
            1,
            profile(1, unit="W", limits=[(0, 4000)]),
            {"ChargingScheduleAllowedChargingRateUnit": "Current"},
            id="unit not in ChargingScheduleAllowedChargingRateUnit",
        ),
        pytest.param(1, profile(1, limits=[(60, 6)]), {}, id="first period not at 0"),
        pytest.param(
            1,
            profile(1, limits=[(0, 16), (60, 16)], phases=[3, 1]),
            {},
            id="phase switch without ConnectorSwitch3to1PhaseSupported",
        ),
        pytest.param(
            1,
            profile(1, "TxDefaultProfile", kind="Absolute", recurrencyKind="Daily"),
            {},
            id="recurrencyKind on an Absolute profile",
        ),
    ],
)
async def test_set_charging_profile_rejects_what_the_station_cannot_run(
    csms, make_cp, connector_id: int, raw: dict[str, Any], keys: dict[str, str]
) -> None:
    """1.6 §3.13.1, §5.16, §9.4.1–§9.4.4, errata 3.45/3.56: each rule gives Rejected."""
    cp = await make_cp(csms.url, keys=keys)
    await start_charging(cp, csms)
    reply = await csms.set_charging_profile("CP1", connector_id, raw)
    assert reply == {"status": "Rejected"}
    assert len(cp.smart.store) == 0


async def test_a_phase_switch_is_accepted_where_the_station_supports_it(csms, make_cp) -> None:
    """1.6 §9.4.4 ConnectorSwitch3to1PhaseSupported."""
    cp = await make_cp(csms.url, keys={"ConnectorSwitch3to1PhaseSupported": "true"})
    tx_id = await start_charging(cp, csms)
    raw = profile(1, limits=[(0, 16), (60, 16)], phases=[3, 1], transactionId=tx_id)
    assert await csms.set_charging_profile("CP1", 1, raw) == {"status": "Accepted"}


async def test_max_charging_profiles_installed_is_enforced_but_replacement_is_not_counted(
    csms, make_cp
) -> None:
    """1.6 §9.4.5 MaxChargingProfilesInstalled; §5.16.4: a replacement takes the old slot."""
    cp = await make_cp(csms.url, keys={"MaxChargingProfilesInstalled": "2"})
    for pid, level in ((1, 0), (2, 1)):
        raw = profile(pid, "TxDefaultProfile", level=level)
        assert await csms.set_charging_profile("CP1", 0, raw) == {"status": "Accepted"}
    third = profile(3, "TxDefaultProfile", level=2)
    assert await csms.set_charging_profile("CP1", 0, third) == {"status": "Rejected"}
    same_level = profile(3, "TxDefaultProfile", [(0, 9)], level=1)
    assert await csms.set_charging_profile("CP1", 0, same_level) == {"status": "Accepted"}
    assert sorted(e.profile.id for e in cp.smart.store) == [1, 3]


async def test_an_unknown_connector_id_is_a_property_constraint_violation(csms, make_cp) -> None:
    """1.6 errata 3.39: an invalid connectorId in SetChargingProfile.req is a CALLERROR."""
    await make_cp(csms.url)
    with pytest.raises(CallError) as caught:
        await csms.set_charging_profile("CP1", 5, profile(1, "TxDefaultProfile"))
    assert caught.value.code == "PropertyConstraintViolation"


async def test_remote_start_with_a_profile_carrying_a_transaction_id_is_rejected(
    csms, make_cp
) -> None:
    """1.6 §5.16.2, errata 3.41: the remote start's profile SHALL NOT set transactionId."""
    cp = await make_cp(csms.url)
    cp.station.connector(1).plug_in(ev())
    raw = profile(1, transactionId=7)
    assert await csms.remote_start_transaction("CP1", "TAG1", 1, raw) == {"status": "Rejected"}


# ------------------------------------------------------------------ ClearChargingProfile
async def test_clear_charging_profile_answers_unknown_when_nothing_matches(csms, make_cp) -> None:
    """1.6 §5.5, §7.21 Unknown; errata 3.25: criteria combine with AND."""
    cp = await make_cp(csms.url)
    assert await csms.clear_charging_profile("CP1") == {"status": "Unknown"}
    raw = profile(1, "TxDefaultProfile", level=1)
    assert await csms.set_charging_profile("CP1", 1, raw) == {"status": "Accepted"}
    assert await csms.clear_charging_profile("CP1", id=2) == {"status": "Unknown"}
    assert await csms.clear_charging_profile(
        "CP1", connector_id=0, charging_profile_purpose="TxDefaultProfile"
    ) == {"status": "Unknown"}
    assert await csms.clear_charging_profile("CP1", connector_id=1, stack_level=0) == {
        "status": "Unknown"
    }
    assert len(cp.smart.store) == 1
    assert await csms.clear_charging_profile("CP1", id=1, connector_id=0) == {"status": "Accepted"}
    assert len(cp.smart.store) == 0


# ------------------------------------------------------------------ keys and persistence
async def test_the_smart_charging_keys_are_reported_and_the_profile_is_supported(
    csms, make_cp
) -> None:
    """1.6 §3.13.5, §9.4: the capability keys are readable; §9.1.29 lists SmartCharging."""
    await make_cp(csms.url)
    names = [
        "ChargeProfileMaxStackLevel",
        "ChargingScheduleAllowedChargingRateUnit",
        "ChargingScheduleMaxPeriods",
        "MaxChargingProfilesInstalled",
        "ConnectorSwitch3to1PhaseSupported",
        "SupportedFeatureProfiles",
    ]
    conf = await csms.get_configuration("CP1", names)
    keys = {k["key"]: k for k in conf["configurationKey"]}
    assert set(keys) == set(names)
    assert all(k["readonly"] for k in keys.values())
    assert keys["ChargingScheduleAllowedChargingRateUnit"]["value"] == "Current,Power"
    assert "SmartCharging" in keys["SupportedFeatureProfiles"]["value"].split(",")
    reply = await csms.change_configuration("CP1", "ChargeProfileMaxStackLevel", "99")
    assert reply == {"status": "Rejected"}


async def test_profiles_survive_a_restart_but_tx_profiles_do_not(csms, make_cp) -> None:
    """1.6 errata 3.37: profiles persist across reboots; §7.10: a TxProfile ends with its
    transaction."""
    cp = await make_cp(csms.url)
    tx_id = await start_charging(cp, csms)
    station_max = profile(1, "ChargePointMaxProfile", [(0, 12)], kind="Relative")
    default = profile(2, "TxDefaultProfile", [(0, 10)], level=1)
    tx = profile(3, limits=[(0, 6)], transactionId=tx_id)
    for connector_id, raw in ((0, station_max), (1, default), (1, tx)):
        assert await csms.set_charging_profile("CP1", connector_id, raw) == {"status": "Accepted"}
    path = db_file(cp)
    await cp.stop()
    again = await make_cp(csms.url, db_path=path)
    assert sorted(e.profile.id for e in again.smart.store) == [1, 2]
    assert periods(await csms.get_composite_schedule("CP1", 1, 300)) == [(0, 10)]
    await start_charging(again, csms, "TAG2")
    assert again.station.connector(1).limit_a == 10


async def test_a_profile_valid_from_the_future_starts_limiting_then(csms, make_cp) -> None:
    """1.6 §3.13.2: a replaced profile with validFrom ahead reverts to default until then."""
    cp = await make_cp(csms.url, speed=1.0)
    start = cp.clock.now().replace(microsecond=0) + timedelta(seconds=100)
    later = profile(1, "TxDefaultProfile", [(0, 8)], validFrom=iso(start))
    assert await csms.set_charging_profile("CP1", 0, later) == {"status": "Accepted"}
    reply = await csms.get_composite_schedule("CP1", 1, 600)
    assert periods(reply) == [(0, 16), (offset(reply, start), 8)]
