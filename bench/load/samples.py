"""Frames and link events become Locust statistics (issue 16, "Statistics in Locust's terms").

``LoadSink`` is a ``FrameSink`` the stations of a load run log to. It runs on the
stations' asyncio thread and turns what it sees into ``Sample``s on a thread-safe
queue; the Locust side (``bench.load.locustfile``) drains the queue into request
events. It knows nothing of Locust, so it is tested on plain frame records.

- A station-initiated request (type ``CALL``) is one sample named by its action, with
  the CSMS's response time. A CALLERROR, a schema-invalid reply, no reply within the
  call timeout, or a connection that drops while it waits is a failure with its reason.
- A CSMS-initiated request is counted (type ``CSMS``) with the station's answer time.
- Opening the link (TCP + TLS + WebSocket upgrade) is its own entry (``WebSocket``
  ``connect``).
- A boot accepted (time since start) and the loop's lag are no requests of the
  CSMS: they go to the process's ``ProcessStats`` (``bench.load.worker_stats``),
  outside Locust's request table.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.kernel.frames import FrameRecord
from bench.load.worker_stats import BOOTED, LAG, UNANSWERED, ProcessStats

CALL_TYPE, CSMS_TYPE, LINK_TYPE, STATION_TYPE = ("CALL", "CSMS", "WebSocket", "station")
CONTROL_TYPE = "control"  # a request to the CSMS's control API (the mix's remote starts)


@dataclass(frozen=True, slots=True)
class Sample:
    kind: str  # Locust's request type
    name: str  # the OCPP action, or the entry's name
    ms: float  # response time
    length: int = 0  # bytes of the reply
    error: str | None = None  # set: a failure, with its reason


@dataclass(slots=True)
class _Out:
    msg_id: str | None
    action: str
    sent: float  # monotonic seconds


class LoadSink:
    """Collects samples from many stations' frames; call from one event loop only."""

    def __init__(
        self,
        out: queue.SimpleQueue[Sample],
        *,
        monotonic: Callable[[], float],
        stats: ProcessStats | None = None,
    ) -> None:
        self.out = out
        self.monotonic = monotonic
        self.stats = stats if stats is not None else ProcessStats()
        self._calls: dict[str, _Out] = {}  # station -> its one outstanding CALL (OCPP-J §4.1.1)
        self._incoming: dict[tuple[str, str | None], str] = {}  # (station, id) -> CSMS action
        self._cuts: set[str] = set()  # stations whose link the mix is cutting on purpose
        self._stopping: set[str] = set()  # stations the run is stopping
        self.connected: set[str] = set()
        self.booted: set[str] = set()

    # ------------------------------------------------------------------ frames
    def record(self, rec: FrameRecord) -> None:
        if rec.direction == "tx" and rec.type == "CALL":
            if rec.station in self._stopping:
                self._unanswered(rec.station)  # the run is stopping it: no failure
            else:
                self._timed_out(rec.station, "no reply: the call timed out")
            self._calls[rec.station] = _Out(rec.id, rec.action or "?", self.monotonic())
        elif rec.direction == "rx" and rec.type in ("CALLRESULT", "CALLERROR"):
            self._reply(rec)
        elif rec.direction == "rx" and rec.type == "CALL":
            self._incoming[(rec.station, rec.id)] = rec.action or "?"
        elif rec.direction == "tx" and rec.type in ("CALLRESULT", "CALLERROR"):
            action = self._incoming.pop((rec.station, rec.id), None)
            if action is not None:
                # Answered as usual; counted, never a failure of the CSMS.
                self._put(CSMS_TYPE, action, rec.latency_ms or 0.0, _length(rec))

    def _reply(self, rec: FrameRecord) -> None:
        out = self._calls.get(rec.station)
        if out is None or out.msg_id != rec.id:
            return  # a reply to no call of ours: the session logs it; nothing to time
        del self._calls[rec.station]
        ms = rec.latency_ms if rec.latency_ms is not None else self._since(out)
        if rec.type == "CALLERROR":
            self._put(CALL_TYPE, out.action, ms, _length(rec), f"CALLERROR {rec.error}")
        elif rec.valid is False:
            self._put(CALL_TYPE, out.action, ms, _length(rec), f"schema-invalid reply: {rec.error}")
        else:
            self._put(CALL_TYPE, out.action, ms, _length(rec))

    # ------------------------------------------------------------------ link events
    def connect_done(self, station: str, ms: float, error: str | None) -> None:
        """A link opened (TCP + TLS + WebSocket upgrade), or failed to."""
        self._put(LINK_TYPE, "connect", ms, 0, error)
        if error is None:
            self.connected.add(station)

    def cutting(self, station: str) -> None:
        """The mix is about to cut this station's link: the drop is not the CSMS's doing."""
        self._cuts.add(station)

    def link_down(self, station: str, detail: str) -> None:
        # Still booted: a station that reconnects keeps its registration (no new boot).
        self.connected.discard(station)
        wanted = station in self._cuts
        self._cuts.discard(station)
        out = self._calls.pop(station, None)
        if wanted:
            return  # a call lost to the mix's own cut says nothing about the CSMS
        reason = f"connection dropped: {detail or 'closed'}"
        if out is not None:
            self._put(CALL_TYPE, out.action, self._since(out), 0, reason)
        self._put(LINK_TYPE, "dropped", 0.0, 0, reason)

    def boot_accepted(self, station: str, ms: float) -> None:
        self.booted.add(station)
        self.stats.add(BOOTED, ms)

    def waiting(self, station: str) -> bool:
        """Whether the station has a call out that is not answered yet."""
        return station in self._calls

    def station_stopped(self, station: str, *, done: bool = False) -> None:
        """A station the run stops (``done``: has stopped): what it still waited for
        is no failure, but it was sent, so it is counted apart (the CSMS may or may
        not have received it); so is a call it sends while stopping that replaces
        one still unanswered."""
        self._unanswered(station)
        if done:
            self._stopping.discard(station)
        else:
            self._stopping.add(station)
        self._cuts.discard(station)
        self.connected.discard(station)
        self.booted.discard(station)

    def remote_start_done(self, ms: float, error: str | None) -> None:
        """The CSMS was asked to start a session (``bench.load.remote_start``): how long
        until the station accepted, or why not."""
        self._put(CONTROL_TYPE, "remote start", ms, 0, error)

    def behaviour_failed(self, station: str, reason: str) -> None:
        self._put(STATION_TYPE, "behaviour", 0.0, 0, reason)

    def sweep(self, timeout: float) -> None:
        """Calls older than ``timeout`` with nothing after them are failures (the last
        call before a quiet spell would otherwise wait for the station's next one)."""
        now = self.monotonic()
        for station in [s for s, out in self._calls.items() if now - out.sent > timeout]:
            self._timed_out(station, f"no reply within {timeout:g} s")

    def lag(self, ms: float) -> None:
        self.stats.add(LAG, ms)

    # ------------------------------------------------------------------ helpers
    def _unanswered(self, station: str) -> None:
        out = self._calls.pop(station, None)
        if out is not None:
            self.stats.add(UNANSWERED, self._since(out))

    def _timed_out(self, station: str, reason: str) -> None:
        out = self._calls.pop(station, None)
        if out is not None:
            self._put(CALL_TYPE, out.action, self._since(out), 0, reason)

    def _since(self, out: _Out) -> float:
        return (self.monotonic() - out.sent) * 1000

    def _put(self, kind: str, name: str, ms: float, length: int = 0, error: str | None = None):
        self.out.put(Sample(kind, name, ms, length, error))


def _length(rec: FrameRecord) -> int:
    return len(rec.raw) if rec.raw is not None else 0


def default_monotonic() -> float:
    """Seconds for timing calls (the session times its replies the same way)."""
    return time.perf_counter()
