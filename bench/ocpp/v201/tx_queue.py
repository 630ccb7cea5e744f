"""Persisted, in-order delivery of TransactionEventRequests (E04, E08, E11, E12, E13).

Every TransactionEvent goes through the station's ``OfflineQueue`` (bench/store/queue.py),
so it survives a crash the moment it is queued and leaves in the order it was made.
While offline the queue just grows (E04.FR.01, E11.FR.01); when the link goes down,
whatever is still queued is marked ``offline`` (E11.FR.07); once the station is
accepted again the queue drains in order (E04.FR.02, E12.FR.02). A message the CSMS
fails to process is sent again up to ``MessageAttempts[TransactionEvent]`` times,
waiting ``MessageAttemptInterval[TransactionEvent]`` times the number of preceding
transmissions, and is then discarded (E13.FR.02-04).

The queue is stored under ``<station id>#2.0.1`` so a 1.6 queue of the same station
id in the same database never mixes with it.

While an Ended event waits here, the status of its EVSE waits too: the transaction
ends first, then the connector becomes Unavailable or Available (G03.FR.05/06,
G04.FR.06), as a CSMS expects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.ocpp.errors import CallError, CallTimeout, InvalidOutgoing, InvalidReply, LinkClosed
from bench.ocpp.flag import Flag
from bench.store.queue import OfflineQueue

if TYPE_CHECKING:
    from bench.ocpp.v201.charge_point import ChargePoint201

log = logging.getLogger(__name__)

ACTION = "TransactionEvent"
# (request payload, reply, EVSE id of the transaction or None)
ReplyHook = Callable[[dict[str, Any], dict[str, Any], int | None], None]


class TxQueue:
    __slots__ = ("_deliverer", "_drained", "_ending", "cp", "on_reply", "queue")

    def __init__(self, cp: ChargePoint201, on_reply: ReplyHook) -> None:
        self.cp = cp
        self.on_reply = on_reply
        self.queue = OfflineQueue(
            cp.db, f"{cp.station.id}#2.0.1", clock=cp.clock, health=cp.storage
        )
        self._deliverer: asyncio.Task[None] | None = None
        self._drained = Flag()
        self._ending: dict[int, int] = {}  # queue id of an Ended event -> its EVSE id

    # ------------------------------------------------------------ producer side
    def push(self, payload: dict[str, Any], evse_id: int) -> None:
        """Queue one TransactionEventRequest; it is on disk when this returns."""
        meta = {"tx": payload["transactionInfo"]["transactionId"], "evse": evse_id}
        item_id = self.queue.push(ACTION, payload, meta)
        if payload["eventType"] == "Ended":
            self._ending[item_id] = evse_id
        self._drained.clear()
        if self.cp.accepted:
            self.start()

    def pending(self, transaction_id: str | None = None) -> bool:
        """Are messages waiting (about ``transaction_id``, when given)? (E14.FR.04/05/07/08)"""
        if transaction_id is None:
            return bool(self.queue)
        return any((m.meta or {}).get("tx") == transaction_id for m in self.queue.items())

    def holds_status(self, evse_id: int) -> bool:
        """Does an Ended event of ``evse_id`` still wait to go out (its status waits too)?"""
        return evse_id in self._ending.values()

    def _remove(self, item_id: int) -> None:
        self.queue.remove(item_id)
        if self._ending.pop(item_id, None) is not None:
            self.cp.status_may_have_changed()  # the held status goes out now

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
            self._deliverer = self.cp.tasks.spawn(self._deliver(), name="tx-event-queue")

    def link_down(self) -> None:
        """Stop delivering; everything still queued was not delivered online (E11.FR.07)."""
        if self._deliverer is not None:
            self._deliverer.cancel()
            self._deliverer = None
        for item in self.queue.items():
            if not item.payload.get("offline"):
                self.queue.update_payload(item.id, {**item.payload, "offline": True})

    # ------------------------------------------------------------ delivery
    def _limits(self) -> tuple[int, float]:
        cp = self.cp
        attempts = int(cp.number("OCPPCommCtrlr", "MessageAttempts", ACTION))
        interval = cp.number("OCPPCommCtrlr", "MessageAttemptInterval", ACTION)
        return attempts, interval

    async def _deliver(self) -> None:
        cp = self.cp
        for _ in range(10**9):
            if not cp.accepted:
                return
            item = self.queue.peek()
            if item is None:
                # An idle station keeps no task: the next push starts a deliverer again.
                self._drained.set()
                return
            try:
                reply = await cp.session.call(ACTION, item.payload)
            except InvalidOutgoing as exc:
                # Our own payload is wrong: sending it again cannot help.
                log.error("%s: TransactionEvent dropped, invalid: %s", cp.station.id, exc)
                self._remove(item.id)
                continue
            except (CallError, InvalidReply, CallTimeout) as exc:
                if not cp.online:
                    return  # offline: the message stays queued for the next connection
                attempts = self.queue.mark_attempt(item.id)
                limit, interval = self._limits()
                if attempts >= limit:
                    log.error(
                        "%s: TransactionEvent seqNo %s discarded after %d failed attempts: %s",
                        cp.station.id,
                        item.payload.get("seqNo"),
                        attempts,
                        exc,
                    )
                    self._remove(item.id)  # E13.FR.04
                else:
                    await cp.clock.sleep(interval * attempts)  # E13.FR.03
                continue
            except LinkClosed:
                return
            self.queue.remove(item.id)
            self.on_reply(item.payload, reply, (item.meta or {}).get("evse"))
            if self._ending.pop(item.id, None) is not None:
                self.cp.status_may_have_changed()  # after the reply: the held status goes out
