"""2.0.1 block K (smart charging) helpers of the charging-station cases (part 6 §2.11).

The OCTT's "<Configured ...>" values of a smart-charging case (chargingRateUnit,
numberPhases, the time deviation it tolerates), the charging profiles the cases
send, and the exchanges they repeat with their tool validations: a
SetChargingProfile that must be Accepted, a GetChargingProfilesRequest followed by
its ReportChargingProfilesRequests (repeated while ``tbc``), a composite schedule
whose periods are compared with the case's "startPeriod (T - x), limit L" lines.

Configured values come from ``ChargerSettings.extra`` (``charging_rate_unit``,
``number_phases``, ``max_time_deviation``); what the station supports (its rate
units, its EVSEs, whether it has smart charging at all) is read from its device
model, as the OCTT reads it, and the case says so when it does not apply.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states201 import get_variable
from bench.conformance.evidence import StopCase
from bench.ocpp.common.timestamps import parse_iso

CTRLR = "SmartChargingCtrlr"
UNITS = ("A", "W")
EVSE_PROBE = 8  # EVSE ids asked for when counting a station's EVSEs


# ---------------------------------------------------------------- configured values
def rate_unit(ctx: ChargerRun) -> str:
    """<Configured chargingRateUnit> (A unless the operator set W)."""
    return ctx.settings.extra.get("charging_rate_unit", "A")


def limit(ctx: ChargerRun, amps: float) -> float:
    """A case's limit "6" in the configured unit: W multiplies it by 1000 (the case notes)."""
    return float(amps * 1000 if rate_unit(ctx) == "W" else amps)


def number_phases(ctx: ChargerRun) -> int | None:
    """<Configured numberPhases>: 3 unless the operator says otherwise ("" leaves it out,
    as for a DC station)."""
    text = ctx.settings.extra.get("number_phases", "3")
    return int(text) if text else None


def _period(ctx: ChargerRun, at: int, amps: float) -> dict[str, Any]:
    period: dict[str, Any] = {"startPeriod": at, "limit": limit(ctx, amps)}
    phases = number_phases(ctx)
    if phases is not None:
        period["numberPhases"] = phases
    return period


def deviation(ctx: ChargerRun) -> float:
    """<Configured max time deviation>: the certification labs use 4 s (§2.1)."""
    return float(ctx.settings.extra.get("max_time_deviation", "4"))


def utc_now() -> datetime:
    # The CSMS's wall clock, as the OCTT's: the station compares profile times with
    # its own clock, so the case must write real times (like ``answers.now_text``).
    return datetime.now(UTC).replace(microsecond=0)


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- profiles
def schedule(
    ctx: ChargerRun,
    periods: list[tuple[int, float]],
    *,
    duration: int | None = None,
    start: datetime | None = None,
    schedule_id: int = 1,
) -> dict[str, Any]:
    """ChargingScheduleType: ``periods`` are (startPeriod, limit in A as the case writes it)."""
    out: dict[str, Any] = {
        "id": schedule_id,
        "chargingRateUnit": rate_unit(ctx),
        "chargingSchedulePeriod": [_period(ctx, at, amps) for at, amps in periods],
    }
    if duration is not None:
        out["duration"] = duration
    if start is not None:
        out["startSchedule"] = stamp(start)
    return out


def profile(
    profile_id: int,
    purpose: str,
    sched: dict[str, Any],
    *,
    kind: str = "Absolute",
    stack_level: int = 0,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    transaction_id: str | None = None,
    recurrency: str | None = None,
) -> dict[str, Any]:
    """ChargingProfileType with one schedule."""
    out: dict[str, Any] = {
        "id": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": [sched],
    }
    if valid_from is not None:
        out["validFrom"] = stamp(valid_from)
    if valid_to is not None:
        out["validTo"] = stamp(valid_to)
    if transaction_id is not None:
        out["transactionId"] = transaction_id
    if recurrency is not None:
        out["recurrencyKind"] = recurrency
    return out


def simple_profile(
    ctx: ChargerRun,
    profile_id: int,
    purpose: str = "TxDefaultProfile",
    *,
    amps: float = 6,
    duration: int | None = 300,
    **fields: Any,
) -> dict[str, Any]:
    """The cases' usual profile: one period from 0 at 6 (A, or 6000 W)."""
    kind = fields.pop("kind", "Absolute")
    start = fields.pop("start", None)
    if kind in ("Absolute", "Recurring") and start is None:
        start = utc_now()
    sched = schedule(ctx, [(0, amps)], duration=duration, start=start)
    return profile(profile_id, purpose, sched, kind=kind, **fields)


async def set_profile(
    ctx: ChargerRun,
    evse_id: int,
    charging_profile: dict[str, Any],
    *,
    step: int | None,
    status: str = "Accepted",
    require: bool = True,
) -> dict[str, Any]:
    """SetChargingProfileRequest; its response's status is the step's validation."""
    reply = await ctx.request(
        "SetChargingProfile",
        {"evseId": evse_id, "chargingProfile": charging_profile},
        step=step,
    )
    if require:
        ctx.require(step, "SetChargingProfileResponse", reply, "status", status)
    else:
        ctx.check(step, "SetChargingProfileResponse", reply, "status", status)
    return reply


async def memory_profile(ctx: ChargerRun, evse_id: int, charging_profile: dict[str, Any]) -> None:
    """Memory state SetChargingProfile (§2.19): the profile is stored, Accepted."""
    await set_profile(ctx, evse_id, charging_profile, step=None)


# ---------------------------------------------------------------- reports (K09)
async def reported_profiles(
    ctx: ChargerRun,
    criteria: dict[str, Any],
    *,
    evse_id: int | None = None,
    reply_step: int,
    report_step: int,
    request_id: int = 1,
) -> list[tuple[int, dict[str, Any]]]:
    """GetChargingProfilesRequest, Accepted, then every ReportChargingProfilesRequest
    until ``tbc`` is false (the case's note): (evseId, chargingProfile) pairs."""
    payload: dict[str, Any] = {"requestId": request_id, "chargingProfile": criteria}
    if evse_id is not None:
        payload["evseId"] = evse_id
    since = ctx.mark()
    reply = await ctx.request("GetChargingProfiles", payload, step=reply_step - 1)
    ctx.require(reply_step, "GetChargingProfilesResponse", reply, "status", "Accepted")
    found: list[tuple[int, dict[str, Any]]] = []
    for _ in range(100):  # bounded: a report of 100 parts is far beyond any case
        rec = await ctx.station_frame(
            "ReportChargingProfiles",
            step=report_step,
            since=since,
            match=lambda p: p.get("requestId") == request_id,
            what=f"a ReportChargingProfilesRequest with requestId {request_id}",
        )
        part = rec.payload if isinstance(rec.payload, dict) else {}
        ctx.check(report_step, "ReportChargingProfilesRequest", part, "requestId", request_id)
        ctx.memory["last_report"] = part
        for item in part.get("chargingProfile") or []:
            found.append((int(part.get("evseId", -1)), item))
        if not part.get("tbc"):
            break
        since = ctx.frames.index(rec) + 1
    return found


async def no_profiles(
    ctx: ChargerRun,
    criteria: dict[str, Any],
    *,
    step: int,
    evse_id: int | None = None,
    request_id: int = 2,
) -> None:
    """GetChargingProfilesRequest whose response must be NoProfiles."""
    payload: dict[str, Any] = {"requestId": request_id, "chargingProfile": criteria}
    if evse_id is not None:
        payload["evseId"] = evse_id
    reply = await ctx.request("GetChargingProfiles", payload, step=step - 1)
    ctx.check(step, "GetChargingProfilesResponse", reply, "status", "NoProfiles")


def _same(sent: Any, got: Any) -> bool:
    if isinstance(sent, dict):
        return isinstance(got, dict) and all(_same(v, got.get(k)) for k, v in sent.items())
    if isinstance(sent, list):
        return (
            isinstance(got, list)
            and len(sent) == len(got)
            and all(_same(a, b) for a, b in zip(sent, got, strict=True))
        )
    if isinstance(sent, bool) or isinstance(got, bool):
        return sent == got
    if isinstance(sent, int | float) and isinstance(got, int | float):
        return abs(float(sent) - float(got)) < 1e-6
    if isinstance(sent, str) and isinstance(got, str) and sent != got:
        a, b = parse_iso(sent), parse_iso(got)
        return a is not None and b is not None and abs((a - b).total_seconds()) < 1
    return bool(sent == got)


def check_reported(
    ctx: ChargerRun,
    step: int,
    reports: list[tuple[int, dict[str, Any]]],
    sent: dict[str, Any],
    *,
    evse_id: int | None = None,
) -> None:
    """Post-validation "the same profile is reported as sent": the report holds a profile
    with the sent id whose every sent field has the sent value (and on ``evse_id``)."""
    mine = [(e, p) for e, p in reports if p.get("id") == sent["id"]]
    ctx.check_that(
        step,
        "ReportChargingProfilesRequest",
        "chargingProfile.id",
        bool(mine),
        f"a chargingProfile with id {sent['id']}",
        ", ".join(str(p.get("id")) for _e, p in reports) or "none",
    )
    if not mine:
        return
    where, got = mine[0]
    if evse_id is not None:
        ctx.check(step, "ReportChargingProfilesRequest", {"evseId": where}, "evseId", evse_id)
    for key, value in sent.items():
        ctx.check_that(
            step,
            "ReportChargingProfilesRequest",
            f"chargingProfile.{key}",
            _same(value, got.get(key)),
            f"as sent: {value}",
            str(got.get(key)),
        )


# ---------------------------------------------------------------- composite schedules (K08)
async def composite(
    ctx: ChargerRun,
    evse_id: int,
    duration: int,
    *,
    step: int,
    unit: str | None = None,
) -> dict[str, Any]:
    """GetCompositeScheduleRequest; the response must be Accepted with a schedule for
    ``evse_id`` of ``duration`` in the unit asked. Returns the schedule."""
    want = unit or rate_unit(ctx)
    reply = await ctx.request(
        "GetCompositeSchedule",
        {"evseId": evse_id, "duration": duration, "chargingRateUnit": want},
        step=step - 1,
    )
    ctx.require(step, "GetCompositeScheduleResponse", reply, "status", "Accepted")
    sched = reply.get("schedule") or {}
    ctx.check(step, "GetCompositeScheduleResponse", reply, "schedule.evseId", evse_id)
    ctx.check(step, "GetCompositeScheduleResponse", reply, "schedule.duration", duration)
    ctx.check(step, "GetCompositeScheduleResponse", reply, "schedule.chargingRateUnit", want)
    return dict(sched)


def check_periods(
    ctx: ChargerRun,
    step: int,
    sched: dict[str, Any],
    expected: list[tuple[datetime | None, float | None]],
) -> None:
    """The composite's periods against the case's "startPeriod (T - x), limit L" lines.

    Each expected period is (the instant it starts, limit in the case's A figure; None:
    "not validated"); None as the instant is the schedule's start (startPeriod 0). The
    case's offset T - x is measured here from the times the profiles were written with
    (their startSchedule, validFrom, validTo) to the schedule's scheduleStart, and may
    differ by the configured deviation.
    """
    periods = list(sched.get("chargingSchedulePeriod") or [])
    slack = deviation(ctx)
    start = parse_iso(str(sched.get("scheduleStart", "")))
    shown = ", ".join(f"{p.get('startPeriod')}:{p.get('limit')}" for p in periods) or "none"
    starts = [float(p.get("startPeriod", 0)) for p in periods]
    ctx.check_that(
        step,
        "GetCompositeScheduleResponse",
        "chargingSchedulePeriod order",
        bool(starts) and starts == sorted(starts) and starts[0] == 0,
        "ordered by increasing startPeriod from 0 (§2.1)",
        shown,
    )
    for when, amps in expected:
        if amps is None:
            continue
        at = 0.0
        if when is not None and start is not None:
            at = max(0.0, (when - start).total_seconds())
        want = limit(ctx, amps)
        hit = [
            p
            for p in periods
            if abs(float(p.get("startPeriod", 0)) - at) <= slack
            and abs(float(p.get("limit", -1)) - want) < 0.05
        ]
        ctx.check_that(
            step,
            "GetCompositeScheduleResponse",
            "chargingSchedulePeriod",
            bool(hit),
            f"startPeriod {at:.0f} (±{slack:g} s), limit {want:g}",
            shown,
        )


def first_limit(sched: dict[str, Any]) -> float | None:
    periods = sched.get("chargingSchedulePeriod") or []
    return float(periods[0]["limit"]) if periods and "limit" in periods[0] else None


# ---------------------------------------------------------------- what the station has
async def rate_units(ctx: ChargerRun) -> set[str]:
    """SmartChargingCtrlr.RateUnit: the chargingRateUnits the station supports (SC-2)."""
    text = await get_variable(ctx, f"{CTRLR}/RateUnit")
    return {u.strip() for u in (text or "").split(",") if u.strip()}


async def unsupported_unit(ctx: ChargerRun) -> str:
    """The chargingRateUnit the station does not support; not applicable when it supports
    both (the case's condition NOT (SC-2.1 and SC-2.2))."""
    units = await rate_units(ctx)
    missing = [u for u in UNITS if u not in units]
    if not missing:
        ctx.not_applicable(
            "the station supports both chargingRateUnits A and W (SmartChargingCtrlr.RateUnit "
            f"{','.join(sorted(units))}); the case needs one it does not support"
        )
    return missing[0]


async def smart_charging(ctx: ChargerRun) -> bool:
    """Whether the station has smart charging (SmartChargingCtrlr.Available, or Enabled)."""
    for name in ("Available", "Enabled"):
        value = await get_variable(ctx, f"{CTRLR}/{name}")
        if value is not None:
            return value.lower() == "true"
    return False


async def evse_count(ctx: ChargerRun) -> int:
    """How many EVSEs the station has: its device model's EVSE components (each has the
    required variable AvailabilityState), asked for ids 1..EVSE_PROBE."""
    reply = await ctx.request(
        "GetVariables",
        {
            "getVariableData": [
                {
                    "component": {"name": "EVSE", "evse": {"id": i}},
                    "variable": {"name": "AvailabilityState"},
                }
                for i in range(1, EVSE_PROBE + 1)
            ]
        },
        step=None,
    )
    known = [
        r for r in reply.get("getVariableResult", []) if r.get("attributeStatus") == "Accepted"
    ]
    if not known:
        raise StopCase("the station reports no EVSE component (EVSE.AvailabilityState)")
    return len(known)


def later(seconds: float) -> datetime:
    return utc_now() + timedelta(seconds=seconds)


def configured_id(ctx: ChargerRun) -> int:
    """<Configured chargingProfileId>."""
    return int(ctx.settings.extra.get("charging_profile_id", "101"))


def configured_duration(ctx: ChargerRun) -> int:
    """<Configured duration> of a profile's schedule, in seconds."""
    return int(ctx.settings.extra.get("profile_duration", "300"))
