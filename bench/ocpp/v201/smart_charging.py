"""Functional block K: charging profiles, composite schedule, external limits (part 2 K01-K17).

The 2.0.1 face of ``bench.smart``, shaped like the 1.6 one (``v16.smart_charging``):
profiles are parsed into engine values (``smart_profiles``), kept in a ``ProfileStore``
persisted in the station state (K01.FR.27), combined per EVSE (``smart_limits``) and
imposed on the model with ``Connector.set_limit``, so the simulated EV draws less and the
meter shows it. Period boundaries take effect on time through a timer at the next
instant any profile can change, besides the physics tick.

Where 2.0.1 differs from 1.6: a profile is replaced by id only (K01.FR.05); two
profiles with the same purpose and stackLevel on one EVSE may coexist when their
validity does not overlap and are refused otherwise (K01.FR.06/39/52/53,
DuplicateProfile); a TxProfile names its transaction (K01.FR.03/04/33); every refusal
carries a statusInfo reason. External limits the bench sets (``set_external_limit``)
become ChargingStationExternalConstraints profiles with negative ids (K11.FR.06) that
the CSMS can see but neither replace nor clear (K01.FR.05, K10.FR.08/09), and are
announced with NotifyChargingLimit / ClearedChargingLimit (K12, K13). ISO 15118 EVs
are handled by ``smart_iso15118``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bench.model.changes import ConnectorChanged
from bench.ocpp.common.smart import ProfilesChanged, floor1
from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply
from bench.ocpp.smart_boundary import BoundaryTimer, purge_expired
from bench.ocpp.v201.block import Block, Evses, Handler, Messaging, Persistence, Services, Variables
from bench.ocpp.v201.device_model import AttributeType, VariableKey
from bench.ocpp.v201.ports import EvCertificates, TxLookup
from bench.ocpp.v201.smart_external import ExternalLimits
from bench.ocpp.v201.smart_iso15118 import Iso15118
from bench.ocpp.v201.smart_limits import LimitPlanner
from bench.ocpp.v201.smart_profiles import (
    PURPOSE_NAME,
    PURPOSES,
    Capabilities,
    Rejected,
    check_capabilities,
    overlapping,
    parse,
)
from bench.ocpp.v201.transactions import TransactionEventSent
from bench.smart.profiles import EXTERNAL, STATION_MAX, TX, TX_DEFAULT, Profile
from bench.smart.store import Installed, ProfileStore
from bench.smart.units import Supply, convert

log = logging.getLogger(__name__)

CTRLR = "SmartChargingCtrlr"
STATE_NAME = "charging_profiles_201"  # beside 1.6's "charging_profiles" of the same station
TIMER = "smart201-boundary"
HORIZON = timedelta(hours=6)  # re-evaluate at least this often (virtual time)
REPORT_CHUNK = 8  # profiles per ReportChargingProfilesRequest (K09 remarks)
CSO = "CSO"


@dataclass(frozen=True, slots=True)
class ChargingLimitChanged:
    """The smart-charging limit imposed on an EVSE changed (None: no limit)."""

    evse_id: int
    limit_a: float | None


class ByIdStore(ProfileStore):
    """2.0.1 replaces a profile by id only (K01.FR.05); same-level clashes are refused."""

    __slots__ = ()

    def replaced_by(self, connector_id: int, profile: Profile) -> list[Installed]:
        return [e for e in self.entries if e.profile.id == profile.id]


class SmartHost(Services, Messaging, Variables, Persistence, Evses, Protocol):
    """What block K uses of the station: EVSEs and limits, SmartChargingCtrlr, stored profiles."""


class SmartCharging(Block[SmartHost]):
    __slots__ = (
        "_boundary",
        "_sources",
        "_stale",
        "_station_limit",
        "_store",
        "_transactions",
        "_unsubscribe",
        "external",
        "iso15118",
    )

    def __init__(self, cp: SmartHost, transactions: TxLookup, certificates: EvCertificates) -> None:
        super().__init__(cp)
        self._transactions = transactions
        self._store: ByIdStore | None = None  # loaded on first use
        self._stale = False  # the load dropped stored rows: the store must be rewritten
        self._sources: dict[int, str] = {}  # profile id -> chargingLimitSource
        # Wakes ``apply`` at the next period boundary or validTo.
        self._boundary = BoundaryTimer(cp.tasks, TIMER, self)
        self._station_limit: float | None = None  # the EVSE #0 limit last announced
        self._unsubscribe: Callable[[], None] | None = None
        self.iso15118 = Iso15118(cp, self, certificates)
        self.external = ExternalLimits(cp, self)

    def handlers(self) -> dict[str, Handler]:
        return {
            "SetChargingProfile": self.set_charging_profile,
            "GetChargingProfiles": self.get_charging_profiles,
            "ClearChargingProfile": self.clear_charging_profile,
            "GetCompositeSchedule": self.get_composite_schedule,
        }

    # ------------------------------------------------------------ store
    @property
    def store(self) -> ByIdStore:
        if self._store is None:
            self._store = self._load()
        return self._store

    def _load(self) -> ByIdStore:
        rows = self.cp.state.get(self.cp.station.id, STATE_NAME) or []
        entries: list[Installed] = []
        for row in rows:
            try:
                profile = parse(row["profile"])
                installed_at = datetime.fromtimestamp(float(row["installedAt"]), UTC)
                evse_id = int(row["evseId"])
            except (Rejected, KeyError, TypeError, ValueError) as exc:
                log.warning("%s: dropping a stored charging profile: %s", self.cp.station.id, exc)
                continue
            if profile.purpose in (TX, EXTERNAL):
                # A TxProfile ceases with its transaction (part 2 §3.2) and no transaction
                # survives a power cycle; an external system re-sends its limit.
                continue
            entries.append(Installed(evse_id, profile, row["profile"], installed_at))
            self._sources[profile.id] = row.get("source", CSO)
        self._stale = len(entries) != len(rows)
        return ByIdStore(entries)

    def _save(self, *, rows_changed: bool = True) -> None:
        rows = [
            {
                "evseId": e.connector_id,
                "profile": e.raw,
                "installedAt": e.installed_at.timestamp(),
                "source": self.source_of(e),
            }
            for e in self.store
        ]
        if rows_changed:
            self.cp.state.put(self.cp.station.id, STATE_NAME, rows)
            self._stale = False
        # SmartChargingCtrlr.Entries[ChargingProfiles]: how many are installed (appendix).
        self.cp.set_own_variable(CTRLR, VariableKey("Entries", "ChargingProfiles"), str(len(rows)))
        self.cp.events.emit(ProfilesChanged(len(rows)))

    def source_of(self, entry: Installed) -> str:
        return self._sources.get(entry.profile.id, CSO)

    @property
    def supply(self) -> Supply:
        template = self.cp.station.template
        phases = template.phases if self.ac else 1
        return Supply(float(template.nominal_voltage_v), phases)

    @property
    def ac(self) -> bool:
        return self.cp.station.template.current_type == "AC"

    @property
    def enabled(self) -> bool:
        return self.cp.flag(CTRLR, "Enabled")

    def capabilities(self) -> Capabilities:
        units = self.cp.variable(CTRLR, "RateUnit") or "A,W"
        return Capabilities(
            max_stack_level=int(self.cp.number(CTRLR, "ProfileStackLevel")),
            max_periods=int(self.cp.number(CTRLR, "PeriodsPerSchedule")),
            rate_units=frozenset(u.strip() for u in units.split(",") if u.strip()),
            ac=self.ac,
            supply_phases=self.supply.phases,
            phases_3to1=self.cp.flag(CTRLR, "Phases3to1"),
            phase_switching=self.cp.flag(CTRLR, "ACPhaseSwitchingSupported"),
        )

    def transaction_id(self, evse_id: int) -> str | None:
        """The transactionId running on ``evse_id`` (E01, from the transaction block)."""
        tx = self._transactions.active(evse_id)
        return tx.transaction_id if tx is not None else None

    def planner(self) -> LimitPlanner:
        return LimitPlanner(self.store, self.cp.station, self.supply, self.transaction_id)

    # ------------------------------------------------------------ checks (K01)
    def check(self, evse_id: int, raw: dict[str, Any], *, remote_start: bool = False) -> Profile:
        """Parse ``raw`` for ``evse_id`` and apply every K01 rule; raises ``Rejected``."""
        if not self.enabled:
            raise Rejected("NotEnabled", "SmartChargingCtrlr.Enabled is false")
        if evse_id != 0 and evse_id not in self.cp.evse_ids():
            raise Rejected("UnknownEvse", f"K01.FR.28: no EVSE {evse_id}")
        profile = parse(raw)
        check_capabilities(profile, raw, self.capabilities())
        if profile.purpose == EXTERNAL:
            raise Rejected("InvalidProfile", "K01.FR.22: ChargingStationExternalConstraints")
        if profile.purpose == STATION_MAX and evse_id != 0:
            raise Rejected("InvalidProfile", "a ChargingStationMaxProfile is set on EVSE 0 only")
        if profile.purpose == TX:
            self._check_tx(evse_id, raw, remote_start)
        if len(raw["chargingSchedule"]) > 1 and not (
            profile.purpose == TX and self.iso15118.needs_sent(evse_id)
        ):
            raise Rejected("InvalidSchedule", "K01.FR.34: one chargingSchedule without ISO 15118")
        self._check_clashes(evse_id, profile, raw)
        most = self.cp.variable(CTRLR, "Entries", "ChargingProfiles", AttributeType.MAX_SET)
        if most is not None and self.store.count_after(evse_id, profile) > int(most):
            raise Rejected("TooManyElements", f"Entries[ChargingProfiles] would exceed {most}")
        return profile

    def _check_tx(self, evse_id: int, raw: dict[str, Any], remote_start: bool) -> None:
        if evse_id == 0:
            raise Rejected("InvalidProfile", "K01.FR.16: a TxProfile needs evseId > 0")
        if remote_start:
            return  # K05: the transaction is about to start with the id the caller gave
        tx_id = raw.get("transactionId")
        if tx_id is None:
            raise Rejected("InvalidProfile", "K01.FR.03: a TxProfile names its transactionId")
        running = self.transaction_id(evse_id)
        if running is None:
            raise Rejected("TxNotFound", f"K01.FR.09: no transaction on EVSE {evse_id}")
        if tx_id != running:
            raise Rejected("TxNotFound", f"K01.FR.33: transaction {tx_id} is not on EVSE {evse_id}")
        if self.iso15118.hlc(evse_id) and not self.iso15118.needs_sent(evse_id):
            raise Rejected("InvalidMessageSeq", "K15.FR.17: charging needs not sent yet")

    def _check_clashes(self, evse_id: int, profile: Profile, raw: dict[str, Any]) -> None:
        for e in self.store:
            if e.profile.id == profile.id:
                if e.profile.purpose == EXTERNAL:
                    raise Rejected("InvalidProfile", "K01.FR.05: an external limit has this id")
                continue
            if e.profile.purpose != profile.purpose or e.profile.stack_level != profile.stack_level:
                continue
            if profile.purpose == TX:
                if e.raw.get("transactionId") == raw.get("transactionId"):
                    raise Rejected("DuplicateProfile", f"K01.FR.39: clashes with #{e.profile.id}")
            elif e.connector_id == evse_id:
                if overlapping(e.profile, profile):
                    raise Rejected("DuplicateProfile", f"K01.FR.06: clashes with #{e.profile.id}")
            elif profile.purpose == TX_DEFAULT and 0 in (evse_id, e.connector_id):
                rule = "K01.FR.52" if evse_id == 0 else "K01.FR.53"
                raise Rejected("DuplicateProfile", f"{rule}: clashes with #{e.profile.id}")

    # ------------------------------------------------------------ SetChargingProfile (K01)
    async def set_charging_profile(self, req: dict[str, Any]) -> dict[str, Any] | Reply:
        evse_id = req["evseId"]
        raw = req["chargingProfile"]
        try:
            profile = self.check(evse_id, raw)
        except Rejected as exc:
            log.info("%s: SetChargingProfile rejected: %s", self.cp.station.id, exc)
            return {"status": "Rejected", "statusInfo": exc.status_info()}
        self.install(evse_id, profile, raw)  # K01.FR.07: re-evaluated at once
        if profile.purpose == TX:
            # K15.FR.10 / K16.FR.05: an ISO 15118 EV answers with its own schedule, after the reply.
            return Reply({"status": "Accepted"}, then=lambda: self.iso15118.schedule_set(evse_id))
        return {"status": "Accepted"}

    def install(
        self, evse_id: int, profile: Profile, raw: dict[str, Any], source: str = CSO
    ) -> None:
        self.store.install(Installed(evse_id, profile, raw, self.cp.clock.now()))
        self._sources[profile.id] = source
        self._save()
        self.apply()

    def drop(self, profile_id: int) -> bool:
        """Remove one installed profile (any purpose) and re-evaluate; False if unknown."""
        if not self.store.clear(profile_id=profile_id):
            return False
        self._sources.pop(profile_id, None)
        self._save()
        self.apply()
        return True

    # ------------------------------------------------------------ GetChargingProfiles (K09)
    async def get_charging_profiles(self, req: dict[str, Any]) -> dict[str, Any] | Reply:
        request_id = req["requestId"]
        found = self.matching(req.get("evseId"), req["chargingProfile"])
        if not found:
            return {"status": "NoProfiles"}
        groups: dict[tuple[int, str], list[Installed]] = {}
        for e in found:
            groups.setdefault((e.connector_id, self.source_of(e)), []).append(e)
        parts: list[dict[str, Any]] = []
        for (evse_id, source), entries in sorted(groups.items()):
            for i in range(0, len(entries), REPORT_CHUNK):
                chunk = entries[i : i + REPORT_CHUNK]
                parts.append(
                    {
                        "requestId": request_id,  # K09.FR.01
                        "chargingLimitSource": source,
                        "evseId": evse_id,
                        "chargingProfile": [e.raw for e in chunk],
                    }
                )
        for part in parts[:-1]:
            part["tbc"] = True  # K09.FR.02

        def go() -> None:
            self.cp.tasks.spawn(self._report(parts), name="report-charging-profiles")

        return Reply({"status": "Accepted"}, then=go)

    def matching(self, evse_id: int | None, criteria: dict[str, Any]) -> list[Installed]:
        """K09.FR.03-06: by ids, or by every given field; evseId 0 means the station itself."""
        ids = criteria.get("chargingProfileId")
        purpose = criteria.get("chargingProfilePurpose")
        level = criteria.get("stackLevel")
        sources = criteria.get("chargingLimitSource")
        found: list[Installed] = []
        for e in self.store:
            if evse_id is not None and e.connector_id != evse_id:
                continue
            if ids is not None and e.profile.id not in ids:
                continue
            if purpose is not None and PURPOSE_NAME[e.profile.purpose] != purpose:
                continue
            if level is not None and e.profile.stack_level != level:
                continue
            if sources is not None and self.source_of(e) not in sources:
                continue
            found.append(e)
        return sorted(found, key=lambda e: (e.connector_id, e.profile.id))

    async def _report(self, parts: list[dict[str, Any]]) -> None:
        for part in parts:
            if await self.send("ReportChargingProfiles", part) is None:
                return

    # ------------------------------------------------------------ ClearChargingProfile (K10)
    async def clear_charging_profile(self, req: dict[str, Any]) -> dict[str, Any]:
        profile_id = req.get("chargingProfileId")
        criteria = req.get("chargingProfileCriteria") or {}
        if profile_id is not None:
            # K10.FR.03/09: by id; an external limit is not the CSMS's to clear.
            gone = [e for e in self.store if e.profile.id == profile_id]
        else:
            purpose = criteria.get("chargingProfilePurpose")
            gone = [
                e
                for e in self.store
                if ("evseId" not in criteria or e.connector_id == criteria["evseId"])
                and (purpose is None or e.profile.purpose == PURPOSES[purpose])
                and (
                    "stackLevel" not in criteria or e.profile.stack_level == criteria["stackLevel"]
                )
            ]
        gone = [e for e in gone if e.profile.purpose != EXTERNAL]  # K10.FR.04/08
        if not gone:
            return {"status": "Unknown"}  # K10.FR.01
        for e in gone:
            self.store.clear(profile_id=e.profile.id)
            self._sources.pop(e.profile.id, None)
        self._save()
        self.apply()  # K10.FR.05, K10.FR.07
        return {"status": "Accepted"}

    # ------------------------------------------------------------ GetCompositeSchedule (K08)
    async def get_composite_schedule(self, req: dict[str, Any]) -> dict[str, Any]:
        evse_id = req["evseId"]
        duration = req["duration"]
        unit = req.get("chargingRateUnit") or ("A" if self.ac else "W")
        if evse_id != 0 and evse_id not in self.cp.evse_ids():
            return _rejected("UnknownEvse", f"K08.FR.05: no EVSE {evse_id}")
        if unit not in self.capabilities().rate_units:
            return _rejected("UnsupportedRateUnit", f"K08.FR.07: chargingRateUnit {unit}")
        if duration <= 0:
            return _rejected("InvalidValue", "duration must be positive")
        return {"status": "Accepted", "schedule": self.composite(evse_id, duration, unit)}

    def composite(self, evse_id: int, duration: int, unit: str) -> dict[str, Any]:
        """CompositeScheduleType for ``duration`` s from now (K08.FR.02-06)."""
        start = self.cp.clock.now().replace(microsecond=0)
        supply = self.supply
        periods: list[dict[str, Any]] = []
        for offset, limit in self.planner().composite(evse_id, start, duration):
            value = floor1(convert(limit.amps, "A", unit, supply, limit.lines))
            period: dict[str, Any] = {"startPeriod": int(offset), "limit": value}
            if self.ac:
                period["numberPhases"] = limit.lines
            if periods and periods[-1]["startPeriod"] == period["startPeriod"]:
                periods[-1] = period  # two changes within one second: the later one holds
            elif periods and {**periods[-1], "startPeriod": 0} == {**period, "startPeriod": 0}:
                continue  # equal after rounding
            else:
                periods.append(period)
        return {
            "evseId": evse_id,
            "duration": duration,
            "scheduleStart": iso(start),
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": periods,
        }

    # ------------------------------------------------------------ cross-block interface
    def install_tx_profile(self, evse_id: int, profile: dict[str, Any], transaction_id: str) -> str:
        """RequestStartTransaction's chargingProfile for ``transaction_id`` (F01.FR.08, K05).

        Returns "Accepted" or "Rejected" (K05.FR.05). With smart charging disabled
        the profile is ignored and the start goes on (K05.FR.04).
        """
        if not self.enabled:
            return "Accepted"
        if profile.get("chargingProfilePurpose") != "TxProfile":
            log.info("%s: K05.FR.02: a remote start profile is a TxProfile", self.cp.station.id)
            return "Rejected"
        raw = {**profile, "transactionId": transaction_id}
        try:
            parsed = self.check(evse_id, raw, remote_start=True)
        except Rejected as exc:
            log.info("%s: remote start profile rejected: %s", self.cp.station.id, exc)
            return "Rejected"
        # A profile left by an earlier start that never began goes (one TxProfile set per EVSE).
        for e in self.store.of(TX, (evse_id,)):
            if e.raw.get("transactionId") != transaction_id:
                self.store.clear(profile_id=e.profile.id)
        self.install(evse_id, parsed, raw)
        return "Accepted"

    def energy_held(self, evse_id: int) -> bool:
        """K15: the ISO 15118 EV on ``evse_id`` has no schedule yet, so it draws no power."""
        return self.iso15118.holding(evse_id)

    def watch_energy(self, handler: Callable[[int], None]) -> None:
        """``handler(evse_id)`` runs when ``energy_held`` turns false for an EVSE."""
        self.iso15118.watch(handler)

    def limit_a(self, evse_id: int) -> float | None:
        """The smart-charging limit on ``evse_id`` (0: the station-wide one), A per phase."""
        if evse_id == 0:
            now = self.cp.clock.now()
            return _lowest_amps(layer.at(now) for layer in self.planner().station_layers())
        return self.cp.station.connector(evse_id).limit_a

    def set_external_limit(self, evse_id: int, amps: float | None, source: str = "EMS") -> None:
        """An external system (EMS, DSO) limits ``evse_id`` (0: the station); None releases it.

        See ``smart_external`` (K11-K13). ``source`` is EMS, Other or SO (never CSO).
        """
        self.external.set(evse_id, amps, source)

    # ------------------------------------------------------------ the limit in force
    def apply(self) -> None:
        """Set every EVSE's limit for this instant (K01.FR.07, K10.FR.05); time the next change."""
        station = self.cp.station
        if not len(self.store) or not self.enabled:
            for connector in station.connectors:
                self._set(connector.id, None, None)
            self._announce_station_limit(None)
            self._boundary.cancel()
            return
        now = self.cp.clock.now()
        if purge_expired(self.store, now):
            self._save()
        self._announce_station_limit(self.limit_a(0))
        planner = self.planner()
        wanted, points = planner.limits_now(now, now + HORIZON)
        for connector in station.connectors:
            if connector.id in wanted or connector.transaction is not None:
                continue
            # An external limit on an idle EVSE holds at once (K11.FR.01, K12.FR.01), so the
            # model (and the GUI's connector card) shows it before any transaction starts.
            external = planner.external_layer(connector.id).at(now)
            if external is not None:
                wanted[connector.id] = (external.amps, external.source)
        for connector in station.connectors:
            amps, source = wanted.get(connector.id, (None, None))
            self._set(connector.id, round(amps, 3) if amps is not None else None, source)
        self._boundary.schedule(now, min(points) if points else now + HORIZON)

    def _set(self, evse_id: int, amps: float | None, source: str | None) -> None:
        connector = self.cp.station.connector(evse_id)
        if (connector.limit_a, connector.limit_source) == (amps, source):
            return
        changed = connector.limit_a != amps
        connector.set_limit(amps, source)
        if changed:
            self.cp.events.emit(ChargingLimitChanged(evse_id, amps))

    def _announce_station_limit(self, amps: float | None) -> None:
        if amps != self._station_limit:
            self._station_limit = amps
            self.cp.events.emit(ChargingLimitChanged(0, amps))

    # ------------------------------------------------------------ hooks
    def on_start(self) -> None:
        # Drops what did not survive the power cycle; Entries is current. The rows are
        # written only if the load dropped some: a fleet's stations boot with nothing stored.
        self._save(rows_changed=self._stale_after_load())
        self._unsubscribe = self.cp.events.subscribe(self._on_cp_event)
        self.apply()

    def _stale_after_load(self) -> bool:
        self.store  # noqa: B018 - loads the rows, noting whether any were dropped
        return self._stale

    async def on_stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def on_accepted(self) -> None:
        self.iso15118.on_accepted()
        self.external.on_accepted()  # limits set or released while offline (K12, K13)

    def on_physics(self) -> None:
        self.apply()

    def on_model_event(self, event: Any) -> None:
        if not isinstance(event, ConnectorChanged):
            return  # an IdPresented (no reason) or a StationChanged (no connector)
        if event.reason in ("transaction_started", "transaction_ended"):
            self.apply()  # a limit holds exactly while the model has a transaction
        self.iso15118.on_connector_event(event.connector_id, event.reason)

    def on_variable_changed(self, component: str, variable: str, instance: str | None) -> None:
        if component == CTRLR and variable == "Enabled":
            self.apply()

    def on_reboot(self) -> None:
        self._boundary.cancel()

    def _on_cp_event(self, event: object) -> None:
        """The transactions block's TransactionEventSent: where a 2.0.1 transaction begins and
        ends (the model's transaction may come and go inside it with the EV's presence)."""
        if not isinstance(event, TransactionEventSent):
            return
        kind = event.event_type
        tx_id = event.transaction_id
        evse_id = event.evse_id
        if kind not in ("Started", "Ended"):
            return
        if kind == "Started":
            # TxProfiles installed for a remote start that never began do not carry over.
            stale = [
                e for e in self.store.of(TX, (evse_id,)) if e.raw.get("transactionId") != tx_id
            ]
        else:
            # Part 2 §3.2: a TxProfile ceases to be valid when its transaction terminates.
            stale = [e for e in self.store if e.raw.get("transactionId") == tx_id]
        for e in stale:
            self.store.clear(profile_id=e.profile.id)
        if stale:
            self._save()
        self.apply()

    # ------------------------------------------------------------ sending
    def spawn_send(self, action: str, payload: dict[str, Any]) -> None:
        self.cp.tasks.spawn(self.send(action, payload), name=f"smart-{action}")

    async def send(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Send a station-initiated K message; a failure is logged, not raised (no retry in K)."""
        try:
            return await self.cp.session.call(action, payload)
        except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
            log.warning("%s: %s failed: %s", self.cp.station.id, action, exc)
            return None


def _rejected(reason: str, info: str) -> dict[str, Any]:
    return {"status": "Rejected", "statusInfo": Rejected(reason, info).status_info()}


def _lowest_amps(limits: Any) -> float | None:
    values = [limit.amps for limit in limits if limit is not None]
    return min(values) if values else None
