"""What every charge point has, whatever OCPP version it speaks (ARCHITECTURE rule 3).

``ChargePointBase`` owns the connection loop (reconnect with back-off), the
network cut and restore, the boot pause and the heartbeat timer; the physics tick
comes from ``PhysicsSchedule`` and the coalesced status notifications from
``StatusReporting``. The version packages (``v16.charge_point``,
``v201.charge_point``) add their boot sequence, their status payloads and their
functional blocks through the hooks of all three.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.kernel.frames import FrameSink
from bench.kernel.supervisor import Supervisor
from bench.model.clock import wait_for
from bench.model.events import Emitter
from bench.model.rng import LightRandom
from bench.model.station import Station
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.flag import Flag
from bench.ocpp.misbehaving import MisbehavingSession
from bench.ocpp.physics_schedule import PhysicsSchedule
from bench.ocpp.session import OcppSession
from bench.ocpp.status_reporting import StatusReporting, StatusState
from bench.store.config import StateStore
from bench.store.faults import StorageFaultChanged, StoreHealth
from bench.store.group_commit import group_of
from bench.transport.backoff import Backoff
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError

log = logging.getLogger(__name__)

# Link states shown to users (CLI, GUI badge).
CONNECTING, CONNECTED, OFFLINE, STOPPED = "connecting", "connected", "offline", "stopped"
# Virtual seconds between boots when the CSMS gives no interval or does not answer.
BOOT_RETRY_SECONDS = 30.0

# Wall seconds (clock.wall) between attempts to write back what a refusing disk left in
# memory: the disk does not recover faster because the simulation runs faster.
STORAGE_RETRY_SECONDS = 1.0

# The link's detail while the station is off during a reboot (shown next to the badge).
REBOOTING = "rebooting"


@dataclass(frozen=True, slots=True)
class LinkChanged:
    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RegistrationChanged:
    status: str  # "Pending" | "Accepted" | "Rejected"
    interval: int


@dataclass(frozen=True, slots=True)
class AuthorizationResult:
    id_tag: str
    status: str
    connector_id: int | None


LinkOpener = Callable[[LinkConfig], Any]


class ChargePointBase(PhysicsSchedule, StatusReporting):
    """One station's link to one CSMS; subclasses speak a particular OCPP version."""

    version = ""
    __slots__ = (
        "_accepted",
        "_backoff",
        "_boot_failure",
        "_boot_wake",
        "_link",
        "_network_enabled",
        "_open_link",
        "_power_ons",
        "_statuses",
        "_stopping",
        "_unsubscribe",
        "_wake",
        "boot_reason",
        "clock",
        "db",
        "events",
        "heartbeat_interval",
        "last_heartbeat",
        "last_link_error",
        "link_config",
        "link_state",
        "powered_off_until",
        "registration",
        "session",
        "state",
        "station",
        "storage",
        "tasks",
    )

    def __init__(
        self,
        station: Station,
        link_config: LinkConfig,
        *,
        db: sqlite3.Connection,
        sink: FrameSink | None,
        validate: bool,
        call_timeout: float,
        physics_interval: float,
        open_link_fn: LinkOpener,
        backoff: Backoff | None,
    ) -> None:
        self.station = station
        self.clock = station.clock
        self.link_config = link_config
        self.db = db
        self.events = Emitter()
        # Writes the disk refuses are held in memory and retried (bench/store/faults.py).
        self.storage = StoreHealth(station.id, on_change=self._on_storage_fault)
        self.state = StateStore(db, health=self.storage)
        misbehaviour = station.template.misbehave
        session_kind = OcppSession if misbehaviour == "none" else _misbehaving(misbehaviour)
        self.session = session_kind(
            _NoLink(),
            version=self.version,
            station_id=station.id,
            handlers={},
            sink=sink,
            timestamp=self._timestamp,
            call_timeout=call_timeout,
            timers=self.clock.wall,
            validate=validate,
        )
        self.tasks = Supervisor(station.id, clock=self.clock)
        # Wall seconds between physics ticks: the simulation's refresh rate, not protocol time.
        self.physics_interval = physics_interval
        self.watched = False  # see watch(): physics at the fine rate while True
        self._open_link = open_link_fn
        self._backoff = backoff or Backoff(rng=LightRandom(station.id))  # type: ignore[arg-type]
        self.link_state = STOPPED
        self.registration = "None"  # until the first accepted BootNotification reply
        # Counts power-ons (see _forget_registration): a boot reply that arrives after the
        # power went belongs to a power-on that is over.
        self._power_ons = 0
        self.heartbeat_interval = 0
        self.boot_reason: str | None = None
        self._network_enabled = True
        self._wake = Flag()
        self._statuses = StatusState()
        self._link: Any = None
        self._stopping = False
        self._accepted = Flag()
        self._boot_wake = Flag()
        self._boot_failure: str | None = None  # why the last boot attempt dropped its link
        self.last_heartbeat: float | None = None
        self.last_link_error: str | None = None
        # While a reboot keeps the station dark: the station-clock time (clock.monotonic())
        # its power comes back; None otherwise.
        self.powered_off_until: float | None = None
        self._unsubscribe = station.events.subscribe(self._on_model_event)

    def _timestamp(self) -> float:
        # The session's frame time; a method, not a lambda: a third of the size a station.
        return self.clock.now().timestamp()

    # ------------------------------------------------------------ hooks
    def _connect_config(self) -> LinkConfig:
        """The link settings to connect with (a security block may substitute its own)."""
        return self.link_config

    def _on_connect_failed(self, exc: LinkError) -> None:
        """A connection attempt failed (security events, profile fallback)."""

    def _on_connected(self) -> None:
        """A connection was opened, before anything is sent on it."""

    def _on_link_down(self) -> None:
        """The link closed (pause retries, start queueing)."""

    async def _after_connect(self) -> None:
        """A connection is open: boot unless accepted within this power-on, then hand over."""
        if self.registration != "Accepted":
            await self._boot()
        else:
            # Reconnected within one power-on: report what changed while offline (1.6 §4.9).
            self.status_may_have_changed()
        self._schedule_heartbeat()
        self._on_link_accepted()

    def _on_link_accepted(self) -> None:
        """Registered on this connection: deliver what waited (queued messages, events)."""

    def boot_payload(self) -> dict[str, Any]:
        """The BootNotification request (1.6 §4.2, B01.FR.01)."""
        raise NotImplementedError

    def _boot_accepted(self, interval: int) -> None:
        """The CSMS accepted the boot with this heartbeat ``interval`` (0: keep ours)."""

    def _on_model_event(self, event: Any) -> None:
        self._statuses.changed.set()
        self.status_may_have_changed()
        if self.tasks.has_timer("physics"):
            # A changed offer, EV or fault moves the next self-driven change; inside a
            # tick the tick's own rescheduling replaces this.
            self._physics_soon()

    def _storage_fault_raised(self, event: StorageFaultChanged) -> None:
        """The database refuses writes: report it the version's way (a security event)."""

    # ------------------------------------------------------------ storage faults
    def _on_storage_fault(self, event: StorageFaultChanged) -> None:
        """The database started or stopped refusing writes: tell, and retry while it does."""
        self.events.emit(event)
        if event.failing:
            self._schedule_storage_retry()
            self._storage_fault_raised(event)

    def _schedule_storage_retry(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # not running (a store used before start): the next write retries
        self.tasks.later("storage-retry", STORAGE_RETRY_SECONDS, self._retry_storage, wall=True)

    def _retry_storage(self) -> None:
        if not self.storage.retry():
            self._schedule_storage_retry()

    # ------------------------------------------------------------ public control
    @property
    def online(self) -> bool:
        return self.link_state == CONNECTED

    @property
    def accepted(self) -> bool:
        return self.online and self.registration == "Accepted"

    async def wait_accepted(self, timeout: float) -> None:
        # ``timeout``: the caller's patience in real seconds (a CLI flag, a test's bound),
        # not station time: it must end even when nothing moves a manual clock.
        await asyncio.wait_for(self._accepted.wait(), timeout)

    def cut_network(self) -> None:
        """Simulate a network loss: drop the link and stay offline until restored."""
        self._network_enabled = False
        self.tasks.spawn(self._close_link(), name=f"{self.station.id}:cut")

    def restore_network(self) -> None:
        self._network_enabled = True
        self._backoff.reset()
        self._wake.set()

    def present_id(self, id_tag: str, connector_id: int | None = None) -> bool:
        """Show a badge to the reader; False when the reader is broken or the power off."""
        return self.station.present_id(id_tag, connector_id)

    def boot_now(self) -> None:
        """A triggered BootNotification while Pending: boot without waiting."""
        self._boot_wake.set()

    async def send_boot_notification(self) -> None:
        """Boot on the present connection now (an ExtendedTriggerMessage, 1.6 security §6.16)."""
        await self._boot()

    async def send_heartbeat(self) -> None:
        """One Heartbeat now (a triggered one); a failure is logged, not raised."""
        await self._heartbeat()

    async def drop_connection(self) -> None:
        """Close the present connection; the link loop connects again with the settings then
        in force (a new client certificate, a security profile upgrade)."""
        await self._close_link()

    def _start_link(self) -> None:
        self._stopping = False
        self.tasks.spawn(self._run(), name=f"{self.station.id}:link")
        if any(c.transaction is not None for c in self.station.connectors):
            self._schedule_physics()  # an idle station has none until a transaction starts

    async def _shut_down(self) -> None:
        await self._flush_statuses()
        self._stopping = True
        self._wake.set()
        await self._close_link()
        await self.tasks.aclose()
        self._set_link_state(STOPPED)
        self._unsubscribe()
        group = group_of(self.db)
        if group is not None:
            # A clean stop leaves nothing waiting for the group commit (a refusing disk
            # keeps it held, as ``storage`` reports).
            group.flush()

    def _forget_registration(self) -> None:
        """After a power cycle: boot again and report every status again."""
        self.registration = "None"
        self._power_ons += 1
        self._accepted.clear()
        self._forget_statuses()

    async def _power_cycle(self) -> None:
        """Power off, drop the link, stay dark for the template's boot duration, power on.

        The duration runs on the station's clock (virtual time), so a sped-up or
        manual clock shortens it for tests; while the station is off the link
        loop makes no connection attempt (``_run`` waits for power).
        """
        self.station.power_off()
        self._forget_registration()
        await self._close_link()
        self._set_link_state(OFFLINE, REBOOTING)
        boot_seconds = self.station.template.boot_seconds
        self.powered_off_until = self.clock.monotonic() + boot_seconds
        try:
            if boot_seconds > 0:
                await self.clock.sleep(boot_seconds)
        finally:
            self.powered_off_until = None
        self.station.power_on()
        self._backoff.reset()
        self._wake.set()

    # ------------------------------------------------------------ boot
    async def _boot(self) -> None:
        """BootNotification until Accepted, honouring Pending and Rejected (1.6 §4.2, B01-B03)."""
        for _ in range(1_000_000):
            self.session.answer_calls = True
            self._boot_wake.clear()
            power_on = self._power_ons
            try:
                conf = await self.session.call("BootNotification", self.boot_payload())
            except (CallError, CallTimeout, InvalidReply) as exc:
                log.warning("%s: BootNotification failed: %s", self.station.id, exc)
                await self._boot_pause(BOOT_RETRY_SECONDS)
                continue
            if power_on != self._power_ons:
                # The power went while the reply was on its way (it can still arrive
                # during the closing handshake): the next power-on boots afresh
                # (1.6 §4.2, B01.FR.01), so this reply must not register the station.
                raise LinkClosed("the power went during the boot")
            status, interval = conf["status"], int(conf["interval"])
            self.registration = status
            # A Rejected station refuses the CSMS's requests (B03.FR.08); a Pending one
            # answers them (1.6 §4.2, B02.FR.01).
            self.session.answer_calls = status != "Rejected"
            self.events.emit(RegistrationChanged(status, interval))
            if status == "Accepted":
                self._boot_accepted(interval)
                self._accepted.set()
                # After an accepted boot every status is reported (1.6 §4.2, §4.9, B01.FR.05).
                self._statuses.reported.clear()
                self.status_may_have_changed()
                return
            # Pending/Rejected: try again after the interval (1.6 §4.2, B02, B03).
            await self._boot_pause(interval if interval > 0 else BOOT_RETRY_SECONDS)

    # ------------------------------------------------------------ connection loop
    async def _run(self) -> None:
        for _ in range(10**12):
            if self._stopping:
                return
            if not self._network_enabled or not self.station.powered:
                # A cut network or a station that is off (rebooting) makes no attempt. The
                # conditions were read just now, so a wake left over from before is
                # consumed and the loop reads them again.
                await self._wake.wait()
                self._wake.clear()
                continue
            self._set_link_state(CONNECTING)
            try:
                link = await self._open_link(self._connect_config())
            except LinkError as exc:
                self._on_connect_failed(exc)
                self._set_link_state(OFFLINE, str(exc))
                await self._pause(self._backoff.next())
                continue
            if not self.station.powered:
                await link.close()  # powered off while the connection was being opened
                continue
            self._backoff.reset()
            self._on_connected()
            self._link = link
            self.session.reopen(link)
            self._set_link_state(CONNECTED)
            detail = "connection closed"
            # The boot runs beside the reader, and the reader on this task: an idle
            # station keeps one task, not two (10,000 stations share a process).
            # Held weakly: the supervisor holds the boot's task while it runs, and a
            # finished one is not kept for as long as the link stays up.
            self._boot_failure = None
            boot = weakref.ref(
                self.tasks.spawn(self._boot_on(link), name=f"{self.station.id}:boot")
            )
            try:
                await self.session.serve()
                running = boot()
                if running is not None:
                    await running  # the link closed while the boot still waits
                detail = self._boot_failure or detail
            except LinkClosed:
                pass
            except Exception as exc:
                detail = await self._attempt_failed(link, exc)
            finally:
                running = boot()
                if running is not None:
                    running.cancel()  # a stop ends the boot with the reader
                running = None  # not held through the next connection
                self._link = None
                self.tasks.cancel_timer("heartbeat")
                self._on_link_down()
                if not self._stopping:
                    self._set_link_state(OFFLINE, detail if self.station.powered else REBOOTING)
                    # A short pause avoids a hot loop against a CSMS that accepts then drops.
                    await self._pause(self._backoff.next())

    async def _boot_on(self, link: Any) -> None:
        """Boot on a new connection; a failed attempt drops it, saying why in
        ``_boot_failure``."""
        try:
            await self._after_connect()
        except LinkClosed:
            pass
        except Exception as exc:
            self._boot_failure = await self._attempt_failed(link, exc)

    async def _attempt_failed(self, link: Any, exc: Exception) -> str:
        # A bug in one boot attempt (a payload failing its own schema, a block raising)
        # must not end the link loop for good: report it where the user looks (log, the
        # link's detail in the UI), drop this connection and try again after a back-off.
        log.error("%s: boot attempt failed: %s", self.station.id, exc, exc_info=exc)
        await link.close()
        return f"boot attempt failed: {type(exc).__name__}: {exc}"

    async def _pause(self, seconds: float) -> None:
        # A reconnect back-off: wall time, so a sped-up station does not hammer a real CSMS.
        # The wake is cleared when this pause consumes it, not when the pause begins: a
        # restore_network() or power-on that came while the link was going down (before
        # this pause started) must end it, not be lost.
        try:
            await wait_for(self.clock.wall, self._wake.wait(), seconds)
        except TimeoutError:
            pass
        else:
            self._wake.clear()

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

    async def _boot_pause(self, seconds: float) -> None:
        # The flag is cleared before each BootNotification is sent, not here: a trigger
        # that arrives between the Pending reply and this pause must not be lost.
        try:
            await wait_for(self.clock, self._boot_wake.wait(), seconds)
        except TimeoutError:
            pass

    # ------------------------------------------------------------ heartbeat
    def _schedule_heartbeat(self) -> None:
        interval = self.heartbeat_interval
        if interval <= 0:
            self.tasks.cancel_timer("heartbeat")
            return
        self.tasks.later("heartbeat", interval, self._heartbeat_due)  # 1.6 §4.6, 2.0.1 G02

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


class _NoLink:
    """The link before the first connection: everything fails as if closed."""

    async def send(self, text: str) -> None:
        raise LinkClosed("not connected")

    async def recv(self) -> str:
        raise LinkClosed("not connected")

    async def close(self) -> None:
        return None


def _misbehaving(mode: str) -> Any:
    """An ``OcppSession`` factory with the deliberate fault ``mode`` (testing the tester)."""
    return functools.partial(MisbehavingSession, misbehaviour=mode)
