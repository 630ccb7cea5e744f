"""Status notifications of a charge point: coalesced, in order, and held where they must wait.

A mixin of ``ChargePointBase``. A model event only marks the statuses as possibly
changed; they are read once the burst of events is over (the next loop turn, or once
a status held still for MinimumStatusDuration, 1.6 §4.9) and every status that
changed since the last one queued goes out, in order, one StatusNotification at a
time. A status may wait while a transaction message about it is still queued (1.6
§4.8/§5.2, 2.0.1 G03.FR.05/06). The version packages supply the hooks: which keys
have a status, the status now, its payload, whether it is held.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.model.clock import wait_for
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.flag import Flag

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.events import Emitter
    from bench.model.station import Station
    from bench.ocpp.session import OcppSession

log = logging.getLogger(__name__)

# Real seconds a clean stop waits for status notifications already on their way: like the
# stop's drain timeout it is the caller's patience, which must run out even when nothing
# moves a manual clock (a test's teardown), so it stays on the event loop's clock.
STATUS_FLUSH_SECONDS = 2.0
# The supervisor timer that reads the statuses after a burst of model events.
STATUS_READ = "status-read"


@dataclass(frozen=True, slots=True)
class StatusSent:
    connector_id: int  # 1.6 connector id; in 2.0.1 the EVSE id (one connector per EVSE)
    report: Any


class StatusState:
    """What a charge point keeps of its statuses (the mixin below has no slots of its own:
    only one base of a class may add slots)."""

    __slots__ = ("backlog", "changed", "reported", "task")

    def __init__(self) -> None:
        self.changed = Flag()
        # The last status queued per key; it leaves only if its notification was not sent.
        self.reported: dict[Hashable, Any] = {}
        # (key, report, payload) read from the model and not yet sent, oldest first. A
        # list: it holds a handful, and an empty deque costs 624 bytes a station.
        self.backlog: list[tuple[Hashable, Any, dict[str, Any]]] = []
        self.task: asyncio.Task[None] | None = None


class StatusReporting:
    """The status reporting of one charge point (see the module doc)."""

    __slots__ = ()

    if TYPE_CHECKING:
        station: Station
        clock: Clock
        tasks: Supervisor
        session: OcppSession
        events: Emitter
        _statuses: StatusState

        @property
        def accepted(self) -> bool: ...

    # ------------------------------------------------------------ hooks
    def _status_keys(self) -> list[Hashable]:
        """Everything that has a status to report, in reporting order."""
        raise NotImplementedError

    def _status_report(self, key: Hashable) -> Any:
        """The status of ``key`` now: an immutable, comparable value."""
        raise NotImplementedError

    def _status_payload(self, key: Hashable, report: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _status_matches(self, key: Hashable, status: str) -> bool:
        """Whether ``key`` shows ``status`` now (the step language's ``expect``)."""
        return self._status_report(key).status == status

    def _status_held(self, key: Hashable) -> bool:
        """Whether ``key``'s status must wait (a transaction message about it goes first)."""
        return False

    def _status_settle_seconds(self) -> float:
        """How long a status must hold before it is reported (virtual seconds)."""
        return 0.0

    # ------------------------------------------------------------ reporting
    async def wait_status(self, key: Hashable, status: str, timeout: float) -> bool:
        """Wait up to ``timeout`` virtual seconds for ``key`` to show ``status``.

        The window does not close while a call of the station's is still waiting for
        the CSMS: the station's clock may run many times faster than the network, and a
        status that depends on the reply (Charging after Authorize and the transaction
        message) would otherwise fail a step only because the machine was busy. A reply
        that never comes ends the wait with the call's own timeout.
        """
        clock = self.clock
        deadline = clock.monotonic() + timeout
        # The physics is ticked about every half real second while waiting (a status that
        # depends on energy flowing, such as SuspendedEV at a full battery).
        poll = 0.5 * clock.speed
        for _ in range(100_000):
            if self._status_matches(key, status) and self._status_told(key):
                return True
            remaining = deadline - clock.monotonic()
            if remaining <= 0:
                if not self.session.awaiting_reply:
                    return False
                remaining = poll
            self._statuses.changed.clear()
            try:
                await wait_for(clock, self._statuses.changed.wait(), min(remaining, poll))
            except TimeoutError:
                self.station.tick()
        return False

    def _status_told(self, key: Hashable) -> bool:
        """Whether the CSMS has been, or is being, told ``key``'s present status.

        An ``expect`` step passes on what the CSMS hears: a status still waiting for the
        end of its burst is queued now, before the step's next action can replace it.
        Offline there is nobody to tell, and MinimumStatusDuration may hide a status on
        purpose (1.6 §4.9), so then the station's own status is enough.
        """
        if not self.accepted or self._status_settle_seconds() > 0:
            return True
        if self.tasks.has_timer(STATUS_READ):
            self.tasks.cancel_timer(STATUS_READ)
            self._queue_statuses()
        return self._statuses.reported.get(key) == self._status_report(key)

    def status_may_have_changed(self) -> None:
        self._statuses.changed.set()
        if not self.accepted:
            return
        settle = self._status_settle_seconds()
        if settle > 0:
            # Report a status only once it has been stable this long; every change
            # restarts the wait, so short-lived statuses are never sent.
            self.tasks.later("status-settle", settle, self._status_due)
            return
        self._status_due()

    def _status_due(self) -> None:
        if not self.accepted:
            return
        # The statuses are read once the present burst of model events is over (the next
        # turn of the loop), whether or not another StatusNotification still awaits its
        # reply: every status that outlives the burst is reported, in order. Only
        # MinimumStatusDuration may hide a status (1.6 §4.9), never a slow round trip.
        if not self.tasks.has_timer(STATUS_READ):
            self.tasks.later(STATUS_READ, 0.0, self._queue_statuses)

    def _queue_statuses(self) -> None:
        if not self.accepted:
            return
        state = self._statuses
        for key in self._status_keys():
            report = self._status_report(key)
            if state.reported.get(key) == report or self._status_held(key):
                continue  # a held status goes out when its hold ends (status_may_have_changed)
            state.reported[key] = report
            # The payload is built now: its timestamp is when the status began.
            state.backlog.append((key, report, self._status_payload(key, report)))
        if state.backlog and (state.task is None or state.task.done()):
            state.task = self.tasks.spawn(self._send_statuses(), name="status")
            state.task.add_done_callback(self._status_task_done)

    def _status_task_done(self, task: asyncio.Task[None]) -> None:
        # A finished task (~500 bytes with its coroutine) is not kept for 10,000 stations.
        if self._statuses.task is task:
            self._statuses.task = None

    async def _send_statuses(self) -> None:
        backlog = self._statuses.backlog
        for _ in range(1_000_000):  # bounded; ends when the backlog is empty
            if not backlog:
                return
            if not self.accepted:
                self._drop_status_backlog()
                return
            key, report, payload = backlog.pop(0)
            try:
                await self.session.call("StatusNotification", payload)
            except (CallError, CallTimeout, InvalidReply) as exc:
                log.warning("%s: StatusNotification failed: %s", self.station.id, exc)
            except LinkClosed:
                self._statuses.reported.pop(key, None)
                self._drop_status_backlog()
                return
            self.events.emit(StatusSent(_connector_of(key), report))

    def _drop_status_backlog(self) -> None:
        """The link went down: after reconnecting, what is current then is reported instead."""
        for key, _report, _payload in self._statuses.backlog:
            self._statuses.reported.pop(key, None)
        self._statuses.backlog.clear()

    def _forget_statuses(self) -> None:
        """After a power cycle every status is reported again."""
        self._statuses.reported.clear()
        self._statuses.backlog.clear()

    async def _flush_statuses(self) -> None:
        """A clean stop reports the last status change before it disconnects."""
        if self.tasks.has_timer(STATUS_READ):
            # A change of this very turn is still to be read: queue it before stopping.
            self.tasks.cancel_timer(STATUS_READ)
            self._queue_statuses()
        status = self._statuses.task
        if self.accepted and status is not None and not status.done():
            await asyncio.wait({status}, timeout=STATUS_FLUSH_SECONDS)


def _connector_of(key: Hashable) -> int:
    """The connector (1.6) or EVSE (2.0.1) id of a status key: an id or an (id, ...) tuple."""
    if isinstance(key, tuple):
        key = key[0]
    if not isinstance(key, int):
        raise TypeError(f"a status key names a connector by its id, not {key!r}")
    return key
