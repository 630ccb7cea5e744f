"""NotifyEvent sending (N07, N08): event ids, batching into parts, queueing while offline.

Events are queued as they happen and sent by one task at a time, so a burst (a
fault that changes several variables) goes out as one NotifyEventRequest, split
into parts of ``ITEMS_PER_MESSAGE`` with ``seqNo`` from 0 (N07.FR.07, N08.FR.04)
and ``tbc`` on all but the last. While the station is offline an event is kept
only when its severity is as severe as ``MonitoringCtrlr.OfflineQueuingSeverity``
or more (N07.FR.04, N08.FR.03); the others are dropped. The events kept while
offline are also written to SQLite (``mon_queue``) and read back at the next
start, so a power cycle during an outage loses none of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.v201.block import Messaging, Persistence, Services, Variables
from bench.ocpp.v201.mon_queue import EventQueueStore

log = logging.getLogger(__name__)

ITEMS_PER_MESSAGE = 20
MAX_QUEUED = 1000  # oldest events are dropped past this, so a long outage stays bounded
_ID_BLOCK = 100  # event ids are reserved in blocks: one state write per hundred events
_STATE_KEY = "monitoring.next_event_id"


@dataclass(slots=True)
class QueuedEvent:
    data: dict[str, Any]  # EventDataType
    severity: int


class EventsHost(Services, Messaging, Variables, Persistence, Protocol):
    """What the event sender uses of the station: the session, the clock, the persisted queue."""


class EventSender:
    __slots__ = ("_next_id", "_queue", "_reserved", "_stored", "_task", "cp", "dropped", "store")

    def __init__(self, cp: EventsHost) -> None:
        self.cp = cp
        # A list, not a deque: it is empty almost always, and an empty deque costs 760
        # bytes a station (10,000 share a process); it is bounded by MAX_QUEUED.
        self._queue: list[QueuedEvent] = []
        self._task: Any = None
        start = int(cp.state.get(cp.station.id, _STATE_KEY, 1) or 1)
        self._next_id = start
        self._reserved = start  # ids below this are known to be stored as used
        self.dropped = 0  # events lost while offline (severity too low to queue)
        self.store = EventQueueStore(cp.db, f"{cp.station.id}#2.0.1")
        # Event ids written to the store and not yet delivered or given up (None: none).
        self._stored: set[int] | None = None
        for data, severity in self.store.load():  # kept through a restart (N07.FR.04)
            self._queue.append(QueuedEvent(data, severity))
            if self._stored is None:
                self._stored = set()
            self._stored.add(data["eventId"])

    @property
    def pending(self) -> int:
        return len(self._queue)

    def next_event_id(self) -> int:
        """A new eventId, unique for this station across restarts."""
        event_id = self._next_id
        self._next_id += 1
        if self._next_id > self._reserved:
            self._reserved = self._next_id + _ID_BLOCK
            self.cp.state.put(self.cp.station.id, _STATE_KEY, self._reserved)
        return event_id

    def _offline_severity(self) -> int:
        text = self.cp.variable("MonitoringCtrlr", "OfflineQueuingSeverity")
        return int(text) if text else -1

    def submit(self, data: dict[str, Any], severity: int) -> None:
        """Send ``data`` (EventDataType) now, or keep it for later per N07.FR.04."""
        if not self.cp.accepted and severity > self._offline_severity():
            self.dropped += 1
            log.info(
                "%s: offline, event %s (severity %d) not queued",
                self.cp.station.id,
                data["eventId"],
                severity,
            )
            return
        self._append(QueuedEvent(data, severity))
        if not self.cp.accepted:
            self._persist([self._queue[-1]])
        self.kick()

    def _append(self, event: QueuedEvent) -> None:
        if len(self._queue) >= MAX_QUEUED:
            oldest = self._queue.pop(0)  # a long outage stays bounded: the oldest goes
            self.dropped += 1
            self._forget([oldest])
        self._queue.append(event)

    def _persist(self, events: list[QueuedEvent]) -> None:
        stored = self._stored or ()
        new = [e for e in events if e.data["eventId"] not in stored]
        if not new:
            return
        self.store.add((e.data, e.severity) for e in new)
        if self._stored is None:
            self._stored = set()
        self._stored.update(e.data["eventId"] for e in new)

    def _forget(self, events: list[QueuedEvent]) -> None:
        stored = self._stored
        if not stored:
            return  # nothing of this station's is in the store
        gone = [e.data["eventId"] for e in events if e.data["eventId"] in stored]
        self.store.remove(gone)
        stored.difference_update(gone)
        if not stored:
            self._stored = None

    def kick(self) -> None:
        if not self.cp.accepted or not self._queue:
            return
        if self._task is None or self._task.done():
            self._task = self.cp.tasks.spawn(self._drain(), name="notify-event")

    def on_link_down(self) -> None:
        # What was queued for sending while online now follows the offline rule.
        limit = self._offline_severity()
        kept = [e for e in self._queue if e.severity <= limit]
        self.dropped += len(self._queue) - len(kept)
        self._forget([e for e in self._queue if e.severity > limit])
        self._queue = kept
        self._persist(kept)

    async def _drain(self) -> None:
        for _ in range(10_000):
            if not self._queue or not self.cp.accepted:
                return
            batch = list(self._queue)
            self._queue.clear()
            parts = [
                batch[i : i + ITEMS_PER_MESSAGE] for i in range(0, len(batch), ITEMS_PER_MESSAGE)
            ]
            generated = iso(self.cp.clock.now())
            for seq_no, part in enumerate(parts):
                payload = {
                    "generatedAt": generated,
                    "seqNo": seq_no,
                    "tbc": seq_no < len(parts) - 1,
                    "eventData": [e.data for e in part],
                }
                try:
                    await self.cp.session.call("NotifyEvent", payload)
                except LinkClosed:
                    # Back in front of the queue; on_link_down applies the offline rule.
                    rest = [e for p in parts[seq_no:] for e in p]
                    self._queue[:0] = rest
                    self.on_link_down()
                    return
                except (CallError, CallTimeout, InvalidReply) as exc:
                    log.warning("%s: NotifyEvent failed: %s", self.cp.station.id, exc)
                self._forget(part)  # delivered, or given up: no longer kept
