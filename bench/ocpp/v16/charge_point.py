"""The charge point side of OCPP 1.6J for one station: link, boot, heartbeat, statuses.

``ChargePoint16`` ties the model (``bench.model``) to a CSMS. It owns the
connection loop (reconnect with back-off), the boot sequence (1.6 §4.2), the
heartbeat (§4.6), StatusNotification derived from the model (§4.9) and the
station's tasks. Transactions and metering live in ``transactions.py``,
authorization in ``authorization.py``, CSMS-initiated requests in
``handlers.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections.abc import Hashable
from typing import Any

from bench.kernel.frames import FrameSink
from bench.model.changes import ConnectorChanged
from bench.model.connector import Connector
from bench.model.station import Station
from bench.ocpp.charge_point_base import (
    CONNECTED,
    CONNECTING,
    OFFLINE,
    STOPPED,
    AuthorizationResult,
    LinkChanged,
    LinkOpener,
    RegistrationChanged,
)
from bench.ocpp.common.security_events import SecurityLog
from bench.ocpp.common.timestamps import iso
from bench.ocpp.status_reporting import StatusSent
from bench.ocpp.v16.api_impl import Api16
from bench.ocpp.v16.authorization import Authorizer
from bench.ocpp.v16.config import Configuration
from bench.ocpp.v16.extended_trigger import ExtendedTrigger
from bench.ocpp.v16.firmware import FirmwareManagement
from bench.ocpp.v16.handlers import CoreHandlers, HandlerTable
from bench.ocpp.v16.keys import ALL_KEYS
from bench.ocpp.v16.local_list import LocalAuthList
from bench.ocpp.v16.ports import SecurityEvents
from bench.ocpp.v16.reservation import Reservations
from bench.ocpp.v16.security import EVENTS, Security
from bench.ocpp.v16.security_gate import ExtensionGate
from bench.ocpp.v16.smart_charging import SmartCharging
from bench.ocpp.v16.status import (
    STATION_OPERATIVE,
    StatusReport,
    connector_status,
    station_status,
    status_payload,
)
from bench.ocpp.v16.transactions import Transactions
from bench.ocpp.v16.trigger import RemoteTrigger
from bench.store.config import ConfigStore
from bench.store.faults import FULL, StorageFaultChanged
from bench.transport.backoff import Backoff
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError
from bench.transport.websocket import open_link

log = logging.getLogger(__name__)

__all__ = [
    "CONNECTED",
    "CONNECTING",
    "OFFLINE",
    "STOPPED",
    "AuthorizationResult",
    "ChargePoint16",
    "LinkChanged",
    "RegistrationChanged",
    "StatusSent",
]


class ChargePoint16(Api16):
    """One station speaking OCPP 1.6J to one CSMS."""

    version = "1.6"
    __slots__ = (
        "_security_events",
        "authorizer",
        "config",
        "extended_trigger",
        "firmware",
        "local_list",
        "reservations",
        "security",
        "smart",
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
        self._security_events: SecurityEvents | None = None
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
        config_store = ConfigStore(db, self.storage)
        self.config = Configuration(
            ALL_KEYS,
            config_store.load(station.id),
            persist=lambda key, value: config_store.save(station.id, key, value),
        )
        self.config.on_change = self._on_config_change
        self._apply_template_keys()
        # Each block is built with what it uses; one built later is handed to those that
        # call it (no block reaches another through the charge point).
        self.local_list = LocalAuthList(
            station,
            db=db,
            clock=self.clock,
            config=self.config,
            tasks=self.tasks,
            session=self.session,
            link=self,
            statuses=self,
        )
        self.authorizer = Authorizer(
            station,
            db=db,
            storage=self.storage,
            clock=self.clock,
            config=self.config,
            session=self.session,
            link=self,
            local_list=self.local_list,
        )
        self.smart = SmartCharging(
            station,
            clock=self.clock,
            config=self.config,
            state=self.state,
            events=self.events,
            tasks=self.tasks,
        )
        self.reservations = Reservations(
            station,
            clock=self.clock,
            config=self.config,
            tasks=self.tasks,
            authorizer=self.authorizer,
            statuses=self,
        )
        self.transactions = Transactions(
            station,
            db=db,
            storage=self.storage,
            clock=self.clock,
            config=self.config,
            tasks=self.tasks,
            state=self.state,
            events=self.events,
            link=self,
            authorizer=self.authorizer,
            reservations=self.reservations,
            smart=self.smart,
            local_list=self.local_list,
        )
        # The station's setting for the security extension, and what its CSMS refuses.
        gate = ExtensionGate(station.id, bool(station.template.security_extension))
        self.security = Security(
            station.id,
            db=db,
            clock=self.clock,
            config=self.config,
            state=self.state,
            events=self.events,
            tasks=self.tasks,
            session=self.session,
            base_link=self.link_config,
            link=self,
            reconnector=self,
            gate=gate,
            security_log=SecurityLog(self, station.id, EVENTS, gate),
        )
        self._security_events = self.security
        self.firmware = FirmwareManagement(
            station,
            clock=self.clock,
            config=self.config,
            state=self.state,
            events=self.events,
            link=self,
            security=self.security,
            gate=gate,
            power=self,
            archives=self,
        )
        self.trigger = RemoteTrigger(
            station,
            clock=self.clock,
            config=self.config,
            tasks=self.tasks,
            session=self.session,
            statuses=self,
            messages=self,
            firmware=self.firmware,
        )
        self.extended_trigger = ExtendedTrigger(
            station,
            clock=self.clock,
            config=self.config,
            tasks=self.tasks,
            session=self.session,
            gate=gate,
            statuses=self,
            messages=self,
            certificates=self.security,
            firmware=self.firmware,
        )
        core = CoreHandlers(
            station,
            config=self.config,
            state=self.state,
            tasks=self.tasks,
            authorizer=self.authorizer,
            transactions=self.transactions,
            smart=self.smart,
            power=self,
        )
        blocks = (
            self.smart,
            self.firmware,
            self.local_list,
            self.reservations,
            self.trigger,
            self.security,
            self.extended_trigger,
        )
        self.session.handlers = HandlerTable(core, blocks, self.security)
        self.heartbeat_interval = self.config.value("HeartbeatInterval")

    # ------------------------------------------------------------ public control
    async def start(self) -> None:
        """Power on: recover what a previous run left behind, then connect and boot."""
        self._restore_availability()
        self.transactions.recover_after_restart()
        self.security.notify("StartupOfTheDevice")  # [security] whitepaper §8
        self._start_link()

    def _restore_availability(self) -> None:
        # 1.6 §5.2: a connector set Inoperative by ChangeAvailability stays so across reboots.
        for connector in self.station.connectors:
            operative = self.state.get(self.station.id, f"operative_{connector.id}")
            if operative is not None and bool(operative) != connector.operative:
                connector.set_operative(bool(operative))

    async def stop(self, *, drain_timeout: float = 10.0) -> None:
        """Disconnect cleanly: give queued transaction messages a chance to go first.

        ``drain_timeout`` is real seconds, here and in ``reboot``: the patience of whoever
        stops the station (the app, a test's teardown), which must run out even when
        nothing moves a manual clock.
        """
        if self.accepted and len(self.transactions.queue):
            try:
                await asyncio.wait_for(self.transactions.drained(), drain_timeout)
            except TimeoutError:
                log.warning(
                    "%s: %d queued messages stay queued",
                    self.station.id,
                    len(self.transactions.queue),
                )
        await self._shut_down()

    async def reset(
        self, stop_reason: str | None = "Reboot", *, drain_timeout: float = 10.0
    ) -> None:
        """Power-cycle the station: stop transactions, drop the link, boot again (1.6 §4.2)."""
        if stop_reason is not None:
            for connector in self.station.connectors:
                if connector.transaction is not None:
                    self.transactions.stop(connector, stop_reason)
        if (
            stop_reason not in (None, "HardReset")
            and self.accepted
            and len(self.transactions.queue)
        ):
            # 1.6 §5.14: a graceful restart sends StopTransaction before it resets; what
            # the CSMS does not acknowledge in time stays queued. A hard reset does not wait.
            try:
                await asyncio.wait_for(self.transactions.drained(), drain_timeout)
            except TimeoutError:
                log.warning("%s: restarting with queued messages", self.station.id)
        self.security.notify("ResetOrReboot", stop_reason)  # [security] whitepaper §8
        self.transactions.cancel_timers()
        await self._power_cycle()  # dark for the template's boot duration

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        """Send DataTransfer.req (1.6 §4.3) and return the CSMS's reply."""
        payload: dict[str, Any] = {"vendorId": vendor_id}
        if message_id is not None:
            payload["messageId"] = message_id
        if data is not None:
            payload["data"] = data
        return await self.session.call("DataTransfer", payload)

    # ------------------------------------------------------------ statuses
    def status_of(self, connector_id: int) -> StatusReport:
        if connector_id == 0:
            operative = self.state.get(self.station.id, STATION_OPERATIVE)
            return station_status(self.station, operative=operative is not False)
        connector = self.station.connector(connector_id)
        report = self._own_status(connector)
        if report.status == "Available" and self.reservations.zero is not None:
            # 1.6 §5.13, §4.9: a reservation of connector 0 keeps one connector for its
            # idTag; when only this one is left Available it is that connector, Reserved
            # (OCTT TC_049_CS).
            others = (c for c in self.station.connectors if c is not connector)
            if all(self._own_status(c).status != "Available" for c in others):
                return dataclasses.replace(report, status="Reserved")
        return report

    def _own_status(self, connector: Connector) -> StatusReport:
        """The connector's status from its own state (no connector-0 reservation)."""
        waiting = self.transactions.is_waiting_for_cable(connector.id)
        return connector_status(connector, authorized_waiting=waiting)

    def _status_keys(self) -> list[Hashable]:
        return [0, *(c.id for c in self.station.connectors)]

    def _status_report(self, key: Hashable) -> StatusReport:
        return self.status_of(key)  # type: ignore[arg-type]

    def _status_payload(self, key: Hashable, report: StatusReport) -> dict[str, Any]:
        return status_payload(report, key, iso(self.clock.now()))  # type: ignore[arg-type]

    def _status_held(self, key: Hashable) -> bool:
        # 1.6 §4.8, §5.2, §5.11: a connector's status follows its Start/StopTransaction.
        return self.transactions.holds_status(key)  # type: ignore[arg-type]

    def _status_settle_seconds(self) -> float:
        # 1.6 §9.1.20 MinimumStatusDuration
        return float(self.config.value("MinimumStatusDuration"))

    def _on_model_event(self, event: Any) -> None:
        if isinstance(event, ConnectorChanged) and event.reason == "transaction_started":
            self.ensure_physics()
        self.transactions.on_model_event(event)
        super()._on_model_event(event)

    # ------------------------------------------------------------ connection hooks
    def _connect_config(self) -> LinkConfig:
        # [security] the profile in force, its credentials and trust anchors (A05).
        return self.security.link_config()

    def _on_connect_failed(self, exc: LinkError) -> None:
        self.security.on_connect_failed(exc)  # [security] events, A05 fallback

    def _on_connected(self) -> None:
        self.security.on_connected()  # [security] confirms an upgraded profile

    def _on_link_down(self) -> None:
        self.transactions.on_link_down()

    def _on_link_accepted(self) -> None:
        self.transactions.on_link_up()
        self.security.on_accepted()  # [security] queued SecurityEventNotifications (A04.FR.02)

    def boot_payload(self) -> dict[str, Any]:
        """BootNotification.req (1.6 §4.2, §6.2): field lengths as the schema allows."""
        identity = self.station.identity
        payload: dict[str, Any] = {
            "chargePointVendor": identity.vendor[:20],
            "chargePointModel": identity.model[:20],
            "chargePointSerialNumber": identity.serial_number[:25],
            "firmwareVersion": identity.firmware_version[:50],
        }
        for field, value in (
            ("chargeBoxSerialNumber", identity.charge_box_serial_number),
            ("iccid", identity.iccid),
            ("imsi", identity.imsi),
            ("meterType", identity.meter_type),
            ("meterSerialNumber", identity.meter_serial_number),
        ):
            if value:
                payload[field] = value
        return payload

    def _boot_accepted(self, interval: int) -> None:
        if interval > 0:
            self.heartbeat_interval = interval
            self.config.set("HeartbeatInterval", str(interval))

    def _storage_fault_raised(self, event: StorageFaultChanged) -> None:
        security = self._security_events
        if security is not None and event.kind == FULL:
            # [security] whitepaper §8: MemoryExhaustion, "flash ... getting full" (critical).
            security.notify("MemoryExhaustion", f"database: {event.detail}")

    # ------------------------------------------------------------ physics
    def _physics_step(self) -> None:
        self.transactions.refresh_limits()
        self.transactions.check_energy_allowance()

    def _own_physics_due_in(self) -> float | None:
        return self.transactions.seconds_to_allowance()

    # ------------------------------------------------------------ configuration
    def _apply_template_keys(self) -> None:
        count = str(len(self.station.connectors))
        if self.config.raw("NumberOfConnectors") != count:
            self.config.set("NumberOfConnectors", count)
        if self.config.raw("WebSocketPingInterval") == "0" and self.link_config.ping_interval:
            self.config.set("WebSocketPingInterval", str(int(self.link_config.ping_interval)))
        elif self.config.value("WebSocketPingInterval"):
            self.link_config.ping_interval = float(self.config.value("WebSocketPingInterval"))
        stored_key = self.config.raw("AuthorizationKey")
        if stored_key and not self.link_config.password:
            # A key the CSMS set earlier (security whitepaper §3.1) outlives a restart.
            self.link_config.password = stored_key

    def _on_config_change(self, name: str, value: Any) -> None:
        if name == "HeartbeatInterval":
            self.heartbeat_interval = value
            if self.online:
                self._schedule_heartbeat()
        elif name in ("MeterValueSampleInterval", "ClockAlignedDataInterval"):
            self.transactions.on_interval_change(name)
        elif name == "WebSocketPingInterval":
            # 1.6 §9.1.34: applied to the open link at once, and to every later one.
            self.link_config.ping_interval = float(value) or None
            if self._link is not None and hasattr(self._link, "set_ping_interval"):
                self._link.set_ping_interval(self.link_config.ping_interval)
        elif name == "AuthorizationKey":
            self.link_config.password = value
