"""2.0.1 smart charging over a loopback CSMS: SetChargingProfile, reports, clearing, composite.

K01 (SetChargingProfile and its validation), K08 (GetCompositeSchedule), K09
(GetChargingProfiles / ReportChargingProfiles), K10 (ClearChargingProfile). The
transaction-bound parts (TxProfile) are in test_smart_tx.py, external limits in
test_smart_external.py, ISO 15118 in test_smart_iso15118.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bench.csms import v201_smart
from bench.csms.server import CentralSystem
from tests.e2e.conftest import wait_until
from tests.e2e.v201.conftest import Cp201Factory
from tests.e2e.v201.test_smart_support import iso, now_iso, profile201


async def set_profile(csms: CentralSystem, sid: str, evse_id: int, prof: dict) -> dict[str, Any]:
    return await csms.call(sid, "SetChargingProfile", {"evseId": evse_id, "chargingProfile": prof})


async def test_a_tx_default_profile_is_accepted_and_counted_in_entries(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K01.FR.08, K01.FR.14: a TxDefaultProfile on EVSE 0; Entries[ChargingProfiles] counts it."""
    cp = await make_cp201(csms.url, "K1")
    reply = await set_profile(csms, "K1", 0, profile201(1, limits=[(0, 10.0)]))
    assert reply == {"status": "Accepted"}
    assert cp.variable("SmartChargingCtrlr", "Entries", "ChargingProfiles") == "1"
    assert [e.profile.id for e in cp.smart.store] == [1]


REJECTIONS = [
    # (requirement, evseId, profile changes, reasonCode)
    ("K01.FR.28", 9, {}, "UnknownEvse"),
    (
        "K01.FR.22",
        0,
        {"chargingProfilePurpose": "ChargingStationExternalConstraints"},
        "InvalidProfile",
    ),
    ("K01.FR.38", 0, {"chargingProfilePurpose": "ChargingStationMaxProfile"}, "InvalidProfile"),
    (
        "K01.FR.16",
        0,
        {"chargingProfilePurpose": "TxProfile", "transactionId": "t"},
        "InvalidProfile",
    ),
    ("ProfileStackLevel", 0, {"stackLevel": 11}, "InvalidStackLevel"),
    ("K01.FR.40", 0, {"chargingProfileKind": "Absolute"}, "InvalidSchedule"),
    ("transactionId", 1, {"transactionId": "t"}, "InvalidProfile"),
]


@pytest.mark.parametrize(("rule", "evse_id", "changes", "reason"), REJECTIONS)
async def test_set_charging_profile_rejects_with_a_reason(
    csms: CentralSystem,
    make_cp201: Cp201Factory,
    rule: str,
    evse_id: int,
    changes: dict,
    reason: str,
) -> None:
    """K01: every refusal is Rejected with a statusInfo reasonCode naming the rule."""
    cp = await make_cp201(csms.url, "K2")
    reply = await set_profile(csms, "K2", evse_id, {**profile201(1), **changes})
    assert reply["status"] == "Rejected"
    assert reply["statusInfo"]["reasonCode"] == reason
    assert len(cp.smart.store) == 0


SCHEDULE_REJECTIONS = [
    ("K01.FR.31", {"chargingSchedulePeriod": [{"startPeriod": 10, "limit": 6}]}),
    (
        "K01.FR.35",
        {
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 6},
                {"startPeriod": 600, "limit": 8},
                {"startPeriod": 300, "limit": 7},
            ]
        },
    ),
    ("K01.FR.41", {"startSchedule": "2030-01-01T00:00:00Z"}),
    ("K01.FR.43", {"chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6, "numberPhases": 1}]}),
    (
        "K01.FR.19",
        {
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 6, "numberPhases": 3, "phaseToUse": 2}
            ]
        },
    ),
    (
        "PeriodsPerSchedule",
        {"chargingSchedulePeriod": [{"startPeriod": 60 * i, "limit": 6} for i in range(25)]},
    ),
]


@pytest.mark.parametrize(("rule", "schedule"), SCHEDULE_REJECTIONS)
async def test_invalid_schedules_are_rejected_as_invalid_schedule(
    csms: CentralSystem, make_cp201: Cp201Factory, rule: str, schedule: dict
) -> None:
    """K01.FR.19/31/35/41/43 and PeriodsPerSchedule: reasonCode InvalidSchedule."""
    await make_cp201(csms.url, "K3")
    prof = profile201(1)
    prof["chargingSchedule"][0].update(schedule)
    reply = await set_profile(csms, "K3", 1, prof)
    assert reply["status"] == "Rejected", rule
    assert reply["statusInfo"]["reasonCode"] == "InvalidSchedule"
    assert (
        rule.split(".")[-1] in reply["statusInfo"]["additionalInfo"] or rule == "PeriodsPerSchedule"
    )


async def test_a_rate_unit_the_station_does_not_list_is_rejected(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K01.FR.26: chargingRateUnit not in SmartChargingCtrlr.RateUnit -> UnsupportedRateUnit."""
    await make_cp201(csms.url, "K4", variables={"SmartChargingCtrlr.RateUnit": "A"})
    reply = await set_profile(csms, "K4", 1, profile201(1, unit="W", limits=[(0, 4000.0)]))
    assert reply["statusInfo"]["reasonCode"] == "UnsupportedRateUnit"
    assert (await set_profile(csms, "K4", 1, profile201(2)))["status"] == "Accepted"


async def test_more_than_one_schedule_without_iso15118_is_rejected(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K01.FR.34: one ChargingScheduleType unless the EV spoke ISO 15118."""
    await make_cp201(csms.url, "K5")
    prof = profile201(1)
    prof["chargingSchedule"].append({**prof["chargingSchedule"][0], "id": 2})
    reply = await set_profile(csms, "K5", 1, prof)
    assert reply["statusInfo"]["reasonCode"] == "InvalidSchedule"


async def test_smart_charging_disabled_rejects_profiles(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """SmartChargingCtrlr.Enabled false: SetChargingProfile Rejected with NotEnabled."""
    await make_cp201(csms.url, "K6", variables={"SmartChargingCtrlr.Enabled": "false"})
    reply = await set_profile(csms, "K6", 0, profile201(1))
    assert reply["statusInfo"]["reasonCode"] == "NotEnabled"


async def test_the_same_id_replaces_and_a_clashing_level_is_a_duplicate(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K01.FR.05 replace by id; K01.FR.06 same purpose/level/EVSE and overlapping validity ->
    DuplicateProfile; with validity periods apart both stay; K01.FR.52/53 EVSE 0 vs EVSE 1."""
    cp = await make_cp201(csms.url, "K7")
    assert (await set_profile(csms, "K7", 1, profile201(1, limits=[(0, 10.0)])))[
        "status"
    ] == "Accepted"
    assert (await set_profile(csms, "K7", 1, profile201(1, limits=[(0, 12.0)])))[
        "status"
    ] == "Accepted"
    [entry] = list(cp.smart.store)
    assert entry.profile.schedule.periods[0].limit == 12.0
    clash = await set_profile(csms, "K7", 1, profile201(2))
    assert clash["statusInfo"]["reasonCode"] == "DuplicateProfile"
    assert "K01.FR.06" in clash["statusInfo"]["additionalInfo"]
    # Validity periods that do not overlap may share a stack level.
    now = cp.clock.now()
    first = profile201(3, level=2, validTo=iso(now + timedelta(hours=1)))
    second = profile201(4, level=2, validFrom=iso(now + timedelta(hours=1)))
    assert (await set_profile(csms, "K7", 1, first))["status"] == "Accepted"
    assert (await set_profile(csms, "K7", 1, second))["status"] == "Accepted"
    # K01.FR.52: a TxDefaultProfile on EVSE 0 at a level EVSE 1 already uses.
    station_wide = await set_profile(csms, "K7", 0, profile201(5))
    assert station_wide["statusInfo"]["additionalInfo"].startswith("K01.FR.52")
    # K01.FR.53: the other way round.
    assert (await set_profile(csms, "K7", 0, profile201(6, level=5)))["status"] == "Accepted"
    own = await set_profile(csms, "K7", 1, profile201(7, level=5))
    assert own["statusInfo"]["additionalInfo"].startswith("K01.FR.53")


async def test_profiles_survive_a_restart(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path
) -> None:
    """K01.FR.27: profiles set by SetChargingProfile persist across power cycles."""
    db = tmp_path / "persist.db"
    cp = await make_cp201(csms.url, "K8", db_path=db)
    assert (await set_profile(csms, "K8", 0, profile201(1, limits=[(0, 9.0)])))[
        "status"
    ] == "Accepted"
    await cp.stop(drain_timeout=1.0)
    await csms.wait_for_disconnect("K8")
    again = await make_cp201(csms.url, "K8", db_path=db)
    assert [e.profile.id for e in again.smart.store] == [1]
    assert again.variable("SmartChargingCtrlr", "Entries", "ChargingProfiles") == "1"


async def test_get_charging_profiles_reports_in_parts_with_the_request_id(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K09.FR.01/02/04-06: one part per EVSE and source, tbc on all but the last; evseId 0
    only the station's own; NoProfiles when nothing matches."""
    cp = await make_cp201(csms.url, "K9", template="ac-22kw-dual")
    start = now_iso(cp)
    maxp = profile201(
        1, "ChargingStationMaxProfile", [(0, 32.0)], kind="Absolute", startSchedule=start
    )
    assert (await set_profile(csms, "K9", 0, maxp))["status"] == "Accepted"
    assert (await set_profile(csms, "K9", 1, profile201(2, level=1)))["status"] == "Accepted"
    assert (await set_profile(csms, "K9", 2, profile201(3, level=1)))["status"] == "Accepted"
    reply = await csms.call(
        "K9", "GetChargingProfiles", {"requestId": 42, "chargingProfile": {"stackLevel": 1}}
    )
    assert reply == {"status": "Accepted"}
    conn = csms.store.conn
    report = await wait_until(
        lambda: v201_smart.charging_profile_report(conn, "K9", 42), what="the whole report"
    )
    assert sorted((r["evseId"], r["chargingProfile"]["id"]) for r in report) == [(1, 2), (2, 3)]
    parts = [m.payload for m in v201_smart.messages(conn, "K9", "ReportChargingProfiles")]
    assert [p.get("tbc", False) for p in parts] == [True, False]
    assert {p["chargingLimitSource"] for p in parts} == {"CSO"}
    only_station = await csms.call(
        "K9",
        "GetChargingProfiles",
        {"requestId": 43, "evseId": 0, "chargingProfile": {"chargingLimitSource": ["CSO"]}},
    )
    assert only_station["status"] == "Accepted"
    report = await wait_until(lambda: v201_smart.charging_profile_report(conn, "K9", 43))
    assert [r["chargingProfile"]["id"] for r in report] == [1]
    none = await csms.call(
        "K9",
        "GetChargingProfiles",
        {"requestId": 44, "chargingProfile": {"chargingProfileId": [99]}},
    )
    assert none == {"status": "NoProfiles"}


async def test_clear_charging_profile_by_id_and_by_criteria(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K10.FR.01/03/04: by id, then by EVSE AND purpose AND level; Unknown when none match."""
    cp = await make_cp201(csms.url, "K10", template="ac-22kw-dual")
    for pid, evse, level in ((1, 1, 0), (2, 2, 0), (3, 2, 3)):
        assert (await set_profile(csms, "K10", evse, profile201(pid, level=level)))[
            "status"
        ] == "Accepted"
    assert await csms.call("K10", "ClearChargingProfile", {"chargingProfileId": 1}) == {
        "status": "Accepted"
    }
    assert await csms.call("K10", "ClearChargingProfile", {"chargingProfileId": 1}) == {
        "status": "Unknown"
    }
    criteria = {"evseId": 2, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 3}
    reply = await csms.call("K10", "ClearChargingProfile", {"chargingProfileCriteria": criteria})
    assert reply == {"status": "Accepted"}
    assert [e.profile.id for e in cp.smart.store] == [2]
    gone = await csms.call(
        "K10",
        "ClearChargingProfile",
        {"chargingProfileCriteria": {"chargingProfilePurpose": "TxProfile"}},
    )
    assert gone == {"status": "Unknown"}
    assert cp.variable("SmartChargingCtrlr", "Entries", "ChargingProfiles") == "1"


async def test_composite_schedule_combines_max_and_default_profiles(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K08.FR.02/04/06: without a transaction an EVSE is computed under its TxDefaultProfile;
    the lowest limit of the purposes wins; K08.FR.03 EVSE 0 is the grid total; A and W."""
    cp = await make_cp201(csms.url, "K11", template="ac-22kw-dual")
    start = now_iso(cp)
    maxp = profile201(
        1, "ChargingStationMaxProfile", [(0, 20.0)], kind="Absolute", startSchedule=start
    )
    assert (await set_profile(csms, "K11", 0, maxp))["status"] == "Accepted"
    default = profile201(2, limits=[(0, 16.0), (600, 8.0)])
    assert (await set_profile(csms, "K11", 1, default))["status"] == "Accepted"
    reply = await csms.call("K11", "GetCompositeSchedule", {"evseId": 1, "duration": 1200})
    assert reply["status"] == "Accepted"
    schedule = reply["schedule"]
    assert schedule["evseId"] == 1 and schedule["duration"] == 1200
    assert schedule["chargingRateUnit"] == "A"
    limits = [(p["startPeriod"], p["limit"]) for p in schedule["chargingSchedulePeriod"]]
    assert limits == [(0, 16.0), (600, 8.0)]
    grid = await csms.call("K11", "GetCompositeSchedule", {"evseId": 0, "duration": 1200})
    assert grid["schedule"]["chargingSchedulePeriod"][0]["limit"] == 20.0  # capped by the max
    watts = await csms.call(
        "K11", "GetCompositeSchedule", {"evseId": 1, "duration": 300, "chargingRateUnit": "W"}
    )
    assert watts["schedule"]["chargingSchedulePeriod"][0]["limit"] == pytest.approx(16 * 230 * 3)
    unknown = await csms.call("K11", "GetCompositeSchedule", {"evseId": 7, "duration": 60})
    assert unknown["status"] == "Rejected"
    assert unknown["statusInfo"]["reasonCode"] == "UnknownEvse"  # K08.FR.05


async def test_composite_schedule_in_an_unlisted_unit_is_rejected(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K08.FR.07: a chargingRateUnit not in RateUnit -> Rejected."""
    await make_cp201(csms.url, "K12", variables={"SmartChargingCtrlr.RateUnit": "A"})
    reply = await csms.call(
        "K12", "GetCompositeSchedule", {"evseId": 1, "duration": 60, "chargingRateUnit": "W"}
    )
    assert reply["status"] == "Rejected"


async def test_a_dc_station_reports_watts_and_ignores_phases(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K01.FR.44: DC accepts numberPhases/phaseToUse and ignores them; K08 without a unit a DC
    station reports W, without numberPhases."""
    cp = await make_cp201(csms.url, "K13", template="dc-50kw")
    prof = profile201(1, unit="W", limits=[(0, 20000.0)])
    prof["chargingSchedule"][0]["chargingSchedulePeriod"][0].update(numberPhases=1, phaseToUse=3)
    assert (await set_profile(csms, "K13", 1, prof))["status"] == "Accepted"
    reply = await csms.call("K13", "GetCompositeSchedule", {"evseId": 1, "duration": 60})
    schedule = reply["schedule"]
    assert schedule["chargingRateUnit"] == "W"
    [period] = schedule["chargingSchedulePeriod"]
    assert period == {"startPeriod": 0, "limit": 20000.0}
    assert cp.smart.limit_a(1) is None  # no transaction: nothing is imposed yet
