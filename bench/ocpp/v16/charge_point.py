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
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.model.events import Emitter
from bench.model.rng import LightRandom
from bench.model.station import Station
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.flag import Flag
from bench.ocpp.log import FrameSink
from bench.ocpp.session import OcppSession
from bench.ocpp.supervisor import Supervisor
from bench.ocpp.v16.authorization import Authorizer
from bench.ocpp.v16.config import Configuration
from bench.ocpp.v16.firmware import FirmwareManagement
from bench.ocpp.v16.handlers import HandlerTable
from bench.ocpp.v16.keys import ALL_KEYS
from bench.ocpp.v16.local_list import LocalAuthList
from bench.ocpp.v16.metering import iso
from bench.ocpp.v16.reservation import Reservations
from bench.ocpp.v16.security import Security
from bench.ocpp.v16.smart_charging import SmartCharging
from bench.ocpp.v16.status import StatusReport, connector_status, station_status, status_payload
from bench.ocpp.v16.transactions import Transactions
from bench.ocpp.v16.trigger import RemoteTrigger
from bench.store.config import ConfigStore, StateStore
from bench.transport.backoff import Backoff
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError
from bench.transport.websocket import open_link

log = logging.getLogger(__name__)

# Link states shown to users (CLI, GUI badge).
CONNECTING, CONNECTED, OFFLINE, STOPPED = "connecting", "connected", "offline", "stopped"
# Virtual seconds between boots when the CSMS gives no interval or does not answer.
BOOT_RETRY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class LinkChanged:
    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RegistrationChanged:
    status: str  # "Pending" | "Accepted" | "Rejected"
    interval: int


@dataclass(frozen=True, slots=True)
class StatusSent:
    connector_id: int
    report: StatusReport


@dataclass(frozen=True, slots=True)
class AuthorizationResult:
    id_tag: str
    status: str
    connector_id: int | None


LinkOpener = Callable[[LinkConfig], Any]


class ChargePoint16:
    """One station speaking OCPP 1.6J to one CSMS."""

    version = "1.6"
    __slots__ = (
        "_accepted",
        "_backoff",
        "_boot_wake",
        "_link",
        "_network_enabled",
        "_open_link",
        "_reported",
        "_status_changed",
        "_status_dirty",
        "_status_task",
        "_stopping",
        "_unsubscribe",
        "_wake",
        "authorizer",
        "boot_reason",
        "clock",
        "config",
        "db",
        "events",
        "firmware",
        "heartbeat_interval",
        "last_heartbeat",
        "last_link_error",
        "link_config",
        "link_state",
        "local_list",
        "physics_interval",
        "registration",
        "reservations",
        "security",
        "session",
        "smart",
        "state",
        "station",
        "tasks",
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
        self.station = station
        self.clock = station.clock
        self.link_config = link_config
        self.db = db
        self.events = Emitter()
        self.state = StateStore(db)
        config_store = ConfigStore(db)
        self.config = Configuration(
            ALL_KEYS,
            config_store.load(station.id),
            persist=lambda key, value: config_store.save(station.id, key, value),
        )
        self.config.on_change = self._on_config_change
        self._apply_template_keys()
        self.session = OcppSession(
            _NoLink(),
            version="1.6",
            station_id=station.id,
            handlers={},
            sink=sink,
            timestamp=lambda: self.clock.now().timestamp(),
            call_timeout=call_timeout,
            validate=validate,
        )
        self.tasks = Supervisor(station.id)
        self.authorizer = Authorizer(self)
        self.transactions = Transactions(self)
        # The feature blocks beyond Core, each in its own module.
        self.smart = SmartCharging(self)
        self.firmware = FirmwareManagement(self)
        self.local_list = LocalAuthList(self)
        self.reservations = Reservations(self)
        self.trigger = RemoteTrigger(self)
        self.security = Security(self)
        self.session.handlers = HandlerTable(self)
        self.physics_interval = physics_interval
        self._open_link = open_link_fn
        self._backoff = backoff or Backoff(rng=LightRandom(station.id))  # type: ignore[arg-type]
        self.link_state = STOPPED
        self.registration = "None"  # until the first BootNotification.conf
        self.heartbeat_interval = self.config.value("HeartbeatInterval")
        self.boot_reason: str | None = None
        self._network_enabled = True
        self._wake = Flag()
        self._status_changed = Flag()
        self._reported: dict[int, StatusReport] = {}
        self._status_dirty = False
        self._status_task: asyncio.Task[None] | None = None
        self._link: Any = None
        self._stopping = False
        self._accepted = Flag()
        self._boot_wake = Flag()
        self.last_heartbeat: float | None = None
        self.last_link_error: str | None = None
        self._unsubscribe = station.events.subscribe(self._on_model_event)

    # ------------------------------------------------------------ public control
    @property
    def online(self) -> bool:
        return self.link_state == CONNECTED

    @property
    def accepted(self) -> bool:
        return self.online and self.registration == "Accepted"

    async def start(self) -> None:
        """Power on: recover what a previous run left behind, then connect and boot."""
        self._stopping = False
        self._restore_availability()
        self.transactions.recover_after_restart()
        self.security.notify("StartupOfTheDevice")  # [security] whitepaper §8
        self.tasks.spawn(self._run(), name=f"{self.station.id}:link")
        self._schedule_physics()

    def _restore_availability(self) -> None:
        # 1.6 §5.2: a connector set Inoperative by ChangeAvailability stays so across reboots.
        for connector in self.station.connectors:
            operative = self.state.get(self.station.id, f"operative_{connector.id}")
            if operative is not None and bool(operative) != connector.operative:
                connector.set_operative(bool(operative))

    async def stop(self, *, drain_timeout: float = 10.0) -> None:
        """Disconnect cleanly: give queued transaction messages a chance to go first."""
        if self.accepted and len(self.transactions.queue):
            try:
                await asyncio.wait_for(self.transactions.drained(), drain_timeout)
            except TimeoutError:
                log.warning(
                    "%s: %d queued messages stay queued",
                    self.station.id,
                    len(self.transactions.queue),
                )
        self._stopping = True
        self._wake.set()
        await self._close_link()
        await self.tasks.aclose()
        self._set_link_state(STOPPED)
        self._unsubscribe()

    async def wait_accepted(self, timeout: float) -> None:
        await asyncio.wait_for(self._accepted.wait(), timeout)

    def cut_network(self) -> None:
        """Simulate a network loss: drop the link and stay offline until restored."""
        self._network_enabled = False
        self.tasks.spawn(self._close_link(), name=f"{self.station.id}:cut")

    def restore_network(self) -> None:
        self._network_enabled = True
        self._backoff.reset()
        self._wake.set()

    async def reboot(
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
        self.station.power_off()
        self.registration = "None"
        self._accepted.clear()
        self._reported.clear()
        self.transactions.cancel_timers()
        await self._close_link()
        self.station.power_on()
        self._wake.set()

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

    def present_id(self, id_tag: str, connector_id: int | None = None) -> None:
        self.station.present_id(id_tag, connector_id)

    # ------------------------------------------------------------ statuses
    def status_of(self, connector_id: int) -> StatusReport:
        if connector_id == 0:
            return station_status(self.station)
        connector = self.station.connector(connector_id)
        waiting = self.transactions.is_waiting_for_cable(connector_id)
        return connector_status(connector, authorized_waiting=waiting)

    async def wait_status(self, connector_id: int, status: str, timeout: float) -> bool:
        """Wait up to ``timeout`` virtual seconds for the connector to show ``status``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.clock.real_seconds(timeout)
        for _ in range(100_000):
            if self.status_of(connector_id).status == status:
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._status_changed.clear()
            try:
                await asyncio.wait_for(self._status_changed.wait(), min(remaining, 0.5))
            except TimeoutError:
                self.station.tick()
        return False

    def _on_model_event(self, event: Any) -> None:
        if getattr(event, "reason", None) == "transaction_started":
            self.ensure_physics()
        self.transactions.on_model_event(event)
        self._status_changed.set()
        self.status_may_have_changed()

    def status_may_have_changed(self) -> None:
        self._status_changed.set()
        if not self.accepted:
            return
        settle = self.config.value("MinimumStatusDuration")
        if settle > 0:
            # 1.6 §9.1.20: report a status only once it has been stable this long;
            # every change restarts the wait, so short-lived statuses are never sent.
            self.tasks.later("status-settle", self.clock.real_seconds(settle), self._status_due)
            return
        self._status_due()

    def _status_due(self) -> None:
        if not self.accepted:
            return
        self._status_dirty = True
        if self._status_task is None or self._status_task.done():
            self._status_task = self.tasks.spawn(self._send_statuses(), name="status")

    async def _send_statuses(self) -> None:
        # Coalesces bursts of model events into one notification per changed connector.
        for _ in range(100):
            self._status_dirty = False
            ids = [0, *(c.id for c in self.station.connectors)]
            for connector_id in ids:
                report = self.status_of(connector_id)
                if self._reported.get(connector_id) == report:
                    continue
                if not self.accepted:
                    return
                payload = status_payload(report, connector_id, iso(self.clock.now()))
                try:
                    await self.session.call("StatusNotification", payload)
                except (CallError, CallTimeout, InvalidReply) as exc:
                    log.warning("%s: StatusNotification failed: %s", self.station.id, exc)
                except LinkClosed:
                    return
                self._reported[connector_id] = report
                self.events.emit(StatusSent(connector_id, report))
            if not self._status_dirty:
                return

    # ------------------------------------------------------------ connection loop
    async def _run(self) -> None:
        while not self._stopping:
            if not self._network_enabled:
                self._wake.clear()
                await self._wake.wait()
                continue
            self._set_link_state(CONNECTING)
            try:
                # [security] the profile in force, its credentials and trust anchors (A05).
                link = await self._open_link(self.security.link_config())
            except LinkError as exc:
                self.security.on_connect_failed(exc)  # [security] events, A05 fallback
                self._set_link_state(OFFLINE, str(exc))
                await self._pause(self._backoff.next())
                continue
            self._backoff.reset()
            self.security.on_connected()  # [security] confirms an upgraded profile
            self._link = link
            self.session.reopen(link)
            self._set_link_state(CONNECTED)
            serve = self.tasks.spawn(self.session.serve(), name=f"{self.station.id}:serve")
            try:
                await self._after_connect()
                await serve
            except LinkClosed:
                pass
            finally:
                serve.cancel()
                self._link = None
                self.tasks.cancel_timer("heartbeat")
                self.transactions.on_link_down()
                if not self._stopping:
                    self._set_link_state(OFFLINE, "connection closed")
                    # A short pause avoids a hot loop against a CSMS that accepts then drops.
                    await self._pause(self._backoff.next())

    async def _pause(self, seconds: float) -> None:
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass

    async def _close_link(self) -> None:
        link = self._link
        if link is not None:
            await link.close()

    def _set_link_state(self, state: str, detail: str = "") -> None:
        if state == OFFLINE and detail:
            self.last_link_error = detail
        if state != self.link_state:
            self.link_state = state
            self.events.emit(LinkChanged(state, detail))

    async def _after_connect(self) -> None:
        if self.registration != "Accepted":
            await self._boot()
        else:
            # Reconnected within one power-on: report what changed while offline (1.6 §4.9).
            self.status_may_have_changed()
        self._schedule_heartbeat()
        self.transactions.on_link_up()
        self.security.on_accepted()  # [security] queued SecurityEventNotifications (A04.FR.02)

    async def _boot(self) -> None:
        """BootNotification until Accepted, honouring Pending/Rejected intervals (1.6 §4.2)."""
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
        for _ in range(1_000_000):
            self.session.answer_calls = True
            try:
                conf = await self.session.call("BootNotification", payload)
            except (CallError, CallTimeout, InvalidReply) as exc:
                log.warning("%s: BootNotification failed: %s", self.station.id, exc)
                await self._boot_pause(BOOT_RETRY_SECONDS)
                continue
            status, interval = conf["status"], int(conf["interval"])
            self.registration = status
            self.session.answer_calls = status != "Rejected"
            self.events.emit(RegistrationChanged(status, interval))
            if status == "Accepted":
                if interval > 0:
                    self.heartbeat_interval = interval
                    self.config.set("HeartbeatInterval", str(interval))
                self._accepted.set()
                # After an accepted boot every connector's status is reported (1.6 §4.2, §4.9).
                self._reported.clear()
                self.status_may_have_changed()
                return
            # Pending/Rejected: no other requests; try again after the interval (§4.2).
            await self._boot_pause(interval if interval > 0 else BOOT_RETRY_SECONDS)

    def boot_now(self) -> None:
        """A TriggerMessage for BootNotification while Pending: boot without waiting (§5.17)."""
        self._boot_wake.set()

    async def _boot_pause(self, seconds: float) -> None:
        self._boot_wake.clear()
        try:
            await asyncio.wait_for(self._boot_wake.wait(), self.clock.real_seconds(seconds))
        except TimeoutError:
            pass

    # ------------------------------------------------------------ heartbeat
    def _schedule_heartbeat(self) -> None:
        interval = self.heartbeat_interval
        if interval <= 0:
            self.tasks.cancel_timer("heartbeat")
            return
        delay = self.clock.real_seconds(interval)
        self.tasks.later("heartbeat", delay, self._heartbeat_due)

    def _heartbeat_due(self) -> None:
        if self.accepted:
            self.tasks.spawn(self._heartbeat(), name="heartbeat")
        self._schedule_heartbeat()

    async def _heartbeat(self) -> None:
        try:
            await self.session.call("Heartbeat", {})
            self.last_heartbeat = self.clock.monotonic()
        except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
            log.info("%s: heartbeat failed: %s", self.station.id, exc)

    # ------------------------------------------------------------ physics
    def _schedule_physics(self) -> None:
        self.tasks.later("physics", self.physics_interval, self._physics_tick)

    def _physics_tick(self) -> None:
        if not any(c.transaction is not None for c in self.station.connectors):
            return  # idle: no timer until the next transaction starts (ensure_physics)
        self.station.tick()
        self.transactions.refresh_limits()
        self.transactions.check_energy_allowance()
        self._schedule_physics()

    def ensure_physics(self) -> None:
        if not self._stopping and not self.tasks.has_timer("physics"):
            self._schedule_physics()

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


class _NoLink:
    """The link before the first connection: everything fails as if closed."""

    async def send(self, text: str) -> None:
        raise LinkClosed("not connected")

    async def recv(self) -> str:
        raise LinkClosed("not connected")

    async def close(self) -> None:
        return None
