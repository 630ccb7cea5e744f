"""Block K (smart charging) of the 2.0.1 CSMS cases: what the scenarios share.

- The values OCTT calls ``<Configured ...>`` for block K: the bench's are fixed here
  and passed to the manual actions, so an operator (or an adapter) makes the CSMS
  send exactly these, and the checks compare against them.
- ``profile_rules``: the general tool rules of part 6 §3.1 (K01.FR.35 period order,
  K01.FR.19 phaseToUse only with numberPhases 1), checked on every charging profile
  the CSMS sends. ``set_profile`` asks for a SetChargingProfileRequest and always
  applies them.
- Realistic request payloads for the manual actions (``absolute_profile``,
  ``relative_profile``, ...), built on the station's clock.
- The states the K cases build on, as the bench's real station plays them:
  ``general_preconditions`` (§3.1), ``charging`` (EnergyTransferStarted); the ISO 15118
  ones are in ``states_iso15118``.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from bench.conformance import states, states_v201
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import ABSENT, Expectation, absent_or, one_of, shown
from bench.conformance.scenarios import ScenarioFn, scenario
from bench.kernel.frames import FrameRecord
from bench.ocpp.common.timestamps import iso, parse_iso
from bench.ocpp.profile_desk import ProfileDesk

# ------------------------------------------------------------------ <Configured ...> values
STACK_LEVEL = 1  # <Configured stackLevel> (and stackLevel1 of TC_K_70)
STACK_LEVEL_2 = 2  # <Configured stackLevel2> of TC_K_70
RATE_UNIT = "A"  # <Configured chargingRateUnit>: the bench's AC stations take A and W
SCHEDULE_S = 3600  # <Configured duration> and <Configured Charging Schedule Duration>
START_PERIOD = 0  # <Configured startPeriod> (K01.FR.31: always 0 for the first period)
NUMBER_PHASES = 3  # <Configured numberPhases>: the bench's 11 kW station is three-phase
RECURRENCY = "Daily"  # <Configured recurrencyKind> (part 5: Daily and Weekly are mandatory)
COMPOSITE_S = 300  # <Configured duration> of GetCompositeSchedule (TC_K_43/44)
LIMIT_SOURCE = "EMS"  # <Configured chargingLimitSource> (TC_K_34)
# <Configured chargingProfileId>: one per purpose, so a case's profiles never clash.
TX_DEFAULT_ID = 101
STATION_MAX_ID = 102
TX_PROFILE_ID = 103
SECOND_ID = 104  # the other profile of TC_K_70
# How far a timestamp the case wants "now" may lie from the moment the request came:
# an operator types a profile into a CSMS by hand in a few minutes at most.
NOW_TOLERANCE_S = 300.0

SET_PROFILE = "set_charging_profile"


# ------------------------------------------------------------------ expectations
def rate(amps: float) -> Callable[[Any], Expectation]:
    """The case's "limit 6.0 or 6000.0": ``amps`` in A, a thousand times that in W."""

    def for_unit(unit: Any) -> Expectation:
        want = amps * 1000.0 if unit == "W" else amps
        return Expectation(
            lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v == want,
            f"{amps:.1f} or {amps * 1000:.1f} ({want:.1f} for chargingRateUnit {shown(unit)})",
        )

    return for_unit


def number_phases() -> Expectation:
    """<Configured numberPhases>, which may be omitted when it is 3 (K01.FR.49)."""
    if NUMBER_PHASES == 3:
        return absent_or(3)
    return one_of(NUMBER_PHASES)


def near(moment: datetime, words: str) -> Expectation:
    """An OCPP dateTime within NOW_TOLERANCE_S of ``moment``."""

    def test(value: Any) -> bool:
        at = parse_iso(value) if isinstance(value, str) else None
        return at is not None and abs((at - moment).total_seconds()) <= NOW_TOLERANCE_S

    return Expectation(test, f"{words} ({iso(moment)} ± {NOW_TOLERANCE_S:g} s)")


def present_time() -> Expectation:
    """<Not omitted>: a dateTime the station can read."""
    return Expectation(
        lambda v: isinstance(v, str) and parse_iso(v) is not None, "present (a dateTime)"
    )


# ------------------------------------------------------------------ §3.1 general tool rules
def profile_rules(ctx: CaseRun, step: int | None, message: str, profile: Any) -> None:
    """Part 6 §3.1 general tool rules on one chargingProfile the CSMS sent.

    K01.FR.35: the periods of every chargingSchedule are ordered by increasing
    startPeriod. K01.FR.19: phaseToUse is set only where numberPhases is 1.
    """
    schedules = profile.get("chargingSchedule") if isinstance(profile, dict) else None
    if not isinstance(schedules, list):
        return  # the schema check already failed the request
    for i, schedule in enumerate(schedules):
        where = f"chargingProfile.chargingSchedule[{i}].chargingSchedulePeriod"
        periods = schedule.get("chargingSchedulePeriod") if isinstance(schedule, dict) else None
        periods = [p for p in periods or [] if isinstance(p, dict)]
        starts = [p.get("startPeriod", ABSENT) for p in periods]
        ordered = all(isinstance(s, int) for s in starts) and all(
            a < b for a, b in pairwise(starts)
        )
        ctx.check_that(
            step,
            message,
            f"{where}[*].startPeriod",
            ordered,
            "ordered by increasing startPeriod (§3.1, K01.FR.35)",
            shown(starts),
        )
        wrong = [
            f"[{j}] numberPhases {shown(p.get('numberPhases', ABSENT))}"
            for j, p in enumerate(periods)
            if "phaseToUse" in p and p.get("numberPhases") != 1
        ]
        ctx.check_that(
            step,
            message,
            f"{where}[*].phaseToUse",
            not wrong,
            "absent unless numberPhases is 1 (§3.1, K01.FR.19)",
            "phaseToUse set with " + ", ".join(wrong) if wrong else "as required",
        )


# The SetChargingProfileRequests a step already held to the rules, per case.
_JUDGED: weakref.WeakKeyDictionary[CaseRun, set[str | None]] = weakref.WeakKeyDictionary()


def smart_case(*case_ids: str, manual: tuple[str, ...] = ()) -> Callable[[ScenarioFn], ScenarioFn]:
    """``@scenario`` for block K: when the scenario ends, however it ends, every
    SetChargingProfileRequest the CSMS sent that no step judged (one it sent unasked)
    is held to the §3.1 general rules as well."""

    def register(fn: ScenarioFn) -> ScenarioFn:
        @functools.wraps(fn)
        async def run(ctx: CaseRun) -> None:
            try:
                await fn(ctx)
            finally:
                judged = _JUDGED.get(ctx, set())
                for rec in ctx.frames:
                    if (
                        rec.direction == "rx"
                        and rec.type == "CALL"
                        and rec.action == "SetChargingProfile"
                        and rec.id not in judged
                        and isinstance(rec.payload, dict)
                    ):
                        message = "SetChargingProfileRequest (sent unasked)"
                        profile_rules(ctx, None, message, rec.payload.get("chargingProfile"))

        scenario(*case_ids, manual=manual)(run)
        return run

    return register


# ------------------------------------------------------------------ payloads
def now(ctx: CaseRun) -> datetime:
    """The station's clock, to the second: "now" in the profiles the case asks for."""
    return ctx.station.clock.now().astimezone(UTC).replace(microsecond=0)


def periods(*limits: tuple[int, float]) -> list[dict[str, Any]]:
    """chargingSchedulePeriod items from (startPeriod, limit) pairs."""
    out: list[dict[str, Any]] = []
    for start, limit in limits:
        out.append({"startPeriod": start, "limit": float(limit), "numberPhases": NUMBER_PHASES})
    return out


def absolute_profile(
    ctx: CaseRun,
    profile_id: int,
    purpose: str,
    limit: float,
    *,
    stack_level: int = STACK_LEVEL,
    kind: str = "Absolute",
) -> dict[str, Any]:
    """A profile valid from now for SCHEDULE_S, its schedule starting now (K01.FR.40)."""
    start = now(ctx)
    profile: dict[str, Any] = {
        "id": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "validFrom": iso(start),
        "validTo": iso(start + timedelta(seconds=SCHEDULE_S)),
        "chargingSchedule": [
            {
                "id": 1,
                "startSchedule": iso(start),
                "duration": SCHEDULE_S,
                "chargingRateUnit": RATE_UNIT,
                "chargingSchedulePeriod": periods((START_PERIOD, limit)),
            }
        ],
    }
    if kind == "Recurring":
        profile["recurrencyKind"] = RECURRENCY
    return profile


def relative_profile(
    profile_id: int,
    purpose: str,
    *limits: tuple[int, float],
    transaction_id: str | None = None,
    stack_level: int = STACK_LEVEL,
) -> dict[str, Any]:
    """A Relative profile (no startSchedule, K01.FR.41), for a transaction when given."""
    profile: dict[str, Any] = {
        "id": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {
                "id": 1,
                "duration": SCHEDULE_S,
                "chargingRateUnit": RATE_UNIT,
                "chargingSchedulePeriod": periods(*limits),
            }
        ],
    }
    if transaction_id is not None:
        profile["transactionId"] = transaction_id  # K01.FR.03
    return profile


def tx_profile(transaction_id: str, amps: float) -> dict[str, Any]:
    """The TxProfile a CSMS sends for a running transaction: ``amps`` now, less after
    half an hour (two periods, so the order rule has something to judge)."""
    return relative_profile(
        TX_PROFILE_ID,
        "TxProfile",
        (0, amps),
        (SCHEDULE_S // 2, min(amps, 10.0)),
        transaction_id=transaction_id,
    )


def describe(profile: dict[str, Any]) -> str:
    """A charging profile in words, for the operator's prompt."""
    words = [
        f"id {profile['id']}",
        f"stackLevel {profile['stackLevel']}",
        profile["chargingProfilePurpose"],
        profile["chargingProfileKind"],
    ]
    for key in ("recurrencyKind", "transactionId", "validFrom", "validTo"):
        if key in profile:
            words.append(f"{key} {profile[key]}")
    for schedule in profile["chargingSchedule"]:
        unit = schedule["chargingRateUnit"]
        steps = ", ".join(
            f"from {p['startPeriod']} s {p['limit']:g} {unit}"
            for p in schedule["chargingSchedulePeriod"]
        )
        start = schedule.get("startSchedule")
        words.append(
            "schedule"
            + (f" starting {start}" if start else "")
            + f" for {schedule.get('duration', '(open)')} s: {steps}"
        )
    return ", ".join(words)


def install_at_station(ctx: CaseRun, evse_id: int, profile: dict[str, Any]) -> None:
    """Put a profile on the station without a message (chargingLimitSource Other).

    For the cases where OCTT's mock station "has" profiles to report or clear; the
    bench's station holds them for real and answers from what it holds.
    """
    ProfileDesk(ctx.station).install_locally({"evseId": evse_id, "chargingProfile": profile})


# ------------------------------------------------------------------ frames
def first_call(ctx: CaseRun, direction: str, action: str, since: int) -> FrameRecord:
    """The first CALL of ``action`` in ``direction`` from ``since`` (it has arrived)."""
    for rec in ctx.frames[since:]:
        if rec.direction == direction and rec.type == "CALL" and rec.action == action:
            return rec
    raise LookupError(f"no {direction} {action} CALL after frame {since}")


async def csms_call(
    ctx: CaseRun, action: str, *, step: int | None, since: int, timeout: float | None = None
) -> FrameRecord:
    """The CSMS's next ``action`` request (schema checked) as a frame."""
    await ctx.csms_request(action, step=step, since=since, timeout=timeout)
    return first_call(ctx, "rx", action, since)


async def station_answer(ctx: CaseRun, request: FrameRecord) -> FrameRecord:
    """The station's reply to the CSMS's ``request``."""
    return await ctx.wait_frame(
        lambda r: r.direction == "tx" and r.id == request.id and r.type != "CALL",
        since=ctx.frames.index(request),
        what=f"the station's reply to {request.action}",
    )


async def station_call(
    ctx: CaseRun,
    action: str,
    *,
    step: int | None,
    since: int,
    matches: Callable[[dict[str, Any]], bool] = lambda p: True,
    what: str = "",
    timeout: float | None = None,
) -> tuple[FrameRecord, FrameRecord]:
    """The station's own ``action`` from ``since`` on and the CSMS's reply to it."""
    request = await ctx.wait_frame(
        lambda r: (
            r.direction == "tx"
            and r.type == "CALL"
            and r.action == action
            and isinstance(r.payload, dict)
            and matches(r.payload)
        ),
        since=since,
        what=what or f"the station's {action}Request",
        timeout=timeout,
    )
    reply = await ctx.reply_to(action, step=step, since=ctx.frames.index(request) + 1)
    return request, reply


def answered(ctx: CaseRun, step: int | None, message: str, reply: FrameRecord) -> bool:
    """The CSMS answered the station's request with its response (not a CALLERROR)."""
    return ctx.check_that(
        step,
        message,
        "(message type)",
        reply.type == "CALLRESULT",
        f"CALLRESULT ({message})",
        f"{reply.type} {reply.error or ''}".strip(),
    )


def transaction_id(ctx: CaseRun, evse_id: int) -> str:
    """The transactionId the station last reported for ``evse_id`` (<Generated transactionId>)."""
    for rec in reversed(ctx.frames):
        p = rec.payload
        if (
            rec.direction == "tx"
            and rec.type == "CALL"
            and rec.action == "TransactionEvent"
            and isinstance(p, dict)
            and (p.get("evse") or {}).get("id", evse_id) == evse_id
        ):
            return str(p["transactionInfo"]["transactionId"])
    raise LookupError(f"no transaction reported on EVSE {evse_id}")


def is_charging(p: dict[str, Any]) -> bool:
    return (p.get("transactionInfo") or {}).get("chargingState") == "Charging"


# ------------------------------------------------------------------ manual actions
async def set_profile(
    ctx: CaseRun,
    step: int | None,
    instruction: str,
    evse_id: int,
    profile: dict[str, Any],
    *,
    since: int | None = None,
    timeout: float | None = None,
    message: str = "SetChargingProfileRequest",
) -> FrameRecord:
    """Have the CSMS send a SetChargingProfileRequest; checks the §3.1 rules on it.

    ``since`` (a mark before the manual action) also takes a request the CSMS sent on
    its own before the prompt, as a CSMS does after NotifyEVChargingNeeds (K15.FR.07).
    """
    start = ctx.mark() if since is None else since
    request = {"evseId": evse_id, "chargingProfile": profile}
    sent_already = any(
        r.direction == "rx" and r.type == "CALL" and r.action == "SetChargingProfile"
        for r in ctx.frames[start:]
    )
    if not sent_already:  # a CSMS that acts on its own needs no prompt
        await ctx.manual(
            SET_PROFILE,
            instruction,
            step=step,
            action="SetChargingProfile",
            request=request,
            evse_id=evse_id,
            profile=profile,
        )
    frame = await csms_call(ctx, "SetChargingProfile", step=step, since=start, timeout=timeout)
    sent = frame.payload if isinstance(frame.payload, dict) else {}
    profile_rules(ctx, step, message, sent.get("chargingProfile"))
    _JUDGED.setdefault(ctx, set()).add(frame.id)
    return frame


def moment(rec: FrameRecord) -> datetime:
    """When a frame passed, on the station's clock."""
    return datetime.fromtimestamp(rec.ts, UTC)


def station_accepted(ctx: CaseRun, step: int | None, message: str, reply: FrameRecord) -> bool:
    """The case's "The OCTT responds ... Accepted": a conforming station refusing the
    CSMS's request means the request was wrong (its statusInfo says why)."""
    p = reply.payload if isinstance(reply.payload, dict) else {}
    status = p.get("status") if reply.type == "CALLRESULT" else f"{reply.type} {reply.error}"
    info = p.get("statusInfo") or {}
    why = f" ({info.get('reasonCode')}: {info.get('additionalInfo', '')})" if info else ""
    return ctx.check_that(
        step,
        message,
        "status (the station's answer)",
        status == "Accepted",
        "Accepted",
        f"{status}{why}",
    )


async def get_profiles(
    ctx: CaseRun,
    instruction: str,
    request: dict[str, Any],
    check: Callable[[dict[str, Any]], None] = lambda sent: None,
    *,
    step: int | None = 1,
    report_step: int | None = 4,
    judged: bool = True,
) -> dict[str, Any]:
    """Have the CSMS send a GetChargingProfilesRequest (K09) and ``check`` it; the station
    answers from the profiles it holds and reports them, and every ReportChargingProfiles
    part must be answered (K09.FR.02: the last part has no tbc). Returns the request.

    ``judged``: the request is the case's own (a report must follow when its checks
    pass); False for a memory state, which the case does not validate."""
    since = ctx.mark()
    sent = await ctx.request_by_hand(
        "get_charging_profiles",
        instruction,
        "GetChargingProfiles",
        request,
        step=step,
        request_id=request.get("requestId"),
        evse_id=request.get("evseId"),
        criteria=request.get("chargingProfile"),
    )
    check(sent)
    frame = first_call(ctx, "rx", "GetChargingProfiles", since)
    answer = await station_answer(ctx, frame)
    status = answer.payload.get("status") if isinstance(answer.payload, dict) else None
    if status != "Accepted":
        if judged and not ctx.failed_checks:  # the CSMS asked right: the bench set nothing up
            raise RuntimeError(f"the station answered GetChargingProfiles with {status}")
        return sent  # it asked for something else, which the station does not hold
    after = ctx.frames.index(answer) + 1
    for _ in range(100):  # K09: the station sends a bounded number of parts
        part, reply = await station_call(
            ctx,
            "ReportChargingProfiles",
            step=report_step,
            since=after,
            matches=lambda p: p.get("requestId") == sent.get("requestId"),
        )
        answered(ctx, report_step, "ReportChargingProfilesResponse", reply)
        if not (isinstance(part.payload, dict) and part.payload.get("tbc")):
            break
        after = ctx.frames.index(reply) + 1
    return sent


# ------------------------------------------------------------------ states
async def general_preconditions(ctx: CaseRun) -> None:
    """Set the station's device model to part 6 §3.1's general pre conditions."""
    await states_v201.configure(ctx)


async def booted(ctx: CaseRun) -> None:
    """Reusable state Booted, with the §3.1 general pre conditions in force."""
    await states.booted(ctx)


async def charging(ctx: CaseRun, *, ev_template: str | None = None) -> tuple[int, int]:
    """Reusable state EnergyTransferStarted (Authorized first, then the EV plugged in).

    The bench's station reports the start of charging in the TransactionEvent of the
    cable (CablePluggedIn with chargingState Charging) rather than in a separate
    ChargingStateChanged, so this waits for the event that says Charging.
    Returns (EVSE id, the frame index where the plug-in began).
    """
    evse_id = states.connector_for(ctx)
    await states.authorized(ctx, connector=evse_id)
    since = ctx.mark()
    ctx.station.plug_in(evse_id, ev_template or ctx.settings.ev_template)
    await station_call(
        ctx,
        "TransactionEvent",
        step=None,
        since=since,
        matches=is_charging,
        what="the station's TransactionEvent with chargingState Charging",
    )
    return evse_id, since


def check_tx_profile(
    ctx: CaseRun,
    step: int | None,
    message: str,
    request: dict[str, Any],
    evse_id: int,
    tx_id: str,
    *,
    check_evse: bool = True,
) -> None:
    """evseId <Configured evseId>, chargingProfilePurpose TxProfile, transactionId
    <Provided transactionId from before> (K01.FR.03)."""
    if check_evse:
        ctx.check(step, message, request, "evseId", evse_id)
    ctx.check(step, message, request, "chargingProfile.chargingProfilePurpose", "TxProfile")
    ctx.check(step, message, request, "chargingProfile.transactionId", tx_id)
