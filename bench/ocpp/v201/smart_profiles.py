"""2.0.1 charging profiles in and out of the version-neutral engine (part 2 §3, K01).

``parse`` turns a ChargingProfileType into a ``bench.smart.profiles.Profile`` and
checks the structural rules of K01 that need no station state; ``check_capabilities``
checks a profile against what the station says it can do (SmartChargingCtrlr
variables, AC/DC, phases). Both raise ``Rejected`` carrying the StatusInfo reason
code (part 2 appendix 5) and a text naming the requirement, so a CSMS under test
sees why.

2.0.1 differs from 1.6 where it matters to the engine: chargingSchedule is a list
(1..3 for ISO 15118, K15.FR.07; the first one is the one the station follows), a
fourth purpose ChargingStationExternalConstraints, startSchedule is mandatory for
Absolute and Recurring and forbidden for Relative (K01.FR.40/41), and phaseToUse.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from bench.ocpp.common.smart import profile_time, read_schedule
from bench.smart.composite import ProfileSource
from bench.smart.profiles import (
    ABSOLUTE,
    DAILY,
    EXTERNAL,
    RECURRING,
    RELATIVE,
    STATION_MAX,
    TX,
    TX_DEFAULT,
    WEEKLY,
    Profile,
    ProfileError,
    Schedule,
)

PURPOSES = {
    "ChargingStationMaxProfile": STATION_MAX,
    "TxDefaultProfile": TX_DEFAULT,
    "TxProfile": TX,
    "ChargingStationExternalConstraints": EXTERNAL,
}
PURPOSE_NAME = {v: k for k, v in PURPOSES.items()}


class Rejected(Exception):
    """A request this station will not carry out; ``reason`` is a StatusInfo reasonCode."""

    def __init__(self, reason: str, info: str) -> None:
        super().__init__(f"{reason}: {info}")
        self.reason = reason
        self.info = info

    def status_info(self) -> dict[str, str]:
        return {"reasonCode": self.reason, "additionalInfo": self.info[:512]}


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the station accepts, read from its device model and template."""

    max_stack_level: int  # SmartChargingCtrlr.ProfileStackLevel
    max_periods: int  # SmartChargingCtrlr.PeriodsPerSchedule
    rate_units: frozenset[str]  # SmartChargingCtrlr.RateUnit
    ac: bool
    supply_phases: int  # phases the station can use (1 for DC)
    phases_3to1: bool  # SmartChargingCtrlr.Phases3to1
    phase_switching: bool  # SmartChargingCtrlr.ACPhaseSwitchingSupported


def label(profile: Profile) -> ProfileSource:
    return ProfileSource.of(profile, PURPOSE_NAME[profile.purpose])


def parse(raw: dict[str, Any]) -> Profile:
    """A ChargingProfileType as an engine ``Profile``; ``Rejected`` when malformed."""
    purpose = PURPOSES.get(raw.get("chargingProfilePurpose", ""))
    if purpose is None:
        raise Rejected("InvalidProfile", f"unknown purpose {raw.get('chargingProfilePurpose')!r}")
    kind = raw.get("chargingProfileKind")
    if kind not in (ABSOLUTE, RECURRING, RELATIVE):
        raise Rejected("InvalidProfile", f"unknown chargingProfileKind {kind!r}")
    if purpose == STATION_MAX and kind == RELATIVE:
        raise Rejected("InvalidProfile", "K01.FR.38: a ChargingStationMaxProfile is not Relative")
    recurrency = raw.get("recurrencyKind")
    if kind == RECURRING and recurrency not in (DAILY, WEEKLY):
        raise Rejected("InvalidProfile", "a Recurring profile needs recurrencyKind Daily or Weekly")
    if kind != RECURRING:
        recurrency = None  # meaningless without recurrence (part 2 §3.3)
    if raw.get("transactionId") is not None and purpose != TX:
        raise Rejected("InvalidProfile", "transactionId is only allowed on a TxProfile")
    schedules = raw.get("chargingSchedule") or []
    if not schedules:
        raise Rejected("InvalidSchedule", "no chargingSchedule")
    for schedule in schedules:
        _check_schedule(schedule, kind)
    try:
        parsed = parse_schedule(schedules[0])
        valid_from = profile_time(raw.get("validFrom"))
        valid_to = profile_time(raw.get("validTo"))
    except (ProfileError, KeyError, TypeError, ValueError) as exc:
        raise Rejected("InvalidSchedule", str(exc)) from None
    if valid_from and valid_to and valid_to <= valid_from:
        raise Rejected("InvalidProfile", "validTo is not after validFrom")
    return Profile(
        id=int(raw["id"]),
        stack_level=int(raw["stackLevel"]),
        purpose=purpose,
        kind=kind,
        schedule=parsed,
        recurrency=recurrency,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def parse_schedule(data: dict[str, Any]) -> Schedule:
    """A ChargingScheduleType (part 2 §2.13) as a ``Schedule``; ``ProfileError`` when malformed.

    phaseToUse is checked against the station (``check_capabilities``); the engine
    only needs how many phases a period may use.
    """
    return read_schedule(data)


def _check_schedule(schedule: dict[str, Any], kind: str) -> None:
    has_start = schedule.get("startSchedule") is not None
    if kind in (ABSOLUTE, RECURRING) and not has_start:
        raise Rejected("InvalidSchedule", f"K01.FR.40: an {kind} schedule needs startSchedule")
    if kind == RELATIVE and has_start:
        raise Rejected("InvalidSchedule", "K01.FR.41: a Relative schedule has no startSchedule")
    starts = [int(p["startPeriod"]) for p in schedule["chargingSchedulePeriod"]]
    if starts[0] != 0:
        raise Rejected("InvalidSchedule", "K01.FR.31: the first startPeriod must be 0")
    if any(b <= a for a, b in pairwise(starts)):
        raise Rejected("InvalidSchedule", "K01.FR.35: periods must be in increasing startPeriod")
    if any(float(p["limit"]) < 0 for p in schedule["chargingSchedulePeriod"]):
        raise Rejected("InvalidSchedule", "a limit is negative")


def check_capabilities(profile: Profile, raw: dict[str, Any], caps: Capabilities) -> None:
    """The SmartChargingCtrlr limits and the phase rules (K01.FR.19/26/43-48)."""
    if profile.stack_level > caps.max_stack_level:
        raise Rejected(
            "InvalidStackLevel",
            f"stackLevel {profile.stack_level} > ProfileStackLevel {caps.max_stack_level}",
        )
    for schedule in raw["chargingSchedule"]:
        unit = schedule["chargingRateUnit"]
        if unit not in caps.rate_units:
            raise Rejected("UnsupportedRateUnit", f"K01.FR.26: chargingRateUnit {unit}")
        periods = schedule["chargingSchedulePeriod"]
        if len(periods) > caps.max_periods:
            raise Rejected(
                "InvalidSchedule", f"{len(periods)} periods > PeriodsPerSchedule {caps.max_periods}"
            )
        for period in periods:
            _check_phases(period, caps)


def _check_phases(period: dict[str, Any], caps: Capabilities) -> None:
    phases = period.get("numberPhases")
    phase = period.get("phaseToUse")
    if not caps.ac:
        return  # K01.FR.44: DC ignores numberPhases and phaseToUse
    if phase is not None and phases != 1:
        raise Rejected("InvalidSchedule", "K01.FR.19: phaseToUse needs numberPhases 1")
    if phases is not None and phases < caps.supply_phases and not caps.phases_3to1:
        # K01.FR.43: the bench cannot stop a three-phase EV from using all phases.
        raise Rejected(
            "InvalidSchedule",
            f"K01.FR.43: cannot ensure {phases} phase(s) on a {caps.supply_phases}-phase supply",
        )
    if (
        phase is not None
        and not caps.phase_switching
        and not (caps.supply_phases == 1 and phase == 1)
    ):
        raise Rejected("InvalidSchedule", f"K01.FR.48: cannot switch to phaseToUse {phase}")


def overlapping(a: Profile, b: Profile) -> bool:
    """Whether the validity periods [validFrom, validTo) of ``a`` and ``b`` overlap (K01.FR.06)."""
    starts = [t for t in (a.valid_from, b.valid_from) if t is not None]
    ends = [t for t in (a.valid_to, b.valid_to) if t is not None]
    return not starts or not ends or max(starts) < min(ends)
