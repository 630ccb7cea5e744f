"""In-order, retrying delivery of queued transaction messages (1.6 §3.7, §3.7.1; 2.0.1 E04,
E12, E13), one implementation for both versions.

Each version keeps its messages in a persisted ``OfflineQueue`` (bench/store/queue.py)
and hands ``TxDelivery`` what differs: how many attempts and how long between them
(1.6 TransactionMessageAttempts/RetryInterval, 2.0.1 MessageAttempts/
MessageAttemptInterval[TransactionEvent]), a last look at each message before it is
sent (1.6 patches in the transactionId learnt meanwhile) and what a reply means.

Delivery runs while the station is accepted, oldest message first. A message the
CSMS answers leaves the queue, then its reply is handled. One the CSMS fails to
process (CALLERROR, bad reply, timeout while online) is sent again after the retry
interval times the number of failed attempts, and dropped once the attempts are
used up. One whose own payload fails its schema (``InvalidOutgoing``) is dropped at
once: sending it again cannot help, and the messages behind it must not wait forever.

A message may hold back the status of a connector or EVSE until the CSMS has it
(1.6 §4.8/§5.2, 2.0.1 G03.FR.05/06): the status goes out once the message leaves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Protocol

from bench.ocpp.errors import CallError, CallTimeout, InvalidOutgoing, InvalidReply, LinkClosed
from bench.ocpp.flag import Flag
from bench.store.queue import OfflineQueue, QueuedMessage

if TYPE_CHECKING:
    from bench.ocpp.common.station_link import DeliveryHost

log = logging.getLogger(__name__)


class DeliveryOwner(Protocol):
    """What differs per version, asked of the block that owns the queue.

    An object rather than three callbacks: a stored bound method costs 64 bytes a
    station, and 10,000 stations share one process.
    """

    def delivery_limits(self) -> tuple[int, float]:
        """(attempts allowed, seconds between attempts per attempt made), read at each failure."""
        ...

    def delivery_payload(self, item: QueuedMessage) -> dict[str, Any] | None:
        """The payload to send for a queued message; None drops it (the owner says why)."""
        ...

    def delivery_replied(
        self, item: QueuedMessage, payload: dict[str, Any], reply: dict[str, Any]
    ) -> None:
        """The CSMS answered ``payload``; the message has left the queue."""
        ...


class TxDelivery:
    __slots__ = (
        "_deliverer",
        "_drained",
        "_holding",
        "_wake",
        "cp",
        "name",
        "owner",
        "queue",
    )

    def __init__(
        self,
        cp: DeliveryHost,
        queue: OfflineQueue,
        *,
        name: str,
        owner: DeliveryOwner,
    ) -> None:
        self.cp = cp
        self.queue = queue
        self.name = name  # the deliverer task's name
        self.owner = owner
        self._deliverer: asyncio.Task[None] | None = None
        self._drained = Flag()
        # Queue id of a message -> the status key (connector/EVSE id) it holds back.
        self._holding: dict[int, Hashable] = {}
        # What the deliverer awaits while a transaction is open and the queue is empty.
        self._wake: asyncio.Future[None] | None = None

    # ------------------------------------------------------------ producer side
    def push(
        self,
        action: str,
        payload: dict[str, Any],
        meta: dict[str, Any] | None = None,
        *,
        holds: Hashable | None = None,
    ) -> int:
        """Queue one message (on disk within the group-commit interval); returns its queue id.

        ``holds``: the status key whose status waits until the CSMS has this message.
        """
        item_id = self.queue.push(action, payload, meta)
        if holds is not None:
            self._holding[item_id] = holds
        self._drained.clear()
        wake = self._wake
        if wake is not None:
            self._wake = None
            if not wake.done():
                wake.set_result(None)
        elif self.cp.accepted:
            self.start()
        return item_id

    def holds_status(self, key: Hashable) -> bool:
        """Does a queued message hold back the status of ``key``?"""
        return key in self._holding.values()

    @property
    def holding(self) -> bool:
        """Does any queued message hold back a status?"""
        return bool(self._holding)

    def __len__(self) -> int:
        return len(self.queue)

    async def drained(self) -> None:
        """Return once the queue is empty (callers bound the wait)."""
        for _ in range(1_000_000):
            if not self.queue:
                return
            self._drained.clear()
            await self._drained.wait()

    # ------------------------------------------------------------ link state
    def start(self) -> None:
        """Deliver what is queued (after an accepted boot or reconnect, or a new message)."""
        if self._deliverer is None or self._deliverer.done():
            self._deliverer = self.cp.tasks.spawn(self._deliver(), name=self.name)
            self._deliverer.add_done_callback(self._deliverer_done)

    def _deliverer_done(self, task: asyncio.Task[None]) -> None:
        # A finished task (~500 bytes with its coroutine) is not kept for 10,000 stations.
        if self._deliverer is task:
            self._deliverer = None

    def stop(self) -> None:
        """The link went down: stop delivering; the messages stay queued."""
        if self._deliverer is not None:
            self._deliverer.cancel()
            self._deliverer = None

    # ------------------------------------------------------------ delivery
    def _remove(self, item_id: int) -> None:
        """A message leaves the queue (answered or given up): the status it held goes out."""
        self.queue.remove(item_id)
        if self._holding.pop(item_id, None) is not None:
            self.cp.status_may_have_changed()

    def _transaction_open(self) -> bool:
        return any(c.transaction is not None for c in self.cp.station.connectors)

    async def _next_push(self) -> None:
        wake = self._wake = asyncio.get_running_loop().create_future()
        try:
            await wake
        finally:
            if self._wake is wake:
                self._wake = None

    async def _deliver(self) -> None:
        cp = self.cp
        for _ in range(10**9):
            if not cp.accepted:
                return
            item = self.queue.peek()
            if item is None:
                self._drained.set()
                if not self._transaction_open():
                    # Done until the next push starts a deliverer again: an idle station
                    # keeps no task around (10,000 stations share one process).
                    return
                # A charging station pushes again within its sample interval: waiting
                # costs one wake-up, a new task per message three (issue 15).
                await self._next_push()
                continue
            payload = self.owner.delivery_payload(item)
            if payload is None:
                self._remove(item.id)
                continue
            try:
                reply = await cp.session.call(item.action, payload)
            except InvalidOutgoing as exc:
                # Our own payload is wrong: sending it again cannot help.
                log.error("%s: %s dropped, invalid: %s", cp.station.id, item.action, exc)
                self._remove(item.id)
                continue
            except (CallError, InvalidReply, CallTimeout) as exc:
                if not cp.online:
                    return  # offline: the message stays queued for the next connection
                attempts = self.queue.mark_attempt(item.id)
                limit, interval = self.owner.delivery_limits()
                if attempts >= limit:
                    log.error(
                        "%s: %s discarded after %d failed attempts: %s",
                        cp.station.id,
                        item.action,
                        attempts,
                        exc,
                    )
                    self._remove(item.id)  # 1.6 §3.7.1, E13.FR.04
                else:
                    await cp.clock.sleep(interval * attempts)  # 1.6 §3.7.1, E13.FR.03
                continue
            except LinkClosed:
                return
            self.queue.remove(item.id)
            self.owner.delivery_replied(item, payload, reply)
            # After the reply: a status it held goes out with what the reply taught us.
            if self._holding.pop(item.id, None) is not None:
                cp.status_may_have_changed()
