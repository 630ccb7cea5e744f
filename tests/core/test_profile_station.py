"""What a station says about a charging profile before it is sent (issue 10).

Real charge points of both versions (not connected: the smart-charging handlers are
called as the session would call them), a real SQLite file, a manual clock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.model.clock import ManualClock
from bench.model.templates import build_station
from bench.ocpp import profile_builder as pb
from bench.ocpp import profile_station as ps
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.ocpp.v201.charge_point import SUBPROTOCOL, ChargePoint201
from bench.store.db import open_database
from bench.transport.config import LinkConfig


@contextlib.contextmanager
def station(tmp_path: Path, version: str, template: str = "ac-11kw") -> Iterator[Any]:
    clock = ManualClock()
    db = open_database(tmp_path / f"{version}.db")
    st = build_station("CP", template, clock)
    if version == pb.V16:
        cp: Any = ChargePoint16(st, LinkConfig(url="ws://127.0.0.1:9/", station_id="CP"), db=db)
    else:
        link = LinkConfig(url="ws://127.0.0.1:9/", station_id="CP", subprotocol=SUBPROTOCOL)
        cp = ChargePoint201(st, link, db=db)
    try:
        yield cp
    finally:
        cp.tasks.cancel_timers()  # the smart-charging boundary timer of installed profiles
        db.close()


def draft(version: str, **changes: Any) -> pb.ProfileDraft:
    values: dict[str, Any] = {
        "version": version,
        "place": 1,
        "profile_id": 7,
        "purpose": pb.TX_DEFAULT,
        "stack_level": 1,
        "kind": pb.RELATIVE,
        "periods": (pb.PeriodRow(0, 10.0), pb.PeriodRow(3600, 6.0)),
    }
    values.update(changes)
    return pb.ProfileDraft(**values)


async def install(cp: Any, d: pb.ProfileDraft) -> dict[str, Any]:
    """Through the station's own SetChargingProfile handler (1.6 §5.16, K01)."""
    return await cp.smart.set_charging_profile(pb.to_payload(d))


def periods(schedule: dict[str, Any]) -> list[tuple[int, float]]:
    return [(p["startPeriod"], p["limit"]) for p in schedule["chargingSchedulePeriod"]]


async def test_the_1_6_preview_is_the_composite_the_station_reports_once_it_has_the_profile(
    tmp_path,
):
    """1.6 §3.13.3, §5.7: under a 12 A ChargePointMaxProfile, a TxDefaultProfile of 10 A then
    6 A gives 10 then 6; without it the connector has 12. Installing it for real gives the
    composite the preview showed."""
    with station(tmp_path, pb.V16) as cp:
        station_max = draft(
            pb.V16,
            place=0,
            profile_id=1,
            purpose="ChargePointMaxProfile",
            kind=pb.ABSOLUTE,
            start_schedule=cp.clock.now(),
            periods=(pb.PeriodRow(0, 12.0),),
        )
        assert (await install(cp, station_max))["status"] == "Accepted"
        d = draft(pb.V16)
        preview = ps.preview(d, cp.clock.now(), cp)
        assert [preview.own_at(t) for t in (0, 3599, 3600)] == [10.0, 10.0, 6.0]
        assert [preview.before_at(t) for t in (0, 3600)] == [12.0, 12.0]
        assert [preview.after_at(t) for t in (0, 3599, 3600)] == [10.0, 10.0, 6.0]
        assert preview.end - preview.start == timedelta(hours=24)
        assert preview.note == "Relative: shown as if a transaction started now"
        assert len(cp.smart.store) == 1  # the preview installed nothing

        assert (await install(cp, d))["status"] == "Accepted"
        reported = ps.composite(cp, 1, 24 * 3600, "A")
        assert periods(reported) == [(0, 10.0), (3600, 6.0)]
        assert [preview.after_at(s) for s, _ in periods(reported)] == [10.0, 6.0]


async def test_the_2_0_1_preview_of_a_station_maximum_caps_the_sum_of_the_evses(tmp_path):
    """K08.FR.03: EVSE #0's composite is the sum of its EVSEs (2 x 32 A) capped by a
    ChargingStationMaxProfile (Absolute, K01.FR.40) of 40 A, then 20 A after 30 minutes."""
    with station(tmp_path, pb.V201, "ac-22kw-dual") as cp:
        d = draft(
            pb.V201,
            place=0,
            purpose="ChargingStationMaxProfile",
            kind=pb.ABSOLUTE,
            start_schedule=cp.clock.now(),
            periods=(pb.PeriodRow(0, 40.0), pb.PeriodRow(1800, 20.0)),
        )
        preview = ps.preview(d, cp.clock.now(), cp)
        assert [preview.before_at(t) for t in (0, 1800)] == [64.0, 64.0]
        assert [preview.after_at(t) for t in (0, 1799, 1800)] == [40.0, 40.0, 20.0]
        assert (await install(cp, d))["status"] == "Accepted"
        assert periods(ps.composite(cp, 0, 24 * 3600, "A")) == [(0, 40.0), (1800, 20.0)]


async def test_a_profile_with_a_known_id_replaces_the_installed_one_in_the_preview(tmp_path):
    """1.6 §5.16.3, K01.FR.05: the same id replaces: the composite is the new one's alone."""
    for version in (pb.V16, pb.V201):
        with station(tmp_path, version) as cp:
            first = draft(version, periods=(pb.PeriodRow(0, 6.0),))
            assert (await install(cp, first))["status"] == "Accepted"
            preview = ps.preview(
                draft(version, periods=(pb.PeriodRow(0, 12.0),)), cp.clock.now(), cp
            )
            assert (preview.before_at(0), preview.after_at(0)) == (6.0, 12.0), version


async def test_the_profile_alone_has_gaps_where_it_imposes_nothing_and_ends_in_view(tmp_path):
    """1.6 §7.8 validFrom, §7.13 duration: an Absolute profile starting in 2 h for 1 h is
    shown to a little past its end; outside it the composite is the hardware rating."""
    with station(tmp_path, pb.V16) as cp:
        now = cp.clock.now()
        d = draft(
            pb.V16,
            kind=pb.ABSOLUTE,
            start_schedule=now + timedelta(hours=2),
            duration=3600,
            periods=(pb.PeriodRow(0, 8.0),),
        )
        preview = ps.preview(d, now, cp)
        assert preview.end - preview.start == timedelta(hours=3 * ps.END_MARGIN)
        assert [preview.own_at(h * 3600 + 1) for h in (0, 2, 3)] == [None, 8.0, None]
        assert [preview.after_at(h * 3600 + 1) for h in (0, 2, 3)] == [16.0, 8.0, 16.0]
        assert preview.note.startswith("Absolute: from ")


async def test_the_verdict_is_the_stations_own_check_and_installs_nothing(tmp_path):
    with station(tmp_path, pb.V16) as cp:
        refusal = ps.verdict(cp, pb.to_payload(draft(pb.V16, stack_level=9)))
        assert refusal == "stackLevel 9 > ChargeProfileMaxStackLevel"
        assert ps.verdict(cp, pb.to_payload(draft(pb.V16))) is None
        assert len(cp.smart.store) == 0
    with station(tmp_path, pb.V201) as cp:
        assert (await install(cp, draft(pb.V201)))["status"] == "Accepted"
        clash = pb.to_payload(draft(pb.V201, profile_id=8))  # same level and purpose
        assert ps.verdict(cp, clash) == "DuplicateProfile: K01.FR.06: clashes with #7"
        assert ps.next_profile_id(cp) == 8


async def test_a_profile_installed_locally_is_on_the_station_with_no_message(tmp_path):
    """For a station on an external CSMS: the station's own check and install, nothing sent;
    2.0.1 records that the limit did not come from the CSMS (chargingLimitSource Other)."""
    with station(tmp_path, pb.V201) as cp:
        ps.install_locally(cp, pb.to_payload(draft(pb.V201)))
        (entry,) = cp.smart.store
        assert entry.profile.id == 7 and cp.smart.source_of(entry) == "Other"
        with pytest.raises(ps.LocalRefusal, match=r"K01\.FR\.06"):
            ps.install_locally(cp, pb.to_payload(draft(pb.V201, profile_id=8)))
    with station(tmp_path, pb.V16) as cp:
        ps.install_locally(cp, pb.to_payload(draft(pb.V16)))
        assert [e.profile.id for e in cp.smart.store] == [7]
        with pytest.raises(ps.LocalRefusal, match="ChargeProfileMaxStackLevel"):
            ps.install_locally(cp, pb.to_payload(draft(pb.V16, stack_level=12)))


def test_station_limits_come_from_the_template_and_the_smart_charging_settings(tmp_path):
    with station(tmp_path, pb.V16) as cp:
        limits = ps.station_limits(cp)
        assert (limits.places, limits.max_amps[1], limits.max_watts[1]) == ((0, 1), 16.0, 11040.0)
        assert (limits.max_stack_level, limits.max_periods) == (8, 24)
        assert limits.units == {"A", "W"} and limits.transactions == {}
    with station(tmp_path, pb.V201, "dc-50kw") as cp:
        limits = ps.station_limits(cp)
        assert not limits.ac and limits.max_watts[1] == 50000.0
        assert limits.stack_key == "SmartChargingCtrlr.ProfileStackLevel"


async def test_the_form_is_told_which_installed_profile_a_request_would_replace(tmp_path):
    """1.6 §5.16.3: the same id, or the same purpose and stack level on the same connector,
    replaces; 2.0.1 K01.FR.05: the same id only."""
    with station(tmp_path, pb.V16) as cp:
        station_max = draft(
            pb.V16,
            place=0,
            profile_id=1,
            purpose="ChargePointMaxProfile",
            periods=(pb.PeriodRow(0, 13.0),),
        )
        assert (await install(cp, station_max))["status"] == "Accepted"
        assert (await install(cp, draft(pb.V16, profile_id=4)))["status"] == "Accepted"
        same_id = ps.replacements(cp, pb.to_payload(draft(pb.V16, profile_id=1, stack_level=2)))
        assert [(p.field, p.message) for p in same_id] == [
            (
                pb.PROFILE_ID,
                "replaces the installed ChargePointMaxProfile #1 (same id, 1.6 §5.16.3)",
            )
        ]
        same_level = ps.replacements(cp, pb.to_payload(draft(pb.V16, profile_id=9)))
        assert [(p.field, p.severity) for p in same_level] == [(pb.STACK_LEVEL, pb.WARNING)]
        assert "TxDefaultProfile #4 on connector 1" in same_level[0].message
    with station(tmp_path, pb.V201) as cp:
        assert (await install(cp, draft(pb.V201, profile_id=4)))["status"] == "Accepted"
        assert ps.replacements(cp, pb.to_payload(draft(pb.V201, profile_id=9, stack_level=2))) == []
        assert (
            "K01.FR.05"
            in ps.replacements(cp, pb.to_payload(draft(pb.V201, profile_id=4)))[0].message
        )
