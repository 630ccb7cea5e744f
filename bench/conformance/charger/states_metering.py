"""2.0.1 block J helpers of the charging-station cases: meter value checks, timings and
configuration that is put back afterwards.

The case's "<Configured clock-aligned Meter Values interval>" and friends are short
intervals the bench sets itself (``INTERVAL``), so a case takes seconds; a charger
gets its own values back when the case ends (an aligned interval of two seconds
left behind would flood its CSMS).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states_provisioning import set_one
from bench.conformance.evidence import StopCase
from bench.conformance.expect import one_of

INTERVAL = 2  # seconds: the configured meter value intervals of these cases
DEFAULT_MEASURAND = "Energy.Active.Import.Register"  # what an absent measurand means
TIME_TOLERANCE = 0.5  # seconds a timestamp gap may differ from the interval


@contextlib.asynccontextmanager
async def configured(ctx: ChargerRun, values: dict[str, str]) -> AsyncIterator[None]:
    """The case's configuration state (``v201.configure``), the previous values written
    back when the case ends (not part of the case: a real charger keeps its own)."""
    before: dict[str, str] = {}
    for name in values:
        old = await v201.get_variable(ctx, name)
        if old is not None:
            before[name] = old
    await v201.configure(ctx, values)
    try:
        yield
    finally:
        if ctx.endpoint.connected:
            for name, value in before.items():
                component, variable, instance = v201.variable(name)
                with contextlib.suppress(Exception):
                    await set_one(ctx, component, variable, value, instance=instance, step=None)


async def measurands(ctx: ChargerRun, name: str) -> list[str]:
    """The configured measurands of ``COMPONENT/VARIABLE`` (a MemberList)."""
    value = await v201.get_variable(ctx, name) or ""
    return [m.strip() for m in value.split(",") if m.strip()]


def sampled(meter_values: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for mv in meter_values for s in mv.get("sampledValue") or []]


def check_contexts(
    ctx: ChargerRun, step: int | None, message: str, meter_values: list[dict[str, Any]], *want: str
) -> None:
    """sampledValue[0].context of every meterValue element is one of ``want``."""
    for index in range(len(meter_values)):
        ctx.check(
            step,
            message,
            {"meterValue": meter_values},
            f"meterValue[{index}].sampledValue[0].context",
            one_of(*want),
        )


def check_measurands(
    ctx: ChargerRun,
    step: int | None,
    message: str,
    meter_values: list[dict[str, Any]],
    wanted: list[str],
    *,
    context: str | None = None,
) -> None:
    """Every configured measurand has an element (in meterValues of ``context``); an
    absent measurand is Energy.Active.Import.Register."""
    values = sampled(meter_values)
    if context is not None:
        values = [s for s in values if s.get("context", "Sample.Periodic") == context]
    have = {s.get("measurand", DEFAULT_MEASURAND) for s in values}
    missing = [m for m in wanted if m not in have]
    ctx.check_that(
        step,
        message,
        "sampledValue[].measurand",
        not missing,
        "an element per configured measurand: " + (", ".join(wanted) or "(none configured)"),
        "missing " + ", ".join(missing) if missing else ", ".join(sorted(have)),
    )


def _parse(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def check_intervals(
    ctx: ChargerRun, step: int | None, message: str, stamps: Iterable[str], interval: float
) -> None:
    """Post-validation: the gaps between the distinct timestamps equal ``interval``
    (several messages of one moment share their timestamp)."""
    times = sorted({t for t in (_parse(s) for s in stamps) if t is not None})
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    bad = [g for g in gaps if abs(g - interval) > TIME_TOLERANCE]
    ctx.check_that(
        step,
        message,
        "timestamp",
        bool(gaps) and not bad,
        f"{interval:g} s between the timestamps of successive samples",
        ", ".join(f"{g:g} s" for g in gaps) or f"{len(times)} distinct timestamp(s)",
    )


def check_aligned(
    ctx: ChargerRun, step: int | None, message: str, stamps: Iterable[str], interval: float
) -> None:
    """Timestamps far apart still lie on the interval's grid: whole multiples of it apart."""
    times = sorted({t for t in (_parse(s) for s in stamps) if t is not None})
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    bad = [g for g in gaps if abs(g - round(g / interval) * interval) > TIME_TOLERANCE]
    ctx.check_that(
        step,
        message,
        "timestamp",
        bool(gaps) and not bad,
        f"a whole number of {interval:g} s intervals between the timestamps",
        ", ".join(f"{g:g} s" for g in gaps) or f"{len(times)} distinct timestamp(s)",
    )


def check_signed(
    ctx: ChargerRun,
    step: int | None,
    message: str,
    meter_values: list[dict[str, Any]],
    public_key_rule: str | None,
) -> None:
    """sampledValue.signedMeterValue present, its publicKey present ("" unless
    PublicKeyWithSignedMeterValue asks for the key)."""
    values = [
        s
        for s in sampled(meter_values)
        if s.get("measurand", DEFAULT_MEASURAND) == DEFAULT_MEASURAND
    ]
    unsigned = [s.get("context", "Sample.Periodic") for s in values if "signedMeterValue" not in s]
    ctx.check_that(
        step,
        message,
        "sampledValue.signedMeterValue",
        bool(values) and not unsigned,
        "present on every Energy.Active.Import.Register reading",
        f"absent on {len(unsigned)} of {len(values)}" if unsigned or not values else "present",
    )
    # PublicKeyWithSignedMeterValue (part 2): Never -> "", EveryMeterValue -> the key
    # every time, OncePerTransaction -> the key once, "" on the others.
    keys = [s["signedMeterValue"].get("publicKey") for s in values if "signedMeterValue" in s]
    if public_key_rule == "Never":
        ok, words = all(k == "" for k in keys), '"" (PublicKeyWithSignedMeterValue Never)'
    elif public_key_rule == "EveryMeterValue":
        ok, words = all(isinstance(k, str) and k for k in keys), "the public key every time"
    else:
        ok, words = all(isinstance(k, str) for k in keys), 'present: "" or a public key'
    ctx.check_that(
        step,
        message,
        "sampledValue.signedMeterValue.publicKey",
        bool(keys) and ok,
        words,
        ", ".join(repr(k)[:24] for k in keys[:4]) or "none",
    )


def tx_events(ctx: ChargerRun, since: int, until: int | None = None) -> list[dict[str, Any]]:
    """The station's TransactionEventRequests between two frame marks."""
    out = []
    for rec in ctx.frames[since:until]:
        if rec.direction == "rx" and rec.type == "CALL" and rec.action == "TransactionEvent":
            out.append(rec.payload if isinstance(rec.payload, dict) else {})
    return out


def meter_value_requests(
    ctx: ChargerRun, since: int, until: int | None = None
) -> list[dict[str, Any]]:
    out = []
    for rec in ctx.frames[since:until]:
        if rec.direction == "rx" and rec.type == "CALL" and rec.action == "MeterValues":
            out.append(rec.payload if isinstance(rec.payload, dict) else {})
    return out


async def ended_event(ctx: ChargerRun, *, since: int, step: int | None) -> dict[str, Any]:
    event = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: p.get("eventType") == "Ended",
        what="the TransactionEvent Ended",
    )
    if not event.get("meterValue"):
        ctx.check(step, "TransactionEventRequest (Ended)", event, "meterValue", "present")
        raise StopCase("the TransactionEvent Ended has no meterValue")
    return event
