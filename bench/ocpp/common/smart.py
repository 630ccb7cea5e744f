"""What both versions' smart-charging blocks share: a station-wide limit shared among
connectors, the per-connector caps, the one-decimal rounding of reported limits, and
the event views listen to.

Sharing rule (1.6 §3.13.3 ChargePointMaxProfile; 2.0.1 §3.5, K12.FR.01
ChargingStationMaxProfile and external limits on EVSE #0): the current per phase
is split equally among the connectors that are charging (contactor closed, EV
asking for energy), each never above its own cap (its own limit, the hardware,
cable and EV maximum); what one cannot use goes to the others (the engine's
water-filling ``share``). A connector whose share stays below its schedule's
minChargingRate gets 0, the latest started first (K01.FR.21). Connectors with a
transaction that are not charging get what is left over, so the total never
exceeds the limit.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bench.ocpp.common.timestamps import read_iso
from bench.smart.composite import Limit, ProfileSource, share
from bench.smart.profiles import Period, ProfileError, Schedule, make_schedule

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.templates import StationTemplate

_EPS = 1e-6
# connector id -> (amps or None, source or None): the limit each connector should carry.
Wanted = dict[int, tuple[float | None, str | None]]


@dataclass(frozen=True, slots=True)
class ProfilesChanged:
    """The installed charging profiles changed (for views listing them)."""

    count: int


def profile_time(text: str | None) -> datetime | None:
    """A profile's instant (1.6 §3.15, 2.0.1 dateTime: fractions and offsets allowed) as
    aware UTC; None when absent, ``ProfileError`` when unreadable."""
    if text is None:
        return None
    try:
        value = read_iso(text)
    except ValueError:
        raise ProfileError(f"{text!r} is not an ISO 8601 date-time") from None
    return value.astimezone(UTC)


def read_schedule(data: dict[str, Any]) -> Schedule:
    """A ChargingSchedule (1.6 §7.13, 2.0.1 part 2 §2.13: the same fields in both) as a
    ``Schedule``; ``ProfileError`` when malformed. Each version checks its own extras."""
    periods = []
    for item in data.get("chargingSchedulePeriod") or []:
        phases = item.get("numberPhases")
        periods.append(
            Period(
                int(item["startPeriod"]),
                float(item["limit"]),
                int(phases) if phases is not None else None,
            )
        )
    duration = data.get("duration")
    min_rate = data.get("minChargingRate")
    return make_schedule(
        data.get("chargingRateUnit"),
        periods,
        start=profile_time(data.get("startSchedule")),
        duration=int(duration) if duration is not None else None,
        min_rate=float(min_rate) if min_rate is not None else None,
    )


def floor1(value: float) -> float:
    """Round down to one decimal (1.6 §7.14, 2.0.1 K01: one digit fraction) without exceeding."""
    return math.floor(value * 10 + _EPS) / 10


def hardware_cap(connector: Connector) -> float:
    """What the connector can carry whatever the profiles say: its hardware and cable."""
    cable = connector.cable_max_a
    return min(connector.hardware_max_a, cable) if cable is not None else connector.hardware_max_a


def own_cap(connector: Connector, limit: Limit | None, template: StationTemplate) -> float:
    """The most ``connector`` can use now: hardware, cable, local limit, its own ``limit``
    and, on AC, the EV's maximum."""
    caps = [connector.hardware_max_a]
    for value in (connector.effective_cable_max_a, connector.local_limit_a):
        if value is not None:
            caps.append(value)
    if limit is not None:
        caps.append(limit.amps)
    ev = connector.ev
    if ev is not None and template.current_type == "AC":
        caps.append(ev.max_ac_current(template.nominal_voltage_v, template.phases))
    return max(0.0, min(caps))


def shared_source(source: str, count: int) -> str:
    """``source`` split between ``count`` connectors; a profile's stays structured."""
    if isinstance(source, ProfileSource):
        return source.shared(count)
    return f"{source}, shared by {count}"


def share_station_limit(
    station: Limit,
    running: list[Connector],
    own: dict[int, Limit | None],
    tx_limits: dict[int, Limit | None],
    template: StationTemplate,
    wanted: Wanted,
) -> None:
    """Cap each running connector's entry in ``wanted`` by its share of ``station``.

    ``running`` are the connectors with a transaction, oldest first; ``own`` is each
    one's own limit (its Tx layer, in 2.0.1 with an external limit on its EVSE) and
    ``tx_limits`` the Tx layer alone, whose minChargingRate counts.
    """
    charging = [c for c in running if c.contactor_closed and c.ev_wants_energy]
    caps: dict[Hashable, float] = {c.id: own_cap(c, own[c.id], template) for c in charging}
    minimums: dict[Hashable, float] = {
        c.id: limit.min_amps
        for c in charging
        if (limit := tx_limits[c.id]) is not None and limit.min_amps is not None
    }
    shares: dict[Any, float] = dict(share(station.amps, caps, minimums))
    left = max(0.0, station.amps - sum(shares.values()))
    for c in running:
        if c.id not in shares:
            # Not drawing now: what the others leave, so the total stays under the limit.
            shares[c.id] = min(own_cap(c, own[c.id], template), left)
    how = shared_source(station.source, len(charging)) if charging else station.source
    for c in running:
        mine = own[c.id]
        amps = shares[c.id]
        if mine is not None and mine.amps <= amps + _EPS:
            wanted[c.id] = (mine.amps, mine.source)
        else:
            wanted[c.id] = (amps, how)
