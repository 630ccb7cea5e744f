"""Network faults on demand, around any link (issue 17, part 2).

``NetworkFaults`` holds one station's impairment (``bench.transport.impair_spec``)
and applies it to every link the station opens: ``faults.opener(open_link)`` is a
drop-in opener that fails like a broken network would (a DNS name that stopped
resolving, a TLS handshake that fails on the wire) and wraps each link it opens
in an ``ImpairedLink``. The wrapper keeps the ``send``/``recv``/``close`` contract
of ``bench.ocpp.session.Link`` and knows nothing of OCPP or of charge points, so
the proxy can put it around a proxied station's legs too.

On an open link:

- latency with jitter and a bandwidth limit delay frames the way a TCP stream
  would: each frame waits its own delay, frames behind it are not held up
  longer than that (pipelined) and never overtake it (TCP keeps order);
- loss drops frames, duplicate delivers one twice, reorder holds one back until
  the next frame in the same direction has passed (at most ``REORDER_HOLD_S``),
  all in both directions;
- halfopen keeps the connection but lets nothing through: the station's frames
  vanish, and on a WebSocket the socket is no longer read, so neither data nor
  the pongs to the station's pings arrive and its ping timeout has to notice;
- flap drops the connection (TCP reset, no closing handshake) a fixed time
  after it opened; the station reconnects with its usual back-off.

Every delay runs on the timers given (a station passes ``clock.wall``: the
network's pace is the world's, not the simulation's); every random choice comes
from a generator seeded with the station's id.
"""

from __future__ import annotations

import asyncio
import functools
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.model.clock import Timers, wait_for
from bench.model.rng import LightRandom
from bench.transport.config import LinkConfig
from bench.transport.errors import ABNORMAL_CLOSURE, FailureKind, LinkError, TransportClosed
from bench.transport.impair_spec import NO_IMPAIRMENT, Impairment, parse_impairment
from bench.transport.impair_tls import failing_tls_handshake

__all__ = [
    "REORDER_HOLD_S",
    "FaultCounters",
    "ImpairedLink",
    "ImpairmentChanged",
    "NetworkFaults",
]

# The longest a reordered frame waits for another to overtake it (wall seconds): with
# one CALL outstanding per direction (OCPP-J §4.1.1) there may be no next frame soon.
REORDER_HOLD_S = 1.0
# Bounds of the receive loop: frames a halfopen or lossy link may swallow in one recv().
_MAX_SWALLOWED = 1_000_000

LinkOpener = Callable[[LinkConfig], Awaitable[Any]]


@dataclass(slots=True)
class FaultCounters:
    """What the faults did so far, for a view or a test to read (never reset)."""

    dropped: int = 0  # lost to ``loss``
    duplicated: int = 0
    reordered: int = 0
    blackholed: int = 0  # swallowed by ``halfopen``
    flaps: int = 0  # connections dropped by ``flap``
    failed_opens: int = 0  # connection attempts failed by ``tlsfail`` or ``dnsfail``


@dataclass(frozen=True, slots=True)
class ImpairmentChanged:
    """A station's network faults changed (an event for views and logs)."""

    impairment: Impairment

    @property
    def text(self) -> str:
        return self.impairment.describe()


class NetworkFaults:
    """One station's network faults: what is set now, and the links it applies to."""

    __slots__ = ("_current", "_links", "_on_change", "_rng", "counters", "timers")

    def __init__(
        self,
        timers: Timers,
        *,
        seed: str | int,
        on_change: Callable[[ImpairmentChanged], None] | None = None,
    ) -> None:
        self.timers = timers
        self.counters = FaultCounters()
        self._current = NO_IMPAIRMENT
        # Eight bytes of state: a fleet run holds 10,000 stations (bench.model.rng).
        self._rng = LightRandom(f"impair:{seed}")
        self._links: set[ImpairedLink] = set()
        self._on_change = on_change

    @property
    def current(self) -> Impairment:
        return self._current

    def set(self, impairment: Impairment) -> Impairment:
        """Apply ``impairment`` from now on, to open links too."""
        self._current = impairment
        for link in list(self._links):
            link._impairment_changed()
        if self._on_change is not None:
            self._on_change(ImpairmentChanged(impairment))
        return impairment

    def apply(self, text: str) -> Impairment:
        """Change the present faults by a spec string ("loss 5%", "off"); ``ImpairmentError``
        (a ``ValueError``) for one that does not parse, leaving the faults as they were."""
        return self.set(parse_impairment(text, self._current))

    def wrap(self, link: Any, *, direct_when_clear: bool = True) -> ImpairedLink:
        """``direct_when_clear``: while no fault is in force, reads go straight to the
        link (a station's own link); False keeps every read behind the wrapper, so a
        fault set during a pending read applies to the frame it returns (a proxy leg)."""
        # Links that ended without close() (the peer closed, TCP dropped) are let go here.
        for old in [old for old in self._links if getattr(old.inner, "closed", False)]:
            self._links.discard(old)
        link_ = ImpairedLink(link, self)
        link_._direct_when_clear = direct_when_clear
        return link_

    def opener(self, open_link: LinkOpener) -> LinkOpener:
        """``open_link`` with this station's faults: failed opens, then wrapped links."""
        return functools.partial(self.open, open_link)

    async def open(self, open_link: LinkOpener, cfg: LinkConfig) -> ImpairedLink:
        """Open a link with ``open_link`` as this station's faults allow, wrapped in them."""
        impairment = self._current
        if impairment.dns_fail:
            self.counters.failed_opens += 1
            host = urllib.parse.urlsplit(cfg.endpoint()).hostname
            raise LinkError(
                f"cannot resolve host name {host!r}: it no longer resolves (impair dnsfail)",
                FailureKind.DNS,
            )
        if impairment.tls_fail:
            self.counters.failed_opens += 1
            raise await failing_tls_handshake(cfg)
        return self.wrap(await open_link(cfg))

    # ------------------------------------------------------------ for the links
    def _chance(self, fraction: float) -> bool:
        return fraction > 0 and self._rng.random() < fraction

    def _jitter(self, width: float) -> float:
        return self._rng.uniform(-width, width) if width > 0 else 0.0


class _Pace:
    """When the frames of one direction arrive: serialised at the bandwidth, then delayed."""

    __slots__ = ("free_at", "last_due")

    def __init__(self) -> None:
        self.free_at = 0.0  # when the wire finishes the frames before
        self.last_due = 0.0  # when the frame before arrives

    def due(self, now: float, size: int, impairment: Impairment, faults: NetworkFaults) -> float:
        start = max(now, self.free_at)
        if impairment.bandwidth_bps:
            start += size * 8 / impairment.bandwidth_bps
        self.free_at = start
        delay = max(0.0, impairment.latency_s + faults._jitter(impairment.jitter_s))
        # A TCP stream keeps order: jitter varies the delay, never lets a frame overtake.
        self.last_due = max(start + delay, self.last_due)
        return self.last_due


class ImpairedLink:
    """A link whose frames pass through a station's ``NetworkFaults``.

    Anything else asked of it (``closed``, ``set_ping_interval``, ...) is the
    inner link's.
    """

    __slots__ = (
        "_ahead",
        "_direct_when_clear",
        "_dropped",
        "_faults",
        "_flap_from",
        "_flap_s",
        "_in",
        "_out",
        "_overtaking",
        "_read",
        "_send_lock",
        "_stalled",
        "_stash",
        "_wake",
        "inner",
    )

    def __init__(self, inner: Any, faults: NetworkFaults) -> None:
        self.inner = inner
        self._faults = faults
        self._direct_when_clear = True
        self._in = _Pace()
        self._out = _Pace()
        # Made on the first delayed frame: an unimpaired link (most of a fleet) has none.
        self._send_lock: asyncio.Lock | None = None
        self._overtaking: list[asyncio.Future[None]] = []  # reordered frames waiting
        # Duplicates and overtaken frames still to hand out, in order (a list: it holds
        # one or two, and an empty deque costs 624 bytes a link).
        self._stash: list[str | bytes] = []
        self._read: asyncio.Task[str | bytes] | None = None
        # Frames read while an earlier one was still on its way, each with the time it is
        # due (its delay counted from its own arrival), or the read that ended the link.
        # Made on demand: an unimpaired link (most of a fleet) has none.
        self._ahead: list[tuple[float, str | bytes] | asyncio.Task[str | bytes]] | None = None
        self._wake: asyncio.Future[Any] | None = None
        self._dropped = False
        self._stalled = False
        self._flap_s = faults.current.flap_s
        self._flap_from = _now(faults.timers)
        faults._links.add(self)
        self._apply_stall()

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (a half-built object): no endless lookup
            raise AttributeError(name)
        return getattr(self.inner, name)

    # ------------------------------------------------------------ Link
    async def send(self, text: str) -> None:
        faults = self._faults
        await self._flap_if_due()
        impairment = faults.current
        if impairment.halfopen:
            faults.counters.blackholed += 1
            return
        if faults._chance(impairment.loss):
            faults.counters.dropped += 1
            return
        if faults._chance(impairment.reorder):
            faults.counters.reordered += 1
            await self._let_next_frame_pass()
        copies = 2 if faults._chance(impairment.duplicate) else 1
        faults.counters.duplicated += copies - 1
        now = _now(faults.timers)
        due = self._out.due(now, _size(text), impairment, faults)
        lock = self._send_lock
        if due <= now and (lock is None or not lock.locked()):
            # Nothing ahead of it and nothing to wait for: straight out.
            for _ in range(copies):
                await self.inner.send(text)
        else:
            if lock is None:
                lock = self._send_lock = asyncio.Lock()
            async with lock:  # FIFO: frames leave in the order their delays were set
                await _sleep_until(faults.timers, due)
                for _ in range(copies):
                    await self.inner.send(text)
        for waiter in self._overtaking:
            if not waiter.done():
                waiter.set_result(None)

    async def recv(self) -> str | bytes:
        if self._stash:
            return self._stash.pop(0)
        faults = self._faults
        if self._ahead:
            return await self._deliver_ahead(self._ahead.pop(0))
        if (
            self._direct_when_clear
            and self._read is None
            and not self._dropped
            and faults.current == NO_IMPAIRMENT
        ):
            # No fault in force: straight from the link, with no task of its own in
            # between (a fleet of stations each holding one costs memory and CPU).
            return await self.inner.recv()
        for _ in range(_MAX_SWALLOWED):
            frame = await self._next_frame()
            impairment = faults.current
            if impairment.halfopen:
                faults.counters.blackholed += 1
                # Taking a frame from a full receive buffer lets websockets resume reading
                # the socket (its own flow control): pause it again, or pongs would arrive.
                self._stalled = False
                self._apply_stall()
                continue
            if faults._chance(impairment.loss):
                faults.counters.dropped += 1
                continue
            due = self._in.due(_now(faults.timers), _size(frame), impairment, faults)
            return await self._deliver_ahead((due, frame))
        raise RuntimeError(f"{_MAX_SWALLOWED} frames swallowed in one recv()")

    async def _deliver_ahead(
        self, entry: tuple[float, str | bytes] | asyncio.Task[str | bytes]
    ) -> str | bytes:
        """Hand over a frame once it is due (duplicated, reordered as the faults say)."""
        if isinstance(entry, asyncio.Task):
            return entry.result()  # the read that ended the link: raises its error
        due, frame = entry
        await self._hold_until(due)
        faults = self._faults
        impairment = faults.current
        if faults._chance(impairment.duplicate):
            faults.counters.duplicated += 1
            self._stash.append(frame)
        if faults._chance(impairment.reorder):
            faults.counters.reordered += 1
            return await self._overtaken_by_next(frame)
        return frame

    async def _hold_until(self, due: float) -> None:
        """Wait until ``due`` while the frames behind keep arriving (pipelined).

        A reader that takes one frame at a time (a session, the proxy's pump) would
        otherwise start frame N+1's delay only once frame N was handed over, so frames
        sent together would each wait the latency in turn. Each frame read meanwhile
        is judged (halfopen, loss) and given its due time as it arrives.
        """
        faults = self._faults
        loop = asyncio.get_running_loop()
        for _ in range(_MAX_SWALLOWED):
            if due <= _now(faults.timers):
                return
            if self._dropped:  # the connection went: this frame had arrived already
                await _sleep_until(faults.timers, due)
                return
            if self._read is None:
                self._read = loop.create_task(self.inner.recv())
                # Its outcome is read here or in the next recv(); asyncio must not call
                # an error of a read cancelled or left behind unretrieved.
                self._read.add_done_callback(_retrieved)
            read = self._read
            done: asyncio.Future[None] = loop.create_future()
            left = due - _now(faults.timers)
            timer = faults.timers.call_later(left, functools.partial(_resolve, done))
            try:
                waits: set[asyncio.Future[Any]] = {read, done}
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                # Nobody reads any more: the read ahead goes too (it loses no frame).
                read.cancel()
                self._read = None
                raise
            finally:
                timer.cancel()
            if not read.done():
                # Due, and nothing more came: stop reading ahead, so no read outlives
                # this recv() (a cancelled read of websockets or the in-memory pair
                # loses no frame; the next recv() reads again).
                read.cancel()
                self._read = None
                return
            self._read = None
            if self._ahead is None:
                self._ahead = []
            if read.cancelled() or read.exception() is not None:
                self._faults._links.discard(self)
                if not read.cancelled():
                    self._ahead.append(read)  # the link ended behind the frames read
                await _sleep_until(faults.timers, due)
                return
            self._arrived(read.result())
        raise RuntimeError(f"{_MAX_SWALLOWED} frames read ahead while one was due")

    def _arrived(self, frame: str | bytes) -> None:
        """A frame read ahead: dropped as the faults say, or queued with its due time."""
        faults = self._faults
        impairment = faults.current
        if impairment.halfopen:
            faults.counters.blackholed += 1
            self._stalled = False
            self._apply_stall()
            return
        if faults._chance(impairment.loss):
            faults.counters.dropped += 1
            return
        due = self._in.due(_now(faults.timers), _size(frame), impairment, faults)
        assert self._ahead is not None
        self._ahead.append((due, frame))

    async def close(self, *args: Any, **kwargs: Any) -> None:
        self._faults._links.discard(self)
        await self.inner.close(*args, **kwargs)

    # ------------------------------------------------------------ faults
    def _impairment_changed(self) -> None:
        flap_s = self._faults.current.flap_s
        if flap_s != self._flap_s:
            # "flap 30s" set on an open link drops it 30 s from now.
            self._flap_s = flap_s
            self._flap_from = _now(self._faults.timers)
            if flap_s:
                # A reader may wait on the link directly (no fault was in force): the
                # drop must not wait for the next frame to find it due.
                self._faults.timers.call_later(flap_s, self._flap_timer_due)
        self._apply_stall()
        _resolve(self._wake)

    def _apply_stall(self) -> None:
        want = self._faults.current.halfopen and not self._dropped
        stall = getattr(self.inner, "stall", None)
        if want != self._stalled and stall is not None:
            stall(want)
        self._stalled = want

    def _flap_left(self) -> float | None:
        if not self._flap_s:
            return None
        return self._flap_from + self._flap_s - _now(self._faults.timers)

    async def _flap_if_due(self) -> None:
        if self._dropped:
            raise self._drop_error()
        left = self._flap_left()
        if left is not None and left <= 0:
            await self._drop()
            raise self._drop_error()

    def _flap_timer_due(self) -> None:
        left = self._flap_left()
        if not self._dropped and left is not None and left <= 0:
            asyncio.get_running_loop().create_task(self._drop())

    async def _drop(self) -> None:
        """The connection vanishes: no closing handshake, the peer sees a reset."""
        self._dropped = True
        self._faults.counters.flaps += 1
        self._faults._links.discard(self)
        if self._read is not None:
            self._read.cancel()
            self._read = None
        _resolve(self._wake)  # a reader waiting on the cancelled read looks again
        abort = getattr(self.inner, "abort", None)
        if abort is not None:
            abort()
        else:  # a link with no socket to reset (the in-memory pair): close it abnormally
            await self.inner.close(ABNORMAL_CLOSURE, "dropped (impair flap)")

    def _drop_error(self) -> TransportClosed:
        return TransportClosed(
            f"connection lost: dropped by the network (impair flap {self._flap_s:g}s)",
            ABNORMAL_CLOSURE,
            "",
        )

    async def _let_next_frame_pass(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._overtaking.append(waiter)
        timer = self._faults.timers.call_later(REORDER_HOLD_S, lambda: _resolve(waiter))
        try:
            await waiter
        finally:
            timer.cancel()
            self._overtaking.remove(waiter)

    async def _overtaken_by_next(self, frame: str | bytes) -> str | bytes:
        """The next frame if one comes within ``REORDER_HOLD_S``; ``frame`` comes after it."""
        entry = self._ahead[0] if self._ahead else None
        if entry is not None and not isinstance(entry, asyncio.Task):
            # The next frame was read already (behind this one, while it was due).
            assert self._ahead is not None
            self._ahead.pop(0)
            due, following = entry
            await self._hold_until(due)
            self._stash.insert(0, frame)
            return following
        try:
            following = await wait_for(self._faults.timers, self._next_frame(), REORDER_HOLD_S)
        except TimeoutError:
            return frame  # nothing came to overtake it
        except TransportClosed:
            return frame  # the link ended behind it; the next recv() meets the close
        self._stash.insert(0, frame)
        return following

    async def _next_frame(self) -> str | bytes:
        """The inner link's next frame, or the drop when a flap falls due meanwhile."""
        loop = asyncio.get_running_loop()
        for _ in range(_MAX_SWALLOWED):
            await self._flap_if_due()
            if self._read is None:
                self._read = loop.create_task(self.inner.recv())
            read = self._read
            wake: asyncio.Future[Any] = loop.create_future()
            self._wake = wake
            left = self._flap_left()
            timer = None
            if left is not None:
                timer = self._faults.timers.call_later(left, functools.partial(_resolve, wake))
            try:
                waits: set[asyncio.Future[Any]] = {read, wake}
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                # Nobody reads any more (the session stopped): a cancelled recv of
                # websockets or the in-memory pair loses no frame.
                read.cancel()
                self._read = None
                raise
            finally:
                if timer is not None:
                    timer.cancel()
                self._wake = None
            if self._dropped:
                # Dropped meanwhile (a send found the flap due): the read was cancelled
                # with the connection, and the reader learns the link is gone.
                raise self._drop_error()
            if read.done():
                self._read = None
                if read.exception() is not None:
                    self._faults._links.discard(self)  # the link ended: nothing to impair
                return read.result()
            # Woken by a change of the faults or the flap's timer: look again.
        raise RuntimeError(f"{_MAX_SWALLOWED} wake-ups without a frame")


# ---------------------------------------------------------------------- time
def _now(timers: Timers) -> float:
    """The timers' own seconds: a manual clock's, else the event loop's."""
    monotonic = getattr(timers, "monotonic", None)
    if callable(monotonic):
        return float(monotonic())
    return asyncio.get_running_loop().time()


async def _sleep_until(timers: Timers, due: float) -> None:
    left = due - _now(timers)
    if left <= 0:
        return
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    timer = timers.call_later(left, lambda: _resolve(done))
    try:
        await done
    finally:
        timer.cancel()


def _resolve(future: asyncio.Future[Any] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


def _retrieved(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _size(frame: str | bytes) -> int:
    return len(frame.encode()) if isinstance(frame, str) else len(frame)
