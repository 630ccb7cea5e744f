"""Charging profiles and composite schedules of the 1.6 Smart Charging charge point cases.

The OCTT's "<Configured ...>" smart-charging values come from ``ChargerSettings.extra``
(``stack_level``, ``charging_rate_unit`` A or W, ``duration``, ``number_phases``,
``max_time_deviation``), with defaults a wallbox takes. A composite schedule is
judged by the limit it gives over time, not by how its periods are cut: the
station may merge or split periods of the same limit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states16_ext import new_id, parse_time
from bench.conformance.expect import one_of

BOUNDARY_SLACK_S = 2.0  # seconds around a period boundary where either limit is right


@dataclass(frozen=True, slots=True)
class SmartSettings:
    stack_level: int
    unit: str  # "A" | "W"
    duration: int
    number_phases: int
    max_deviation: float

    def limit(self, amps: float) -> float:
        """A limit written in amperes by the case, in the configured unit (W: x 1000)."""
        return amps * 1000 if self.unit == "W" else amps


def smart_settings(ctx: ChargerRun) -> SmartSettings:
    extra = ctx.settings.extra
    return SmartSettings(
        stack_level=int(extra.get("stack_level", "0")),
        unit=extra.get("charging_rate_unit", "A"),
        duration=int(extra.get("duration", "300")),
        number_phases=int(extra.get("number_phases", "3")),
        max_deviation=float(extra.get("max_time_deviation", "5")),
    )


def at_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> datetime:
    return datetime.now(UTC)


def profile(
    conf: SmartSettings,
    purpose: str,
    periods: Sequence[tuple[int, float]],
    *,
    duration: int,
    start: datetime,
    stack_level: int | None = None,
    transaction_id: int | None = None,
    valid_for: int | None = None,
) -> dict[str, Any]:
    """An Absolute csChargingProfiles: ``periods`` are (startPeriod, limit in A)."""
    body: dict[str, Any] = {
        "chargingProfileId": new_id(),
        "stackLevel": conf.stack_level if stack_level is None else stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "duration": duration,
            "startSchedule": at_text(start),
            "chargingRateUnit": conf.unit,
            "chargingSchedulePeriod": [
                {
                    "startPeriod": begin,
                    "limit": conf.limit(amps),
                    "numberPhases": conf.number_phases,
                }
                for begin, amps in periods
            ],
        },
    }
    if transaction_id is not None:
        body["transactionId"] = transaction_id
    if valid_for is not None:
        body["validFrom"] = at_text(start)
        body["validTo"] = at_text(start + timedelta(seconds=valid_for))
    return body


async def set_profile(
    ctx: ChargerRun, connector_id: int, body: dict[str, Any], *, step: int | None
) -> None:
    """Memory state SetChargingProfile (Table 116): SetChargingProfile.conf Accepted."""
    reply = await ctx.request(
        "SetChargingProfile", {"connectorId": connector_id, "csChargingProfiles": body}, step=step
    )
    ctx.require(step, "SetChargingProfile.conf", reply, "status", "Accepted")


async def composite(
    ctx: ChargerRun, conf: SmartSettings, duration: int, *, step: int
) -> tuple[dict[str, Any], datetime]:
    """GetCompositeSchedule.req (``step``) for the configured connector; the reply
    (checked: Accepted, connectorId, duration, unit) and when it was asked."""
    cid = ctx.settings.connector_id
    asked = now()
    request = {"connectorId": cid, "duration": duration, "chargingRateUnit": conf.unit}
    reply = await ctx.request("GetCompositeSchedule", request, step=step)
    answer = step + 1
    ctx.require(answer, "GetCompositeSchedule.conf", reply, "status", "Accepted")
    ctx.check(answer, "GetCompositeSchedule.conf", reply, "connectorId", cid)
    ctx.check(answer, "GetCompositeSchedule.conf", reply, "chargingSchedule.duration", duration)
    ctx.check(
        answer, "GetCompositeSchedule.conf", reply, "chargingSchedule.chargingRateUnit", conf.unit
    )
    return reply, asked


def schedule_start(reply: dict[str, Any]) -> datetime | None:
    schedule = reply.get("chargingSchedule") or {}
    return parse_time(schedule.get("startSchedule") or reply.get("scheduleStart"))


def check_start_near(
    ctx: ChargerRun, step: int, reply: dict[str, Any], asked: datetime, conf: SmartSettings
) -> None:
    """ "Between startSchedule and the current time should be equal or fewer seconds than
    <Configured Max Time Deviation>"."""
    start = schedule_start(reply)
    gap = abs((start - asked).total_seconds()) if start is not None else None
    ctx.check_that(
        step,
        "GetCompositeSchedule.conf",
        "chargingSchedule.startSchedule",
        gap is not None and gap <= conf.max_deviation,
        f"within {conf.max_deviation:g} s of the current time",
        "absent" if gap is None else f"{gap:.1f} s from it",
    )


def _periods(reply: dict[str, Any]) -> list[tuple[float, float]]:
    schedule = reply.get("chargingSchedule") or {}
    out = []
    for p in schedule.get("chargingSchedulePeriod") or []:
        try:
            out.append((float(p["startPeriod"]), float(p["limit"])))
        except (KeyError, TypeError, ValueError):
            continue
    return sorted(out)


def _limit_at(periods: Sequence[tuple[float, float]], t: float) -> float | None:
    found = None
    for begin, limit in periods:
        if begin <= t:
            found = limit
    return found


def check_periods(
    ctx: ChargerRun,
    step: int,
    reply: dict[str, Any],
    expected: Sequence[tuple[float, float]],
    *,
    duration: int,
) -> None:
    """The composite's chargingSchedulePeriod gives the ``expected`` (startPeriod, limit)
    limits over ``duration`` (expected startPeriods relative to the composite's start)."""
    actual = _periods(reply)
    want = sorted((max(0.0, begin), limit) for begin, limit in expected)
    cuts = sorted({0.0, float(duration), *(b for b, _ in want), *(b for b, _ in actual)})
    wrong = []
    for left, right in itertools.pairwise(cuts):
        if right - left <= 2 * BOUNDARY_SLACK_S:
            continue  # a boundary jitter of the clocks, not a different limit
        t = (left + right) / 2
        if _limit_at(actual, t) != _limit_at(want, t):
            wrong.append(f"{_limit_at(actual, t)} at {t:.0f} s")
    ctx.check_that(
        step,
        "GetCompositeSchedule.conf",
        "chargingSchedule.chargingSchedulePeriod",
        not wrong and bool(actual),
        "; ".join(f"{b:.0f} s: {lim:g}" for b, lim in want),
        "; ".join(f"{b:.0f} s: {lim:g}" for b, lim in actual)
        + (f" (differs: {', '.join(wrong)})" if wrong else ""),
    )


def shifted(
    conf: SmartSettings, nominal: Sequence[tuple[int, float]], offset: float
) -> list[tuple[float, float]]:
    """The case's periods (startPeriod, limit in A) as seen from a composite that starts
    ``offset`` seconds after the profiles' startSchedule (the case's "x")."""
    out: list[tuple[float, float]] = []
    for begin, amps in nominal:
        at = begin - offset
        if at <= 0:
            out = [(0.0, conf.limit(amps))]  # the period running at the composite's start
        else:
            out.append((at, conf.limit(amps)))
    return out


def rejected_or_constraint(ctx: ChargerRun, step: int, message: str, rec: Any) -> None:
    """ "status is Rejected OR CallError PropertyConstraintViolation"."""
    if rec.type == "CALLERROR":
        ctx.check(
            step, "CallError", {"errorCode": rec.error}, "errorCode", "PropertyConstraintViolation"
        )
        return
    payload = rec.payload if isinstance(rec.payload, dict) else {}
    ctx.check(step, message, payload, "status", one_of("Rejected"))
