"""A SetChargingProfile request built from form values, and checked as it is typed.

The charging-profile form (ui/views/profile_form.py) edits a ``ProfileDraft``: the
values a tester fills in, in whichever OCPP version the target station speaks.
This module turns a draft into the request payload of that version and back:

- 1.6 (§6.43, §7.8, §7.13, §7.14): ``{"connectorId", "csChargingProfiles": {...,
  "chargingSchedule": {...}}}``, an integer transactionId, no phaseToUse;
- 2.0.1 (K01, part 2 ChargingProfileType): ``{"evseId", "chargingProfile": {...,
  "chargingSchedule": [{"id", ...}]}}``, a string transactionId, phaseToUse.

What is wrong with a draft is ``bench.ocpp.profile_checks``' business; the
``Problem`` and ``StationLimits`` values it works with are defined here.

It lives in ``bench.ocpp`` rather than ``bench.smart`` because it speaks both
versions' JSON; the engine in ``bench.smart`` stays version-neutral. No Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bench.ocpp.common.smart import profile_time
from bench.ocpp.common.timestamps import iso
from bench.smart.profiles import ABSOLUTE, DAILY, RECURRING, RELATIVE, WEEKLY, ProfileError
from bench.smart.units import Supply, convert

V16, V201 = "1.6", "2.0.1"
ACTION = "SetChargingProfile"
KINDS = (ABSOLUTE, RECURRING, RELATIVE)
RECURRENCIES = (DAILY, WEEKLY)
UNITS = ("A", "W")
STATION_MAX = {V16: "ChargePointMaxProfile", V201: "ChargingStationMaxProfile"}
TX_DEFAULT = "TxDefaultProfile"
TX = "TxProfile"
EXTERNAL = "ChargingStationExternalConstraints"  # 2.0.1: never sent by a CSMS (K01.FR.22)
TX_ID_MAX = 36  # 2.0.1 ChargingProfileType.transactionId, string(36)

# Fields a problem can belong to (the form puts the message under that field).
PLACE = "place"
PROFILE_ID = "id"
PURPOSE = "purpose"
STACK_LEVEL = "stackLevel"
KIND = "kind"
RECURRENCY = "recurrencyKind"
START = "startSchedule"
DURATION = "duration"
VALID_FROM = "validFrom"
VALID_TO = "validTo"
UNIT = "chargingRateUnit"
MIN_RATE = "minChargingRate"
TRANSACTION = "transactionId"
PERIODS = "periods"
# Columns of the periods table.
COL_START, COL_LIMIT, COL_PHASES, COL_PHASE = "start", "limit", "numberPhases", "phaseToUse"

ERROR, WARNING = "error", "warning"


class DraftError(ValueError):
    """A payload the form cannot show; the message says what."""


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str
    severity: str = ERROR
    row: int | None = None  # a period row (PERIODS only)
    column: str | None = None  # that row's column

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass(frozen=True, slots=True)
class PeriodRow:
    start: int | None  # seconds from the start of the schedule; None: not a time
    limit: float | None  # in the schedule's unit; None: not a number
    phases: int | None = None  # numberPhases
    phase_to_use: int | None = None  # 2.0.1 only
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys the form does not show


@dataclass(frozen=True, slots=True)
class ProfileDraft:
    version: str  # "1.6" | "2.0.1"
    place: int  # 1.6 connectorId, 2.0.1 evseId (0: the station as a whole)
    profile_id: int
    purpose: str  # the version's name, e.g. "TxDefaultProfile"
    stack_level: int
    kind: str
    periods: tuple[PeriodRow, ...]
    unit: str = "A"
    recurrency: str | None = None
    start_schedule: datetime | None = None
    duration: int | None = None  # seconds
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    min_rate: float | None = None
    transaction_id: str | None = None  # as typed; 1.6 sends it as an integer
    schedule_id: int = 1  # 2.0.1 ChargingScheduleType.id
    # What the payload carried that the form does not show, sent back unchanged.
    extra_request: Mapping[str, Any] = field(default_factory=dict)
    extra_profile: Mapping[str, Any] = field(default_factory=dict)
    extra_schedule: Mapping[str, Any] = field(default_factory=dict)
    more_schedules: tuple[Mapping[str, Any], ...] = ()  # 2.0.1 chargingSchedule[1:] (K15)


@dataclass(frozen=True, slots=True)
class StationLimits:
    """What the target station accepts and can deliver, for the warnings of ``check``."""

    places: tuple[int, ...]  # ids a profile may name, 0 (the station) included
    max_amps: Mapping[int, float]  # per place: A per phase (AC) or DC amps
    max_watts: Mapping[int, float]  # per place: total W
    supply: Supply
    ac: bool = True
    max_stack_level: int | None = None
    max_periods: int | None = None
    units: frozenset[str] = frozenset(UNITS)
    phase_switching: bool = False  # 2.0.1 ACPhaseSwitchingSupported (K01.FR.20/48)
    phases_3to1: bool = True  # can hold an EV to fewer phases than the supply (K01.FR.43, §9.4.4)
    transactions: Mapping[int, str | None] = field(default_factory=dict)  # running, by place
    place_name: str = "Connector"  # 1.6 "Connector", 2.0.1 "EVSE"
    stack_key: str = "ChargeProfileMaxStackLevel"
    periods_key: str = "ChargingScheduleMaxPeriods"
    units_key: str = "ChargingScheduleAllowedChargingRateUnit"

    def place_text(self, place: int) -> str:
        return "the station" if place == 0 else f"{self.place_name} {place}"


# ------------------------------------------------------------------ names and offsets
def purposes(version: str) -> tuple[str, ...]:
    """The purposes a CSMS may send in ``version`` (2.0.1: not ExternalConstraints, K01.FR.22)."""
    return (STATION_MAX[version], TX_DEFAULT, TX)


def place_key(version: str) -> str:
    return "connectorId" if version == V16 else "evseId"


def profile_key(version: str) -> str:
    return "csChargingProfiles" if version == V16 else "chargingProfile"


def parse_offset(text: str) -> int:
    """A period start or duration as seconds: ``3600``, ``1:00`` (h:mm), ``1:30:15``,
    ``2d 4:00`` or ``2d``; a leading ``+`` is allowed. ``ValueError`` otherwise."""
    rest = text.strip().lstrip("+").strip()
    if not rest:
        raise ValueError("empty")
    days = 0
    if "d" in rest:
        head, _, rest = rest.partition("d")
        if not head.strip().isdigit():
            raise ValueError(f"{text!r} is not a time offset")
        days = int(head)
        rest = rest.strip()
        if not rest:
            return days * 86400
    parts = rest.split(":")
    if not all(p.isdigit() for p in parts) or len(parts) > 3:
        raise ValueError(f"{text!r} is not a time offset")
    if len(parts) == 1:
        if days:
            raise ValueError(f"{text!r}: write the time after the days as h:mm")
        return int(parts[0])
    hours, minutes = int(parts[0]), int(parts[1])
    seconds = int(parts[2]) if len(parts) == 3 else 0
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"{text!r}: minutes and seconds run to 59")
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def format_offset(seconds: int) -> str:
    """Seconds as h:mm (h:mm:ss when not whole minutes; "Nd h:mm" past a day)."""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
    return f"{days}d {text}" if days else text


def convert_periods(
    periods: tuple[PeriodRow, ...], unit: str, supply: Supply
) -> tuple[PeriodRow, ...]:
    """The limits of ``periods`` from the other unit into ``unit``, meaning kept (1.6 §7.12,
    K01.FR.50: W = A x voltage x phases, the period's numberPhases or 3, capped by the supply).
    Amps keep one decimal, watts none."""
    other = "W" if unit == "A" else "A"
    digits = 1 if unit == "A" else 0
    return tuple(
        replace(
            p,
            limit=None
            if p.limit is None
            else round(convert(p.limit, other, unit, supply, p.phases), digits),
        )
        for p in periods
    )


# ------------------------------------------------------------------ draft -> payload
def to_payload(draft: ProfileDraft) -> dict[str, Any]:
    """The SetChargingProfile request of ``draft.version`` (not checked: see ``check``)."""
    version = draft.version
    schedule: dict[str, Any] = {}
    if version == V201:
        schedule["id"] = draft.schedule_id
    if draft.start_schedule is not None:
        schedule["startSchedule"] = iso(draft.start_schedule)
    if draft.duration is not None:
        schedule["duration"] = draft.duration
    schedule["chargingRateUnit"] = draft.unit
    schedule["chargingSchedulePeriod"] = [_period_json(p, version) for p in draft.periods]
    if draft.min_rate is not None:
        schedule["minChargingRate"] = _one_decimal(draft.min_rate)
    schedule.update(draft.extra_schedule)

    profile: dict[str, Any] = {"chargingProfileId" if version == V16 else "id": draft.profile_id}
    if version == V16 and draft.transaction_id is not None:
        profile["transactionId"] = _tx_16(draft.transaction_id)
    profile["stackLevel"] = draft.stack_level
    profile["chargingProfilePurpose"] = draft.purpose
    profile["chargingProfileKind"] = draft.kind
    if draft.recurrency is not None:
        profile["recurrencyKind"] = draft.recurrency
    if draft.valid_from is not None:
        profile["validFrom"] = iso(draft.valid_from)
    if draft.valid_to is not None:
        profile["validTo"] = iso(draft.valid_to)
    if version == V201 and draft.transaction_id is not None:
        profile["transactionId"] = draft.transaction_id
    profile["chargingSchedule"] = (
        schedule if version == V16 else [schedule, *(dict(s) for s in draft.more_schedules)]
    )
    profile.update(draft.extra_profile)
    return {place_key(version): draft.place, profile_key(version): profile, **draft.extra_request}


def _period_json(period: PeriodRow, version: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "startPeriod": period.start,
        "limit": _one_decimal(period.limit) if period.limit is not None else None,
    }
    if period.phases is not None:
        out["numberPhases"] = period.phases
    if version == V201 and period.phase_to_use is not None:
        out["phaseToUse"] = period.phase_to_use
    out.update(period.extra)
    return out


def _one_decimal(value: float) -> float:
    # 1.6 §7.14 and 2.0.1 ChargingSchedulePeriodType: at most one digit fraction.
    return round(float(value), 1)


def _tx_16(text: str) -> int | str:
    """1.6 transactionId is an integer; other text stays text so the schema names it."""
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        return stripped


# ------------------------------------------------------------------ payload -> draft
def from_payload(version: str, payload: Mapping[str, Any]) -> ProfileDraft:
    """The draft a schema-valid request of ``version`` describes; ``DraftError`` otherwise."""
    try:
        return _from_payload(version, payload)
    except (KeyError, IndexError, TypeError, ValueError, ProfileError) as exc:
        raise DraftError(f"the form cannot show this payload: {exc}") from None


def _from_payload(version: str, payload: Mapping[str, Any]) -> ProfileDraft:
    request = dict(payload)
    place = int(request.pop(place_key(version)))
    profile = dict(request.pop(profile_key(version)))
    raw_schedules = profile.pop("chargingSchedule")
    more: tuple[dict[str, Any], ...] = ()
    if version == V16:
        schedule = dict(raw_schedules)
    else:
        schedule, more = dict(raw_schedules[0]), tuple(dict(s) for s in raw_schedules[1:])
    periods = tuple(_period_row(dict(p)) for p in schedule.pop("chargingSchedulePeriod"))
    tx = profile.pop("transactionId", None)
    min_rate = schedule.pop("minChargingRate", None)
    duration = schedule.pop("duration", None)
    return ProfileDraft(
        version=version,
        place=place,
        profile_id=int(profile.pop("chargingProfileId" if version == V16 else "id")),
        purpose=str(profile.pop("chargingProfilePurpose")),
        stack_level=int(profile.pop("stackLevel")),
        kind=str(profile.pop("chargingProfileKind")),
        periods=periods,
        unit=str(schedule.pop("chargingRateUnit")),
        recurrency=profile.pop("recurrencyKind", None),
        start_schedule=profile_time(schedule.pop("startSchedule", None)),
        duration=int(duration) if duration is not None else None,
        valid_from=profile_time(profile.pop("validFrom", None)),
        valid_to=profile_time(profile.pop("validTo", None)),
        min_rate=float(min_rate) if min_rate is not None else None,
        transaction_id=str(tx) if tx is not None else None,
        schedule_id=int(schedule.pop("id", 1)) if version == V201 else 1,
        extra_request=request,
        extra_profile=profile,
        extra_schedule=schedule,
        more_schedules=more,
    )


def _period_row(data: dict[str, Any]) -> PeriodRow:
    phases = data.pop("numberPhases", None)
    phase = data.pop("phaseToUse", None)
    return PeriodRow(
        start=int(data.pop("startPeriod")),
        limit=float(data.pop("limit")),
        phases=int(phases) if phases is not None else None,
        phase_to_use=int(phase) if phase is not None else None,
        extra=data,
    )
