"""What is wrong with a charging-profile draft, field by field (issue 10).

``check`` lists the problems of a ``ProfileDraft`` (``bench.ocpp.profile_builder``),
each ``Problem`` naming the field (and the period row and column) it belongs to, so
the form can show it on that field:

- errors break a rule of the spec: the station must refuse the profile, so the form
  does not send it (1.6 §7.8-§7.14 and errata; 2.0.1 K01);
- warnings are about this station (``StationLimits``: its smart-charging settings,
  ratings, phases and running transactions): the profile is legal, but the station
  will refuse or cap it.

``schema_problem`` checks a request against the version's JSON schema with the
same compiled schemas the session validates with. No Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from bench.ocpp.profile_builder import (
    ACTION,
    COL_LIMIT,
    COL_PHASE,
    COL_PHASES,
    COL_START,
    DURATION,
    ERROR,
    EXTERNAL,
    KIND,
    MIN_RATE,
    PERIODS,
    PLACE,
    PURPOSE,
    RECURRENCIES,
    RECURRENCY,
    STACK_LEVEL,
    START,
    STATION_MAX,
    TRANSACTION,
    TX,
    TX_DEFAULT,
    TX_ID_MAX,
    UNIT,
    UNITS,
    V16,
    V201,
    VALID_TO,
    WARNING,
    Problem,
    ProfileDraft,
    StationLimits,
    format_offset,
    place_key,
    purposes,
)
from bench.ocpp.schemas import SchemaViolation, validate
from bench.smart.profiles import ABSOLUTE, RECURRING, RELATIVE
from bench.smart.units import convert, to_amps

_EPS = 1e-6


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
