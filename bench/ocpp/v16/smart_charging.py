"""Smart charging (1.6 §3.13, §5.5, §5.7, §5.16; §9.4 keys): profiles in, limits out.

The 1.6 face of ``bench.smart``: it parses and checks profiles against the
station's keys, keeps them in a ``ProfileStore`` persisted in the station state
(1.6 errata 3.37: profiles survive reboots; §3.13.6: they keep working
offline), answers SetChargingProfile, ClearChargingProfile and
GetCompositeSchedule, and drives the simulated current.

The limit in force (``apply``), per connector with a transaction:

- the TxProfile/TxDefaultProfile layer: the highest-stackLevel TxProfile of
  the transaction that imposes a period now; while a TxProfile of the
  transaction is valid no TxDefaultProfile applies, even past the end of its
  schedule (§3.13.2: it overrules them for the transaction, OCTT TC_066_CS);
  else the highest-stackLevel TxDefaultProfile (the connector's own shadows
  connector 0's at the same level, §3.13.1);
- capped by the connector's share of the ChargePointMaxProfile, which limits
  all connectors together (§3.13.3). Sharing rule: the current per phase is
  split equally among the connectors that are charging (contactor closed, EV
  asking for energy), each never above its own cap (its Tx layer limit, the
  hardware, cable and EV maximum); what one cannot use goes to the others. A
  connector whose share stays below its schedule's minChargingRate gets 0
  (the latest started first). Connectors with a transaction that are not
  charging get what is left over, so the total never exceeds the limit.

Period boundaries take effect on time: after each evaluation a timer is set
at the next instant any profile can change (validFrom/validTo, period starts,
durations, recurrences), besides the physics tick that calls ``apply`` too.
Connectors without a transaction carry no limit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench.ocpp.common.smart import (
    ProfilesChanged,
    Wanted,
    floor1,
    hardware_cap,
    share_station_limit,
)
from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import ErrorKind, OcppError
from bench.ocpp.smart_boundary import BoundaryTimer, purge_expired
from bench.ocpp.v16.config import InvalidValue, KeyDef, _key, split_csl
from bench.ocpp.v16.smart_profiles import PURPOSE_NAME, PURPOSES, parse
from bench.smart.composite import Candidate, Layer, Limit, ProfileSource, composite, lowest
from bench.smart.profiles import STATION_MAX, TX, TX_DEFAULT, Profile, ProfileError
from bench.smart.store import Installed, ProfileStore
from bench.smart.units import Supply, convert

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.connector import Connector
    from bench.model.events import Emitter
    from bench.model.station import Station
    from bench.ocpp.v16.config import Configuration
    from bench.store.config import StateStore

log = logging.getLogger(__name__)

PROFILE = "SmartCharging"  # its SupportedFeatureProfiles name
SUPPORTED = True  # listed in SupportedFeatureProfiles once its messages work

_UNIT_OF = {"Current": "A", "Power": "W"}


def _rate_units(text: str, _config: Configuration) -> list[str]:
    items = split_csl(text)
    if not items or any(item not in _UNIT_OF for item in items):
        raise InvalidValue("ChargingScheduleAllowedChargingRateUnit lists Current and/or Power")
    return items


KEYS: tuple[KeyDef, ...] = (
    # 1.6 §9.4: all read-only; the bench (templates, tests) sets them with config.set.
    _key("ChargeProfileMaxStackLevel", "integer", "R", "8", profile=PROFILE),
    _key(
        "ChargingScheduleAllowedChargingRateUnit",
        "CSL",
        "R",
        "Current,Power",
        _rate_units,
        profile=PROFILE,
    ),
    _key("ChargingScheduleMaxPeriods", "integer", "R", "24", profile=PROFILE),
    _key("ConnectorSwitch3to1PhaseSupported", "boolean", "R", "false", profile=PROFILE),
    _key("MaxChargingProfilesInstalled", "integer", "R", "16", profile=PROFILE),
)

STATE_NAME = "charging_profiles"
TIMER = "smart-boundary"
# Re-evaluate at least this often (virtual time) even when no profile changes sooner.
HORIZON = timedelta(hours=6)


class Rejected(Exception):
    """A profile this station will not install; the message says why."""


def label(profile: Profile) -> ProfileSource:
    return ProfileSource.of(profile, PURPOSE_NAME[profile.purpose])


class SmartCharging:
    __slots__ = ("_boundary", "_clock", "_config", "_events", "_state", "_station", "_store")

    def __init__(
        self,
        station: Station,
        *,
        clock: Clock,
        config: Configuration,
        state: StateStore,
        events: Emitter,
        tasks: Supervisor,
    ) -> None:
        self._station = station
        self._clock = clock
        self._config = config
        self._state = state  # the installed profiles outlive a restart
        self._events = events  # ProfilesChanged
        self._store: ProfileStore | None = None  # loaded on first use
        # Wakes ``apply`` at the next period boundary or validTo.
        self._boundary = BoundaryTimer(tasks, TIMER, self)

    def what_if(self, store: ProfileStore) -> SmartCharging:
        """This block evaluated over ``store`` (a preview): its checks and composite
        schedule, with nothing installed on the station."""
        twin = SmartCharging(
            self._station,
            clock=self._clock,
            config=self._config,
            state=self._state,
            events=self._events,
            tasks=self._boundary.tasks,
        )
        twin._store = store
        return twin

    def handlers(self) -> dict[str, Any]:
        """CSMS-initiated actions this block answers."""
        return {
            "ClearChargingProfile": self.clear_charging_profile,
            "GetCompositeSchedule": self.get_composite_schedule,
            "SetChargingProfile": self.set_charging_profile,
        }

    # ------------------------------------------------------------ store
    @property
    def store(self) -> ProfileStore:
        if self._store is None:
            self._store = self._load()
        return self._store

    def _load(self) -> ProfileStore:
        rows = self._state.get(self._station.id, STATE_NAME) or []
        entries: list[Installed] = []
        for row in rows:
            try:
                profile = parse(row["profile"])
                installed_at = datetime.fromtimestamp(float(row["installedAt"]), UTC)
                connector_id = int(row["connectorId"])
            except (ProfileError, KeyError, TypeError, ValueError) as exc:
                log.warning("%s: dropping a stored charging profile: %s", self._station.id, exc)
                continue
            if profile.purpose == TX:
                # A TxProfile ceases with its transaction (1.6 §7.10); none survives a restart.
                continue
            entries.append(Installed(connector_id, profile, row["profile"], installed_at))
        return ProfileStore(entries)

    def _save(self) -> None:
        rows = [
            {
                "connectorId": e.connector_id,
                "profile": e.raw,
                "installedAt": e.installed_at.timestamp(),
            }
            for e in self.store
        ]
        self._state.put(self._station.id, STATE_NAME, rows)
        self._events.emit(ProfilesChanged(len(rows)))

    @property
    def supply(self) -> Supply:
        template = self._station.template
        phases = template.phases if template.current_type == "AC" else 1
        return Supply(float(template.nominal_voltage_v), phases)

    # ------------------------------------------------------------ checks
    def check(
        self, connector_id: int, raw: dict[str, Any], *, remote_start: bool = False
    ) -> Profile:
        """Parse ``raw`` and check it against the keys and the purpose rules; raises Rejected."""
        try:
            profile = parse(raw)
        except (ProfileError, KeyError, TypeError, ValueError) as exc:
            raise Rejected(str(exc)) from None
        config = self._config
        max_level = config.value("ChargeProfileMaxStackLevel")
        if profile.stack_level > max_level:
            raise Rejected(f"stackLevel {profile.stack_level} > ChargeProfileMaxStackLevel")
        allowed = {_UNIT_OF[u] for u in config.value("ChargingScheduleAllowedChargingRateUnit")}
        if profile.schedule.unit not in allowed:
            raise Rejected(f"chargingRateUnit {profile.schedule.unit} is not allowed here")
        if len(profile.schedule.periods) > config.value("ChargingScheduleMaxPeriods"):
            raise Rejected("more periods than ChargingScheduleMaxPeriods")
        if (
            profile.purpose in (TX, TX_DEFAULT)
            and len({p or 3 for p in profile.phase_counts}) > 1
            and not config.get_bool("ConnectorSwitch3to1PhaseSupported")
        ):
            # 1.6 §9.4.4: this station cannot switch phases during a transaction.
            raise Rejected("the schedule switches numberPhases; ConnectorSwitch3to1PhaseSupported")
        if profile.purpose == STATION_MAX and connector_id != 0:
            raise Rejected("a ChargePointMaxProfile is set on connector 0 only (1.6 §3.13.1)")
        if profile.purpose == TX:
            self._check_tx_profile(connector_id, profile, remote_start)
        elif remote_start:
            raise Rejected("the profile of a RemoteStartTransaction is a TxProfile (1.6 §5.11)")
        if self.store.count_after(connector_id, profile) > config.value(
            "MaxChargingProfilesInstalled"
        ):
            raise Rejected("MaxChargingProfilesInstalled reached")
        return profile

    def _check_tx_profile(self, connector_id: int, profile: Profile, remote_start: bool) -> None:
        if connector_id == 0:
            raise Rejected("a TxProfile is set on a connector > 0 (1.6 §3.13.1)")
        if remote_start:
            if profile.transaction_id is not None:
                raise Rejected("no transactionId in a RemoteStartTransaction profile (§5.16.2)")
            return
        tx = self._station.connector(connector_id).transaction
        if tx is None:
            raise Rejected("no transaction on the connector for a TxProfile (1.6 §3.13.1)")
        if (
            profile.transaction_id is not None
            and tx.protocol_id is not None
            and profile.transaction_id != tx.protocol_id
        ):
            raise Rejected(f"transactionId {profile.transaction_id} is not the running one")

    def accepts_remote_start_profile(self, connector_id: int, raw: dict[str, Any]) -> bool:
        """Whether a RemoteStartTransaction's chargingProfile can be installed (1.6 §5.16.2)."""
        try:
            self.check(connector_id, raw, remote_start=True)
        except Rejected as exc:
            log.info("%s: remote start profile rejected: %s", self._station.id, exc)
            return False
        return True

    # ------------------------------------------------------------ handlers
    async def set_charging_profile(self, req: dict[str, Any]) -> dict[str, Any]:
        """1.6 §5.16: install a profile; replaces by id or purpose+stackLevel+connector."""
        connector_id = req["connectorId"]
        if not 0 <= connector_id <= len(self._station.connectors):
            # 1.6 errata 3.39: an invalid connectorId is a CALLERROR.
            raise OcppError(ErrorKind.PROPERTY_CONSTRAINT_VIOLATION, f"no connector {connector_id}")
        raw = req["csChargingProfiles"]
        try:
            profile = self.check(connector_id, raw)
        except Rejected as exc:
            log.info("%s: SetChargingProfile rejected: %s", self._station.id, exc)
            return {"status": "Rejected"}
        self.install(connector_id, profile, raw)
        return {"status": "Accepted"}

    async def clear_charging_profile(self, req: dict[str, Any]) -> dict[str, Any]:
        """1.6 §5.5, errata 3.25/3.26: by id, or by connector AND purpose AND stack level."""
        purpose_name = req.get("chargingProfilePurpose")
        gone = self.store.clear(
            profile_id=req.get("id"),
            connector_id=req.get("connectorId"),
            purpose=PURPOSES[purpose_name] if purpose_name is not None else None,
            stack_level=req.get("stackLevel"),
        )
        if not gone:
            return {"status": "Unknown"}
        self._save()
        self.apply()
        return {"status": "Accepted"}

    async def get_composite_schedule(self, req: dict[str, Any]) -> dict[str, Any]:
        """1.6 §5.7, errata 3.28–3.30: the composite from now over ``duration`` seconds."""
        connector_id = req["connectorId"]
        duration = req["duration"]
        if not 0 <= connector_id <= len(self._station.connectors) or duration <= 0:
            return {"status": "Rejected"}
        # Without a requested unit: amps for AC, watts for DC.
        unit = req.get("chargingRateUnit") or ("A" if self._ac else "W")
        return self.composite_schedule(connector_id, duration, unit)

    @property
    def _ac(self) -> bool:
        return self._station.template.current_type == "AC"

    # ------------------------------------------------------------ installing
    def install(self, connector_id: int, profile: Profile, raw: dict[str, Any]) -> None:
        entry = Installed(connector_id, profile, raw, self._clock.now())
        self.store.install(entry)
        self._save()
        self.apply()

    def transaction_started(self, connector: Connector, profile: dict[str, Any] | None) -> None:
        """A transaction began; ``profile`` came with its RemoteStartTransaction (1.6 §5.16.2)."""
        if profile is not None:
            try:
                parsed = self.check(connector.id, profile)
            except Rejected as exc:
                # Checked when the remote start was accepted; the keys may have changed since.
                log.warning("%s: remote start profile dropped: %s", self._station.id, exc)
            else:
                self.install(connector.id, parsed, profile)
                return
        self.apply()

    def transaction_ended(self, connector: Connector) -> None:
        """The TxProfiles of the transaction cease (1.6 §3.13.1, §7.10); the limit goes."""
        if self._store is not None and self.store.remove_where(connector.id, TX):
            self._save()
        if connector.limit_a is not None:
            connector.set_limit(None, None)
        self.apply()

    # ------------------------------------------------------------ layers
    def _tx_layer(self, connector_id: int, anchor: datetime | None, with_tx: bool) -> Layer:
        """TxProfiles (of a running transaction) above TxDefaultProfiles, best first."""
        store = self.store
        entries: list[tuple[tuple[int, int, int], Installed]] = []
        if with_tx:
            entries += [((2, e.profile.stack_level, 1), e) for e in store.of(TX, (connector_id,))]
        for e in store.of(TX_DEFAULT, (0, connector_id)):
            own = 1 if e.connector_id == connector_id else 0
            entries.append(((1, e.profile.stack_level, own), e))
        entries.sort(key=lambda item: item[0], reverse=True)
        return Layer(
            [
                # §3.13.2: a TxProfile overrules the TxDefaultProfile for the transaction.
                Candidate(e.profile, anchor, label(e.profile), overrules=key[0] == 2)
                for key, e in entries
            ],
            self.supply,
        )

    def _max_layer(self) -> Layer:
        entries = sorted(
            self.store.of(STATION_MAX, (0,)), key=lambda e: e.profile.stack_level, reverse=True
        )
        # A Relative (or start-less Absolute) ChargePointMaxProfile runs from its installation.
        return Layer(
            [Candidate(e.profile, e.installed_at, label(e.profile)) for e in entries], self.supply
        )

    # ------------------------------------------------------------ the limit in force
    def apply(self) -> None:
        """Set every connector's smart-charging limit for this instant; time the next change."""
        station = self._station
        store = self.store
        if not len(store):
            for connector in station.connectors:
                if connector.limit_a is not None:
                    connector.set_limit(None, None)
            self._boundary.cancel()
            return
        now = self._clock.now()
        if purge_expired(store, now):
            self._save()
        running = sorted(
            (c for c in station.connectors if c.transaction is not None),
            key=lambda c: c.transaction.started_at,  # type: ignore[union-attr]
        )
        layers = {
            c.id: self._tx_layer(c.id, c.transaction.started_at, True)  # type: ignore[union-attr]
            for c in running
        }
        tx_limits = {c.id: layers[c.id].at(now) for c in running}
        max_layer = self._max_layer()
        station_max = max_layer.at(now)
        wanted: Wanted = {}
        for c in running:
            own = tx_limits[c.id]
            wanted[c.id] = (own.amps, own.source) if own is not None else (None, None)
        if station_max is not None and running:
            # 1.6 §3.13.3: the ChargePointMaxProfile limits all connectors together.
            share_station_limit(
                station_max, running, tx_limits, tx_limits, station.template, wanted
            )
        for connector in station.connectors:
            amps, source = wanted.get(connector.id, (None, None))
            if amps is not None:
                amps = round(amps, 3)
            if (connector.limit_a, connector.limit_source) != (amps, source):
                connector.set_limit(amps, source)
        points: set[datetime] = max_layer.changes(now, now + HORIZON)
        for layer in layers.values():
            points |= layer.changes(now, now + HORIZON)
        self._boundary.schedule(now, min(points) if points else now + HORIZON)

    # ------------------------------------------------------------ composite schedule
    def composite_schedule(self, connector_id: int, duration: int, unit: str) -> dict[str, Any]:
        """GetCompositeSchedule.conf (1.6 §5.7, §6.22) for ``duration`` seconds from now.

        Where no profile limits a connector its hardware (and cable) rating does
        (a local limit, errata 3.27). Connector 0 reports what the station
        expects to draw from the grid: the sum of its connectors' limits, capped
        by the ChargePointMaxProfile.
        """
        start = self._clock.now().replace(microsecond=0)
        end = start + timedelta(seconds=duration)
        supply = self.supply
        max_layer = self._max_layer()
        layers: dict[int, Layer] = {}
        for c in self._station.connectors:
            if connector_id in (0, c.id):
                tx = c.transaction
                layers[c.id] = self._tx_layer(
                    c.id, tx.started_at if tx else start, with_tx=tx is not None
                )

        def evaluate(t: datetime) -> Limit:
            parts: list[Limit | None] = [max_layer.at(t)]
            if connector_id == 0:
                total = 0.0
                for c in self._station.connectors:
                    own = layers[c.id].at(t)
                    total += min(own.amps, hardware_cap(c)) if own is not None else hardware_cap(c)
                parts.append(Limit(total, supply.phases, "connectors"))
            else:
                c = self._station.connector(connector_id)
                parts += [layers[c.id].at(t), Limit(hardware_cap(c), supply.phases, "hardware")]
            limit = lowest(parts)
            assert limit is not None
            return limit

        points = max_layer.changes(start, end)
        for layer in layers.values():
            points |= layer.changes(start, end)
        periods: list[dict[str, Any]] = []
        for offset, limit in composite(evaluate, points, start, duration):
            value = floor1(convert(limit.amps, "A", unit, supply, limit.lines))
            period: dict[str, Any] = {"startPeriod": int(offset), "limit": value}
            if self._ac:
                period["numberPhases"] = limit.lines
            if periods and periods[-1]["startPeriod"] == period["startPeriod"]:
                periods[-1] = period  # two changes within one second: the later one holds
            elif periods and {**periods[-1], "startPeriod": 0} == {**period, "startPeriod": 0}:
                continue  # equal after rounding
            else:
                periods.append(period)
        return {
            "status": "Accepted",
            "connectorId": connector_id,
            "scheduleStart": iso(start),
            "chargingSchedule": {
                # errata 3.57: no startSchedule here; periods are relative to scheduleStart.
                "duration": duration,
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": periods,
            },
        }
