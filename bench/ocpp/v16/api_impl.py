"""``ChargePointApi`` in OCPP 1.6 words (see ``bench.ocpp.api``).

``Api16`` is the base of ``ChargePoint16``: the version-neutral calls map here to
1.6 stop reasons (§7.36), configuration keys (§9), GetCompositeSchedule.conf (§5.7)
and the model's transaction with its integer transactionId.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from bench.ocpp.api import (
    CompositeSchedule,
    ConnectorView,
    F,
    InstalledProfile,
    Limit,
    LimitOrigin,
    RebootKind,
    SchedulePeriod,
    Setting,
    TransactionView,
    UnsavedQueue,
    WriteOutcome,
)
from bench.ocpp.api_common import CommonApi, limit_in_force, profile_limit
from bench.ocpp.common.timestamps import read_iso
from bench.ocpp.v16.config import Configuration
from bench.ocpp.v16.smart_profiles import PURPOSE_NAME as PURPOSE_16_NAME
from bench.smart.profiles import Profile

if TYPE_CHECKING:
    from bench.ocpp.v16.charge_point import ChargePoint16
    from bench.smart.store import Installed
    from bench.smart.units import Supply

# RebootKind -> the StopTransaction reason of the transactions a reboot ends (1.6 §7.36).
# 1.6 has no scheduled reset: a soft reset is the nearest.
STOP_REASONS = {
    RebootKind.LOCAL: "Reboot",
    RebootKind.REMOTE: "SoftReset",
    RebootKind.SCHEDULED: "SoftReset",
}
CSO = "CSO"  # who installs every 1.6 profile: the CSMS (2.0.1 calls it CSO)
ID_TAG_MAX = 20  # 1.6 IdToken: CiString20Type
POWER_LOSS = "PowerLoss"  # 1.6 §7.36 Reason: complete loss of power


def _purpose(profile: Profile) -> str:
    return PURPOSE_16_NAME[profile.purpose]


def _cp(api: object) -> ChargePoint16:
    # Only ChargePoint16 derives from this class; the cast names the blocks it builds.
    return cast("ChargePoint16", api)


class Api16(CommonApi):
    __slots__ = ()

    # ------------------------------------------------------------ lifecycle
    async def reboot(self, kind: RebootKind = RebootKind.LOCAL) -> None:
        """Restart for a version-neutral ``kind``: transactions stop with the 1.6 reason."""
        cp = _cp(self)
        await cp.reset(STOP_REASONS[kind])

    # ------------------------------------------------------------ physical actions
    def id_token_problem(self, tag: str) -> str | None:
        if len(tag) > ID_TAG_MAX:
            return f"An idTag is at most {ID_TAG_MAX} characters (1.6 IdToken)"
        return None

    def set_external_limit(self, connector_id: int, amps: float | None) -> None:
        # 1.6 has no external constraints (2.0.1 K11-K13): the nearest is a local cap.
        self.set_local_limit(connector_id, amps)

    def renegotiate_ev(self, connector_id: int) -> bool:
        return False  # 1.6 has no ISO 15118 charging needs (2.0.1 K15-K17)

    # ------------------------------------------------------------ views
    def connector(self, connector_id: int) -> ConnectorView:
        cp = _cp(self)
        report = cp.status_of(connector_id)
        if connector_id == 0:  # the station itself (1.6 §4.9): no transaction, no limit
            limit = limit_in_force(cp.station.connectors[0], None)
            return ConnectorView(
                0,
                report.status,
                report.error_code,
                report.vendor_error_code,
                False,
                None,
                limit,
                None,
            )
        c = cp.station.connector(connector_id)
        smart = profile_limit(c.limit_a, c.limit_source, cp.smart.store, lambda _e: None)
        tx = c.transaction
        view = None
        if tx is not None:
            view = TransactionView(
                str(tx.protocol_id) if tx.protocol_id is not None else None,
                tx.id_tag,
                None,
                tx.started_at,
                tx.meter_start_wh,
                max(0.0, c.energy_wh - tx.meter_start_wh),
                None,
            )
        return ConnectorView(
            connector_id,
            report.status,
            report.error_code,
            report.vendor_error_code,
            c.plugged,
            view,
            limit_in_force(c, smart),
            smart,
        )

    def station_limit(self) -> Limit | None:
        return None  # 1.6 keeps no station-wide limit apart from its connectors'

    def profiles(self) -> Sequence[InstalledProfile]:
        cp = _cp(self)
        return tuple(
            InstalledProfile(
                e.profile.id,
                e.connector_id,
                _purpose(e.profile),
                e.profile.stack_level,
                CSO,
                str(e.profile.transaction_id) if e.profile.transaction_id is not None else None,
                e.installed_at,
            )
            for e in cp.smart.store
        )

    def composite_schedule(self, place: int, duration_s: int, unit: str) -> CompositeSchedule:
        cp = _cp(self)
        conf = cp.smart.composite_schedule(place, duration_s, unit)  # 1.6 §5.7
        schedule = conf["chargingSchedule"]
        start = read_iso(str(conf["scheduleStart"]))
        periods = tuple(
            SchedulePeriod(int(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"))
            for p in schedule["chargingSchedulePeriod"]
        )
        return CompositeSchedule(place, start, str(schedule["chargingRateUnit"]), periods)

    @property
    def settings(self) -> ConfigSettings:
        cp = _cp(self)
        return ConfigSettings(cp.config)

    def security_profile(self) -> int:
        cp = _cp(self)
        return int(cp.config.raw("SecurityProfile") or 0)  # None: the key is not supported

    # ------------------------------------------------------------ queue
    def queue_length(self) -> int:
        cp = _cp(self)
        return len(cp.transactions.queue)

    def queued_actions(self) -> Sequence[str]:
        cp = _cp(self)
        return tuple(message.action for message in cp.transactions.queue.items())

    async def drained(self) -> None:
        cp = _cp(self)
        await cp.transactions.drained()

    # ------------------------------------------------------------ added for the UI (issue 12)
    def _end_transactions_for_power_loss(self) -> None:
        cp = _cp(self)
        for connector in cp.station.connectors:
            if connector.transaction is not None:
                cp.transactions.stop(connector, POWER_LOSS)  # 1.6 §7.36 Reason PowerLoss
        cp.transactions.cancel_timers()

    def _prepare_power_up(self) -> None:
        pass  # 1.6 BootNotification carries no reason (§6.4): a boot is a boot

    def unsaved_queue(self) -> UnsavedQueue:
        queue = _cp(self).transactions.queue
        return UnsavedQueue(tuple(m.action for m in queue.unsaved()), queue.unremoved())

    def profile_entries(self) -> Sequence[Installed]:
        return tuple(_cp(self).smart.store)

    def supply(self) -> Supply:
        return _cp(self).smart.supply

    def external_limit_origin(self) -> LimitOrigin:
        return LimitOrigin.LOCAL  # see set_external_limit: 1.6 has no external limits

    def facet(self, kind: type[F]) -> F | None:
        # 1.6 has configuration keys (§9: ``facet(Configuration)``) and none of 2.0.1's
        # device model, monitors, display messages or TransactionEvents.
        if kind is Configuration:
            return cast("F", _cp(self).config)
        return None


class ConfigSettings:
    """1.6 configuration keys as ``Settings``; a write is a ChangeConfiguration (§5.3)."""

    __slots__ = ("config",)

    def __init__(self, config: Configuration) -> None:
        self.config = config

    def read(self, name: str) -> str | None:
        definition = self.config.definitions.get(name)
        if definition is None or definition.access == "W":
            return None  # unknown, or write-only: never reported
        return self.config.raw(name)

    def list(self) -> Sequence[Setting]:
        return tuple(
            Setting(
                d.name,
                None if d.access == "W" else self.config.raw(d.name),
                d.access != "R",
                d.access == "W",
            )
            for d in self.config.describe()
        )

    async def write(self, name: str, value: str) -> WriteOutcome:
        return WriteOutcome(name, self.config.change(name, value))
