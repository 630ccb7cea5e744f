"""What a station of this bench makes of a charging profile before it is sent.

The charging-profile form asks four things of the target station, when it runs
in this process (a station connected to the built-in CSMS from elsewhere is only
checked against the schema and the spec):

- ``station_limits``: its ratings and smart-charging settings (1.6 §9.4 keys,
  2.0.1 SmartChargingCtrlr variables) and the transactions running on it, for the
  form's warnings (``bench.ocpp.profile_builder.check``);
- ``verdict``: whether it would accept the request, from its own SetChargingProfile
  check (1.6 §5.16, 2.0.1 K01) run without installing anything;
- ``preview``: the profile's own schedule over the next hours and the composite
  schedule with and without it, computed by the same code that answers
  GetCompositeSchedule (1.6 §5.7, 2.0.1 K08) against a copy of the installed
  profiles with the new one added (replacement rules included), so the preview is
  what the station will do;
- ``install_locally``: put a profile on the station without any OCPP message, for
  a station whose CSMS is not the built-in one (the bench is the charge point and
  cannot send itself CSMS requests). The station's own check and install are used.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench.ocpp.common.timestamps import read_iso
from bench.ocpp.profile_builder import (
    PROFILE_ID,
    STACK_LEVEL,
    TX_DEFAULT,
    V16,
    WARNING,
    PeriodRow,
    Problem,
    ProfileDraft,
    StationLimits,
    place_key,
    profile_key,
    to_payload,
)
from bench.ocpp.v16.smart_charging import Rejected as Rejected16
from bench.ocpp.v16.smart_profiles import PURPOSE_NAME as PURPOSE_16_NAME
from bench.ocpp.v16.smart_profiles import parse as parse_16
from bench.ocpp.v201.smart_charging import SmartCharging as SmartCharging201
from bench.ocpp.v201.smart_profiles import PURPOSE_NAME as PURPOSE_201_NAME
from bench.ocpp.v201.smart_profiles import Rejected as Rejected201
from bench.ocpp.v201.smart_profiles import parse as parse_201
from bench.smart.profiles import RECURRING, RELATIVE, WEEKLY, Profile, ProfileError
from bench.smart.schedule import changes, period_at
from bench.smart.store import Installed, ProfileStore

DAY_S = 24 * 3600
MIN_SPAN_S = 60
MAX_SPAN_S = 7 * DAY_S
END_MARGIN = 1.25  # a schedule that ends within the day is shown to a quarter past its end
LOCAL_SOURCE = "Other"  # 2.0.1 chargingLimitSource of a profile set at the station itself
_UNIT_OF = {"Current": "A", "Power": "W"}


class LocalRefusal(ValueError):
    """The station refuses to install the profile; the message is its reason."""


# ------------------------------------------------------------------ the station's side
def station_limits(cp: Any) -> StationLimits:
    station = cp.station
    template = station.template
    supply = cp.smart.supply
    ac = template.current_type == "AC"
    max_amps: dict[int, float] = {}
    max_watts: dict[int, float] = {}
    for c in station.connectors:
        amps = c.hardware_max_a if c.cable_max_a is None else min(c.hardware_max_a, c.cable_max_a)
        max_amps[c.id] = amps
        watts = float(template.max_power_w)
        max_watts[c.id] = min(watts, amps * supply.voltage * supply.phases) if ac else watts
    max_amps[0] = sum(max_amps.values())
    max_watts[0] = sum(max_watts.values())
    places = (0, *(c.id for c in station.connectors))
    if cp.version == V16:
        config = cp.config
        return StationLimits(
            places=places,
            max_amps=max_amps,
            max_watts=max_watts,
            supply=supply,
            ac=ac,
            max_stack_level=int(config.value("ChargeProfileMaxStackLevel")),
            max_periods=int(config.value("ChargingScheduleMaxPeriods")),
            units=frozenset(
                _UNIT_OF[u] for u in config.value("ChargingScheduleAllowedChargingRateUnit")
            ),
            phases_3to1=config.get_bool("ConnectorSwitch3to1PhaseSupported"),
            transactions=running_transactions(cp),
        )
    caps = cp.smart.capabilities()
    return StationLimits(
        places=places,
        max_amps=max_amps,
        max_watts=max_watts,
        supply=supply,
        ac=ac,
        max_stack_level=caps.max_stack_level,
        max_periods=caps.max_periods,
        units=caps.rate_units,
        phase_switching=caps.phase_switching,
        phases_3to1=caps.phases_3to1,
        transactions=running_transactions(cp),
        place_name="EVSE",
        stack_key="SmartChargingCtrlr.ProfileStackLevel",
        periods_key="SmartChargingCtrlr.PeriodsPerSchedule",
        units_key="SmartChargingCtrlr.RateUnit",
    )


def running_transactions(cp: Any) -> dict[int, str | None]:
    """The transaction running on each connector/EVSE, by its OCPP id (None: not known yet)."""
    found: dict[int, str | None] = {}
    for c in cp.station.connectors:
        if cp.version == V16:
            tx = c.transaction
            if tx is not None:
                found[c.id] = str(tx.protocol_id) if tx.protocol_id is not None else None
        else:
            tx_id = cp.smart.transaction_id(c.id)
            if tx_id is not None:
                found[c.id] = tx_id
    return found


def default_draft(version: str, cp: Any | None, place: int | None = None) -> ProfileDraft:
    """Where a new profile starts: a Relative TxDefaultProfile on one connector/EVSE at half
    its rating (in A for AC, W for DC), with the next free id: valid as it is."""
    unit, limit = "A", 10.0
    where = place if place else 1
    if cp is not None:
        limits = station_limits(cp)
        unit = "A" if limits.ac else "W"
        rated = limits.max_amps if unit == "A" else limits.max_watts
        half = rated.get(where, rated[min(rated)]) / 2
        limit = max(6.0, float(round(half))) if unit == "A" else round(half, -2)
    return ProfileDraft(
        version=version,
        place=where,
        profile_id=next_profile_id(cp) if cp is not None else 1,
        purpose=TX_DEFAULT,
        stack_level=0,
        kind=RELATIVE,
        periods=(PeriodRow(0, limit),),
        unit=unit,
    )


def next_profile_id(cp: Any) -> int:
    """An id no installed profile uses (negative ids are 2.0.1 external limits)."""
    return max((e.profile.id for e in cp.smart.store if e.profile.id > 0), default=0) + 1


def verdict(cp: Any, payload: Mapping[str, Any]) -> str | None:
    """Why the station would refuse this SetChargingProfile request; None if it would accept.

    Runs the station's own check (1.6 §5.16, 2.0.1 K01), which installs nothing.
    """
    place = int(payload[place_key(cp.version)])
    raw = dict(payload[profile_key(cp.version)])
    if cp.version == V16:
        if not 0 <= place <= len(cp.station.connectors):
            return f"no connector {place}: a CALLERROR (1.6 errata 3.39)"
        try:
            cp.smart.check(place, raw)
        except Rejected16 as exc:
            return str(exc)
        return None
    try:
        cp.smart.check(place, raw)
    except Rejected201 as exc:
        return f"{exc.reason}: {exc.info}"
    return None


def replacements(cp: Any, payload: Mapping[str, Any]) -> list[Problem]:
    """Warnings for the installed profiles this request replaces, by the station's own rule:
    the same id (1.6 §5.16.3, K01.FR.05), or in 1.6 the same purpose and stack level on
    the same connector. Easy to miss when a template's id 1 is already taken."""
    place = int(payload[place_key(cp.version)])
    try:
        profile = parse_profile(cp.version, payload[profile_key(cp.version)])
    except ProfileError:
        return []  # the form shows why it does not parse
    names = PURPOSE_16_NAME if cp.version == V16 else PURPOSE_201_NAME
    ref = "1.6 §5.16.3" if cp.version == V16 else "K01.FR.05"
    found: list[Problem] = []
    for e in cp.smart.store.replaced_by(place, profile):
        what = f"the installed {names[e.profile.purpose]} #{e.profile.id}"
        if e.profile.id == profile.id:
            found.append(Problem(PROFILE_ID, f"replaces {what} (same id, {ref})", WARNING))
        else:
            where = "the station" if e.connector_id == 0 else f"connector {e.connector_id}"
            message = f"replaces {what} on {where} (same purpose and stack level, {ref})"
            found.append(Problem(STACK_LEVEL, message, WARNING))
    return found


def install_locally(cp: Any, payload: Mapping[str, Any]) -> None:
    """Install the profile on the station itself, as if its CSMS had sent it (no message).

    ``LocalRefusal`` carries the station's reason when it would refuse it. In 2.0.1 the
    profile's chargingLimitSource is Other: it did not come from the CSMS.
    """
    place = int(payload[place_key(cp.version)])
    raw = copy.deepcopy(dict(payload[profile_key(cp.version)]))
    reason = verdict(cp, payload)
    if reason is not None:
        raise LocalRefusal(reason)
    profile = cp.smart.check(place, raw)
    if cp.version == V16:
        cp.smart.install(place, profile, raw)
    else:
        cp.smart.install(place, profile, raw, LOCAL_SOURCE)


# ------------------------------------------------------------------ what-if composite
class _WhatIf201(SmartCharging201):
    """The 2.0.1 block evaluated over another store (K08 composite), nothing installed."""

    __slots__ = ("_what_if",)

    def __init__(self, cp: Any, store: ProfileStore) -> None:
        super().__init__(cp, cp.transactions, cp.security.certificates)
        self._what_if = store

    @property
    def store(self) -> Any:  # type: ignore[override]
        return self._what_if


def composite(
    cp: Any, place: int, duration: int, unit: str, payload: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The composite schedule of ``place`` from now, as the station would report it
    (1.6 §5.7 / 2.0.1 K08): with the profile of ``payload`` installed when given.

    Returns ``{"scheduleStart", "chargingSchedulePeriod"}``.
    """
    smart = cp.smart
    if payload is not None:
        store = type(smart.store)(list(smart.store))
        raw = copy.deepcopy(dict(payload[profile_key(cp.version)]))
        profile = parse_profile(cp.version, raw)
        target = int(payload[place_key(cp.version)])
        store.install(Installed(target, profile, raw, cp.clock.now()))
        smart = smart.what_if(store) if cp.version == V16 else _WhatIf201(cp, store)
    if cp.version == V16:
        conf = smart.composite_schedule(place, duration, unit)
        return {
            "scheduleStart": conf["scheduleStart"],
            "chargingSchedulePeriod": conf["chargingSchedule"]["chargingSchedulePeriod"],
        }
    found = smart.composite(place, duration, unit)
    return {
        "scheduleStart": found["scheduleStart"],
        "chargingSchedulePeriod": found["chargingSchedulePeriod"],
    }


def parse_profile(version: str, raw: Mapping[str, Any]) -> Profile:
    """The engine's ``Profile`` of a version's ChargingProfile; ``ProfileError`` if malformed."""
    try:
        if version == V16:
            return parse_16(dict(raw))
        return parse_201(dict(raw))
    except ProfileError:
        raise
    except Rejected201 as exc:
        raise ProfileError(exc.info) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"malformed profile: {exc}") from None


# ------------------------------------------------------------------ the preview
@dataclass(frozen=True, slots=True)
class Series:
    """A step line: ``values[i]`` holds from ``times[i]`` to the next time (or ``end``)."""

    times: tuple[float, ...]  # epoch seconds
    values: tuple[float | None, ...]  # None: nothing imposed there
    end: float

    def at(self, t: float) -> float | None:
        """The value in force at ``t`` (epoch seconds); None outside the series."""
        if not self.times or t < self.times[0] or t >= self.end:
            return None
        value = None
        for when, v in zip(self.times, self.values, strict=True):
            if when > t:
                break
            value = v
        return value


@dataclass(frozen=True, slots=True)
class Preview:
    start: datetime
    end: datetime
    unit: str
    own: Series | None  # the profile alone; None when it does not parse
    before: Series | None  # the station's composite now; None without a station
    after: Series | None  # the composite with the profile installed
    note: str  # where the schedule starts, in words
    problem: str | None = None  # why the profile's own schedule is not shown

    def own_at(self, offset_s: float) -> float | None:
        return self.own.at(self.start.timestamp() + offset_s) if self.own else None

    def before_at(self, offset_s: float) -> float | None:
        return self.before.at(self.start.timestamp() + offset_s) if self.before else None

    def after_at(self, offset_s: float) -> float | None:
        return self.after.at(self.start.timestamp() + offset_s) if self.after else None


def preview(draft: ProfileDraft, now: datetime, cp: Any | None = None) -> Preview:
    """The draft's own schedule and, with a station, the composite before and after it."""
    start = now.replace(microsecond=0)
    anchor = _anchor(draft, start, cp)
    payload = to_payload(draft)
    try:
        profile = parse_profile(draft.version, payload[profile_key(draft.version)])
    except ProfileError as exc:
        end = start + timedelta(seconds=DAY_S)
        return Preview(start, end, draft.unit, None, None, None, "", str(exc))
    span = _span(profile, start, anchor)
    end = start + timedelta(seconds=span)
    own = own_series(profile, start, end, anchor)
    before = after = None
    if cp is not None and draft.place in (0, *(c.id for c in cp.station.connectors)):
        before = _series(composite(cp, draft.place, span, draft.unit), span)
        after = _series(composite(cp, draft.place, span, draft.unit, payload), span)
    return Preview(start, end, draft.unit, own, before, after, _note(profile, anchor, start))


def current(draft: ProfileDraft, now: datetime, cp: Any | None) -> Preview:
    """Only what the station imposes now at the draft's place (for a draft with errors)."""
    start = now.replace(microsecond=0)
    before = None
    if cp is not None and draft.place in (0, *(c.id for c in cp.station.connectors)):
        before = _series(composite(cp, draft.place, DAY_S, draft.unit), DAY_S)
    end = start + timedelta(seconds=DAY_S)
    return Preview(start, end, draft.unit, None, before, None, "")


def own_series(profile: Profile, start: datetime, end: datetime, anchor: datetime) -> Series:
    """The limit ``profile`` alone imposes over [start, end), from the engine (1.6 §3.13)."""
    instants = [start, *(t for t in changes(profile, start, end, anchor) if t < end)]
    times: list[float] = []
    values: list[float | None] = []
    for t in instants:
        period = period_at(profile, t, anchor)
        value = period.limit if period is not None else None
        if values and values[-1] == value:
            continue
        times.append(t.timestamp())
        values.append(value)
    return Series(tuple(times), tuple(values), end.timestamp())


def _series(schedule: dict[str, Any], span: int) -> Series:
    start = read_iso(str(schedule["scheduleStart"]))
    periods = schedule["chargingSchedulePeriod"]
    times = tuple(start.timestamp() + p["startPeriod"] for p in periods)
    values = tuple(float(p["limit"]) for p in periods)
    return Series(times, values, start.timestamp() + span)


def _anchor(draft: ProfileDraft, start: datetime, cp: Any | None) -> datetime:
    """Where a Relative schedule starts: the running transaction's start, else now."""
    if cp is None or draft.place == 0:
        return start
    for c in cp.station.connectors:
        if c.id == draft.place and c.transaction is not None:
            return c.transaction.started_at
    return start


def _span(profile: Profile, start: datetime, anchor: datetime) -> int:
    """The next 24 h; a week for a Weekly profile; when it ends sooner, a little past its
    end (so the step back to what holds without it shows)."""
    if profile.kind == RECURRING:
        return MAX_SPAN_S if profile.recurrency == WEEKLY else DAY_S
    duration = profile.schedule.duration
    if duration is None:
        return DAY_S
    begins = profile.schedule.start or anchor
    if profile.kind == RELATIVE:
        begins = anchor
    left = (begins + timedelta(seconds=duration) - start).total_seconds()
    if left <= 0:
        return DAY_S
    return int(min(max(left * END_MARGIN, MIN_SPAN_S), DAY_S))


def _note(profile: Profile, anchor: datetime, start: datetime) -> str:
    if profile.kind == RECURRING:
        origin = profile.schedule.start
        since = f"aligned on {_clock(origin)}" if origin else "aligned on midnight UTC"
        return f"Recurring {profile.recurrency}, {since}"
    if profile.kind == RELATIVE or profile.schedule.start is None:
        if anchor < start:
            return f"{profile.kind}: counted from the transaction's start at {_clock(anchor)}"
        return f"{profile.kind}: shown as if a transaction started now"
    return f"Absolute: from {_clock(profile.schedule.start)}"


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
