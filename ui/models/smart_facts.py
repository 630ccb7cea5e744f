"""What the smart charging panel reads from a charge point of either OCPP version (Qt-free).

Both versions keep their installed profiles in a ``bench.smart.store`` of engine
``Profile`` values (``cp.smart.store``), so the panel lists them the same way. They
differ in names and shapes, which this module hides:

- purposes: 1.6 ``ChargePointMaxProfile`` (1.6 §7.8), 2.0.1 ``ChargingStationMaxProfile``
  and a fourth, ``ChargingStationExternalConstraints`` (2.0.1 part 2 §3.2, K11-K13);
- places: 1.6 connectors, 2.0.1 EVSEs (0 is the station as a whole in both);
- the composite schedule: 1.6 ``composite_schedule`` returns GetCompositeSchedule.conf
  (§5.7), 2.0.1 ``composite`` a CompositeScheduleType (K08);
- who set a profile: 2.0.1 records the chargingLimitSource (CSO, EMS, SO, Other), so
  the panel can say that an external system, not the CSMS, limits the station.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.ocpp.v16.smart_profiles import PURPOSE_NAME as PURPOSE_16_NAME
from bench.ocpp.v201.smart_profiles import PURPOSE_NAME as PURPOSE_201_NAME
from bench.smart.profiles import EXTERNAL, Profile
from bench.smart.store import Installed
from ui.models.station_facts import is_v201

CSO = "CSO"  # the CSMS itself (2.0.1 ChargingLimitSourceEnumType)
_PROFILE_ID = re.compile(r"#(-?\d+)\b")


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

    def source(self, cp: Any, entry: Installed) -> str:
        """The chargingLimitSource of an installed profile (always the CSMS in 1.6)."""
        source_of = getattr(cp.smart, "source_of", None)
        return str(source_of(entry)) if callable(source_of) else CSO

    def composite(self, cp: Any, place_id: int, duration: int, unit: str) -> Composite:
        """The composite schedule the station would report for ``place_id`` from now."""
        if self.version == "2.0.1":
            schedule = cp.smart.composite(place_id, duration, unit)  # K08 CompositeScheduleType
        else:
            conf = cp.smart.composite_schedule(place_id, duration, unit)  # 1.6 §5.7
            schedule = {**conf["chargingSchedule"], "scheduleStart": conf["scheduleStart"]}
        start = datetime.fromisoformat(str(schedule["scheduleStart"]).replace("Z", "+00:00"))
        return Composite(start, list(schedule["chargingSchedulePeriod"]))

    def limit_owner(self, cp: Any, limit_source: str | None) -> str:
        """Who imposes a connector's limit, in words, from the model's ``limit_source``.

        The engine names the leading profile ("TxProfile #12 level 1"); an external
        limit (2.0.1 K11/K12) is named by the system that set it.
        """
        if not limit_source:
            return ""
        match = _PROFILE_ID.search(limit_source)
        entry = None
        if match is not None:
            wanted = int(match.group(1))
            entry = next((e for e in cp.smart.store if e.profile.id == wanted), None)
        if entry is not None and entry.profile.purpose == EXTERNAL:
            place = entry.connector_id
            where = "the station" if place == 0 else f"{self.place} {place}"
            text = f"external limit from {self.source(cp, entry)} on {where}"
            if "shared by" in limit_source:
                text += ", " + limit_source[limit_source.index("shared by") :]
            return text
        return limit_source


V16_FACTS = SmartFacts(
    "1.6", "Connector", "1.6 §5.16", dict(PURPOSE_16_NAME), "Station (connector 0)"
)
V201_FACTS = SmartFacts("2.0.1", "EVSE", "K01", dict(PURPOSE_201_NAME), "Station (EVSE 0)")


def smart_facts(cp: Any) -> SmartFacts:
    return V201_FACTS if is_v201(cp) else V16_FACTS
