"""A SetChargingProfile request built from form values, and checked as it is typed.

The charging-profile form (ui/views/profile_form.py) edits a ``ProfileDraft``: the
values a tester fills in, in whichever OCPP version the target station speaks.
This module turns a draft into the request payload of that version and back:

- 1.6 (§6.43, §7.8, §7.13, §7.14): ``{"connectorId", "csChargingProfiles": {...,
  "chargingSchedule": {...}}}``, an integer transactionId, no phaseToUse;
- 2.0.1 (K01, part 2 ChargingProfileType): ``{"evseId", "chargingProfile": {...,
  "chargingSchedule": [{"id", ...}]}}``, a string transactionId, phaseToUse.

``check`` lists what is wrong with a draft, each ``Problem`` naming the field (and
the period row and column) it belongs to so the form can show it on that field:
errors break a rule of the spec (the station must refuse the profile, so the form
does not send it), warnings are about this station (its settings and ratings, a
transaction that is not running): the profile is legal but the station will refuse
or cap it. The JSON schema of the version is checked separately (``schema_problem``)
with the same compiled schemas the session validates with.

It lives in ``bench.ocpp`` rather than ``bench.smart`` because it speaks both
versions' JSON; the engine in ``bench.smart`` stays version-neutral. No Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from bench.ocpp.schemas import SchemaViolation, validate
from bench.smart.profiles import ABSOLUTE, DAILY, RECURRING, RELATIVE, WEEKLY, ProfileError
from bench.smart.profiles import parse_time as _parse_time
from bench.smart.units import Supply, convert, to_amps

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
_EPS = 1e-6


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


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
    if version == V16:
        schedule, more = dict(raw_schedules), ()
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
        start_schedule=_parse_time(schedule.pop("startSchedule", None)),
        duration=int(duration) if duration is not None else None,
        valid_from=_parse_time(profile.pop("validFrom", None)),
        valid_to=_parse_time(profile.pop("validTo", None)),
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


# ------------------------------------------------------------------ checks
def schema_problem(payload: Mapping[str, Any], version: str) -> str | None:
    """The first way ``payload`` breaks the version's SetChargingProfile schema, or None."""
    try:
        validate(version, ACTION, dict(payload), response=False)
    except SchemaViolation as exc:
        return f"{exc.kind.value}: {exc.message}"
    return None


def check(draft: ProfileDraft, limits: StationLimits | None = None) -> list[Problem]:
    """Everything wrong with ``draft``: spec errors first, then this station's warnings."""
    problems = _profile_problems(draft) + _period_problems(draft)
    if limits is not None:
        problems += _station_problems(draft, limits)
    return problems


def _ref(draft: ProfileDraft, v16: str, v201: str) -> str:
    return v16 if draft.version == V16 else v201


def _profile_problems(d: ProfileDraft) -> list[Problem]:
    out: list[Problem] = []
    station_max = STATION_MAX[d.version]
    if d.purpose == EXTERNAL:
        out.append(
            Problem(PURPOSE, "a CSMS never sets ChargingStationExternalConstraints (K01.FR.22)")
        )
    elif d.purpose not in purposes(d.version):
        out.append(Problem(PURPOSE, f"{d.purpose} is not an OCPP {d.version} purpose"))
    if d.stack_level < 0:
        ref = _ref(d, "1.6 §7.8", "ChargingProfileType")
        out.append(Problem(STACK_LEVEL, f"stack level {d.stack_level}: the lowest is 0 ({ref})"))
    if d.place < 0:
        out.append(Problem(PLACE, f"{place_key(d.version)} cannot be negative"))
    if d.purpose == station_max and d.place != 0:
        ref = _ref(d, "1.6 §3.13.1", "part 2 §3.2")
        out.append(Problem(PLACE, f"a {station_max} is set on the station as a whole, 0 ({ref})"))
    if d.purpose == TX and d.place == 0:
        ref = _ref(d, "1.6 §3.13.1", "K01.FR.16")
        out.append(Problem(PLACE, f"a TxProfile is set on one {_what(d)}, not on 0 ({ref})"))
    if d.version == V201 and d.purpose == station_max and d.kind == RELATIVE:
        out.append(Problem(KIND, "a ChargingStationMaxProfile cannot be Relative (K01.FR.38)"))
    if d.kind == RECURRING and d.recurrency not in RECURRENCIES:
        out.append(Problem(RECURRENCY, "a Recurring profile repeats Daily or Weekly"))
    if d.kind != RECURRING and d.recurrency is not None:
        # 1.6 errata 3.56; 2.0.1 ignores it (part 2 §3.3), the form says so.
        severity = ERROR if d.version == V16 else WARNING
        out.append(Problem(RECURRENCY, "recurrencyKind only goes with Recurring", severity))
    if d.version == V201:
        if d.kind in (ABSOLUTE, RECURRING) and d.start_schedule is None:
            out.append(Problem(START, f"an {d.kind} schedule needs a start (K01.FR.40)"))
        if d.kind == RELATIVE and d.start_schedule is not None:
            out.append(Problem(START, "a Relative schedule has no start (K01.FR.41)"))
    if d.duration is not None and d.duration < 0:
        out.append(Problem(DURATION, "the duration cannot be negative"))
    if d.min_rate is not None and d.min_rate < 0:
        out.append(Problem(MIN_RATE, "the minimum charging rate cannot be negative"))
    if d.valid_from is not None and d.valid_to is not None and d.valid_to <= d.valid_from:
        out.append(Problem(VALID_TO, "the profile stops being valid before it starts"))
    if d.unit not in UNITS:
        out.append(Problem(UNIT, f"the unit is A or W, not {d.unit!r}"))
    out += _transaction_problems(d)
    return out


def _what(d: ProfileDraft) -> str:
    return "connector" if d.version == V16 else "EVSE"


def _transaction_problems(d: ProfileDraft) -> list[Problem]:
    tx = d.transaction_id
    if d.purpose != TX:
        if tx is not None:
            ref = _ref(d, "1.6 §7.8", "ChargingProfileType")
            return [Problem(TRANSACTION, f"a transaction id only goes with a TxProfile ({ref})")]
        return []
    if tx is None or not tx.strip():
        if d.version == V201:
            return [Problem(TRANSACTION, "a TxProfile names its transaction (K01.FR.03)")]
        return [
            Problem(
                TRANSACTION,
                "no transaction id: the profile applies to the transaction running on "
                f"connector {d.place} (1.6 §7.8)",
                WARNING,
            )
        ]
    if d.version == V16 and not _is_int(tx):
        return [Problem(TRANSACTION, "a 1.6 transactionId is an integer (1.6 §7.8)")]
    if d.version == V201 and len(tx) > TX_ID_MAX:
        return [Problem(TRANSACTION, f"a 2.0.1 transactionId has at most {TX_ID_MAX} characters")]
    return []


def _is_int(text: str) -> bool:
    try:
        int(text.strip())
    except ValueError:
        return False
    return True


def _period_problems(d: ProfileDraft) -> list[Problem]:
    out: list[Problem] = []
    if not d.periods:
        return [Problem(PERIODS, "a schedule needs at least one period")]
    for row, p in enumerate(d.periods):
        if p.start is None:
            out.append(_cell(row, COL_START, "not a time: seconds, h:mm or h:mm:ss"))
        elif p.start < 0:
            out.append(_cell(row, COL_START, "a period cannot start before the schedule"))
        if p.limit is None:
            out.append(_cell(row, COL_LIMIT, "not a number"))
        elif p.limit < 0:
            out.append(_cell(row, COL_LIMIT, "a limit cannot be negative"))
        elif abs(p.limit * 10 - round(p.limit * 10)) > _EPS:
            ref = _ref(d, "1.6 §7.14", "ChargingSchedulePeriodType")
            out.append(_cell(row, COL_LIMIT, f"at most one decimal ({ref})"))
        if p.phases is not None and not 1 <= p.phases <= 3:
            out.append(_cell(row, COL_PHASES, "1, 2 or 3 phases (or empty for 3)"))
        if p.phase_to_use is not None:
            if d.version == V16:
                out.append(_cell(row, COL_PHASE, "1.6 has no phaseToUse"))
            elif not 1 <= p.phase_to_use <= 3:
                out.append(_cell(row, COL_PHASE, "phase 1, 2 or 3"))
            elif p.phases != 1:
                out.append(_cell(row, COL_PHASE, "only with numberPhases 1 (K01.FR.19)"))
    first = d.periods[0].start
    if first is not None and first != 0:
        ref = _ref(d, "1.6 errata 3.45", "K01.FR.31")
        out.append(_cell(0, COL_START, f"the first period starts at 0:00 ({ref})"))
    for row, (a, b) in enumerate(pairwise(d.periods), start=1):
        if a.start is not None and b.start is not None and b.start <= a.start:
            ref = _ref(d, "1.6 §7.14", "K01.FR.35")
            out.append(
                _cell(
                    row,
                    COL_START,
                    f"starts at {format_offset(b.start)}, not after the period before it "
                    f"({format_offset(a.start)}): periods go in increasing start ({ref})",
                )
            )
    if d.duration is not None:
        for row, p in enumerate(d.periods):
            if p.start is not None and row > 0 and p.start >= d.duration:
                ref = _ref(d, "1.6 §7.13", "K01.FR.11")
                message = (
                    f"starts after the schedule ends ({format_offset(d.duration)}): never used"
                )
                out.append(_cell(row, COL_START, f"{message} ({ref})", WARNING))
    return out


def _cell(row: int, column: str, message: str, severity: str = ERROR) -> Problem:
    return Problem(PERIODS, f"period {row + 1}: {message}", severity, row, column)


def _station_problems(d: ProfileDraft, limits: StationLimits) -> list[Problem]:
    out: list[Problem] = []
    if d.place not in limits.places:
        ref = _ref(d, "a CALLERROR, 1.6 errata 3.39", "Rejected, K01.FR.28")
        out.append(
            Problem(
                PLACE, f"this station has no {_what(d)} {d.place}: it will answer {ref}", WARNING
            )
        )
    if limits.max_stack_level is not None and d.stack_level > limits.max_stack_level:
        out.append(
            Problem(
                STACK_LEVEL,
                f"this station takes stack levels up to {limits.max_stack_level} "
                f"({limits.stack_key}): it will refuse this one",
                WARNING,
            )
        )
    if d.unit in UNITS and d.unit not in limits.units:
        out.append(
            Problem(UNIT, f"this station does not take {d.unit} ({limits.units_key})", WARNING)
        )
    if limits.max_periods is not None and len(d.periods) > limits.max_periods:
        out.append(
            Problem(
                PERIODS,
                f"{len(d.periods)} periods: this station takes up to {limits.max_periods} "
                f"({limits.periods_key}) and will refuse the profile",
                WARNING,
            )
        )
    if d.purpose == TX and d.place in limits.places and d.place != 0:
        out += _running_problems(d, limits)
    out += _rating_problems(d, limits)
    if limits.ac:
        out += _phase_problems(d, limits)
    return out


def _phase_problems(d: ProfileDraft, limits: StationLimits) -> list[Problem]:
    """numberPhases and phaseToUse this AC station cannot honour: it will refuse them."""
    out: list[Problem] = []
    if d.version == V16:
        counts = {p.phases or 3 for p in d.periods}
        if d.purpose in (TX, TX_DEFAULT) and len(counts) > 1 and not limits.phases_3to1:
            message = (
                "the periods switch numberPhases, which this station cannot do during a "
                "transaction (ConnectorSwitch3to1PhaseSupported, 1.6 §9.4.4)"
            )
            out.append(Problem(PERIODS, message, WARNING))
        return out
    supply = limits.supply.phases
    for row, p in enumerate(d.periods):
        if p.phases is not None and p.phases < supply and not limits.phases_3to1:
            message = (
                f"this station cannot hold the EV to {p.phases} of its {supply} phases "
                "(SmartChargingCtrlr.Phases3to1): it will refuse the profile (K01.FR.43)"
            )
            out.append(_cell(row, COL_PHASES, message, WARNING))
        if p.phase_to_use is not None and not limits.phase_switching:
            message = (
                "this station cannot switch phases (ACPhaseSwitchingSupported): "
                "leave phaseToUse out (K01.FR.20)"
            )
            out.append(_cell(row, COL_PHASE, message, WARNING))
    return out


def _running_problems(d: ProfileDraft, limits: StationLimits) -> list[Problem]:
    where = limits.place_text(d.place)
    if d.place not in limits.transactions:
        ref = _ref(d, "1.6 §5.16.3", "K01.FR.09")
        return [
            Problem(
                TRANSACTION,
                f"no transaction runs on {where}: the station will refuse a TxProfile ({ref})",
                WARNING,
            )
        ]
    running = limits.transactions[d.place]
    typed = (d.transaction_id or "").strip()
    if running is not None and typed and typed != running:
        ref = _ref(d, "1.6 §5.16.3", "K01.FR.33")
        return [
            Problem(
                TRANSACTION,
                f"the transaction running on {where} is {running}, not {typed}: "
                f"the station will refuse it ({ref})",
                WARNING,
            )
        ]
    return []


def _rating_problems(d: ProfileDraft, limits: StationLimits) -> list[Problem]:
    """Limits above what the place can deliver: legal, but the station caps them."""
    if d.unit not in UNITS or d.place not in limits.max_amps:
        return []
    out: list[Problem] = []
    max_a, max_w = limits.max_amps[d.place], limits.max_watts[d.place]
    where = limits.place_text(d.place)
    for row, p in enumerate(d.periods):
        if p.limit is None or p.limit < 0:
            continue
        if limits.ac:
            over = to_amps(p.limit, d.unit, limits.supply, p.phases) > max_a + _EPS
            cap = convert(max_a, "A", d.unit, limits.supply, p.phases)
        else:
            cap = max_a if d.unit == "A" else max_w
            over = p.limit > cap + _EPS
        if over:
            shown = f"{cap:.1f} A" if d.unit == "A" else f"{cap:.0f} W"
            message = f"above the {shown} {where} can deliver: the station caps it there"
            out.append(_cell(row, COL_LIMIT, message, WARNING))
    return out
