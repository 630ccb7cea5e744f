"""The charging station side of OCPP 2.0.1 for one station: boot, heartbeat, statuses, blocks.

``ChargePoint201`` runs the same model as the 1.6 charge point over the shared link
loop (``bench.ocpp.charge_point_base``). The device model holds its configuration;
each functional block of part 2 is one module, built in ``_build_blocks`` with the
station's services and typed ports of the blocks it talks to, and joined in through
the hooks of ``bench.ocpp.v201.block.Block``. Model connector ``n`` is EVSE ``n`` with
one connector.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from bench.kernel.frames import FrameSink
from bench.model.changes import ConnectorChanged
from bench.model.clock import wait_for
from bench.model.rng import LightRandom
from bench.model.station import Station
from bench.ocpp.api import RebootKind
from bench.ocpp.charge_point_base import (
    LinkOpener,
)
from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.api_impl import Api201
from bench.ocpp.v201.auth_cache import AuthCache201
from bench.ocpp.v201.auth_groups import TokenGroupMemo
from bench.ocpp.v201.authorization import Authorization
from bench.ocpp.v201.availability import Availability
from bench.ocpp.v201.block import Block, Trigger
from bench.ocpp.v201.device_model import AttributeType, ComponentKey, DeviceModel, VariableKey
from bench.ocpp.v201.diagnostics import Diagnostics
from bench.ocpp.v201.display import DisplayMessages
from bench.ocpp.v201.dm_seed import standard_definition
from bench.ocpp.v201.firmware import Firmware
from bench.ocpp.v201.handlers import HandlerTable
from bench.ocpp.v201.local_list import LocalList201
from bench.ocpp.v201.monitoring import Monitoring
from bench.ocpp.v201.pnc import PlugAndCharge
from bench.ocpp.v201.provisioning import Provisioning
from bench.ocpp.v201.reconnect import RetryBackOff
from bench.ocpp.v201.reservation import Reservations
from bench.ocpp.v201.security import Security
from bench.ocpp.v201.smart_charging import SmartCharging
from bench.ocpp.v201.status import ConnectorStatus, connector_status, status_payload
from bench.ocpp.v201.tariff import TariffCost
from bench.ocpp.v201.transactions import Transactions
from bench.ocpp.v201.trigger import RemoteTrigger
from bench.ocpp.v201.tx_state import TxSessions
from bench.store.config import ConfigStore
from bench.store.faults import FULL, StorageFaultChanged
from bench.transport.backoff import Backoff
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError
from bench.transport.websocket import open_link

log = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp2.0.1"
# BootReasonEnumType (part 2 §3.5): a reboot with any other reason could never boot.
BOOT_REASONS = frozenset(
    {
        "ApplicationReset",
        "FirmwareUpdate",
        "LocalReset",
        "PowerUp",
        "RemoteReset",
        "ScheduledReset",
        "Triggered",
        "Unknown",
        "Watchdog",
    }
)
# RebootKind -> (BootNotification reason, stoppedReason, triggerReason of the Ended event).
# B11.FR.03/04 and TC_B_22_CS: RemoteReset after Reset Immediate, ImmediateReset with
# ResetCommand (B12.FR.02/04); TC_B_21_CS: ScheduledReset after a Scheduled OnIdle reset.
# A local reboot ends transactions with Reboot ("a locally initiated reset/reboot"); no
# trigger reason names it, AbnormalCondition is the nearest.
REBOOT_MAPPING: dict[RebootKind, tuple[str, str, str]] = {
    RebootKind.LOCAL: ("LocalReset", "Reboot", "AbnormalCondition"),
    RebootKind.REMOTE: ("RemoteReset", "ImmediateReset", "ResetCommand"),
    RebootKind.SCHEDULED: ("ScheduledReset", "ImmediateReset", "ResetCommand"),
}
# (block classes, hook name) -> positions of the blocks that override the hook. Shared by
# every station: a physics tick calls the three blocks that care, not all thirteen.
_HOOKED: dict[tuple[tuple[type, ...], str], tuple[int, ...]] = {}


def _hooked(blocks: list[Block[Any]], hook: str) -> tuple[int, ...]:
    kinds = tuple(type(block) for block in blocks)
    found = _HOOKED.get((kinds, hook))
    if found is None:
        default = getattr(Block, hook)
        found = tuple(i for i, kind in enumerate(kinds) if getattr(kind, hook) is not default)
        _HOOKED[(kinds, hook)] = found
    return found


def _evse(key: Hashable) -> int:
    """A status key of this station: the shared base keeps them as Hashable, ours are EVSE ids."""
    if not isinstance(key, int):
        raise TypeError(f"a 2.0.1 status key is an EVSE id, not {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class VariableChanged:
    """A device-model value changed (SetVariables or the station itself), for views.

    ``component``, ``variable`` and ``instance`` are what the blocks' ``on_variable_changed``
    hook gets; ``component_key`` is the full component (instance, EVSE, connector), so a
    view can update the one row that changed (EVSE 1's Power, not EVSE 2's).
    """

    component: str
    variable: str
    instance: str | None = None
    component_key: ComponentKey | None = None

    @property
    def variable_key(self) -> VariableKey:
        return VariableKey(self.variable, self.instance)


class ChargePoint201(Api201):
    """One station speaking OCPP 2.0.1 to one CSMS."""

    version = "2.0.1"
    __slots__ = (
        "_offline_since",
        "_physics_hooks",
        "_security_events",
        "auth",
        "availability",
        "blocks",
        "device_model",
        "diagnostics",
        "display",
        "firmware",
        "monitoring",
        "pnc",
        "provisioning",
        "reservations",
        "security",
        "smart",
        "tariff",
        "transactions",
        "trigger",
    )

    def __init__(
        self,
        station: Station,
        link_config: LinkConfig,
        *,
        db: sqlite3.Connection,
        sink: FrameSink | None = None,
        validate: bool = True,
        call_timeout: float = 30.0,
        physics_interval: float = 1.0,
        open_link_fn: LinkOpener = open_link,
        backoff: Backoff | None = None,
    ) -> None:
        # Where a full database is reported (MemoryExhaustion): nowhere until the security
        # block exists; a fault while the blocks are being built goes unreported.
        self._security_events: Security | None = None
        self._offline_since: float | None = None  # when the link went down (B04)
        super().__init__(
            station,
            link_config,
            db=db,
            sink=sink,
            validate=validate,
            call_timeout=call_timeout,
            physics_interval=physics_interval,
            open_link_fn=open_link_fn,
            backoff=backoff,
        )
        store = ConfigStore(db, self.storage)
        definition = standard_definition(tuple(1 for _ in station.connectors))
        self.device_model = DeviceModel(
            definition,
            persist=functools.partial(store.save, self._store_id),  # smaller than a lambda
            saved=store.load(self._store_id),
        )
        self.boot_reason = "PowerUp"
        if backoff is None:  # part 4 §5.3: the OCPPCommCtrlr RetryBackOff* variables
            self._backoff = RetryBackOff(self, LightRandom(station.id))  # type: ignore[assignment]
        self._build_blocks()
        # M05.FR.14/16: a TLS attempt may retry with the fallback CSMS root.
        self._open_link = self.security.open_verified(self._open_link)
        self._physics_hooks = _hooked(self.blocks, "on_physics")  # shared tuple, one per layout
        self.session.handlers = HandlerTable(self.blocks)
        self.session.refuse_unanswered = True  # B03.FR.08: SecurityError while Rejected
        self.heartbeat_interval = int(self.variable("OCPPCommCtrlr", "HeartbeatInterval") or 0)
        self._apply_ping_interval()

    def _apply_ping_interval(self) -> None:
        """OCPPCommCtrlr.WebSocketPingInterval onto the link (part 4 §8.4; 0 disables).

        The next connection opens with it, and an open link changes its keepalive
        at once, as a 1.6 station does with its WebSocketPingInterval key: a
        half-open connection is then found within one interval plus its timeout,
        not only when a CALL times out.
        """
        seconds = self.number("OCPPCommCtrlr", "WebSocketPingInterval")
        self.link_config.ping_interval = seconds or None
        link = self._link
        if link is not None and hasattr(link, "set_ping_interval"):
            link.set_ping_interval(self.link_config.ping_interval)

    def _build_blocks(self) -> None:
        """Each block with the station's services and a port of each block it talks to."""
        sessions = TxSessions.of(self.evse_ids())
        self.security = Security(self)  # A, M
        self._security_events = self.security
        self.firmware = Firmware(self, self.security, self.security.certificates)  # L
        self.display = DisplayMessages(self, sessions)  # O
        self.tariff = TariffCost(self, sessions, self.display)  # I
        self.smart = SmartCharging(self, sessions, self.security.certificates)  # K
        groups = TokenGroupMemo(AuthCache201(self), LocalList201(self))
        self.reservations = Reservations(self, groups)  # H
        self.auth = Authorization(self, groups, self.reservations)  # C, D
        self.transactions = Transactions(  # E, F, J
            self, sessions, self.auth, self.reservations, self.smart, self.tariff
        )
        self.pnc = PlugAndCharge(  # C07
            self, self.transactions, self.security.certificates, self.smart.iso15118
        )
        self.provisioning = Provisioning(self, self.security, self.firmware, self.transactions)  # B
        self.availability = Availability(self, sessions)  # G
        self.diagnostics = Diagnostics(self, self.firmware, self.auth, self.security)  # N
        self.monitoring = Monitoring(self, sessions)  # N (monitors, NotifyEvent)
        self.trigger = RemoteTrigger(self, sessions, self._triggers)  # F06, P (DataTransfer)
        # The order the hooks run in.
        self.blocks: list[Block[Any]] = [
            self.provisioning,
            self.security,
            self.auth,
            self.transactions,
            self.pnc,
            self.availability,
            self.reservations,
            self.tariff,
            self.smart,
            self.firmware,
            self.diagnostics,
            self.monitoring,
            self.display,
            self.trigger,
        ]

    def _triggers(self) -> dict[str, Trigger]:
        """What TriggerMessage can ask for: the union of every block's triggers (F06)."""
        table: dict[str, Trigger] = {}
        for block in self.blocks:
            table.update(block.triggers())
        return table

    @property
    def _store_id(self) -> str:
        # The 2.0.1 device model lives beside a 1.6 configuration of the same station id.
        return f"{self.station.id}#2.0.1"

    # ------------------------------------------------------------ device model access
    def variable(
        self,
        component: str,
        variable: str,
        instance: str | None = None,
        attribute: AttributeType = AttributeType.ACTUAL,
    ) -> str | None:
        """A device-model value as text (None if the station does not have it)."""
        if isinstance(component, str):  # blocks read their controllers on every tick
            return self.device_model.value_by_name(component, variable, instance, attribute)
        return self.device_model.value(component, VariableKey(variable, instance), attribute)

    def flag(self, component: str, variable: str, instance: str | None = None) -> bool:
        return self.variable(component, variable, instance) == "true"

    def number(self, component: str, variable: str, instance: str | None = None) -> float:
        text = self.variable(component, variable, instance)
        return float(text) if text else 0.0

    def set_own_variable(
        self, component: Any, variable: Any, value: str, attribute=AttributeType.ACTUAL
    ) -> None:
        """The station writes its own device model (read-only values too), then tells the blocks."""
        self.device_model.update(component, variable, value, attribute)
        self.variable_changed(component, variable)

    def variable_changed(self, component: Any, variable: Any) -> None:
        comp = component if isinstance(component, str) else component.name
        if isinstance(variable, str):
            name, instance = variable, None
        else:
            name, instance = variable.name, variable.instance
        if (comp, name) == ("OCPPCommCtrlr", "HeartbeatInterval"):
            self.heartbeat_interval = int(self.variable(comp, name) or 0)
            if self.online:
                self._schedule_heartbeat()
        elif (comp, name) == ("OCPPCommCtrlr", "WebSocketPingInterval"):
            self._apply_ping_interval()  # B05: a SetVariables change applies at once
        elif (comp, name, instance) == ("OCPPCommCtrlr", "MessageTimeout", "Default"):
            # How long the station waits for the CSMS's reply to a CALL (OCPPCommCtrlr
            # MessageTimeout; E13 counts it in the wait between TransactionEvent tries).
            self.session.call_timeout = float(self.number(comp, name, instance))
        for block in self.blocks:
            block.on_variable_changed(comp, name, instance)
        # One event per change, after the blocks reacted, for views (the device-model browser).
        key = ComponentKey(component) if isinstance(component, str) else component
        self.events.emit(VariableChanged(comp, name, instance, key))

    # ------------------------------------------------------------ public control
    async def start(self) -> None:
        """Power on: recover what a previous run left behind, then connect and boot."""
        for block in self.blocks:
            block.on_start()
        self._start_link()

    async def stop(self, *, drain_timeout: float = 10.0) -> None:
        # ``drain_timeout`` is real seconds: the patience of whoever stops the station (the
        # app, a test's teardown), which must run out even when nothing moves a manual clock.
        for block in self.blocks:
            try:
                await asyncio.wait_for(block.on_stop(), drain_timeout)
            except TimeoutError:
                log.warning("%s: %s did not stop in time", self.station.id, type(block).__name__)
        await self._shut_down()

    async def reboot_as(self, reason: str = "RemoteReset") -> None:
        """Power-cycle the station and boot again with ``reason`` (B11.FR.03, B01.FR.03).

        ``reason`` is a BootReasonEnumType value; anything else is refused here, before
        the station goes down, rather than failing the BootNotification afterwards.
        """
        if reason not in BOOT_REASONS:
            known = ", ".join(sorted(BOOT_REASONS))
            raise ValueError(f"{reason!r} is not a 2.0.1 boot reason; use one of {known}")
        for block in self.blocks:
            block.on_reboot()
        self.boot_reason = reason
        await self._power_cycle()  # dark for the template's boot duration

    async def reboot(self, kind: RebootKind = RebootKind.LOCAL) -> None:
        """Reboot for a version-neutral ``kind``: running transactions end first, their
        Ended events go out (bounded wait), then the station boots with the mapped reason."""
        boot_reason, stopped_reason, trigger = REBOOT_MAPPING[kind]
        transactions = self.transactions
        ended = False
        for evse_id in self.evse_ids():
            if transactions.active(evse_id) is not None:
                transactions.stop(evse_id, stopped_reason, trigger)
                ended = True
        if ended and self.accepted and len(transactions.queue):
            try:
                # Bounded by the call timeout, on the same (wall) timers as that timeout.
                await wait_for(
                    self.clock.wall, transactions.drained(), self.session.call_timeout + 1.0
                )
            except TimeoutError:
                log.warning("%s: Ended events stay queued over the reboot", self.station.id)
        if kind is RebootKind.LOCAL:
            self.security.notify("ResetOrReboot", "rebooted at the station")
        await self.reboot_as(boot_reason)

    async def send_heartbeat(self) -> None:
        """A Heartbeat now (TriggerMessage Heartbeat, F06), besides the scheduled ones."""
        await self._heartbeat()

    async def drop_link(self) -> None:
        """Close the connection; the link loop reconnects with the current settings."""
        await self._close_link()

    def evse_ids(self) -> list[int]:
        return [c.id for c in self.station.connectors]

    # ------------------------------------------------------------ statuses
    def status_of(self, evse_id: int) -> ConnectorStatus:
        return connector_status(self.station.connector(evse_id))

    def _status_keys(self) -> list[Hashable]:
        return list(self.evse_ids())

    def _status_report(self, key: Hashable) -> ConnectorStatus:
        return self.status_of(_evse(key))

    def _status_payload(self, key: Hashable, report: ConnectorStatus) -> dict[str, Any]:
        return status_payload(report, _evse(key), iso(self.clock.now()))

    def _status_held(self, key: Hashable) -> bool:
        # G03.FR.05/06, G04.FR.06: the transaction ends (Ended on its way) before the
        # connector's new status is reported.
        return self.transactions.queue.holds_status(_evse(key))

    def _status_matches(self, key: Hashable, status: str) -> bool:
        # A 2.0.1 connector is only Occupied while charging; the step language may also
        # name the transaction's chargingState (Charging, SuspendedEV, EVConnected, ...).
        evse_id = _evse(key)
        if self.status_of(evse_id).status == status:
            return True
        tx = self.transactions.active(evse_id)
        return tx is not None and tx.charging_state == status

    def resend_status(self, evse_id: int | None = None) -> None:
        """Report statuses again even if unchanged (TriggerMessage StatusNotification, F06)."""
        for key in [evse_id] if evse_id is not None else self.evse_ids():
            self._statuses.reported.pop(key, None)
        self.status_may_have_changed()

    def _on_model_event(self, event: Any) -> None:
        if isinstance(event, ConnectorChanged) and event.reason == "transaction_started":
            self.ensure_physics()
        for block in self.blocks:
            block.on_model_event(event)
        super()._on_model_event(event)

    def _physics_step(self) -> None:
        blocks = self.blocks
        for i in self._physics_hooks:
            blocks[i].on_physics()

    def _own_physics_due_in(self) -> float | None:
        return self.transactions.seconds_to_allowance()

    def _fine_physics(self) -> bool:
        return self.monitoring.watches_measurements()

    def _storage_fault_raised(self, event: StorageFaultChanged) -> None:
        security = self._security_events
        if security is not None and event.kind == FULL:
            # Part 2 appendix 1: MemoryExhaustion, "flash ... getting full" (critical, A04).
            security.notify("MemoryExhaustion", f"database: {event.detail}")

    # ------------------------------------------------------------ connection hooks
    def _connect_config(self) -> LinkConfig:
        return self.security.link_config()

    def _on_connect_failed(self, exc: LinkError) -> None:
        self.security.on_connect_failed(exc)

    def _on_connected(self) -> None:
        self.security.on_connected()

    def _on_link_down(self) -> None:
        self._offline_since = self.clock.monotonic()
        for block in self.blocks:
            block.on_link_down()

    async def _after_connect(self) -> None:
        # B04.FR.01: back after more than OfflineThreshold seconds, every connector's
        # status is sent again; after less (B04.FR.02) only the ones that changed.
        since, self._offline_since = self._offline_since, None
        if since is not None and self.registration == "Accepted":
            threshold = self.number("OCPPCommCtrlr", "OfflineThreshold")
            if self.clock.monotonic() - since > threshold:
                self._statuses.reported.clear()
        await super()._after_connect()

    def _on_link_accepted(self) -> None:
        for block in self.blocks:
            block.on_accepted()

    def boot_payload(self) -> dict[str, Any]:
        """BootNotificationRequest (B01.FR.01, B01.FR.09)."""
        identity = self.station.identity
        station: dict[str, Any] = {
            "model": identity.model[:20],
            "vendorName": identity.vendor[:50],
        }
        if identity.serial_number:
            station["serialNumber"] = identity.serial_number[:25]
        if identity.firmware_version:
            station["firmwareVersion"] = identity.firmware_version[:50]
        modem = {k: v[:20] for k, v in (("iccid", identity.iccid), ("imsi", identity.imsi)) if v}
        if modem:
            station["modem"] = modem
        return {"reason": self.boot_reason or "PowerUp", "chargingStation": station}

    def _boot_accepted(self, interval: int) -> None:
        if interval > 0:  # B01.FR.04
            before = self.variable("OCPPCommCtrlr", "HeartbeatInterval")
            self.device_model.update("OCPPCommCtrlr", "HeartbeatInterval", str(interval))
            self.heartbeat_interval = interval
            # Written past variable_changed (the heartbeat is scheduled after the boot);
            # views still hear of it.
            if before != str(interval):
                self.events.emit(
                    VariableChanged(
                        "OCPPCommCtrlr",
                        "HeartbeatInterval",
                        None,
                        ComponentKey("OCPPCommCtrlr"),
                    )
                )
        self.boot_reason = "PowerUp"
