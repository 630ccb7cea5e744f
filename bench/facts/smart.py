"""What the smart charging panel reads from a charge point of either OCPP version (Qt-free).

Both versions keep their installed profiles in a ``bench.smart.store`` of engine
``Profile`` values (``cp.smart.store``), so the panel lists them the same way. They
differ in names and shapes, which this module hides:

- purposes: 1.6 ``ChargePointMaxProfile`` (1.6 §7.8), 2.0.1 ``ChargingStationMaxProfile``
  and a fourth, ``ChargingStationExternalConstraints`` (2.0.1 part 2 §3.2, K11-K13);
- places: 1.6 connectors, 2.0.1 EVSEs (0 is the station as a whole in both);
- the composite schedule and who set a profile come through the version-neutral
  ``bench.ocpp.api`` (``composite_schedule``, ``profiles``): 2.0.1 records the
  chargingLimitSource (CSO, EMS, SO, Other), so the panel can say that an external
  system, not the CSMS, limits the station; the limit in force names its profile
  with a structured source, never a label to parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.facts.station import is_v201
from bench.ocpp.api import ChargePointApi, LimitOrigin, LimitSource
from bench.ocpp.v16.smart_profiles import PURPOSE_NAME as PURPOSE_16_NAME
from bench.ocpp.v201.smart_profiles import PURPOSE_NAME as PURPOSE_201_NAME
from bench.smart.profiles import Profile
from bench.smart.store import Installed

CSO = "CSO"  # the CSMS itself (2.0.1 ChargingLimitSourceEnumType)


@dataclass(frozen=True, slots=True)
class Composite:
    """A composite schedule as the chart draws it: periods in seconds from ``start``."""

    start: datetime
    periods: list[dict[str, Any]]  # ChargingSchedulePeriod: startPeriod, limit[, numberPhases]


@dataclass(frozen=True, slots=True)
class SmartFacts:
    """The version-specific names and calls behind the smart charging panel."""

    version: str
    place: str  # what a profile is set on: "Connector" (1.6) / "EVSE" (2.0.1)
    set_ref: str  # where SetChargingProfile is specified
    purpose_names: dict[str, str]  # engine purpose -> the version's name
    station_text: str  # place 0, the station as a whole

    def place_text(self, place_id: int) -> str:
        return self.station_text if place_id == 0 else f"{self.place} {place_id}"

    def purpose_name(self, profile: Profile) -> str:
        return self.purpose_names[profile.purpose]

    def transaction_id(self, entry: Installed) -> str | None:
        """The transaction a TxProfile belongs to (1.6 parses it; 2.0.1 keeps it in the JSON)."""
        if entry.profile.transaction_id is not None:
            return str(entry.profile.transaction_id)
        found = entry.raw.get("transactionId")
        return str(found) if found is not None else None

    def source(self, cp: ChargePointApi, entry: Installed) -> str:
        """The chargingLimitSource of an installed profile (always the CSMS in 1.6)."""
        wanted = entry.profile.id
        found = next((p.source for p in cp.profiles() if p.id == wanted), None)
        return found if found is not None else CSO

    def composite(self, cp: ChargePointApi, place_id: int, duration: int, unit: str) -> Composite:
        """The composite schedule the station would report for ``place_id`` from now."""
        schedule = cp.composite_schedule(place_id, duration, unit)  # 1.6 §5.7, K08
        periods: list[dict[str, Any]] = []
        for p in schedule.periods:
            period: dict[str, Any] = {"startPeriod": p.start_s, "limit": p.limit}
            if p.phases is not None:
                period["numberPhases"] = p.phases
            periods.append(period)
        return Composite(schedule.start, periods)

    def limit_owner(self, source: LimitSource | None) -> str:
        """Who imposes a connector's smart-charging limit, in words.

        A profile is named by purpose, id and stack level ("TxProfile #12 level 1"); an
        external limit (2.0.1 K11/K12) by the system that set it.
        """
        if source is None:
            return ""
        shared = f", shared by {source.shared_by}" if source.shared_by is not None else ""
        if source.origin is LimitOrigin.EXTERNAL:
            place = source.place
            where = "the station" if place == 0 else f"{self.place} {place}"
            return f"external limit from {source.external_source} on {where}{shared}"
        if source.profile_id is None:
            return f"a charging profile{shared}"  # removed this very turn
        return f"{source.purpose} #{source.profile_id} level {source.stack_level}{shared}"


V16_FACTS = SmartFacts(
    "1.6", "Connector", "1.6 §5.16", dict(PURPOSE_16_NAME), "Station (connector 0)"
)
V201_FACTS = SmartFacts("2.0.1", "EVSE", "K01", dict(PURPOSE_201_NAME), "Station (EVSE 0)")


def smart_facts(cp: Any) -> SmartFacts:
    return V201_FACTS if is_v201(cp) else V16_FACTS
